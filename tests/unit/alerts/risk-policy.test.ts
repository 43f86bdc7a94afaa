/**
 * The risk-warning policy (alerts/warnings/policy.ts), table-driven: each factor alone, then combined
 * (aggregation and inherent lift), each result explained by the factors that caused it.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RISK_POLICY, judge, riskPolicySchema, type AlarmInput, type RiskInputs } from '../../../alerts/warnings/policy.ts';

const NOW = Date.parse('2026-12-05T10:00:00Z');
const MIN = 60_000;
const H = 60 * MIN;

const none: RiskInputs = { sector: 'hazardous_chemicals', alarms: [], offline: [], silentPoints: 0, points: 10, ledgerFactors: [], children: [] };
let n = 0;
const alarm = (over: Partial<AlarmInput> = {}): AlarmInput => ({
  id: `a${++n}`,
  ruleId: 'gas.combustible.level',
  pattern: 'threshold',
  severity: 'orange',
  subject: `GT-${n}`,
  firedAt: NOW - MIN,
  repeats: 1,
  ...over,
});
const kinds = (x: RiskInputs) => judge(x, DEFAULT_RISK_POLICY, NOW).factors.map((f) => `${f.kind}:${f.level}`);

describe('each factor alone', () => {
  it.each([
    { name: 'nothing stands', x: none, level: 'none', factors: [] },
    { name: 'a yellow alarm', x: { ...none, alarms: [alarm({ severity: 'yellow' })] }, level: 'blue', factors: ['alarm:blue'] },
    { name: 'an orange alarm', x: { ...none, alarms: [alarm()] }, level: 'yellow', factors: ['alarm:yellow'] },
    // one detector's level 2 is not by itself a red (major) warning
    { name: 'a red alarm, fresh', x: { ...none, alarms: [alarm({ severity: 'red' })] }, level: 'orange', factors: ['alarm:orange'] },
    {
      name: 'a red alarm standing 31 min',
      x: { ...none, alarms: [alarm({ severity: 'red', firedAt: NOW - 31 * MIN })] },
      level: 'red',
      factors: ['standing:red', 'alarm:orange'],
    },
    {
      name: 'an orange alarm standing exactly 30 min (not over)',
      x: { ...none, alarms: [alarm({ firedAt: NOW - 30 * MIN })] },
      level: 'yellow',
      factors: ['alarm:yellow'],
    },
    {
      name: 'a yellow alarm standing long (below standingFrom)',
      x: { ...none, alarms: [alarm({ severity: 'yellow', firedAt: NOW - 5 * H })] },
      level: 'blue',
      factors: ['alarm:blue'],
    },
    {
      name: 'a point alarming the third time in a day',
      x: { ...none, alarms: [alarm({ severity: 'yellow', repeats: 3 })] },
      level: 'yellow',
      factors: ['repeats:yellow', 'alarm:blue'],
    },
    {
      name: 'an interlock that did not act',
      x: { ...none, alarms: [alarm({ severity: 'red', pattern: 'interlock_failure' })] },
      level: 'red',
      factors: ['pattern:red', 'alarm:orange'],
    },
    {
      name: 'readings frozen',
      x: { ...none, alarms: [alarm({ severity: 'yellow', pattern: 'frozen' })] },
      level: 'orange',
      factors: ['pattern:orange', 'alarm:blue'],
    },
    { name: 'a gateway offline 30 min', x: { ...none, offline: [{ gatewayId: 'G1', since: NOW - 30 * MIN }] }, level: 'none', factors: [] },
    { name: 'a gateway offline 2 h', x: { ...none, offline: [{ gatewayId: 'G1', since: NOW - 2 * H }] }, level: 'blue', factors: ['offline:blue'] },
    { name: 'a gateway offline 25 h', x: { ...none, offline: [{ gatewayId: 'G1', since: NOW - 25 * H }] }, level: 'yellow', factors: ['offline:yellow'] },
    { name: 'one point of ten silent', x: { ...none, silentPoints: 1 }, level: 'blue', factors: ['silent:blue'] },
    { name: 'two points of ten silent (20 %)', x: { ...none, silentPoints: 2 }, level: 'yellow', factors: ['silent:yellow'] },
    { name: 'an overdue major hazard on the ledger', x: { ...none, ledgerFactors: ['overdue_major_hazard'] }, level: 'yellow', factors: ['ledger:yellow'] },
    { name: 'a ledger factor the policy does not weigh', x: { ...none, ledgerFactors: ['something_else'] }, level: 'none', factors: [] },
    {
      name: 'a hazard source at orange (for its enterprise)',
      x: { ...none, children: [{ code: 'HS-1', name: '罐区', level: 'orange' as const }] },
      level: 'orange',
      factors: ['hazard_source:orange'],
    },
  ])('$name → $level', ({ x, level, factors }) => {
    const j = judge(x, DEFAULT_RISK_POLICY, NOW);
    expect(j.level).toBe(level);
    expect(kinds(x)).toEqual(factors);
    expect(j.policyVersion).toBe(1);
  });
});

describe('combined', () => {
  it('four blue factors make a yellow (tailings-dam practice), explained', () => {
    const x = { ...none, alarms: [1, 2, 3, 4].map(() => alarm({ severity: 'yellow' })) };
    const j = judge(x, DEFAULT_RISK_POLICY, NOW);
    expect(j.level).toBe('yellow');
    expect(j.factors[0]).toMatchObject({ kind: 'aggregate', level: 'yellow', zh: '4 个蓝色因素（每 4 个计为 1 个黄色）' });
  });

  it('three blue factors stay blue', () => {
    expect(judge({ ...none, alarms: [1, 2, 3].map(() => alarm({ severity: 'yellow' })) }, DEFAULT_RISK_POLICY, NOW).level).toBe('blue');
  });

  it('three yellow make an orange, two orange a red — counted upwards in one pass', () => {
    // three orange alarms (yellow factors) → one orange; with one red alarm (orange factor) → two orange → red
    const x = { ...none, alarms: [alarm(), alarm(), alarm(), alarm({ severity: 'red' })] };
    const j = judge(x, DEFAULT_RISK_POLICY, NOW);
    expect(j.level).toBe('red');
    expect(j.factors.filter((f) => f.kind === 'aggregate').map((f) => f.zh)).toEqual([
      '2 个橙色因素（每 2 个计为 1 个红色）',
      '3 个黄色因素（每 3 个计为 1 个橙色）',
    ]);
  });

  it('one alarm counts once in the aggregation, at its highest factor', () => {
    // an orange alarm that repeats and stands: alarm:yellow, standing:orange, repeats:yellow — one orange, no aggregation
    const j = judge({ ...none, alarms: [alarm({ repeats: 5, firedAt: NOW - 2 * H })] }, DEFAULT_RISK_POLICY, NOW);
    expect(j.level).toBe('orange');
    expect(j.factors.some((f) => f.kind === 'aggregate')).toBe(false);
  });

  it('a 一级 major hazard source lifts a yellow warning to orange, and says so', () => {
    const j = judge({ ...none, hazardLevel: 1, alarms: [alarm()] }, DEFAULT_RISK_POLICY, NOW);
    expect(j.level).toBe('orange');
    expect(j.factors[0]).toMatchObject({ kind: 'inherent', level: 'orange', zh: '一级重大危险源，预警升一级' });
  });

  it.each([
    { name: 'a 三级 source', x: { ...none, hazardLevel: 3, alarms: [alarm()] }, level: 'yellow' },
    { name: 'a blue warning at a 一级 source (below liftFrom)', x: { ...none, hazardLevel: 1, alarms: [alarm({ severity: 'yellow' })] }, level: 'blue' },
    { name: 'nothing at a 一级 source', x: { ...none, hazardLevel: 1 }, level: 'none' },
  ])('no lift for $name', ({ x, level }) => {
    expect(judge(x, DEFAULT_RISK_POLICY, NOW).level).toBe(level);
  });

  it('a sector the bureau names lifts too (policy data)', () => {
    const policy = riskPolicySchema.parse({
      ...DEFAULT_RISK_POLICY,
      version: 2,
      inherent: { ...DEFAULT_RISK_POLICY.inherent, sectors: ['hazardous_chemicals'] },
    });
    const j = judge({ ...none, alarms: [alarm()] }, policy, NOW);
    expect(j).toMatchObject({ level: 'orange', policyVersion: 2 });
    expect(j.factors[0]!.zh).toBe('hazardous_chemicals 行业，预警升一级');
  });

  it('red is the top: nothing lifts past it', () => {
    expect(judge({ ...none, hazardLevel: 1, alarms: [alarm({ pattern: 'interlock_failure', severity: 'red' })] }, DEFAULT_RISK_POLICY, NOW).level).toBe('red');
  });
});

describe('the policy is checked data', () => {
  it('the default parses', () => {
    expect(riskPolicySchema.parse(DEFAULT_RISK_POLICY)).toEqual(DEFAULT_RISK_POLICY);
  });
  it.each([
    { name: 'an unknown level', change: { alarms: { ...DEFAULT_RISK_POLICY.alarms, repeatLevel: 'purple' } } },
    { name: 'an aggregation of 1', change: { aggregate: { blue: 1, yellow: 3, orange: 2 } } },
    { name: 'an unknown key', change: { extra: 1 } },
  ])('refuses $name', ({ change }) => {
    expect(riskPolicySchema.safeParse({ ...DEFAULT_RISK_POLICY, ...change }).success).toBe(false);
  });
});
