/**
 * The enterprise answers its alarms first (issue #18 §3–4), through the API on a PGlite ledger: an alarm
 * of an enterprise with its own users is handed to it (no escalation on the bureau's clock), the
 * enterprise signs for it and feeds back within limits, the officer reviews orange/red feedback, 消警
 * disposes the alarm, overdue answers become supervision items (督办) whose escalation clock starts then,
 * repeated false-alarm explanations are flagged, and an officer's remote verification is recorded (and
 * closes the alarm's remote-verification task). The clock is the test's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCommand } from '../../../alerts/apply.ts';
import { DEFAULT_RESPONSE_POLICY, type ResponsePolicy } from '../../../alerts/response/policy.ts';
import type { responseView } from '../../../api/alert-response.ts';
import { ResponseService } from '../../../alerts/response/service.ts';
import { applyResponse } from '../../../alerts/response/lifecycle.ts';
import { DEFAULT_ESCALATION_LIMITS, nextEscalation } from '../../../alerts/state/index.ts';
import { AlertStore } from '../../../alerts/store.ts';
import { fingerprintOf } from '../../../alerts/types.ts';
import type { Db } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import { DEFAULT_TASK_POLICY, taskDecision } from '../../../inspections/tasks/policy.ts';
import { TaskStore } from '../../../inspections/tasks/store.ts';
import { AlertDriver, gasFinding, seedAuthorities } from '../../../testkit/notify.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';
import { jpegBytes } from '../../../testkit/attachments.ts';

const T0 = Date.UTC(2026, 11, 5, 2, 0, 0);
let now = T0;
const clock = { now: () => now };
const MIN = 60_000;

let db: Db;
let app: Awaited<ReturnType<typeof buildTestApi>>['app'];
let store: AlertStore;
let driver: AlertDriver;
let responses: ResponseService;
const tokens: Record<string, string> = {};
let subjects = 0;

type Method = 'GET' | 'POST';
interface Body {
  response: ReturnType<typeof responseView>;
  error: { code: string; reason: { zh: string; en: string } };
  events: { type: string }[];
  verifications: unknown[];
  verification: unknown;
  taskId: string | null;
  alerts: unknown[];
  token: string;
  policy: ResponsePolicy;
  sources: Record<string, { zh: string }>;
  causes: { id: string; zh: string }[];
}
async function call(who: string, method: Method, url: string, payload?: unknown) {
  const token = who === 'admin' ? TEST_ADMIN_TOKEN : tokens[who]!;
  const r = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.json<Body>() };
}

/** A fired alarm at the enterprise (data time now), considered by the response service as the notifier would. */
async function alarm(enterpriseId: string, severity: 'red' | 'orange' | 'yellow' = 'red'): Promise<{ id: string; subject: string; handed: boolean }> {
  const subject = `GT-${++subjects}`;
  const id = await driver.fire(subject, { at: now, severity, enterpriseId });
  const handed = await responses.consider((await store.get(id))!);
  return { id, subject, handed };
}

beforeAll(async () => {
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN, clock));
  await seedAuthorities(db);
  await db.query(
    `INSERT INTO enterprises (id, name, sector, authority_id) VALUES ('E2', '另一化工厂', 'hazardous_chemicals', 'county'), ('E3', '未开通企业', 'hazardous_chemicals', 'county')`,
  );
  store = new AlertStore(db);
  driver = new AlertDriver(store);
  responses = new ResponseService({
    db,
    alerts: store,
    clock,
    logger: createLogger({ level: 'silent' }),
    policy: DEFAULT_RESPONSE_POLICY,
    patternOf: () => 'threshold',
  });
  const users = [
    { id: 'duty-k', name: '县值班员', authorityId: 'county', role: 'duty_officer' },
    { id: 'insp-k', name: '县执法人员', authorityId: 'county', role: 'inspector' },
    { id: 'mgr-e1', name: '张安全', enterpriseId: 'E1', role: 'safety_manager', phone: '13800000001' },
    { id: 'resp-e1', name: '李包保', enterpriseId: 'E1', role: 'responsible_person', phone: '13800000002' },
    { id: 'mgr-e2', name: '王安全', enterpriseId: 'E2', role: 'safety_manager' },
  ];
  for (const u of users) {
    const r = await call('admin', 'POST', '/api/v1/officers', u);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    tokens[u.id] = r.body.token;
  }
});
afterAll(async () => {
  await app.close();
  await db.close();
});

