/**
 * Enterprise self-inspection reports (issue #18 item 5, domain rule 11) through the API on a PGlite
 * ledger (`app.inject`): the enterprise's own user reports, another enterprise's user and an officer of
 * another jurisdiction get 404, fields are named in Chinese and English, a correction is a new report,
 * a rectification is appended once and audited; the overdue listing and the enterprise file's flag; the
 * reporting rate; and the automatic self-reported mark on an inspection's findings — matched, not when the
 * deadline has passed, not when the hazard was declared rectified, not when reported after the inspection.
 *
 * Authorities P → K1, K2. Enterprises of K1: E1 (hazardous chemicals, a major hazard source), E3 (other
 * sector, nothing registered: not required to report), E4 (other sector with a major hazard source);
 * of K2: E2 (hazardous chemicals). Time is a fake clock in China Standard Time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from '../../../alerts/store.ts';
import type { buildApi } from '../../../api/server.ts';
import type { Db } from '../../../core/db/db.ts';
import { selfInspectionReportingRate, SelfInspections } from '../../../inspections/self-inspections.ts';
import { DEFAULT_SELF_INSPECTION_POLICY, periodRange, parsePeriod } from '../../../inspections/self-inspection-policy.ts';
import { forCaseHandling, type Task } from '../../../inspections/tasks/lifecycle.ts';
import { DEFAULT_TASK_POLICY, taskDecision } from '../../../inspections/tasks/policy.ts';
import { TaskStore } from '../../../inspections/tasks/store.ts';
import { AlertDriver } from '../../../testkit/notify.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

/** An instant given as CST wall time. */
const cst = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h - 8, min);
const clock = {
  t: cst(2026, 11, 20, 10),
  now() {
    return this.t;
  },
};

let db: Db;
let app: ReturnType<typeof buildApi>;
let tasks: TaskStore;
let alerts: AlertDriver;
const tokens: Record<string, string> = {};
let subjects = 0;

type Body = Record<string, unknown> & { error?: { code: string; message: string; field?: string; reason?: { zh: string; en: string }; refusal?: string } };
async function call(who: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const token = who === 'admin' ? TEST_ADMIN_TOKEN : tokens[who]!;
  const r = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.json<Body>() };
}

const persons = Object.fromEntries(['main', 'technical', 'operational'].map((k) => [k, { name: '李四', phone: '13800000000' }]));
const hazard = (o: Record<string, unknown> = {}) => ({
  description: '罐区可燃气体检测报警器 2 台故障',
  checklistItemId: 'gas.detectors',
  major: true,
  hazardSourceCode: 'HZ-1',
  measures: '更换探头并标定，期间加密人工巡检',
  deadline: cst(2026, 12, 31),
  ...o,
});
const report = (period: string, hazards: unknown[], summary = '安全副总带队检查罐区、装卸区') => ({ period, summary, hazards });

interface Report {
  id: string;
  period: string;
  corrects: string | null;
  current: boolean;
  hazardCount: number;
  hazards: { id: string; major: boolean; checklistItemId: string | null; rectifiedAt: number | null }[];
}

