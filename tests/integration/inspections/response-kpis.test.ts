/**
 * The enterprise tier's KPIs (issue #18 item 6; inspections/response-kpis.ts, docs/kpis.md) through the API on
 * PGlite: responses to alarms handed to two enterprises in January 2027 (China Standard Time) saved as the
 * response store saves them, one self-inspection report on time and one missing; then the figures in
 * `/api/v1/kpis`, `/api/v1/stats`, the monthly report as JSON and XLSX (read back with exceljs) and the enterprise
 * file, and an officer of another county kept out. No measured points: InfluxDB is not asked (the test API's stub).
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmResponse } from '../../../alerts/response/lifecycle.ts';
import { ResponseStore } from '../../../alerts/response/store.ts';
import { AlertStore } from '../../../alerts/store.ts';
import type { buildApi } from '../../../api/server.ts';
import type { Db } from '../../../core/db/db.ts';
import type { KpiReport } from '../../../inspections/kpis.ts';
import type { EnterpriseTierKpis } from '../../../inspections/response-kpis.ts';
import { SelfInspections } from '../../../inspections/self-inspections.ts';
import { AlertDriver } from '../../../testkit/notify.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const MIN = 60_000;
const H = 60 * MIN;
/** An instant given as CST wall time. */
const cst = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h - 8, min);
const jan = (d: number, h = 0, min = 0) => cst(2027, 1, d, h, min);
/** The API's clock: 5 February 2027 10:00 CST. */
const NOW = cst(2027, 2, 5, 10);

let db: Db;
let app: ReturnType<typeof buildApi>;
const tokens: Record<string, string> = {};

async function get(url: string, who = 'admin') {
  const token = who === 'admin' ? TEST_ADMIN_TOKEN : tokens[who]!;
  return app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
}

/** A response record as the response service saves it: handed at `at`, sign-for due in 30 min, feedback in 2 h. */
const response = (alertId: string, enterpriseId: string, at: number, r: Partial<AlarmResponse>): AlarmResponse => ({
  alertId,
  enterpriseId,
  ruleId: 'gas.high',
  subject: alertId,
  severity: 'orange',
  kind: 'process',
  state: 'awaiting_sign',
  openedAt: at,
  signDueAt: at + 30 * MIN,
  feedbackDueAt: at + 2 * H,
  review: true,
  feedbackRounds: 0,
  rejections: 0,
  supervisions: [],
  ...r,
});
const feedback = (cause: 'genuine_hazard' | 'false_alarm' | 'maintenance', at: number, repeatedFalseAlarm = false) => ({
  cause,
  measures: '已排查处理',
  attachmentIds: [],
  at,
  by: 'user:sm',
  repeatedFalseAlarm,
});

