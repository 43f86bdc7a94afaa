/**
 * Methane by location (《煤矿安全规程》第四百九十八条) and wind speed by roadway
 * type (第一百三十六条): every row of both tables becomes a rule with the row's
 * limits and citation; a methane sensor without a location gets the
 * strictest limits as a fallback; the platform's own timings say so.
 */
import { describe, expect, it } from 'vitest';
import type { RulePoint } from '../../../alerts/rules/limits.ts';
import { METHANE_LOCATIONS, ROADWAY_TYPES, UNLOCATED_METHANE } from '../../../alerts/rules/mine-tables.ts';
import { defaultCatalogue } from '../../../alerts/rules/packs/index.ts';
import { initState, resolveRules, stepRule, type ResolvedRule } from '../../../alerts/rules/resolve.ts';
import type { Finding } from '../../../alerts/types.ts';

const catalogue = defaultCatalogue();
const point = (kind: string, role: string | undefined, unit: string): RulePoint => ({
  enterpriseId: 'E-M',
  gatewayId: 'GW-M',
  id: 'S-1',
  kind,
  unit,
  periodS: 5,
  sector: 'mine',
  ...(role === undefined ? {} : { role }),
});
const methane = (role?: string) => point('methane', role, '%CH4');
const threshold = (rules: ResolvedRule[], prefix: string) => rules.filter((r) => r.pattern === 'threshold' && r.id.startsWith(prefix));

/** Feeds readings (one per 5 s) and returns `raise:<severity>` / `clear` per finding. */
function drive(rule: ResolvedRule, values: number[]): string[] {
  let state = initState(rule);
  const out: string[] = [];
  values.forEach((value, i) => {
    const r = stepRule(rule, state, { type: 'reading', point: rule.anchor, value, quality: 'good', ts: 1_000_000 + i * 5000 });
    state = r.state;
    out.push(...r.findings.map((f: Finding) => (f.condition === 'raise' ? `raise:${f.severity}` : 'clear')));
  });
  return out;
}

describe('methane by location (第四百九十八条)', () => {
  it('the table has every location the issue names', () => {
    const ids = METHANE_LOCATIONS.map((l) => l.id);
    for (const id of [
      'upper_corner',
      'working_face',
      'return_airway',
      'heading_face',
      'heading_return',
      'district_return',
      'main_return',
      'intake_high_gas',
      'gas_drainage_roadway',
      'shearer',
      'roadheader',
      'coal_bunker',
    ])
      expect(ids).toContain(id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(METHANE_LOCATIONS.map((l) => ({ ...l, name: l.id })))('$name: alarm $alarm %, power-off $powerOff %', (l) => {
    const rules = resolveRules(catalogue, [], methane(l.id));
    const [rule] = threshold(rules, 'mine.methane.');
    expect(threshold(rules, 'mine.methane.').map((r) => r.id)).toEqual([`mine.methane.${l.id}`]);
    if (rule?.pattern !== 'threshold') throw new Error('no threshold rule');
    const levels = Object.entries(rule.params.levels).map(([k, v]) => [k, v.threshold, v.severity]);
    if (l.powerOff === null) expect(levels).toEqual([['alarm', l.alarm, 'orange']]);
    else if (l.powerOff === l.alarm) expect(levels).toEqual([['power_off', l.powerOff, 'red']]);
    else
      expect(levels).toEqual([
        ['alarm', l.alarm, 'orange'],
        ['power_off', l.powerOff, 'red'],
      ]);
    expect(rule.standard).toContain('第四百九十八条');
    expect(rule.standard).toContain(l.zh);
    if (l.checked === 'memory') expect(rule.standard).toContain('未与规程原文核对');
    expect(rule.fallback).toBeUndefined();
    // a power-off row has its power-off failure rule, at the power-off concentration
    const failure = rules.find((r) => r.id === `mine.methane.power_off_failure.${l.id}`);
    if (l.powerOff === null) expect(failure).toBeUndefined();
    else expect(failure?.pattern === 'interlock_failure' && failure.params.trigger).toMatchObject({ threshold: l.powerOff });
  });

  it.each([
    // power-off (red) holds until the restore concentration (< 1.0 %)
    { role: 'upper_corner', values: [0.5, 1.0, 1.6, 1.2, 0.9], want: ['raise:orange', 'raise:red', 'clear'] },
    { role: 'return_airway', values: [0.5, 1.0, 0.9], want: ['raise:red', 'clear'] },
    { role: 'main_return', values: [0.7, 0.75, 2.0, 0.7], want: ['raise:orange', 'clear'] },
    { role: 'gas_drainage_roadway', values: [1.5, 2.4, 2.5], want: ['raise:red'] },
    { role: 'intake_high_gas', values: [0.4, 0.5], want: ['raise:red'] },
  ])('$role: $values → $want', ({ role, values, want }) => {
    const [rule] = threshold(resolveRules(catalogue, [], methane(role)), `mine.methane.${role}`);
    expect(drive(rule!, values)).toEqual(want);
  });

  it('regression: a methane sensor without a location is monitored at the strictest limits, as a fallback', () => {
    const rules = resolveRules(catalogue, [], methane(undefined));
    const own = threshold(rules, 'mine.methane.');
    expect(own.map((r) => r.id)).toEqual(['mine.methane.unlocated']);
    expect(own[0]!.fallback?.zh).toContain('未登记');
    expect(drive(own[0]!, [0.3, UNLOCATED_METHANE.alarm])).toEqual(['raise:red']);
    // no power-off failure rule: nothing says which feed it cuts
    expect(rules.some((r) => r.id.startsWith('mine.methane.power_off_failure'))).toBe(false);
  });

  it('the 40 s power-off response is labelled as the platform’s choice, not the regulation’s', () => {
    for (const r of catalogue.rules.filter((x) => x.id.startsWith('mine.methane.power_off_failure.'))) {
      expect(r.standard).toContain('平台默认');
      expect(r.standardLimits.find((l) => l.param === 'responseMs')?.standard).toContain('平台默认');
    }
  });
});

describe('wind speed by roadway type (第一百三十六条)', () => {
  const wind = (role?: string) => resolveRules(catalogue, [], point('wind_speed', role, 'm/s'));
  const limitsOf = (rules: ResolvedRule[]) =>
    Object.fromEntries(
      threshold(rules, 'mine.wind_speed').map((r) => {
        if (r.pattern !== 'threshold') throw new Error('not threshold');
        return [r.params.direction, Object.values(r.params.levels)[0]!.threshold];
      }),
    );

  it.each(ROADWAY_TYPES.map((t) => ({ ...t, name: t.id })))('$name: min $min, max $max m/s', (t) => {
    const rules = wind(t.id);
    expect(limitsOf(rules)).toEqual({ ...(t.min === null ? {} : { low: t.min }), ...(t.max === null ? {} : { high: t.max }) });
    for (const r of threshold(rules, 'mine.wind_speed')) {
      expect(r.standard).toContain('第一百三十六条');
      expect(r.standard).toContain(t.zh);
      expect(r.fallback).toBeUndefined();
    }
  });

  it('regression: the face range is not applied to a main airway (max 8 m/s, no minimum)', () => {
    expect(limitsOf(wind('main_airway'))).toEqual({ high: 8 });
  });

  it('a wind-speed sensor without a roadway type gets the face range as a fallback', () => {
    const rules = threshold(wind(undefined), 'mine.wind_speed');
    expect(limitsOf(rules)).toEqual({ low: 0.25, high: 4 });
    expect(rules.every((r) => r.fallback !== undefined)).toBe(true);
  });
});
