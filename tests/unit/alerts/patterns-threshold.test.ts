/**
 * Patterns `threshold` and `difference`: raise, hold, clear with deadband,
 * flap, escalate, late / duplicate / bad readings. Every case runs twice —
 * on frozen states (step must not mutate) and through a JSON round trip
 * after every step (snapshot / restore) — and both runs must agree.
 */
import { describe, expect, it } from 'vitest';
import { differenceParamsSchema, difference } from '../../../alerts/patterns/difference.ts';
import type { PatternContext } from '../../../alerts/patterns/pattern.ts';
import { MAX_EVIDENCE } from '../../../alerts/patterns/pattern.ts';
import { threshold, thresholdParamsSchema } from '../../../alerts/patterns/threshold.ts';
import type { Observation, PointInfo } from '../../../alerts/types.ts';
import { at, brief, drive, patternContext } from '../../../testkit/patterns.ts';

const GT: PointInfo = { enterpriseId: 'E-1', gatewayId: 'GW-1', id: 'GT-101', kind: 'combustible_gas', unit: '%LEL', periodS: 5, zone: 'tank-farm' };
const rd = (value: number, s: number, point: PointInfo = GT, quality: 'good' | 'uncertain' | 'bad' = 'good'): Observation => ({
  type: 'reading',
  point,
  value,
  quality,
  ts: at(s),
});
const ctxFor = (anchor: PointInfo, over: Partial<PatternContext> = {}) => patternContext(anchor, { ruleVersion: 3, severity: 'orange', ...over });

const gasParams = thresholdParamsSchema.parse({
  direction: 'high',
  deadband: 2,
  levels: { level1: { threshold: 25, severity: 'orange' }, level2: { threshold: 50, severity: 'red' } },
});
const oxygenLow = thresholdParamsSchema.parse({ direction: 'low', strict: true, deadband: 0.3, levels: { deficiency: { threshold: 19.5 } } });
const O2: PointInfo = { ...GT, id: 'OX-1', kind: 'oxygen', unit: '%vol' };

