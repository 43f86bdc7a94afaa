/**
 * The demo fleet registered the national way (issue #17 item 1), on the real platform: each enterprise's
 * identity on record, the chemical plants' tank farm as a major hazard source with its points, every point's
 * tag number, indicator code and gas CAS number, and the links the compound rules follow — so the coverage
 * warns no `link_by_zone` and leaves no point that should be watched unmonitored. And end to end through the
 * rules worker: two tanks in one zone, each with its own inlet valve; the tank whose own valve stays open
 * raises the red overfill-interlock alert although the other tank's valve closed.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../alerts/state/index.ts';
import { encodeReadings, encodeSignals, topics, type ReadingOut, type SignalOut } from '../../../core/contract.ts';
import { indicatorCodeOf } from '../../../core/indicator-codes.ts';
import { checkUscc } from '../../../core/uscc.ts';
import type { Platform } from '../../../platform/platform.ts';
import { DEMO_AREA, planFleet, provisionFleet } from '../../../simulators/fleet.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let api: AdminClient;

beforeAll(async () => {
  svc = await startTestServices('fleetreg');
  ({ platform } = await startTestPlatform(svc, 'fleetreg', { rules: { tickMs: 50, snapshotIntervalMs: 200 } }));
  api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
});

afterAll(async () => {
  await platform?.stop();
  await svc?.stop();
});

interface PointView {
  id: string;
  kind: string;
  tagNo: string;
  indicatorCode?: string;
  casNo?: string;
  hazardSourceCode?: string;
  links?: Record<string, string[]>;
}
interface CoverageView {
  points: { pointId: string; kind: string; status: string; linksByZone: { ruleId: string; relation: string }[] }[];
}

/**
 * The furnace's cooling-water inlet temperature: the catalogue watches the cooling water at the outlet
 * (its temperature marks) and by the inlet − outlet flow difference; the inlet temperature is a reference
 * no hazard rule reads, so the coverage lists it as unmonitored (no rule in the catalogue for it).
 */
const NOT_A_HAZARD_POINT = /^TT-IN-\d+$/;

