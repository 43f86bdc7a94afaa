/**
 * Patterns over time: `rate_of_rise` (rise within a window) and `sustained`
 * (escalation by duration). Each case runs on frozen states and through a
 * JSON round trip after every step; both runs must agree.
 */
import { describe, expect, it } from 'vitest';
import type { PatternContext } from '../../../alerts/patterns/pattern.ts';
import { rateOfRise, rateOfRiseParamsSchema } from '../../../alerts/patterns/rate-of-rise.ts';
import { gradeAfter, sustained, sustainedParamsSchema } from '../../../alerts/patterns/sustained.ts';
import type { Observation, PointInfo } from '../../../alerts/types.ts';
import { at, brief, drive, patternContext } from '../../../testkit/patterns.ts';

const MIN = 60;
const TT: PointInfo = {
  enterpriseId: 'E-1',
  gatewayId: 'GW-1',
  id: 'TT-201',
  kind: 'temperature',
  unit: '°C',
  periodS: 10,
  zone: 'dust-collector',
  role: 'collector',
};
const rd = (value: number, s: number, quality: 'good' | 'bad' = 'good'): Observation => ({ type: 'reading', point: TT, value, quality, ts: at(s) });
const ctxFor = (over: Partial<PatternContext> = {}) => patternContext(TT, over);

describe('rate_of_rise', () => {
  const params = rateOfRiseParamsSchema.parse({ rise: 10, windowMs: 5 * 60_000, deadband: 3 });
  /** A ramp of `perMin` °C a minute from `from`, one reading every 30 s, `minutes` long, starting at second `s0`. */
  const ramp = (from: number, perMin: number, minutes: number, s0 = 0) =>
    Array.from({ length: minutes * 2 + 1 }, (_, i) => rd(from + (perMin * i) / 2, s0 + i * 30));
  const cases: { name: string; forMs?: number; inputs: Observation[]; want: string[] }[] = [
    { name: 'slow rise (1 °C/min): nothing', inputs: ramp(40, 1, 20), want: [] },
    { name: 'fast rise (3 °C/min): raises when the window holds more than 10 °C', inputs: ramp(40, 3, 4), want: ['raise:yellow@210'] },
    { name: 'exactly the limit is not more than it', inputs: [rd(40, 0), rd(50, 60)], want: [] },
    {
      name: 'levels off: clears once the window no longer holds the rise',
      inputs: [...ramp(40, 3, 4), ...Array.from({ length: 12 }, (_, i) => rd(52, 270 + i * 30))],
      // at 390 s the window starts at 90 s (44.5 °C): 7.5 ≥ 10 − 3 stays; at 420 s it starts at 46 °C: 6 < 7 clears
      want: ['raise:yellow@210', 'clear:yellow@420'],
    },
    {
      name: 'flap around the limit inside the deadband: one raise',
      inputs: [rd(40, 0), rd(51, 30), rd(49, 60), rd(51, 90), rd(48, 120)],
      want: ['raise:yellow@30'],
    },
    { name: 'a rise spread over more than the window is not one', inputs: [rd(40, 0), rd(46, 200), rd(52, 400)], want: [] },
    { name: 'hold: the rise must last forMs', forMs: 60_000, inputs: [rd(40, 0), rd(51, 30), rd(52, 60), rd(53, 90)], want: ['raise:yellow@30'] },
    { name: 'a late low reading does not create a rise', inputs: [rd(50, 0), rd(50, 60), rd(30, 30), rd(50, 90)], want: [] },
    { name: 'bad quality spikes are ignored', inputs: [rd(40, 0), rd(99, 30, 'bad'), rd(41, 60)], want: [] },
  ];
  it.each(cases)('$name', ({ forMs, inputs, want }) => {
    expect(brief(drive(rateOfRise, params, ctxFor({ forMs: forMs ?? 0 }), inputs).findings)).toEqual(want);
  });

  it('evidence starts at the lowest reading of the window', () => {
    const { findings } = drive(rateOfRise, params, ctxFor(), [rd(45, 0), rd(40, 30), rd(51, 60)]);
    expect(findings[0]!.evidence.map((o) => (o.type === 'reading' ? o.value : NaN))).toEqual([40, 51]);
  });

  it('keeps at most maxSamples in the window', () => {
    const p = rateOfRiseParamsSchema.parse({ rise: 1000, windowMs: 3_600_000, maxSamples: 50 });
    const { state } = drive(
      rateOfRise,
      p,
      ctxFor(),
      Array.from({ length: 200 }, (_, i) => rd(i, i)),
    );
    expect(state.window).toHaveLength(50);
  });
});

