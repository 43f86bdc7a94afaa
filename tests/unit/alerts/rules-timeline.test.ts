/**
 * The default catalogue over simulated timelines (pure: the simulator's own
 * generator, the resolved rules and a fake clock ticking every 5 s; no
 * broker, no database). Normal operation of every sector for a day raises
 * nothing; each scenario raises exactly the expected findings, with the
 * expected grades, within a bounded delay.
 */
import { describe, expect, it } from 'vitest';
import type { PatternInput } from '../../../alerts/patterns/pattern.ts';
import type { RulePoint } from '../../../alerts/rules/limits.ts';
import { defaultCatalogue } from '../../../alerts/rules/packs/index.ts';
import { acceptsInput, initState, resolveRules, stepRule, type ResolvedRule } from '../../../alerts/rules/resolve.ts';
import type { Finding, Observation } from '../../../alerts/types.ts';
import type { SignalKind } from '../../../core/contract.ts';
import { planFleet, type SimGatewayDef } from '../../../simulators/fleet.ts';
import { generate } from '../../../simulators/generate.ts';
import type { Scenario } from '../../../simulators/scenarios.ts';
import { pointsOf } from '../../../testkit/rules.ts';

const SEED = 42;
const catalogue = defaultCatalogue();
const plan = planFleet({ seed: SEED, enterprises: 4 });
const gateway = (sector: string) => plan.gateways.find((g) => g.sector === sector)!;
/** Midnight, China Standard Time. */
const DAY0 = Date.UTC(2026, 2, 1) - 8 * 3_600_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const TICK_MS = 5000;

/**
 * Feeds a gateway's generated data through every rule instance, in arrival
 * order, with a tick every 5 s. During `offline` the gateway's data arrives at
 * the end of the window (store and forward) after an 'online' status; an
 * 'offline' status (the last will) arrives at its start.
 */
function runTimeline(g: SimGatewayDef, fromMs: number, toMs: number, scenarios: Scenario[] = [], offline?: [number, number]): Finding[] {
  const points = pointsOf(g);
  const byId = new Map(points.map((p) => [p.id, p]));
  const instances = new Map<string, { rule: ResolvedRule; state: unknown }>();
  for (const p of points)
    for (const rule of resolveRules(catalogue, [], p)) if (!instances.has(rule.key)) instances.set(rule.key, { rule, state: initState(rule) });

  const gen = generate(g, SEED, fromMs, toMs, scenarios);
  const obs: Observation[] = [
    ...gen.readings.map((r): Observation => ({ type: 'reading', point: byId.get(r.sensor)!, value: r.value, quality: r.quality, ts: r.ts as number })),
    ...gen.signals.map((s): Observation => ({
      type: 'signal',
      point: byId.get(s.point)! as RulePoint & { kind: SignalKind },
      state: s.state,
      ts: s.ts as number,
    })),
  ];
  const deliveries = obs.map((o) => ({ arrive: offline && o.ts >= offline[0] && o.ts < offline[1] ? offline[1] : o.ts, o }));
  if (offline) {
    const status = (state: 'online' | 'offline', ts: number): Observation => ({
      type: 'gateway',
      enterpriseId: g.enterpriseId,
      gatewayId: g.gatewayId,
      state,
      reason: state,
      ts,
    });
    deliveries.push({ arrive: offline[0], o: status('offline', offline[0]) }, { arrive: offline[1] - 0.5, o: status('online', offline[1]) });
  }
  deliveries.sort((a, b) => a.arrive - b.arrive || a.o.ts - b.o.ts);

  const findings: Finding[] = [];
  const feed = (input: PatternInput) => {
    for (const inst of instances.values()) {
      if (!acceptsInput(inst.rule, input)) continue;
      const r = stepRule(inst.rule, inst.state, input);
      inst.state = r.state;
      findings.push(...r.findings);
    }
  };
  let next = fromMs;
  for (const d of deliveries) {
    for (; next < d.arrive; next += TICK_MS) feed({ type: 'tick', now: next });
    feed(d.o);
  }
  for (; next < toMs; next += TICK_MS) feed({ type: 'tick', now: next });
  return findings;
}
const brief = (fs: Finding[]) => fs.map((f) => `${f.ruleId} ${f.condition} ${f.severity} ${f.subject}`);
const atOf = (fs: Finding[], ruleId: string, condition: string, severity?: string) =>
  fs.find((f) => f.ruleId === ruleId && f.condition === condition && (severity === undefined || f.severity === severity))?.at ?? Number.NaN;

