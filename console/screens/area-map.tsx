/**
 * 一张图 (issue #20 §7): the jurisdiction's enterprises on the map of the bureau's area, coloured by their risk
 * warning (红橙黄蓝, or none) and shaped by their link state (在线 ●, 部分在线 ◆, 离线 ▲, 未接入 ○ — the shape says it
 * where a colour cannot), filtered with the enterprise board's filters, a click opening the enterprise's file.
 *
 * The map itself (ECharts) is a script of its own, `/console/map.js` (console/area-map.ts), loaded when this screen
 * is first opened; the area is the bureau's GeoJSON (`GET /api/v1/map/area`). Enterprises without coordinates on
 * record are listed under the map, not left out in silence; so is every enterprise drawn (the map's text
 * alternative, and a phone's quicker way in).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { colon, count, fill, paren, sectorName, t } from '../i18n.ts';
import { go } from '../router.ts';
import { lazyScript } from '../lazy.ts';
import type * as AreaMapScript from '../area-map.ts';
import type { AreaGeoJson, AreaMap, MapPoint } from '../area-map.ts';
import type { BoardRow, LinkStatus } from '../../inspections/board.ts';
import { LEVEL_COLOR, MAP_SCRIPT, STATUS_SYMBOL } from '../map-style.ts';
import { rank, warningName, WarningChip, type WarningResult } from './risk.tsx';

const loadScript = lazyScript<typeof AreaMapScript>(MAP_SCRIPT);
let area: Promise<AreaGeoJson> | undefined;
const loadArea = (): Promise<AreaGeoJson> => {
  area ??= api<AreaGeoJson>('GET', '/api/v1/map/area').catch((err: unknown) => {
    area = undefined;
    throw err;
  });
  return area;
};

const STATUS_ORDER: LinkStatus[] = ['online', 'partial', 'offline', 'no_gateway'];

/** The shape of a link state, drawn small for the legend and the list. */
function Shape({ status, color = '#5b6472' }: { status: LinkStatus; color?: string }) {
  const s = STATUS_SYMBOL[status];
  return (
    <svg class="shape" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
      {s === 'circle' && <circle cx="6" cy="6" r="5" fill={color} />}
      {s === 'emptyCircle' && <circle cx="6" cy="6" r="4.5" fill="none" stroke={color} stroke-width="2" />}
      {s === 'diamond' && <path d="M6 0.5 11.5 6 6 11.5 0.5 6Z" fill={color} />}
      {s === 'triangle' && <path d="M6 0.5 11.5 11 0.5 11Z" fill={color} />}
    </svg>
  );
}

const located = (r: BoardRow): r is BoardRow & { longitude: number; latitude: number } => r.longitude !== null && r.latitude !== null;

