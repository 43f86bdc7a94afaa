/**
 * The fleet simulator's pure core: the fleet plan, deterministic generation,
 * normal operation staying in its band for a whole simulated day in every
 * sector, each scenario altering generation as specified, and batching.
 */
import { describe, expect, it } from 'vitest';
import { ID_PATTERN, SIGNAL_STATES, readingSchema, readingsEnvelope, signalSchema, signalsEnvelope, type ReadingOut } from '../../../core/contract.ts';
import { SECTORS } from '../../../core/vocabulary.ts';
import { planFleet, type SimGatewayDef, type SimSensorDef } from '../../../simulators/fleet.ts';
import { generate } from '../../../simulators/generate.ts';
import { encodeMessage, packMessages } from '../../../simulators/messages.ts';
import { quantise } from '../../../simulators/model.ts';
import { gaussian, mulberry32 } from '../../../simulators/prng.ts';
import { parseScenarioCommand } from '../../../simulators/runner.ts';
import { checkScenario, scenarioSchema, type Scenario } from '../../../simulators/scenarios.ts';

const DAY = Date.UTC(2026, 0, 5, 0, 0, 0); // a Monday, 08:00 in China
const HOUR = 3_600_000;
const MIN = 60_000;
const plan = planFleet({ seed: 42, enterprises: 8 });
const bySector = (sector: SimGatewayDef['sector']): SimGatewayDef => plan.gateways.find((g) => g.sector === sector)!;
const chem = bySector('hazardous_chemicals');
const readingsOf = (rs: ReadingOut[], sensor: string) => rs.filter((r) => r.sensor === sensor);
const sensorOf = (g: SimGatewayDef, id: string): SimSensorDef => g.sensors.find((s) => s.id === id)!;
const payloads = (g: SimGatewayDef, seed: number, from: number, to: number, scenarios: Scenario[] = []) =>
  packMessages(generate(g, seed, from, to, scenarios)).map((m) => encodeMessage(m, g.enterpriseId, g.gatewayId));

describe('prng', () => {
  it('mulberry32 is deterministic per seed and gaussian draws have mean 0 and sd 1', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, mulberry32(8))).not.toEqual(xs);
    const rng = mulberry32(123);
    const n = 50_000;
    const g = Array.from({ length: n }, () => gaussian(rng));
    const mean = g.reduce((s, x) => s + x, 0) / n;
    const sd = Math.sqrt(g.reduce((s, x) => s + (x - mean) ** 2, 0) / n);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(sd - 1)).toBeLessThan(0.02);
  });

  it('quantises to the resolution without binary tails', () => {
    expect(quantise(0.1 + 0.2, 0.1)).toBe(0.3);
    expect(quantise(12.3456, 0.01)).toBe(12.35);
    expect(quantise(-0.04, 0.1)).toBe(0);
    expect(Object.is(quantise(-0.04, 0.1), -0)).toBe(false);
    expect(quantise(649.6, 1)).toBe(650);
  });
});