describe('the demo fleet in the point registry', () => {
  const plan = planFleet({ seed: 7, enterprises: 4, sensorScale: 2 });

  beforeAll(async () => {
    await provisionFleet(plan, api);
  }, 120_000);

  it('registers each enterprise with a valid credit code, an address and coordinates in the demo area, and a safety manager', async () => {
    const codes = new Set<string>();
    for (const g of plan.gateways) {
      const { enterprise } = await api.ok<{ enterprise: Record<string, unknown> }>('GET', `/api/v1/enterprises/${g.enterpriseId}/file`);
      expect(enterprise, g.enterpriseId).toMatchObject(g.identity);
      const code = enterprise.creditCode as string;
      expect(checkUscc(code), code).toMatchObject({ ok: true });
      expect(code.slice(2, 8)).toBe(DEMO_AREA.division);
      codes.add(code);
      expect(enterprise.longitude as number).toBeGreaterThanOrEqual(DEMO_AREA.longitude[0]);
      expect(enterprise.longitude as number).toBeLessThanOrEqual(DEMO_AREA.longitude[1]);
      expect(enterprise.latitude as number).toBeGreaterThanOrEqual(DEMO_AREA.latitude[0]);
      expect(enterprise.latitude as number).toBeLessThanOrEqual(DEMO_AREA.latitude[1]);
      expect(enterprise.safetyManagerPhone).toMatch(/^1[3-9]\d{9}$/);
    }
    expect(codes.size).toBe(plan.gateways.length);
  });

  it('registers the chemical plants’ tank farm as a major hazard source, graded by R, with its points', async () => {
    for (const g of plan.gateways) {
      const { hazardSources } = await api.ok<{ hazardSources: { code: string; level: number; rValue: number; persons: Record<string, { phone: string }> }[] }>(
        'GET',
        `/api/v1/enterprises/${g.enterpriseId}/hazard-sources`,
      );
      const { sensors } = await api.ok<{ sensors: PointView[] }>('GET', `/api/v1/enterprises/${g.enterpriseId}/sensors`);
      if (g.sector !== 'hazardous_chemicals') {
        expect(hazardSources, g.enterpriseId).toEqual([]);
        expect(sensors.filter((s) => s.hazardSourceCode)).toEqual([]);
        continue;
      }
      expect(hazardSources).toEqual([expect.objectContaining({ code: 'MHS-TANK-FARM', level: 3, rValue: 36.8 })]);
      expect(Object.keys(hazardSources[0]!.persons).sort()).toEqual(['main', 'operational', 'technical']);
      const inSource = sensors.filter((s) => s.hazardSourceCode === 'MHS-TANK-FARM').map((s) => s.id);
      expect(inSource).toEqual(expect.arrayContaining(['LT-201', 'LT-202', 'GT-101', 'AT-101', 'V-IN-1', 'V-IN-2', 'I-SIS-1', 'D-GT-101']));
      expect(sensors.find((s) => s.id === 'P-RUN')?.hazardSourceCode).toBeUndefined();
    }
  });

  it('gives every point its tag number and indicator code, and gas detectors the CAS number of their gas', async () => {
    const cas: Record<string, string> = {};
    for (const g of plan.gateways) {
      const { sensors } = await api.ok<{ sensors: PointView[] }>('GET', `/api/v1/enterprises/${g.enterpriseId}/sensors`);
      expect(sensors.length).toBe(g.sensors.length + g.signals.length);
      for (const s of sensors) {
        expect(s.tagNo, s.id).toBe(s.id);
        expect(s.indicatorCode, s.id).toBe(indicatorCodeOf(s.kind));
        if (s.casNo) cas[`${s.kind}:${s.id.replace(/-\d+$/, '')}`] = s.casNo;
      }
    }
    expect(cas).toEqual({
      'toxic_gas:AT': '7783-06-4',
      'methane:CH4-WF': '74-82-8',
      'methane:CH4-RA': '74-82-8',
      'carbon_monoxide:CO': '630-08-0',
    });
  });

  it('links each tank to its own inlet valve, each methane sensor to the feed it cuts, the cooling inlet flow to its outlet and interlock', async () => {
    const linksOf = async (enterpriseId: string) => {
      const { sensors } = await api.ok<{ sensors: PointView[] }>('GET', `/api/v1/enterprises/${enterpriseId}/sensors`);
      return Object.fromEntries(sensors.filter((s) => s.links).map((s) => [s.id, s.links]));
    };
    expect(await linksOf('E-CHEM-001')).toEqual({ 'LT-201': { inlet_valve: ['V-IN-1'] }, 'LT-202': { inlet_valve: ['V-IN-2'] } });
    expect(await linksOf('E-MINE-001')).toEqual({
      'CH4-WF-101': { power_feed: ['PWR-1'] },
      'CH4-WF-102': { power_feed: ['PWR-1'] },
      'CH4-WF-103': { power_feed: ['PWR-1'] },
      'CH4-WF-104': { power_feed: ['PWR-1'] },
      'CH4-RA-101': { power_feed: ['PWR-1'] },
      'CH4-RA-102': { power_feed: ['PWR-1'] },
    });
    expect(await linksOf('E-DUST-001')).toEqual({});
    expect(await linksOf('E-METAL-001')).toEqual({
      'FT-IN-101': { cooling_interlock: ['I-COOL-1'], cooling_outlet: ['FT-OUT-101'] },
      'FT-IN-102': { cooling_interlock: ['I-COOL-1'], cooling_outlet: ['FT-OUT-102'] },
    });
  });

  it('leaves no compound rule matching by zone and no point that a hazard rule should watch unmonitored', async () => {
    for (const g of plan.gateways) {
      const c = await api.ok<CoverageView>('GET', `/api/v1/coverage?enterpriseId=${g.enterpriseId}`);
      expect(c.points.length).toBe(g.sensors.length + g.signals.length);
      expect(c.points.filter((p) => p.linksByZone.length > 0).map((p) => [p.pointId, p.linksByZone]), g.enterpriseId).toEqual([]);
      // every instrument is watched by a hazard rule (but the one the catalogue has no rule for, named here);
      // the signals give context or are watched themselves
      for (const p of c.points) {
        const sensor = g.sensors.find((s) => s.id === p.pointId);
        const expected = !sensor ? ['monitored', 'context'] : NOT_A_HAZARD_POINT.test(p.pointId) ? ['unmonitored'] : ['monitored'];
        expect(expected, `${g.enterpriseId}/${p.pointId}`).toContain(p.status);
      }
    }
  });
});