beforeAll(async () => {
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN, clock));
  tasks = new TaskStore(db);
  alerts = new AlertDriver(new AlertStore(db));
  for (const a of [
    { id: 'P', name: '市局', level: 'city' },
    { id: 'K1', name: '甲县局', level: 'county', parentId: 'P' },
    { id: 'K2', name: '乙县局', level: 'county', parentId: 'P' },
  ])
    expect((await call('admin', 'POST', '/api/v1/authorities', a)).status).toBe(201);
  for (const [id, authorityId, sector] of [
    ['E1', 'K1', 'hazardous_chemicals'],
    ['E2', 'K2', 'hazardous_chemicals'],
    ['E3', 'K1', 'other'],
    ['E4', 'K1', 'other'],
    ['EA', 'K1', 'hazardous_chemicals'],
    ['EB', 'K1', 'hazardous_chemicals'],
    ['EC', 'K1', 'hazardous_chemicals'],
    ['ED', 'K1', 'hazardous_chemicals'],
  ])
    expect((await call('admin', 'POST', '/api/v1/enterprises', { id, name: `企业 ${id}`, sector, authorityId })).status).toBe(201);
  for (const e of ['E1', 'E4'])
    expect((await call('admin', 'POST', `/api/v1/enterprises/${e}/hazard-sources`, { code: 'HZ-1', name: '罐区', rValue: 50, persons })).status).toBe(201);
  // in the ledger since the start of the year (the obligation counts quarters that ended after an enterprise was entered)
  await db.query("UPDATE enterprises SET created_at = '2026-01-01T00:00:00+08:00'");
  for (const [id, where, role] of [
    ['sm-e1', { enterpriseId: 'E1' }, 'safety_manager'],
    ['rp-e1', { enterpriseId: 'E1' }, 'responsible_person'],
    ['sm-e2', { enterpriseId: 'E2' }, 'safety_manager'],
    ['sm-ea', { enterpriseId: 'EA' }, 'safety_manager'],
    ['sm-eb', { enterpriseId: 'EB' }, 'safety_manager'],
    ['sm-ec', { enterpriseId: 'EC' }, 'safety_manager'],
    ['sm-ed', { enterpriseId: 'ED' }, 'safety_manager'],
    ['duty-k1', { authorityId: 'K1' }, 'duty_officer'],
    ['duty-k2', { authorityId: 'K2' }, 'duty_officer'],
    ['lead-p', { authorityId: 'P' }, 'leader'],
    ['insp-k1', { authorityId: 'K1' }, 'inspector'],
  ] as const) {
    const r = await call('admin', 'POST', '/api/v1/officers', { id, name: id, role, ...where });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    tokens[id] = (r.body as { token: string }).token;
  }
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('submitting a report', () => {
  let first: Report;

  it("the enterprise's safety manager reports the quarter's hazards: 201, audited", async () => {
    clock.t = cst(2026, 11, 20, 10);
    const r = await call(
      'sm-e1',
      'POST',
      '/api/v1/enterprises/E1/self-inspections',
      report('2026-Q4', [hazard(), hazard({ checklistItemId: 'gas.settings', major: false, hazardSourceCode: undefined })]),
    );
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    first = (r.body as unknown as { report: Report }).report;
    expect(first).toMatchObject({ period: '2026-Q4', corrects: null, current: true, hazardCount: 2, submittedBy: 'user:sm-e1', submittedAt: clock.t });
    expect(first.hazards.map((h) => [h.checklistItemId, h.major])).toEqual([
      ['gas.detectors', true],
      ['gas.settings', false],
    ]);
    const audit = await db.query<{ actor: string; action: string }>('SELECT actor, action FROM audit_log WHERE subject_id = $1', [first.id]);
    expect(audit.rows).toEqual([{ actor: 'user:sm-e1', action: 'self_inspection.reported' }]);
  });

  it('an item the criteria mark major makes the hazard major, whatever was entered', async () => {
    const r = await call('rp-e1', 'POST', '/api/v1/enterprises/E1/self-inspections', report('2026-Q3', [hazard({ major: false, deadline: cst(2026, 12, 1) })]));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect((r.body as unknown as { report: Report }).report.hazards[0]!.major).toBe(true);
  });

  it.each([
    ['a malformed period', report('2026-Q5', []), 'body.period', '报告期格式'],
    ['a quarter not begun', report('2027-Q1', []), 'body.period', '尚未开始'],
    ['no summary', { period: '2026-Q4', hazards: [] }, 'body.summary', '检查情况必填'],
    ['a hazard without measures', report('2026-Q4', [hazard({ measures: '' })]), 'body.hazards.0.measures', '整改措施必填'],
    ['a hazard without major', report('2026-Q4', [hazard({ major: undefined })]), 'body.hazards.0.major', '是否重大事故隐患'],
    ['an item of another sector', report('2026-Q4', [hazard({ checklistItemId: 'mine.ventilation' })]), 'body.hazards.0.checklistItemId', '不是本行业'],
    ['an item of no checklist', report('2026-Q4', [hazard(), hazard({ checklistItemId: 'made.up' })]), 'body.hazards.1.checklistItemId', '检查事项'],
    ['an unregistered hazard source', report('2026-Q4', [hazard({ hazardSourceCode: 'HZ-9' })]), 'body.hazards.0.hazardSourceCode', '未登记重大危险源'],
    ['a deadline before the quarter', report('2026-Q4', [hazard({ deadline: cst(2026, 9, 1) })]), 'body.hazards.0.deadline', '整改期限'],
    // a far deadline would shield later findings for good; a long-past quarter is no self-inspection of its time
    ['a deadline over a year out', report('2026-Q4', [hazard({ deadline: cst(2099, 12, 31) })]), 'body.hazards.0.deadline', '不得晚于报告后 365 天'],
    ['a quarter long past', report('2001-Q1', []), 'body.period', '最近 4 个季度'],
    ['an unknown field', { ...report('2026-Q4', []), extra: 1 }, 'body', ''],
  ])('%s: 400 naming the field, in Chinese and English', async (_name, body, field, zh) => {
    const r = await call('sm-e1', 'POST', '/api/v1/enterprises/E1/self-inspections', body);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error?.field).toBe(field);
    expect(r.body.error?.reason?.zh).toContain(zh);
    expect(r.body.error?.reason?.en.length).toBeGreaterThan(0);
  });

  it("another enterprise's user gets 404 for E1 (as if it did not exist); an officer may not report (403)", async () => {
    const other = await call('sm-e2', 'POST', '/api/v1/enterprises/E1/self-inspections', report('2026-Q4', []));
    expect(other.status).toBe(404);
    expect(other.body.error?.code).toBe('NOT_FOUND');
    expect((await call('duty-k1', 'POST', '/api/v1/enterprises/E1/self-inspections', report('2026-Q4', []))).status).toBe(403);
  });

  it('reading: the enterprise itself and the officers of its jurisdiction; another enterprise and another jurisdiction get 404', async () => {
    for (const who of ['sm-e1', 'duty-k1', 'lead-p', 'insp-k1']) {
      const r = await call(who, 'GET', '/api/v1/enterprises/E1/self-inspections');
      expect(r.status, who).toBe(200);
      expect((r.body.reports as Report[]).map((x) => x.period)).toEqual(['2026-Q3', '2026-Q4']);
    }
    for (const who of ['sm-e2', 'duty-k2']) expect((await call(who, 'GET', '/api/v1/enterprises/E1/self-inspections')).status, who).toBe(404);
  });

  it('a correction is a new report for the same quarter; the latest counts and the first is kept', async () => {
    clock.t = cst(2026, 11, 25, 9);
    const r = await call('sm-e1', 'POST', '/api/v1/enterprises/E1/self-inspections', report('2026-Q4', [hazard()], '更正：报警器故障 2 台，非 3 台'));
    expect(r.status).toBe(201);
    const second = (r.body as unknown as { report: Report }).report;
    expect(second).toMatchObject({ corrects: first.id, current: true, hazardCount: 1 });
    const list = await call('duty-k1', 'GET', '/api/v1/enterprises/E1/self-inspections?period=2026-Q4');
    const reports = list.body.reports as Report[];
    expect(reports.map((x) => [x.id, x.current])).toEqual([
      [second.id, true],
      [first.id, false],
    ]);
    expect(reports[1]!.hazardCount).toBe(2);
    expect((await db.query("SELECT 1 FROM audit_log WHERE action = 'self_inspection.corrected' AND subject_id = $1", [second.id])).rows).toHaveLength(1);

    // the hazard of the replaced report is not marked; the current one's is, once, audited
    const stale = await call('sm-e1', 'POST', `/api/v1/enterprises/E1/self-reported-hazards/${first.hazards[0]!.id}/rectified`, { note: '已更换' });
    expect(stale.status).toBe(409);
    expect(stale.body.error?.refusal).toBe('REPORT_REPLACED');
    const url = `/api/v1/enterprises/E1/self-reported-hazards/${second.hazards[0]!.id}/rectified`;
    expect((await call('sm-e2', 'POST', url, { note: '已更换' })).status).toBe(404);
    expect((await call('sm-e1', 'POST', url, { note: '' })).body.error?.field).toBe('body.note');
    const done = await call('sm-e1', 'POST', url, { note: '已更换探头并标定' });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.hazard).toMatchObject({ rectifiedAt: clock.t, rectifiedBy: 'user:sm-e1', rectifiedNote: '已更换探头并标定' });
    const again = await call('sm-e1', 'POST', url, { note: '再次' });
    expect(again.status).toBe(409);
    expect(again.body.error?.refusal).toBe('ALREADY_RECTIFIED');
    const audit = await db.query<{ action: string }>('SELECT action FROM audit_log WHERE subject_id = $1', [second.hazards[0]!.id]);
    expect(audit.rows.map((a) => a.action)).toEqual(['self_inspection.hazard_rectified']);
  });
});

