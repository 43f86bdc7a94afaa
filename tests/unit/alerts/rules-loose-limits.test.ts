/**
 * Registered limits looser than the standard as `common.loose_limit` alerts
 * (alerts/worker/loose-limits.ts): one alert per registered override, its
 * message naming the registered value and the standard's, and the plan that
 * raises what is loose and clears what no longer is, so that running it again
 * (after a restart) changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { findLooseOverrides, type LooseOverride, type Override } from '../../../alerts/rules/overrides.ts';
import { defaultCatalogue } from '../../../alerts/rules/packs/index.ts';
import { transition, type Alert } from '../../../alerts/state/index.ts';
import { LOOSE_LIMIT_RULE_ID, groupLoose, looseLimitSubject, paramUnit, planLooseLimits, type LooseContext } from '../../../alerts/worker/loose-limits.ts';
import { fingerprintOf } from '../../../alerts/types.ts';

const catalogue = defaultCatalogue();
const NOW = Date.UTC(2025, 0, 10, 8, 0);
const REGISTERED = NOW - 3_600_000;
const ctx: LooseContext = {
  registeredAt: () => REGISTERED,
  ruleName: (id) => catalogue.rules.find((r) => r.id === id)?.name,
  pointUnit: () => '%LEL',
};
const combustible = (params: Record<string, unknown>, sensorId?: string): Override => ({
  enterpriseId: 'E1',
  ...(sensorId === undefined ? {} : { sensorId }),
  ruleId: 'gas.combustible',
  params,
});
const groupsOf = (overrides: Override[]) => groupLoose(findLooseOverrides(catalogue, overrides), ctx);
const FP = fingerprintOf({ ruleId: LOOSE_LIMIT_RULE_ID, enterpriseId: 'E1', subject: 'limit:gas.combustible@GT-101' });

const alert = (over: Partial<Alert>): Alert => ({
  id: 'a1',
  fingerprint: FP,
  ruleId: LOOSE_LIMIT_RULE_ID,
  ruleVersion: 1,
  enterpriseId: 'E1',
  subject: 'limit:gas.combustible@GT-101',
  severity: 'orange',
  severitySince: REGISTERED,
  state: 'firing',
  startedAt: REGISTERED,
  lastFindingAt: REGISTERED,
  firedAt: REGISTERED,
  occurrences: 1,
  message: { zh: '', en: '' },
  evidence: [],
  escalations: 0,
  ...over,
});

describe('loose-limit subject and message', () => {
  it('names the rule and the sensor, or * for every point of the enterprise', () => {
    expect(looseLimitSubject({ ruleId: 'gas.combustible', sensorId: 'GT-101' })).toBe('limit:gas.combustible@GT-101');
    expect(looseLimitSubject({ ruleId: 'gas.combustible', sensorId: null })).toBe('limit:gas.combustible@*');
  });

  it.each([
    { param: 'levels.level1.threshold', want: '%LEL' },
    { param: 'deadband', want: '%LEL' },
    { param: 'responseMs', want: 'ms' },
    { param: 'minDetectors', want: '' },
  ])('$param is in "$want"', ({ param, want }) => {
    expect(paramUnit(param, '%LEL')).toBe(want);
  });

  it('says what was registered, the standard’s limit and which standard, in Chinese and English', () => {
    const [g] = groupsOf([combustible({ levels: { level1: { threshold: 30 } } }, 'GT-101')]);
    expect(g!.message.zh).toContain('GT-101 可燃气体浓度报警（gas.combustible）');
    expect(g!.message.zh).toContain('登记报警值 30 %LEL 宽于标准上限 25 %LEL（GB/T 50493-2019');
    expect(g!.message.zh).toMatch(/，按标准值执行$/);
    expect(g!.message.en).toContain("registered levels.level1.threshold 30 %LEL is looser than the standard's maximum 25 %LEL (GB/T 50493-2019");
  });

  it('calls a limit on a falling value a minimum (下限)', () => {
    const [g] = groupLoose(
      findLooseOverrides(catalogue, [{ enterpriseId: 'E1', ruleId: 'gas.oxygen.low', params: { levels: { deficiency: { threshold: 18 } } } }]),
      {
        ...ctx,
        pointUnit: () => '%vol',
      },
    );
    expect(g!.message.zh).toContain('全部测点');
    expect(g!.message.zh).toContain('登记报警值 18 %vol 宽于标准下限 19.5 %vol');
    expect(g!.message.en).toContain("the standard's minimum 19.5 %vol");
  });

  it('makes one alert of an override with several loose limits, and none of a stricter one', () => {
    const groups = groupsOf([
      combustible({ levels: { level1: { threshold: 30 }, level2: { threshold: 60 } } }, 'GT-101'),
      combustible({ levels: { level1: { threshold: 20 } } }, 'GT-102'),
    ]);
    expect(groups.map((g) => [g.subject, g.limits.map((l) => l.param)])).toEqual([
      ['limit:gas.combustible@GT-101', ['levels.level1.threshold', 'levels.level2.threshold']],
    ]);
    expect(groups[0]!.message.zh.split('；')).toHaveLength(2);
  });
});

describe('planLooseLimits', () => {
  const loose = groupsOf([combustible({ levels: { level1: { threshold: 30 } } }, 'GT-101')]);
  const later = NOW + 60_000;

  it.each<{ name: string; loose: typeof loose; alerts: Alert[]; want: { condition: string; at: number }[] }>([
    { name: 'loose, never alerted: raise now', loose, alerts: [], want: [{ condition: 'raise', at: NOW }] },
    { name: 'loose, alert firing: nothing (a restart does not raise it again)', loose, alerts: [alert({})], want: [] },
    { name: 'loose, alert acknowledged: nothing', loose, alerts: [alert({ state: 'acknowledged' })], want: [] },
    {
      name: 'loose again after it was corrected: a new episode',
      loose,
      alerts: [alert({ state: 'resolved', resolvedAt: NOW - 1000 })],
      want: [{ condition: 'raise', at: NOW }],
    },
    {
      name: 'loose again, cleared at this very ms: raised just after, not stale',
      loose,
      alerts: [alert({ state: 'resolved', lastFindingAt: NOW, resolvedAt: NOW })],
      want: [{ condition: 'raise', at: NOW + 1 }],
    },
    {
      name: 'loose, disposed by an officer after it was registered: nothing',
      loose,
      alerts: [alert({ state: 'disposed', disposedAt: REGISTERED + 1000 })],
      want: [],
    },
    {
      name: 'loose, registered again after the disposal: raise',
      loose: loose.map((g) => ({ ...g, registeredAt: later })),
      alerts: [alert({ state: 'disposed', disposedAt: REGISTERED + 1000 })],
      want: [{ condition: 'raise', at: NOW }],
    },
    { name: 'corrected or deleted, alert firing: clear now', loose: [], alerts: [alert({})], want: [{ condition: 'clear', at: NOW }] },
    { name: 'corrected, alert already resolved: nothing', loose: [], alerts: [alert({ state: 'resolved', resolvedAt: NOW - 1 })], want: [] },
    {
      name: 'corrected, the alert’s latest raise is in the future of the clock: clear at it, not before',
      loose: [],
      alerts: [alert({ lastFindingAt: later })],
      want: [{ condition: 'clear', at: later }],
    },
    { name: 'other rules’ alerts are none of its business', loose: [], alerts: [alert({ ruleId: 'gas.combustible', fingerprint: 'x' })], want: [] },
  ])('$name', ({ loose: groups, alerts, want }) => {
    const findings = planLooseLimits(groups, alerts, NOW);
    expect(findings.map((f) => ({ condition: f.condition, at: f.at }))).toEqual(want);
    for (const f of findings) expect(f).toMatchObject({ ruleId: LOOSE_LIMIT_RULE_ID, enterpriseId: 'E1', subject: 'limit:gas.combustible@GT-101' });
  });

  it('raises orange, and running the plan again on the result changes nothing (restart-safe)', () => {
    const [raise] = planLooseLimits(loose, [], NOW);
    expect(raise).toMatchObject({ severity: 'orange', message: loose[0]!.message, evidence: [] });
    const opened = transition(undefined, { type: 'finding', finding: raise! }, { forMs: 0, newId: () => 'a1' });
    expect(opened).toMatchObject({ outcome: 'opened', alert: { state: 'firing' } });
    expect(planLooseLimits(loose, [opened.alert!], NOW + 5000)).toEqual([]);
    const [clear] = planLooseLimits([], [opened.alert!], NOW + 5000);
    expect(transition(opened.alert, { type: 'finding', finding: clear! }, { forMs: 0, newId: () => 'a2' })).toMatchObject({
      outcome: 'resolved',
      alert: { state: 'resolved', resolvedAt: NOW + 5000 },
    });
  });

  it('keeps the enterprise-wide and the sensor’s registrations apart', () => {
    const groups = groupsOf([combustible({ levels: { level1: { threshold: 30 } } }), combustible({ levels: { level1: { threshold: 28 } } }, 'GT-101')]);
    const subjects = planLooseLimits(groups, [], NOW).map((f) => f.subject);
    expect(subjects).toEqual(['limit:gas.combustible@*', 'limit:gas.combustible@GT-101']);
  });

  it('uses the registration time it is given per override', () => {
    const seen: LooseOverride[] = [];
    groupLoose(findLooseOverrides(catalogue, [combustible({ levels: { level1: { threshold: 30 } } }, 'GT-101')]), {
      ...ctx,
      registeredAt: (l) => (seen.push(l), 42),
    }).forEach((g) => expect(g.registeredAt).toBe(42));
    expect(seen.map((l) => l.sensorId)).toEqual(['GT-101']);
  });
});