describe('default catalogue over simulated timelines', () => {
  // issue #17: a simulated normal week of the demo fleet raises no alarm (each sector's plant, its links registered)
  it.each(['hazardous_chemicals', 'mine', 'explosive_dust', 'metal_smelting'])('normal operation of %s for a week: no finding', (sector) => {
    expect(brief(runTimeline(gateway(sector), DAY0, DAY0 + 7 * 24 * HOUR))).toEqual([]);
  }, 120_000);

  const start = DAY0 + 10 * HOUR;
  const from = start - HOUR;

  it('gas leak: level 1 (orange) then level 2 (red) on the detector, cleared when it ends', () => {
    const g = gateway('hazardous_chemicals');
    const fs = runTimeline(g, from, start + HOUR, [{ type: 'gas_leak', gatewayId: g.gatewayId, sensorId: 'GT-101', startMs: start, durationMs: 30 * MIN }]);
    expect(brief(fs)).toEqual(['gas.combustible raise orange GT-101', 'gas.combustible raise red GT-101', 'gas.combustible clear red GT-101']);
    // 0.6 → 60 %LEL over 10 min: 25 %LEL after ~4 min, 50 %LEL after ~8.3 min
    expect(atOf(fs, 'gas.combustible', 'raise', 'orange') - start).toBeGreaterThan(3 * MIN);
    expect(atOf(fs, 'gas.combustible', 'raise', 'orange') - start).toBeLessThan(5 * MIN);
    expect(atOf(fs, 'gas.combustible', 'raise', 'red') - start).toBeGreaterThan(7 * MIN);
    expect(atOf(fs, 'gas.combustible', 'raise', 'red') - start).toBeLessThan(9.5 * MIN);
    expect(atOf(fs, 'gas.combustible', 'clear') - (start + 30 * MIN)).toBeLessThanOrEqual(5000);
  });

  it('overfill with the inlet valve failing open: high (yellow), high-high (orange), interlock failure (red) 30 s later', () => {
    const g = gateway('hazardous_chemicals');
    const fs = runTimeline(g, from, start + HOUR, [{ type: 'overfill', gatewayId: g.gatewayId, startMs: start }]);
    expect(brief(fs)).toEqual([
      'chem.tank_level.high raise yellow LT-201',
      'chem.tank_level.high raise orange LT-201',
      'chem.overfill_interlock raise red LT-201',
    ]);
    const hh = atOf(fs, 'chem.tank_level.high', 'raise', 'orange');
    expect(atOf(fs, 'chem.overfill_interlock', 'raise')).toBe(hh + 30_000);
    expect(hh - start).toBeLessThan(30 * MIN);
  });

  it('frozen tank temperature while production runs: raised at the start of the run after 30 min, cleared when it varies again', () => {
    const g = gateway('hazardous_chemicals');
    const fs = runTimeline(g, from, start + 2 * HOUR, [{ type: 'frozen', gatewayId: g.gatewayId, sensorId: 'TT-301', startMs: start, durationMs: HOUR }]);
    expect(brief(fs)).toEqual(['common.frozen raise yellow TT-301', 'common.frozen clear yellow TT-301']);
    expect(start - atOf(fs, 'common.frozen', 'raise')).toBeGreaterThanOrEqual(0);
    expect(start - atOf(fs, 'common.frozen', 'raise')).toBeLessThan(MIN);
    expect(atOf(fs, 'common.frozen', 'clear') - (start + HOUR)).toBeLessThan(MIN);
  });

  it('gas detector switched off during production: one orange alert, no silence alert, cleared when powered again', () => {
    const g = gateway('hazardous_chemicals');
    const fs = runTimeline(g, from, start + HOUR, [{ type: 'detector_off', gatewayId: g.gatewayId, sensorId: 'GT-102', startMs: start, durationMs: 30 * MIN }]);
    expect(brief(fs)).toEqual(['common.detector_off raise orange D-GT-102', 'common.detector_off clear orange D-GT-102']);
    expect(atOf(fs, 'common.detector_off', 'raise')).toBe(start);
    expect(atOf(fs, 'common.detector_off', 'clear')).toBe(start + 30 * MIN);
  });

  it('gateway offline for 10 min: the gateway alert, and only suppressible silence alerts besides', () => {
    const g = gateway('mine');
    const fs = runTimeline(g, from, start + HOUR, [], [start, start + 10 * MIN]);
    const root = fs.filter((f) => f.ruleId !== 'common.data_silence');
    expect(brief(root)).toEqual([`common.gateway_offline raise orange gateway:${g.gatewayId}`, `common.gateway_offline clear orange gateway:${g.gatewayId}`]);
    expect(root.map((f) => f.at)).toEqual([start, start + 10 * MIN]);
    const silence = fs.filter((f) => f.ruleId === 'common.data_silence');
    expect(catalogue.rules.find((r) => r.id === 'common.data_silence')?.suppressibleByGatewayOffline).toBe(true);
    const raised = silence.filter((f) => f.condition === 'raise').map((f) => f.subject);
    expect(raised.sort()).toEqual(
      pointsOf(g)
        .map((p) => p.id)
        .sort(),
    );
    expect(
      silence
        .filter((f) => f.condition === 'clear')
        .map((f) => f.subject)
        .sort(),
    ).toEqual(raised.sort());
  });
});
