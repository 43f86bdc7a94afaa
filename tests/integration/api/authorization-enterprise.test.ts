/**
 * Authorization of the enterprise roles (issue #18): the safety manager (安全管理负责人) and the responsible
 * person (包保责任人) against EVERY route of `ROUTES` (api/openapi.ts), for their own enterprise ("inside", E1)
 * and another ("outside", E2, of another county), on a PGlite ledger through `app.inject` (the live stream over
 * a socket).
 *
 * Expected, for every cell, from the route's access and the role's permissions (api/roles.ts): a role without
 * the route's access gets 403 FORBIDDEN whatever the enterprise; with it, 404 NOT_FOUND for another enterprise
 * and the route's success for its own (a route naming no enterprise — a list, the stream — succeeds and shows
 * nothing of another); a public route answers as it answers anyone. The requests are the table of
 * enterprise-route-cases.ts, which must have a case for every route.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../../api/openapi.ts';
import { can, ENTERPRISE_ROLES, type EnterpriseRole } from '../../../api/roles.ts';
import type { buildApi } from '../../../api/server.ts';
import { AlertStore } from '../../../alerts/store.ts';
import type { Db } from '../../../core/db/db.ts';
import { AlertDriver } from '../../../testkit/notify.ts';
import { jpegBytes } from '../../../testkit/attachments.ts';
import { DEFAULT_RESPONSE_POLICY } from '../../../alerts/response/policy.ts';
import { ResponseService } from '../../../alerts/response/service.ts';
import { AttachmentStore } from '../../../ledger/attachments.ts';
import { createLogger } from '../../../core/logger.ts';
import { SseClient } from '../../../testkit/sse.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';
import { currentQuarter, ENTERPRISE_ROUTE_CASES, type RouteContext, type RouteRequest, type Where } from './enterprise-route-cases.ts';

const ENTERPRISE: Record<Where, string> = { inside: 'E1', outside: 'E2' };
const PASSWORD = 'enterprise-pass-2026';

let db: Db;
let app: ReturnType<typeof buildApi>;
let port: number;
let alerts: AlertDriver;
let alertStore: AlertStore;
let responses: ResponseService;
let files: AttachmentStore;
/** A safety manager of each enterprise (the outside one's prepares what an outside request names). */
const enterpriseTokens: Record<Where, string> = { inside: '', outside: '' };
let subjects = 0;
let users = 0;
const tokens: Partial<Record<EnterpriseRole, string>> = {};
const stops: Partial<Record<Where, string>> = {};

interface Answer {
  status: number;
  body: unknown;
}

async function send(token: string | undefined, req: RouteRequest): Promise<Answer> {
  if (req.stream) {
    try {
      const s = await SseClient.open(`http://127.0.0.1:${port}${req.url}`, token === undefined ? {} : { authorization: `Bearer ${token}` });
      s.close();
      return { status: 200, body: undefined };
    } catch (err) {
      const m = /HTTP (\d+): (.*)$/s.exec((err as Error).message);
      if (!m) throw err;
      return { status: Number(m[1]), body: JSON.parse(m[2]!) as unknown };
    }
  }
  const r = await app.inject({
    method: req.method,
    url: req.url,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...req.headers },
    ...(req.body === undefined ? {} : { payload: req.body as object }),
  });
  const json = (r.headers['content-type'] ?? '').toString().startsWith('application/json');
  return { status: r.statusCode, body: json && r.body !== '' ? r.json<unknown>() : r.body };
}
const admin = async (method: RouteRequest['method'], url: string, body?: unknown): Promise<Answer> => send(TEST_ADMIN_TOKEN, { method, url, body });