describe('planFleet', () => {
  it('deals enterprises round-robin over the four sectors with deterministic, valid ids', () => {
    expect(plan.gateways.map((g) => [g.enterpriseId, g.gatewayId, g.sector])).toEqual([
      ['E-CHEM-001', 'GW-CHEM-001-1', 'hazardous_chemicals'],
      ['E-MINE-001', 'GW-MINE-001-1', 'mine'],
      ['E-DUST-001', 'GW-DUST-001-1', 'explosive_dust'],
      ['E-METAL-001', 'GW-METAL-001-1', 'metal_smelting'],
      ['E-CHEM-002', 'GW-CHEM-002-1', 'hazardous_chemicals'],
      ['E-MINE-002', 'GW-MINE-002-1', 'mine'],
      ['E-DUST-002', 'GW-DUST-002-1', 'explosive_dust'],
      ['E-METAL-002', 'GW-METAL-002-1', 'metal_smelting'],
    ]);
    expect(plan.authority).toEqual({ id: 'city-demo', name: '示例市应急管理局', level: 'city' });
    expect(plan.gateways[0]!.enterpriseName).toBe('示例化工有限公司 001');
    for (const g of plan.gateways) {
      expect(SECTORS).toContain(g.sector);
      const ids = [g.enterpriseId, g.gatewayId, ...g.sensors.map((s) => s.id), ...g.signals.map((s) => s.id)];
      for (const id of ids) expect(id).toMatch(ID_PATTERN);
      const pointIds = [...g.sensors, ...g.signals].map((p) => p.id);
      expect(new Set(pointIds).size, `ids unique within ${g.enterpriseId}`).toBe(pointIds.length);
    }
    expect(planFleet({ seed: 42, enterprises: 8 })).toEqual(plan);
  });

  it('gives each sector its instruments and process signals', () => {
    const kinds = (g: SimGatewayDef) => [...new Set(g.sensors.map((s) => s.kind))].sort();
    const points = (g: SimGatewayDef) => [...new Set(g.signals.map((s) => `${s.kind}:${s.normal}`))].sort();
    expect(kinds(chem)).toEqual(['combustible_gas', 'level', 'pressure', 'temperature', 'toxic_gas']);
    expect(points(chem)).toEqual(['detector:powered', 'interlock:enabled', 'production:running', 'valve:open']);
    expect(chem.sensors.map((s) => s.id)).toEqual(expect.arrayContaining(['GT-101', 'GT-104', 'LT-201']));
    expect(chem.signals.map((s) => s.id)).toEqual(expect.arrayContaining(['P-RUN', 'V-IN-1', 'D-GT-101']));
    const mine = bySector('mine');
    expect(kinds(mine)).toEqual(['carbon_monoxide', 'methane', 'wind_speed']);
    expect(mine.sensors.filter((s) => s.kind === 'methane').map((s) => s.role)).toEqual(['working_face', 'working_face', 'return_airway']);
    expect(points(mine)).toEqual(['detector:powered', 'power:energised', 'production:running', 'ventilation:running']);
    const dust = bySector('explosive_dust');
    expect(kinds(dust)).toEqual(['differential_pressure', 'dust_concentration', 'spark_count', 'temperature']);
    expect(points(dust)).toEqual(['production:running', 'ventilation:running']);
    const metal = bySector('metal_smelting');
    expect(metal.sensors.map((s) => [s.kind, s.unit, s.role])).toEqual([
      ['temperature', '°C', 'cooling_inlet'],
      ['temperature', '°C', 'cooling_outlet'],
      ['flow', 'm³/h', 'cooling_inlet'],
      ['flow', 'm³/h', 'cooling_outlet'],
    ]);
    expect(points(metal)).toEqual(['interlock:enabled', 'production:running']);
  });

  it('multiplies instruments with the sensor scale, still with unique ids', () => {
    const scaled = planFleet({ seed: 42, enterprises: 4, sensorScale: 3 });
    for (const [i, g] of scaled.gateways.entries()) {
      expect(g.sensors.length).toBe(plan.gateways[i]!.sensors.length * 3);
      const ids = [...g.sensors, ...g.signals].map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(scaled.gateways[0]!.sensors.filter((s) => s.kind === 'combustible_gas').map((s) => s.id)).toEqual(
      Array.from({ length: 12 }, (_, i) => `GT-${101 + i}`),
    );
  });

  it('refuses options out of range', () => {
    expect(() => planFleet({ seed: 1, enterprises: 0 })).toThrow();
    expect(() => planFleet({ seed: 1, enterprises: 2, readingsPerMessage: 5000 })).toThrow();
  });
});

describe('generate: determinism', () => {
  const from = DAY + 9 * HOUR;
  const to = from + 10 * MIN;
  const leak: Scenario[] = [{ type: 'gas_leak', gatewayId: chem.gatewayId, sensorId: 'GT-102', startMs: from + 2 * MIN }];

  it('gives byte-identical payloads for the same seed, window and scenarios', () => {
    for (const g of plan.gateways) expect(payloads(g, 42, from, to, leak)).toEqual(payloads(g, 42, from, to, leak));
  });

  it('gives different values for a different seed, with the same timestamps', () => {
    const a = generate(chem, 42, from, to).readings;
    const b = generate(chem, 43, from, to).readings;
    expect(b.map((r) => [r.sensor, r.ts])).toEqual(a.map((r) => [r.sensor, r.ts]));
    expect(b.map((r) => r.value)).not.toEqual(a.map((r) => r.value));
  });

  it('does not depend on how time is cut into windows', () => {
    for (const g of plan.gateways) {
      const whole = generate(g, 42, from, to, leak);
      const parts = [from, from + 37_500, from + 4 * MIN + 1, to].slice(1).map((t, i, a) => generate(g, 42, i === 0 ? from : a[i - 1]!, t, leak));
      expect(parts.flatMap((p) => p.readings)).toEqual(whole.readings);
      expect(parts.flatMap((p) => p.signals)).toEqual(whole.signals);
    }
  });

  it('gives two enterprises of the same sector different streams', () => {
    const other = plan.gateways.find((g) => g.sector === 'hazardous_chemicals' && g !== chem)!;
    expect(generate(other, 42, from, to).readings.map((r) => r.value)).not.toEqual(generate(chem, 42, from, to).readings.map((r) => r.value));
  });
});

/** Hazard thresholds that normal operation must stay well below (or, for marks, between). */
const HAZARD_BELOW: Partial<Record<string, number>> = {
  combustible_gas: 10,
  toxic_gas: 10,
  methane: 0.5,
  carbon_monoxide: 15,
  dust_concentration: 10,
  spark_count: 1,
};

describe('generate: normal operation over a simulated day', () => {
  for (const sector of ['hazardous_chemicals', 'mine', 'explosive_dust', 'metal_smelting'] as const) {
    it(`${sector}: valid readings on every period tick, inside the normal band, signals steady`, () => {
      const g = bySector(sector);
      const { readings, signals } = generate(g, 42, DAY, DAY + 24 * HOUR);
      for (const s of g.sensors) {
        const rs = readingsOf(readings, s.id);
        expect(rs.length, s.id).toBe(86_400 / s.periodS);
        expect(rs.every((r, i) => r.ts === DAY + i * s.periodS * 1000)).toBe(true);
        const values = rs.map((r) => r.value);
        const [lo, hi] = s.normalBand;
        const min = Math.min(...values);
        const max = Math.max(...values);
        expect(min, `${s.id} min`).toBeGreaterThanOrEqual(lo);
        expect(max, `${s.id} max`).toBeLessThanOrEqual(hi);
        expect(min).toBeGreaterThanOrEqual(s.model.min);
        expect(max).toBeLessThanOrEqual(s.model.max);
        const limit = HAZARD_BELOW[s.kind];
        if (limit !== undefined) expect(max, `${s.id} below hazard`).toBeLessThan(limit);
        if (s.marks?.low !== undefined) expect(min, `${s.id} above low mark`).toBeGreaterThan(s.marks.low);
        if (s.marks?.high !== undefined) expect(max, `${s.id} below high mark`).toBeLessThan(s.marks.high);
        expect(values.every((v) => Math.abs(v / s.model.resolution - Math.round(v / s.model.resolution)) < 1e-6)).toBe(true);
        if (s.model.noiseSd > 0) {
          // a real signal: noisy, and with the daily swing visible in hourly means
          expect(new Set(values).size).toBeGreaterThan(5);
          const hourly = Array.from({ length: 24 }, (_, h) => {
            const hv = rs.filter((r) => (r.ts as number) >= DAY + h * HOUR && (r.ts as number) < DAY + (h + 1) * HOUR).map((r) => r.value);
            return hv.reduce((a, b) => a + b, 0) / hv.length;
          });
          expect(Math.max(...hourly) - Math.min(...hourly)).toBeGreaterThan(s.model.dailyAmplitude);
        }
      }
      const units = new Map(g.sensors.map((s) => [s.id, s.unit]));
      expect(readings.filter((r) => !readingSchema.safeParse(r).success || r.unit !== units.get(r.sensor))).toEqual([]);
      for (const p of g.signals) {
        const ss = signals.filter((s) => s.point === p.id);
        expect(ss.length).toBe(86_400 / p.periodS);
        expect(ss.every((s) => s.state === p.normal && s.kind === p.kind)).toBe(true);
        expect((SIGNAL_STATES[p.kind] as readonly string[]).includes(p.normal)).toBe(true);
      }
      expect(signals.filter((s) => !signalSchema.safeParse(s).success)).toEqual([]);
      if (sector === 'metal_smelting') {
        // cooling water: outlet warmer than inlet, flows close to each other
        const mean = (id: string) => readingsOf(readings, id).reduce((a, r) => a + r.value, 0) / readingsOf(readings, id).length;
        expect(mean('TT-OUT-101') - mean('TT-IN-101')).toBeGreaterThan(5);
        expect(Math.abs(mean('FT-IN-101') - mean('FT-OUT-101'))).toBeLessThan(3);
      }
    });
  }
});

describe('generate: scenarios', () => {
  const start = DAY + 10 * HOUR;
  const base = (g: SimGatewayDef, from: number, to: number) => generate(g, 42, from, to);

  it('gas_leak: the detector ramps past 25 then 50 %LEL; everything else is untouched', () => {
    const s: Scenario = { type: 'gas_leak', gatewayId: chem.gatewayId, sensorId: 'GT-101', startMs: start, rampMinutes: 10 };
    const from = start - 5 * MIN;
    const to = start + 20 * MIN;
    const { readings, signals } = generate(chem, 42, from, to, [s]);
    const gt = readingsOf(readings, 'GT-101');
    expect(gt.filter((r) => (r.ts as number) < start).every((r) => r.value < 10)).toBe(true);
    const t25 = gt.find((r) => r.value > 25)?.ts as number;
    const t50 = gt.find((r) => r.value > 50)?.ts as number;
    expect(t25).toBeGreaterThan(start);
    expect(t50).toBeGreaterThan(t25);
    expect(t50).toBeLessThanOrEqual(start + 10 * MIN);
    expect(gt.filter((r) => (r.ts as number) >= start + 10 * MIN).every((r) => r.value > 55 && r.value < 65)).toBe(true);
    const normal = base(chem, from, to);
    expect(readings.filter((r) => r.sensor !== 'GT-101')).toEqual(normal.readings.filter((r) => r.sensor !== 'GT-101'));
    expect(signals).toEqual(normal.signals);
    const peak40 = generate(chem, 42, from, to, [{ ...s, peak: 40 }]).readings;
    expect(Math.max(...readingsOf(peak40, 'GT-101').map((r) => r.value))).toBeLessThan(45);
  });

  it('overfill: the tank level passes high-high while the inlet valve stays open and production runs', () => {
    const s: Scenario = { type: 'overfill', gatewayId: chem.gatewayId, startMs: start, rampMinutes: 30 };
    const { readings, signals } = generate(chem, 42, start - 10 * MIN, start + 40 * MIN, [s]);
    const lt = sensorOf(chem, 'LT-201');
    const level = readingsOf(readings, 'LT-201');
    expect(level.filter((r) => (r.ts as number) < start).every((r) => r.value < lt.marks!.high!)).toBe(true);
    const tHH = level.find((r) => r.value > lt.marks!.highHigh!)?.ts as number;
    expect(tHH).toBeGreaterThan(start);
    expect(tHH).toBeLessThanOrEqual(start + 30 * MIN);
    expect(Math.max(...level.map((r) => r.value))).toBeLessThanOrEqual(lt.model.max);
    const valve = signals.filter((x) => x.point === 'V-IN-1');
    expect(valve.length).toBeGreaterThan(0);
    expect(valve.every((x) => x.state === 'open')).toBe(true);
    expect(signals.filter((x) => x.point === 'P-RUN').every((x) => x.state === 'running')).toBe(true);
  });

  it('frozen: the sensor repeats one value from the start, at its usual rate', () => {
    const g = bySector('mine');
    const s: Scenario = { type: 'frozen', gatewayId: g.gatewayId, sensorId: 'CH4-WF-101', startMs: start + 2_500, durationMs: 10 * MIN };
    const from = start - 5 * MIN;
    const to = start + 20 * MIN;
    const rs = readingsOf(generate(g, 42, from, to, [s]).readings, 'CH4-WF-101');
    const normal = readingsOf(base(g, from, to).readings, 'CH4-WF-101');
    expect(rs.map((r) => r.ts)).toEqual(normal.map((r) => r.ts));
    const during = rs.filter((r) => (r.ts as number) >= start + 2_500 && (r.ts as number) < start + 2_500 + 10 * MIN);
    expect(during.length).toBe(120);
    expect(new Set(during.map((r) => r.value)).size).toBe(1);
    expect(during[0]!.value).toBe(normal.find((r) => r.ts === start + 5_000)!.value);
    expect(new Set(normal.filter((r) => during.some((d) => d.ts === r.ts)).map((r) => r.value)).size).toBeGreaterThan(1);
    expect(rs.filter((r) => !during.includes(r))).toEqual(normal.filter((r) => !during.some((d) => d.ts === r.ts)));
  });

  it("detector_off: the detector reports 'off' and goes silent while production runs", () => {
    const s: Scenario = { type: 'detector_off', gatewayId: chem.gatewayId, sensorId: 'GT-103', startMs: start + 7_000, durationMs: 5 * MIN };
    const { readings, signals } = generate(chem, 42, start - 5 * MIN, start + 15 * MIN, [s]);
    const end = start + 7_000 + 5 * MIN;
    const gt = readingsOf(readings, 'GT-103');
    expect(gt.some((r) => (r.ts as number) >= start + 7_000 && (r.ts as number) < end)).toBe(false);
    expect(gt.some((r) => (r.ts as number) < start + 7_000)).toBe(true);
    expect(gt.some((r) => (r.ts as number) >= end)).toBe(true);
    const det = signals.filter((x) => x.point === 'D-GT-103');
    expect(det.find((x) => x.ts === start + 7_000)?.state).toBe('off');
    expect(det.find((x) => x.ts === end)?.state).toBe('powered');
    expect(det.filter((x) => (x.ts as number) > start + 7_000 && (x.ts as number) < end).every((x) => x.state === 'off')).toBe(true);
    expect(det.filter((x) => (x.ts as number) < start + 7_000).every((x) => x.state === 'powered')).toBe(true);
    expect(signals.filter((x) => x.point === 'P-RUN').every((x) => x.state === 'running')).toBe(true);
    expect(signals.filter((x) => x.point === 'D-GT-101').every((x) => x.state === 'powered')).toBe(true);
    expect(readingsOf(readings, 'GT-101').length).toBe(20 * 12);
  });

  it('offline and scenarios for other gateways do not change generation', () => {
    const other = plan.gateways[4]!;
    const scenarios: Scenario[] = [
      { type: 'offline', gatewayId: chem.gatewayId, startMs: start, durationMs: 5 * MIN },
      { type: 'gas_leak', gatewayId: other.gatewayId, sensorId: 'GT-101', startMs: start },
    ];
    expect(generate(chem, 42, start - MIN, start + 10 * MIN, scenarios)).toEqual(base(chem, start - MIN, start + 10 * MIN));
  });
});

describe('scenario commands', () => {
  it('parses each scenario type and refuses malformed ones', () => {
    const ok: unknown[] = [
      { type: 'gas_leak', gatewayId: 'GW-CHEM-001-1', sensorId: 'GT-101', startMs: 1, rampMinutes: 5, peak: 60 },
      { type: 'overfill', gatewayId: 'GW-CHEM-001-1', startMs: 1 },
      { type: 'offline', gatewayId: 'GW-CHEM-001-1', startMs: 1, durationMs: 60_000 },
      { type: 'frozen', gatewayId: 'GW-CHEM-001-1', sensorId: 'LT-201', startMs: 1 },
      { type: 'detector_off', gatewayId: 'GW-CHEM-001-1', sensorId: 'GT-101', startMs: 1 },
    ];
    for (const s of ok) expect(scenarioSchema.safeParse(s).success, JSON.stringify(s)).toBe(true);
    const bad: unknown[] = [
      { type: 'earthquake', gatewayId: 'GW-CHEM-001-1', startMs: 1 },
      { type: 'offline', gatewayId: 'GW-CHEM-001-1', startMs: 1 },
      { type: 'gas_leak', gatewayId: 'GW-CHEM-001-1', startMs: 1 },
      { type: 'frozen', gatewayId: 'GW-CHEM-001-1', sensorId: 'LT-201', startMs: 1, extra: true },
      { type: 'frozen', gatewayId: 'bad id', sensorId: 'LT-201', startMs: 1 },
    ];
    for (const s of bad) expect(scenarioSchema.safeParse(s).success, JSON.stringify(s)).toBe(false);
  });

  it('turns startInS into a start relative to the simulated now', () => {
    const s = parseScenarioCommand({ type: 'gas_leak', gatewayId: 'GW-CHEM-001-1', sensorId: 'GT-101', startInS: 30 }, 1_000_000);
    expect(s).toEqual({ type: 'gas_leak', gatewayId: 'GW-CHEM-001-1', sensorId: 'GT-101', startMs: 1_030_000 });
    expect(parseScenarioCommand({ type: 'frozen', gatewayId: 'G', sensorId: 'S' }, 5).startMs).toBe(5);
    expect(() => parseScenarioCommand({ type: 'frozen', gatewayId: 'G', sensorId: 'S', startInS: -1 }, 5)).toThrow(/startInS/);
    expect(() => parseScenarioCommand({ type: 'frozen', gatewayId: 'G', sensorId: 'S', startInS: 1, startMs: 1 }, 5)).toThrow(/not both/);
    expect(() => parseScenarioCommand('gas', 5)).toThrow(/object/);
  });

  it('checks a scenario against the fleet', () => {
    const leak = (sensorId: string): Scenario => ({ type: 'gas_leak', gatewayId: chem.gatewayId, sensorId, startMs: 0 });
    expect(checkScenario(chem, leak('GT-101'))).toBeUndefined();
    expect(checkScenario(chem, leak('LT-201'))).toMatch(/not a gas detector/);
    expect(checkScenario(chem, leak('GT-999'))).toMatch(/no sensor/);
    expect(checkScenario(undefined, leak('GT-101'))).toMatch(/unknown gateway/);
    expect(checkScenario(bySector('mine'), { type: 'overfill', gatewayId: 'GW-MINE-001-1', startMs: 0 })).toMatch(/no level sensor/);
  });
});

describe('batching into messages', () => {
  const from = DAY + 12 * HOUR;
  const to = from + 5 * MIN;

  it.each([20, 7, 1])('cuts readings into messages of at most %i, several sensors and timestamps each, oldest first', (n) => {
    const g = generate(chem, 42, from, to);
    const msgs = packMessages(g, n);
    const rMsgs = msgs.filter((m) => m.channel === 'readings');
    const sMsgs = msgs.filter((m) => m.channel === 'signals');
    expect(rMsgs.every((m) => m.readings.length >= 1 && m.readings.length <= n)).toBe(true);
    expect(rMsgs.slice(0, -1).every((m) => m.readings.length === n)).toBe(true);
    expect(rMsgs.flatMap((m) => m.readings)).toEqual(g.readings);
    expect(sMsgs.flatMap((m) => m.signals)).toEqual(g.signals);
    if (n === 20) {
      expect(rMsgs.some((m) => new Set(m.readings.map((r) => r.sensor)).size > 1 && new Set(m.readings.map((r) => r.ts)).size > 1)).toBe(true);
    }
    const firstTs = msgs.map((m) => (m.channel === 'readings' ? m.readings[0]!.ts : m.signals[0]!.ts) as number);
    expect(firstTs).toEqual([...firstTs].sort((a, b) => a - b));
    for (const m of msgs) {
      const { topic, payload } = encodeMessage(m, chem.enterpriseId, chem.gatewayId);
      const env = (m.channel === 'readings' ? readingsEnvelope : signalsEnvelope).safeParse(JSON.parse(payload));
      expect(env.success).toBe(true);
      expect(topic).toBe(`v1/${chem.enterpriseId}/${chem.gatewayId}/${m.channel}`);
    }
  });

  it('refuses a batch size below 1', () => {
    expect(() => packMessages({ readings: [], signals: [] }, 0)).toThrow(RangeError);
  });
});