describe('sustained', () => {
  const params = sustainedParamsSchema.parse({
    direction: 'high',
    threshold: 70,
    deadband: 2,
    steps: [
      { afterMs: 10 * 60_000, severity: 'orange' },
      { afterMs: 30 * 60_000, severity: 'red' },
    ],
  });
  /** `value` every minute from minute m0 to m1 inclusive. */
  const minutes = (value: number, m0: number, m1: number) => Array.from({ length: m1 - m0 + 1 }, (_, i) => rd(value, (m0 + i) * MIN));
  const cases: { name: string; forMs?: number; inputs: Observation[]; want: string[] }[] = [
    { name: 'below: nothing', inputs: minutes(69, 0, 60), want: [] },
    { name: 'onset yellow', inputs: minutes(71, 0, 5), want: ['raise:yellow@0'] },
    {
      name: 'orange after 10 min, red after 30 min, at those times',
      inputs: minutes(71, 0, 40),
      want: ['raise:yellow@0', 'raise:orange@600', 'raise:red@1800'],
    },
    {
      name: 'clears past the deadband with the grade reached',
      inputs: [...minutes(71, 0, 12), rd(69, 13 * MIN), rd(67.9, 14 * MIN)],
      want: ['raise:yellow@0', 'raise:orange@600', 'clear:orange@840'],
    },
    {
      name: 'a dip inside the deadband does not restart the clock',
      inputs: [...minutes(71, 0, 5), rd(68.5, 6 * MIN), ...minutes(71, 7, 11)],
      want: ['raise:yellow@0', 'raise:orange@600'],
    },
    {
      name: 'a real clear restarts the clock',
      inputs: [...minutes(71, 0, 8), rd(60, 9 * MIN), ...minutes(71, 10, 19)],
      want: ['raise:yellow@0', 'clear:yellow@540', 'raise:yellow@600'],
    },
    { name: 'hold before the onset', forMs: 2 * 60_000, inputs: minutes(71, 0, 3), want: ['raise:yellow@0'] },
    { name: 'data gap: escalates on the next reading, at the step time', inputs: [rd(71, 0), rd(71, 45 * MIN)], want: ['raise:yellow@0', 'raise:red@1800'] },
    { name: 'late readings are ignored', inputs: [rd(71, 20 * MIN), rd(60, 10 * MIN), rd(71, 25 * MIN)], want: ['raise:yellow@1200'] },
  ];
  it.each(cases)('$name', ({ forMs, inputs, want }) => {
    expect(brief(drive(sustained, params, ctxFor({ forMs: forMs ?? 0 }), inputs).findings)).toEqual(want);
  });

  it.each([
    { elapsed: 0, grade: 'yellow', from: 0 },
    { elapsed: 599_999, grade: 'yellow', from: 0 },
    { elapsed: 600_000, grade: 'orange', from: 600_000 },
    { elapsed: 1_800_000, grade: 'red', from: 1_800_000 },
  ])('gradeAfter($elapsed) = $grade', ({ elapsed, grade, from }) => {
    expect(gradeAfter(params, 'yellow', elapsed)).toEqual({ grade, from });
  });

  it('a low-direction escalation (wind speed falling) works the same way', () => {
    const p = sustainedParamsSchema.parse({ direction: 'low', threshold: 0.25, steps: [{ afterMs: 60_000, severity: 'orange' }] });
    expect(brief(drive(sustained, p, ctxFor(), [rd(0.3, 0), rd(0.2, 60), rd(0.2, 120), rd(0.3, 180)]).findings)).toEqual([
      'raise:yellow@60',
      'raise:orange@120',
      'clear:orange@180',
    ]);
  });
});
