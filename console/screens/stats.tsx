/**
 * The leader's view: the statistics of their authority's subtree over a
 * period, as figures and charts (uPlot): alerts by grade per day, disposal
 * rate and online rate by the authorities below, and the rankings.
 * Leaders' statistics (issue #20 §10): the period as China Standard Time days
 * (from/to dates, or a quick pick: this month, last month, this year, the last
 * 30 days), each headline figure beside the same period a year earlier and the
 * change (同比, explained on the screen), inspections and cases by origin, and
 * the XLSX export of it all.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { useUplot } from '../lazy.ts';
import { categorySeries, chartWidth, daySeries, legendValue, timeAxis } from '../history-series.ts';
import { api } from '../api.ts';
import { count, fill, lang, percent, t, type Key } from '../i18n.ts';
import { useValue } from '../state.ts';
import { originName, useNames } from '../vocab.ts';
import type { Metrics, OriginCount, StatisticsReport } from '../../inspections/stats.ts';
import type { Grade } from '../types.ts';
import type { EnterpriseTierKpis } from '../../inspections/response-kpis.ts';
import { MonthlyView, TierFigures } from './monthly.tsx';

/**
 * With the enterprise tier's figures over the subtree and period, the period's CST days, the enterprises' authority
 * names, the inspections and cases by origin and the same a year earlier (api/stats.ts).
 */
type Report = Omit<StatisticsReport, 'enterprises'> & {
  enterpriseTier?: EnterpriseTierKpis;
  scopeName: string | null;
  period: { fromDate: string; toDate: string };
  enterprises: (StatisticsReport['enterprises'][number] & { authorityName: string | null })[];
  byOrigin: OriginCount[];
  yearOnYear?: { fromDate: string; toDate: string; totals: Metrics; byOrigin: OriginCount[] };
};

const GRADES: Grade[] = ['red', 'orange', 'yellow', 'blue'];
const COLORS: Record<Grade, string> = { red: '#cf1322', orange: '#d46b08', yellow: '#ad8b00', blue: '#0958d9' };
const DAY = 86_400_000;

/** The leader's view: the statistics of a recent period, or the monthly report (月报). */
export function StatsView() {
  const [tab, setTab] = useState<'stats' | 'monthly'>('stats');
  return (
    <>
      <div class="tabs" role="tablist">
        {(['stats', 'monthly'] as const).map((k) => (
          <button key={k} role="tab" aria-selected={tab === k} class={tab === k ? 'current' : ''} onClick={() => setTab(k)} data-testid={`tab-${k}`}>
            {t(k === 'stats' ? 'kpiTabStats' : 'kpiTabMonthly')}
          </button>
        ))}
      </div>
      {tab === 'stats' ? <PeriodStats /> : <MonthlyView />}
    </>
  );
}

/** `YYYY-MM-DD` of a time in China Standard Time. */
const cstDate = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
/** The day `n` days after `date` (`YYYY-MM-DD`). */
const addDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

type Pick = 'thisMonth' | 'lastMonth' | 'thisYear' | 'last30';
const PICKS: Pick[] = ['thisMonth', 'lastMonth', 'thisYear', 'last30'];
const PICK_WORDS: Record<Pick, Key> = { thisMonth: 'statsThisMonth', lastMonth: 'statsLastMonth', thisYear: 'statsThisYear', last30: 'statsLast30' };

/** A period as China Standard Time days, both inclusive (`YYYY-MM-DD`). */
interface Period {
  from: string;
  to: string;
}

/** The CST days of a quick pick, as of today (CST). */
export function pickPeriod(pick: Pick, now = Date.now()): Period {
  const today = cstDate(now);
  const firstOfMonth = `${today.slice(0, 7)}-01`;
  switch (pick) {
    case 'thisMonth':
      return { from: firstOfMonth, to: today };
    case 'lastMonth': {
      const last = addDays(firstOfMonth, -1);
      return { from: `${last.slice(0, 7)}-01`, to: last };
    }
    case 'thisYear':
      return { from: `${today.slice(0, 4)}-01-01`, to: today };
    case 'last30':
      return { from: addDays(today, -29), to: today };
  }
}

const query = (p: Period): string => `fromDate=${encodeURIComponent(p.from)}&toDate=${encodeURIComponent(p.to)}`;