describe('overdue reports flagged to the authority', () => {
  it('after the grace, the enterprises that must report and have not are listed with their days overdue, within the caller’s jurisdiction', async () => {
    // 2026-Q4 is due at 2027-01-16 00:00 CST (15 days, the platform default); on 20 January 10:00 it is 5 days late
    clock.t = cst(2027, 1, 20, 10);
    const k1 = await call('duty-k1', 'GET', '/api/v1/self-inspections/overdue');
    expect(k1.status).toBe(200);
    expect(k1.body).toMatchObject({ period: '2026-Q4', dueAt: cst(2027, 1, 16), policy: { graceDays: 15 } });
    const listed = k1.body.enterprises as { enterpriseId: string; daysOverdue: number; lastReportedPeriod: string | null; reason: { en: string } }[];
    // E1 reported; E3 (other sector, nothing registered) is not required; E2 is K2's; EA–ED are high-risk and have not reported
    expect(listed.map((e) => e.enterpriseId)).toEqual(['E4', 'EA', 'EB', 'EC', 'ED']);
    expect(listed[0]).toMatchObject({ daysOverdue: 5, lastReportedPeriod: null });
    expect(listed[0]!.reason.en).toContain('major hazard source');
    const k2 = await call('duty-k2', 'GET', '/api/v1/self-inspections/overdue');
    expect((k2.body.enterprises as { enterpriseId: string }[]).map((e) => e.enterpriseId)).toEqual(['E2']);
    const lead = await call('lead-p', 'GET', '/api/v1/self-inspections/overdue');
    expect((lead.body.enterprises as { enterpriseId: string }[]).map((e) => e.enterpriseId)).toEqual(['E2', 'E4', 'EA', 'EB', 'EC', 'ED']);
  });

  it('before the due instant nothing of that quarter is overdue', async () => {
    clock.t = cst(2027, 1, 15, 23);
    const r = await call('duty-k1', 'GET', '/api/v1/self-inspections/overdue');
    expect(r.body.period).toBe('2026-Q3');
    // E1 reported Q3 too; E4, EA–ED did not
    expect((r.body.enterprises as { enterpriseId: string; daysOverdue: number }[]).map((e) => [e.enterpriseId, e.daysOverdue])[0]).toEqual(['E4', 92]);
  });

  it('the enterprise file carries the flag', async () => {
    clock.t = cst(2027, 1, 20, 10);
    const e4 = await call('duty-k1', 'GET', '/api/v1/enterprises/E4/file');
    expect(e4.status).toBe(200);
    expect(e4.body.selfInspection).toMatchObject({ lastPeriod: '2026-Q4', overdue: true, daysOverdue: 5, mustReport: true, reported: false });
    const e1 = await call('duty-k1', 'GET', '/api/v1/enterprises/E1/file');
    expect(e1.body.selfInspection).toMatchObject({
      lastPeriod: '2026-Q4',
      overdue: false,
      daysOverdue: 0,
      reported: true,
      onTime: true,
      lastReportedPeriod: '2026-Q4',
    });
    const e3 = await call('duty-k1', 'GET', '/api/v1/enterprises/E3/file');
    expect(e3.body.selfInspection).toMatchObject({ overdue: false, mustReport: false });
    // the enterprise's own user reads its standing with its reports
    const own = await call('sm-e1', 'GET', '/api/v1/enterprises/E1/self-inspections');
    expect(own.body.status).toMatchObject({ lastPeriod: '2026-Q4', overdue: false });
  });

  it('the reporting rate of a set of enterprises over a period: reports due vs made on time', async () => {
    const store = new SelfInspections(db);
    // a late report of Q4 by E4 (after the due instant): reported, not on time
    clock.t = cst(2027, 1, 21, 9);
    await store.submit('E4', { period: '2026-Q4', summary: '补报', hazards: [] }, 'user:test', clock.t);
    const q4due = { from: cst(2027, 1, 1), to: cst(2027, 2, 1) };
    const r = await store.reportingRate(['E1', 'E3', 'E4', 'EA', 'nope'], q4due, clock.t);
    expect(r.periods).toEqual(['2026-Q4']);
    expect(r).toMatchObject({ due: 3, onTime: 1, late: 1, missing: 1, rate: 0.3333 });
    expect(r.items.map((i) => [i.enterpriseId, i.onTime, i.reported])).toEqual([
      ['E1', true, true],
      ['E4', false, true],
      ['EA', false, false],
    ]);
    // the same through the function the KPIs call, with a bureau's longer grace: Q4 due 2027-01-31 (not yet on the 21st), E4's report on time
    const bureau = { ...DEFAULT_SELF_INSPECTION_POLICY, graceDays: 30, source: { zh: '局设定', en: "bureau's setting" } };
    expect((await selfInspectionReportingRate(db, ['E4'], q4due, clock.t, bureau)).due).toBe(0);
    const longer = await selfInspectionReportingRate(db, ['E1', 'E3', 'E4', 'EA'], q4due, cst(2027, 2, 1), bureau);
    expect(longer).toMatchObject({ due: 3, onTime: 2, late: 0, missing: 1 });
    // a period whose quarters fall due after now counts none of them
    expect((await store.reportingRate(['E1'], { from: cst(2027, 3, 1), to: cst(2027, 5, 1) }, clock.t)).due).toBe(0);
    expect(periodRange(parsePeriod('2026-Q4')!).to).toBe(cst(2027, 1, 1));
  });
});

