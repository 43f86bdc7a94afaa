/**
 * Tampering patterns (domain rule 7): `frozen`, `out_of_range`,
 * `drop_to_zero`, `safety_off_in_production`. Each case runs on frozen states
 * and through a JSON round trip after every step; both runs must agree.
 */
import { describe, expect, it } from 'vitest';
import { dropToZero, dropToZeroParamsSchema } from '../../../alerts/patterns/drop-to-zero.ts';
import { frozen, frozenParamsSchema } from '../../../alerts/patterns/frozen.ts';
import { outOfRange, outOfRangeParamsSchema } from '../../../alerts/patterns/out-of-range.ts';
import type { PatternContext } from '../../../alerts/patterns/pattern.ts';
import { safetyOffInProduction, safetyOffParamsSchema } from '../../../alerts/patterns/safety-off-in-production.ts';
import type { Observation, PointInfo } from '../../../alerts/types.ts';
import type { SignalKind } from '../../../core/contract.ts';
import { at, brief, drive, patternContext } from '../../../testkit/patterns.ts';

const MIN = 60;
const E = { enterpriseId: 'E-1', gatewayId: 'GW-1' };
const PT: PointInfo = { ...E, id: 'PT-401', kind: 'pressure', unit: 'kPa', periodS: 5, zone: 'tank-farm' };
const signalPoint = (id: string, kind: SignalKind, zone?: string): PointInfo & { kind: SignalKind } => ({ ...E, id, kind, unit: '', periodS: 60, zone });
const P_RUN = signalPoint('P-RUN', 'production');
const rd = (value: number, s: number, quality: 'good' | 'bad' = 'good', point: PointInfo = PT): Observation => ({
  type: 'reading',
  point,
  value,
  quality,
  ts: at(s),
});
const sg = (point: PointInfo & { kind: SignalKind }, state: string, s: number): Observation => ({ type: 'signal', point, state, ts: at(s) });
const ctxFor = (anchor: PointInfo, over: Partial<PatternContext> = {}) => patternContext(anchor, over);

describe('frozen (window 30 min, resolution 1 kPa, at least 10 readings)', () => {
  const params = frozenParamsSchema.parse({ windowMs: 30 * 60_000, tolerance: 1, floor: 0, minSamples: 10 });
  /** One reading a minute from minute m0 to m1, value f(minute). */
  const series = (m0: number, m1: number, f: (m: number) => number) => Array.from({ length: m1 - m0 + 1 }, (_, i) => rd(f(m0 + i), (m0 + i) * MIN));
  const noisy = (m: number) => 650 + (m % 3);
  const cases: { name: string; inputs: Observation[]; want: string[] }[] = [
    { name: 'varying while running: nothing', inputs: [sg(P_RUN, 'running', 0), ...series(0, 60, noisy)], want: [] },
    {
      name: 'stuck for 30 min while running: raised at the start of the run',
      inputs: [sg(P_RUN, 'running', 0), ...series(0, 10, noisy), ...series(11, 41, () => 650)],
      want: ['raise:yellow@660'],
    },
    { name: 'stuck for 29 min: not yet', inputs: [sg(P_RUN, 'running', 0), ...series(0, 10, noisy), ...series(11, 40, () => 650)], want: [] },
    { name: 'stuck while production is stopped: nothing', inputs: [sg(P_RUN, 'stopped', 0), ...series(0, 60, () => 650)], want: [] },
    { name: 'stuck with no production signal known: nothing', inputs: series(0, 60, () => 650), want: [] },
    {
      name: 'variation resumes: cleared',
      inputs: [sg(P_RUN, 'running', 0), ...series(0, 31, () => 650), rd(653, 32 * MIN)],
      want: ['raise:yellow@0', 'clear:yellow@1920'],
    },
    {
      name: 'production stops: cleared',
      inputs: [sg(P_RUN, 'running', 0), ...series(0, 31, () => 650), sg(P_RUN, 'stopped', 32 * MIN)],
      want: ['raise:yellow@0', 'clear:yellow@1920'],
    },
    {
      name: 'variation inside the resolution still counts as frozen',
      inputs: [sg(P_RUN, 'running', 0), ...series(0, 31, (m) => 650 + (m % 2) * 0.5)],
      want: ['raise:yellow@0'],
    },
    { name: 'at rest at the bottom of the range (floor): not frozen', inputs: [sg(P_RUN, 'running', 0), ...series(0, 60, () => 0)], want: [] },
    { name: 'too few readings in the window', inputs: [sg(P_RUN, 'running', 0), ...[0, 10, 20, 31].map((m) => rd(650, m * MIN))], want: [] },
    {
      name: 'a late different reading does not break the run',
      inputs: [sg(P_RUN, 'running', 0), ...series(0, 20, () => 650), rd(700, 5 * MIN), ...series(21, 31, () => 650)],
      want: ['raise:yellow@0'],
    },
  ];
  it.each(cases)('$name', ({ inputs, want }) => {
    expect(brief(drive(frozen, params, ctxFor(PT), inputs).findings)).toEqual(want);
  });

  it('without a tolerance only identical values count', () => {
    const p = frozenParamsSchema.parse({ windowMs: 10 * 60_000, minSamples: 3 });
    const run = (f: (m: number) => number) => brief(drive(frozen, p, ctxFor(PT), [sg(P_RUN, 'running', 0), ...series(0, 11, f)]).findings);
    expect(run(() => 650)).toEqual(['raise:yellow@0']);
    expect(run((m) => 650 + (m % 2) * 0.001)).toEqual([]);
  });
});