describe('end to end through the rules worker: two tanks in one zone, each with its own inlet valve', () => {
  const E = 'E-LINK';
  const G = 'GW-LINK';
  let client: MqttClient;

  beforeAll(async () => {
    await api.ok('POST', '/api/v1/enterprises', { id: E, name: '联锁关联测试企业', sector: 'hazardous_chemicals', authorityId: 'city-demo' });
    const gw = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: G, enterpriseId: E });
    const at = { enterpriseId: E, gatewayId: G };
    for (const v of ['V-IN-A', 'V-IN-B']) await api.ok('POST', '/api/v1/sensors', { ...at, id: v, kind: 'valve', periodS: 60 });
    for (const [tank, valve] of [
      ['LT-A', 'V-IN-A'],
      ['LT-B', 'V-IN-B'],
    ] as const) {
      const r = await api.ok<{ warnings: { code: string }[] }>('POST', '/api/v1/sensors', {
        ...at,
        id: tank,
        kind: 'level',
        unit: 'm',
        periodS: 10,
        zone: 'tank-farm',
        role: 'tank_level',
        marks: { lowLow: 1, low: 2, high: 12, highHigh: 13.5 },
        range: { min: 0, max: 15 },
        links: [{ relation: 'inlet_valve', target: valve }],
      });
      expect(r.warnings.map((w) => w.code)).not.toContain('link_by_zone');
    }
    client = await connect(platform.mqttPort, { clientId: G, username: G, password: gw.secret });
  });

  afterAll(() => {
    client?.end(true);
  });

  const send = async (readings: ReadingOut[], signals: SignalOut[]) => {
    if (signals.length > 0) await publish(client, topics.signals(E, G), encodeSignals(signals));
    if (readings.length > 0) await publish(client, topics.readings(E, G), encodeReadings(readings));
    await platform.rules.drained();
  };
  const alertsOf = async (subject: string) => {
    const { rows } = await platform.db.query<{ data: Alert }>('SELECT data FROM alerts WHERE fingerprint = $1', [`chem.overfill_interlock|${E}|${subject}`]);
    return rows.map((r) => r.data);
  };

  it('tank A at high-high, its valve A stays open while valve B closes: red for A; tank B, its own valve closed, raises nothing', async () => {
    const t0 = Date.now() - 10 * 60_000;
    const s = (sec: number) => t0 + sec * 1000;
    const level = (sensor: string, value: number, sec: number): ReadingOut => ({ sensor, value, unit: 'm', quality: 'good', ts: s(sec) });
    const valve = (point: string, state: string, sec: number): SignalOut => ({ point, kind: 'valve', state, ts: s(sec) });
    await send([level('LT-A', 11, -10), level('LT-B', 11, -10)], [valve('V-IN-A', 'open', -10), valve('V-IN-B', 'open', -10)]);
    await send([level('LT-A', 13.6, 0), level('LT-B', 13.6, 0), level('LT-A', 13.6, 10), level('LT-B', 13.6, 10)], []);
    await send([], [valve('V-IN-B', 'closed', 12)]);
    for (const sec of [20, 30, 40, 50]) await send([level('LT-A', 13.7, sec), level('LT-B', 13.7, sec)], sec === 40 ? [valve('V-IN-A', 'open', 40)] : []);
    const [a, ...moreA] = await alertsOf('LT-A');
    expect(moreA).toEqual([]);
    expect(a).toMatchObject({ severity: 'red', state: 'firing' });
    expect(a!.message.en).toContain('V-IN-A: open');
    expect(a!.message.en).not.toContain('V-IN-B');
    expect(await alertsOf('LT-B')).toEqual([]);
  });
});
