/**
 * The rules worker: reads the feed (feed.ts) in order, evaluates every rule
 * instance (engine.ts) and turns findings into alert transitions persisted
 * through `applyCommand`. Restart-safe by construction:
 *
 * - The feed holds everything acknowledged to gateways; the worker's position
 *   and all pattern states are snapshotted together in Redis, and the feed is
 *   trimmed only behind a snapshot. After a crash the worker restores the last
 *   snapshot and replays the feed from its position, so windows are rebuilt
 *   exactly as they were.
 * - Replayed findings carry the same data-time `at` as the first time, and the
 *   alert state machine treats them as duplicates: no alert is lost or opened
 *   twice, and durations run from the real start, not from the restart.
 * - A finding that cannot be persisted (PostgreSQL down) is retried until it
 *   is; the worker does not move past it.
 *
 * Clock ticks (for silence and deadlines) are given only when the worker has
 * caught up with the feed, so a backlog is never mistaken for silence.
 */
import { readFile, stat } from 'node:fs/promises';
import { Redis } from 'ioredis';
import type { Clock } from '../../core/clock.ts';
import type { PlatformConfig } from '../../core/config.ts';
import type { Db } from '../../core/db/db.ts';
import { AppError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Metrics } from '../../core/metrics.ts';
import { applyCommand, type Applied } from '../apply.ts';
import type { Announce } from '../bus.ts';
import {
  CatalogueStore,
  coverageOf,
  defaultCatalogue,
  parseCatalogue,
  suppressibleByGatewayOffline,
  type Catalogue,
  type LooseOverride,
} from '../rules/index.ts';
import { OVERRIDES_CHANGED, OverrideStore } from '../rules/override-store.ts';
import { detectChattering, isActive, suppressionFor } from '../state/index.ts';
import type { AlertStore } from '../store.ts';
import { fingerprintOf, type Finding } from '../types.ts';
import { PointDirectory } from './directory.ts';
import { RulesEngine, type EngineSnapshot, type RawObservation } from './engine.ts';
import { decodeEntry, type FeedEntry } from '../../core/feed.ts';
import { feedKey, registryChangedChannel, snapshotKey } from '../../core/redis-keys.ts';
import { RegisteredLimits } from './registered-limits.ts';

/** Rule id of the alert raised when one point's alerts keep firing (频繁报警). */
export const CHATTERING_RULE_ID = 'common.chattering';
/** Rule id of the alert raised when an enterprise registers a limit looser than the standard allows (loose-limits.ts). */
export { LOOSE_LIMIT_RULE_ID } from './loose-limits.ts';

interface Snapshot {
  v: 1;
  /** Last feed entry reflected in `engine`. */
  lastId: string;
  catalogueVersion: number;
  savedAt: number;
  engine: EngineSnapshot;
}

export interface RulesWorkerDeps {
  db: Db;
  store: AlertStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  announce?: Announce;
}

type WorkerConfig = Pick<PlatformConfig, 'redisUrl' | 'redisPrefix' | 'rules'>;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function toRaw(entry: FeedEntry): RawObservation[] {
  if (entry.k === 's') return [{ type: 'gateway', enterpriseId: entry.e, gatewayId: entry.g, state: entry.s, reason: entry.r, ts: entry.t }];
  return entry.i.map((it): RawObservation =>
    it[0] === 'r'
      ? { type: 'reading', enterpriseId: entry.e, pointId: it[1], value: it[2], quality: it[3], ts: it[4] }
      : { type: 'signal', enterpriseId: entry.e, pointId: it[1], state: it[2], ts: it[3] },
  );
}

export async function loadCatalogueFile(file: string): Promise<Catalogue> {
  const parsed = parseCatalogue(await readFile(file, 'utf8'));
  if (!parsed.ok) throw new AppError('CONFIG_INVALID', `rule catalogue ${file} is invalid:\n  ${parsed.errors.join('\n  ')}`);
  return parsed.value;
}

