/**
 * Planned stops on record (停产/检修, issue #17 item 4) through the API on PGlite: the admin registers one
 * for the enterprise, a unit (zone or major hazard source), a gateway or points; bad input is refused with a
 * 400 naming the field (dates, duration bound, targets the enterprise does not have); overlapping stops are
 * allowed; the list filters those in force; a stop is ended (early is fine) or cancelled once; every change
 * is audited; an officer reads the stops of their jurisdiction only and may not register one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApi } from '../../../api/server.ts';
import type { Db } from '../../../core/db/db.ts';
import type { PlannedStop } from '../../../ledger/stops.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';

const ADMIN = 'stops-admin-token-0123456789';
const auth = { authorization: `Bearer ${ADMIN}` };
const H = 3_600_000;
let now = Date.parse('2026-12-05T00:00:00Z');
const clock = { now: () => now };
let db: Db;
let app: ReturnType<typeof buildApi>;
const tokens: Record<string, string> = {};
type Err = { error: { code: string; message: string } };
type Stop = PlannedStop & { status: string };
type Method = 'GET' | 'POST';
const call = (method: Method, url: string, payload?: unknown, headers: Record<string, string> = auth) =>
  app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
const as = (officer: string) => ({ authorization: `Bearer ${tokens[officer]}` });
const iso = (t: number) => new Date(t).toISOString();
const body = (over: Record<string, unknown> = {}) => ({
  scope: 'gateway',
  targets: ['G1'],
  kind: 'maintenance',
  reason: '年度检修',
  person: { name: '张工', phone: '0591-8765 4321' },
  startsAt: iso(now),
  expectedEndAt: iso(now + 8 * H),
  ...over,
});
const register = async (over: Record<string, unknown> = {}, enterprise = 'E1') => {
  const r = await call('POST', `/api/v1/enterprises/${enterprise}/stops`, body(over));
  expect(r.statusCode, r.body).toBe(201);
  return r.json<Stop>();
};
const refused = async (over: Record<string, unknown>, status = 400) => {
  const r = await call('POST', '/api/v1/enterprises/E1/stops', body(over));
  expect(r.statusCode, r.body).toBe(status);
  return r.json<Err>().error.message;
};

beforeAll(async () => {
  ({ app, db } = await buildTestApi(ADMIN, clock));
  for (const a of [
    { id: 'C', name: '市局', level: 'city' },
    { id: 'K1', name: '甲县局', level: 'county', parentId: 'C' },
    { id: 'K2', name: '乙县局', level: 'county', parentId: 'C' },
  ])
    expect((await call('POST', '/api/v1/authorities', a)).statusCode).toBe(201);
  for (const [id, authorityId] of [
    ['E1', 'K1'],
    ['E2', 'K2'],
  ])
    expect((await call('POST', '/api/v1/enterprises', { id, name: `企业 ${id}`, sector: 'hazardous_chemicals', authorityId })).statusCode).toBe(201);
  const persons = Object.fromEntries(['main', 'technical', 'operational'].map((k) => [k, { name: '李四', phone: '13800000000' }]));
  expect((await call('POST', '/api/v1/enterprises/E1/hazard-sources', { code: 'MH-1', name: '罐区', rValue: 50, persons })).statusCode).toBe(201);
  for (const [id, enterpriseId] of [
    ['G1', 'E1'],
    ['G2', 'E1'],
    ['G9', 'E2'],
  ])
    expect((await call('POST', '/api/v1/gateways', { id, enterpriseId })).statusCode).toBe(201);
  for (const [id, gatewayId, zone, hazardSourceCode] of [
    ['GT-1', 'G1', 'tankfarm', 'MH-1'],
    ['GT-2', 'G2', 'reactor', undefined],
  ] as const)
    expect(
      (
        await call('POST', '/api/v1/sensors', {
          id,
          enterpriseId: 'E1',
          gatewayId,
          kind: 'combustible_gas',
          unit: '%LEL',
          periodS: 5,
          zone,
          ...(hazardSourceCode ? { hazardSourceCode } : {}),
        })
      ).statusCode,
    ).toBe(201);
  for (const [id, authorityId, role] of [
    ['duty-k1', 'K1', 'duty_officer'],
    ['duty-k2', 'K2', 'duty_officer'],
  ]) {
    const r = await call('POST', '/api/v1/officers', { id, name: id, authorityId, role });
    expect(r.statusCode, r.body).toBe(201);
    tokens[id!] = r.json<{ token: string }>().token;
  }
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('registering a planned stop', () => {
  it('a gateway stop: answered with its record and status, audited on the enterprise', async () => {
    const s = await register();
    expect(s).toMatchObject({
      enterpriseId: 'E1',
      scope: 'gateway',
      targets: ['G1'],
      kind: 'maintenance',
      person: { name: '张工', phone: '0591-8765 4321' },
      registeredBy: 'user:admin',
      registeredAt: iso(now),
      startsAt: iso(now),
      expectedEndAt: iso(now + 8 * H),
      endedAt: null,
      cancelledAt: null,
      suppressedAlerts: 0,
      status: 'active',
    });
    const audit = await db.query<{ action: string; actor: string; data: { stopId: string } }>(
      "SELECT action, actor, data FROM audit_log WHERE subject_type = 'enterprise' AND subject_id = 'E1' AND action LIKE 'planned_stop.%'",
    );
    expect(audit.rows.map((r) => [r.action, r.actor, r.data.stopId])).toEqual([['planned_stop.registered', 'user:admin', s.id]]);
  });

  it.each([
    ['the whole enterprise', { scope: 'enterprise', targets: [] }],
    ['a unit by zone', { scope: 'zone', targets: ['tankfarm'] }],
    ['a unit by major hazard source', { scope: 'hazard_source', targets: ['MH-1'] }],
    ['points', { scope: 'points', targets: ['GT-1', 'GT-2'] }],
  ])('%s, overlapping the gateway stop (allowed)', async (_, over) => {
    expect((await register({ ...over, kind: 'production_stop' })).scope).toBe(over.scope);
  });

  it.each([
    ['an expected end before the start', { expectedEndAt: iso(now - H) }, 'expectedEndAt: 预计恢复时间须晚于开始时间 / expectedEndAt must be after startsAt'],
    ['more than 90 days', { expectedEndAt: iso(now + 91 * 24 * H) }, "(the bureau's setting; platform default)"],
    ['a date that is no date', { startsAt: '2026-13-45T00:00:00Z' }, 'startsAt: startsAt 须为带时区的 ISO 8601 时间'],
    ['a missing start', { startsAt: undefined }, 'startsAt: startsAt 必填'],
    ['an unknown gateway', { targets: ['G1', 'G-404'] }, 'targets: 企业 E1 没有这些网关：G-404 / targets: enterprise E1 has no such gateway: G-404'],
    ["another enterprise's gateway", { targets: ['G9'] }, 'has no such gateway: G9'],
    ['an unknown zone', { scope: 'zone', targets: ['nowhere'] }, '没有这些装置（区域）：nowhere'],
    ['an unknown major hazard source', { scope: 'hazard_source', targets: ['MH-9'] }, 'has no such unit (major hazard source): MH-9'],
    ['an unknown point', { scope: 'points', targets: ['GT-404'] }, 'has no such points: GT-404'],
    ['an unknown scope', { scope: 'site' }, 'scope: 停产范围可选'],
    ['no responsible person', { person: undefined }, 'person: 负责人（姓名和电话）必填'],
    ['an unknown field', { note: 'x' }, 'note'],
  ])('refuses %s with 400 naming the field', async (_, over, message) => {
    expect(await refused(over)).toContain(message);
  });

  it('an unknown enterprise is 404; a body that is no object is 400', async () => {
    expect((await call('POST', '/api/v1/enterprises/E-404/stops', body())).statusCode).toBe(404);
    expect((await call('POST', '/api/v1/enterprises/E1/stops', [])).statusCode).toBe(400);
  });
});

describe('listing, ending and cancelling', () => {
  it('the list: newest start first; active=true only those in force, a future one not yet', async () => {
    const future = await register({ startsAt: iso(now + 24 * H), expectedEndAt: iso(now + 30 * H) });
    expect(future.status).toBe('planned');
    const all = (await call('GET', '/api/v1/enterprises/E1/stops')).json<{ stops: Stop[] }>().stops;
    expect(all[0]!.id).toBe(future.id);
    const active = (await call('GET', '/api/v1/enterprises/E1/stops?active=true')).json<{ stops: Stop[] }>().stops;
    expect(active.map((s) => s.status)).toEqual(Array<string>(5).fill('active'));
    expect((await call('GET', '/api/v1/enterprises/E1/stops?active=maybe')).statusCode).toBe(400);
    // a stop not begun cannot end, only be cancelled
    const early = await call('POST', `/api/v1/enterprises/E1/stops/${future.id}/end`);
    expect(early.statusCode).toBe(409);
    expect(early.json<Err>().error.message).toContain('尚未开始');
    const cancelled = await call('POST', `/api/v1/enterprises/E1/stops/${future.id}/cancel`, { note: '登记错误' });
    expect(cancelled.json<Stop>()).toMatchObject({ status: 'cancelled', cancelledBy: 'user:admin', cancelReason: '登记错误' });
    expect((await call('POST', `/api/v1/enterprises/E1/stops/${future.id}/cancel`)).statusCode).toBe(409);
  });

  it('ended early, once; past its expected end an open stop shows overrunning', async () => {
    const [first, second] = (await call('GET', '/api/v1/enterprises/E1/stops?active=true')).json<{ stops: Stop[] }>().stops;
    now += 2 * H;
    const ended = await call('POST', `/api/v1/enterprises/E1/stops/${first!.id}/end`);
    expect(ended.json<Stop>()).toMatchObject({ status: 'ended', endedAt: iso(now), endedBy: 'user:admin' });
    expect((await call('POST', `/api/v1/enterprises/E1/stops/${first!.id}/end`)).statusCode).toBe(409);
    expect((await call('POST', `/api/v1/enterprises/E1/stops/${first!.id}/cancel`)).statusCode).toBe(409);
    now += 7 * H;
    expect((await call('GET', `/api/v1/enterprises/E1/stops/${second!.id}`)).json<Stop>().status).toBe('overrunning');
    expect((await call('GET', '/api/v1/enterprises/E1/stops/not-a-uuid')).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/enterprises/E1/stops/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    const actions = await db.query<{ action: string }>("SELECT action FROM audit_log WHERE action LIKE 'planned_stop.%' ORDER BY seq");
    expect(actions.rows.map((r) => r.action)).toEqual([...Array<string>(6).fill('planned_stop.registered'), 'planned_stop.cancelled', 'planned_stop.ended']);
  });

  it('an end and a cancel at the same moment: one succeeds, the other is 409, one audit record', async () => {
    const open = (await call('GET', '/api/v1/enterprises/E1/stops?active=true')).json<{ stops: Stop[] }>().stops.find((s) => s.status !== 'planned')!;
    const before = (await db.query("SELECT 1 FROM audit_log WHERE action LIKE 'planned_stop.%'")).rows.length;
    const codes = (
      await Promise.all([call('POST', `/api/v1/enterprises/E1/stops/${open.id}/end`), call('POST', `/api/v1/enterprises/E1/stops/${open.id}/cancel`)])
    ).map((r) => r.statusCode);
    expect(codes.sort()).toEqual([200, 409]);
    expect((await db.query("SELECT 1 FROM audit_log WHERE action LIKE 'planned_stop.%'")).rows.length).toBe(before + 1);
  });
});

describe('who may', () => {
  it("an officer reads their jurisdiction's stops, not another's, and may not register, end or cancel", async () => {
    expect((await call('GET', '/api/v1/enterprises/E1/stops', undefined, as('duty-k1'))).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/enterprises/E1/stops', undefined, as('duty-k2'))).statusCode).toBe(404);
    expect((await call('POST', '/api/v1/enterprises/E1/stops', body(), as('duty-k1'))).statusCode).toBe(403);
    const [s] = (await call('GET', '/api/v1/enterprises/E1/stops?active=true')).json<{ stops: Stop[] }>().stops;
    expect((await call('POST', `/api/v1/enterprises/E1/stops/${s!.id}/end`, undefined, as('duty-k1'))).statusCode).toBe(403);
    expect((await call('GET', '/api/v1/enterprises/E1/stops', undefined, {})).statusCode).toBe(401);
  });
});
