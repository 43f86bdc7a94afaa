/**
 * The sensors API on a real (in-memory) PGlite ledger through `app.inject`:
 * registered alarm marks, instrument range and resolution round-trip through
 * create → list / get, and are refused with 400 BAD_REQUEST naming the field
 * when they are out of order or impossible.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import type { InfluxClient } from '../../../core/influx/client.ts';
import { createLogger } from '../../../core/logger.ts';
import { createMetrics } from '../../../core/metrics.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { systemClock } from '../../../core/clock.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const TOKEN = TEST_ADMIN_TOKEN;
const auth = { authorization: `Bearer ${TOKEN}` };

let db: Db;
let provisioning: Provisioning;
let app: ReturnType<typeof buildApi>;
/** Each test provisions into an enterprise of its own (E1, E2, …) on the file's one ledger. */
let n = 0;
let ids: { enterpriseId: string; gatewayId: string };
let tank: typeof ids & { id: string; kind: string; unit: string; periodS: number; zone: string };

/** Influx is not reached by these routes. */
const noInflux = {} as InfluxClient;

beforeAll(async () => {
  const logger = createLogger({ level: 'silent' });
  db = await openDb({ pgliteDir: 'memory://', logger });
  provisioning = new Provisioning(db, systemClock);
  app = buildApi({ adminToken: TOKEN }, { db, influx: noInflux, provisioning, metrics: createMetrics(), logger, clock: { now: () => Date.now() } });
});