export class RulesWorker {
  readonly engine: RulesEngine;
  private readonly log: Logger;
  private readonly directory: PointDirectory;
  private catalogues: CatalogueStore | undefined;
  private reader: Redis | undefined;
  private cmd: Redis | undefined;
  private sub: Redis | undefined;
  private lastId = '0-0';
  private lastTickAt = -Infinity;
  private lastSnapshotAt = 0;
  private lastSweepAt = 0;
  private catalogueMtime = 0;
  private readonly missReloads = new Map<string, number>();
  private readonly changedGateways = new Set<string>();
  private readonly limits: RegisteredLimits;
  /** The overrides may have changed (announced, polled, catalogue reloaded): the loop re-reads them. True at start: the loose-limit alerts are brought in line once. */
  private overridesStale = true;
  /** Registry changes received, and how many of them the loop has applied (`drained` waits for the ones before its call). The start counts as one. */
  private changesSeen = 1;
  private changesApplied = 0;
  private loop: Promise<void> | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private catalogueCheckDue = false;
  private running = false;
  /** False while a finding of the current entry is not persisted: no snapshot may be taken then. */
  private consistent = true;
  private caughtUp = false;
  private readonly waiters: (() => void)[] = [];
  /** Per enterprise: points unmonitored / with default limits only (the `nss_points_unmonitored` gauge sums them). */
  private readonly uncovered = new Map<string, { unmonitored: number; default: number }>();

  constructor(
    private readonly config: WorkerConfig,
    private readonly deps: RulesWorkerDeps,
  ) {
    this.log = deps.logger.child({ part: 'rules' });
    this.directory = new PointDirectory(deps.db);
    this.engine = new RulesEngine(defaultCatalogue());
    this.limits = new RegisteredLimits(new OverrideStore(deps.db), deps.store);
  }

  /** The feed position processed so far. */
  get position(): string {
    return this.lastId;
  }

  get catalogue(): Catalogue | undefined {
    return this.catalogues?.current;
  }

  async start(): Promise<void> {
    const c = this.config.rules;
    const catalogue = c.catalogueFile ? await loadCatalogueFile(c.catalogueFile) : defaultCatalogue();
    if (c.catalogueFile) this.catalogueMtime = (await stat(c.catalogueFile)).mtimeMs;
    this.catalogues = new CatalogueStore(catalogue);
    await this.limits.reload();
    this.engine.setCatalogue(catalogue, this.limits.list);
    for (const [ent, points] of await this.directory.all()) this.engine.setEnterprise(ent, points);

    const opts = { maxRetriesPerRequest: null, lazyConnect: true } as const;
    this.reader = new Redis(this.config.redisUrl, opts);
    this.cmd = new Redis(this.config.redisUrl, opts);
    this.sub = new Redis(this.config.redisUrl, opts);
    for (const r of [this.reader, this.cmd, this.sub]) {
      r.on('error', (err: Error) => this.log.warn({ err: err.message }, 'redis error'));
      await r.connect();
    }
    await this.sub.subscribe(registryChangedChannel(this.config.redisPrefix));
    this.sub.on('message', (_ch: string, message: string) => {
      this.changesSeen++;
      if (message === OVERRIDES_CHANGED) this.overridesStale = true;
      // Otherwise a gateway id; a gateway may be called 'overrides' too, so that one is reloaded as well (one query).
      this.changedGateways.add(message);
    });

    const restored = await this.restoreSnapshot();
    this.rulesChanged();
    this.log.info(
      {
        instances: this.engine.instanceCount,
        enterprises: this.engine.enterpriseIds().length,
        catalogueVersion: catalogue.version,
        overrides: this.limits.list.length,
        position: this.lastId,
        restored,
      },
      'rules worker started',
    );
    this.running = true;
    this.lastSnapshotAt = this.deps.clock.now();
    this.reloadTimer = setInterval(() => {
      // A lost announcement (Redis reconnecting) only delays an override change by one interval.
      this.overridesStale = true;
      // checked by the loop between entries: the rules never change under an entry being evaluated
      this.catalogueCheckDue = true;
    }, c.reloadIntervalMs);
    this.loop = this.run();
  }

