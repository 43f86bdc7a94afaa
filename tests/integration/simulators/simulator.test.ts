/**
 * The fleet simulator against the real platform (Redis, InfluxDB 1.6.7,
 * PGlite, MQTT): idempotent provisioning, every acknowledged reading stored
 * exactly once with its device timestamp and value across an offline period
 * and its backlog flush, and PUBACK accounting that survives a broker crash
 * (kill -9) with messages in flight.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ReadingOut } from '../../../core/contract.ts';
import { InfluxClient } from '../../../core/influx/client.ts';
import type { Platform } from '../../../platform/platform.ts';
import { planFleet, provisionFleet, type SensorRegistration, type SimGatewayDef } from '../../../simulators/fleet.ts';
import { SimGateway } from '../../../simulators/gateway.ts';
import { generate } from '../../../simulators/generate.ts';
import type { Scenario } from '../../../simulators/scenarios.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { countReadings, storedReadings } from '../../../testkit/fixtures.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { platformProcess } from '../../../testkit/platform-process.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const SEED = 7;
const MIN = 60_000;

let svc: TestServices;
let platform: Platform;
let api: AdminClient;
const gateways: SimGateway[] = [];

beforeAll(async () => {
  svc = await startTestServices('simulator');
  ({ platform } = await startTestPlatform(svc, 'simulator'));
  api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
});

afterAll(async () => {
  await Promise.allSettled(gateways.map((g) => g.close()));
  await platform?.stop();
  await svc?.stop();
});

/** Records what the platform acknowledged, by `sensor@ts`, and counts duplicates. */
function recordAcks(g: SimGateway) {
  const acked = new Map<string, number>();
  let duplicates = 0;
  g.onAcked = (rs) => {
    for (const r of rs) {
      const k = `${r.sensor}@${r.ts as number}`;
      if (acked.has(k)) duplicates++;
      acked.set(k, r.value);
    }
  };
  return { acked, duplicates: () => duplicates };
}

const keyed = (rs: ReadingOut[]) => new Map(rs.map((r) => [`${r.sensor}@${r.ts as number}`, r.value]));

const gatewayStatus = async (id: string, enterpriseId: string) =>
  (await api.ok<{ gateways: { id: string; status: string }[] }>('GET', `/api/v1/gateways?enterpriseId=${enterpriseId}`)).gateways.find((g) => g.id === id)
    ?.status;

