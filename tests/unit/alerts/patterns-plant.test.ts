/**
 * Multi-point patterns: `correlated_detectors` (zone) and `interlock_failure`
 * (tank overfill valve, methane power-off, cooling-water interlock). Each
 * case runs on frozen states and through a JSON round trip after every step;
 * both runs must agree.
 */
import { describe, expect, it } from 'vitest';
import { correlatedDetectors, correlatedParamsSchema } from '../../../alerts/patterns/correlated-detectors.ts';
import { interlockFailure, interlockParamsSchema } from '../../../alerts/patterns/interlock-failure.ts';
import type { PatternContext, PatternInput } from '../../../alerts/patterns/pattern.ts';
import type { Observation, PointInfo } from '../../../alerts/types.ts';
import type { SignalKind } from '../../../core/contract.ts';
import { at, brief, drive, patternContext, tick } from '../../../testkit/patterns.ts';

const E = { enterpriseId: 'E-CHEM-001', gatewayId: 'GW-CHEM-001-1' };
const sensor = (id: string, kind: string, unit: string, zone: string | undefined, role?: string): PointInfo => ({
  ...E,
  id,
  kind,
  unit,
  periodS: 5,
  zone,
  role,
});
const signalPoint = (id: string, kind: SignalKind, zone?: string): PointInfo & { kind: SignalKind } => ({ ...E, id, kind, unit: '', periodS: 60, zone });
const rd = (point: PointInfo, value: number, s: number): Observation => ({ type: 'reading', point, value, quality: 'good', ts: at(s) });
const sg = (point: PointInfo & { kind: SignalKind }, state: string, s: number): Observation => ({ type: 'signal', point, state, ts: at(s) });
const ctxFor = (anchor: PointInfo, subject: string, over: Partial<PatternContext> = {}) => patternContext(anchor, { severity: 'red', subject, ...over });

describe('correlated_detectors', () => {
  const GT1 = sensor('GT-101', 'combustible_gas', '%LEL', 'tank-farm');
  const GT2 = sensor('GT-102', 'combustible_gas', '%LEL', 'tank-farm');
  const GT_OTHER = sensor('GT-105', 'combustible_gas', '%LEL', 'tank-farm-2');
  const H2S = sensor('AT-101', 'toxic_gas', 'ppm', 'tank-farm', 'h2s');
  const FAN = signalPoint('F-VENT-1', 'ventilation');
  const FAN_ZONE = signalPoint('F-VENT-2', 'ventilation', 'tank-farm');
  const FAN_ELSEWHERE = signalPoint('F-VENT-3', 'ventilation', 'warehouse');
  const params = correlatedParamsSchema.parse({
    windowMs: 300_000,
    detectors: [
      { kinds: ['combustible_gas'], threshold: 25, deadband: 2 },
      { kinds: ['toxic_gas'], roles: ['h2s'], threshold: 7 },
    ],
  });
  const cases: { name: string; inputs: Observation[]; want: string[] }[] = [
    { name: 'one detector at level 1: nothing', inputs: [rd(GT1, 30, 0), rd(GT2, 1, 5), rd(GT1, 31, 10)], want: [] },
    { name: 'two detectors within the window: raised when the second arrives', inputs: [rd(GT1, 30, 0), rd(GT2, 26, 120)], want: ['raise:red@120'] },
    { name: 'mixed kinds count with their own thresholds', inputs: [rd(GT1, 30, 0), rd(H2S, 7.5, 60)], want: ['raise:red@60'] },
    { name: 'a toxic reading under its own threshold does not count', inputs: [rd(GT1, 30, 0), rd(H2S, 6.9, 60)], want: [] },
    { name: 'further apart than the window: nothing', inputs: [rd(GT1, 30, 0), rd(GT1, 10, 5), rd(GT2, 30, 400)], want: [] },
    {
      name: 'clears when the last detector is back below its level',
      inputs: [rd(GT1, 30, 0), rd(GT2, 30, 60), rd(GT1, 10, 90), rd(GT2, 24, 95), rd(GT2, 22, 100)],
      want: ['raise:red@60', 'clear:red@100'],
    },
    { name: 'a detector of another zone does not count', inputs: [rd(GT1, 30, 0), rd(GT_OTHER, 40, 30)], want: [] },
    {
      name: 'flapping detector inside its deadband: one raise',
      inputs: [rd(GT1, 30, 0), rd(GT2, 26, 10), rd(GT2, 24, 15), rd(GT2, 26, 20), rd(GT2, 24, 25)],
      want: ['raise:red@10'],
    },
    { name: 'a late level-1 reading older than the window does not count', inputs: [rd(GT1, 30, 600), rd(GT2, 30, 100)], want: [] },
    {
      name: 'level 1 while the plant-wide fan is stopped',
      inputs: [sg(FAN, 'stopped', 0), rd(GT1, 30, 10), sg(FAN, 'running', 70)],
      want: ['raise:red@10', 'clear:red@70'],
    },
    { name: "level 1 while the zone's own fan is stopped", inputs: [rd(GT1, 30, 0), sg(FAN_ZONE, 'stopped', 5)], want: ['raise:red@5'] },
    { name: "another zone's fan does not matter", inputs: [rd(GT1, 30, 0), sg(FAN_ELSEWHERE, 'stopped', 5)], want: [] },
    { name: 'fan stopped with no detector at level 1: nothing', inputs: [sg(FAN, 'stopped', 0), rd(GT1, 10, 10)], want: [] },
  ];
  it.each(cases)('$name', ({ inputs, want }) => {
    expect(brief(drive(correlatedDetectors, params, ctxFor(GT1, 'zone:tank-farm'), inputs).findings)).toEqual(want);
  });

  it('the finding names the zone, carries the level-1 readings as evidence', () => {
    const { findings } = drive(correlatedDetectors, params, ctxFor(GT1, 'zone:tank-farm'), [rd(GT1, 30, 0), rd(GT2, 26, 120)]);
    expect(findings[0]).toMatchObject({ subject: 'zone:tank-farm', severity: 'red' });
    expect(findings[0]!.evidence.map((o) => (o.type === 'reading' ? o.point.id : o.type))).toEqual(['GT-101', 'GT-102']);
    expect(findings[0]!.message.zh).toContain('tank-farm');
  });
});