const context = (role: EnterpriseRole): RouteContext => ({
  role,
  enterprise: (w) => ENTERPRISE[w],
  alert: async (w) => {
    const id = await alerts.fire(`GT-${++subjects}`, { enterpriseId: ENTERPRISE[w] });
    // as the notifier does: the enterprise (it has users) answers first
    await responses.consider((await alertStore.get(id))!);
    return id;
  },
  attachment: async (w) => {
    const alertId = await alerts.fire(`GT-${++subjects}`, { enterpriseId: ENTERPRISE[w] });
    const meta = await files.put({
      enterpriseId: ENTERPRISE[w],
      subject: { type: 'alert', id: alertId },
      filename: '现场照片.jpg',
      contentType: 'image/jpeg',
      bytes: jpegBytes(),
      actor: `user:sm-${w}`,
    });
    return meta.id;
  },
  selfReportedHazard: async (w) => {
    const r = await send(enterpriseTokens[w], {
      method: 'POST',
      url: `/api/v1/enterprises/${ENTERPRISE[w]}/self-inspections`,
      body: {
        period: currentQuarter(),
        summary: '自查',
        hazards: [{ description: '检测报警器故障', major: false, measures: '更换探头', deadline: Date.now() + 30 * 86_400_000 }],
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return (r.body as { report: { hazards: { id: string }[] } }).report.hazards[0]!.id;
  },
  stop: (w) => stops[w]!,
  sensor: 'GT-1',
  freshUser: async () => {
    const id = `${role}-${++users}`;
    const r = await admin('POST', '/api/v1/officers', { id, name: `用户 ${id}`, role, enterpriseId: ENTERPRISE.inside, password: PASSWORD });
    expect(r.status).toBe(201);
    return { id, token: (r.body as { token: string }).token, password: PASSWORD };
  },
});

beforeAll(async () => {
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN));
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
  alertStore = new AlertStore(db);
  alerts = new AlertDriver(alertStore);
  responses = new ResponseService({
    db,
    alerts: alertStore,
    clock: Date,
    logger: createLogger({ level: 'silent' }),
    policy: DEFAULT_RESPONSE_POLICY,
    patternOf: () => 'threshold',
  });
  files = new AttachmentStore(db, Date);
  for (const a of [
    { id: 'C', name: '市局', level: 'city' },
    { id: 'K1', name: '甲县局', level: 'county', parentId: 'C' },
    { id: 'K2', name: '乙县局', level: 'county', parentId: 'C' },
  ])
    expect((await admin('POST', '/api/v1/authorities', a)).status).toBe(201);
  const now = Date.now();
  for (const [w, authorityId] of [
    ['inside', 'K1'],
    ['outside', 'K2'],
  ] as const) {
    const e = ENTERPRISE[w];
    expect((await admin('POST', '/api/v1/enterprises', { id: e, name: `企业 ${e}`, sector: 'hazardous_chemicals', authorityId })).status).toBe(201);
    expect((await admin('POST', '/api/v1/gateways', { id: `G-${e}`, enterpriseId: e })).status).toBe(201);
    expect(
      (await admin('POST', '/api/v1/sensors', { id: 'GT-1', enterpriseId: e, gatewayId: `G-${e}`, kind: 'combustible_gas', unit: '%LEL', periodS: 5 })).status,
    ).toBe(201);
    const stop = await admin('POST', `/api/v1/enterprises/${e}/stops`, {
      scope: 'enterprise',
      kind: 'maintenance',
      reason: '年度检修',
      person: { name: '张工', phone: '13800138000' },
      startsAt: new Date(now + 86_400_000).toISOString(),
      expectedEndAt: new Date(now + 3 * 86_400_000).toISOString(),
    });
    expect(stop.status, JSON.stringify(stop.body)).toBe(201);
    stops[w] = (stop.body as { id: string }).id;
  }
  for (const role of ENTERPRISE_ROLES) tokens[role] = (await context(role).freshUser()).token;
  for (const w of ['inside', 'outside'] as const) {
    const r = await admin('POST', '/api/v1/officers', { id: `sm-${w}`, name: `安全负责人 ${w}`, role: 'safety_manager', enterpriseId: ENTERPRISE[w] });
    expect(r.status).toBe(201);
    enterpriseTokens[w] = (r.body as { token: string }).token;
  }
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

/** Whether the route's path names an enterprise (or something of one): then it is asked for both enterprises. */
const namesEnterprise = (key: string): boolean => /:(id|enterpriseId)(\/|$)/.test(key) || key === 'GET /api/v1/coverage';

const CELLS = Object.entries(ENTERPRISE_ROUTE_CASES).flatMap(([key, c]) =>
  ENTERPRISE_ROLES.flatMap((role) => {
    const access = ROUTES[key]?.access;
    const allowed = access === 'public' || access === 'session' || (access !== undefined && access !== 'admin' && can(role, access));
    const wheres: Where[] = allowed
      ? c.names === 'enterprise'
        ? ['inside', 'outside']
        : ['inside']
      : namesEnterprise(key)
        ? ['inside', 'outside']
        : ['inside'];
    return wheres.map((where) => {
      const expected = c.kind === 'public' ? 'as anyone' : !allowed ? 403 : where === 'outside' ? 404 : c.ok!;
      return { key, role, where, expected, c, access };
    });
  }),
);

describe('each enterprise role against each route, for its own enterprise and another', () => {
  it('has a case for every route of ROUTES (a route added later must add one), and none for a route that is gone', () => {
    expect(Object.keys(ROUTES).filter((k) => !(k in ENTERPRISE_ROUTE_CASES))).toEqual([]);
    expect(Object.keys(ENTERPRISE_ROUTE_CASES).filter((k) => !(k in ROUTES))).toEqual([]);
  });

  it("agrees with each route's access: refused where no enterprise role has it, allowed where one has", () => {
    for (const [key, c] of Object.entries(ENTERPRISE_ROUTE_CASES)) {
      const access = ROUTES[key]!.access;
      const some = access !== 'public' && access !== 'session' && access !== 'admin' && ENTERPRISE_ROLES.some((r) => can(r, access));
      const kind = access === 'public' ? 'public' : access === 'session' ? 'session' : some ? 'allowed' : 'refused';
      expect(c.kind, key).toBe(kind);
      if (kind === 'allowed') expect(c.names, key).toBeDefined();
    }
  });

  it.each(CELLS)('$key as $role, $where: $expected', async ({ c, role, where, expected }) => {
    const req = await c.request(context(role), where);
    const token = req.token ?? tokens[role]!;
    const r = await send(token, req);
    if (expected === 'as anyone') {
      const anyone = await send(undefined, c.kind === 'public' ? await c.request(context(role), where) : req);
      expect(r.status, JSON.stringify(r.body)).toBe(anyone.status);
      expect([401, 403]).not.toContain(r.status);
      c.check?.(r.body, context(role));
      return;
    }
    expect(r.status, JSON.stringify(r.body)).toBe(expected);
    if (expected === 403) expect(r.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    if (expected === 404) expect(r.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    if (expected !== 403 && expected !== 404) c.check?.(r.body, context(role));
  });
});
