/**
 * The rules worker's view of the planned stops (停产/检修, ledger/stops.ts; decisions in planned-stops.ts,
 * ADR 0009). Loaded at start and again when the API announces a change (`STOPS_CHANGED` on the
 * registry-changed channel, as the overrides are) or every `reloadIntervalMs` (a lost announcement only
 * delays a change by one interval). Its parts of the worker's round:
 *
 * - `suppressionFor(f)` (FindingWriter): the `stop:<id>` root a silence or offline raise is held back by;
 *   `suppressed(root, applied)` counts an alert held back (metric, and the stop's `suppressed_alerts`);
 * - `observe(raw)` (each feed entry): a production signal `running` during a stop raises
 *   `common.production_during_stop`; `stopped` clears it;
 * - `apply()` (between entries): reloads when due and brings the stops' alerts in line with the record
 *   (an ended or cancelled stop clears its overrun and its production alerts);
 * - `tick(now)` (when caught up): raises the overrun of a stop past its expected end, and lifts the
 *   suppressions of a stop that is over once its points had 3 periods to report again (as the root-cause
 *   sweep does behind a gateway, sweeps.ts).
 *
 * Restart-safe: the overrun and production alerts in force are read back from the alert store at each
 * load; replayed findings are duplicates to the state machine.
 */
import type { Clock } from '../../core/clock.ts';
import type { ChannelHub } from '../../core/connections.ts';
import type { Queryable } from '../../core/db/db.ts';
import type { Logger } from '../../core/logger.ts';
import type { Metrics } from '../../core/metrics.ts';
import { countSuppressed, stopsByIds, stopsForRules } from '../../ledger/stops.ts';
import type { Applied } from '../apply.ts';
import type { Alert } from '../state/index.ts';
import type { AlertStore } from '../store.ts';
import { fingerprintOf, type Finding } from '../types.ts';
import type { RawObservation, RulesEngine } from './engine.ts';
import type { FindingWriter } from './findings.ts';
import {
  closedAt,
  inForce,
  overrunDecision,
  overrunFinding,
  PRODUCTION_DURING_STOP_RULE_ID,
  productionDecision,
  productionFinding,
  STOP_OVERRUN_RULE_ID,
  stopCovering,
  stopIdOfRoot,
  stopSuppressionFor,
  toWindow,
  type StopPoint,
  type StopWindow,
} from './planned-stops.ts';
import type { SweepStore } from './sweep-store.ts';

/** The registry-changed message announcing that planned stops changed (a gateway called `stops` is reloaded too: one query). */
export const STOPS_CHANGED = 'stops';

/** Closed stops the worker keeps watching for a day (platform default), so that late data and the lifts find them. */
const CLOSED_KEPT_MS = 86_400_000;

export interface StopWatchDeps {
  db: Queryable;
  store: AlertStore;
  sweepStore: SweepStore;
  engine: RulesEngine;
  clock: Clock;
  metrics: Metrics;
  log: Logger;
  /** The pattern of a rule of the catalogue in force. */
  patternOf: (ruleId: string) => string | undefined;
  /** How often the stops are re-read without an announcement (the worker's `rules.reloadIntervalMs`). */
  reloadIntervalMs: number;
  writer: () => Pick<FindingWriter, 'persist' | 'command'>;
}