beforeAll(async () => {
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN, { now: () => NOW }));
  const admin = async (url: string, payload: object) => {
    const r = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, payload });
    expect(r.statusCode, r.body).toBe(201);
    return r.json<{ token?: string }>();
  };
  await admin('/api/v1/authorities', { id: 'C', name: '市局', level: 'city' });
  await admin('/api/v1/authorities', { id: 'K1', name: '甲县', level: 'county', parentId: 'C' });
  await admin('/api/v1/authorities', { id: 'K2', name: '乙县', level: 'county', parentId: 'C' });
  await admin('/api/v1/enterprises', { id: 'E1', name: '甲厂', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await admin('/api/v1/enterprises', { id: 'E2', name: '乙厂', sector: 'hazardous_chemicals', authorityId: 'K2' });
  await db.query("UPDATE enterprises SET created_at = '2026-01-01T00:00:00+08:00'");
  for (const [id, authorityId] of [
    ['lead-k1', 'K1'],
    ['lead-k2', 'K2'],
    ['lead-c', 'C'],
  ] as const)
    tokens[id] = (await admin('/api/v1/officers', { id, name: id, role: 'leader', authorityId })).token!;

  const alerts = new AlertDriver(new AlertStore(db));
  const store = new ResponseStore(db);
  const save = (r: AlarmResponse) => store.save(r, undefined, { type: 'opened', at: r.openedAt, actor: 'system', data: {} });
  // E1 a1: signed exactly at the due time (30 min), fed back in time (genuine hazard), cleared (消警) 3 h after it fired
  const a1 = await alerts.fire('A1', { enterpriseId: 'E1', at: jan(5, 10) });
  await save(
    response(a1, 'E1', jan(5, 10), { state: 'cleared', signedAt: jan(5, 10, 30), feedback: feedback('genuine_hazard', jan(5, 11)), feedbackRounds: 1, clearedAt: jan(5, 13) }),
  );
  // E1 a2: signed 10 min late (40 min) and supervised for it; a false alarm, rejected, explained again in time as a repeated
  // false alarm; the alarm disposed by the bureau 4 h after it fired
  const a2 = await alerts.fire('A2', { enterpriseId: 'E1', at: jan(6, 10) });
  await alerts.dispose(a2, jan(6, 14));
  await save(
    response(a2, 'E1', jan(6, 10), {
      state: 'closed',
      signedAt: jan(6, 10, 40),
      feedback: feedback('false_alarm', jan(6, 12), true),
      feedbackRounds: 2,
      reviewed: { decision: 'reject', reason: '原因不清', at: jan(6, 11, 30), by: 'user:duty' },
      rejections: 1,
      feedbackDueAt: jan(6, 12, 30),
      supervisions: [{ reason: 'sign_overdue', at: jan(6, 10, 30) }],
    }),
  );
  // E1 a3: never signed for nor fed back; supervised twice
  const a3 = await alerts.fire('A3', { enterpriseId: 'E1', at: jan(7, 10) });
  await save(
    response(a3, 'E1', jan(7, 10), {
      supervisions: [
        { reason: 'sign_overdue', at: jan(7, 10, 30) },
        { reason: 'feedback_overdue', at: jan(7, 12) },
      ],
    }),
  );
  // E1 a5: handed 10 min before now, not yet due (outside January)
  const a5 = await alerts.fire('A5', { enterpriseId: 'E1', at: NOW - 10 * MIN });
  await save(response(a5, 'E1', NOW - 10 * MIN, {}));
  // E2 b1: signed in 5 min, fed back in time (maintenance), accepted
  const b1 = await alerts.fire('B1', { enterpriseId: 'E2', at: jan(8, 9) });
  await save(
    response(b1, 'E2', jan(8, 9), {
      state: 'accepted',
      signedAt: jan(8, 9, 5),
      feedback: feedback('maintenance', jan(8, 10)),
      feedbackRounds: 1,
      reviewed: { decision: 'accept', reason: '', at: jan(8, 10, 30), by: 'user:duty' },
    }),
  );

  // the fourth quarter of 2026 fell due on 16 January 2027 (the platform's default: 15 days after the quarter): E1 on time, E2 never
  await new SelfInspections(db).submit('E1', { period: '2026-Q4', summary: '季度自查', hazards: [] }, 'user:sm-e1', jan(10, 9));
}, 120_000);

afterAll(async () => {
  await app?.close();
  await db?.close();
});

/** E1 in January: 3 alarms; sign-for 1 of 3 on time; feedback 2 of 3; self-inspection 1 of 1; less 1 rejection and 1 repeated false alarm. */
const E1_JANUARY = {
  handed: 3,
  sign: { judged: 3, onTime: 1, late: 2, onTimeRate: 0.3333, time: { count: 2, meanMs: 35 * MIN, medianMs: 35 * MIN } },
  feedback: { judged: 3, onTime: 2, late: 1, onTimeRate: 0.6667 },
  feedbacks: 2,
  falseAlarms: 1,
  falseAlarmRate: 0.5,
  repeatedFalseAlarms: 1,
  rejections: 1,
  supervisions: 3,
  clear: { count: 2, meanMs: 3.5 * H, medianMs: 3.5 * H },
  selfInspection: { due: 1, onTime: 1, rate: 1 },
  // (1 + 2 + 1 − 1 − 1) ÷ (3 + 3 + 1)
  responseRate: 0.2857,
} satisfies EnterpriseTierKpis;

