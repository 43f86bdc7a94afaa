/**
 * The rules worker's view of the overrides enterprises register
 * (`rule_overrides`): the list in force, re-read when the API announces a
 * change (or the worker polls), and the loose-limit alerts it calls for
 * (loose-limits.ts). The worker applies the list to its engine and persists
 * the findings; this class only reads.
 */
import { findLooseOverrides, type Catalogue, type LooseOverride, type Override } from '../rules/index.ts';
import { overrideOf, type OverrideStore, type StoredOverride } from '../rules/override-store.ts';
import type { AlertStore } from '../store.ts';
import type { Finding } from '../types.ts';
import { LOOSE_LIMIT_RULE_ID, groupLoose, planLooseLimits } from './loose-limits.ts';

export class RegisteredLimits {
  private stored: StoredOverride[] = [];
  private inForce: Override[] = [];
  /** What the loose-limit alerts were last brought in line with. */
  private reconciledKey: string | undefined;

  constructor(
    private readonly overrides: OverrideStore,
    private readonly alerts: AlertStore,
  ) {}

  /** The overrides in force, as the rules take them. */
  get list(): readonly Override[] {
    return this.inForce;
  }

  /** Re-reads the overrides; true when they differ from the ones in force (who / when included). */
  async reload(): Promise<boolean> {
    const list = await this.overrides.list();
    if (JSON.stringify(list) === JSON.stringify(this.stored)) return false;
    this.stored = list;
    this.inForce = list.map(overrideOf);
    return true;
  }

  /**
   * The findings that bring the `common.loose_limit` alerts in line with the
   * overrides in force and `catalogue`, or undefined when neither changed
   * since the last `reconciled(key)` (the first call always plans: a restart
   * raises what is loose and clears what no longer is).
   */
  async plan(catalogue: Catalogue, pointUnit: (l: LooseOverride) => string, now: number): Promise<{ findings: Finding[]; key: string } | undefined> {
    const loose = findLooseOverrides(catalogue, this.inForce);
    const registeredAt = new Map(this.stored.map((s) => [keyOf(s), s.updatedAt]));
    const groups = groupLoose(loose, {
      registeredAt: (l) => registeredAt.get(keyOf({ ...l, sensorId: l.sensorId ?? undefined })) ?? now,
      ruleName: (id) => catalogue.rules.find((r) => r.id === id)?.name,
      pointUnit,
    });
    const key = JSON.stringify(groups);
    if (key === this.reconciledKey) return undefined;
    const active = await this.alerts.activeOfRule(LOOSE_LIMIT_RULE_ID);
    const activeFps = new Set(active.map((a) => a.fingerprint));
    const latest = [];
    for (const g of groups) {
      if (activeFps.has(g.fingerprint)) continue;
      const a = await this.alerts.current(g.fingerprint);
      if (a) latest.push(a);
    }
    return { findings: planLooseLimits(groups, [...active, ...latest], now), key };
  }

  /** The findings of the plan with this key are persisted. */
  reconciled(key: string): void {
    this.reconciledKey = key;
  }
}

const keyOf = (o: Pick<Override, 'enterpriseId' | 'sensorId' | 'ruleId'>): string => `${o.enterpriseId}|${o.sensorId ?? ''}|${o.ruleId}`;