describe('handing an alarm to its enterprise', () => {
  it('hands the alarm of an enterprise with its own users over: no escalation until it is supervised', async () => {
    const a = await alarm('E1');
    expect(a.handed).toBe(true);
    const alert = (await store.get(a.id))!;
    expect(alert.responder).toBe('enterprise');
    expect(nextEscalation(alert, DEFAULT_ESCALATION_LIMITS)).toBeUndefined();
    const events = await store.events(a.id);
    expect(events.map((e) => e.type)).toContain('handed_to_enterprise');
    const r = await call('mgr-e1', 'GET', `/api/v1/alerts/${a.id}/response`);
    expect(r.status).toBe(200);
    expect(r.body.response.state).toBe('awaiting_sign');
    expect(r.body.response.owed).toMatchObject({ what: 'sign', dueAt: now + 5 * MIN, leftMs: 5 * MIN, overdue: false });
    expect(r.body.response.stateName.zh).toBe('待企业签收');
    // considered again (a replayed batch): nothing changes
    expect(await responses.consider(alert)).toBe(false);
  });

  it('leaves the alarm of an enterprise without users to the bureau, escalating as before', async () => {
    const a = await alarm('E3');
    expect(a.handed).toBe(false);
    const alert = (await store.get(a.id))!;
    expect(alert.responder).toBeUndefined();
    expect(nextEscalation(alert, DEFAULT_ESCALATION_LIMITS)).toEqual({ level: 1, dueAt: now + 5 * MIN });
    expect((await call('duty-k', 'GET', `/api/v1/alerts/${a.id}/response`)).body.response).toBeNull();
    // escalated on the bureau's ladder, it stays the bureau's even once the enterprise has users
    await applyCommand(store, { alertId: a.id }, { type: 'escalate', at: now + 5 * MIN, level: 1, to: 'city' });
    await db.query(`INSERT INTO officers (id, name, enterprise_id, role, token_hash) VALUES ('late-e3', '后开通', 'E3', 'safety_manager', 'h-late-e3')`);
    expect(await responses.consider((await store.get(a.id))!)).toBe(false);
    await db.query(`UPDATE officers SET disabled = true WHERE id = 'late-e3'`);
    const sign = await call('admin', 'GET', `/api/v1/alerts/${a.id}/response`);
    expect(sign.status).toBe(200);
  });

  it('shows the response state and time left in the alarm list', async () => {
    const a = await alarm('E1', 'orange');
    const list = await call('duty-k', 'GET', '/api/v1/alerts?limit=50');
    const item = (list.body.alerts as { id: string; response: { state: string; owed: { leftMs: number } } | null }[]).find((x) => x.id === a.id)!;
    expect(item.response?.state).toBe('awaiting_sign');
    expect(item.response?.owed.leftMs).toBe(15 * MIN);
    // an enterprise user lists its own alarms only
    const own = await call('mgr-e2', 'GET', '/api/v1/alerts?limit=50');
    expect((own.body.alerts as { enterpriseId: string }[]).every((x) => x.enterpriseId === 'E2')).toBe(true);
  });
});

