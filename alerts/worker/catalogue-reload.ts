/**
 * The rules in force follow their two sources without a restart: the
 * catalogue (file re-read when its mtime changed, `CatalogueSource.reload`;
 * an invalid one is refused, logged, and the current one stays) and the
 * overrides enterprises register (re-read when announced or polled, with the
 * `common.loose_limit` alerts they call for). Called by the worker between
 * feed entries only: the rules never change under an entry being evaluated.
 */
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { Metrics } from '../../core/metrics.ts';
import type { CatalogueSource } from '../rules/catalogue-source.ts';
import type { Catalogue, LooseOverride } from '../rules/index.ts';
import type { CoverageGauge } from './coverage-gauge.ts';
import type { RulesEngine } from './engine.ts';
import type { FindingWriter } from './findings.ts';
import type { RegisteredLimits } from './registered-limits.ts';

export interface CatalogueReloadDeps {
  catalogue: CatalogueSource;
  limits: RegisteredLimits;
  engine: RulesEngine;
  coverage: CoverageGauge;
  writer: Pick<FindingWriter, 'persist'>;
  clock: Clock;
  metrics: Metrics;
  log: Logger;
}

export class CatalogueReload {
  constructor(private readonly deps: CatalogueReloadDeps) {}

  /** How many overrides are in force. */
  get overrideCount(): number {
    return this.deps.limits.list.length;
  }

  /** At start: loads the catalogue and the overrides and gives them to the engine. */
  async load(): Promise<Catalogue> {
    const catalogue = await this.deps.catalogue.load();
    await this.deps.limits.reload();
    this.deps.engine.setCatalogue(catalogue, this.deps.limits.list);
    return catalogue;
  }

  /**
   * Re-reads the catalogue file when it changed; an invalid one is refused (logged) and the current one stays.
   * True when a new catalogue is in force: the standard's limits may have changed, so the loose-limit alerts are
   * to be re-checked.
   */
  async reloadCatalogue(): Promise<boolean> {
    const { catalogue, engine, metrics, log } = this.deps;
    const file = catalogue.file;
    if (!file || !catalogue.loaded) return false;
    try {
      const r = await catalogue.reload();
      if (r.outcome === 'unchanged') return false;
      if (r.outcome === 'refused') {
        metrics.rulesErrors.inc({ stage: 'catalogue' });
        log.error({ file, errors: r.errors }, 'rule catalogue refused; keeping the current one');
        return false;
      }
      engine.setCatalogue(catalogue.current());
      this.deps.coverage.rulesChanged();
      log.info({ file, version: r.version, changes: r.changes, instances: engine.instanceCount }, 'rule catalogue reloaded');
      return true;
    } catch (err) {
      metrics.rulesErrors.inc({ stage: 'catalogue' });
      log.error({ err, file }, 'rule catalogue could not be read; keeping the current one');
      return false;
    }
  }

  /**
   * Re-reads the registered overrides: re-resolves the enterprises whose
   * overrides changed, then raises a `common.loose_limit` alert for each
   * registration looser than the standard and clears those no longer loose.
   */
  async applyOverrides(): Promise<void> {
    const { limits, engine } = this.deps;
    const catalogue = this.deps.catalogue.current();
    if (await limits.reload()) {
      engine.setCatalogue(catalogue, limits.list);
      this.deps.coverage.rulesChanged();
      this.deps.log.info({ overrides: limits.list.length, instances: engine.instanceCount }, 'rule overrides applied');
    }
    const plan = await limits.plan(catalogue, (l) => this.pointUnit(l), this.deps.clock.now());
    if (!plan) return;
    for (const f of plan.findings) await this.deps.writer.persist(f);
    limits.reconciled(plan.key);
  }

  /** The unit of the point(s) a loose override is registered for: the sensor's, or the one all the rule's points share. */
  private pointUnit(l: LooseOverride): string {
    const { engine } = this.deps;
    if (l.sensorId !== null) return engine.point(l.enterpriseId, l.sensorId)?.unit ?? '';
    const units = new Set(engine.rulesOf(l.enterpriseId).flatMap((r) => (r.id === l.ruleId ? [r.anchor.unit] : [])));
    return units.size === 1 ? [...units][0]! : '';
  }
}
