/**
 * The cap exemption is earned, not chosen (issue #15 item 16) for tasks,
 * through the API (`app.inject`) on a real (in-memory) PGlite ledger: an
 * alert that is not a serious violation opens a remote verification task
 * (online patrol, 应急〔2025〕11号 §七) that records no inspection and does
 * not count; turning it into an on-site inspection needs a reason and is
 * subject to the cap, and so is its visit; a serious violation opens an
 * on-site task whose visit is exempt and rests on its alerts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../core/db/db.ts';
import { storeFiredAlert } from '../../../testkit/alerts.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const ADMIN = TEST_ADMIN_TOKEN;
/** Noon CST on 1 May 2026. */
const NOW = Date.UTC(2026, 4, 1, 4);
let app: Awaited<ReturnType<typeof buildTestApi>>['app'];
let db: Db;
const tokens: Record<string, string> = {};

type Body = Record<string, unknown> & { error?: Record<string, unknown>; task?: Record<string, unknown> };
async function call(who: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<{ status: number; body: Body }> {
  const token = who === 'admin' ? ADMIN : tokens[who]!;
  const r = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.json<Body>() };
}

let alerts = 0;
/** A fired alert of `ruleId` at the enterprise, then a task dispatched from it by the duty officer. */
async function dispatch(enterpriseId: string, ruleId: string, severity: 'yellow' | 'orange' | 'red') {
  const id = `A-${++alerts}`;
  await storeFiredAlert(db, { id, enterpriseId, ruleId, severity, at: NOW - 3_600_000 });
  const r = await call('duty', 'POST', '/api/v1/tasks', { alertId: id });
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
  return { alertId: id, outcome: r.body.outcome as string, task: r.body.task as { id: string; kind: string; alertIds: string[] } };
}

/** Assign, accept, arrive: the visit that records an inspection. */
async function visit(taskId: string) {
  expect((await call('duty', 'POST', `/api/v1/tasks/${taskId}/assign`, { inspectorId: 'insp' })).status).toBe(200);
  expect((await call('insp', 'POST', `/api/v1/tasks/${taskId}/accept`, {})).status).toBe(200);
  return call('insp', 'POST', `/api/v1/tasks/${taskId}/arrive`, {});
}

const summary = async (enterpriseId: string) =>
  (await call('admin', 'GET', `/api/v1/enterprises/${enterpriseId}/inspection-summary`)).body as {
    counts: Record<string, number>;
    inspections: Record<string, unknown>[];
  };

