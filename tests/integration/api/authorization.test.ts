/**
 * Authorization (issue #4 §7): each role — duty officer, inspector, leader,
 * admin — against each endpoint of alerts, the ledger, inspections, tasks,
 * statistics and the audit trail, inside and outside its jurisdiction, on a
 * real (in-memory) PGlite ledger through `app.inject`.
 *
 * Expected, for every cell: a role the endpoint does not allow gets 403
 * whatever the enterprise; an allowed role gets 404 for an enterprise outside
 * its authority's subtree (it cannot tell it exists) and the endpoint's
 * success inside. Authorities: P → C → K1, K2; the officers are of K1, the
 * enterprise "inside" is E1 (K1), "outside" E2 (K2). The admin has no
 * outside. The enterprise roles (issue #18) are tested against every route in
 * authorization-enterprise.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../../api/roles.ts';
import { PERMISSIONS } from '../../../api/roles.ts';
import { ROUTES } from '../../../api/openapi.ts';
import { ENTERPRISE_ROUTE_CASES } from './enterprise-route-cases.ts';
import type { buildApi } from '../../../api/server.ts';
import { AlertStore } from '../../../alerts/store.ts';
import type { Db } from '../../../core/db/db.ts';
import type { TaskFinding } from '../../../inspections/tasks/lifecycle.ts';
import { DEFAULT_TASK_POLICY, taskDecision } from '../../../inspections/tasks/policy.ts';
import { TaskStore } from '../../../inspections/tasks/store.ts';
import { AlertDriver } from '../../../testkit/notify.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const ADMIN = TEST_ADMIN_TOKEN;
const NOW = Date.UTC(2026, 2, 1, 4);
const ROLES = ['duty_officer', 'inspector', 'leader', 'admin'] as const satisfies readonly Role[];
type Where = 'inside' | 'outside';

let db: Db;
let app: ReturnType<typeof buildApi>;
let tasks: TaskStore;
let alerts: AlertDriver;
/** Bearer token per role (the officers are of K1; the K2 inspector takes outside tasks). */
const tokens: Record<string, string> = {};
const OFFICER_OF: Record<Exclude<Role, 'admin' | 'safety_manager' | 'responsible_person'>, string> = {
  duty_officer: 'duty-k1',
  inspector: 'insp-k1',
  leader: 'lead-k1',
};
const ENTERPRISE: Record<Where, string> = { inside: 'E1', outside: 'E2' };
let subjects = 0;
const isInside = (enterpriseId: string): boolean => enterpriseId === ENTERPRISE.inside || enterpriseId.startsWith('E-inside-');

async function call(token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const r = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.json<Record<string, unknown> & { error?: { code: string } }>() };
}
const admin = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => call(ADMIN, method, url, payload);

/** A firing red gas alert at the enterprise. */
const newAlert = (enterpriseId: string) => alerts.fire(`GT-${++subjects}`, { enterpriseId, at: NOW });

/** A fresh enterprise inside (K1) or outside (K2): one open task per enterprise and matter, so each task gets its own. */
async function freshEnterprise(where: Where): Promise<string> {
  const id = `E-${where}-${++subjects}`;
  const r = await admin('POST', '/api/v1/enterprises', {
    id,
    name: `企业 ${id}`,
    sector: 'hazardous_chemicals',
    authorityId: where === 'inside' ? 'K1' : 'K2',
  });
  expect(r.status).toBe(201);
  return id;
}

