/**
 * Gateway online/offline tracking. A gateway is online from its CONNACK and
 * offline at once when its connection ends, its keepalive lapses, its last
 * will fires, or it says so on its status topic. Each transition is written to
 * PostgreSQL (current state + an event) and to the time series, in order per
 * gateway. A write that fails (PostgreSQL, InfluxDB or Redis away) is retried
 * with backoff, still in order, until it lands or `settle()` stops the
 * retries at shutdown: a gateway that drops off during an outage is reported
 * once the stores are back.
 *
 * A connection the platform closed itself, because it could not store what
 * the gateway sent (`platform_unavailable`) or because it is stopping
 * (`platform_shutdown`), is recorded like any other end, but it says nothing
 * about the gateway, so the rules feed does not get it (a gateway that really
 * is gone is caught by its missed heartbeat).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../core/clock.ts';
import type { Queryable } from '../core/db/db.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import { backoffDelay } from '../core/retry.ts';

export type GatewayState = 'online' | 'offline';

/** Reasons of an offline the platform caused by closing the connection: it could not store an uplink, or it is stopping. */
export const PLATFORM_UNAVAILABLE = 'platform_unavailable';
export const PLATFORM_SHUTDOWN = 'platform_shutdown';
/**
 * The node the gateway was connected to died, and the gateway has not come back through another since (3 of the
 * brokers' heartbeats) nor left a will: it is offline, as far as anyone can tell (gateway/owners.ts `takeOrphans`).
 */
export const NODE_LOST = 'node_lost';
/** The platform closed the connection because the gateway was disabled or its secret rotated (an admin's act). */
export const GATEWAY_REVOKED = 'gateway_revoked';

/** Whether a transition says something about the gateway, so the rules may act on it. */
export const concernsGateway = (reason: string): boolean => reason !== PLATFORM_UNAVAILABLE && reason !== PLATFORM_SHUTDOWN && reason !== GATEWAY_REVOKED;

