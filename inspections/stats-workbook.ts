/**
 * The leaders' statistics of a period (issue #20 §10) as an XLSX workbook, what the console's statistics screen shows:
 * the headline figures with the same period a year earlier and the change (同比), the authorities directly below, the
 * enterprises ranked, and the inspections and cases by origin. Each sheet's first row names the scope and the period
 * (China Standard Time days); headers in Chinese, or English when asked. Built as the monthly report is
 * (monthly-report.ts): rates are numbers formatted as percentages, so the sheet can be sorted and summed; a missing
 * value is "—".
 */
import ExcelJS from 'exceljs';
import { ORIGIN_NAMES } from './caps.ts';
import { change, type Metrics, type OriginCount, type StatisticsReport } from './stats.ts';

const PERCENT = '0.00%';
type Lang = 'zh' | 'en';
type Cell = string | number | null;
type Column = { header: string; width?: number; percent?: boolean };

/** The words of the workbook, in both languages. */
const WORDS = {
  zh: {
    sheets: ['汇总', '下级执法主体', '企业排名', '按检查来源'],
    title: '统计报表',
    all: '全部',
    period: (a: string, b: string) => `${a} 至 ${b}（北京时间）`,
    earlier: (a: string, b: string) => `去年同期 ${a} 至 ${b}`,
    yoyNote: '同比：本期与去年同期之比的变化，（本期 − 去年同期）÷ 去年同期；去年同期为 0 或无数据时为“—”',
    figure: '指标',
    now: '本期',
    before: '去年同期',
    yoy: '同比',
    enterprisesN: '企业数',
    alerts: '报警数',
    disposalRate: '处置率',
    ackMedianMin: '签收用时中位数（分钟）',
    tasksOpened: '派发任务',
    tasksClosed: '闭环任务',
    hazards: '隐患',
    majorHazards: '重大隐患',
    recheckPassRate: '复查合格率',
    onlineRate: '数据在线率',
    offlineHours: '离线时长（小时）',
    authority: '执法主体',
    rank: '名次',
    enterprise: '企业',
    enterpriseAuthority: '所属执法主体',
    origin: '检查来源',
    inspections: '检查次数',
    tasks: '任务（案件）数',
    inspectionsBefore: '去年同期检查次数',
    total: '合计',
  },
  en: {
    sheets: ['Summary', 'Authorities', 'Enterprise ranking', 'By origin'],
    title: 'Statistics',
    all: 'all',
    period: (a: string, b: string) => `${a} to ${b} (China Standard Time)`,
    earlier: (a: string, b: string) => `a year earlier ${a} to ${b}`,
    yoyNote: 'Year-on-year: (this period − the same period a year earlier) ÷ the earlier value; "—" when the earlier value is 0 or missing',
    figure: 'Figure',
    now: 'This period',
    before: 'A year earlier',
    yoy: 'Year-on-year',
    enterprisesN: 'Enterprises',
    alerts: 'Alarms',
    disposalRate: 'Disposal rate',
    ackMedianMin: 'Time to acknowledge, median (min)',
    tasksOpened: 'Tasks opened',
    tasksClosed: 'Tasks closed',
    hazards: 'Hazards',
    majorHazards: 'Major hazards',
    recheckPassRate: 'Re-check pass rate',
    onlineRate: 'Data online rate',
    offlineHours: 'Offline hours',
    authority: 'Authority',
    rank: 'Rank',
    enterprise: 'Enterprise',
    enterpriseAuthority: 'Authority',
    origin: 'Origin',
    inspections: 'Inspections',
    tasks: 'Tasks (cases)',
    inspectionsBefore: 'Inspections a year earlier',
    total: 'Total',
  },
} as const;

/** A sheet: a title row naming the scope and the period, the headers, the rows. */
function sheet(wb: ExcelJS.Workbook, name: string, title: string, columns: Column[], rows: Cell[][], percentCells: [number, number][] = []): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 2 }] });
  columns.forEach((c, i) => {
    ws.getColumn(i + 1).width = c.width ?? Math.max(12, c.header.length * 2 + 2);
  });
  ws.addRow([title]).font = { bold: true, size: 13 };
  ws.mergeCells(1, 1, 1, Math.max(1, columns.length));
  ws.addRow(columns.map((c) => c.header)).font = { bold: true };
  for (const r of rows) ws.addRow(r.map((v) => (v === null ? '—' : v)));
  columns.forEach((c, i) => {
    if (!c.percent) return;
    for (let row = 3; row < rows.length + 3; row++) ws.getCell(row, i + 1).numFmt = PERCENT;
  });
  for (const [row, col] of percentCells) ws.getCell(row, col).numFmt = PERCENT;
  return ws;
}

export interface StatsWorkbookInput {
  /** The authority reported on (its name), or null for everything. */
  scope: string | null;
  /** The period as CST days, inclusive, and the same a year earlier. */
  period: { fromDate: string; toDate: string };
  earlier: { fromDate: string; toDate: string };
  report: StatisticsReport;
  byOrigin: OriginCount[];
  previous: { totals: Metrics; byOrigin: OriginCount[] };
  /** Authority id → name. */
  authorityNames: ReadonlyMap<string, string>;
}

const minutes = (ms: number | null): number | null => (ms === null ? null : Math.round(ms / 6_000) / 10);

