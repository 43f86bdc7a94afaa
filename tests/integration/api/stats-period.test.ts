/**
 * The leaders' statistics (issue #20 §10) through the API on an in-memory PGlite ledger: a custom period as China
 * Standard Time days, the same period a year earlier beside it (同比) from alarms, tasks, inspections and gateway
 * events seeded a year apart, inspections and cases by origin, the XLSX export read back with exceljs (Chinese and
 * English), and the refusals of a bad, reversed, future or too long period.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from '../../../alerts/store.ts';
import type { buildApi } from '../../../api/server.ts';
import { FakeClock } from '../../../core/clock.ts';
import type { Db } from '../../../core/db/db.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { AlertDriver } from '../../../testkit/notify.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';
import { insertInspection, insertTask } from '../../../testkit/ledger-rows.ts';

const H = 3_600_000;
const DAY = 24 * H;
/** A CST day's midnight, as epoch ms. */
const cst = (y: number, m: number, d: number, hour = 0) => Date.UTC(y, m - 1, d, hour) - 8 * H;
/** The API's clock: 5 December 2026, 12:00 CST. */
const NOW = cst(2026, 12, 5, 12);

let db: Db;
let app: ReturnType<typeof buildApi>;
let leaderK1 = '';
const get = (url: string, token = TEST_ADMIN_TOKEN) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

const task = (enterpriseId: string, authorityId: string, origin: string, at: number, state: string, results: string[]) =>
  insertTask(db, { enterpriseId, authorityId, origin, at, state, results });
const inspection = (enterpriseId: string, authorityId: string, origin: string, at: number) => insertInspection(db, { enterpriseId, authorityId, origin, at });

beforeAll(async () => {
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN, { now: () => NOW }));
  const p = new Provisioning(db, new FakeClock(cst(2025, 1, 1)));
  await p.createAuthority({ id: 'C', name: '示例市应急管理局', level: 'city' });
  await p.createAuthority({ id: 'K1', name: '甲县应急管理局', level: 'county', parentId: 'C' });
  await p.createAuthority({ id: 'K2', name: '乙县应急管理局', level: 'county', parentId: 'C' });
  await p.createEnterprise({ id: 'E1', name: '甲化工', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await p.createEnterprise({ id: 'E2', name: '乙化工', sector: 'hazardous_chemicals', authorityId: 'K2' });
  await p.createGateway({ id: 'G1', enterpriseId: 'E1' });
  await db.query('UPDATE gateways SET created_at = $1', [new Date(cst(2025, 1, 1))]);
  // G1: online from October 2025, offline for the second half of November 2025, online again from 2026 on
  const ev = (state: string, at: number) =>
    db.query('INSERT INTO gateway_events (gateway_id, state, reason, at) VALUES ($1, $2, $3, $4)', ['G1', state, 'test', new Date(at)]);
  await ev('online', cst(2025, 10, 1));
  await ev('offline', cst(2025, 11, 16));
  await ev('online', cst(2026, 1, 1));

  const alerts = new AlertDriver(new AlertStore(db));
  // November 2026: four alarms, three disposed
  for (const [i, e, disposed] of [
    [1, 'E1', true],
    [2, 'E1', true],
    [3, 'E2', true],
    [4, 'E2', false],
  ] as const) {
    const id = await alerts.fire(`GT-N${i}`, { enterpriseId: e, at: cst(2026, 11, 2 + i, 9) });
    if (disposed) await alerts.dispose(id, cst(2026, 11, 2 + i, 10));
  }
  // November 2025: two alarms, one disposed; and one in December 2025 (outside the earlier period)
  const a = await alerts.fire('GT-L1', { enterpriseId: 'E1', at: cst(2025, 11, 10, 9) });
  await alerts.dispose(a, cst(2025, 11, 10, 10));
  await alerts.fire('GT-L2', { enterpriseId: 'E2', at: cst(2025, 11, 20, 9) });
  await alerts.fire('GT-L3', { enterpriseId: 'E2', at: cst(2025, 12, 2, 9) });

  // tasks (cases) and inspections, by origin
  await task('E1', 'K1', 'data_monitoring', cst(2026, 11, 5), 'closed', ['hazard', 'major_hazard', 'ok']);
  await task('E2', 'K2', 'data_monitoring', cst(2026, 11, 6), 'assigned', ['hazard']);
  await task('E1', 'K1', 'complaint', cst(2026, 11, 7), 'closed', []);
  await task('E1', 'K1', 'data_monitoring', cst(2025, 11, 5), 'closed', ['hazard']);
  await task('E1', 'K1', 'annual_plan', cst(2026, 10, 31, 23), 'closed', ['major_hazard']); // the day before the period
  await inspection('E1', 'K1', 'data_monitoring', cst(2026, 11, 8));
  await inspection('E2', 'K2', 'data_monitoring', cst(2026, 11, 9));
  await inspection('E1', 'K1', 'random', cst(2026, 11, 30, 23)); // the last hour of the period
  await inspection('E1', 'K1', 'data_monitoring', cst(2025, 11, 8));
  await inspection('E2', 'K2', 'random', cst(2025, 11, 8));
  await inspection('E2', 'K2', 'random', cst(2025, 11, 9));
  await inspection('E1', 'K1', 'random', cst(2026, 12, 1)); // the day after the period

  const r = await app.inject({
    method: 'POST',
    url: '/api/v1/officers',
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    payload: { id: 'lead-k1', name: '甲县领导', authorityId: 'K1', role: 'leader' },
  });
  expect(r.statusCode).toBe(201);
  leaderK1 = r.json<{ token: string }>().token;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await db?.close();
});