beforeAll(async () => {
  ({ app, db } = await buildTestApi(ADMIN, { now: () => NOW }));
  expect((await call('admin', 'POST', '/api/v1/authorities', { id: 'K1', name: '甲县应急管理局', level: 'county' })).status).toBe(201);
  // not high-risk, standardization grade 1: at most 1 capped inspection a year (2025 §三)
  for (const id of ['SHOP', 'MILL'])
    expect((await call('admin', 'POST', '/api/v1/enterprises', { id, name: `企业 ${id}`, sector: 'other', authorityId: 'K1' })).status).toBe(201);
  for (const id of ['SHOP', 'MILL']) expect((await call('admin', 'PATCH', `/api/v1/enterprises/${id}/ledger`, { grade: '1' })).status).toBe(200);
  for (const [id, role] of [
    ['duty', 'duty_officer'],
    ['insp', 'inspector'],
  ] as const) {
    const r = await call('admin', 'POST', '/api/v1/officers', { id, name: id, authorityId: 'K1', role });
    expect(r.status).toBe(201);
    tokens[id] = (r.body as { token: string }).token;
  }
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('an alert that is not a serious violation is verified remotely first', () => {
  it('opens a remote verification task whose outcome closes it, records no inspection and does not count', async () => {
    const { task } = await dispatch('SHOP', 'common.chattering', 'yellow');
    expect(task.kind).toBe('remote_verification');
    // it is not an on-site task: no inspector is sent
    expect((await call('duty', 'POST', `/api/v1/tasks/${task.id}/assign`, { inspectorId: 'insp' })).body.error).toMatchObject({ task: 'WRONG_KIND' });
    expect((await call('duty', 'POST', `/api/v1/tasks/${task.id}/verify-remotely`, { methods: [], note: 'x' })).status).toBe(400);
    expect((await call('duty', 'POST', `/api/v1/tasks/${task.id}/verify-remotely`, { methods: ['phone'], note: 'x' })).status).toBe(400);
    const done = await call('duty', 'POST', `/api/v1/tasks/${task.id}/verify-remotely`, {
      methods: ['call', 'data_review'],
      note: '电话核实：仪表接线松动，已紧固',
    });
    expect(done).toMatchObject({
      status: 200,
      body: { task: { state: 'closed', outcome: 'verified_remotely', remoteVerification: { methods: ['call', 'data_review'], actor: 'user:duty' } } },
    });
    expect((await call('admin', 'GET', `/api/v1/tasks/${task.id}`)).body).toMatchObject({ inspections: [] });
    expect((await summary('SHOP')).counts).toMatchObject({ total: 0, counted: 0, remaining: 1 });
  });

  it('becomes an on-site inspection only with a reason, and its visit is counted against the cap', async () => {
    const { task } = await dispatch('SHOP', 'common.frozen', 'yellow');
    expect(task.kind).toBe('remote_verification');
    expect((await call('duty', 'POST', `/api/v1/tasks/${task.id}/convert`, {})).status).toBe(400);
    expect((await call('duty', 'POST', `/api/v1/tasks/${task.id}/convert`, { reason: '  ' })).status).toBe(400);
    const converted = await call('duty', 'POST', `/api/v1/tasks/${task.id}/convert`, { reason: '企业无法说明数据冻结原因，需现场核查' });
    expect(converted).toMatchObject({
      status: 200,
      body: { task: { kind: 'inspection', state: 'created', conversion: { reason: '企业无法说明数据冻结原因，需现场核查' } } },
    });
    expect((await visit(task.id)).status).toBe(200);
    const s = await summary('SHOP');
    expect(s.counts).toMatchObject({ counted: 1, exempt: 0, remaining: 0, byOrigin: { data_monitoring: 1 } });
    expect(s.inspections).toMatchObject([{ origin: 'data_monitoring', exempt: false, alertIds: task.alertIds }]);
  });

  it('refuses to convert one beyond the cap (409 CAP_REACHED) and leaves it a remote verification', async () => {
    const { task } = await dispatch('SHOP', 'common.loose_limit', 'orange');
    const r = await call('duty', 'POST', `/api/v1/tasks/${task.id}/convert`, { reason: '报警值设置明显宽于标准' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'CONFLICT', refusal: 'CAP_REACHED', reason: { zh: expect.stringContaining('每年不超过1次') as unknown } });
    expect((await call('admin', 'GET', `/api/v1/tasks/${task.id}`)).body).toMatchObject({ task: { kind: 'remote_verification', state: 'created' } });
  });

  it('refuses the visit of a converted task once the cap is used up meanwhile (the arrival is subject to the cap)', async () => {
    const first = await dispatch('MILL', 'common.frozen', 'yellow');
    const second = await dispatch('MILL', 'common.loose_limit', 'orange');
    for (const t of [first.task, second.task]) expect((await call('duty', 'POST', `/api/v1/tasks/${t.id}/convert`, { reason: '需现场核查' })).status).toBe(200);
    expect((await visit(first.task.id)).status).toBe(200);
    const refused = await visit(second.task.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ refusal: 'CAP_REACHED' });
    expect((await call('admin', 'GET', `/api/v1/tasks/${second.task.id}`)).body).toMatchObject({ task: { state: 'accepted' }, inspections: [] });
  });
});

describe('a serious violation found by data monitoring is inspected on site, exempt from the cap', () => {
  it('opens an on-site task for a red alert; its visit rests on the alert and is exempt beyond the cap', async () => {
    const { task, alertId } = await dispatch('SHOP', 'gas.combustible', 'red');
    expect(task.kind).toBe('inspection');
    expect((await visit(task.id)).status).toBe(200);
    const s = await summary('SHOP');
    expect(s.counts).toMatchObject({ counted: 1, exempt: 1, remaining: 0 });
    expect(s.inspections.at(-1)).toMatchObject({ origin: 'data_monitoring', exempt: true, alertIds: [alertId] });
  });

  it('a serious alert of the same matter turns a waiting remote verification into an on-site inspection (a detector switched off)', async () => {
    const remote = await dispatch('MILL', 'common.detector_off', 'yellow'); // the catalogue marks detector_off serious: on site at once
    expect(remote.task.kind).toBe('inspection');
    const orange = await dispatch('MILL', 'gas.combustible', 'orange');
    expect(orange.task.kind).toBe('remote_verification');
    const red = await dispatch('MILL', 'gas.combustible', 'red');
    expect(red).toMatchObject({ outcome: 'attached', task: { id: orange.task.id, kind: 'inspection', alertIds: [orange.alertId, red.alertId] } });
    expect((await visit(orange.task.id)).status).toBe(200);
    expect((await summary('MILL')).inspections.at(-1)).toMatchObject({ exempt: true, alertIds: [orange.alertId, red.alertId] });
  });
});

describe('the duty officer’s list', () => {
  it('lists the remote verifications waiting for the duty officer apart from the on-site tasks', async () => {
    const open = async (kind: string) =>
      ((await call('duty', 'GET', `/api/v1/tasks?open=true&kind=${kind}&limit=100`)).body.tasks as { id: string; kind: string }[]).map((t) => t.kind);
    const remote = await open('remote_verification');
    const onSite = await open('inspection');
    expect(remote.length).toBeGreaterThan(0);
    expect(onSite.length).toBeGreaterThan(0);
    expect(new Set(remote)).toEqual(new Set(['remote_verification']));
    expect(new Set(onSite)).toEqual(new Set(['inspection']));
    expect((await call('duty', 'GET', '/api/v1/tasks?kind=on_site')).status).toBe(400);
  });
});
