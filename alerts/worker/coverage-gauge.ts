/**
 * The `nss_points_unmonitored` gauge and the rule instance count, kept in line
 * with the rules in force: per enterprise, the points left unmonitored or with
 * default limits only (`coverageOf`), summed over the enterprises the engine
 * knows.
 */
import type { Metrics } from '../../core/metrics.ts';
import { coverageOf } from '../rules/index.ts';
import type { RulesEngine } from './engine.ts';

export class CoverageGauge {
  /** Per enterprise: points unmonitored / with default limits only (the `nss_points_unmonitored` gauge sums them). */
  private readonly uncovered = new Map<string, { unmonitored: number; default: number }>();

  constructor(
    private readonly engine: RulesEngine,
    private readonly metrics: Metrics,
  ) {}

  /** The rules in force changed for `enterpriseIds` (default: all): the instance count and the coverage gauge follow. */
  rulesChanged(enterpriseIds: readonly string[] = this.engine.enterpriseIds()): void {
    this.metrics.rulesInstances.set(this.engine.instanceCount);
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
    this.metrics.pointsUnmonitored.set({ status: 'unmonitored' }, unmonitored);
    this.metrics.pointsUnmonitored.set({ status: 'default' }, withDefaults);
  }
}