export async function statsWorkbook(x: StatsWorkbookInput, lang: Lang): Promise<Buffer> {
  const w = WORDS[lang];
  const wb = new ExcelJS.Workbook();
  wb.creator = 'remote supervision platform';
  const scope = x.scope ?? w.all;
  const period = w.period(x.period.fromDate, x.period.toDate);
  wb.title = `${w.title} · ${scope} · ${period}`;
  const title = (sheetName: string) => `${w.title} · ${sheetName} · ${scope} · ${period}`;
  const now = x.report.totals;
  const before = x.previous.totals;

  // [label, this period, a year earlier, a rate]
  const figures: [string, number | null, number | null, boolean][] = [
    [w.enterprisesN, now.enterprises, before.enterprises, false],
    [w.alerts, now.alerts.total, before.alerts.total, false],
    [w.disposalRate, now.alerts.disposalRate, before.alerts.disposalRate, true],
    [w.ackMedianMin, minutes(now.acknowledge.p50Ms), minutes(before.acknowledge.p50Ms), false],
    [w.tasksOpened, now.tasks.opened, before.tasks.opened, false],
    [w.tasksClosed, now.tasks.closed, before.tasks.closed, false],
    [w.hazards, now.findings.hazards, before.findings.hazards, false],
    [w.majorHazards, now.findings.majorHazards, before.findings.majorHazards, false],
    [w.recheckPassRate, now.rechecks.passRate, before.rechecks.passRate, true],
    [w.onlineRate, now.online.rate, before.online.rate, true],
    [w.offlineHours, now.online.offlineHours, before.online.offlineHours, false],
  ];
  const percentCells: [number, number][] = [];
  figures.forEach(([, , , rate], i) => {
    if (rate) percentCells.push([i + 3, 2], [i + 3, 3]);
  });
  const summary = sheet(
    wb,
    w.sheets[0],
    title(w.sheets[0]),
    [
      { header: w.figure, width: 30 },
      { header: w.now, width: 14 },
      { header: `${w.before}`, width: 14 },
      { header: w.yoy, width: 14, percent: true },
    ],
    figures.map(([label, a, b]) => [label, a, b, change(a, b)]),
    percentCells,
  );
  summary.addRow([]);
  summary.addRow([w.earlier(x.earlier.fromDate, x.earlier.toDate)]);
  summary.addRow([w.yoyNote]);

  const metricColumns: Column[] = [
    { header: w.enterprisesN },
    { header: w.alerts },
    { header: w.disposalRate, percent: true },
    { header: w.tasksOpened },
    { header: w.tasksClosed },
    { header: w.hazards },
    { header: w.majorHazards },
    { header: w.recheckPassRate, percent: true },
    { header: w.onlineRate, percent: true },
    { header: w.offlineHours },
  ];
  const metricCells = (m: Metrics): Cell[] => [
    m.enterprises,
    m.alerts.total,
    m.alerts.disposalRate,
    m.tasks.opened,
    m.tasks.closed,
    m.findings.hazards,
    m.findings.majorHazards,
    m.rechecks.passRate,
    m.online.rate,
    m.online.offlineHours,
  ];
  sheet(
    wb,
    w.sheets[1],
    title(w.sheets[1]),
    [{ header: w.rank }, { header: w.authority, width: 24 }, ...metricColumns],
    x.report.authorities.map((a, i) => [i + 1, a.name, ...metricCells(a)]),
  );
  sheet(
    wb,
    w.sheets[2],
    title(w.sheets[2]),
    [{ header: w.rank }, { header: w.enterprise, width: 28 }, { header: w.enterpriseAuthority, width: 24 }, ...metricColumns.slice(1)],
    x.report.enterprises.map((e, i) => [
      i + 1,
      e.name,
      e.authorityId === null ? null : (x.authorityNames.get(e.authorityId) ?? e.authorityId),
      ...metricCells(e).slice(1),
    ]),
  );
  const earlierOf = new Map(x.previous.byOrigin.map((o) => [o.origin, o]));
  const originRows = x.byOrigin.map((o): Cell[] => {
    const b = earlierOf.get(o.origin)?.inspections ?? 0;
    return [ORIGIN_NAMES[o.origin][lang], o.inspections, o.tasks, o.hazards, o.majorHazards, b, change(o.inspections, b)];
  });
  const sum = (k: 'inspections' | 'tasks' | 'hazards' | 'majorHazards', list: readonly OriginCount[]) => list.reduce((n, o) => n + o[k], 0);
  const totalBefore = sum('inspections', x.previous.byOrigin);
  originRows.push([
    w.total,
    sum('inspections', x.byOrigin),
    sum('tasks', x.byOrigin),
    sum('hazards', x.byOrigin),
    sum('majorHazards', x.byOrigin),
    totalBefore,
    change(sum('inspections', x.byOrigin), totalBefore),
  ]);
  sheet(
    wb,
    w.sheets[3],
    title(w.sheets[3]),
    [
      { header: w.origin, width: 26 },
      { header: w.inspections },
      { header: w.tasks },
      { header: w.hazards },
      { header: w.majorHazards },
      { header: w.inspectionsBefore },
      { header: w.yoy, percent: true },
    ],
    originRows,
  );
  return Buffer.from(await wb.xlsx.writeBuffer());
}