/** A fresh task at a fresh enterprise, advanced to `state` by its inspector (`insp-k1` inside, `insp-k2` outside). */
async function newTask(where: Where, state: 'created' | 'assigned' | 'accepted' | 'on_site' | 'findings_recorded' | 'rectifying' | 'rechecking') {
  const alertId = await newAlert(await freshEnterprise(where));
  const alert = (await new AlertStore(db).get(alertId))!;
  const d = taskDecision(alert, 'threshold', NOW, DEFAULT_TASK_POLICY);
  if (!d.open) throw new Error('no task decision');
  const opened = await tasks.openFromAlert(alert, d, NOW);
  if (opened.outcome !== 'created') throw new Error(opened.outcome);
  const id = opened.task.id;
  const inspector = where === 'inside' ? 'insp-k1' : 'insp-k2';
  const steps: (() => Promise<unknown>)[] = [
    () => tasks.apply(id, { type: 'assign', inspectorId: inspector, actor: 'user:admin', at: NOW }, NOW),
    () => tasks.apply(id, { type: 'accept', actor: `user:${inspector}`, at: NOW }, NOW),
    () => tasks.apply(id, { type: 'arrive', actor: `user:${inspector}`, at: NOW }, NOW),
    () => tasks.apply(id, { type: 'record_findings', actor: `user:${inspector}`, at: NOW, findings: findingsFor(opened.task.checklist, 'hazard') }, NOW),
    () => tasks.apply(id, { type: 'order_rectification', actor: `user:${inspector}`, at: NOW, deadline: NOW + 86_400_000 }, NOW),
    () => tasks.apply(id, { type: 'recheck_due', at: NOW + 86_400_000 }, NOW),
  ];
  const order = ['created', 'assigned', 'accepted', 'on_site', 'findings_recorded', 'rectifying', 'rechecking'];
  for (const step of steps.slice(0, order.indexOf(state))) await step();
  return { id, alertId, checklist: opened.task.checklist };
}

/** A fresh remote verification task: an orange gas alert (not a serious violation) left undisposed for a day. */
async function newRemoteTask(where: Where): Promise<{ id: string }> {
  const alertId = await alerts.fire(`GT-${++subjects}`, { enterpriseId: await freshEnterprise(where), at: NOW - 86_400_000, severity: 'orange' });
  const alert = (await new AlertStore(db).get(alertId))!;
  const d = taskDecision(alert, 'threshold', NOW, DEFAULT_TASK_POLICY, false);
  if (!d.open || d.kind !== 'remote_verification') throw new Error('no remote verification decision');
  const opened = await tasks.openFromAlert(alert, d, NOW);
  if (opened.outcome !== 'created') throw new Error(opened.outcome);
  return { id: opened.task.id };
}

const findingsFor = (checklist: { id: string }[], first: TaskFinding['result']): TaskFinding[] =>
  checklist.map((i, n) => ({ itemId: i.id, result: n === 0 ? first : 'ok', note: '', evidence: [], selfReported: false }));

interface Endpoint {
  name: string;
  permission: keyof typeof PERMISSIONS;
  /** The request for the enterprise `where`, preparing what it needs. */
  request(where: Where): Promise<{ method: 'GET' | 'POST' | 'PATCH'; url: string; body?: unknown }>;
  ok: number;
}

