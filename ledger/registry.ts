import { SIGNAL_KINDS, type SignalKind } from '../core/contract.ts';
import type { Clock } from '../core/clock.ts';
import type { Queryable } from '../core/db/db.ts';
import { readingSeriesKey, signalSeriesKey } from '../core/influx/schema.ts';
import { SELECT_POINTS, toLedgerPoint, type PointRow } from './point-rows.ts';

export interface GatewayRecord {
  id: string;
  enterpriseId: string;
  secretHash: string;
  disabled: boolean;
}

export type PointRecord =
  | { type: 'sensor'; id: string; enterpriseId: string; gatewayId: string; kind: string; unit: string; periodS: number; seriesKey: string }
  | { type: 'signal'; id: string; enterpriseId: string; gatewayId: string; kind: SignalKind; periodS: number; seriesKey: string };

interface GatewayEntry {
  gateway: GatewayRecord | undefined;
  points: Map<string, PointRecord> | undefined;
  loadedAt: number;
}

const isSignalKind = (k: string): k is SignalKind => (SIGNAL_KINDS as string[]).includes(k);

/**
 * The read side of the ledger that the hot path needs: a gateway's credentials
 * and the sensors/signal points it may report. Cached per gateway, refreshed
 * after `ttlMs`, dropped by `invalidate` when provisioning changes a gateway,
 * and reloaded at most once per `missReloadMs` when a message names an
 * unknown point (so a freshly provisioned sensor is picked up at once, and a
 * flood of unknown ids cannot hammer the database). Ids with no gateway are
 * remembered too (so a client retrying a wrong id costs no query per
 * attempt), but at most `maxUnknown` of them, oldest dropped first: a flood of
 * random ids cannot grow the cache beyond the ledger plus that bound.
 */
export class Registry {
  private readonly cache = new Map<string, GatewayEntry>();
  private readonly lastMissReload = new Map<string, number>();
  /** Loads under way, so a burst of messages from one gateway at cache expiry costs one query, not one per message. */
  private readonly loading = new Map<string, Promise<GatewayEntry>>();
  /** The cached ids that named no gateway, oldest first. */
  private readonly unknown = new Set<string>();
  /** Invalidations so far (all, and per gateway): a load that overlapped one is not cached, and its caller gets a fresh one. */
  private generation = 0;
  private invalidatedAllAt = 0;
  private readonly generations = new Map<string, number>();

  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    private readonly opts: { ttlMs?: number; missReloadMs?: number; maxUnknown?: number } = {},
  ) {}

  async gateway(gatewayId: string): Promise<GatewayRecord | undefined> {
    return (await this.entry(gatewayId)).gateway;
  }

  /** The points of a gateway (sensors and signal points), loaded with the gateway. */
  async points(gatewayId: string): Promise<Map<string, PointRecord>> {
    const e = await this.entry(gatewayId);
    if (!e.points) {
      e.points = await this.loadPoints(gatewayId);
    }
    return e.points;
  }

  /** Called when a message names a point the cache lacks; reloads the gateway's points if allowed. */
  async reloadPointsAfterMiss(gatewayId: string): Promise<Map<string, PointRecord>> {
    const now = this.clock.now();
    const last = this.lastMissReload.get(gatewayId) ?? -Infinity;
    const e = await this.entry(gatewayId);
    if (now - last >= (this.opts.missReloadMs ?? 5000) || !e.points) {
      this.lastMissReload.set(gatewayId, now);
      e.points = await this.loadPoints(gatewayId);
    }
    return e.points;
  }

  invalidate(gatewayId?: string): void {
    this.generation++;
    if (gatewayId === undefined) {
      this.cache.clear();
      this.lastMissReload.clear();
      this.unknown.clear();
      this.loading.clear();
      this.invalidatedAllAt = this.generation;
    } else {
      this.cache.delete(gatewayId);
      this.lastMissReload.delete(gatewayId);
      this.unknown.delete(gatewayId);
      this.loading.delete(gatewayId);
      this.generations.set(gatewayId, this.generation);
    }
  }

  private entry(gatewayId: string): Promise<GatewayEntry> {
    const now = this.clock.now();
    const cached = this.cache.get(gatewayId);
    if (cached && now - cached.loadedAt < (this.opts.ttlMs ?? 60_000)) return Promise.resolve(cached);
    let pending = this.loading.get(gatewayId);
    if (!pending) {
      const p = this.load(gatewayId, now, cached).finally(() => {
        if (this.loading.get(gatewayId) === p) this.loading.delete(gatewayId);
      });
      pending = p;
      this.loading.set(gatewayId, p);
    }
    return pending;
  }

  private async load(gatewayId: string, now: number, cached: GatewayEntry | undefined): Promise<GatewayEntry> {
    const startedAt = this.generation;
    const { rows } = await this.db.query<{ id: string; enterprise_id: string; secret_hash: string; disabled: boolean }>(
      'SELECT id, enterprise_id, secret_hash, disabled FROM gateways WHERE id = $1',
      [gatewayId],
    );
    const r = rows[0];
    const e: GatewayEntry = {
      gateway: r ? { id: r.id, enterpriseId: r.enterprise_id, secretHash: r.secret_hash, disabled: r.disabled } : undefined,
      points: cached?.points,
      loadedAt: now,
    };
    if (cached?.points) e.points = await this.loadPoints(gatewayId);
    // invalidated while loading (the ledger changed under it): answer this caller, cache nothing
    if (Math.max(this.invalidatedAllAt, this.generations.get(gatewayId) ?? 0) > startedAt) return e;
    this.cache.set(gatewayId, e);
    this.unknown.delete(gatewayId);
    if (!e.gateway) {
      this.unknown.add(gatewayId);
      if (this.unknown.size > (this.opts.maxUnknown ?? 10_000)) {
        const oldest = this.unknown.values().next().value as string;
        this.unknown.delete(oldest);
        this.cache.delete(oldest);
        this.lastMissReload.delete(oldest);
      }
    }
    return e;
  }

  private async loadPoints(gatewayId: string): Promise<Map<string, PointRecord>> {
    const { rows } = await this.db.query<PointRow>(`${SELECT_POINTS} WHERE s.gateway_id = $1`, [gatewayId]);
    const map = new Map<string, PointRecord>();
    for (const p of rows.map(toLedgerPoint)) {
      const base = { id: p.id, enterpriseId: p.enterpriseId, gatewayId: p.gatewayId, periodS: p.periodS };
      if (isSignalKind(p.kind)) {
        map.set(p.id, {
          ...base,
          type: 'signal',
          kind: p.kind,
          seriesKey: signalSeriesKey({ enterpriseId: p.enterpriseId, gatewayId: p.gatewayId, pointId: p.id, kind: p.kind }),
        });
      } else {
        map.set(p.id, {
          ...base,
          type: 'sensor',
          kind: p.kind,
          unit: p.unit,
          seriesKey: readingSeriesKey({ enterpriseId: p.enterpriseId, gatewayId: p.gatewayId, sensorId: p.id, kind: p.kind, unit: p.unit }),
        });
      }
    }
    return map;
  }
}
