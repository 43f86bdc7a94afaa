/**
 * Alerts and tasks linked both ways (issue #20 §5), over HTTP on a PGlite ledger: the alert detail names the
 * task it opened or joined (the bureau's view only: an enterprise user's view of its own alarm has no tasks);
 * the task detail lists the alarms that opened or joined it; a passed re-check while an alarm of the same
 * enterprise and matter still fires is refused (409 ALARM_STILL_FIRING, naming the alarms) until the inspector
 * confirms it, and the closing event and its audit record say so (the records still verify); an alarm of
 * another matter, or of another enterprise, does not hold the re-check up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApi } from '../../../api/server.ts';
import type { Db } from '../../../core/db/db.ts';
import { verifyRecords } from '../../../inspections/records-check.ts';
import type { Task } from '../../../inspections/tasks/lifecycle.ts';
import { TaskStore } from '../../../inspections/tasks/store.ts';
import { storeFiredAlert } from '../../../testkit/alerts.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

let db: Db;
let app: ReturnType<typeof buildApi>;
const tokens: Record<string, string> = {};
const DAY = 86_400_000;

/** The answers' parts these tests read (each present on the answers that have it). */
interface Body {
  task: Task;
  events: { type: string; detail: string; actor: string; to: string }[];
  alerts: unknown[];
  tasks: unknown[];
  error: { code: string; message: string; task: string; reason: { zh: string; en: string }; firing: unknown[] };
  token: string;
}

async function call(token: string | undefined, method: 'GET' | 'POST', url: string, payload?: object) {
  const r = await app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) });
  return { status: r.statusCode, body: r.json<Body>() };
}
const as = (who: string) => (method: 'GET' | 'POST', url: string, payload?: object) => call(tokens[who], method, url, payload);
const duty = as('duty-k1');
const insp = as('insp-k1');

/** Fires an alarm of `ruleId` at `enterpriseId` (stored through the real alert store), a minute ago. */
const fire = (id: string, enterpriseId: string, ruleId: string, severity: 'red' | 'orange' = 'red') =>
  storeFiredAlert(db, { id, enterpriseId, ruleId, severity, at: Date.now() - 60_000 });

/** Opens (or joins) a task from the alarm as the duty officer. */
async function dispatch(alertId: string): Promise<{ status: number; id: string }> {
  const r = await duty('POST', '/api/v1/tasks', { alertId });
  expect([200, 201], JSON.stringify(r.body)).toContain(r.status);
  return { status: r.status, id: r.body.task.id };
}

/** Takes the task through the on-site loop to 'rechecking' (the delayed job's step applied directly). */
async function toRechecking(taskId: string): Promise<void> {
  expect((await duty('POST', `/api/v1/tasks/${taskId}/assign`, { inspectorId: 'insp-k1' })).status).toBe(200);
  expect((await insp('POST', `/api/v1/tasks/${taskId}/accept`, {})).status).toBe(200);
  expect((await insp('POST', `/api/v1/tasks/${taskId}/arrive`, {})).status).toBe(200);
  const { body } = await insp('GET', `/api/v1/tasks/${taskId}`);
  const findings = body.task.checklist.map((i, n) => ({ itemId: i.id, result: n === 0 ? 'hazard' : 'ok', note: n === 0 ? '探头失效' : '' }));
  expect((await insp('POST', `/api/v1/tasks/${taskId}/findings`, { findings })).status).toBe(200);
  expect((await insp('POST', `/api/v1/tasks/${taskId}/rectification`, { deadline: Date.now() + DAY })).status).toBe(200);
  await new TaskStore(db).apply(taskId, { type: 'recheck_due', at: Date.now() }, Date.now());
}

async function dispose(alertId: string): Promise<void> {
  expect((await duty('POST', `/api/v1/alerts/${alertId}/dispose`, { text: '企业已处置，现场确认' })).status).toBe(200);
}

