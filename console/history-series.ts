/**
 * What a history chart draws from the API's points: raw readings as one line;
 * downsampled buckets as their mean with the max and the min drawn too and the
 * band between them filled, so a 52 %LEL peak inside a bucket whose mean is
 * 44 shows as 52 (docs/adr/0008-retention-and-rollups.md).
 */
import type uPlot from 'uplot';
import { lang, stamp, t } from './i18n.ts';
import type { Point } from './types.ts';

const LINE = '#1f2937';
const BAND_EDGE = '#8c8c8c';
const BAND_FILL = 'rgba(31, 41, 55, 0.15)';

export interface HistorySeries {
  /** [xs (s), the value or mean, then max and min when downsampled]. */
  data: (number | null)[][];
  /** The series after the x axis, in the order of `data`. */
  series: uPlot.Series[];
  /** The max–min band, filled (indices into `series` + 1). */
  bands: uPlot.Band[];
}

export function historySeries(points: Point[], label: string): HistorySeries {
  const xs = points.map((p) => p.t / 1000);
  const downsampled = points.some((p) => !('value' in p));
  if (!downsampled) {
    return { data: [xs, points.map((p) => ('value' in p ? p.value : null))], series: [{ label, stroke: LINE, width: 1.5, value: legendValue() }], bands: [] };
  }
  const pick = (f: (p: Extract<Point, { mean: number }>) => number) => points.map((p) => ('value' in p ? p.value : f(p)));
  return {
    data: [xs, pick((p) => p.mean), pick((p) => p.max), pick((p) => p.min)],
    series: [
      { label: `${label} ${t('bucketMean')}`, stroke: LINE, width: 1.5, value: legendValue() },
      { label: t('bucketMax'), stroke: BAND_EDGE, width: 1, value: legendValue() },
      { label: t('bucketMin'), stroke: BAND_EDGE, width: 1, value: legendValue() },
    ],
    // series indices count the x axis as 0: max is 2, min is 3
    bands: [{ series: [2, 3], fill: BAND_FILL }],
  };
}

/** A value in a chart's legend: '—' where there is none (uPlot's own is "--"). */
export const legendValue =
  (digits?: number) =>
  (_u: uPlot, v: number | null): string =>
    v === null || v === undefined ? '—' : digits === undefined ? String(v) : v.toFixed(digits);

/**
 * The x series of a time chart: "时间 / Time" in the legend with the time as `2026-12-05 18:43:03` (China Standard
 * Time), never uPlot's English default ("Time", "12/5/26 6:42pm").
 */
export function timeSeries(): uPlot.Series {
  return { label: t('time'), value: (_u, v: number | null) => (v === null || v === undefined ? '—' : stamp(v * 1000)) };
}

/** The x series of a chart by day (the x the day's midnight, CST): "日期 / Date" and `2026-12-05`. */
export function daySeries(): uPlot.Series {
  return { label: t('date'), value: (_u, v: number | null) => (v === null || v === undefined ? '—' : stamp(v * 1000).slice(0, 10)) };
}

/** The x series of a chart of named categories (x = the index): its label and each category's name. */
export function categorySeries(label: string, nameOf: (i: number) => string | undefined): uPlot.Series {
  return { label, value: (_u, v: number | null) => (v === null || v === undefined ? '—' : (nameOf(v) ?? '—')) };
}

/** A limit's name in a chart (`level1` → 一级报警 / level 1); a bureau's own label as it is. */
export function limitName(label: string): string {
  const n = LIMIT_NAMES[label];
  return n ? (lang.get() === 'en' ? n.en : n.zh) : label;
}

const LIMIT_NAMES: Record<string, { zh: string; en: string }> = {
  level1: { zh: '一级报警', en: 'level 1' },
  level2: { zh: '二级报警', en: 'level 2' },
  alarm: { zh: '报警', en: 'alarm' },
  high: { zh: '高报', en: 'high' },
  highHigh: { zh: '高高报', en: 'high-high' },
  low: { zh: '低报', en: 'low' },
  lowLow: { zh: '低低报', en: 'low-low' },
  power_off: { zh: '断电', en: 'power off' },
  deficiency: { zh: '缺氧', en: 'oxygen deficiency' },
  enrichment: { zh: '富氧', en: 'oxygen enrichment' },
  spark: { zh: '火花', en: 'spark' },
  trigger: { zh: '触发值', en: 'trigger' },
  threshold: { zh: '阈值', en: 'threshold' },
};

/** The time axis' ticks, China Standard Time, 24-hour: `12-05` for days, `18:40` within a day, `18:40:30` under a minute. */
export function timeAxis(): uPlot.Axis {
  return {
    values: (_u, splits, _axis, _space, incr) =>
      splits.map((s) => {
        const at = stamp(s * 1000);
        return incr >= 86_400 ? at.slice(5, 10) : incr >= 60 ? at.slice(11, 16) : at.slice(11, 19);
      }),
  };
}

/**
 * How wide a chart drawn into `el` may be: its content box (a plot as wide as the padded box would make the box scroll
 * sideways — on a phone, a scrollable region a keyboard cannot reach), at most `max` px; 640 before it is laid out.
 */
export function chartWidth(el: HTMLElement, max: number): number {
  const css = getComputedStyle(el);
  const inner = el.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight);
  return Math.min(inner > 0 ? Math.floor(inner) : 640, max);
}
