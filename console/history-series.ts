/**
 * What a history chart draws from the API's points: raw readings as one line;
 * downsampled buckets as their mean with the max and the min drawn too and the
 * band between them filled, so a 52 %LEL peak inside a bucket whose mean is
 * 44 shows as 52 (docs/adr/0008-retention-and-rollups.md).
 */
import type uPlot from 'uplot';
import { t } from './i18n.ts';
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
    return { data: [xs, points.map((p) => ('value' in p ? p.value : null))], series: [{ label, stroke: LINE, width: 1.5 }], bands: [] };
  }
  const pick = (f: (p: Extract<Point, { mean: number }>) => number) => points.map((p) => ('value' in p ? p.value : f(p)));
  return {
    data: [xs, pick((p) => p.mean), pick((p) => p.max), pick((p) => p.min)],
    series: [
      { label: `${label} ${t('bucketMean')}`, stroke: LINE, width: 1.5 },
      { label: t('bucketMax'), stroke: BAND_EDGE, width: 1 },
      { label: t('bucketMin'), stroke: BAND_EDGE, width: 1 },
    ],
    // series indices count the x axis as 0: max is 2, min is 3
    bands: [{ series: [2, 3], fill: BAND_FILL }],
  };
}
