/**
 * The point registry through the admin API on a real (in-memory) PGlite ledger (issue #17 item 1): tag
 * numbers unique in the enterprise, indicator codes checked against the kind, the marks a kind allows, CAS
 * numbers with their check digit, the major hazard source a point belongs to, explicit links checked by
 * relation, changes (PATCH) and stops on record (停用) with reason, person and time — each audited, and
 * each seen by the rules' coverage (a stopped point is `stopped`, not unmonitored; a registered link
 * silences the `link_by_zone` warning).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server.ts';
import { AuditTrail } from '../../../core/audit.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import type { InfluxClient } from '../../../core/influx/client.ts';
import { createLogger } from '../../../core/logger.ts';
import { createMetrics } from '../../../core/metrics.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
/** The clock of the audit records and the stops, set by each test. */
let now = Date.parse('2026-12-05T10:00:00Z');
const clock = { now: () => now };

let db: Db;
let app: ReturnType<typeof buildApi>;
let n = 0;
let E: string;
let G: string;

beforeAll(async () => {
  const logger = createLogger({ level: 'silent' });
  db = await openDb({ pgliteDir: 'memory://', logger });
  const provisioning = new Provisioning(db, clock);
  app = buildApi({ adminToken: TEST_ADMIN_TOKEN }, { db, influx: {} as InfluxClient, provisioning, metrics: createMetrics(), logger, clock });
});