describe("the enterprise's answer and the officer's review", () => {
  it('signs for, feeds back, is rejected, feeds back again, is accepted and cleared (消警): the alarm is disposed', async () => {
    const a = await alarm('E1', 'red');
    // others cannot answer it: another enterprise (404), an officer (403: not theirs to sign)
    expect((await call('mgr-e2', 'POST', `/api/v1/alerts/${a.id}/sign`, {})).status).toBe(404);
    expect((await call('duty-k', 'POST', `/api/v1/alerts/${a.id}/sign`, {})).status).toBe(403);
    now += 2 * MIN;
    const signed = await call('resp-e1', 'POST', `/api/v1/alerts/${a.id}/sign`, { note: '已到现场' });
    expect(signed.status).toBe(200);
    expect(signed.body.response).toMatchObject({ state: 'awaiting_feedback', signedBy: 'user:resp-e1', signedAt: now });
    // the first signature stands
    expect((await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/sign`, {})).body.response.signedBy).toBe('user:resp-e1');

    expect((await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/feedback`, { cause: 'unknown', measures: '检查' })).status).toBe(400);
    const blank = await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/feedback`, { cause: 'genuine_hazard', measures: ' ' });
    expect(blank.status).toBe(400);
    expect(blank.body.error.reason.zh).toContain('措施');
    const foreign = await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/feedback`, { cause: 'genuine_hazard', measures: '关阀', attachmentIds: ['att_x'] });
    expect(foreign.status).toBe(400);

    // a photo uploaded to the alarm, then named in the feedback; another alarm's photo is refused
    const photo = await app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${a.id}/attachments?name=${encodeURIComponent('现场照片.jpg')}`,
      headers: { authorization: `Bearer ${tokens['mgr-e1']!}`, 'content-type': 'image/jpeg' },
      payload: jpegBytes(),
    });
    expect(photo.statusCode).toBe(201);
    const photoId = photo.json<{ id: string }>().id;
    const other = await alarm('E1', 'red');
    const otherPhoto = await app.inject({
      method: 'POST',
      url: `/api/v1/alerts/${other.id}/attachments`,
      headers: { authorization: `Bearer ${tokens['mgr-e1']!}`, 'content-type': 'image/jpeg' },
      payload: jpegBytes(),
    });
    const misplaced = await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/feedback`, {
      cause: 'genuine_hazard',
      measures: '关阀',
      attachmentIds: [otherPhoto.json<{ id: string }>().id],
    });
    expect(misplaced.status).toBe(400);

    now += 5 * MIN;
    const fed = await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/feedback`, {
      cause: 'genuine_hazard',
      measures: '法兰泄漏，已关闭上游阀门并紧固',
      attachmentIds: [photoId],
    });
    expect(fed.status).toBe(200);
    expect(fed.body.response).toMatchObject({
      state: 'awaiting_review',
      feedback: { cause: 'genuine_hazard', repeatedFalseAlarm: false, attachmentIds: [photoId] },
    });
    expect((await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/feedback`, { cause: 'other', measures: '再说一次' })).status).toBe(409);

    // 消警 only once the condition has cleared
    const early = await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/clear-request`, {});
    expect(early.status).toBe(409);
    expect(early.body.error.reason.zh).toContain('报警条件仍在');
    await driver.clear(a.subject, now);
    const asked = await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/clear-request`, {});
    expect(asked.status).toBe(200);
    expect(asked.body.response).toMatchObject({ state: 'awaiting_review', clearRequestedBy: 'user:mgr-e1' });

    // the officer: an enterprise may not review; a rejection needs a reason
    expect((await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/review`, { decision: 'accept' })).status).toBe(403);
    expect((await call('duty-k', 'POST', `/api/v1/alerts/${a.id}/review`, { decision: 'reject' })).status).toBe(400);
    const rejected = await call('duty-k', 'POST', `/api/v1/alerts/${a.id}/review`, { decision: 'reject', reason: '请说明泄漏原因及整改措施' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.response).toMatchObject({ state: 'awaiting_feedback', rejections: 1, feedbackDueAt: now + 60 * MIN });

    now += 10 * MIN;
    await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/feedback`, { cause: 'genuine_hazard', measures: '垫片老化导致泄漏，已更换垫片并复测合格' });
    const accepted = await call('duty-k', 'POST', `/api/v1/alerts/${a.id}/review`, { decision: 'accept', reason: '同意' });
    expect(accepted.body.response).toMatchObject({ state: 'cleared', clearedBy: 'user:duty-k', feedbackRounds: 2 });
    const alert = (await store.get(a.id))!;
    expect(alert.state).toBe('disposed');
    expect(alert.disposal).toBe('企业消警：真实隐患；垫片老化导致泄漏，已更换垫片并复测合格');

    // every step is on the alarm's own record too (the officers' live feed), before the disposal it caused
    const steps = (await store.events(a.id)).filter((e) => e.type === 'responded' || e.type === 'disposed').map((e) => [e.type, e.reason, e.actor]);
    expect(steps).toEqual([
      ['responded', 'enterprise_signed', 'user:resp-e1'],
      ['responded', 'enterprise_fed_back', 'user:mgr-e1'],
      ['responded', 'enterprise_asked_to_clear', 'user:mgr-e1'],
      ['responded', 'feedback_rejected', 'user:duty-k'],
      ['responded', 'enterprise_fed_back', 'user:mgr-e1'],
      ['responded', 'feedback_accepted', 'user:duty-k'],
      ['disposed', 'disposed_by_officer', 'user:duty-k'],
    ]);
    const view = await call('duty-k', 'GET', `/api/v1/alerts/${a.id}/response`);
    expect(view.body.events.map((e) => e.type)).toEqual(['opened', 'signed', 'fed_back', 'clear_requested', 'reviewed', 'fed_back', 'reviewed']);
    const audit = await db.query<{ action: string }>("SELECT action FROM audit_log WHERE subject_id = $1 AND action LIKE 'alert_response.%' ORDER BY seq", [
      a.id,
    ]);
    expect(audit.rows.map((r) => r.action)).toEqual([
      'alert_response.signed',
      'alert_response.fed_back',
      'alert_response.clear_requested',
      'alert_response.reviewed',
      'alert_response.fed_back',
      'alert_response.reviewed',
    ]);
  });

  it('lets the enterprise clear a yellow alarm itself once fed back (no review), and records a late sign-for', async () => {
    const a = await alarm('E1', 'yellow');
    now += 31 * MIN; // past the yellow sign-for limit (30 min)
    const signed = await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/sign`, {});
    expect(signed.body.response.signedAt).toBeGreaterThan(signed.body.response.signDueAt);
    const fed = await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/feedback`, { cause: 'process_fluctuation', measures: '进料波动，已调整' });
    expect(fed.body.response.state).toBe('fed_back');
    expect((await call('duty-k', 'POST', `/api/v1/alerts/${a.id}/review`, { decision: 'accept' })).status).toBe(409);
    await driver.clear(a.subject, now);
    const cleared = await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/clear-request`, {});
    expect(cleared.body.response.state).toBe('cleared');
    const alert = (await store.get(a.id))!;
    expect(alert).toMatchObject({ state: 'disposed', disposedBy: 'user:mgr-e1' });
    expect((await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/sign`, {})).status).toBe(409);
  });

  it('flags the third false-alarm explanation of the same point within 30 days', async () => {
    const subject = `GT-FA-${++subjects}`;
    const flags: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await driver.fire(subject, { at: now, severity: 'yellow', enterpriseId: 'E1' });
      await responses.consider((await store.get(id))!);
      const fed = await call('mgr-e1', 'POST', `/api/v1/alerts/${id}/feedback`, { cause: 'false_alarm', measures: '探头受潮误报' });
      flags.push(fed.body.response.feedback?.repeatedFalseAlarm ?? false);
      await driver.clear(subject, now + 1000);
      await call('mgr-e1', 'POST', `/api/v1/alerts/${id}/clear-request`, {});
      now += 2 * 86_400_000;
    }
    expect(flags).toEqual([false, false, true]);
  });

  it('closes the response when an officer disposes of the alarm directly', async () => {
    const a = await alarm('E1', 'orange');
    const disposed = await call('duty-k', 'POST', `/api/v1/alerts/${a.id}/dispose`, { text: '电话核实，企业已处置' });
    expect(disposed.status).toBe(200);
    expect((await call('mgr-e1', 'GET', `/api/v1/alerts/${a.id}/response`)).body.response.state).toBe('closed');
    expect((await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/feedback`, { cause: 'other', measures: '已处置' })).status).toBe(409);
  });

  it('tightens the limits when the alarm rises in grade', async () => {
    const a = await alarm('E1', 'yellow');
    const before = (await responses.store.get(a.id))!.response;
    now += MIN;
    const f = gasFinding(a.subject, 'raise', now, 'red', 'E1');
    await applyCommand(store, { fingerprint: fingerprintOf(f) }, { type: 'finding', finding: f });
    expect(await responses.consider((await store.get(a.id))!)).toBe(true);
    const after = (await responses.store.get(a.id))!.response;
    expect(after).toMatchObject({ severity: 'red', review: true, signDueAt: now + 5 * MIN, feedbackDueAt: now + 30 * MIN });
    expect(after.signDueAt).toBeLessThan(before.signDueAt);
  });
});

describe('supervision (督办) of a late enterprise', () => {
  it('turns an overdue sign-for, then an overdue feedback, into supervision items whose escalation starts then', async () => {
    const a = await alarm('E1', 'red');
    now += 4 * MIN;
    await responses.sweep();
    expect((await store.get(a.id))!.supervisedAt).toBeUndefined();
    now += MIN; // the 5-minute sign-for limit
    expect(await responses.sweep()).toBeGreaterThanOrEqual(1);
    let alert = (await store.get(a.id))!;
    expect(alert).toMatchObject({ supervisedAt: now, supervisions: ['sign_overdue'] });
    expect(nextEscalation(alert, DEFAULT_ESCALATION_LIMITS)).toEqual({ level: 1, dueAt: now + 5 * MIN });
    const supervised = (await store.events(a.id)).filter((e) => e.type === 'supervised');
    expect(supervised.map((e) => e.reason)).toEqual(['sign_overdue']);
    await responses.sweep(); // once
    expect((await store.events(a.id)).filter((e) => e.type === 'supervised')).toHaveLength(1);
    const view = await call('duty-k', 'GET', `/api/v1/alerts/${a.id}/response`);
    expect(view.body.response.owed).toMatchObject({ what: 'sign', overdue: true });
    expect(view.body.response.supervisions).toEqual([{ reason: 'sign_overdue', at: now }]);

    const supervisedAt = now;
    now += 25 * MIN; // the 30-minute feedback limit
    expect(await responses.sweep()).toBeGreaterThanOrEqual(1);
    alert = (await store.get(a.id))!;
    expect(alert).toMatchObject({ supervisedAt, supervisions: ['sign_overdue', 'feedback_overdue'] });
  });

  it('does not supervise an answered alarm, nor one the bureau disposed of', async () => {
    const answered = await alarm('E1', 'red');
    await call('mgr-e1', 'POST', `/api/v1/alerts/${answered.id}/feedback`, { cause: 'maintenance', measures: '检修作业，已登记' });
    const disposed = await alarm('E1', 'red');
    await driver.dispose(disposed.id, now);
    now += 29 * MIN; // past the sign-for limit, before the review's
    await responses.sweep();
    expect((await store.get(answered.id))!.supervisedAt).toBeUndefined();
    expect((await store.get(disposed.id))!.supervisedAt).toBeUndefined();
    expect((await responses.store.get(disposed.id))!.response.state).toBe('closed');
  });
});

describe('no alarm left without a clock', () => {
  it('supervises feedback the officer did not review in time, and then escalates it', async () => {
    const a = await alarm('E1', 'red');
    await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/feedback`, { cause: 'genuine_hazard', measures: '已关阀处置' });
    now += DEFAULT_RESPONSE_POLICY.reviewMs.red;
    await responses.sweep();
    const alert = (await store.get(a.id))!;
    expect(alert).toMatchObject({ supervisedAt: now, supervisions: ['review_overdue'] });
    expect(nextEscalation(alert, DEFAULT_ESCALATION_LIMITS)).toEqual({ level: 1, dueAt: now + 5 * MIN });
  });

  it('reopens an accepted answer when the alarm rises above its grade; unanswered, it is supervised', async () => {
    const a = await alarm('E1', 'orange');
    await call('mgr-e1', 'POST', `/api/v1/alerts/${a.id}/feedback`, { cause: 'process_fluctuation', measures: '已调整' });
    expect((await call('duty-k', 'POST', `/api/v1/alerts/${a.id}/review`, { decision: 'accept', reason: '同意' })).body.response.state).toBe('accepted');
    now += MIN;
    const f = gasFinding(a.subject, 'raise', now, 'red', 'E1');
    await applyCommand(store, { fingerprint: fingerprintOf(f) }, { type: 'finding', finding: f });
    await responses.consider((await store.get(a.id))!);
    const reopened = (await call('mgr-e1', 'GET', `/api/v1/alerts/${a.id}/response`)).body.response;
    expect(reopened).toMatchObject({ state: 'awaiting_feedback', severity: 'red', owed: { what: 'feedback', leftMs: 30 * MIN } });
    now += 30 * MIN;
    await responses.sweep();
    expect((await store.get(a.id))!.supervisions).toEqual(['feedback_overdue']);
  });

  it('repairs what a crash between two writes left: a supervision not on the alarm, a 消警 not disposed', async () => {
    const a = await alarm('E1', 'red');
    const stored = (await responses.store.get(a.id))!;
    now += 5 * MIN;
    // the response marked, then the process died before the alarm was
    const marked = applyResponse(stored.response, { type: 'supervise', at: now, reason: 'sign_overdue' }, DEFAULT_RESPONSE_POLICY);
    if (!marked.ok || !marked.event) throw new Error('expected a supervision');
    await responses.store.save(marked.response, stored.rev, { type: 'supervised', at: now, actor: 'system', data: {} });
    expect((await store.get(a.id))!.supervisedAt).toBeUndefined();
    await responses.sweep();
    expect((await store.get(a.id))!).toMatchObject({ supervisedAt: now, supervisions: ['sign_overdue'] });

    const b = await alarm('E1', 'yellow');
    await call('mgr-e1', 'POST', `/api/v1/alerts/${b.id}/feedback`, { cause: 'maintenance', measures: '检修' });
    await driver.clear(b.subject, now);
    const fed = (await responses.store.get(b.id))!;
    const cleared = applyResponse(fed.response, { type: 'request_clear', actor: 'user:mgr-e1', at: now, alarmCleared: true }, DEFAULT_RESPONSE_POLICY);
    if (!cleared.ok || !cleared.event) throw new Error('expected a clear');
    await responses.store.save(cleared.response, fed.rev, { type: 'cleared', at: now, actor: 'user:mgr-e1', data: {} });
    expect((await store.get(b.id))!.state).toBe('resolved');
    await responses.sweep();
    expect((await store.get(b.id))!).toMatchObject({ state: 'disposed', disposedBy: 'user:mgr-e1' });
  });
});