  /** Stops after the entry in progress; takes a final snapshot when consistent. Idempotent. */
  async stop(): Promise<void> {
    if (!this.running && !this.loop) return;
    this.running = false;
    if (this.reloadTimer) clearInterval(this.reloadTimer);
    this.reader?.disconnect(); // interrupts a blocking read
    await this.loop;
    this.loop = undefined;
    if (this.consistent) {
      try {
        await this.saveSnapshot();
      } catch (err) {
        this.log.warn({ err }, 'final snapshot failed; the next start replays from the previous one');
      }
    }
    this.cmd?.disconnect();
    this.sub?.disconnect();
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Resolves once the worker has processed everything in the feed up to now,
   * applied the registry changes (ledger, overrides) announced before the
   * call, and ticked at or after the clock's time of the call (for tests and
   * benchmarks: with a fake clock, set the time, publish, then wait here).
   */
  async drained(timeoutMs = 30_000): Promise<void> {
    // Redis answers in order on a connection: after this PING every message published before it has arrived.
    await this.sub!.ping();
    const changes = this.changesSeen;
    const target = await this.cmd!.xinfo('STREAM', feedKey(this.config.redisPrefix)).then(
      (info) => {
        const arr = info as unknown[];
        const i = arr.indexOf('last-generated-id');
        return String(arr[i + 1]);
      },
      () => '0-0',
    );
    const tickAt = this.deps.clock.now();
    const deadline = Date.now() + timeoutMs;
    while (compareIds(this.lastId, target) < 0 || !this.caughtUp || this.lastTickAt < tickAt || this.changesApplied < changes) {
      if (Date.now() > deadline) throw new Error(`rules worker did not drain to ${target} within ${timeoutMs} ms (at ${this.lastId})`);
      await new Promise<void>((r) => this.waiters.push(r));
      if (!this.running) throw new Error('rules worker stopped');
    }
  }