describe('findings on a hazard the enterprise reported: marked self-reported automatically', () => {
  /** A red gas alert's on-site task at `enterpriseId`, advanced to on site at `at` by insp-k1. */
  async function onSite(enterpriseId: string, at: number): Promise<Task> {
    const alertId = await alerts.fire(`GT-${++subjects}`, { enterpriseId, at });
    const alert = (await new AlertStore(db).get(alertId))!;
    const d = taskDecision(alert, 'threshold', at, DEFAULT_TASK_POLICY);
    if (!d.open) throw new Error('no task decision');
    const opened = await tasks.openFromAlert(alert, d, at);
    if (opened.outcome !== 'created') throw new Error(opened.outcome);
    const id = opened.task.id;
    await tasks.apply(id, { type: 'assign', inspectorId: 'insp-k1', actor: 'user:admin', at }, at);
    await tasks.apply(id, { type: 'accept', actor: 'user:insp-k1', at }, at);
    await tasks.apply(id, { type: 'arrive', actor: 'user:insp-k1', at }, at);
    return opened.task;
  }

  /** The findings through the API: gas.detectors and gas.settings fail, the rest is ok. */
  async function record(task: Task, explicit: Record<string, boolean> = {}): Promise<Task> {
    const findings = task.checklist.map((i) => ({
      itemId: i.id,
      result: i.id === 'gas.detectors' || i.id === 'gas.settings' ? 'hazard' : 'ok',
      note: '',
      ...(explicit[i.id] === undefined ? {} : { selfReported: explicit[i.id] }),
    }));
    const r = await call('insp-k1', 'POST', `/api/v1/tasks/${task.id}/findings`, { findings });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.task as Task;
  }
  const finding = (t: Task, itemId: string) => t.findings.find((f) => f.itemId === itemId)!;

  async function reportAt(user: string, enterpriseId: string, at: number, deadline: number, hazardSourceCode?: string): Promise<string> {
    clock.t = at;
    const r = await call(user, 'POST', `/api/v1/enterprises/${enterpriseId}/self-inspections`, report('2027-Q1', [hazard({ deadline, hazardSourceCode })]));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return (r.body as unknown as { report: Report }).report.hazards[0]!.id;
  }

  it('an open hazard reported before the inspection: the finding is marked, names the hazard, and is not for case handling', async () => {
    const hazardId = await reportAt('sm-ea', 'EA', cst(2027, 2, 1, 9), cst(2027, 3, 31));
    clock.t = cst(2027, 2, 10, 10);
    const task = await record(await onSite('EA', clock.t));
    expect(finding(task, 'gas.detectors')).toMatchObject({ result: 'major_hazard', selfReported: true, selfReportedHazardId: hazardId });
    expect(finding(task, 'gas.settings')).toMatchObject({ result: 'hazard', selfReported: false });
    expect(finding(task, 'gas.settings').selfReportedHazardId).toBeUndefined();
    expect(forCaseHandling(task.findings).map((f) => f.itemId)).toEqual(['gas.settings']);
    const detail = await call('duty-k1', 'GET', `/api/v1/tasks/${task.id}`);
    const events = detail.body.events as { type: string; detail: string }[];
    expect(events.find((e) => e.type === 'record_findings')!.detail).toContain('1 self-reported');
    // the audit record of the step carries the matched hazard
    const audit = await db.query<{ data: { command: { findings: { itemId: string; selfReportedHazardId?: string }[] } } }>(
      "SELECT data FROM audit_log WHERE subject_id = $1 AND action = 'task.record_findings'",
      [task.id],
    );
    expect(audit.rows[0]!.data.command.findings.find((f) => f.itemId === 'gas.detectors')!.selfReportedHazardId).toBe(hazardId);
  });

  it('a hazard whose deadline passed unrectified no longer shields it', async () => {
    const hazardId = await reportAt('sm-eb', 'EB', cst(2027, 1, 5, 9), cst(2027, 1, 31));
    clock.t = cst(2027, 2, 10, 10);
    const task = await record(await onSite('EB', clock.t));
    expect(finding(task, 'gas.detectors')).toMatchObject({ selfReported: false, selfReportMiss: { hazardId, reason: 'deadline_passed' } });
    expect(forCaseHandling(task.findings).map((f) => f.itemId)).toEqual(['gas.detectors', 'gas.settings']);
  });

  it('a hazard declared rectified before the inspection does not shield a finding that it still fails', async () => {
    const hazardId = await reportAt('sm-ec', 'EC', cst(2027, 2, 1, 9), cst(2027, 3, 31));
    clock.t = cst(2027, 2, 5, 9);
    expect((await call('sm-ec', 'POST', `/api/v1/enterprises/EC/self-reported-hazards/${hazardId}/rectified`, { note: '已整改' })).status).toBe(200);
    clock.t = cst(2027, 2, 10, 10);
    const task = await record(await onSite('EC', clock.t));
    expect(finding(task, 'gas.detectors')).toMatchObject({ selfReported: false, selfReportMiss: { hazardId, reason: 'rectified' } });
  });

  it('a hazard reported after the inspector arrived does not shield it; the inspector may still mark a finding', async () => {
    clock.t = cst(2027, 2, 10, 10);
    const task = await onSite('ED', clock.t);
    await reportAt('sm-ed', 'ED', cst(2027, 2, 10, 11), cst(2027, 3, 31));
    clock.t = cst(2027, 2, 10, 12);
    const done = await record(task, { 'gas.settings': true });
    expect(finding(done, 'gas.detectors')).toMatchObject({ selfReported: false });
    expect(finding(done, 'gas.detectors').selfReportMiss).toBeUndefined(); // a report after the arrival is not one the inspection knew of
    expect(finding(done, 'gas.settings')).toMatchObject({ selfReported: true });
    expect(finding(done, 'gas.settings').selfReportedHazardId).toBeUndefined();
  });
});