describe('remote verification (网络巡查)', () => {
  it("records the officer's verification, keeps it from the enterprise, and closes the alarm's remote-verification task", async () => {
    const id = await driver.fire(`GT-${++subjects}`, { at: now - 86_400_000, severity: 'orange', enterpriseId: 'E1' });
    const alert = (await store.get(id))!;
    const d = taskDecision(alert, 'threshold', now, DEFAULT_TASK_POLICY, false);
    if (!d.open || d.kind !== 'remote_verification') throw new Error('expected a remote verification decision');
    const opened = await new TaskStore(db).openFromAlert(alert, d, now);
    if (opened.outcome !== 'created') throw new Error(opened.outcome);

    expect((await call('mgr-e1', 'POST', `/api/v1/alerts/${id}/verifications`, { method: 'call', outcome: 'handled', note: '自查' })).status).toBe(403);
    // a check that does not settle it leaves the task open (for an on-site inspection)
    const unsettled = await call('duty-k', 'POST', `/api/v1/alerts/${id}/verifications`, {
      method: 'video_check',
      outcome: 'inconclusive',
      note: '视频不清，需现场核查',
    });
    expect(unsettled.body).toMatchObject({ verification: { outcome: 'inconclusive' }, taskId: null });
    expect((await new TaskStore(db).get(opened.task.id))!.state).toBe('created');
    expect((await call('duty-k', 'POST', `/api/v1/alerts/${id}/verifications`, { method: 'fax', outcome: 'handled', note: '电话' })).status).toBe(400);
    const r = await call('duty-k', 'POST', `/api/v1/alerts/${id}/verifications`, { method: 'call', outcome: 'handled', note: '电话联系张安全，已关阀处置' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ verification: { method: 'call', outcome: 'handled', by: 'user:duty-k' }, taskId: opened.task.id });
    const task = (await new TaskStore(db).get(opened.task.id))!;
    expect(task.state).toBe('closed');
    expect((await call('duty-k', 'GET', `/api/v1/alerts/${id}/response`)).body.verifications).toHaveLength(2);
    expect((await call('mgr-e1', 'GET', `/api/v1/alerts/${id}/response`)).body.verifications).toEqual([]);
    expect((await call('mgr-e2', 'GET', `/api/v1/alerts/${id}/response`)).status).toBe(404);
  });

  it('publishes the time limits with their sources', async () => {
    const r = await call('mgr-e1', 'GET', '/api/v1/response-policy');
    expect(r.status).toBe(200);
    expect(r.body.policy.signMs.red).toBe(5 * MIN);
    expect(r.body.sources.signMs?.zh).toContain('监管部门');
    expect(r.body.causes.map((c) => c.zh)).toEqual(['真实隐患', '误报', '仪表故障', '检修作业', '工艺波动', '其他']);
  });
});