describe('threshold', () => {
  const cases: { name: string; forMs?: number; inputs: Observation[]; want: string[] }[] = [
    { name: 'raises at the first reading at the limit, once', inputs: [rd(10, 0), rd(25, 5), rd(27, 10), rd(30, 15)], want: ['raise:orange@5'] },
    { name: 'below the limit: nothing', inputs: [rd(10, 0), rd(24.9, 5), rd(0, 10)], want: [] },
    { name: 'hold: raises once held for forMs, at the time it began', forMs: 10_000, inputs: [rd(26, 0), rd(27, 5), rd(28, 10)], want: ['raise:orange@0'] },
    { name: 'hold: not yet held long enough', forMs: 10_000, inputs: [rd(26, 0), rd(27, 5)], want: [] },
    { name: 'hold: a dip restarts the hold', forMs: 10_000, inputs: [rd(26, 0), rd(20, 5), rd(26, 10), rd(27, 15), rd(27, 20)], want: ['raise:orange@10'] },
    { name: 'clears only beyond the deadband', inputs: [rd(26, 0), rd(24, 5), rd(23, 10), rd(22.9, 15)], want: ['raise:orange@0', 'clear:orange@15'] },
    {
      name: 'flap around the limit inside the deadband: one raise',
      inputs: [rd(26, 0), rd(24, 5), rd(26, 10), rd(24, 15), rd(26, 20)],
      want: ['raise:orange@0'],
    },
    {
      name: 'flap with a hold: never held, never raised',
      forMs: 10_000,
      inputs: [rd(26, 0), rd(24, 5), rd(26, 10), rd(24, 15), rd(26, 20), rd(24, 25)],
      want: [],
    },
    { name: 'raise again after a real clear', inputs: [rd(26, 0), rd(10, 5), rd(26, 10)], want: ['raise:orange@0', 'clear:orange@5', 'raise:orange@10'] },
    {
      name: 'escalates to level 2, steps down past its deadband, clears',
      inputs: [rd(30, 0), rd(55, 5), rd(49, 10), rd(45, 15), rd(20, 20)],
      want: ['raise:orange@0', 'raise:red@5', 'raise:orange@15', 'clear:orange@20'],
    },
    { name: 'straight to level 2', inputs: [rd(60, 0), rd(10, 5)], want: ['raise:red@0', 'clear:red@5'] },
    { name: 'escalation is held too', forMs: 10_000, inputs: [rd(30, 0), rd(55, 5), rd(56, 10), rd(57, 15)], want: ['raise:orange@0', 'raise:red@5'] },
    { name: 'a late reading (older than the newest) is ignored', inputs: [rd(10, 0), rd(10, 10), rd(30, 5), rd(10, 15)], want: [] },
    { name: 'a late low reading does not clear', inputs: [rd(30, 10), rd(0, 5), rd(30, 15)], want: ['raise:orange@10'] },
    { name: 'a redelivered reading (same ts) is ignored', inputs: [rd(26, 0), rd(26, 0), rd(0, 0)], want: ['raise:orange@0'] },
    { name: 'bad quality is ignored', inputs: [rd(30, 0, GT, 'bad'), rd(10, 5)], want: [] },
    { name: 'uncertain quality counts', inputs: [rd(30, 0, GT, 'uncertain')], want: ['raise:orange@0'] },
    { name: "another point's reading is ignored", inputs: [rd(30, 0, { ...GT, id: 'GT-102' })], want: [] },
    { name: "another enterprise's point of the same id is ignored", inputs: [rd(30, 0, { ...GT, enterpriseId: 'E-2' })], want: [] },
  ];
  it.each(cases)('$name', ({ forMs, inputs, want }) => {
    const { findings } = drive(threshold, gasParams, ctxFor(GT, { forMs: forMs ?? 0 }), inputs);
    expect(brief(findings)).toEqual(want);
  });

  const low: { name: string; inputs: Observation[]; want: string[] }[] = [
    { name: 'at the limit is not below it (strict)', inputs: [rd(20.9, 0, O2), rd(19.5, 5, O2)], want: [] },
    {
      name: 'below raises; clears above limit + deadband',
      inputs: [rd(19.4, 0, O2), rd(19.7, 5, O2), rd(19.8, 10, O2), rd(19.9, 15, O2)],
      want: ['raise:orange@0', 'clear:orange@15'],
    },
  ];
  it.each(low)('low direction: $name', ({ inputs, want }) => {
    expect(brief(drive(threshold, oxygenLow, ctxFor(O2), inputs).findings)).toEqual(want);
  });

  it('finding carries rule, version, subject, a message naming the point and value, and the evidence from the onset', () => {
    const { findings } = drive(threshold, gasParams, ctxFor(GT, { forMs: 5000 }), [rd(10, 0), rd(26, 5), rd(27, 10)]);
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f).toMatchObject({ ruleId: 'test.rule', ruleVersion: 3, enterpriseId: 'E-1', subject: 'GT-101', condition: 'raise', severity: 'orange', at: at(5) });
    expect(f.message.zh).toContain('GT-101');
    expect(f.message.en).toContain('27');
    expect(f.evidence.map((o) => o.ts)).toEqual([at(5), at(10)]);
  });

  it('evidence stays bounded over a long episode and keeps the onset', () => {
    const inputs = [rd(30, 0), ...Array.from({ length: 100 }, (_, i) => rd(30 + (i % 3), 5 * (i + 1))), rd(60, 505)];
    const { findings, state } = drive(threshold, gasParams, ctxFor(GT), inputs);
    const red = findings.at(-1)!;
    expect(red.severity).toBe('red');
    expect(red.evidence.length).toBeLessThanOrEqual(MAX_EVIDENCE);
    expect(red.evidence[0]!.ts).toBe(at(0));
    expect(red.evidence.at(-1)!.ts).toBe(at(505));
    expect(state.evidence.length).toBeLessThanOrEqual(MAX_EVIDENCE);
  });

  it('a level whose mark is not registered is inactive', () => {
    const p = thresholdParamsSchema.parse({ direction: 'high', levels: { high: {}, highHigh: { threshold: 13.5, severity: 'orange' } } });
    expect(brief(drive(threshold, p, ctxFor(GT, { severity: 'yellow' }), [rd(12.5, 0), rd(13.6, 5)]).findings)).toEqual(['raise:orange@5']);
  });

  it('a level without its own severity takes the rule severity', () => {
    const p = thresholdParamsSchema.parse({ direction: 'high', levels: { spark: { threshold: 1 } } });
    expect(brief(drive(threshold, p, ctxFor(GT, { severity: 'yellow' }), [rd(1, 0)]).findings)).toEqual(['raise:yellow@0']);
  });

  it('returns the same state object for inputs it does not take', () => {
    const s = threshold.init();
    expect(threshold.step(s, { type: 'tick', now: at(100) }, gasParams, ctxFor(GT)).state).toBe(s);
    expect(threshold.step(s, rd(30, 0, { ...GT, id: 'X' }), gasParams, ctxFor(GT)).state).toBe(s);
  });
});