describe('simulated fleet on the real platform', () => {
  const plan = planFleet({ seed: SEED, enterprises: 4 });
  let secrets: Map<string, string>;

  it('provisions the fleet idempotently: a second run keeps the ledger and rotates the secrets', async () => {
    const first = await provisionFleet(plan, api);
    secrets = await provisionFleet(plan, api);
    expect([...secrets.keys()]).toEqual(plan.gateways.map((g) => g.gatewayId));
    for (const g of plan.gateways) {
      expect(secrets.get(g.gatewayId)).not.toBe(first.get(g.gatewayId));
      const { sensors } = await api.ok<{ sensors: ({ id: string; kind: string; unit: string; periodS: number } & SensorRegistration)[] }>(
        'GET',
        `/api/v1/enterprises/${g.enterpriseId}/sensors`,
      );
      const expected = [...g.sensors.map((s) => [s.id, s.kind, s.unit, s.periodS]), ...g.signals.map((p) => [p.id, p.kind, '', p.periodS])];
      expect(sensors.map((s) => [s.id, s.kind, s.unit, s.periodS]).sort()).toEqual(expected.sort());
      // the ledger carries each sensor's marks, instrument range and resolution; signal points have none
      const registered = (s: (typeof sensors)[number]) => ({ marks: s.marks, range: s.range, resolution: s.resolution });
      const byId = new Map(sensors.map((s) => [s.id, registered(s)]));
      for (const s of g.sensors) {
        expect(byId.get(s.id), s.id).toEqual({ marks: s.marks, range: { min: s.model.min, max: s.model.max }, resolution: s.model.resolution });
      }
      expect(
        g.sensors.some((s) => s.marks),
        'the plan registers some marks',
      ).toBe(true);
      for (const p of g.signals) expect(byId.get(p.id), p.id).toEqual({ marks: undefined, range: undefined, resolution: undefined });
    }
    const stale = new SimGateway(plan.gateways[0]!, { secret: first.get(plan.gateways[0]!.gatewayId)!, port: platform.mqttPort, seed: SEED });
    await expect(stale.connect()).rejects.toThrow(/Bad username or password|Not authorized/i);
  });

  it('stores every acknowledged reading exactly once, with its device ts and value, across offline periods and backlog flushes', async () => {
    const t0 = Math.floor((Date.now() - 30 * MIN) / MIN) * MIN;
    const t1 = t0 + 15 * MIN;
    const [chem, mine] = [plan.gateways[0]!, plan.gateways[1]!];
    const scenarios: Scenario[] = [
      { type: 'offline', gatewayId: chem.gatewayId, startMs: t0 + 4 * MIN, durationMs: 6 * MIN },
      { type: 'gas_leak', gatewayId: chem.gatewayId, sensorId: 'GT-101', startMs: t0 + 2 * MIN, rampMinutes: 5 },
      { type: 'detector_off', gatewayId: mine.gatewayId, sensorId: 'CH4-WF-101', startMs: t0 + 3 * MIN },
    ];
    const sims = plan.gateways.map((def) => new SimGateway(def, { secret: secrets.get(def.gatewayId)!, port: platform.mqttPort, seed: SEED }));
    gateways.push(...sims);
    const acks = sims.map(recordAcks);
    await Promise.all(sims.map((g) => g.connect()));
    const [simChem, simMine] = [sims[0]!, sims[1]!];

    // Five simulated minutes per "tick"; the chemical plant's offline scenario cuts its link inside the first two.
    await Promise.all(sims.map((g) => g.publishSpan(t0, t0 + 5 * MIN, scenarios)));
    expect(simChem.online).toBe(false);
    expect(simChem.stats.backlog).toBeGreaterThan(0);
    await vi.waitFor(async () => expect(await gatewayStatus(chem.gatewayId, chem.enterpriseId)).toBe('offline'), { timeout: 10_000, interval: 50 });

    // The mine's link is cut by hand while its messages are still in flight.
    const inFlight = simMine.publishSpan(t0 + 5 * MIN, t0 + 10 * MIN, scenarios);
    await simMine.goOffline();
    await Promise.all([simChem, ...sims.slice(2)].map((g) => g.publishSpan(t0 + 5 * MIN, t0 + 10 * MIN, scenarios)));
    await simMine.publishSpan(t0 + 10 * MIN, t1, scenarios);
    expect(simMine.stats.backlog).toBeGreaterThan(0);
    await vi.waitFor(async () => expect(await gatewayStatus(mine.gatewayId, mine.enterpriseId)).toBe('offline'), { timeout: 10_000, interval: 50 });
    await simMine.goOnline();
    await inFlight;
    expect(simMine.stats.backlog).toBe(0);
    expect(simMine.stats.resentMessages).toBeGreaterThan(0); // what was in flight when the link was cut went again

    // The chemical plant comes back at t0 + 10 min and flushes its backlog before the rest.
    await Promise.all([simChem, ...sims.slice(2)].map((g) => g.publishSpan(t0 + 10 * MIN, t1, scenarios)));
    expect(simChem.online).toBe(true);
    await vi.waitFor(async () => expect(await gatewayStatus(chem.gatewayId, chem.enterpriseId)).toBe('online'), { timeout: 10_000, interval: 50 });
    await Promise.all(sims.map((g) => g.drain()));

    for (const [i, g] of sims.entries()) {
      const def: SimGatewayDef = g.def;
      const expected = keyed(generate(def, SEED, t0, t1, scenarios).readings);
      expect(g.stats.generatedReadings).toBe(expected.size);
      expect(g.stats.ackedReadings).toBe(expected.size);
      expect(g.stats.backlog).toBe(0);
      expect(g.stats.droppedFromBacklog).toBe(0);
      expect(acks[i]!.duplicates()).toBe(0);
      expect(acks[i]!.acked).toEqual(expected);
      expect(await countReadings(platform.influx, `"ent" = '${def.enterpriseId}'`)).toBe(expected.size);
    }
    // Exact device timestamps and values, leak ramp included, for a sensor whose readings were partly backlogged.
    const gt = generate(chem, SEED, t0, t1, scenarios).readings.filter((r) => r.sensor === 'GT-101');
    expect(await storedReadings(platform.influx, chem.enterpriseId, 'GT-101')).toEqual(gt.map((r) => [r.ts, r.value, 'good']));
    expect(Math.max(...gt.map((r) => r.value))).toBeGreaterThan(50);
    // The switched-off detector: no readings after it went off, and its 'off' state stored.
    const ch4 = await storedReadings(platform.influx, mine.enterpriseId, 'CH4-WF-101');
    expect(ch4.length).toBeGreaterThan(0);
    expect(ch4.every(([ts]) => ts < t0 + 3 * MIN)).toBe(true);
    const det = await platform.influx.query(
      `SELECT "state" FROM "signal" WHERE "ent" = '${mine.enterpriseId}' AND "point" = 'D-CH4-WF-101' AND time >= ${t0 + 3 * MIN}ms`,
    );
    expect(det[0]?.values[0]).toEqual([t0 + 3 * MIN, 'off']);
  });
});

