/**
 * A registered link is what the overfill interlock follows (issue #17 item 1): two tanks in ONE zone, each
 * with its own inlet valve. With the tank's `inlet_valve` link the rule reads that valve only; without a
 * link it falls back to the valves of the tank's zone (and the plant-wide ones), where the other tank's
 * valve stands in for it — wrongly either way, as the cases show.
 */
import { describe, expect, it } from 'vitest';
import { interlockFailure, interlockParamsSchema } from '../../../alerts/patterns/interlock-failure.ts';
import type { PatternInput } from '../../../alerts/patterns/pattern.ts';
import type { Observation, PointInfo } from '../../../alerts/types.ts';
import { defaultCatalogue } from '../../../alerts/rules/index.ts';
import type { SignalKind } from '../../../core/contract.ts';
import { at, brief, drive, patternContext, tick } from '../../../testkit/patterns.ts';

const E = { enterpriseId: 'E-CHEM-001', gatewayId: 'GW-CHEM-001-1' };
const ZONE = 'tank-farm';
const tank = (id: string, links?: Record<string, string[]>): PointInfo => ({ ...E, id, kind: 'level', unit: 'm', periodS: 10, zone: ZONE, role: 'tank_level', links });
const valve = (id: string): PointInfo & { kind: SignalKind } => ({ ...E, id, kind: 'valve', unit: '', periodS: 60, zone: ZONE });

const V_A = valve('V-IN-A');
const V_B = valve('V-IN-B');
const LINKED_A = tank('LT-A', { inlet_valve: ['V-IN-A'] });
const UNLINKED_A = tank('LT-A');

/** The catalogue's actuator selector of chem.overfill_interlock (the relation it follows), with the tank's high-high as a number. */
const catalogueActuator = () => {
  const rule = defaultCatalogue().rules.find((r) => r.id === 'chem.overfill_interlock')!;
  return (rule.params as { actuator: unknown }).actuator;
};
const overfill = interlockParamsSchema.parse({
  trigger: { type: 'threshold', threshold: 13.5, deadband: 0.1 },
  actuator: catalogueActuator(),
  safeStates: ['closed'],
  responseMs: 30_000,
  graceMs: 5000,
});

const level = (anchor: PointInfo, v: number, ...secs: number[]): Observation[] => secs.map((s) => ({ type: 'reading', point: anchor, value: v, quality: 'good', ts: at(s) }));
const sg = (point: PointInfo & { kind: SignalKind }, state: string, s: number): Observation => ({ type: 'signal', point, state, ts: at(s) });
const run = (anchor: PointInfo, inputs: PatternInput[]) => brief(drive(interlockFailure, overfill, patternContext(anchor, { severity: 'red', subject: anchor.id }), inputs).findings);

describe('interlock_failure follows the registered inlet_valve link', () => {
  it('the catalogue rule names the relation', () => {
    expect(catalogueActuator()).toEqual({ kinds: ['valve'], link: 'inlet_valve' });
  });

  it("tank A at high-high, valve B closes, valve A stays open: red for A (B's valve is not A's)", () => {
    const inputs = (a: PointInfo) => [sg(V_A, 'open', -10), sg(V_B, 'open', -10), ...level(a, 13.6, 0, 10), sg(V_B, 'closed', 12), ...level(a, 13.7, 20, 30, 40), sg(V_A, 'open', 45)];
    expect(run(LINKED_A, inputs(LINKED_A))).toEqual(['raise:red@30']);
  });

  it("tank A at high-high, valve B closes, valve A not heard: red for A by its link; the zone fallback takes B's closing as A's", () => {
    const inputs = (a: PointInfo): PatternInput[] => [tick(0), ...level(a, 13.6, 0, 10), sg(V_B, 'closed', 12), tick(20), ...level(a, 13.7, 20, 30, 40), tick(41)];
    expect(run(LINKED_A, inputs(LINKED_A))).toEqual(['raise:red@30']);
    expect(run(UNLINKED_A, inputs(UNLINKED_A))).toEqual([]);
  });

  it("tank A at high-high, valve A closes in time, valve B stays open: nothing by A's link; the zone fallback raises on B's open valve", () => {
    const inputs = (a: PointInfo) => [sg(V_A, 'open', -10), sg(V_B, 'open', -10), ...level(a, 13.6, 0, 10), sg(V_A, 'closed', 15), ...level(a, 13.7, 20, 30, 40), sg(V_B, 'open', 45), ...level(a, 13.7, 50)];
    expect(run(LINKED_A, inputs(LINKED_A))).toEqual([]);
    expect(run(UNLINKED_A, inputs(UNLINKED_A))).toEqual(['raise:red@30']);
  });

  it('a linked valve in another zone, or plant-wide, is followed all the same: the link is the registration', () => {
    const far = { ...valve('V-FAR'), zone: 'other-zone' };
    const a = tank('LT-A', { inlet_valve: ['V-FAR'] });
    expect(run(a, [...level(a, 13.6, 0, 10), sg(far, 'closed', 15), sg(V_A, 'open', 16), ...level(a, 13.7, 20, 30, 40)])).toEqual([]);
    expect(run(a, [...level(a, 13.6, 0, 10), sg(far, 'open', 15), sg(V_A, 'closed', 16), ...level(a, 13.7, 20, 30, 40)])).toEqual(['raise:red@30']);
  });

  it("a link of another enterprise's point of the same id is not followed", () => {
    const foreign = { ...V_A, enterpriseId: 'E-OTHER' };
    expect(run(LINKED_A, [...level(LINKED_A, 13.6, 0, 10), sg(foreign, 'closed', 15), ...level(LINKED_A, 13.7, 20, 30, 40)])).toEqual(['raise:red@30']);
  });
});
