/** What the history charts draw: a downsampled bucket's max and min with the band between them, so a peak is not shown as its mean. */
import { describe, expect, it } from 'vitest';
import { historySeries } from '../../../console/history-series.ts';

describe('historySeries', () => {
  it('draws raw readings as one line, no band', () => {
    const h = historySeries(
      [
        { t: 1000, value: 44 },
        { t: 6000, value: 52 },
      ],
      'GT-101 (%LEL)',
    );
    expect(h.data).toEqual([
      [1, 6],
      [44, 52],
    ]);
    expect(h.series).toHaveLength(1);
    expect(h.bands).toEqual([]);
  });

  it('draws a bucket holding a 52 %LEL peak as mean 44 with max 52, and fills the band from max to min', () => {
    const h = historySeries(
      [
        { t: 0, mean: 44, min: 44, max: 44 },
        { t: 300_000, mean: 44, min: 36, max: 52 },
      ],
      'GT-101 (%LEL)',
    );
    expect(h.data).toEqual([
      [0, 300],
      [44, 44],
      [44, 52],
      [44, 36],
    ]);
    expect(h.series.map((s) => s.label)).toEqual(['GT-101 (%LEL) 区间均值', '区间最大值', '区间最小值']);
    expect(h.bands).toEqual([{ series: [2, 3], fill: expect.any(String) as unknown }]);
  });
});
