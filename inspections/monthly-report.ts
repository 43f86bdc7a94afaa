/**
 * The monthly report of an authority (issue #17 item 6) as an XLSX workbook: 汇总 (the authority's figures),
 * 企业排名 (its enterprises, worst first), 下级排名 (the authorities directly below, best first), 测点完整率 (the
 * points with the lowest data integrity), 企业响应 (the enterprise tier, issue #18 item 6: each enterprise's sign-for
 * and feedback timeliness, false alarms, rejections, 督办, clearing time, self-inspection reporting). Headers in Chinese; rates are numbers formatted as percentages, so the
 * sheet can be sorted and summed; durations as `3 小时 12 分`.
 */
import ExcelJS from 'exceljs';
import { durationZh, type KpiReport } from './kpis.ts';
import type { EnterpriseTierKpis } from './response-kpis.ts';

export const MONTHLY_SHEETS = ['汇总', '企业排名', '下级排名', '测点完整率', '企业响应'] as const;
const PERCENT = '0.00%';
const CST_MS = 8 * 3_600_000;
const cstTime = (ms: number): string => new Date(ms + CST_MS).toISOString().slice(0, 16).replace('T', ' ');

type Cell = string | number | null;
/** A column: its header and, for rates, the percentage format. */
type Column = { header: string; width?: number; percent?: boolean };

function sheet(wb: ExcelJS.Workbook, name: string, columns: Column[], rows: Cell[][]): void {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = columns.map((c) => ({ header: c.header, width: c.width ?? Math.max(10, c.header.length * 2 + 2) }));
  ws.getRow(1).font = { bold: true };
  for (const r of rows) ws.addRow(r.map((v) => (v === null ? '—' : v)));
  columns.forEach((c, i) => {
    if (c.percent) ws.getColumn(i + 1).numFmt = PERCENT;
  });
}

/** A weight as a whole percentage (0.32 → 32). */
const pc = (w: number): number => Math.round(w * 100);

/** The enterprise tier's columns (issue #18 item 6, docs/kpis.md "The enterprise tier"). */
const TIER_COLUMNS: Column[] = [
  { header: '交办报警数' },
  { header: '签收（应计）' },
  { header: '按时签收' },
  { header: '签收及时率', percent: true },
  { header: '签收用时中位数' },
  { header: '平均签收用时' },
  { header: '反馈（应计）' },
  { header: '按时反馈' },
  { header: '反馈及时率', percent: true },
  { header: '已反馈' },
  { header: '误报' },
  { header: '误报率', percent: true },
  { header: '重复误报（计入企业）' },
  { header: '反馈被退回（计入企业）' },
  { header: '督办' },
  { header: '消警时长中位数' },
  { header: '自查报告应报' },
  { header: '按时报送' },
  { header: '自查报送率', percent: true },
  { header: '企业响应率', percent: true },
];
const tierCells = (k: EnterpriseTierKpis): Cell[] => [
  k.handed,
  k.sign.judged,
  k.sign.onTime,
  k.sign.onTimeRate,
  durationZh(k.sign.time.medianMs),
  durationZh(k.sign.time.meanMs),
  k.feedback.judged,
  k.feedback.onTime,
  k.feedback.onTimeRate,
  k.feedbacks,
  k.falseAlarms,
  k.falseAlarmRate,
  k.repeatedFalseAlarms,
  k.rejections,
  k.supervisions,
  durationZh(k.clear.medianMs),
  k.selfInspection.due,
  k.selfInspection.onTime,
  k.selfInspection.rate,
  k.responseRate,
];

