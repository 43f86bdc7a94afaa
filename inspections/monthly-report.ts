/**
 * The monthly report of an authority (issue #17 item 6) as an XLSX workbook: 汇总 (the authority's figures),
 * 企业排名 (its enterprises, worst first), 下级排名 (the authorities directly below, best first), 测点完整率 (the
 * points with the lowest data integrity). Headers in Chinese; rates are numbers formatted as percentages, so the
 * sheet can be sorted and summed; durations as `3 小时 12 分`.
 */
import ExcelJS from 'exceljs';
import { durationZh, type KpiReport } from './kpis.ts';

export const MONTHLY_SHEETS = ['汇总', '企业排名', '下级排名', '测点完整率'] as const;
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
    ['综合得分权重', `在线率 ${w.online * 100}%、完整率 ${w.integrity * 100}%、处置率 ${w.disposal * 100}%（${w.source}）`],
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
    ],
    r.authorities.map((a) => [a.rank, a.name, a.authorityId, a.enterprises, a.score, a.onlineRate, a.offlineHours, a.offlineCount, a.integrity, a.alarms, a.disposalRate]),
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
  return Buffer.from(await wb.xlsx.writeBuffer());
}