describe('out_of_range (0–2500 kPa)', () => {
  const params = outOfRangeParamsSchema.parse({ min: 0, max: 2500 });
  const cases: { name: string; forMs?: number; inputs: Observation[]; want: string[] }[] = [
    { name: 'inside, edges included: nothing', inputs: [rd(0, 0), rd(2500, 5), rd(650, 10)], want: [] },
    { name: 'above the range', inputs: [rd(650, 0), rd(2600, 5), rd(650, 10)], want: ['raise:yellow@5', 'clear:yellow@10'] },
    { name: 'below the range', inputs: [rd(-3, 0)], want: ['raise:yellow@0'] },
    { name: 'bad quality counts (the instrument may flag its own fault)', inputs: [rd(9999, 0, 'bad')], want: ['raise:yellow@0'] },
    { name: 'repeated out-of-range readings: one raise', inputs: [rd(2600, 0), rd(2700, 5), rd(2800, 10)], want: ['raise:yellow@0'] },
    { name: 'hold', forMs: 10_000, inputs: [rd(2600, 0), rd(650, 5), rd(2600, 10), rd(2600, 15), rd(2600, 20)], want: ['raise:yellow@10'] },
    { name: 'late reading ignored', inputs: [rd(650, 10), rd(2600, 5)], want: [] },
  ];
  it.each(cases)('$name', ({ forMs, inputs, want }) => {
    expect(brief(drive(outOfRange, params, ctxFor(PT, { forMs: forMs ?? 0 }), inputs).findings)).toEqual(want);
  });
});

describe('drop_to_zero (from ≥ 125 kPa within 60 s)', () => {
  const params = dropToZeroParamsSchema.parse({ fromAtLeast: 125, withinMs: 60_000, deadband: 1 });
  const cases: { name: string; inputs: Observation[]; want: string[] }[] = [
    { name: 'sudden drop', inputs: [rd(650, 0), rd(0, 5), rd(0, 10), rd(640, 15)], want: ['raise:yellow@5', 'clear:yellow@15'] },
    { name: 'slow decline through intermediate values', inputs: [rd(650, 0), rd(300, 5), rd(100, 10), rd(0, 15)], want: [] },
    { name: 'from a small value: nothing', inputs: [rd(100, 0), rd(0, 5)], want: [] },
    { name: 'after a long gap: not sudden', inputs: [rd(650, 0), rd(0, 120)], want: [] },
    {
      name: 'stays raised at zero, clears only above the deadband',
      inputs: [rd(650, 0), rd(0, 5), rd(1, 10), rd(1.5, 15)],
      want: ['raise:yellow@5', 'clear:yellow@15'],
    },
    { name: 'a late zero is ignored', inputs: [rd(650, 10), rd(0, 5), rd(650, 15)], want: [] },
    { name: 'a bad-quality zero is ignored', inputs: [rd(650, 0), rd(0, 5, 'bad'), rd(650, 10)], want: [] },
  ];
  it.each(cases)('$name', ({ inputs, want }) => {
    expect(brief(drive(dropToZero, params, ctxFor(PT), inputs).findings)).toEqual(want);
  });
});