beforeEach(async () => {
  n++;
  E = `E${n}`;
  G = `G${n}`;
  await call('POST', '/api/v1/enterprises', { id: E, name: `化工企业 ${E}`, sector: 'hazardous_chemicals' }, 201);
  await call('POST', '/api/v1/gateways', { id: G, enterpriseId: E }, 201);
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

async function call(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, status?: number) {
  const r = await app.inject({ method, url, headers: auth, ...(payload === undefined ? {} : { payload }) });
  if (status !== undefined) expect(r.statusCode, r.body).toBe(status);
  return r;
}
const point = (id: string, more: object = {}) => ({ id, enterpriseId: E, gatewayId: G, ...more });
const tank = (id: string, more: object = {}) =>
  point(id, {
    kind: 'level',
    unit: 'm',
    periodS: 10,
    zone: 'tank-farm',
    marks: { lowLow: 1, low: 2, high: 12, highHigh: 13.5 },
    range: { min: 0, max: 15 },
    ...more,
  });
const valve = (id: string) => point(id, { kind: 'valve', periodS: 60, zone: 'tank-farm' });
const message = (r: { json<T>(): T }) => r.json<{ error: { code: string; message: string } }>().error;
const sensorUrl = (id: string) => `/api/v1/enterprises/${E}/sensors/${id}`;
async function get(id: string) {
  const { sensors } = (await call('GET', `/api/v1/enterprises/${E}/sensors`, undefined, 200)).json<{ sensors: Record<string, unknown>[] }>();
  return sensors.find((s) => s.id === id);
}

describe('what a point registers', () => {
  it('tag number, indicator code (by code, kind id or Chinese name), CAS number, location and hazard source round-trip', async () => {
    await call(
      'POST',
      `/api/v1/enterprises/${E}/hazard-sources`,
      {
        code: 'HS-1',
        name: '罐区',
        rValue: 60,
        persons: {
          main: { name: '张三', phone: '13800000001' },
          technical: { name: '李四', phone: '13800000002' },
          operational: { name: '王五', phone: '13800000003' },
        },
      },
      201,
    );
    await call('POST', '/api/v1/sensors', tank('LT-201', { tagNo: 'LIA-201', indicatorCode: '液位', location: '1# 储罐', hazardSourceCode: 'HS-1' }), 201);
    await call(
      'POST',
      '/api/v1/sensors',
      point('AT-1', { kind: 'toxic_gas', unit: 'ppm', periodS: 5, indicatorCode: 'ydqt', casNo: '7783-06-4', role: 'h2s' }),
      201,
    );
    expect(await get('LT-201')).toMatchObject({ tagNo: 'LIA-201', indicatorCode: 'YW', location: '1# 储罐', hazardSourceCode: 'HS-1' });
    expect(await get('AT-1')).toMatchObject({ tagNo: 'AT-1', indicatorCode: 'YDQT', casNo: '7783-06-4' });
  });

  it.each([
    {
      name: 'a tag number already used in the enterprise',
      body: () => tank('LT-202', { tagNo: 'LT-201' }),
      status: 409,
      msg: /位号 LT-201 在企业 E\d+ 已被其他测点使用/,
    },
    {
      name: 'an indicator code of another kind',
      body: () => tank('LT-202', { indicatorCode: 'WD' }),
      status: 400,
      msg: /indicatorCode: 指标编码 WD 是温度，与类型液位不符/,
    },
    { name: 'an unknown indicator code', body: () => tank('LT-202', { indicatorCode: 'ZZZ' }), status: 400, msg: /未知指标编码 ZZZ.*the kind's code is YW/ },
    {
      name: 'a low mark on a gas detector',
      body: () => point('GT-1', { kind: 'combustible_gas', unit: '%LEL', periodS: 5, marks: { low: 5, high: 20 } }),
      status: 400,
      msg: /marks\.low: 可燃气体只能登记高报、高高报/,
    },
    {
      name: 'alarm marks on a state signal',
      body: () => point('V-1', { kind: 'valve', periodS: 60, marks: { high: 1 } }),
      status: 400,
      msg: /marks\.high: .*状态信号，不登记报警值/,
    },
    {
      name: 'a CAS number with a wrong check digit',
      body: () => point('AT-2', { kind: 'toxic_gas', unit: 'ppm', periodS: 5, casNo: '7783-06-5' }),
      status: 400,
      msg: /casNo: CAS 号校验位不符/,
    },
    {
      name: 'a hazard source the enterprise does not have',
      body: () => tank('LT-202', { hazardSourceCode: 'HS-9' }),
      status: 400,
      msg: /hazardSourceCode: 本企业没有重大危险源 HS-9/,
    },
    {
      name: 'a link to a point the enterprise does not have',
      body: () => tank('LT-202', { links: [{ relation: 'inlet_valve', target: 'V-9' }] }),
      status: 400,
      msg: /links\.0: 本企业没有测点 V-9/,
    },
    {
      name: 'a link of a relation the kinds do not allow',
      body: () => tank('LT-202', { links: [{ relation: 'inlet_valve', target: 'LT-201' }] }),
      status: 400,
      msg: /links\.0: 进料阀关联只能指向 valve 测点，目标为 level/,
    },
    {
      name: 'an unknown relation',
      body: () => tank('LT-202', { links: [{ relation: 'outlet_valve', target: 'V-1' }] }),
      status: 400,
      msg: /links\.0\.relation: 关联类型可选/,
    },
    { name: 'a link to itself', body: () => tank('LT-202', { links: [{ relation: 'inlet_valve', target: 'LT-202' }] }), status: 400, msg: /测点不能关联自身/ },
  ])('refuses $name, naming it, and writes nothing', async ({ body, status, msg }) => {
    await call('POST', '/api/v1/sensors', tank('LT-201'), 201);
    const before = (await call('GET', `/api/v1/enterprises/${E}/sensors`, undefined, 200)).body;
    const r = await call('POST', '/api/v1/sensors', body(), status);
    expect(message(r).message).toMatch(msg);
    expect((await call('GET', `/api/v1/enterprises/${E}/sensors`, undefined, 200)).body).toBe(before);
  });
});

describe('explicit links, as the rules see them', () => {
  it('a tank without its inlet valve registered warns that the interlock rule reads its zone; registering the link clears the warning', async () => {
    await call('POST', '/api/v1/sensors', valve('V-201'), 201);
    const first = (await call('POST', '/api/v1/sensors', tank('LT-201'), 201)).json<{ warnings: { code: string; zh: string }[] }>();
    expect(first.warnings).toEqual([
      expect.objectContaining({ code: 'link_by_zone', zh: '测点 LT-201：规则 chem.overfill_interlock 未登记“进料阀”关联，按区域tank-farm匹配' }),
    ]);
    const patched = (await call('PATCH', sensorUrl('LT-201'), { links: [{ relation: 'inlet_valve', target: 'V-201' }] }, 200)).json<{
      links: Record<string, string[]>;
      warnings: unknown[];
    }>();
    expect(patched.links).toEqual({ inlet_valve: ['V-201'] });
    expect(patched.warnings).toEqual([]);
    // an empty list removes the links again
    expect((await call('PATCH', sensorUrl('LT-201'), { links: [] }, 200)).json()).not.toHaveProperty('links');
  });
});

describe('changing a point', () => {
  it('changes the given fields, clears the ones set to null, keeps the rest, and audits what it was', async () => {
    await call('POST', '/api/v1/sensors', tank('LT-201', { location: '1# 罐', resolution: 0.01 }), 201);
    const r = await call('PATCH', sensorUrl('LT-201'), { marks: { lowLow: 1, high: 11, highHigh: 12.5 }, location: null, tagNo: 'LIA-201' }, 200);
    expect(r.json()).toMatchObject({ marks: { lowLow: 1, high: 11, highHigh: 12.5 }, tagNo: 'LIA-201', resolution: 0.01, zone: 'tank-farm' });
    expect(await get('LT-201')).not.toHaveProperty('location');
    const audit = await new AuditTrail(db).list({ subjectType: 'sensor', subjectId: `${E}/LT-201` });
    const updated = audit.find((a) => a.action === 'sensor.updated')!;
    expect(updated.actor).toBe('user:admin');
    expect(updated.data).toMatchObject({
      change: { tagNo: 'LIA-201', location: null },
      before: { tagNo: 'LT-201', location: '1# 罐', marks: { high: 12, highHigh: 13.5 } },
    });
  });

  it.each([
    { name: 'its kind (a different kind is a different point)', body: { kind: 'temperature' }, status: 400, msg: /kind/ },
    { name: 'marks out of order after the merge', body: { marks: { high: 14, highHigh: 13 } }, status: 400, msg: /high \(14\) > highHigh \(13\)/ },
    { name: 'a gateway of another enterprise', body: { gatewayId: 'G-OTHER' }, status: 404, msg: /gateway G-OTHER not found/ },
  ])('refuses a change of $name', async ({ body, status, msg }) => {
    await call('POST', '/api/v1/sensors', tank('LT-201'), 201);
    expect(message(await call('PATCH', sensorUrl('LT-201'), body, status)).message).toMatch(msg);
  });

  it('answers 404 for a point the enterprise does not have', async () => {
    expect(message(await call('PATCH', sensorUrl('NOPE'), { name: 'x' }, 404)).code).toBe('NOT_FOUND');
  });
});

describe('stopping a point on record (停用)', () => {
  it('records reason, person and time; the point is stopped for the rules, not unmonitored; resuming puts it back', async () => {
    await call('POST', '/api/v1/sensors', tank('LT-201'), 201);
    now = Date.parse('2026-12-05T10:30:00Z');
    const stopped = (await call('POST', `${sensorUrl('LT-201')}/stop`, { reason: '储罐清洗，液位计拆检' }, 200)).json<{ stopped: object }>();
    expect(stopped.stopped).toEqual({ at: '2026-12-05T10:30:00.000Z', reason: '储罐清洗，液位计拆检', by: 'user:admin' });

    const coverage = (await call('GET', `/api/v1/coverage?enterpriseId=${E}`, undefined, 200)).json<{
      counts: Record<string, number>;
      points: { pointId: string; status: string; rules: unknown[]; reasons: { zh: string }[] }[];
    }>();
    const lt = coverage.points.find((p) => p.pointId === 'LT-201')!;
    expect(lt).toMatchObject({ status: 'stopped', rules: [] });
    expect(lt.reasons[0]!.zh).toBe('已停用（储罐清洗，液位计拆检；user:admin，2026-12-05T10:30:00.000Z）');
    expect(coverage.counts).toMatchObject({ stopped: 1, unmonitored: 0 });

    expect(message(await call('POST', `${sensorUrl('LT-201')}/stop`, { reason: '再次' }, 409)).message).toMatch(/已于 2026-12-05T10:30:00.000Z 停用/);
    now = Date.parse('2026-12-06T08:00:00Z');
    expect(await (await call('POST', `${sensorUrl('LT-201')}/resume`, undefined, 200)).json()).not.toHaveProperty('stopped');
    expect(message(await call('POST', `${sensorUrl('LT-201')}/resume`, undefined, 409)).message).toMatch(/在用，无需恢复/);

    const actions = (await new AuditTrail(db).list({ subjectType: 'sensor', subjectId: `${E}/LT-201` })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['sensor.created', 'sensor.stopped', 'sensor.resumed']));
  });

  it('a stop needs a reason', async () => {
    await call('POST', '/api/v1/sensors', tank('LT-201'), 201);
    expect(message(await call('POST', `${sensorUrl('LT-201')}/stop`, { reason: '  ' }, 400)).message).toMatch(/停用原因必填/);
    expect(message(await call('POST', `${sensorUrl('LT-201')}/stop`, {}, 400)).message).toMatch(/停用原因必填/);
  });
});

describe('the vocabulary lists the registry’s codes', () => {
  it('indicator codes with the marks each kind allows, and the relations', async () => {
    const v = (await call('GET', '/api/v1/vocabulary', undefined, 200)).json<{
      indicatorCodes: { code: string; kind: string; zh: string; marks: string[] }[];
      relations: { id: string; zh: string }[];
    }>();
    expect(v.indicatorCodes).toContainEqual(expect.objectContaining({ code: 'YW', kind: 'level', zh: '液位', marks: ['lowLow', 'low', 'high', 'highHigh'] }));
    expect(v.indicatorCodes).toContainEqual(expect.objectContaining({ code: 'KRQT', kind: 'combustible_gas', marks: ['high', 'highHigh'] }));
    expect(new Set(v.indicatorCodes.map((c) => c.code)).size).toBe(v.indicatorCodes.length);
    expect(v.relations.map((r) => r.id)).toEqual(['inlet_valve', 'power_feed', 'cooling_outlet', 'cooling_interlock', 'production', 'ventilation']);
  });
});