  private async run(): Promise<void> {
    const c = this.config.rules;
    const key = feedKey(this.config.redisPrefix);
    let backoff = 100;
    while (this.running) {
      try {
        await this.applyLedgerChanges();
        // Read before the XREAD: a read that comes back short has seen everything appended up to this moment,
        // so a tick at `now` never outruns data that was already in the feed (whatever the clock does meanwhile).
        const now = this.deps.clock.now();
        const res = await this.reader!.xread('COUNT', c.readCount, 'BLOCK', c.tickMs, 'STREAMS', key, this.lastId);
        const entries = res?.[0]?.[1] ?? [];
        for (const [id, fields] of entries) {
          if (!this.running) break;
          await this.processEntry(id, fields);
        }
        this.caughtUp = entries.length < c.readCount;
        if (this.caughtUp && now - this.lastTickAt >= c.tickMs) {
          this.lastTickAt = now;
          this.consistent = false;
          for (const f of this.engine.tick(now)) await this.applyFinding(f);
          this.consistent = true;
        }
        if (now - this.lastSweepAt >= c.snapshotIntervalMs) {
          this.lastSweepAt = now;
          await this.sweepSuppressed(now);
        }
        if (now - this.lastSnapshotAt >= c.snapshotIntervalMs) await this.saveSnapshot();
        for (const w of this.waiters.splice(0)) w();
        backoff = 100;
      } catch (err) {
        if (!this.running) break;
        this.deps.metrics.rulesErrors.inc({ stage: 'loop' });
        this.log.error({ err }, 'rules worker loop failed; retrying');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private async processEntry(id: string, fields: string[]): Promise<void> {
    const text = fields[fields.indexOf('m') + 1];
    const entry = text === undefined ? undefined : decodeEntry(text);
    if (!entry) {
      this.deps.metrics.rulesEntries.inc({ outcome: 'malformed' });
      this.log.warn({ id }, 'malformed feed entry skipped');
      this.lastId = id;
      return;
    }
    this.consistent = false;
    for (const raw of toRaw(entry)) {
      let r = this.engine.observe(raw);
      if (!r.ok && (await this.reloadAfterMiss(entry.g))) r = this.engine.observe(raw);
      if (!r.ok) {
        this.deps.metrics.rulesObservations.inc({ type: 'unknown_point' });
        continue;
      }
      this.deps.metrics.rulesObservations.inc({ type: raw.type });
      for (const f of r.findings) await this.applyFinding(f);
    }
    this.lastId = id;
    this.consistent = true;
    this.deps.metrics.rulesEntries.inc({ outcome: 'processed' });
  }

  /** Persists one finding, retrying until it is persisted (or the worker stops, leaving the entry to the next start). */
  private async applyFinding(f: Finding): Promise<void> {
    this.deps.metrics.rulesFindings.inc({ condition: f.condition });
    for (let delay = 100; ; delay = Math.min(delay * 2, 5000)) {
      try {
        await this.applyOnce(f);
        return;
      } catch (err) {
        this.deps.metrics.rulesErrors.inc({ stage: 'persist' });
        this.log.error({ err, ruleId: f.ruleId, enterpriseId: f.enterpriseId, subject: f.subject }, 'could not persist a finding; retrying');
        if (!this.running) throw err;
        await sleep(delay);
      }
    }
  }

  private async applyOnce(f: Finding): Promise<void> {
    const store = this.deps.store;
    const catalogue = this.catalogues!.current;
    let suppressedBy: string | undefined;
    if (f.condition === 'raise' && f.severity !== 'red' && suppressibleByGatewayOffline(catalogue)(f.ruleId)) {
      const active = await store.active(f.enterpriseId);
      suppressedBy = suppressionFor(f, active, {
        gatewayOf: (ent, subject) => this.engine.point(ent, subject)?.gatewayId,
        suppressible: suppressibleByGatewayOffline(catalogue),
      })?.suppressedBy;
    }
    const applied = await applyCommand(
      store,
      { fingerprint: fingerprintOf(f) },
      { type: 'finding', finding: f, suppressedBy, receivedAt: this.deps.clock.now() },
      this.applyOpts(),
    );
    this.record(applied, f);
    if (applied.outcome === 'fired' || (applied.outcome === 'opened' && applied.alert?.state === 'firing')) await this.checkChattering(f, applied);
  }

  private applyOpts() {
    return this.deps.announce ? { forMs: 0, announce: this.deps.announce } : { forMs: 0 };
  }

  private record(applied: Applied, f: Pick<Finding, 'ruleId' | 'enterpriseId' | 'subject'>): void {
    this.deps.metrics.alertTransitions.inc({ outcome: applied.outcome });
    if (applied.events.length === 0) return;
    const a = applied.alert!;
    this.log.info(
      { alertId: a.id, ruleId: f.ruleId, enterpriseId: f.enterpriseId, subject: f.subject, severity: a.severity, state: a.state, outcome: applied.outcome },
      'alert transition',
    );
  }

  /** The same point's alerts firing again and again within a day is an alert of its own. */
  private async checkChattering(f: Finding, applied: Applied): Promise<void> {
    const alert = applied.alert;
    if (!alert || f.ruleId === CHATTERING_RULE_ID || alert.firedAt === undefined) return;
    const day = 24 * 3_600_000;
    const { rows } = await this.deps.db.query<{ fired_at: Date }>(
      'SELECT fired_at FROM alerts WHERE enterprise_id = $1 AND subject = $2 AND rule_id <> $3 AND fired_at > $4',
      [f.enterpriseId, f.subject, CHATTERING_RULE_ID, new Date(alert.firedAt - day)],
    );
    const times = rows.map((r) => new Date(r.fired_at).getTime());
    if (!detectChattering(times, alert.firedAt)) return;
    const chattering: Finding = {
      ruleId: CHATTERING_RULE_ID,
      ruleVersion: 1,
      enterpriseId: f.enterpriseId,
      subject: f.subject,
      condition: 'raise',
      severity: 'yellow',
      at: alert.firedAt,
      message: {
        zh: `频繁报警：${f.subject} 24 小时内已报警 ${new Set(times).size} 次，请核查仪表、报警设定值或工艺`,
        en: `Chattering: ${f.subject} alarmed ${new Set(times).size} times within 24 h; check the instrument, its limits or the process`,
      },
      evidence: f.evidence,
    };
    const r = await applyCommand(this.deps.store, { fingerprint: fingerprintOf(chattering) }, { type: 'finding', finding: chattering }, this.applyOpts());
    this.record(r, chattering);
  }

  /**
   * Lifts suppressions whose root cause (a gateway offline) is over: a silence alert kept pending
   * behind it fires if the sensor is still silent 3 periods after the gateway came back (one that
   * came back has cleared by then and was discarded, never notified).
   */
  private async sweepSuppressed(now: number): Promise<void> {
    const { rows } = await this.deps.db.query<{ id: string; fingerprint: string; enterprise_id: string; subject: string; root: string }>(
      `SELECT id, fingerprint, enterprise_id, subject, data->>'suppressedBy' AS root FROM alerts WHERE state = 'pending' AND data ? 'suppressedBy'`,
    );
    for (const r of rows) {
      const root = await this.deps.store.current(r.root);
      if (isActive(root)) continue;
      const end = root?.resolvedAt ?? root?.disposedAt ?? now;
      const periodMs = (this.engine.point(r.enterprise_id, r.subject)?.periodS ?? 60) * 1000;
      if (now - end < 3 * periodMs) continue;
      const applied = await applyCommand(this.deps.store, { alertId: r.id }, { type: 'unsuppress', at: end }, this.applyOpts());
      this.record(applied, { ruleId: r.fingerprint.split('|')[0]!, enterpriseId: r.enterprise_id, subject: r.subject });
    }
  }

  /** The rules in force changed for `enterpriseIds` (default: all): the instance count and the coverage gauge follow. */
  private rulesChanged(enterpriseIds: readonly string[] = this.engine.enterpriseIds()): void {
    this.deps.metrics.rulesInstances.set(this.engine.instanceCount);
    const { catalogue, overrides } = this.engine.inForce;
    const known = new Set(this.engine.enterpriseIds());
    for (const id of [...this.uncovered.keys()]) if (!known.has(id)) this.uncovered.delete(id);
    for (const id of enterpriseIds) {
      const { counts } = coverageOf(catalogue, overrides, this.engine.pointsOf(id));
      this.uncovered.set(id, { unmonitored: counts.unmonitored, default: counts.default });
    }
    let unmonitored = 0;
    let withDefaults = 0;
    for (const c of this.uncovered.values()) {
      unmonitored += c.unmonitored;
      withDefaults += c.default;
    }
    this.deps.metrics.pointsUnmonitored.set({ status: 'unmonitored' }, unmonitored);
    this.deps.metrics.pointsUnmonitored.set({ status: 'default' }, withDefaults);
  }

  private async reloadAfterMiss(gatewayId: string): Promise<boolean> {
    const now = this.deps.clock.now();
    if (now - (this.missReloads.get(gatewayId) ?? -Infinity) < 5000) return false;
    this.missReloads.set(gatewayId, now);
    await this.reloadGateway(gatewayId);
    return true;
  }

  private async reloadGateway(gatewayId: string): Promise<void> {
    const changed = await this.directory.ofGateway(gatewayId);
    for (const [ent, points] of changed) this.engine.setEnterprise(ent, points);
    this.rulesChanged([...changed.keys()]);
  }

  /** Applies the registry changes received so far, between feed entries (never while one is processed). */
  private async applyLedgerChanges(): Promise<void> {
    const seen = this.changesSeen;
    if (this.catalogueCheckDue) {
      this.catalogueCheckDue = false;
      await this.reloadCatalogue();
    }
    if (this.changedGateways.size > 0) {
      const ids = [...this.changedGateways];
      this.changedGateways.clear();
      for (const id of ids) await this.reloadGateway(id);
      this.log.info({ gateways: ids.length, instances: this.engine.instanceCount }, 'ledger changes applied to the rules');
    }
    if (this.overridesStale) {
      this.overridesStale = false;
      try {
        await this.applyOverrides();
      } catch (err) {
        this.overridesStale = true;
        throw err;
      }
    }
    this.changesApplied = seen;
  }

  /**
   * Re-reads the registered overrides: re-resolves the enterprises whose
   * overrides changed, then raises a `common.loose_limit` alert for each
   * registration looser than the standard and clears those no longer loose.
   */
  private async applyOverrides(): Promise<void> {
    const catalogue = this.catalogues!.current;
    if (await this.limits.reload()) {
      this.engine.setCatalogue(catalogue, this.limits.list);
      this.rulesChanged();
      this.log.info({ overrides: this.limits.list.length, instances: this.engine.instanceCount }, 'rule overrides applied');
    }
    const plan = await this.limits.plan(catalogue, (l) => this.pointUnit(l), this.deps.clock.now());
    if (!plan) return;
    for (const f of plan.findings) await this.applyFinding(f);
    this.limits.reconciled(plan.key);
  }

  /** The unit of the point(s) a loose override is registered for: the sensor's, or the one all the rule's points share. */
  private pointUnit(l: LooseOverride): string {
    if (l.sensorId !== null) return this.engine.point(l.enterpriseId, l.sensorId)?.unit ?? '';
    const units = new Set(this.engine.rulesOf(l.enterpriseId).flatMap((r) => (r.id === l.ruleId ? [r.anchor.unit] : [])));
    return units.size === 1 ? [...units][0]! : '';
  }

  /** Re-reads the catalogue file when it changed; an invalid one is refused (logged) and the current one stays. */
  private async reloadCatalogue(): Promise<void> {
    const file = this.config.rules.catalogueFile;
    if (!file || !this.catalogues) return;
    try {
      const m = (await stat(file)).mtimeMs;
      if (m === this.catalogueMtime) return;
      this.catalogueMtime = m;
      const r = this.catalogues.replace(await readFile(file, 'utf8'));
      if (!r.ok) {
        this.deps.metrics.rulesErrors.inc({ stage: 'catalogue' });
        this.log.error({ file, errors: r.errors }, 'rule catalogue refused; keeping the current one');
        return;
      }
      this.engine.setCatalogue(this.catalogues.current);
      this.overridesStale = true; // the standard's limits may have changed: loose-limit alerts are re-checked
      this.rulesChanged();
      this.log.info({ file, version: r.version, changes: r.changes, instances: this.engine.instanceCount }, 'rule catalogue reloaded');
    } catch (err) {
      this.deps.metrics.rulesErrors.inc({ stage: 'catalogue' });
      this.log.error({ err, file }, 'rule catalogue could not be read; keeping the current one');
    }
  }

  private async restoreSnapshot(): Promise<number> {
    const text = await this.cmd!.get(snapshotKey(this.config.redisPrefix));
    if (!text) return 0;
    try {
      const snap = JSON.parse(text) as Snapshot;
      this.lastId = snap.lastId;
      return this.engine.restore(snap.engine);
    } catch (err) {
      this.log.error({ err }, 'rules snapshot unreadable; replaying the whole feed');
      this.lastId = '0-0';
      return 0;
    }
  }

  private async saveSnapshot(): Promise<void> {
    const snap: Snapshot = {
      v: 1,
      lastId: this.lastId,
      catalogueVersion: this.engine.catalogueVersion,
      savedAt: this.deps.clock.now(),
      engine: this.engine.snapshot(),
    };
    await this.cmd!.set(snapshotKey(this.config.redisPrefix), JSON.stringify(snap));
    this.lastSnapshotAt = this.deps.clock.now();
    // Entries up to the snapshot's position are reflected in it: drop them.
    if (this.lastId !== '0-0') await this.cmd!.xtrim(feedKey(this.config.redisPrefix), 'MINID', this.lastId);
    const len = await this.cmd!.xlen(feedKey(this.config.redisPrefix));
    this.deps.metrics.rulesFeedLag.set(Math.max(0, len - 1));
    this.log.debug({ position: this.lastId, instances: this.engine.instanceCount, feedLength: len }, 'rules snapshot saved');
  }
}

/** Orders Redis stream ids (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}
