/**
 * The rules worker: reads the feed (feed-reader.ts) in order, evaluates every rule
 * instance (engine.ts) and turns findings into alert transitions persisted
 * through `applyCommand` (findings.ts). Restart-safe by construction:
 *
 * - The feed holds everything acknowledged to gateways; the worker's position
 *   and all pattern states are snapshotted together in Redis
 *   (snapshot-store.ts), and the feed is trimmed only behind a snapshot. After
 *   a crash the worker restores the last snapshot and replays the feed from its
 *   position, so windows are rebuilt exactly as they were.
 * - Replayed findings carry the same data-time `at` as the first time, and the
 *   alert state machine treats them as duplicates: no alert is lost or opened
 *   twice, and durations run from the real start, not from the restart.
 * - A finding that cannot be persisted (PostgreSQL down) is retried until it
 *   is; the worker does not move past it.
 *
 * Clock ticks (for silence and deadlines) are given only when the worker has
 * caught up with the feed, so a backlog is never mistaken for silence.
 *
 * This class only coordinates, in this order per round: registry changes
 * (ledger-sync.ts, catalogue-reload.ts), planned stops (stop-watch.ts), a read
 * of the feed, a tick when caught up, the sweeps (sweeps.ts), a snapshot. Its collaborators are given:
 * `buildRulesWorker` builds the default ones.
 */
import type { Clock } from '../../core/clock.ts';
import type { PlatformConfig } from '../../core/config.ts';
import type { RedisConnections } from '../../core/connections.ts';
import type { Db, Queryable } from '../../core/db/db.ts';
import type { Logger } from '../../core/logger.ts';
import type { Metrics } from '../../core/metrics.ts';
import { partitionOf } from '../../core/partitions.ts';
import { registryChangedChannel } from '../../core/redis-keys.ts';
import type { Announce } from '../bus.ts';
import { CatalogueSource } from '../rules/catalogue-source.ts';
import { defaultCatalogue, type Catalogue } from '../rules/index.ts';
import { OverrideStore } from '../rules/override-store.ts';
import type { AlertStore } from '../store.ts';
import { CatalogueReload } from './catalogue-reload.ts';
import { CoverageGauge } from './coverage-gauge.ts';
import { PointDirectory } from './directory.ts';
import { RulesEngine } from './engine.ts';
import { compareIds, decodeFields, FeedReader, toRaw } from './feed-reader.ts';
import { FindingWriter, RULES_RETRY } from './findings.ts';
import { LedgerSync } from './ledger-sync.ts';
import { RegisteredLimits } from './registered-limits.ts';
import { FencedError } from './lease.ts';
import { SnapshotFencedError, SnapshotStore, type SnapshotLease } from './snapshot-store.ts';
import { SweepStore } from './sweep-store.ts';
import { StopWatch } from './stop-watch.ts';
import { Sweeps } from './sweeps.ts';
import { backoffDelay, sleep } from '../../core/retry.ts';

export { CHATTERING_RULE_ID } from './sweeps.ts';
/** Rule id of the alert raised when an enterprise registers a limit looser than the standard allows (loose-limits.ts). */
export { LOOSE_LIMIT_RULE_ID } from './loose-limits.ts';
export { compareIds } from './feed-reader.ts';

export interface RulesWorkerDeps {
  store: AlertStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  announce?: Announce;
  /** The process's Redis connections: a dedicated one for the blocking feed read, the shared command one, the channels. */
  redis: RedisConnections;
  /** The catalogue in force (loaded at start, reloaded when its file changes). */
  catalogue: CatalogueSource;
  directory: PointDirectory;
  overrides: OverrideStore;
  engine: RulesEngine;
  sweepStore: SweepStore;
  /** Where the planned stops (停产/检修, ledger/stops.ts) are read; without it no stop is watched (stop-watch.ts). */
  plannedStops?: Queryable | undefined;
  /** The lease this worker runs under in a cluster (lease.ts): its snapshot is saved only while it holds it. */
  lease?: SnapshotLease | undefined;
  /** The partition of the enterprises this worker runs (core/partitions.ts); default: the only one. */
  partition?: { index: number; count: number } | undefined;
  /** Called when a write was refused because the lease is no longer this worker's (lease.ts): its term must end. */
  onFenced?: (() => void) | undefined;
}