describe('the monthly report', () => {
  it('has each enterprise\'s figures and the subtree\'s, in the composite score', async () => {
    const r = await get('/api/v1/reports/monthly?authorityId=C&month=2027-01');
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json<KpiReport>();
    const e1 = body.enterprises.find((e) => e.enterpriseId === 'E1')!;
    const e2 = body.enterprises.find((e) => e.enterpriseId === 'E2')!;
    expect(e1.enterpriseTier).toEqual(E1_JANUARY);
    expect(e2.enterpriseTier).toMatchObject({
      handed: 1,
      sign: { judged: 1, onTime: 1, onTimeRate: 1, time: { medianMs: 5 * MIN } },
      feedback: { judged: 1, onTime: 1 },
      falseAlarmRate: 0,
      selfInspection: { due: 1, onTime: 0, rate: 0 },
      responseRate: 0.6667, // (1 + 1 + 0) ÷ 3
    });
    // no gateways, no points: disposal (16 %) and response (20 %) only. E1: 1 of 3 alarms disposed;
    // (0.16 × 0.3333 + 0.2 × 0.2857) ÷ 0.36 = 30.69. E2: none disposed; 0.2 × 0.6667 ÷ 0.36 = 37.04
    expect(body.enterprises.map((e) => [e.rank, e.enterpriseId, e.score])).toEqual([
      [1, 'E1', 30.69],
      [2, 'E2', 37.04],
    ]);
    expect(body.weights).toMatchObject({ online: 0.32, integrity: 0.32, disposal: 0.16, response: 0.2 });
    expect(body.totals.enterpriseTier).toMatchObject({
      handed: 4,
      sign: { judged: 4, onTime: 2, onTimeRate: 0.5, time: { count: 3, medianMs: 30 * MIN } },
      feedback: { judged: 4, onTime: 3, onTimeRate: 0.75 },
      falseAlarmRate: 0.3333,
      repeatedFalseAlarms: 1,
      rejections: 1,
      supervisions: 3,
      selfInspection: { due: 2, onTime: 1, rate: 0.5 },
      responseRate: 0.4, // (2 + 3 + 1 − 1 − 1) ÷ (4 + 4 + 2)
    });
    expect(body.authorities.map((a) => [a.authorityId, a.enterpriseTier.handed, a.enterpriseTier.responseRate])).toEqual([
      ['K2', 1, 0.6667],
      ['K1', 3, 0.2857],
    ]);
  });

  it('exports the 企业响应 sheet and the summary rows', async () => {
    const r = await get('/api/v1/reports/monthly?authorityId=C&month=2027-01&format=xlsx');
    expect(r.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.rawPayload as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['汇总', '企业排名', '下级排名', '测点完整率', '企业响应']);
    const ws = wb.getWorksheet('企业响应')!;
    const headers = (ws.getRow(1).values as unknown[]).slice(1);
    const cell = (row: number, header: string) => ws.getRow(row).getCell(headers.indexOf(header) + 1);
    expect([ws.getRow(2).getCell(2).value, ws.getRow(3).getCell(2).value, ws.getRow(4).getCell(1).value]).toEqual(['E1', 'E2', '合计']);
    expect(cell(2, '交办报警数').value).toBe(3);
    expect([cell(2, '签收及时率').value, cell(2, '签收及时率').numFmt]).toEqual([0.3333, '0.00%']);
    expect(cell(2, '签收用时中位数').value).toBe('35 分');
    expect(cell(2, '反馈及时率').value).toBe(0.6667);
    expect(cell(2, '误报率').value).toBe(0.5);
    expect(cell(2, '重复误报（计入企业）').value).toBe(1);
    expect(cell(2, '反馈被退回（计入企业）').value).toBe(1);
    expect(cell(2, '督办').value).toBe(3);
    expect(cell(2, '消警时长中位数').value).toBe('3 小时 30 分');
    expect(cell(2, '自查报送率').value).toBe(1);
    expect(cell(3, '自查报送率').value).toBe(0);
    expect(cell(4, '企业响应率').value).toBe(0.4);
    const summary = wb.getWorksheet('汇总')!;
    const rows = new Map<string, unknown>();
    summary.eachRow((row) => rows.set(row.getCell(1).text, row.getCell(2).value));
    expect(rows.get('签收及时率')).toBe(0.5);
    expect(rows.get('企业响应率')).toBe(0.4);
    expect(String(rows.get('综合得分权重'))).toContain('企业响应率 20%');
    const below = wb.getWorksheet('下级排名')!;
    expect(below.getRow(1).getCell(12).value).toBe('企业响应率');
    expect(below.getRow(2).getCell(12).value).toBe(0.6667); // K2 first (the better score)
  });
});