beforeAll(async () => {
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN));
  const admin = as('admin');
  tokens.admin = TEST_ADMIN_TOKEN;
  for (const a of [
    { id: 'C', name: '示例市应急管理局', level: 'city' },
    { id: 'K1', name: '甲县应急管理局', level: 'county', parentId: 'C' },
  ])
    expect((await admin('POST', '/api/v1/authorities', a)).status).toBe(201);
  for (const [id, name] of [
    ['EA', '甲化工有限公司'],
    ['EB', '乙化工有限公司'],
    ['EC', '丙化工有限公司'],
  ])
    expect((await admin('POST', '/api/v1/enterprises', { id, name, sector: 'hazardous_chemicals', authorityId: 'K1' })).status).toBe(201);
  for (const o of [
    { id: 'duty-k1', name: '甲县值班员', authorityId: 'K1' },
    { id: 'insp-k1', name: '甲县执法员', authorityId: 'K1', role: 'inspector' },
    { id: 'mgr-ea', name: '甲安全', role: 'safety_manager', enterpriseId: 'EA' },
  ]) {
    const r = await admin('POST', '/api/v1/officers', o);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    tokens[o.id] = r.body.token;
  }
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

let taskA: string;

describe('alerts and tasks linked both ways', () => {
  it('the alert detail names the task it opened or joined; the task lists its alarms; an enterprise user sees no task', async () => {
    await fire('A1', 'EA', 'gas.combustible');
    await fire('A2', 'EA', 'gas.toxic.h2s.ppm', 'orange');
    const opened = await dispatch('A1');
    expect(opened.status).toBe(201);
    taskA = opened.id;
    const joined = await dispatch('A2');
    expect(joined).toEqual({ status: 200, id: taskA });

    const a1 = await duty('GET', '/api/v1/alerts/A1');
    expect(a1.status).toBe(200);
    expect(a1.body.tasks).toEqual([
      {
        id: taskA,
        state: 'created',
        kind: 'inspection',
        matter: 'gas',
        matterName: { zh: '可燃和有毒气体泄漏', en: 'combustible and toxic gas' },
        opened: true,
      },
    ]);
    expect((await duty('GET', '/api/v1/alerts/A2')).body.tasks).toMatchObject([{ id: taskA, opened: false }]);

    // an alarm that opened no task: an empty list
    await fire('A-free', 'EB', 'gas.combustible');
    expect((await duty('GET', '/api/v1/alerts/A-free')).body.tasks).toEqual([]);

    // the enterprise's own user reads its alarm, without the bureau's task
    const own = await as('mgr-ea')('GET', '/api/v1/alerts/A1');
    expect(own.status).toBe(200);
    expect(own.body).not.toHaveProperty('tasks');
    expect(JSON.stringify(own.body)).not.toContain(taskA);

    const t = await duty('GET', `/api/v1/tasks/${taskA}`);
    expect(t.status).toBe(200);
    expect(t.body.alerts).toEqual([
      {
        id: 'A1',
        severity: 'red',
        state: 'firing',
        message: { zh: '报警', en: 'alarm' },
        startedAt: expect.any(Number) as unknown,
        firedAt: expect.any(Number) as unknown,
        ruleId: 'gas.combustible',
        opened: true,
      },
      expect.objectContaining({ id: 'A2', severity: 'orange', state: 'firing', ruleId: 'gas.toxic.h2s.ppm', opened: false }),
    ]);
  });

  it('a firing alarm of another matter or of another enterprise does not hold a passed re-check up', async () => {
    await fire('C1', 'EC', 'gas.combustible');
    const { id } = await dispatch('C1');
    await toRechecking(id);
    await dispose('C1');
    // still firing: EC's frozen sensor (monitoring integrity, not gas), EB's and EA's gas alarms (other enterprises)
    await fire('C2', 'EC', 'common.frozen', 'orange');
    const r = await insp('POST', `/api/v1/tasks/${id}/recheck`, { passed: true, note: '探头已更换，报警测试正常', evidence: ['photo:gt-101-new.jpg'] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.task).toMatchObject({
      state: 'closed',
      outcome: 'rectified',
      recheck: { passed: true, note: '探头已更换，报警测试正常', evidence: ['photo:gt-101-new.jpg'], actor: 'user:insp-k1' },
    });
    expect(r.body.task.recheck).not.toHaveProperty('firingConfirmed');
    const { events } = (await insp('GET', `/api/v1/tasks/${id}`)).body;
    expect(events.at(-1)).toMatchObject({ type: 'recheck_result', detail: 're-check passed: 探头已更换，报警测试正常' });
  });

  it('refuses a passed re-check while an alarm of the same matter still fires, naming it, until the inspector confirms', async () => {
    await toRechecking(taskA);
    // A2 signed for (acknowledged) still counts; A1 firing
    expect((await duty('POST', '/api/v1/alerts/A2/acknowledge', { note: '已签收' })).status).toBe(200);
    const refused = await insp('POST', `/api/v1/tasks/${taskA}/recheck`, { passed: true, note: '已整改' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'CONFLICT',
      task: 'ALARM_STILL_FIRING',
      firing: [
        expect.objectContaining({ id: 'A1', state: 'firing', ruleId: 'gas.combustible', severity: 'red' }),
        expect.objectContaining({ id: 'A2', state: 'acknowledged' }),
      ],
    });
    expect(refused.body.error.message).toMatch(
      /^同一事项的报警仍在持续：A1（报警）、A2（报警）.* \/ alarm\(s\) of the same matter still firing: A1 \(alarm\), A2 \(alarm\)/,
    );
    expect(refused.body.error.reason.zh).toContain('A1');
    // nothing changed
    expect((await insp('GET', `/api/v1/tasks/${taskA}`)).body.task.state).toBe('rechecking');
    // a malformed confirmation is a 400 naming the field
    const bad = await insp('POST', `/api/v1/tasks/${taskA}/recheck`, { passed: true, note: '已整改', confirmFiring: 'yes' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('confirmFiring');

    const ok = await insp('POST', `/api/v1/tasks/${taskA}/recheck`, { passed: true, note: '已整改，报警为残余浓度', confirmFiring: true });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.task).toMatchObject({ state: 'closed', outcome: 'rectified', recheck: { passed: true, firingConfirmed: ['A1', 'A2'], evidence: [] } });
    const detail = (await insp('GET', `/api/v1/tasks/${taskA}`)).body;
    expect(detail.events.at(-1)).toMatchObject({
      type: 'recheck_result',
      actor: 'user:insp-k1',
      to: 'closed',
      detail: 're-check passed (confirmed by the inspector while alarm(s) A1, A2 of the same matter were still firing): 已整改，报警为残余浓度',
    });
    // the alert detail shows the task closed
    expect((await duty('GET', '/api/v1/alerts/A1')).body.tasks).toMatchObject([{ id: taskA, state: 'closed' }]);

    // the audit record carries the confirmation and the alarms; the task rows still match their seals
    const { rows } = await db.query<{ data: { command: Record<string, unknown>; event: { detail: string } } }>(
      "SELECT data FROM audit_log WHERE subject_type = 'task' AND subject_id = $1 AND action = 'task.recheck_result'",
      [taskA],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.data.command).toMatchObject({ type: 'recheck_result', passed: true, firingConfirmed: ['A1', 'A2'] });
    expect(rows[0]!.data.event.detail).toContain('confirmed by the inspector');
    expect(await verifyRecords(db)).toMatchObject({ ok: true });
  });

  it('does not hold up a failed re-check', async () => {
    await fire('B1', 'EB', 'chem.tank_level.high');
    const { id } = await dispatch('B1');
    await toRechecking(id);
    const r = await insp('POST', `/api/v1/tasks/${id}/recheck`, { passed: false, note: '液位计仍未校准' });
    expect(r.status).toBe(200);
    expect(r.body.task).toMatchObject({ state: 'escalated', recheck: { passed: false, note: '液位计仍未校准' } });
  });
});