/** The enterprises `rows` (already filtered) on the map; `levelOf` their warning (none while not known). */
export function AreaMapView({ rows, levelOf }: { rows: readonly BoardRow[]; levelOf: (id: string) => WarningResult }) {
  const box = useRef<HTMLDivElement>(null);
  const map = useRef<AreaMap | undefined>(undefined);
  const [error, setError] = useState<string | undefined>();
  const [drawn, setDrawn] = useState(false);
  const [areaName, setAreaName] = useState<string | undefined>();
  const onMap = rows.filter(located);
  const nowhere = rows.filter((r) => !located(r));
  // the most urgent drawn last, on top of the others
  const urgency = (r: BoardRow): number => rank(levelOf(r.id)) * 10 + (r.status === 'offline' ? 2 : r.status === 'partial' ? 1 : 0);
  const points: MapPoint[] = [...onMap]
    .sort((a, b) => urgency(a) - urgency(b))
    .map((r) => {
      const level = levelOf(r.id);
      return {
        id: r.id,
        longitude: r.longitude,
        latitude: r.latitude,
        color: LEVEL_COLOR[level],
        symbol: STATUS_SYMBOL[r.status],
        emphasis: level === 'red' || level === 'orange' || r.openAlerts.total > 0,
        lines: [
          r.name,
          `${t('riskWarning')}${colon()}${warningName(level)}`,
          `${t('state')}${colon()}${t(r.status)}${paren(`${r.gateways.online}/${r.gateways.total}`)}`,
          ...(r.openAlerts.total > 0 ? [`${t('openAlerts')}${colon()}${r.openAlerts.total}`] : []),
          `${t('sector')}${colon()}${sectorName(r.sector)}`,
        ],
      };
    });
  const key = points.map((p) => `${p.id}:${p.color}:${p.symbol}:${p.lines.join('|')}`).join(',');

  useEffect(() => {
    let gone = false;
    Promise.all([loadScript(), loadArea()]).then(
      ([m, geo]) => {
        if (gone || !box.current) return;
        setAreaName(geo.name);
        map.current = m.drawAreaMap(box.current, geo, points, { onPick: (id) => go(`/enterprises/${id}`), ariaLabel: t('mapTitle') });
        setDrawn(true);
      },
      (err: unknown) => !gone && setError((err as Error).message),
    );
    const resize = () => map.current?.resize();
    window.addEventListener('resize', resize);
    return () => {
      gone = true;
      window.removeEventListener('resize', resize);
      map.current?.dispose();
      map.current = undefined;
    };
    // drawn once; the points follow below
  }, []);
  useEffect(() => {
    map.current?.show(points);
  }, [key, drawn]);

  return (
    <div class="area-map" data-testid="area-map-view">
      <p class="legend" data-testid="map-legend">
        <span class="legend-part">
          {t('riskWarning')}
          {colon()}
          {(['red', 'orange', 'yellow', 'blue', 'none'] as const).map((l) => (
            <span key={l} class="legend-item" data-level={l}>
              <span class="swatch" style={{ background: LEVEL_COLOR[l] }} aria-hidden="true" />
              {warningName(l, true)}
            </span>
          ))}
        </span>
        <span class="legend-part">
          {t('state')}
          {colon()}
          {STATUS_ORDER.map((s) => (
            <span key={s} class="legend-item" data-status={s}>
              <Shape status={s} />
              {t(s)}
            </span>
          ))}
        </span>
      </p>
      {error ? (
        <p class="error" role="alert" data-testid="map-error">
          {t('mapUnavailable')}
          {colon()}
          {error}
        </p>
      ) : (
        <div
          ref={box}
          class="map-box"
          role="img"
          aria-label={areaName ? `${t('mapTitle')}${colon()}${areaName}` : t('mapTitle')}
          data-testid="area-map"
          data-drawn={drawn ? String(points.length) : undefined}
        >
          {!drawn && <p class="loading">…</p>}
        </div>
      )}
      {nowhere.length > 0 && (
        <p class="note" data-testid="map-unlocated">
          {fill('mapUnlocated', { n: nowhere.length })}
          {nowhere.map((r) => (
            <a key={r.id} href={`#/enterprises/${r.id}`} class="unlocated" data-testid={`unlocated-${r.id}`}>
              {r.name}
            </a>
          ))}
        </p>
      )}
      <details class="map-list" data-testid="map-list">
        <summary>{fill('mapListed', { n: count(points.length) })}</summary>
        <ul>
          {[...points].reverse().map((p) => {
            const r = onMap.find((x) => x.id === p.id)!;
            return (
              <li key={p.id} data-testid={`map-point-${p.id}`} data-level={levelOf(p.id)} data-status={r.status} data-color={p.color}>
                <Shape status={r.status} color={p.color} /> <a href={`#/enterprises/${p.id}`}>{r.name}</a> <WarningChip level={levelOf(p.id)} short />{' '}
                {t(r.status)}
              </li>
            );
          })}
        </ul>
      </details>
    </div>
  );
}