const ENDPOINTS: Endpoint[] = [
  {
    name: 'GET /alerts/:id',
    permission: 'alerts.read',
    ok: 200,
    request: async (w) => ({ method: 'GET', url: `/api/v1/alerts/${await newAlert(ENTERPRISE[w])}` }),
  },
  {
    name: 'POST /alerts/:id/acknowledge',
    permission: 'alerts.act',
    ok: 200,
    request: async (w) => ({ method: 'POST', url: `/api/v1/alerts/${await newAlert(ENTERPRISE[w])}/acknowledge`, body: { note: '已签收' } }),
  },
  {
    name: 'POST /alerts/:id/escalate',
    permission: 'alerts.act',
    ok: 200,
    request: async (w) => ({ method: 'POST', url: `/api/v1/alerts/${await newAlert(ENTERPRISE[w])}/escalate`, body: { note: '请上级协调' } }),
  },
  {
    name: 'GET /enterprises/:id/notify-settings',
    permission: 'notify.settings',
    ok: 200,
    request: async (w) => ({ method: 'GET', url: `/api/v1/enterprises/${ENTERPRISE[w]}/notify-settings` }),
  },
  {
    name: 'POST /alerts/:id/verifications',
    permission: 'alerts.review',
    ok: 201,
    request: async (w) => ({
      method: 'POST',
      url: `/api/v1/alerts/${await newAlert(ENTERPRISE[w])}/verifications`,
      body: { method: 'call', outcome: 'handled', note: '电话核实，企业已处置' },
    }),
  },
  {
    name: 'POST /alerts/:id/dispose',
    permission: 'alerts.act',
    ok: 200,
    request: async (w) => ({ method: 'POST', url: `/api/v1/alerts/${await newAlert(ENTERPRISE[w])}/dispose`, body: { text: '已处置' } }),
  },
  {
    name: 'POST /alerts/:id/shelve',
    permission: 'alerts.act',
    ok: 200,
    request: async (w) => {
      const id = await alerts.fire(`GT-${++subjects}`, { enterpriseId: ENTERPRISE[w], at: NOW, severity: 'orange' });
      return { method: 'POST', url: `/api/v1/alerts/${id}/shelve`, body: { minutes: 30, reason: '仪表标定，误报' } };
    },
  },
  {
    name: 'POST /alerts/:id/unshelve',
    permission: 'alerts.act',
    ok: 200,
    request: async (w) => ({ method: 'POST', url: `/api/v1/alerts/${await newAlert(ENTERPRISE[w])}/unshelve`, body: {} }),
  },
  {
    name: 'GET /enterprises/:id/ledger',
    permission: 'ledger.read',
    ok: 200,
    request: async (w) => ({ method: 'GET', url: `/api/v1/enterprises/${ENTERPRISE[w]}/ledger` }),
  },
  {
    name: 'PATCH /enterprises/:id/ledger',
    permission: 'ledger.write',
    ok: 200,
    request: async (w) => ({ method: 'PATCH', url: `/api/v1/enterprises/${ENTERPRISE[w]}/ledger`, body: { keyEnterprise: true } }),
  },
  {
    name: 'GET /enterprises/:id/file',
    permission: 'ledger.read',
    ok: 200,
    request: async (w) => ({ method: 'GET', url: `/api/v1/enterprises/${ENTERPRISE[w]}/file` }),
  },
  {
    name: 'GET /coverage?enterpriseId=',
    permission: 'monitoring.read',
    ok: 200,
    request: async (w) => ({ method: 'GET', url: `/api/v1/coverage?enterpriseId=${ENTERPRISE[w]}` }),
  },
  {
    name: 'GET /enterprises/:id/hazard-sources',
    permission: 'monitoring.read',
    ok: 200,
    request: async (w) => ({ method: 'GET', url: `/api/v1/enterprises/${ENTERPRISE[w]}/hazard-sources` }),
  },
  {
    name: 'GET /enterprises/:id/sensors/:sensorId/readings',
    permission: 'monitoring.read',
    ok: 200,
    request: async (w) => ({ method: 'GET', url: `/api/v1/enterprises/${ENTERPRISE[w]}/sensors/GT-1/readings` }),
  },
  {
    name: 'GET /enterprises/:id/inspection-summary',
    permission: 'ledger.read',
    ok: 200,
    request: async (w) => ({ method: 'GET', url: `/api/v1/enterprises/${ENTERPRISE[w]}/inspection-summary` }),
  },
  {
    name: 'POST /inspections',
    permission: 'inspections.record',
    ok: 201,
    // an officer's authority is implied; the admin names the enterprise's own
    request: async (w) => ({
      method: 'POST',
      url: '/api/v1/inspections',
      body: { enterpriseId: ENTERPRISE[w], origin: 'complaint', basisRef: 'TS-2026-0001' },
    }),
  },
  {
    name: 'GET /tasks/:id',
    permission: 'tasks.read',
    ok: 200,
    request: async (w) => ({ method: 'GET', url: `/api/v1/tasks/${(await newTask(w, 'created')).id}` }),
  },
  {
    name: 'GET /tasks/:id/attachments',
    permission: 'tasks.read',
    ok: 200,
    request: async (w) => ({ method: 'GET', url: `/api/v1/tasks/${(await newTask(w, 'created')).id}/attachments` }),
  },
  {
    name: 'POST /tasks (from an alert)',
    permission: 'tasks.dispatch',
    ok: 201,
    request: async (w) => ({ method: 'POST', url: '/api/v1/tasks', body: { alertId: await newAlert(await freshEnterprise(w)) } }),
  },
  {
    name: 'GET /tasks/:id/inspectors',
    permission: 'tasks.dispatch',
    ok: 200,
    request: async (w) => ({ method: 'GET', url: `/api/v1/tasks/${(await newTask(w, 'created')).id}/inspectors` }),
  },
  {
    name: 'POST /tasks/:id/assign',
    permission: 'tasks.dispatch',
    ok: 200,
    request: async (w) => ({
      method: 'POST',
      url: `/api/v1/tasks/${(await newTask(w, 'created')).id}/assign`,
      body: { inspectorId: w === 'inside' ? 'insp-k1' : 'insp-k2' },
    }),
  },
  {
    name: 'POST /tasks/:id/accept',
    permission: 'tasks.work',
    ok: 200,
    request: async (w) => ({ method: 'POST', url: `/api/v1/tasks/${(await newTask(w, 'assigned')).id}/accept`, body: {} }),
  },
  {
    name: 'POST /tasks/:id/arrive',
    permission: 'tasks.work',
    ok: 200,
    request: async (w) => ({ method: 'POST', url: `/api/v1/tasks/${(await newTask(w, 'accepted')).id}/arrive`, body: {} }),
  },
  {
    name: 'POST /tasks/:id/findings',
    permission: 'tasks.work',
    ok: 200,
    request: async (w) => {
      const t = await newTask(w, 'on_site');
      return { method: 'POST', url: `/api/v1/tasks/${t.id}/findings`, body: { findings: findingsFor(t.checklist, 'hazard') } };
    },
  },
  {
    name: 'POST /tasks/:id/rectification',
    permission: 'tasks.order',
    ok: 200,
    request: async (w) => ({
      method: 'POST',
      url: `/api/v1/tasks/${(await newTask(w, 'findings_recorded')).id}/rectification`,
      body: { deadline: NOW + 7 * 86_400_000 },
    }),
  },
  {
    name: 'POST /tasks/:id/recheck',
    permission: 'tasks.work',
    ok: 200,
    // the task's own alarm still fires: the pass is the inspector's explicit confirmation (issue #20 §5)
    request: async (w) => ({
      method: 'POST',
      url: `/api/v1/tasks/${(await newTask(w, 'rechecking')).id}/recheck`,
      body: { passed: true, note: '已整改', confirmFiring: true },
    }),
  },
  {
    name: 'POST /tasks/:id/escalate',
    permission: 'tasks.escalate',
    ok: 200,
    request: async (w) => ({ method: 'POST', url: `/api/v1/tasks/${(await newTask(w, 'findings_recorded')).id}/escalate`, body: { reason: '拒不整改' } }),
  },
  {
    name: 'POST /tasks/:id/verify-remotely',
    permission: 'tasks.dispatch',
    ok: 200,
    request: async (w) => ({
      method: 'POST',
      url: `/api/v1/tasks/${(await newRemoteTask(w)).id}/verify-remotely`,
      body: { methods: ['call', 'data_review'], note: '电话核实：检修中' },
    }),
  },
  {
    name: 'POST /tasks/:id/convert',
    permission: 'tasks.dispatch',
    ok: 200,
    request: async (w) => ({ method: 'POST', url: `/api/v1/tasks/${(await newRemoteTask(w)).id}/convert`, body: { reason: '企业无法说明原因' } }),
  },
  {
    name: 'GET /stats',
    permission: 'stats.read',
    ok: 200,
    request: async (w) => ({
      method: 'GET',
      url: `/api/v1/stats?authorityId=${w === 'inside' ? 'K1' : 'K2'}&from=2026-01-01T00:00:00%2B08:00&to=2027-01-01T00:00:00%2B08:00`,
    }),
  },
  { name: 'GET /audit/verify', permission: 'audit.read', ok: 200, request: async () => ({ method: 'GET', url: '/api/v1/audit/verify' }) },
  // self-inspection reports (issue #18): only the enterprise's own people report (no officer role may); officers read their jurisdiction's
  {
    name: 'POST /enterprises/:id/self-inspections',
    permission: 'self_inspection.report',
    ok: 201,
    request: async (w) => ({
      method: 'POST',
      url: `/api/v1/enterprises/${ENTERPRISE[w]}/self-inspections`,
      body: { period: '2026-Q1', summary: '季度自查', hazards: [] },
    }),
  },
  {
    name: 'GET /enterprises/:id/self-inspections',
    permission: 'self_inspection.read',
    ok: 200,
    request: async (w) => ({ method: 'GET', url: `/api/v1/enterprises/${ENTERPRISE[w]}/self-inspections` }),
  },
];