export interface StatusRetry {
  /** First delay after a failed write, ms; doubles up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export class GatewayStatusTracker {
  private readonly state = new Map<string, GatewayState>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly announced = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly retry: StatusRetry;

  constructor(
    private readonly deps: {
      db: Queryable;
      clock: Clock;
      logger: Logger;
      metrics: Metrics;
      record?: (enterpriseId: string, gatewayId: string, state: GatewayState, reason: string, at: number) => Promise<void>;
      /**
       * Hands the transition to the rules (their feed) at once, before it is persisted, retried in order per gateway:
       * so the rules see it before anything the gateway sends after it (data sent on a new connection is fed only once
       * stored, which takes longer), whether or not PostgreSQL is up.
       */
      announce?: (enterpriseId: string, gatewayId: string, state: GatewayState, reason: string, at: number) => Promise<void>;
      retry?: Partial<StatusRetry>;
    },
  ) {
    this.retry = { baseDelayMs: 250, maxDelayMs: 5000, ...deps.retry };
  }

  current(gatewayId: string): GatewayState | undefined {
    return this.state.get(gatewayId);
  }

  /**
   * Marks gateways left "online" by a previous process as offline; they come back online when they reconnect. In a
   * cluster, a gateway whose live connection is on another node (`brokerOf` names a broker other than `brokerId`) is
   * left alone: a node that starts says nothing of the gateways the others serve.
   */
  async resetAfterRestart(brokerId?: string, brokersOf?: (gatewayIds: string[]) => Promise<(string | undefined)[]>): Promise<number> {
    const now = new Date(this.deps.clock.now());
    const online = (await this.deps.db.query<{ id: string }>("SELECT id FROM gateways WHERE status = 'online'")).rows.map((r) => r.id);
    if (online.length === 0) return 0;
    const brokers = brokersOf ? await brokersOf(online) : [];
    const mine = online.filter((_, i) => brokers[i] === undefined || brokers[i] === brokerId);
    const { rows } = await this.deps.db.query<{ id: string }>(
      // not one that came online elsewhere since it was looked at
      "UPDATE gateways SET status = 'offline', status_changed_at = $1 WHERE id = ANY($2::text[]) AND status = 'online' AND (status_changed_at IS NULL OR status_changed_at < $1) RETURNING id",
      [now, mine],
    );
    for (const r of rows) {
      await this.deps.db.query('INSERT INTO gateway_events (gateway_id, state, reason, at) VALUES ($1, $2, $3, $4)', [
        r.id,
        'offline',
        'platform_restart',
        now,
      ]);
    }
    return rows.length;
  }

  /** Forgets what this process last recorded of a gateway (it is connected through another node now). */
  forget(gatewayId: string): void {
    this.state.delete(gatewayId);
  }

  /** Records a transition if it changes the state; returns the promise of its persistence. */
  set(enterpriseId: string, gatewayId: string, next: GatewayState, reason: string): Promise<void> {
    const previous = this.state.get(gatewayId);
    if (previous === next) return this.chains.get(gatewayId) ?? Promise.resolve();
    this.state.set(gatewayId, next);
    const at = this.deps.clock.now();
    this.deps.metrics.gatewayStatusChanges.inc({ state: next });
    this.deps.logger.info({ enterpriseId, gatewayId, previous: previous ?? 'unknown', next, reason }, 'gateway status changed');
    const announce = this.deps.announce;
    if (announce) {
      void this.inOrder(this.announced, gatewayId, 'gateway status not handed to the rules; giving up at shutdown', { next, reason }, () =>
        this.persist(gatewayId, next, 'announce', () => announce(enterpriseId, gatewayId, next, reason, at)),
      );
    }
    const when = new Date(at);
    return this.inOrder(this.chains, gatewayId, 'gateway status not persisted; giving up at shutdown', { next, reason }, async () => {
      // one statement, retried whole. Nodes record a gateway's transitions each on its own (it moved between them, and a
      // node that did not see it before does not know its state): only a change of the stored state is an event, and
      // the latest transition stands
      await this.persist(gatewayId, next, 'postgres', () =>
        this.deps.db.query(
          `WITH changed AS (
             UPDATE gateways SET status = $2, status_changed_at = $3
              WHERE id = $1 AND status IS DISTINCT FROM $2 AND (status_changed_at IS NULL OR status_changed_at <= $3)
             RETURNING id)
           INSERT INTO gateway_events (gateway_id, state, reason, at) SELECT id, $2, $4, $3 FROM changed`,
          [gatewayId, next, when, reason],
        ),
      );
      const record = this.deps.record;
      if (record) await this.persist(gatewayId, next, 'record', () => record(enterpriseId, gatewayId, next, reason, at));
    });
  }

  /** Runs `work` after the gateway's previous work in `chains`; a failure (only at shutdown) is counted and logged as `lost`. */
  private inOrder(chains: Map<string, Promise<void>>, gatewayId: string, lost: string, ctx: Record<string, unknown>, work: () => Promise<void>): Promise<void> {
    const chain: Promise<void> = (chains.get(gatewayId) ?? Promise.resolve())
      .then(work)
      .catch((err: unknown) => {
        this.deps.metrics.gatewayStatusLost.inc();
        this.deps.logger.error({ err, gatewayId, ...ctx }, lost);
      })
      .finally(() => {
        if (chains.get(gatewayId) === chain) chains.delete(gatewayId);
      });
    chains.set(gatewayId, chain);
    return chain;
  }

  /** Runs `step` until it succeeds; after a stop, a failure is final. */
  private async persist(gatewayId: string, next: GatewayState, stage: string, step: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await step();
        if (attempt > 0) this.deps.logger.info({ gatewayId, next, stage, attempts: attempt + 1 }, 'gateway status persisted after retries');
        return;
      } catch (err) {
        if (this.stopping.signal.aborted) throw err;
        this.deps.metrics.gatewayStatusRetries.inc({ stage });
        if (attempt === 0) this.deps.logger.warn({ err, gatewayId, next, stage }, 'could not persist gateway status; retrying');
        const wait = backoffDelay(attempt, { baseMs: this.retry.baseDelayMs, maxMs: this.retry.maxDelayMs });
        await delay(wait, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  /** Stops retrying, then waits for every pending status write (each gets one more attempt). */
  async settle(): Promise<void> {
    this.stopping.abort();
    await Promise.all([...this.chains.values(), ...this.announced.values()]);
  }
}