export async function monthlyWorkbook(r: KpiReport, month: string): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'remote supervision platform';
  const t = r.totals;
  const w = r.weights;
  // [label, value, a rate (formatted as a percentage)]
  const summary: [string, Cell, boolean?][] = [
    ['执法主体', r.authorityName ?? '全部'],
    ['月份', month],
    ['统计期（北京时间）', `${cstTime(r.from)} 至 ${cstTime(r.to)}`],
    ['企业数', t.enterprises],
    ['测点数', t.points],
    ['在线率', t.onlineRate, true],
    ['离线时长（小时）', t.offlineHours],
    ['离线次数', t.offlineCount],
    ['应收数据（条）', t.expected],
    ['实收数据（条，封顶后）', t.received],
    ['数据完整率', t.integrity, true],
    ['报警数', t.alarms],
    ['已处置', t.disposed],
    ['处置率', t.disposalRate, true],
    ['平均消警时长', durationZh(t.clear.meanMs)],
    ['消警时长中位数', durationZh(t.clear.medianMs)],
    ['综合得分', t.score],
    [
      '综合得分权重',
      `在线率 ${pc(w.online)}%、完整率 ${pc(w.integrity)}%、处置率 ${pc(w.disposal)}%、企业响应率 ${pc(w.response)}%（${w.source}）`,
    ],
    // the enterprise tier (issue #18 item 6)
    ['交办企业报警数', t.enterpriseTier.handed],
    ['签收及时率', t.enterpriseTier.sign.onTimeRate, true],
    ['签收用时中位数', durationZh(t.enterpriseTier.sign.time.medianMs)],
    ['反馈及时率', t.enterpriseTier.feedback.onTimeRate, true],
    ['误报率', t.enterpriseTier.falseAlarmRate, true],
    ['重复误报（计入企业）', t.enterpriseTier.repeatedFalseAlarms],
    ['反馈被退回（计入企业）', t.enterpriseTier.rejections],
    ['督办', t.enterpriseTier.supervisions],
    ['企业消警时长中位数', durationZh(t.enterpriseTier.clear.medianMs)],
    ['自查报告按时报送率', t.enterpriseTier.selfInspection.rate, true],
    ['企业响应率', t.enterpriseTier.responseRate, true],
  ];
  sheet(
    wb,
    '汇总',
    [{ header: '指标', width: 24 }, { header: '数值', width: 28 }],
    summary.map(([label, value]) => [label, value]),
  );
  const ws = wb.getWorksheet('汇总')!;
  summary.forEach(([, , isRate], i) => {
    if (isRate) ws.getCell(i + 2, 2).numFmt = PERCENT;
  });

  sheet(
    wb,
    '企业排名',
    [
      { header: '名次（最差在前）' },
      { header: '企业', width: 28 },
      { header: '企业编号' },
      { header: '所属执法主体' },
      { header: '综合得分' },
      { header: '在线率', percent: true },
      { header: '离线时长（小时）' },
      { header: '离线次数' },
      { header: '数据完整率', percent: true },
      { header: '报警数' },
      { header: '处置率', percent: true },
      { header: '平均消警时长' },
      { header: '完整率最低的测点', width: 40 },
    ],
    r.enterprises.map((e) => [
      e.rank,
      e.name,
      e.enterpriseId,
      e.authorityId,
      e.score,
      e.onlineRate,
      e.offlineHours,
      e.offlineCount,
      e.integrity,
      e.alarms,
      e.disposalRate,
      durationZh(e.clear.meanMs),
      e.worstPoints.map((p) => `${p.tagNo} ${p.integrity === null ? '—' : `${(p.integrity * 100).toFixed(1)}%`}`).join('；') || '—',
    ]),
  );
  sheet(
    wb,
    '下级排名',
    [
      { header: '名次' },
      { header: '执法主体', width: 20 },
      { header: '编号' },
      { header: '企业数' },
      { header: '综合得分' },
      { header: '在线率', percent: true },
      { header: '离线时长（小时）' },
      { header: '离线次数' },
      { header: '数据完整率', percent: true },
      { header: '报警数' },
      { header: '处置率', percent: true },
      { header: '企业响应率', percent: true },
    ],
    r.authorities.map((a) => [
      a.rank,
      a.name,
      a.authorityId,
      a.enterprises,
      a.score,
      a.onlineRate,
      a.offlineHours,
      a.offlineCount,
      a.integrity,
      a.alarms,
      a.disposalRate,
      a.enterpriseTier.responseRate,
    ]),
  );
  sheet(
    wb,
    '测点完整率',
    [
      { header: '企业编号' },
      { header: '测点编号' },
      { header: '位号' },
      { header: '名称', width: 20 },
      { header: '上报周期（秒）' },
      { header: '在用时长（小时）' },
      { header: '应收（条）' },
      { header: '实收（条，封顶后）' },
      { header: '完整率', percent: true },
    ],
    r.worstPoints.map((p) => [p.enterpriseId, p.pointId, p.tagNo, p.name, p.periodS, p.inUseHours, p.expected, p.received, p.integrity]),
  );
  sheet(
    wb,
    '企业响应',
    [
      { header: '企业', width: 28 },
      { header: '企业编号' },
      { header: '所属执法主体' },
      ...TIER_COLUMNS,
    ],
    [
      ...r.enterprises.map((e): Cell[] => [e.name, e.enterpriseId, e.authorityId, ...tierCells(e.enterpriseTier)]),
      ['合计', null, r.authorityName ?? '全部', ...tierCells(t.enterpriseTier)],
    ],
  );
  return Buffer.from(await wb.xlsx.writeBuffer());
}