export class StopWatch {
  private byEnterprise = new Map<string, StopWindow[]>();
  private byId = new Map<string, StopWindow>();
  private stale = true;
  private loadedAt = -Infinity;
  /** Stops whose overrun raise this process has applied (a disposed one is not raised again every round). */
  private readonly overrunRaised = new Set<string>();
  /** Active production-during-stop alerts, by fingerprint. */
  private readonly production = new Map<string, { enterpriseId: string; pointId: string; lastFindingAt: number }>();
  /** When held-back alerts are next due for a lift check (-Infinity: now — a stop closed, or at start; undefined: none waits). */
  private liftAt: number | undefined = -Infinity;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly deps: StopWatchDeps) {}

  /** Stops known, for tests and logs. */
  get count(): number {
    return this.byId.size;
  }

  /** Listens for `STOPS_CHANGED`; the next `apply` (re)loads in any case (a start, or a restart in the same process). */
  async listen(channels: ChannelHub, channel: string): Promise<void> {
    this.stale = true;
    this.unsubscribe = await channels.subscribe(channel, (m) => {
      if (m === STOPS_CHANGED) this.stale = true;
    });
  }

  async close(): Promise<void> {
    const u = this.unsubscribe;
    this.unsubscribe = undefined;
    await u?.();
  }

  /** Reloads when announced or due, and brings the stops' alerts in line. Between feed entries. */
  async apply(): Promise<void> {
    const now = this.deps.clock.now();
    if (!this.stale && now - this.loadedAt < this.deps.reloadIntervalMs) return;
    this.stale = false;
    try {
      await this.load(now);
      await this.reconcile(now);
    } catch (err) {
      this.stale = true;
      throw err;
    }
  }

  /** The `stop:<id>` root a finding is held back by (undefined: not held back by a stop). */
  suppressionFor(f: Finding): string | undefined {
    const stops = this.byEnterprise.get(f.enterpriseId);
    if (!stops || f.condition !== 'raise') return undefined;
    return stopSuppressionFor(f, stops, this.pointsOf(f.enterpriseId), this.deps.patternOf, this.deps.clock.now());
  }

  /** An alert was applied with `root`: counts it when it was held back by a stop just now. */
  async suppressed(root: string, applied: Applied): Promise<void> {
    const id = stopIdOfRoot(root);
    if (id === undefined || !applied.events.some((e) => e.type === 'suppressed' && e.suppressedBy === root)) return;
    this.deps.metrics.rulesStopSuppressed.inc();
    // held back by a stop already closed (a silence that began during it, judged after): due for a lift
    const s = this.byId.get(id);
    if (!s || closedAt(s) !== undefined) this.liftAt = -Infinity;
    try {
      await countSuppressed(this.deps.db, id);
    } catch (err) {
      this.deps.log.warn({ err, stopId: id }, "could not count an alert held back by a planned stop (the alert's events record it)");
    }
  }

  /** A feed observation: production signals during a stop. */
  observe(raw: RawObservation): Finding[] {
    if (raw.type !== 'signal') return [];
    const point = this.deps.engine.point(raw.enterpriseId, raw.pointId);
    const stops = this.byEnterprise.get(raw.enterpriseId) ?? [];
    // only a production signal of an enterprise with stops on record (or one still flagged) is of interest: no per-signal work otherwise
    if (
      point?.kind !== 'production' ||
      (stops.length === 0 &&
        !this.production.has(fingerprintOf({ ruleId: PRODUCTION_DURING_STOP_RULE_ID, enterpriseId: raw.enterpriseId, subject: raw.pointId })))
    )
      return [];
    const d = productionDecision(raw, point?.kind, stops, this.pointsOf(raw.enterpriseId));
    if (!d || !point) return [];
    const fp = fingerprintOf({ ruleId: PRODUCTION_DURING_STOP_RULE_ID, enterpriseId: raw.enterpriseId, subject: raw.pointId });
    const known = this.production.get(fp);
    if (d.condition === 'clear') {
      if (!known) return [];
      this.production.delete(fp);
      return [productionFinding(raw, 'clear', Math.max(raw.ts, known.lastFindingAt), undefined)];
    }
    if (known) return [];
    this.production.set(fp, { enterpriseId: raw.enterpriseId, pointId: raw.pointId, lastFindingAt: raw.ts });
    const evidence = [{ type: 'signal' as const, point: { ...point, kind: 'production' as const }, state: raw.state, ts: raw.ts }];
    return [productionFinding(raw, 'raise', raw.ts, d.stop, evidence)];
  }

  /** The clock moved (the worker has caught up): overruns, and lifts of held-back alerts. */
  async tick(now: number): Promise<void> {
    const writer = this.deps.writer();
    for (const s of this.byId.values()) {
      if (this.overrunRaised.has(s.id) || overrunDecision(s, now) !== 'raise') continue;
      await writer.persist(overrunFinding(s, 'raise', s.expectedEndAt));
      this.overrunRaised.add(s.id);
    }
    if (this.liftAt !== undefined && now >= this.liftAt) this.liftAt = await this.lift(now);
  }

  private async load(now: number): Promise<void> {
    const windows = (await stopsForRules(this.deps.db, now, CLOSED_KEPT_MS)).map(toWindow);
    const closedSince = [...this.byId.values()].filter((s) => closedAt(s) === undefined).map((s) => s.id);
    this.byId = new Map(windows.map((s) => [s.id, s]));
    this.byEnterprise = new Map();
    for (const s of windows) this.byEnterprise.set(s.enterpriseId, [...(this.byEnterprise.get(s.enterpriseId) ?? []), s]);
    this.loadedAt = now;
    // a stop that was open and is closed (or gone) now: what it held back may be lifted
    if (
      closedSince.some((id) => {
        const s = this.byId.get(id);
        return !s || closedAt(s) !== undefined;
      })
    )
      this.liftAt = -Infinity;
    for (const id of this.overrunRaised) if (!this.byId.has(id)) this.overrunRaised.delete(id);
  }

  /** Clears the overrun and production alerts no stop in force stands behind any more. */
  private async reconcile(now: number): Promise<void> {
    const writer = this.deps.writer();
    const overruns = await this.deps.store.activeOfRule(STOP_OVERRUN_RULE_ID);
    const unknown = overruns.map((a) => a.subject.slice('stop:'.length)).filter((id) => !this.byId.has(id));
    const fetched = new Map((await stopsByIds(this.deps.db, unknown)).map((s) => [s.id, toWindow(s)]));
    for (const a of overruns) {
      const id = a.subject.slice('stop:'.length);
      const s = this.byId.get(id) ?? fetched.get(id);
      if (s && overrunDecision(s, now) === 'raise') {
        this.overrunRaised.add(id);
        continue;
      }
      if (s && overrunDecision(s, now) === 'none') continue;
      const at = Math.max((s && closedAt(s)) ?? now, a.lastFindingAt);
      await writer.persist(
        s ? overrunFinding(s, 'clear', at) : { ...clearOf(a, at), message: { zh: `停产记录 ${id} 已不存在`, en: `stop ${id} is no longer on record` } },
      );
    }
    this.production.clear();
    for (const a of await this.deps.store.activeOfRule(PRODUCTION_DURING_STOP_RULE_ID)) {
      const stops = this.byEnterprise.get(a.enterpriseId) ?? [];
      if (stopCovering(stops, a.enterpriseId, a.subject, now, this.pointsOf(a.enterpriseId))) {
        this.production.set(a.fingerprint, { enterpriseId: a.enterpriseId, pointId: a.subject, lastFindingAt: a.lastFindingAt });
        continue;
      }
      // cleared when the stop that stood behind it closed (the latest such), else now
      const ends = stops.map(closedAt).filter((t): t is number => t !== undefined && t >= a.startedAt && t <= now);
      const at = Math.max(ends.length > 0 ? Math.max(...ends) : now, a.lastFindingAt);
      await writer.persist(productionFinding({ enterpriseId: a.enterpriseId, pointId: a.subject, state: 'stopped', ts: at }, 'clear', at, undefined));
    }
  }

  /** Lifts what stops that are over held back, once 3 periods have passed since; answers when the next one is due (undefined: none waits). */
  private async lift(now: number): Promise<number | undefined> {
    const rows = (await this.deps.sweepStore.suppressed()).filter((r) => stopIdOfRoot(r.root) !== undefined);
    const unknown = [...new Set(rows.map((r) => stopIdOfRoot(r.root)!).filter((id) => !this.byId.has(id)))];
    const fetched = new Map((await stopsByIds(this.deps.db, unknown)).map((s) => [s.id, toWindow(s)]));
    let next: number | undefined;
    for (const r of rows) {
      const id = stopIdOfRoot(r.root)!;
      const s = this.byId.get(id) ?? fetched.get(id);
      if (s && closedAt(s) === undefined) continue; // still in force (or overrunning): still held back
      const end = (s && closedAt(s)) ?? now;
      const periodMs = (this.deps.engine.point(r.enterprise_id, r.subject)?.periodS ?? 60) * 1000;
      if (now - end < 3 * periodMs) {
        next = Math.min(next ?? Infinity, end + 3 * periodMs);
        continue;
      }
      await this.deps
        .writer()
        .command(
          { alertId: r.id },
          { type: 'unsuppress', at: end },
          { ruleId: r.fingerprint.split('|')[0]!, enterpriseId: r.enterprise_id, subject: r.subject },
        );
    }
    return next;
  }

  private pointsOf(enterpriseId: string): StopPoint[] {
    return this.deps.engine.pointsOf(enterpriseId);
  }

  /** For tests: whether a stop is in force at `at`. */
  inForce(stopId: string, at: number): boolean {
    const s = this.byId.get(stopId);
    return s !== undefined && inForce(s, at);
  }
}

function clearOf(a: Alert, at: number): Finding {
  return {
    ruleId: a.ruleId,
    ruleVersion: a.ruleVersion,
    enterpriseId: a.enterpriseId,
    subject: a.subject,
    condition: 'clear',
    severity: a.severity,
    at,
    message: a.message,
    evidence: [],
  };
}