describe('the KPIs and statistics of a period', () => {
  it('judge a response not yet due as nothing yet; count it as handed', async () => {
    const r = await get(`/api/v1/kpis?authorityId=K1&from=${jan(1)}`);
    expect(r.statusCode).toBe(200);
    const tier = r.json<KpiReport>().totals.enterpriseTier;
    // January's three and a5 (handed 10 min ago, due in 20 min: not judged)
    expect(tier).toMatchObject({ handed: 4, sign: { judged: 3, onTime: 1 }, feedback: { judged: 3, onTime: 2 } });
    const stats = await get(`/api/v1/stats?authorityId=C&from=${jan(1)}&to=${cst(2027, 2, 1)}`);
    expect(stats.statusCode).toBe(200);
    expect(stats.json<{ enterpriseTier: EnterpriseTierKpis }>().enterpriseTier).toMatchObject({ handed: 4, responseRate: 0.4, supervisions: 3 });
  });

  it('keep an officer of another county to their own', async () => {
    const mine = await get(`/api/v1/kpis?from=${jan(1)}&to=${cst(2027, 2, 1)}`, 'lead-k2');
    expect(mine.statusCode).toBe(200);
    const body = mine.json<KpiReport>();
    expect(body.enterprises.map((e) => e.enterpriseId)).toEqual(['E2']);
    expect(body.totals.enterpriseTier).toMatchObject({ handed: 1, supervisions: 0, rejections: 0 });
    for (const url of [`/api/v1/kpis?authorityId=K1`, '/api/v1/reports/monthly?authorityId=K1&month=2027-01', `/api/v1/stats?authorityId=K1`, '/api/v1/enterprises/E1/file'])
      expect((await get(url, 'lead-k2')).statusCode, url).toBe(404);
    const stats = await get(`/api/v1/stats?from=${jan(1)}&to=${cst(2027, 2, 1)}`, 'lead-k2');
    expect(stats.json<{ enterpriseTier: EnterpriseTierKpis }>().enterpriseTier).toMatchObject({ handed: 1, responseRate: 0.6667 });
  });
});

describe('the enterprise file', () => {
  it('shows its own figures of the last 90 days and the quarter\'s self-inspection state', async () => {
    const r = await get('/api/v1/enterprises/E1/file', 'lead-k1');
    expect(r.statusCode, r.body).toBe(200);
    const file = r.json<{ enterpriseTier: EnterpriseTierKpis & { days: number; from: number }; selfInspection: { period: string; reported: boolean } }>();
    expect(file.enterpriseTier).toMatchObject({
      days: 90,
      from: NOW - 90 * 24 * H,
      handed: 4,
      sign: { judged: 3, onTime: 1 },
      rejections: 1,
      repeatedFalseAlarms: 1,
      supervisions: 3,
      selfInspection: { due: 1, onTime: 1, rate: 1 },
    });
    expect(file.selfInspection).toMatchObject({ period: '2026-Q4', reported: true });
    const other = await get('/api/v1/enterprises/E2/file', 'lead-c');
    expect(other.json<{ enterpriseTier: EnterpriseTierKpis }>().enterpriseTier).toMatchObject({ handed: 1, selfInspection: { due: 1, onTime: 0 } });
  });
});
