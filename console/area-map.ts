/**
 * The map of the bureau's area (一张图, issue #20 §7), built apart from the application (`/console/map.js`,
 * api/console-build.ts) and loaded only when the map is opened: ECharts (its core, the geo component, scatter,
 * tooltips, the canvas renderer) is the largest thing in the console, and a duty officer's first screen — the
 * alarm list — does not wait for it.
 *
 * No tile server: bureaus run on intranets. The area is drawn from an administrative-boundary GeoJSON the
 * platform serves (`GET /api/v1/map/area`, the bureau's own file or the bundled demo area), the enterprises on it
 * by their coordinates (WGS-84 degrees as on record; the boundary is in the same degrees, so no projection is
 * mixed). Everything the map says — names, the tooltip's lines — comes in already in the console's language.
 */
import { use, init, registerMap, getInstanceByDom, type EChartsType } from 'echarts/core';
import { ScatterChart } from 'echarts/charts';
import { GeoComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { STATUS_SYMBOL } from './map-style.ts';

use([ScatterChart, GeoComponent, TooltipComponent, CanvasRenderer]);

/** One enterprise on the map. */
export interface MapPoint {
  id: string;
  /** WGS-84 degrees. */
  longitude: number;
  latitude: number;
  /** Its colour (the risk warning's). */
  color: string;
  /** Its shape (the link state's): an ECharts symbol. */
  symbol: (typeof STATUS_SYMBOL)[keyof typeof STATUS_SYMBOL];
  /** Drawn larger: a red or orange warning, or an alarm open. */
  emphasis: boolean;
  /** The tooltip, line by line, plain text (escaped here). */
  lines: string[];
}

/** A GeoJSON FeatureCollection of the area's divisions (each feature's `properties.name` is drawn). */
export interface AreaGeoJson {
  type: 'FeatureCollection';
  name?: string;
  features: unknown[];
}

export interface AreaMap {
  /** Draws these points (the filters changed). */
  show(points: readonly MapPoint[]): void;
  /** Follows the container's size. */
  resize(): void;
  dispose(): void;
}

/**
 * The area's middle latitude, degrees: east–west distances shrink with the cosine of the latitude, so the map is
 * drawn with that aspect (a county keeps its shape; ECharts' default squeezes every map by 0.75).
 */
export function middleLatitude(area: AreaGeoJson): number {
  let min = 90;
  let max = -90;
  const walk = (c: unknown): void => {
    if (!Array.isArray(c)) return;
    if (typeof c[1] === 'number') {
      min = Math.min(min, c[1]);
      max = Math.max(max, c[1]);
    } else c.forEach(walk);
  };
  for (const f of area.features) walk((f as { geometry?: { coordinates?: unknown } }).geometry?.coordinates);
  return min <= max ? (min + max) / 2 : 0;
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The map name ECharts registers the area under (one area per console). */
export const AREA = 'area';

/**
 * Draws the area into `el` with `points` on it; a click on a point calls `onPick` with its id. `labels` (the
 * divisions' names) are drawn unless the container is narrow (a phone).
 */
export function drawAreaMap(
  el: HTMLElement,
  area: AreaGeoJson,
  points: readonly MapPoint[],
  opts: { onPick: (id: string) => void; ariaLabel: string },
): AreaMap {
  // the GeoJSON as served: ECharts takes the FeatureCollection as it is
  registerMap(AREA, area as unknown as Parameters<typeof registerMap>[1]);
  const chart: EChartsType = init(el, undefined, { renderer: 'canvas' });
  const narrow = (): boolean => el.clientWidth < 600;
  const base = () => ({
    animation: false,
    aria: { enabled: true, label: { description: opts.ariaLabel } },
    tooltip: { trigger: 'item', confine: true },
    geo: {
      map: AREA,
      roam: true,
      aspectScale: Math.cos((middleLatitude(area) * Math.PI) / 180),
      layoutCenter: ['50%', '50%'],
      layoutSize: '95%',
      scaleLimit: { min: 0.8, max: 40 },
      label: { show: !narrow(), color: '#555', fontSize: 11 },
      itemStyle: { areaColor: '#eef2f6', borderColor: '#8aa0b8', borderWidth: 0.8 },
      emphasis: { label: { show: true }, itemStyle: { areaColor: '#dde6ef' } },
      select: { disabled: true },
    },
  });
  const series = (pts: readonly MapPoint[]) => [
    {
      type: 'scatter',
      coordinateSystem: 'geo',
      geoIndex: 0,
      data: pts.map((p) => ({
        id: p.id,
        value: [p.longitude, p.latitude],
        symbol: p.symbol,
        symbolSize: p.emphasis ? 16 : 11,
        itemStyle: { color: p.color, opacity: 1, borderColor: p.symbol === 'emptyCircle' ? p.color : '#fff', borderWidth: p.symbol === 'emptyCircle' ? 2 : 1 },
        tooltip: { formatter: p.lines.map(escape).join('<br>') },
      })),
      // the most urgent drawn last (on top)
      z: 3,
      emphasis: { scale: 1.4 },
    },
  ];
  chart.setOption({ ...base(), series: series(points) });
  chart.on('click', (e) => {
    const id = (e.data as { id?: unknown } | undefined)?.id;
    if (e.componentType === 'series' && typeof id === 'string') opts.onPick(id);
  });
  return {
    show: (pts) => chart.setOption({ series: series(pts) }, { replaceMerge: ['series'] }),
    resize: () => {
      chart.resize();
      chart.setOption({ geo: { label: { show: !narrow() } } });
    },
    dispose: () => chart.dispose(),
  };
}

/**
 * Where a point of the map is on the screen, in pixels from the container's top-left (undefined: not drawn there):
 * for a test to click an enterprise, or a caller to place something over it.
 */
export function pixelOf(el: HTMLElement, longitude: number, latitude: number): [number, number] | undefined {
  const chart = getInstanceByDom(el);
  const px = chart?.convertToPixel({ geoIndex: 0 }, [longitude, latitude]);
  return px && Number.isFinite(px[0]) && Number.isFinite(px[1]) ? [px[0]!, px[1]!] : undefined;
}
