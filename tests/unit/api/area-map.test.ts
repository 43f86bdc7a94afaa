/**
 * The map's area file (api/area-map.ts): the bundled demo area loads; a bureau's file that is missing, not JSON or
 * not a collection of divisions refuses the start with the file's name and what is wrong (issue #20 §7).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEMO_AREA_FILE, loadArea } from '../../../api/area-map.ts';

const dir = mkdtempSync(join(tmpdir(), 'area-map-'));
const file = (name: string, body: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
  return p;
};
const square = [
  [
    [119, 26],
    [119.1, 26],
    [119.1, 26.1],
    [119, 26],
  ],
];

describe('the map area file', () => {
  it('loads the bundled demo area: 福州市 and its 13 divisions, gzip and ETag ready', async () => {
    const a = await loadArea();
    expect(a.file).toBe(DEMO_AREA_FILE);
    expect(a.name).toBe('福州市');
    expect(a.divisions).toHaveLength(13);
    expect(a.divisions).toEqual(expect.arrayContaining(['鼓楼区', '台江区', '仓山区', '马尾区', '晋安区', '长乐区', '福清市', '平潭县']));
    expect(gunzipSync(a.gzip).equals(a.body)).toBe(true);
    expect(a.etag).toMatch(/^"[\w-]{22}"$/);
  });

  it('takes a bureau’s own file, named after the file when the collection has no name', async () => {
    const p = file('甲县.geojson', {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', properties: { name: '甲镇', code: 'x' }, geometry: { type: 'Polygon', coordinates: square } }],
    });
    const a = await loadArea(p);
    expect(a.name).toBe('甲县');
    expect(a.divisions).toEqual(['甲镇']);
  });

  it.each([
    ['missing', join(dir, 'nothing.geojson'), /cannot be read \(.*nothing\.geojson\)/],
    ['not JSON', file('broken.geojson', '{"type": "Feature'), /cannot be read \(.*broken\.geojson\)/],
    [
      'a single feature',
      file('one.geojson', { type: 'Feature', properties: { name: 'x' }, geometry: { type: 'Polygon', coordinates: square } }),
      /\(root\)|type/,
    ],
    ['no divisions', file('empty.geojson', { type: 'FeatureCollection', features: [] }), /features/],
    [
      'a division without a name',
      file('anon.geojson', { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: square } }] }),
      /features\.0\.properties\.name/,
    ],
    [
      'points, not boundaries',
      file('points.geojson', {
        type: 'FeatureCollection',
        features: [{ type: 'Feature', properties: { name: 'x' }, geometry: { type: 'Point', coordinates: [119, 26] } }],
      }),
      /features\.0\.geometry/,
    ],
    [
      'latitude out of range',
      file('far.geojson', {
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { name: 'x' },
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [26, 119],
                  [26.1, 119],
                  [26.1, 119.1],
                  [26, 119],
                ],
              ],
            },
          },
        ],
      }),
      /coordinates/,
    ],
  ])('refuses %s, naming the file and the problem', async (_what, p, problem) => {
    const err = await loadArea(p).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain(p);
    expect(err?.message).toMatch(/^地图区域文件/);
    expect(err?.message).toMatch(problem);
  });
});