interface Totals {
  alerts: { total: number; disposalRate: number | null };
  tasks: { opened: number; closed: number };
  findings: { hazards: number; majorHazards: number };
  online: { rate: number | null };
}
interface Body {
  from: number;
  to: number;
  scopeName: string | null;
  period: { fromDate: string; toDate: string };
  totals: Totals;
  enterprises: { enterpriseId: string; name: string; authorityName: string | null }[];
  byOrigin: { origin: string; inspections: number; tasks: number; hazards: number; majorHazards: number }[];
  yearOnYear: { from: number; to: number; fromDate: string; toDate: string; totals: Totals; byOrigin: Body['byOrigin'] };
}

describe('the statistics of a custom period with the year before', () => {
  it('reports November 2026 beside November 2025', async () => {
    const r = await get('/api/v1/stats?authorityId=C&fromDate=2026-11-01&toDate=2026-11-30');
    expect(r.statusCode).toBe(200);
    const b = r.json<Body>();
    expect([b.from, b.to, b.period, b.scopeName]).toEqual([
      cst(2026, 11, 1),
      cst(2026, 12, 1),
      { fromDate: '2026-11-01', toDate: '2026-11-30' },
      '示例市应急管理局',
    ]);
    expect(b.totals).toMatchObject({
      alerts: { total: 4, disposalRate: 0.75 },
      tasks: { opened: 3, closed: 2 },
      findings: { hazards: 3, majorHazards: 1 },
      online: { rate: 1 },
    });
    expect(b.yearOnYear).toMatchObject({
      from: cst(2025, 11, 1),
      to: cst(2025, 12, 1),
      fromDate: '2025-11-01',
      toDate: '2025-11-30',
      totals: { alerts: { total: 2, disposalRate: 0.5 }, tasks: { opened: 1, closed: 1 }, findings: { hazards: 1, majorHazards: 0 }, online: { rate: 0.5 } },
    });
    const origins = (list: Body['byOrigin']) =>
      Object.fromEntries(list.filter((o) => o.inspections + o.tasks > 0).map((o) => [o.origin, [o.inspections, o.tasks, o.hazards, o.majorHazards]]));
    expect(b.byOrigin.map((o) => o.origin)).toEqual(['annual_plan', 'random', 'dynamic', 'complaint', 'referral', 'data_monitoring', 'recheck']);
    expect(origins(b.byOrigin)).toEqual({ data_monitoring: [2, 2, 3, 1], complaint: [0, 1, 0, 0], random: [1, 0, 0, 0] });
    expect(origins(b.yearOnYear.byOrigin)).toEqual({ data_monitoring: [1, 1, 1, 0], random: [2, 0, 0, 0] });
    expect(b.enterprises.map((e) => [e.name, e.authorityName])).toEqual([
      ['甲化工', '甲县应急管理局'],
      ['乙化工', '乙县应急管理局'],
    ]);
  });

  it('reports a period reaching today up to now, and the year before up to the same moment', async () => {
    const b = (await get('/api/v1/stats?fromDate=2026-12-01&toDate=2026-12-05')).json<Body>();
    expect([b.from, b.to, b.period.toDate]).toEqual([cst(2026, 12, 1), NOW + 1, '2026-12-05']);
    expect([b.yearOnYear.from, b.yearOnYear.to]).toEqual([cst(2025, 12, 1), cst(2025, 12, 5, 12) + 1]);
    expect(b.yearOnYear.totals.alerts.total).toBe(1); // GT-L3 on 2 December 2025
    expect(b.byOrigin.find((o) => o.origin === 'random')!.inspections).toBe(1);
  });

  it('keeps a leader to their subtree', async () => {
    const b = (await get('/api/v1/stats?fromDate=2026-11-01&toDate=2026-11-30', leaderK1)).json<Body>();
    expect([b.scopeName, b.totals.alerts.total, b.yearOnYear.totals.alerts.total]).toEqual(['甲县应急管理局', 2, 1]);
    expect(b.byOrigin.find((o) => o.origin === 'data_monitoring')).toEqual({
      origin: 'data_monitoring',
      inspections: 1,
      tasks: 1,
      hazards: 2,
      majorHazards: 1,
    });
  });

  it('exports what the screen shows as XLSX, in Chinese', async () => {
    const r = await get('/api/v1/stats?authorityId=C&fromDate=2026-11-01&toDate=2026-11-30&format=xlsx');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(r.headers['content-disposition']).toBe(
      `attachment; filename="statistics-C-2026-11-01-2026-11-30.xlsx"; filename*=UTF-8''${encodeURIComponent('统计报表-示例市应急管理局-2026-11-01至2026-11-30.xlsx')}`,
    );
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.rawPayload as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['汇总', '下级执法主体', '企业排名', '按检查来源']);
    const s = wb.getWorksheet('汇总')!;
    expect(s.getCell(1, 1).value).toBe('统计报表 · 汇总 · 示例市应急管理局 · 2026-11-01 至 2026-11-30（北京时间）');
    expect(s.getRow(2).values).toEqual([undefined, '指标', '本期', '去年同期', '同比']);
    const row = (label: string) => {
      for (let i = 3; i <= s.rowCount; i++) if (s.getCell(i, 1).value === label) return [2, 3, 4].map((c) => s.getCell(i, c).value);
      return undefined;
    };
    expect(row('报警数')).toEqual([4, 2, 1]);
    expect(row('处置率')).toEqual([0.75, 0.5, 0.5]);
    expect(row('派发任务')).toEqual([3, 1, 2]);
    expect(row('重大隐患')).toEqual([1, 0, '—']);
    expect(row('数据在线率')).toEqual([1, 0.5, 1]);
    expect(s.getCell(5, 2).numFmt).toBe('0.00%');
    expect(s.getCell(5, 4).numFmt).toBe('0.00%');
    const texts = s.getColumn(1).values.filter((v): v is string => typeof v === 'string');
    expect(texts).toContain('去年同期 2025-11-01 至 2025-11-30');
    expect(texts.some((t) => t.startsWith('同比：'))).toBe(true);

    const ranked = wb.getWorksheet('企业排名')!;
    expect(ranked.getRow(2).values).toEqual([
      undefined,
      '名次',
      '企业',
      '所属执法主体',
      '报警数',
      '处置率',
      '派发任务',
      '闭环任务',
      '隐患',
      '重大隐患',
      '复查合格率',
      '数据在线率',
      '离线时长（小时）',
    ]);
    expect([1, 2, 3, 4, 5].map((c) => ranked.getCell(3, c).value)).toEqual([1, '甲化工', '甲县应急管理局', 2, 1]);
    expect(wb.getWorksheet('下级执法主体')!.getCell(3, 2).value).toBe('甲县应急管理局');

    const byOrigin = wb.getWorksheet('按检查来源')!;
    expect(byOrigin.getRow(2).values).toEqual([undefined, '检查来源', '检查次数', '任务（案件）数', '隐患', '重大隐患', '去年同期检查次数', '同比']);
    const originRow = (name: string) => {
      for (let i = 3; i <= byOrigin.rowCount; i++) if (byOrigin.getCell(i, 1).value === name) return byOrigin.getRow(i).values;
      return undefined;
    };
    expect(originRow('数据监测监控发现')).toEqual([undefined, '数据监测监控发现', 2, 2, 3, 1, 1, 1]);
    expect(originRow('双随机抽查')).toEqual([undefined, '双随机抽查', 1, 0, 0, 0, 2, -0.5]);
    expect(originRow('投诉举报')).toEqual([undefined, '投诉举报', 0, 1, 0, 0, 0, '—']);
    expect(originRow('合计')).toEqual([undefined, '合计', 3, 3, 3, 1, 3, 0]);
  });

  it('exports it in English when asked', async () => {
    const r = await get('/api/v1/stats?authorityId=C&fromDate=2026-11-01&toDate=2026-11-30&format=xlsx&lang=en');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent('statistics-示例市应急管理局-2026-11-01-2026-11-30.xlsx')}`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.rawPayload as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', 'Authorities', 'Enterprise ranking', 'By origin']);
    const s = wb.getWorksheet('Summary')!;
    expect(s.getCell(1, 1).value).toBe('Statistics · Summary · 示例市应急管理局 · 2026-11-01 to 2026-11-30 (China Standard Time)');
    expect(s.getRow(2).values).toEqual([undefined, 'Figure', 'This period', 'A year earlier', 'Year-on-year']);
    expect(s.getRow(4).values).toEqual([undefined, 'Alarms', 4, 2, 1]);
    expect(wb.getWorksheet('By origin')!.getCell(8, 1).value).toBe('found by data monitoring');
  });

  it('names everything the admin sees as such, in the file and the sheets', async () => {
    const json = (await get('/api/v1/stats?fromDate=2026-11-01&toDate=2026-11-30')).json<Body>();
    expect([json.scopeName, json.totals.alerts.total]).toEqual([null, 4]);
    for (const [lang, file, title] of [
      ['zh', '统计报表-全部-2026-11-01至2026-11-30.xlsx', '统计报表 · 汇总 · 全部 · 2026-11-01 至 2026-11-30（北京时间）'],
      ['en', 'statistics-all-2026-11-01-2026-11-30.xlsx', 'Statistics · Summary · all · 2026-11-01 to 2026-11-30 (China Standard Time)'],
    ] as const) {
      const r = await get(`/api/v1/stats?fromDate=2026-11-01&toDate=2026-11-30&format=xlsx&lang=${lang}`);
      expect(r.headers['content-disposition']).toBe(
        `attachment; filename="statistics-all-2026-11-01-2026-11-30.xlsx"; filename*=UTF-8''${encodeURIComponent(file)}`,
      );
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(r.rawPayload as unknown as ExcelJS.Buffer);
      expect(wb.worksheets[0]!.getCell(1, 1).value).toBe(title);
    }
  });

  it.each([
    ['fromDate=2026-13-01', '“2026-13-01”不是日期，应为 2000 年以后的 YYYY-MM-DD（北京时间，如 2026-11-01） / query.fromDate: "2026-13-01" is not a date'],
    ['fromDate=2026-11-01&toDate=2026-02-30', 'query.toDate：“2026-02-30”不是日期'],
    ['fromDate=1999-12-31', 'query.fromDate：“1999-12-31”不是日期'],
    [
      'fromDate=2026-11-30&toDate=2026-11-01',
      'query：开始日期 2026-11-30 晚于结束日期 2026-11-01 / query: the start date 2026-11-30 is after the end date 2026-11-01',
    ],
    ['fromDate=2027-01-01&toDate=2027-01-31', 'query.fromDate：2027-01-01 尚未开始 / query.fromDate: 2027-01-01 has not begun yet'],
    [
      'fromDate=2020-01-01&toDate=2026-11-30',
      "query：统计期最长 1098 天（平台默认值），所选为 2526 天 / query: the period may cover at most 1098 days (the platform's default); 2526 were asked",
    ],
    ['fromDate=2026-11-01&from=1', 'fromDate/toDate 与 from/to 不能同时使用'],
    [`from=${NOW}&to=${NOW - DAY}`, 'from 须早于 to'],
    ['fromDate=2026-11-01&format=pdf', 'format 可选 json、xlsx / format must be json or xlsx'],
    ['fromDate=2026-11-01&format=xlsx&lang=fr', 'lang 可选 zh、en / lang must be zh or en'],
  ])('refuses %s with 400', async (query, words) => {
    const r = await get(`/api/v1/stats?${query}`);
    expect(r.statusCode).toBe(400);
    expect(r.json<{ error: { message: string } }>().error.message).toContain(words);
  });
});