describe('safety_off_in_production', () => {
  const DET = signalPoint('D-GT-101', 'detector', 'tank-farm');
  const SIS = signalPoint('I-SIS-1', 'interlock');
  const OTHER_RUN = signalPoint('P-RUN-2', 'production', 'warehouse');
  const detectorOff = safetyOffParamsSchema.parse({ unsafeStates: ['off', 'faulted'] });
  const bypass = safetyOffParamsSchema.parse({ unsafeStates: ['bypassed'] });
  const cases: { name: string; anchor: PointInfo; params: typeof detectorOff; forMs?: number; inputs: Observation[]; want: string[] }[] = [
    { name: 'detector off while running', anchor: DET, params: detectorOff, inputs: [sg(P_RUN, 'running', 0), sg(DET, 'off', 30)], want: ['raise:yellow@30'] },
    {
      name: 'detector faulted while running',
      anchor: DET,
      params: detectorOff,
      inputs: [sg(DET, 'faulted', 0), sg(P_RUN, 'running', 10)],
      want: ['raise:yellow@10'],
    },
    { name: 'detector off while stopped: nothing', anchor: DET, params: detectorOff, inputs: [sg(P_RUN, 'stopped', 0), sg(DET, 'off', 30)], want: [] },
    {
      name: 'production starts with the detector off: raised when both hold; cleared when powered',
      anchor: DET,
      params: detectorOff,
      inputs: [sg(DET, 'off', 0), sg(P_RUN, 'stopped', 5), sg(P_RUN, 'running', 60), sg(DET, 'off', 60), sg(DET, 'powered', 120)],
      want: ['raise:yellow@60', 'clear:yellow@120'],
    },
    {
      name: 'production stops: cleared',
      anchor: DET,
      params: detectorOff,
      inputs: [sg(P_RUN, 'running', 0), sg(DET, 'off', 30), sg(P_RUN, 'stopped', 90)],
      want: ['raise:yellow@30', 'clear:yellow@90'],
    },
    {
      name: 'periodic repeats of the same states: one raise',
      anchor: DET,
      params: detectorOff,
      inputs: [sg(P_RUN, 'running', 0), sg(DET, 'off', 30), sg(P_RUN, 'running', 60), sg(DET, 'off', 90), sg(DET, 'off', 90)],
      want: ['raise:yellow@30'],
    },
    {
      name: 'a late "off" older than a newer "powered" is ignored',
      anchor: DET,
      params: detectorOff,
      inputs: [sg(P_RUN, 'running', 0), sg(DET, 'powered', 60), sg(DET, 'off', 30)],
      want: [],
    },
    {
      name: 'interlock bypassed while running',
      anchor: SIS,
      params: bypass,
      inputs: [sg(P_RUN, 'running', 0), sg(SIS, 'bypassed', 10), sg(SIS, 'enabled', 70)],
      want: ['raise:yellow@10', 'clear:yellow@70'],
    },
    { name: 'interlock tripped is not bypassed', anchor: SIS, params: bypass, inputs: [sg(P_RUN, 'running', 0), sg(SIS, 'tripped', 10)], want: [] },
    { name: "another zone's production does not count", anchor: DET, params: detectorOff, inputs: [sg(OTHER_RUN, 'running', 0), sg(DET, 'off', 10)], want: [] },
    {
      name: 'hold in data time',
      anchor: SIS,
      params: bypass,
      forMs: 60_000,
      inputs: [sg(P_RUN, 'running', 0), sg(SIS, 'bypassed', 10), sg(SIS, 'bypassed', 40), sg(P_RUN, 'running', 70)],
      want: ['raise:yellow@10'],
    },
  ];
  it.each(cases)('$name', ({ anchor, params, forMs, inputs, want }) => {
    expect(brief(drive(safetyOffInProduction, params, ctxFor(anchor, { forMs: forMs ?? 0 }), inputs).findings)).toEqual(want);
  });

  it('evidence holds the unsafe signal and the production signal', () => {
    const { findings } = drive(safetyOffInProduction, detectorOff, ctxFor(DET), [sg(P_RUN, 'running', 0), sg(DET, 'off', 30)]);
    expect(findings[0]!.evidence).toEqual([sg(DET, 'off', 30), sg(P_RUN, 'running', 0)]);
  });
});