describe('difference (cooling water inlet − outlet flow)', () => {
  const IN: PointInfo = {
    enterpriseId: 'E-9',
    gatewayId: 'GW-9',
    id: 'FT-IN-101',
    kind: 'flow',
    unit: 'm³/h',
    periodS: 5,
    zone: 'furnace',
    role: 'cooling_inlet',
  };
  const OUT: PointInfo = { ...IN, id: 'FT-OUT-101', role: 'cooling_outlet' };
  const OTHER_ZONE: PointInfo = { ...OUT, id: 'FT-OUT-201', zone: 'furnace-2' };
  const params = differenceParamsSchema.parse({ partner: { kinds: ['flow'], roles: ['cooling_outlet'] }, deadband: 2, levels: { alarm: { threshold: 10 } } });
  const pair = (inlet: number, outlet: number, s: number) => [rd(inlet, s, IN), rd(outlet, s, OUT)];
  const cases: { name: string; forMs?: number; inputs: Observation[]; want: string[] }[] = [
    { name: 'normal difference: nothing', inputs: [...pair(220, 218.5, 0), ...pair(221, 219, 5)], want: [] },
    {
      name: 'raises when inlet − outlet reaches the limit, clears past the deadband',
      inputs: [...pair(220, 218, 0), ...pair(220, 209, 5), ...pair(220, 211, 10), ...pair(220, 213, 15)],
      want: ['raise:orange@5', 'clear:orange@15'],
    },
    {
      name: 'hold over consecutive pairs',
      forMs: 10_000,
      inputs: [...pair(220, 205, 0), ...pair(220, 205, 5), ...pair(220, 205, 10)],
      want: ['raise:orange@0'],
    },
    { name: 'a pair too far apart in time does not count', inputs: [rd(220, 0, IN), rd(200, 60, OUT)], want: [] },
    { name: 'the outlet of another zone is not the partner', inputs: [rd(220, 0, IN), rd(200, 0, OTHER_ZONE)], want: [] },
    { name: 'a late outlet reading is ignored', inputs: [...pair(220, 219, 10), rd(200, 5, OUT)], want: [] },
  ];
  it.each(cases)('$name', ({ forMs, inputs, want }) => {
    const { findings } = drive(difference, params, ctxFor(IN, { forMs: forMs ?? 0 }), inputs);
    expect(brief(findings)).toEqual(want);
  });

  it('evidence holds both readings of the pair', () => {
    const { findings } = drive(difference, params, ctxFor(IN), pair(220, 205, 0));
    expect(findings[0]!.evidence.map((o) => (o.type === 'reading' ? o.point.id : ''))).toEqual(['FT-IN-101', 'FT-OUT-101']);
  });
});