type WorkerConfig = Pick<PlatformConfig, 'redisPrefix' | 'rules'>;

export class RulesWorker {
  readonly engine: RulesEngine;
  private readonly log: Logger;
  private readonly snapshots: SnapshotStore;
  private readonly writer: FindingWriter;
  private readonly sweeps: Sweeps;
  private readonly coverage: CoverageGauge;
  private readonly reload: CatalogueReload;
  private readonly ledger: LedgerSync;
  private readonly stops: StopWatch | undefined;
  private feed: FeedReader | undefined;
  private lastId = '0-0';
  private lastTickAt = -Infinity;
  private lastSnapshotAt = 0;
  private lastSweepAt = 0;
  private loop: Promise<void> | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private running = false;
  /** False while a finding of the current entry is not persisted: no snapshot may be taken then. */
  private consistent = true;
  private caughtUp = false;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly config: WorkerConfig,
    private readonly deps: RulesWorkerDeps,
  ) {
    const { store, clock, metrics, announce, engine } = deps;
    const log = (this.log = deps.logger.child({ part: 'rules' }));
    this.engine = engine;
    this.snapshots = new SnapshotStore(deps.redis.command, config.redisPrefix, deps.lease, this.partition);
    this.coverage = new CoverageGauge(engine, metrics);
    this.stops = deps.plannedStops
      ? new StopWatch({
          db: deps.plannedStops,
          store,
          sweepStore: deps.sweepStore,
          engine,
          clock,
          metrics,
          log,
          patternOf: (ruleId) => deps.catalogue.patternOf(ruleId),
          reloadIntervalMs: config.rules.reloadIntervalMs,
          writer: () => this.writer,
        })
      : undefined;
    this.writer = new FindingWriter({
      store,
      clock,
      metrics,
      log,
      ...(announce ? { announce } : {}),
      catalogue: deps.catalogue,
      engine,
      running: () => this.running,
      onFired: (f, applied) => this.sweeps.chattering(f, applied),
      stops: this.stops,
      owns: deps.partition && deps.partition.count > 1 ? ownsOf(deps.partition) : undefined,
    });
    this.sweeps = new Sweeps({ store, sweepStore: deps.sweepStore, engine, writer: this.writer });
    const limits = new RegisteredLimits(deps.overrides, store);
    this.reload = new CatalogueReload({ catalogue: deps.catalogue, limits, engine, coverage: this.coverage, writer: this.writer, clock, metrics, log });
    this.ledger = new LedgerSync({ directory: deps.directory, engine, coverage: this.coverage, reload: this.reload, clock, log });
  }

  /** The partition this worker runs (0 when the feed is not partitioned). */
  get partition(): number {
    return this.deps.partition?.index ?? 0;
  }

  /** The feed position processed so far. */
  get position(): string {
    return this.lastId;
  }

  /** The catalogue in force (undefined before the first start). */
  get catalogue(): Catalogue | undefined {
    return this.deps.catalogue.loaded ? this.deps.catalogue.current() : undefined;
  }

  async start(): Promise<void> {
    const c = this.config.rules;
    const catalogue = await this.reload.load();
    await this.ledger.loadAll();

    const { redis } = this.deps;
    this.feed = new FeedReader(redis.dedicated('rules-reader', { maxRetriesPerRequest: null }), redis.command, this.config.redisPrefix, this.partition);
    await this.ledger.listen(redis.channels, registryChangedChannel(this.config.redisPrefix));
    await this.stops?.listen(redis.channels, registryChangedChannel(this.config.redisPrefix));

    const restored = await this.restoreSnapshot();
    this.coverage.rulesChanged();
    this.log.info(
      {
        instances: this.engine.instanceCount,
        enterprises: this.engine.enterpriseIds().length,
        catalogueVersion: catalogue.version,
        overrides: this.reload.overrideCount,
        position: this.lastId,
        restored,
      },
      'rules worker started',
    );
    this.running = true;
    this.lastSnapshotAt = this.deps.clock.now();
    this.reloadTimer = setInterval(() => this.ledger.poll(), c.reloadIntervalMs);
    this.loop = this.run();
  }

  /** Stops after the entry in progress; takes a final snapshot when consistent. Idempotent. */
  async stop(): Promise<void> {
    if (!this.running && !this.loop) {
      // a start that failed half way: what it opened is closed
      this.feed?.close();
      await this.ledger.close();
      await this.stops?.close();
      return;
    }
    this.running = false;
    if (this.reloadTimer) clearInterval(this.reloadTimer);
    this.feed?.close(); // interrupts a blocking read
    await this.loop;
    this.loop = undefined;
    if (this.consistent) {
      try {
        await this.saveSnapshot();
      } catch (err) {
        this.log.warn({ err }, 'final snapshot failed; the next start replays from the previous one');
      }
    }
    await this.ledger.close();
    await this.stops?.close();
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Resolves once the worker has processed everything in the feed up to now,
   * applied the registry changes (ledger, overrides) announced before the
   * call, and ticked at or after the clock's time of the call (for tests and
   * benchmarks: with a fake clock, set the time, publish, then wait here).
   */
  async drained(timeoutMs = 30_000): Promise<void> {
    if (!this.feed) throw new Error('rules worker not started');
    // Every registry change published before this point has arrived once the barrier resolves.
    await this.ledger.barrier();
    const changes = this.ledger.seen;
    const target = await this.feed.lastGeneratedId();
    const tickAt = this.deps.clock.now();
    const deadline = Date.now() + timeoutMs;
    while (compareIds(this.lastId, target) < 0 || !this.caughtUp || this.lastTickAt < tickAt || this.ledger.applied < changes) {
      if (Date.now() > deadline) throw new Error(`rules worker did not drain to ${target} within ${timeoutMs} ms (at ${this.lastId})`);
      await new Promise<void>((r) => this.waiters.push(r));
      if (!this.running) throw new Error('rules worker stopped');
    }
  }

  private async run(): Promise<void> {
    const c = this.config.rules;
    /** Failed rounds in a row (the loop retries by RULES_RETRY). */
    let failures = 0;
    while (this.running) {
      try {
        await this.ledger.apply();
        await this.stops?.apply();
        // Read before the XREAD: a read that comes back short has seen everything appended up to this moment,
        // so a tick at `now` never outruns data that was already in the feed (whatever the clock does meanwhile).
        const now = this.deps.clock.now();
        const entries = await this.feed!.read(this.lastId, c.readCount, c.tickMs);
        for (const [id, fields] of entries) {
          if (!this.running) break;
          await this.processEntry(id, fields);
        }
        this.caughtUp = entries.length < c.readCount;
        if (this.caughtUp && now - this.lastTickAt >= c.tickMs) {
          this.lastTickAt = now;
          this.consistent = false;
          for (const f of this.engine.tick(now)) await this.writer.persist(f);
          this.consistent = true;
          await this.stops?.tick(now);
          await this.sweeps.shelved(now);
        }
        if (now - this.lastSweepAt >= c.snapshotIntervalMs) {
          this.lastSweepAt = now;
          await this.sweeps.suppressed(now);
        }
        if (now - this.lastSnapshotAt >= c.snapshotIntervalMs) await this.saveSnapshot();
        for (const w of this.waiters.splice(0)) w();
        failures = 0;
      } catch (err) {
        if (!this.running) break;
        if (err instanceof FencedError || err instanceof SnapshotFencedError) {
          // another node runs this partition now: nothing of this worker's is written any more
          this.log.warn({ err: err.message }, 'rules write fenced off: this node lost the partition');
          this.deps.onFenced?.();
        }
        this.deps.metrics.rulesErrors.inc({ stage: 'loop' });
        this.log.error({ err }, 'rules worker loop failed; retrying');
        await sleep(backoffDelay(failures++, RULES_RETRY));
      }
    }
  }

  private async processEntry(id: string, fields: string[]): Promise<void> {
    const { metrics } = this.deps;
    const entry = decodeFields(fields);
    if (!entry) {
      metrics.rulesEntries.inc({ outcome: 'malformed' });
      this.log.warn({ id }, 'malformed feed entry skipped');
      this.lastId = id;
      return;
    }
    this.consistent = false;
    for (const raw of toRaw(entry)) {
      let r = this.engine.observe(raw);
      if (!r.ok && (await this.ledger.afterMiss(entry.g))) r = this.engine.observe(raw);
      if (!r.ok) {
        metrics.rulesObservations.inc({ type: 'unknown_point' });
        continue;
      }
      metrics.rulesObservations.inc({ type: raw.type });
      for (const f of r.findings) await this.writer.persist(f);
      if (this.stops) for (const f of this.stops.observe(raw)) await this.writer.persist(f);
    }
    this.lastId = id;
    this.consistent = true;
    metrics.rulesEntries.inc({ outcome: 'processed' });
  }

  private async restoreSnapshot(): Promise<number> {
    const loaded = await this.snapshots.load();
    if (!loaded) return 0;
    try {
      if (!loaded.ok) throw loaded.err;
      this.lastId = loaded.snapshot.lastId;
      return this.engine.restore(loaded.snapshot.engine);
    } catch (err) {
      this.log.error({ err }, 'rules snapshot unreadable; replaying the whole feed');
      this.lastId = '0-0';
      return 0;
    }
  }

  private async saveSnapshot(): Promise<void> {
    // entries up to the snapshot's position are reflected in it: dropped with the save
    const len = await this.snapshots.save({
      v: 1,
      lastId: this.lastId,
      catalogueVersion: this.engine.catalogueVersion,
      savedAt: this.deps.clock.now(),
      engine: this.engine.snapshot(),
    });
    this.lastSnapshotAt = this.deps.clock.now();
    this.deps.metrics.rulesFeedLag.set(Math.max(0, len - 1));
    this.log.debug({ position: this.lastId, instances: this.engine.instanceCount, feedLength: len }, 'rules snapshot saved');
  }
}