/** The change from a year earlier, as the server's `change` (inspections/stats.ts): null when there was nothing earlier. */
const change = (now: number | null, earlier: number | null): number | null =>
  now === null || earlier === null || earlier === 0 ? null : (now - earlier) / earlier;

/** A change as `↑ 25.0%`, `↓ 10.0%`, `0.0%`; '—' when there is none. */
export const changeText = (c: number | null): string => (c === null ? '—' : `${c > 0 ? '↑ ' : c < 0 ? '↓ ' : ''}${(Math.abs(c) * 100).toFixed(1)}%`);

type Yoy = { before: string; change: string } | undefined;

function PeriodStats() {
  useNames();
  useValue(lang);
  const [period, setPeriod] = useState<Period>(() => pickPeriod('last30'));
  const [r, setR] = useState<Report | undefined>();
  const [error, setError] = useState<string | undefined>();
  const complete = period.from !== '' && period.to !== '';
  useEffect(() => {
    if (!complete) return;
    setR(undefined);
    setError(undefined);
    let live = true;
    api<Report>('GET', `/api/v1/stats?${query(period)}`).then(
      (x) => live && setR(x),
      (err: unknown) => live && setError((err as Error).message),
    );
    return () => {
      live = false;
    };
  }, [period.from, period.to]);
  const today = cstDate(Date.now());
  const picked = PICKS.find((k) => {
    const p = pickPeriod(k);
    return p.from === period.from && p.to === period.to;
  });
  const y = r?.yearOnYear;
  const yoy = (now: number | null, earlier: number | null | undefined, show: (v: number | null) => string): Yoy =>
    earlier === undefined ? undefined : { before: show(earlier), change: changeText(change(now, earlier)) };
  const pair = (a: Yoy, b: Yoy): Yoy => (a && b ? { before: `${a.before} / ${b.before}`, change: `${a.change} / ${b.change}` } : undefined);
  const n = (v: number | null) => (v === null ? '—' : count(v));
  return (
    <section class="stats" data-testid="stats">
      <div class="toolbar period-picker">
        <div class="picks" role="group" aria-label={t('statsQuickPicks')}>
          {PICKS.map((k) => (
            <button
              key={k}
              type="button"
              aria-pressed={picked === k}
              class={picked === k ? 'current' : ''}
              onClick={() => setPeriod(pickPeriod(k))}
              data-testid={`pick-${k}`}
            >
              {t(PICK_WORDS[k])}
            </button>
          ))}
        </div>
        <label>
          {t('statsFrom')}{' '}
          <input
            type="date"
            value={period.from}
            max={today}
            onChange={(e) => setPeriod({ ...period, from: (e.target as HTMLInputElement).value })}
            data-testid="stats-from"
          />
        </label>
        <label>
          {t('statsTo')}{' '}
          <input
            type="date"
            value={period.to}
            max={today}
            onChange={(e) => setPeriod({ ...period, to: (e.target as HTMLInputElement).value })}
            data-testid="stats-to"
          />
        </label>
        {complete && (
          <a href={`/api/v1/stats?${query(period)}&format=xlsx&lang=${lang.get()}`} download data-testid="stats-xlsx">
            {t('statsDownloadXlsx')}
          </a>
        )}
      </div>
      {!complete && <p class="muted">{t('statsPickDates')}</p>}
      {error && (
        <p class="error" role="alert" data-testid="stats-error">
          {error}
        </p>
      )}
      {complete && !r && !error && <p class="loading">…</p>}
      {r && (
        <>
          <h3 data-testid="stats-title">
            {r.scopeName ?? t('all')} · {fill('statsPeriodText', { from: r.period.fromDate, to: r.period.toDate })}
          </h3>
          {y && (
            <p class="muted yoy-legend" title={t('statsYoyHint')} data-testid="stats-yoy-legend">
              {fill('statsYoyLegend', { from: y.fromDate, to: y.toDate })}
              <br />
              <small>{t('statsYoyHint')}</small>
            </p>
          )}
          <div class="kpis">
            <Kpi id="alerts" label={t('alerts')} value={count(r.totals.alerts.total)} yoy={yoy(r.totals.alerts.total, y?.totals.alerts.total, n)} />
            <Kpi
              id="disposal"
              label={t('disposalRate')}
              value={percent(r.totals.alerts.disposalRate)}
              yoy={yoy(r.totals.alerts.disposalRate, y?.totals.alerts.disposalRate, percent)}
            />
            <Kpi
              id="ack"
              label={t('ackTime')}
              value={r.totals.acknowledge.p50Ms === null ? '—' : `${(r.totals.acknowledge.p50Ms / 60_000).toFixed(1)} ${t('minutes')}`}
            />
            <Kpi
              id="tasks"
              label={t('tasksOpenedClosed')}
              value={`${count(r.totals.tasks.opened)} / ${count(r.totals.tasks.closed)}`}
              yoy={pair(yoy(r.totals.tasks.opened, y?.totals.tasks.opened, n), yoy(r.totals.tasks.closed, y?.totals.tasks.closed, n))}
            />
            <Kpi
              id="findings"
              label={t('findings')}
              value={`${count(r.totals.findings.hazards)} / ${count(r.totals.findings.majorHazards)}`}
              yoy={pair(yoy(r.totals.findings.hazards, y?.totals.findings.hazards, n), yoy(r.totals.findings.majorHazards, y?.totals.findings.majorHazards, n))}
            />
            <Kpi
              id="recheck"
              label={t('recheckPassRate')}
              value={percent(r.totals.rechecks.passRate)}
              yoy={yoy(r.totals.rechecks.passRate, y?.totals.rechecks.passRate, percent)}
            />
            <Kpi id="online" label={t('onlineRate')} value={percent(r.totals.online.rate)} yoy={yoy(r.totals.online.rate, y?.totals.online.rate, percent)} />
            <Kpi id="offline" label={t('offlineHours')} value={String(r.totals.online.offlineHours)} />
          </div>
          {r.enterpriseTier && (
            <>
              <h3>{t('tierTitle')}</h3>
              <TierFigures k={r.enterpriseTier} testid="stats-tier" />
            </>
          )}
          <h3>{t('alertsByGrade')}</h3>
          <DailyChart daily={r.daily} />
          <h3>{t('statsByOrigin')}</h3>
          <ByOrigin now={r.byOrigin} earlier={y?.byOrigin ?? []} />
          {r.authorities.length > 0 && (
            <>
              <h3>
                {t('statsAuthorities')} · {t('disposalRate')} · {t('onlineRate')}
              </h3>
              <RateChart rows={r.authorities.map((a) => ({ name: a.name, disposal: a.alerts.disposalRate, online: a.online.rate }))} />
              <div class="table-scroll" tabIndex={0} role="region" aria-label={t('statsAuthorities')}>
                <table class="ranking" data-testid="stats-authorities">
                  <thead>
                    <tr>
                      <th>#</th>
                      <th>{t('authority')}</th>
                      <th>{t('alerts')}</th>
                      <th>{t('disposalRate')}</th>
                      <th>{t('tasksOpenedClosed')}</th>
                      <th>{t('findings')}</th>
                      <th>{t('onlineRate')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.authorities.map((a, i) => (
                      <tr key={a.authorityId}>
                        <td>{i + 1}</td>
                        <td>{a.name}</td>
                        <td>{count(a.alerts.total)}</td>
                        <td>{percent(a.alerts.disposalRate)}</td>
                        <td>
                          {count(a.tasks.opened)} / {count(a.tasks.closed)}
                        </td>
                        <td>
                          {count(a.findings.hazards)} / {count(a.findings.majorHazards)}
                        </td>
                        <td>{percent(a.online.rate)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
          <h3>
            {t('ranking')} · {t('enterprises')}
          </h3>
          <div class="table-scroll" tabIndex={0} role="region" aria-label={`${t('ranking')} · ${t('enterprises')}`}>
            <table class="ranking" data-testid="ranking">
              <thead>
                <tr>
                  <th>#</th>
                  <th>{t('enterprise')}</th>
                  <th>{t('statsEnterpriseAuthority')}</th>
                  <th>{t('alerts')}</th>
                  <th>{t('disposalRate')}</th>
                  <th>{t('onlineRate')}</th>
                  <th>{t('offlineHours')}</th>
                </tr>
              </thead>
              <tbody>
                {r.enterprises.map((e, i) => (
                  <tr key={e.enterpriseId}>
                    <td>{i + 1}</td>
                    <td>{e.name}</td>
                    <td>{e.authorityName ?? '—'}</td>
                    <td>{count(e.alerts.total)}</td>
                    <td>{percent(e.alerts.disposalRate)}</td>
                    <td>{percent(e.online.rate)}</td>
                    <td>{e.online.offlineHours}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function Kpi({ id, label, value, yoy }: { id?: string; label: string; value: string; yoy?: Yoy }) {
  return (
    <div class="kpi" data-testid={id ? `kpi-${id}` : undefined}>
      <div class="muted">{label}</div>
      <strong>{value}</strong>
      {yoy && (
        <div class="yoy muted" title={t('statsYoyHint')}>
          <span data-testid="yoy-before">
            {t('statsYoyEarlier')} {yoy.before}
          </span>
          <span data-testid="yoy-change">
            {t('statsYoy')} {yoy.change}
          </span>
        </div>
      )}
    </div>
  );
}

type OriginRow = Report['byOrigin'][number];

/** Inspections and tasks (cases) by origin with the hazards found, the inspections a year earlier and the change. */
function ByOrigin({ now, earlier }: { now: OriginRow[]; earlier: OriginRow[] }) {
  const before = new Map(earlier.map((o) => [o.origin, o.inspections]));
  const sum = (k: 'inspections' | 'tasks' | 'hazards' | 'majorHazards', list: OriginRow[]) => list.reduce((a, o) => a + o[k], 0);
  const totalBefore = sum('inspections', earlier);
  return (
    <>
      <OriginChart rows={now.map((o) => ({ name: originName(o.origin), inspections: o.inspections, tasks: o.tasks }))} />
      <div class="table-scroll" tabIndex={0} role="region" aria-label={t('statsByOrigin')}>
        <table class="ranking" data-testid="stats-origins">
          <thead>
            <tr>
              <th>{t('statsOrigin')}</th>
              <th>{t('statsInspections')}</th>
              <th>{t('statsCases')}</th>
              <th>{t('statsHazards')}</th>
              <th>{t('statsMajorHazards')}</th>
              <th>{t('statsInspectionsEarlier')}</th>
              <th title={t('statsYoyHint')}>{t('statsYoy')}</th>
            </tr>
          </thead>
          <tbody>
            {now.map((o) => (
              <tr key={o.origin} data-testid={`origin-${o.origin}`}>
                <td>{originName(o.origin)}</td>
                <td>{count(o.inspections)}</td>
                <td>{count(o.tasks)}</td>
                <td>{count(o.hazards)}</td>
                <td>{count(o.majorHazards)}</td>
                <td>{count(before.get(o.origin) ?? 0)}</td>
                <td>{changeText(change(o.inspections, before.get(o.origin) ?? 0))}</td>
              </tr>
            ))}
            <tr data-testid="origin-total">
              <th scope="row">{t('statsTotal')}</th>
              <td>{count(sum('inspections', now))}</td>
              <td>{count(sum('tasks', now))}</td>
              <td>{count(sum('hazards', now))}</td>
              <td>{count(sum('majorHazards', now))}</td>
              <td>{count(totalBefore)}</td>
              <td>{changeText(change(sum('inspections', now), totalBefore))}</td>
            </tr>
          </tbody>
        </table>
      </div>
    </>
  );
}

/** A chart drawn by `make` with uPlot (`U`, loaded with the charts' script) into the returned element, again on `deps`. */
function usePlot(make: (U: typeof uPlot, el: HTMLDivElement, width: number) => uPlot, deps: unknown[]) {
  const ref = useRef<HTMLDivElement>(null);
  const U = useUplot();
  useEffect(() => {
    if (!ref.current || !U) return;
    const plot = make(U, ref.current, chartWidth(ref.current, 1000));
    return () => plot.destroy();
  }, [...deps, U]);
  return ref;
}

/**
 * The alarms per day as stacked bars (issue #20 §6), red on top: each bar's height is the day's total. uPlot draws
 * series in order, so each grade is drawn as the running sum from blue up, the tallest (with red) first; the legend
 * shows each grade's own count, never the running sum.
 */
function DailyChart({ daily }: { daily: Report['daily'] }) {
  const ref = usePlot(
    (U, el, width) => {
      const bottomUp: Grade[] = ['blue', 'yellow', 'orange', 'red'];
      const stacked = new Map<Grade, number[]>();
      let below = daily.map(() => 0);
      for (const g of bottomUp) {
        below = daily.map((d, i) => below[i]! + d[g]);
        stacked.set(g, below);
      }
      const bars = U.paths.bars!({ size: [0.7], align: 0 });
      return new U(
        {
          width,
          height: 240,
          scales: { x: { time: true } },
          tzDate: (ts) => U.tzDate(new Date(ts * 1000), 'Asia/Shanghai'),
          series: [
            daySeries(),
            ...GRADES.map((g) => ({
              label: t(g),
              stroke: COLORS[g],
              fill: COLORS[g],
              paths: bars,
              points: { show: false },
              // the day's count of the grade, not the running sum the bar is drawn to
              value: (_u: uPlot, _v: number | null, _s: number, i: number | null) => (i === null ? '—' : String(daily[i]?.[g] ?? '—')),
            })),
          ],
          axes: [timeAxis(), { label: t('alerts') }],
        },
        [daily.map((d) => Date.parse(`${d.day}T00:00:00+08:00`) / 1000), ...GRADES.map((g) => stacked.get(g)!)],
        el,
      );
    },
    [daily],
  );
  return <div class="chart" ref={ref} data-testid="daily-chart" />;
}

function RateChart({ rows }: { rows: { name: string; disposal: number | null; online: number | null }[] }) {
  const ref = usePlot(
    (U, el, width) =>
      new U(
        {
          width,
          height: 240,
          scales: { x: { time: false, range: [-0.5, rows.length - 0.5] }, y: { range: [0, 100] } },
          series: [
            categorySeries(t('authority'), (i) => rows[i]?.name),
            {
              label: t('disposalRate'),
              fill: '#1d4ed8cc',
              stroke: '#1d4ed8',
              paths: U.paths.bars!({ size: [0.35], align: -1 }),
              points: { show: false },
              value: legendValue(1),
            },
            {
              label: t('onlineRate'),
              fill: '#16a34acc',
              stroke: '#16a34a',
              paths: U.paths.bars!({ size: [0.35], align: 1 }),
              points: { show: false },
              value: legendValue(1),
            },
          ],
          axes: [{ values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? (rows[v]?.name ?? '') : '')) }, { label: '%' }],
        },
        [rows.map((_, i) => i), rows.map((r) => (r.disposal === null ? null : r.disposal * 100)), rows.map((r) => (r.online === null ? null : r.online * 100))],
        el,
      ),
    [rows],
  );
  return <div class="chart" ref={ref} data-testid="rate-chart" />;
}

/** Whether category names would run into each other along an axis `width` pixels wide (about 13 px a Chinese character, 7 a Latin one). */
const crowded = (names: string[], width: number): boolean =>
  names.some((n) => [...n].reduce((w, c) => w + (/[\u3000-\u9fff\uff00-\uffef]/.test(c) ? 13 : 7), 0) > (width - 60) / Math.max(1, names.length) - 8);

/** Inspections and tasks (cases) per origin, side by side. */
function OriginChart({ rows }: { rows: { name: string; inspections: number; tasks: number }[] }) {
  const ref = usePlot(
    (U, el, width) =>
      new U(
        {
          width,
          height: crowded(
            rows.map((r) => r.name),
            width,
          )
            ? 330
            : 240,
          scales: { x: { time: false, range: [-0.5, rows.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max))] } },
          series: [
            categorySeries(t('statsOrigin'), (i) => rows[i]?.name),
            {
              label: t('statsInspections'),
              fill: '#1d4ed8cc',
              stroke: '#1d4ed8',
              paths: U.paths.bars!({ size: [0.35], align: -1 }),
              points: { show: false },
              value: legendValue(),
            },
            {
              label: t('statsCases'),
              fill: '#d46b08cc',
              stroke: '#d46b08',
              paths: U.paths.bars!({ size: [0.35], align: 1 }),
              points: { show: false },
              value: legendValue(),
            },
          ],
          // on a narrow screen the origins' names are set aslant so they do not run into each other
          axes: [
            {
              // every origin named, however narrow the chart
              incrs: [1],
              space: 1,
              values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? (rows[v]?.name ?? '') : '')),
              ...(crowded(
                rows.map((r) => r.name),
                width,
              )
                ? { rotate: -40, size: 150 }
                : {}),
            },
            { label: t('statsInspections') },
          ],
        },
        [rows.map((_, i) => i), rows.map((r) => r.inspections), rows.map((r) => r.tasks)],
        el,
      ),
    [rows.map((r) => `${r.name}:${r.inspections}:${r.tasks}`).join('|')],
  );
  return <div class="chart" ref={ref} data-testid="origin-chart" />;
}
