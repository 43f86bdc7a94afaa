/**
 * Turns the engine's findings into alert transitions persisted through
 * `applyCommand`. A finding that cannot be persisted (PostgreSQL down) is
 * retried until it is: the worker does not move past it (ADR 0005). A raise of
 * a rule the catalogue marks suppressible is held back behind its gateway's
 * active offline alert (`suppressionFor`), or behind a planned stop in force (stop-watch.ts).
 */
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { Metrics } from '../../core/metrics.ts';
import { applyCommand, type Applied } from '../apply.ts';
import { FencedError } from './lease.ts';
import type { Announce } from '../bus.ts';
import type { CatalogueSource } from '../rules/catalogue-source.ts';
import { groupOf, suppressibleByGatewayOffline } from '../rules/index.ts';
import { isActive, suppressionFor, type Command } from '../state/index.ts';
import type { AlertStore } from '../store.ts';
import { fingerprintOf, type Finding } from '../types.ts';
import type { RulesEngine } from './engine.ts';
import { backoffDelay, sleep } from '../../core/retry.ts';

export interface FindingWriterDeps {
  store: AlertStore;
  clock: Clock;
  metrics: Metrics;
  log: Logger;
  announce?: Announce;
  catalogue: CatalogueSource;
  engine: RulesEngine;
  /** False once the worker stops: a finding that fails then is left to the next start. */
  running: () => boolean;
  /** Called when a finding made its alert fire (the chattering check). */
  onFired: (f: Finding, applied: Applied) => Promise<void>;
  /** Planned stops (stop-watch.ts): a silence or offline raise under a stop in force is held back (`stop:<id>`) and counted. */
  stops?: { suppressionFor(f: Finding): string | undefined; suppressed(root: string, applied: Applied): Promise<void> } | undefined;
  /**
   * The enterprises of the worker's partition (default: all). What concerns another enterprise is not written: its
   * partition's worker does it (the sweeps and the planned stops read the whole ledger and every alert).
   */
  owns?: ((enterpriseId: string) => boolean) | undefined;
}

/** The rules worker's retries (its loop, a finding's write): after 100 ms, doubling up to 5 s (the platform's default). */
export const RULES_RETRY = { baseMs: 100, maxMs: 5000 } as const;

export class FindingWriter {
  constructor(private readonly deps: FindingWriterDeps) {}

  /** Persists one finding, retrying until it is persisted (or the worker stops, leaving the entry to the next start). */
  async persist(f: Finding): Promise<void> {
    if (this.deps.owns && !this.deps.owns(f.enterpriseId)) return;
    this.deps.metrics.rulesFindings.inc({ condition: f.condition });
    for (let attempt = 0; ; attempt++) {
      try {
        await this.applyOnce(f);
        return;
      } catch (err) {
        if (err instanceof FencedError) throw err; // another node runs the partition now: not retried
        this.deps.metrics.rulesErrors.inc({ stage: 'persist' });
        this.deps.log.error({ err, ruleId: f.ruleId, enterpriseId: f.enterpriseId, subject: f.subject }, 'could not persist a finding; retrying');
        if (!this.deps.running()) throw err;
        await sleep(backoffDelay(attempt, RULES_RETRY));
      }
    }
  }

  /** Applies one command and records the transition (metric, log); for the sweeps' own alerts and lifts. */
  async command(
    target: { fingerprint: string } | { alertId: string },
    cmd: Command,
    f: Pick<Finding, 'ruleId' | 'enterpriseId' | 'subject'>,
  ): Promise<Applied> {
    if (this.deps.owns && !this.deps.owns(f.enterpriseId)) return { alert: undefined, events: [], outcome: 'stale', before: undefined };
    const applied = await applyCommand(this.deps.store, target, cmd, this.applyOpts());
    this.record(applied, f);
    return applied;
  }

  private async applyOnce(found: Finding): Promise<void> {
    const { store, engine } = this.deps;
    const catalogue = this.deps.catalogue.current();
    // the rules of a consolidation group make one alarm per subject and episode (keyed by the group)
    const group = groupOf(catalogue)(found.ruleId);
    const named = group === undefined || group === found.ruleId ? undefined : catalogue.rules.find((r) => r.id === group);
    const f: Finding = group === undefined ? found : { ...found, group, ...(named && { groupRule: { id: named.id, version: named.version } }) };
    // a planned stop first: what it holds back stays held back until the stop is over, whatever the gateway does
    let suppressedBy: string | undefined = this.deps.stops?.suppressionFor(f);
    if (suppressedBy === undefined && f.condition === 'raise' && f.severity !== 'red' && suppressibleByGatewayOffline(catalogue)(f.ruleId)) {
      const active = await store.active(f.enterpriseId);
      suppressedBy = suppressionFor(f, active, {
        gatewayOf: (ent, subject) => engine.point(ent, subject)?.gatewayId,
        suppressible: suppressibleByGatewayOffline(catalogue),
      })?.suppressedBy;
    }
    const applied = await this.command({ fingerprint: fingerprintOf(f) }, { type: 'finding', finding: f, suppressedBy, receivedAt: this.deps.clock.now() }, f);
    // an alarm opened under the rule's own key before the rule joined its group (an upgrade) still clears
    if (f.condition === 'clear' && group !== undefined && group !== found.ruleId && isActive(await store.current(fingerprintOf(found))))
      await this.command({ fingerprint: fingerprintOf(found) }, { type: 'finding', finding: found, receivedAt: this.deps.clock.now() }, found);
    if (suppressedBy !== undefined) await this.deps.stops?.suppressed(suppressedBy, applied);
    if (applied.outcome === 'fired' || (applied.outcome === 'opened' && applied.alert?.state === 'firing')) await this.deps.onFired(f, applied);
  }

  private applyOpts() {
    return this.deps.announce ? { forMs: 0, announce: this.deps.announce } : { forMs: 0 };
  }

  private record(applied: Applied, f: Pick<Finding, 'ruleId' | 'enterpriseId' | 'subject'>): void {
    this.deps.metrics.alertTransitions.inc({ outcome: applied.outcome });
    if (applied.events.length === 0) return;
    const a = applied.alert!;
    this.deps.log.info(
      { alertId: a.id, ruleId: f.ruleId, enterpriseId: f.enterpriseId, subject: f.subject, severity: a.severity, state: a.state, outcome: applied.outcome },
      'alert transition',
    );
  }
}