beforeEach(async () => {
  n++;
  ids = { enterpriseId: `E${n}`, gatewayId: `G${n}` };
  tank = { id: 'LT-201', ...ids, kind: 'level', unit: 'm', periodS: 10, zone: 'tank-farm' };
  await post('/api/v1/enterprises', { id: ids.enterpriseId, name: `企业 ${ids.enterpriseId}`, sector: 'hazardous_chemicals' }, 201);
  await post('/api/v1/gateways', { id: ids.gatewayId, enterpriseId: ids.enterpriseId }, 201);
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

async function post(url: string, payload: object, status?: number) {
  const r = await app.inject({ method: 'POST', url, headers: auth, payload });
  if (status !== undefined) expect(r.statusCode, r.body).toBe(status);
  return r;
}

interface ListedSensor {
  id: string;
  kind: string;
  unit: string;
  periodS: number;
  zone: string | null;
  marks?: Record<string, number>;
  range?: { min: number; max: number };
  resolution?: number;
}

async function listed(): Promise<ListedSensor[]> {
  const r = await app.inject({ method: 'GET', url: `/api/v1/enterprises/${ids.enterpriseId}/sensors`, headers: auth });
  expect(r.statusCode).toBe(200);
  return r.json<{ sensors: ListedSensor[] }>().sensors;
}

describe('registered marks, range and resolution', () => {
  it('round-trip through create → list and get', async () => {
    const registered = { marks: { lowLow: 1, low: 2, high: 12, highHigh: 13.5 }, range: { min: 0, max: 15 }, resolution: 0.01 };
    const created = await post('/api/v1/sensors', { ...tank, ...registered }, 201);
    expect(created.json()).toMatchObject(registered);

    const [s] = await listed();
    // the registry's defaults: the id as tag number, the kind's indicator code
    expect(s).toEqual({ ...tank, role: null, name: '', ...registered, tagNo: 'LT-201', indicatorCode: 'YW' });

    expect(await provisioning.getSensor(ids.enterpriseId, 'LT-201')).toEqual(s);
  });

  it('keeps a partial set of marks (equal neighbours allowed) and a negative range as given', async () => {
    const registered = { marks: { low: 180, high: 180 }, range: { min: -40, max: 150 } };
    await post('/api/v1/sensors', { id: 'TT-301', ...ids, kind: 'temperature', unit: '°C', periodS: 15, ...registered }, 201);
    const [s] = await listed();
    expect(s).toMatchObject(registered);
    expect(s).not.toHaveProperty('resolution');
    expect(await provisioning.getSensor(ids.enterpriseId, 'TT-301')).toMatchObject(registered);
  });

  it('a sensor or signal point without them still works, and answers without those fields', async () => {
    await post('/api/v1/sensors', { id: 'GT-101', ...ids, kind: 'combustible_gas', unit: '%LEL', periodS: 5 }, 201);
    await post('/api/v1/sensors', { id: 'V-IN', ...ids, kind: 'valve', periodS: 60 }, 201);
    const sensors = await listed();
    expect(sensors).toEqual([
      { id: 'GT-101', ...ids, kind: 'combustible_gas', unit: '%LEL', periodS: 5, zone: null, role: null, name: '', tagNo: 'GT-101', indicatorCode: 'KRQT' },
      { id: 'V-IN', ...ids, kind: 'valve', unit: '', periodS: 60, zone: null, role: null, name: '', tagNo: 'V-IN', indicatorCode: 'FMZT' },
    ]);
    expect(await provisioning.getSensor(ids.enterpriseId, 'GT-101')).toEqual(sensors[0]);
  });

  const refused: { name: string; body: object; field: RegExp }[] = [
    { name: 'low above high', body: { marks: { low: 5, high: 3 } }, field: /^marks: .*low \(5\) > high \(3\)/ },
    { name: 'lowLow above low', body: { marks: { lowLow: 2, low: 1, high: 12 } }, field: /^marks: .*lowLow \(2\) > low \(1\)/ },
    { name: 'highHigh below high', body: { marks: { high: 12, highHigh: 11 } }, field: /^marks: .*high \(12\) > highHigh \(11\)/ },
    { name: 'lowLow above highHigh with nothing between', body: { marks: { lowLow: 3, highHigh: 1 } }, field: /^marks: .*lowLow \(3\) > highHigh \(1\)/ },
    { name: 'an unknown mark', body: { marks: { hihi: 3 } }, field: /^marks: .*hihi/ },
    { name: 'a mark that is not a number', body: { marks: { high: '3' } }, field: /^marks\.high: / },
    { name: 'range min equal to max', body: { range: { min: 5, max: 5 } }, field: /^range: min must be less than max/ },
    { name: 'range min above max', body: { range: { min: 15, max: 0 } }, field: /^range: min must be less than max/ },
    { name: 'range without max', body: { range: { min: 0 } }, field: /^range\.max: / },
    { name: 'zero resolution', body: { resolution: 0 }, field: /^resolution: / },
    { name: 'negative resolution', body: { resolution: -0.01 }, field: /^resolution: / },
  ];

  it.each(refused)('refuses $name with 400 BAD_REQUEST naming the field, storing nothing', async ({ body, field }) => {
    const r = await post('/api/v1/sensors', { ...tank, ...body }, 400);
    const { error } = r.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(field);
    expect(await listed()).toEqual([]);
  });
});

interface Answer {
  status: string;
  effectiveRules: { id: string; hazard: boolean; fallback?: { zh: string }; limits: { label: string; value: number; severity: string }[] }[];
  warnings: { code: string; zh: string; en: string }[];
}

describe('the names the rules depend on are part of the contract', () => {
  const mine = async () => {
    const e = `${ids.enterpriseId}-M`;
    const g = `${ids.gatewayId}-M`;
    await post('/api/v1/enterprises', { id: e, name: `煤矿 ${e}`, sector: 'mine' }, 201);
    await post('/api/v1/gateways', { id: g, enterpriseId: e }, 201);
    return { enterpriseId: e, gatewayId: g };
  };
  const methane = { id: 'CH4-1', kind: 'methane', unit: '%CH4', periodS: 5, zone: 'face-1' };

  it('regression: a methane location written in the integrator’s own words is refused, with the valid locations and their Chinese names', async () => {
    const r = await post('/api/v1/sensors', { ...methane, ...(await mine()), role: '上隅角' }, 400);
    const { error } = r.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/^role: '上隅角' is not a valid methane sensor location/);
    expect(error.message).toContain('upper_corner（采煤工作面回风隅角）');
    expect(error.message).toContain('heading_face（');
  });

  it.each([
    { name: 'an unknown kind', body: { kind: 'gas' }, message: /^kind: must be one of: combustible_gas（可燃气体）/ },
    {
      name: 'a roadway type that is not in the table',
      body: { kind: 'wind_speed', unit: 'm/s', role: 'tunnel' },
      message: /face_or_coal_heading（采煤工作面、掘进中的煤巷和半煤岩巷）/,
    },
    { name: 'a toxic gas the platform has no limits for, as a role', body: { kind: 'toxic_gas', unit: 'ppm', role: 'xylene' }, message: /h2s（硫化氢）/ },
    {
      name: 'a role on a kind that takes none',
      body: { kind: 'combustible_gas', unit: '%LEL', role: 'tank-farm' },
      message: /kind 'combustible_gas' takes no role/,
    },
  ])('refuses $name with the valid values', async ({ body, message }) => {
    const r = await post('/api/v1/sensors', { ...tank, ...body }, 400);
    expect(r.json<{ error: { message: string } }>().error.message).toMatch(message);
    expect(await listed()).toEqual([]);
  });

  it('serves the vocabulary to anyone, with the Chinese names', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/vocabulary' });
    expect(r.statusCode).toBe(200);
    const v = r.json<{ roles: { kind: string; roles: { id: string; zh: string }[] }[] }>();
    expect(v.roles.find((x) => x.kind === 'methane')?.roles).toContainEqual(expect.objectContaining({ id: 'upper_corner', zh: '采煤工作面回风隅角' }));
  });

  it('answers the point’s effective rules with their limits, resolved as the rules worker does', async () => {
    const where = await mine();
    await post('/api/v1/sensors', { id: 'PWR-1', ...where, kind: 'power', periodS: 60 }, 201);
    const r = await post('/api/v1/sensors', { ...methane, ...where, role: 'upper_corner', links: [{ relation: 'power_feed', target: 'PWR-1' }] }, 201);
    const a = r.json<Answer>();
    expect(a.status).toBe('monitored');
    expect(a.warnings).toEqual([]);
    const rule = a.effectiveRules.find((x) => x.id === 'mine.methane.upper_corner');
    expect(rule?.limits).toEqual([
      { label: 'alarm', value: 1, severity: 'orange' },
      { label: 'power_off', value: 1.5, severity: 'red' },
    ]);
    expect(a.effectiveRules.map((x) => x.id)).toEqual(expect.arrayContaining(['mine.methane.power_off_failure.upper_corner', 'common.data_silence']));
  });

  it('a methane sensor without a location: strictest limits, and a warning until its location is set', async () => {
    const a = (await post('/api/v1/sensors', { ...methane, ...(await mine()) }, 201)).json<Answer>();
    expect(a.status).toBe('default');
    expect(a.effectiveRules.find((x) => x.id === 'mine.methane.unlocated')?.limits).toEqual([{ label: 'power_off', value: 0.5, severity: 'red' }]);
    expect(a.warnings.map((w) => w.code)).toEqual(['default_limits']);
    expect(a.warnings[0]!.zh).toContain('未登记设置地点');
  });
});