beforeAll(async () => {
  ({ app, db } = await buildTestApi(ADMIN, { now: () => NOW }));
  tasks = new TaskStore(db);
  alerts = new AlertDriver(new AlertStore(db));
  for (const a of [
    { id: 'P', name: '省厅', level: 'province' },
    { id: 'C', name: '市局', level: 'city', parentId: 'P' },
    { id: 'K1', name: '甲县局', level: 'county', parentId: 'C' },
    { id: 'K2', name: '乙县局', level: 'county', parentId: 'C' },
  ])
    expect((await admin('POST', '/api/v1/authorities', a)).status).toBe(201);
  for (const [id, authorityId] of [
    ['E1', 'K1'],
    ['E2', 'K2'],
  ])
    expect((await admin('POST', '/api/v1/enterprises', { id, name: `企业 ${id}`, sector: 'hazardous_chemicals', authorityId })).status).toBe(201);
  for (const [g, e] of [
    ['G1', 'E1'],
    ['G2', 'E2'],
  ]) {
    expect((await admin('POST', '/api/v1/gateways', { id: g, enterpriseId: e })).status).toBe(201);
    expect(
      (await admin('POST', '/api/v1/sensors', { id: 'GT-1', enterpriseId: e, gatewayId: g, kind: 'combustible_gas', unit: '%LEL', periodS: 5 })).status,
    ).toBe(201);
  }
  for (const [id, authorityId, role] of [
    ['duty-k1', 'K1', 'duty_officer'],
    ['insp-k1', 'K1', 'inspector'],
    ['lead-k1', 'K1', 'leader'],
    ['insp-k2', 'K2', 'inspector'],
  ]) {
    const r = await admin('POST', '/api/v1/officers', { id, name: id, authorityId, role });
    expect(r.status).toBe(201);
    tokens[id!] = (r.body as { token: string }).token;
  }
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

const CELLS = ENDPOINTS.flatMap((e) =>
  ROLES.flatMap((role) =>
    (role === 'admin' ? (['inside'] as Where[]) : (['inside', 'outside'] as Where[])).map((where) => {
      const allowed = (PERMISSIONS[e.permission] as readonly Role[]).includes(role);
      return { endpoint: e.name, role, where, expected: !allowed ? 403 : where === 'outside' ? 404 : e.ok, e };
    }),
  ),
);

describe('each role against each endpoint, inside and outside its jurisdiction', () => {
  it.each(CELLS)('$endpoint as $role, $where: $expected', async ({ e, role, where, expected }) => {
    const req = await e.request(where);
    const token = role === 'admin' ? ADMIN : tokens[OFFICER_OF[role]]!;
    const r = await call(token, req.method, req.url, req.body);
    expect(r.status, JSON.stringify(r.body)).toBe(expected);
    if (expected === 403) expect(r.body.error?.code).toBe('FORBIDDEN');
    if (expected === 404) expect(r.body.error?.code).toBe('NOT_FOUND');
  });

  it('covers every permission a route checks: those of an officer role here, those of enterprise roles only in authorization-enterprise.test.ts', () => {
    const here = new Set<string>(ENDPOINTS.map((e) => e.permission));
    const routes = (p: string) => Object.keys(ROUTES).filter((k) => ROUTES[k]!.access === p);
    for (const p of Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]) {
      const officerRole = (PERMISSIONS[p] as readonly Role[]).some((r) => (ROLES as readonly Role[]).includes(r));
      // a permission no route checks yet has nothing to test; once a route checks it, it needs its case
      if (officerRole && routes(p).length > 0) expect(here.has(p), `${p}: add an endpoint of it to ENDPOINTS`).toBe(true);
      // one only enterprise roles have: every route of it has its case in the enterprise roles' every-route table
      if (!officerRole)
        expect(
          routes(p).filter((k) => !(k in ENTERPRISE_ROUTE_CASES)),
          p,
        ).toEqual([]);
    }
    // and the officers' table names no permission that does not exist
    for (const p of here) expect(Object.keys(PERMISSIONS)).toContain(p);
  });
});

describe('listings are scoped, and an officer acts only as their own authority', () => {
  it('lists only the tasks and alerts in the caller’s subtree', async () => {
    await newTask('inside', 'created');
    await newTask('outside', 'created');
    for (const role of ['duty_officer', 'inspector', 'leader'] as const) {
      const token = tokens[OFFICER_OF[role]]!;
      const t = await call(token, 'GET', '/api/v1/tasks?limit=500');
      expect(t.status).toBe(200);
      const listed = (t.body as unknown as { tasks: { enterpriseId: string }[] }).tasks;
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.every((x) => isInside(x.enterpriseId))).toBe(true);
      const a = await call(token, 'GET', '/api/v1/alerts?limit=500');
      const seen = (a.body as unknown as { alerts: { enterpriseId: string }[] }).alerts;
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((x) => isInside(x.enterpriseId))).toBe(true);
    }
    for (const role of ['duty_officer', 'inspector', 'leader'] as const) {
      const board = await call(tokens[OFFICER_OF[role]]!, 'GET', '/api/v1/enterprises');
      const ids = (board.body as unknown as { enterprises: { id: string }[] }).enterprises.map((e) => e.id);
      expect(ids).toContain('E1');
      expect(ids.every(isInside)).toBe(true);
    }
    const everyone = (await admin('GET', '/api/v1/enterprises')).body as unknown as { enterprises: { id: string; status: string }[] };
    expect(everyone.enterprises.map((e) => e.id)).toEqual(expect.arrayContaining(['E1', 'E2']));
    expect(everyone.enterprises.find((e) => e.id === 'E1')).toMatchObject({ status: 'offline', gateways: { total: 1, online: 0 } });
    const all = await admin('GET', '/api/v1/tasks?limit=500');
    const kinds = new Set((all.body as unknown as { tasks: { enterpriseId: string }[] }).tasks.map((x) => isInside(x.enterpriseId)));
    expect(kinds).toEqual(new Set([true, false]));
  });

  it('gives an inspector “my tasks” only', async () => {
    const mine = await call(tokens['insp-k1']!, 'GET', '/api/v1/tasks?mine=true&open=true&limit=500');
    const listed = (mine.body as unknown as { tasks: { inspectorId?: string }[] }).tasks;
    expect(listed.length).toBeGreaterThan(0);
    expect(new Set(listed.map((t) => t.inspectorId))).toEqual(new Set(['insp-k1']));
  });

  it('refuses an inspection recorded in another authority’s name, and a step by an inspector not assigned', async () => {
    expect(
      await call(tokens['insp-k1']!, 'POST', '/api/v1/inspections', { enterpriseId: 'E1', authorityId: 'C', origin: 'complaint', basisRef: 'TS-2026-0002' }),
    ).toMatchObject({
      status: 403,
    });
    const t = await newTask('inside', 'assigned');
    await admin('POST', '/api/v1/officers', { id: 'insp-k1b', name: '另一执法人员', authorityId: 'K1', role: 'inspector' }).then((r) => {
      tokens['insp-k1b'] = (r.body as { token: string }).token;
    });
    expect(await call(tokens['insp-k1b']!, 'POST', `/api/v1/tasks/${t.id}/accept`, {})).toMatchObject({
      status: 403,
      body: { error: { code: 'FORBIDDEN', task: 'NOT_THE_INSPECTOR' } },
    });
    // assigning to someone who is not an inspector is a bad request, to one of another county forbidden
    expect((await call(tokens['lead-k1']!, 'POST', `/api/v1/tasks/${t.id}/assign`, { inspectorId: 'duty-k1' })).status).toBe(400);
    expect((await call(tokens['lead-k1']!, 'POST', `/api/v1/tasks/${t.id}/assign`, { inspectorId: 'insp-k2' })).body.error).toMatchObject({
      code: 'FORBIDDEN',
      task: 'WRONG_AUTHORITY',
    });
  });

  it('answers 401 for a missing or unknown token, on every endpoint', async () => {
    for (const e of ENDPOINTS) {
      const req = await e.request('inside');
      for (const headers of [{}, { authorization: 'Bearer not-a-token' }]) {
        const r = await app.inject({ method: req.method, url: req.url, headers, ...(req.body === undefined ? {} : { payload: req.body as object }) });
        expect(r.statusCode, `${e.name} ${JSON.stringify(headers)}`).toBe(401);
      }
    }
  });
});