describe('interlock_failure', () => {
  const LT = sensor('LT-201', 'level', 'm', 'tank-farm', 'tank_level');
  const VALVE = signalPoint('V-IN-1', 'valve');
  const overfill = interlockParamsSchema.parse({
    trigger: { type: 'threshold', threshold: 13.5, deadband: 0.1 },
    actuator: { kinds: ['valve'] },
    safeStates: ['closed'],
    responseMs: 30_000,
    graceMs: 5000,
  });
  const level = (v: number, ...secs: number[]) => secs.map((s) => rd(LT, v, s));
  const cases: { name: string; inputs: PatternInput[]; want: string[] }[] = [
    { name: 'valve closes within 30 s: nothing', inputs: [...level(13.6, 0, 10), sg(VALVE, 'closed', 20), ...level(13.7, 30, 40, 50, 60)], want: [] },
    { name: 'valve never reports: raised at the deadline once data passes it + grace', inputs: level(13.6, 0, 10, 20, 30, 40), want: ['raise:red@30'] },
    {
      name: 'valve keeps reporting open',
      inputs: [...level(13.6, 0, 10), sg(VALVE, 'open', 15), ...level(13.7, 20, 30, 40), sg(VALVE, 'open', 45)],
      want: ['raise:red@30'],
    },
    {
      name: 'valve closes late: raised, then cleared when it closes',
      inputs: [...level(13.6, 0, 10, 20, 30, 40), sg(VALVE, 'closed', 50), ...level(13.6, 60)],
      want: ['raise:red@30', 'clear:red@50'],
    },
    { name: 'valve already closed before the level got there', inputs: [sg(VALVE, 'closed', -60), ...level(13.6, 0, 10, 20, 30, 40)], want: [] },
    { name: 'level drops back before the deadline', inputs: [...level(13.6, 0, 10), ...level(13.3, 20, 30, 40, 50)], want: [] },
    {
      name: 'level drops back after the failure: cleared',
      inputs: [...level(13.6, 0, 10, 20, 30, 40), ...level(13.3, 50)],
      want: ['raise:red@30', 'clear:red@50'],
    },
    { name: 'below high-high: nothing', inputs: level(13.4, 0, 10, 20, 30, 40, 50), want: [] },
    {
      name: 'no more data: the injected clock judges the deadline',
      inputs: [tick(0), ...level(13.6, 0), tick(10), tick(34), tick(36)],
      want: ['raise:red@30'],
    },
    {
      name: 'a gateway clock 60 s behind does not make a timely close look late',
      inputs: [
        tick(60),
        ...level(13.6, 0),
        tick(70),
        ...level(13.6, 10),
        tick(80),
        ...level(13.6, 20),
        tick(85),
        sg(VALVE, 'closed', 25),
        tick(96),
        ...level(13.6, 36),
      ],
      want: [],
    },
    {
      name: 'a close report in flight within the grace counts as in time',
      inputs: [...level(13.6, 0, 10, 20, 30), sg(VALVE, 'closed', 28), ...level(13.6, 40)],
      want: [],
    },
    {
      name: 'valve re-opened while still at high-high starts a new deadline',
      inputs: [...level(13.6, 0), sg(VALVE, 'closed', 10), ...level(13.6, 20, 50), sg(VALVE, 'open', 60), ...level(13.6, 70, 80, 90, 95)],
      want: ['raise:red@90'],
    },
    {
      name: 'redelivered signals do not raise twice',
      inputs: [...level(13.6, 0, 40), sg(VALVE, 'open', 41), sg(VALVE, 'open', 41), ...level(13.6, 50)],
      want: ['raise:red@30'],
    },
  ];
  it.each(cases)('tank overfill: $name', ({ inputs, want }) => {
    expect(brief(drive(interlockFailure, overfill, ctxFor(LT, 'LT-201'), inputs).findings)).toEqual(want);
  });

  it('the finding says what the actuator reported', () => {
    const { findings } = drive(interlockFailure, overfill, ctxFor(LT, 'LT-201'), [...level(13.6, 0), sg(VALVE, 'open', 5), ...level(13.6, 40)]);
    expect(findings[0]!.message.en).toContain('V-IN-1: open');
    expect(findings[0]!.evidence.some((o) => o.type === 'signal' && o.state === 'open')).toBe(true);
  });

  const CH4 = sensor('CH4-WF-101', 'methane', '%CH4', 'working-face', 'working_face');
  const FEED = signalPoint('PWR-1', 'power');
  const powerOff = interlockParamsSchema.parse({
    trigger: { type: 'threshold', threshold: 1.5 },
    actuator: { kinds: ['power'] },
    safeStates: ['de-energised'],
    responseMs: 40_000,
  });
  const methane = (v: number, ...secs: number[]) => secs.map((s) => rd(CH4, v, s));
  it.each([
    {
      name: 'feed cut within 40 s',
      inputs: [sg(FEED, 'energised', -30), ...methane(1.6, 0, 5), sg(FEED, 'de-energised', 35), ...methane(1.6, 45, 50)],
      want: [],
    },
    {
      name: 'feed still energised 40 s later',
      inputs: [sg(FEED, 'energised', -30), ...methane(1.6, 0, 5, 30), sg(FEED, 'energised', 30), ...methane(1.6, 40, 45)],
      want: ['raise:red@40'],
    },
    { name: 'below the power-off limit: nothing', inputs: [sg(FEED, 'energised', 0), ...methane(1.4, 0, 20, 40, 60)], want: [] },
  ])('methane power-off: $name', ({ inputs, want }) => {
    expect(brief(drive(interlockFailure, powerOff, ctxFor(CH4, 'CH4-WF-101'), inputs).findings)).toEqual(want);
  });

  const IN = sensor('FT-IN-101', 'flow', 'm³/h', 'furnace', 'cooling_inlet');
  const OUT = sensor('FT-OUT-101', 'flow', 'm³/h', 'furnace', 'cooling_outlet');
  const COOL = signalPoint('I-COOL-1', 'interlock');
  const cooling = interlockParamsSchema.parse({
    trigger: { type: 'difference', partner: { kinds: ['flow'], roles: ['cooling_outlet'] }, threshold: 10, deadband: 2 },
    actuator: { kinds: ['interlock'] },
    safeStates: ['tripped'],
    responseMs: 30_000,
  });
  const pair = (inlet: number, outlet: number, ...secs: number[]) => secs.flatMap((s) => [rd(IN, inlet, s), rd(OUT, outlet, s)]);
  it.each([
    { name: 'interlock trips in time', inputs: [sg(COOL, 'enabled', -10), ...pair(220, 205, 0, 10), sg(COOL, 'tripped', 15), ...pair(220, 205, 40)], want: [] },
    { name: 'flow alarm and the interlock does not act', inputs: [sg(COOL, 'enabled', -10), ...pair(220, 205, 0, 10, 20, 30, 40)], want: ['raise:red@30'] },
    { name: 'normal difference: nothing', inputs: [sg(COOL, 'enabled', -10), ...pair(220, 218.5, 0, 10, 20, 30, 40)], want: [] },
  ])('cooling water: $name', ({ inputs, want }) => {
    expect(brief(drive(interlockFailure, cooling, ctxFor(IN, 'FT-IN-101'), inputs).findings)).toEqual(want);
  });
});