describe('no silently unmonitored point', () => {
  it('regression: a tank level without registered marks is provisioned with a warning, and listed as unmonitored with the reason', async () => {
    const a = (await post('/api/v1/sensors', tank, 201)).json<Answer>();
    expect(a.status).toBe('unmonitored');
    expect(a.warnings.map((w) => w.code)).toEqual(['unmonitored']);
    expect(a.warnings[0]!.zh).toMatch(/^测点 LT-201 未受任何报警规则监测：chem\.tank_level\.high 不能生效：需登记 marks\.high、marks\.highHigh/);
    await post('/api/v1/sensors', { id: 'GT-101', ...ids, kind: 'combustible_gas', unit: '%LEL', periodS: 5, zone: 'tank-farm' }, 201);
    await post('/api/v1/sensors', { id: 'P-RUN', ...ids, kind: 'production', periodS: 60 }, 201);

    const r = await app.inject({ method: 'GET', url: `/api/v1/coverage?enterpriseId=${ids.enterpriseId}`, headers: auth });
    expect(r.statusCode).toBe(200);
    const c = r.json<{
      counts: Record<string, number>;
      points: { pointId: string; status: string; rules: { id: string }[] }[];
      unmonitored: { pointId: string; reasons: { zh: string; en: string }[] }[];
    }>();
    expect(c.counts).toEqual({ monitored: 1, default: 0, context: 1, unmonitored: 1, stopped: 0 });
    expect(c.points.map((p) => `${p.pointId} ${p.status}`)).toEqual(['GT-101 monitored', 'LT-201 unmonitored', 'P-RUN context']);
    expect(c.points[0]!.rules.map((x) => x.id)).toContain('gas.combustible');
    expect(c.unmonitored.map((u) => u.pointId)).toEqual(['LT-201']);
    expect(c.unmonitored[0]!.reasons.map((x) => x.en)).toEqual([
      'chem.tank_level.high cannot apply: needs marks.high, marks.highHigh registered',
      'chem.tank_level.low cannot apply: needs marks.low, marks.lowLow registered',
      'chem.overfill_interlock cannot apply: needs marks.highHigh registered',
    ]);
  });

  it('refuses a coverage query without an enterprise, and answers 404 for an unknown one', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/coverage', headers: auth })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/v1/coverage?enterpriseId=NOPE', headers: auth })).statusCode).toBe(404);
  });
});