describe('broker crash with messages in flight', () => {
  it('resolves publishSpan only once every message, re-sent ones included, is PUBACKed, and stores each reading once', { timeout: 180_000 }, async () => {
    const proc = platformProcess(svc, { name: 'simcrash' });
    const token = proc.token;
    await proc.start();
    const { mqttPort, httpPort } = proc;
    let gw: SimGateway | undefined;
    try {
      const plan = planFleet({ seed: SEED, enterprises: 1, sensorScale: 4 });
      const def = plan.gateways[0]!;
      const secrets = await provisionFleet(plan, new AdminClient(`http://127.0.0.1:${httpPort}`, token));
      gw = new SimGateway(def, { secret: secrets.get(def.gatewayId)!, port: mqttPort, seed: SEED, maxInflight: 200 });
      const { acked, duplicates } = recordAcks(gw);
      let ackedMessages = 0;
      let enoughAcked!: () => void;
      const hundredAcked = new Promise<void>((r) => (enoughAcked = r));
      const record = gw.onAcked!;
      gw.onAcked = (rs, ss) => {
        record(rs, ss);
        if (++ackedMessages === 100) enoughAcked();
      };
      await gw.connect();
      const now = Date.now();
      const [from, to] = [now - 2 * 3600_000, now];
      let resolved = false;
      const span = gw.publishSpan(from, to).then(() => (resolved = true));

      await hundredAcked;
      await proc.kill9();
      const atCrash = gw.stats;
      expect(atCrash.inflight).toBeGreaterThan(0);
      expect(atCrash.ackedReadings).toBeLessThan(atCrash.generatedReadings);
      expect(resolved).toBe(false);

      await proc.start();
      await span;
      const expected = keyed(generate(def, SEED, from, to).readings);
      const stats = gw.stats;
      expect(stats.resentMessages).toBeGreaterThan(0);
      expect(stats.inflight).toBe(0);
      expect(stats.ackedReadings).toBe(expected.size);
      expect(duplicates()).toBe(0);
      expect(acked).toEqual(expected);
      const influx = new InfluxClient({ url: svc.influx.url, database: 'p_simcrash' });
      const series = await influx.query(`SELECT count("value") FROM "reading" WHERE "ent" = '${def.enterpriseId}'`);
      expect(Number(series[0]?.values[0]?.[1])).toBe(expected.size);
    } finally {
      await gw?.close();
      await proc.stop();
    }
  });
});