/** Whether an enterprise is in the partition. */
const ownsOf =
  (p: { index: number; count: number }) =>
  (enterpriseId: string): boolean =>
    partitionOf(enterpriseId, p.count) === p.index;

/** What the default collaborators are built from: the worker's own deps without them, and the database they read. */
export type BuildRulesWorkerDeps = Omit<RulesWorkerDeps, 'catalogue' | 'directory' | 'overrides' | 'engine' | 'sweepStore'> & {
  db: Db;
  /** Default: a source of `config.rules.catalogueFile`, or the shipped catalogue. */
  catalogue?: CatalogueSource;
};

/** A rules worker with its default collaborators: the ledger's points, the overrides' table and the alert rows in `db`, a fresh engine. */
export function buildRulesWorker(config: WorkerConfig, deps: BuildRulesWorkerDeps): RulesWorker {
  const { db, ...rest } = deps;
  return new RulesWorker(config, {
    ...rest,
    catalogue: deps.catalogue ?? new CatalogueSource(config.rules.catalogueFile),
    directory: new PointDirectory(db, deps.partition && deps.partition.count > 1 ? ownsOf(deps.partition) : undefined),
    overrides: new OverrideStore(db),
    // the shipped catalogue until start gives it the one in force
    engine: new RulesEngine(defaultCatalogue()),
    sweepStore: new SweepStore(db),
    plannedStops: db,
  });
}
