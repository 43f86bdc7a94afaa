/**
 * The leader's view: the statistics of their authority's subtree over a
 * period, as figures and charts (uPlot): alerts by grade per day, disposal
 * rate and online rate by the authorities below, and the rankings.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { categorySeries, daySeries, legendValue, timeAxis } from '../history-series.ts';
import { api } from '../api.ts';
import { percent, t } from '../i18n.ts';
import type { StatisticsReport } from '../../inspections/stats.ts';
import type { Grade } from '../types.ts';
import type { EnterpriseTierKpis } from '../../inspections/response-kpis.ts';
import { MonthlyView, TierFigures } from './monthly.tsx';

/** With the enterprise tier's figures over the subtree and period (api/stats.ts). */
type Report = StatisticsReport & { enterpriseTier?: EnterpriseTierKpis };

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

function PeriodStats() {
  const [days, setDays] = useState(30);
  const [r, setR] = useState<Report | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setR(undefined);
    api<Report>('GET', `/api/v1/stats?from=${Date.now() - days * DAY}`).then(setR, (err: unknown) => setError((err as Error).message));
  }, [days]);
  if (error) return <p class="error">{error}</p>;
  return (
    <section class="stats" data-testid="stats">
      <div class="toolbar">
        <label>
          {t('period')}{' '}
          <select value={String(days)} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
            <option value="7">{t('last7')}</option>
            <option value="30">{t('last30')}</option>
            <option value="90">{t('last90')}</option>
          </select>
        </label>
      </div>
      {!r ? (
        <p class="loading">…</p>
      ) : (
        <>
          <div class="kpis">
            <Kpi label={t('alerts')} value={String(r.totals.alerts.total)} />
            <Kpi label={t('disposalRate')} value={percent(r.totals.alerts.disposalRate)} />
            <Kpi
              label={t('ackTime')}
              value={r.totals.acknowledge.p50Ms === null ? '—' : `${(r.totals.acknowledge.p50Ms / 60_000).toFixed(1)} ${t('minutes')}`}
            />
            <Kpi label={t('tasksOpenedClosed')} value={`${r.totals.tasks.opened} / ${r.totals.tasks.closed}`} />
            <Kpi label={t('findings')} value={`${r.totals.findings.hazards} / ${r.totals.findings.majorHazards}`} />
            <Kpi label={t('recheckPassRate')} value={percent(r.totals.rechecks.passRate)} />
            <Kpi label={t('onlineRate')} value={percent(r.totals.online.rate)} />
            <Kpi label={t('offlineHours')} value={String(r.totals.online.offlineHours)} />
          </div>
          {r.enterpriseTier && (
            <>
              <h3>{t('tierTitle')}</h3>
              <TierFigures k={r.enterpriseTier} testid="stats-tier" />
            </>
          )}
          <h3>{t('alertsByGrade')}</h3>
          <DailyChart daily={r.daily} />
          {r.authorities.length > 0 && (
            <>
              <h3>
                {t('disposalRate')} · {t('onlineRate')}
              </h3>
              <RateChart rows={r.authorities.map((a) => ({ name: a.name, disposal: a.alerts.disposalRate, online: a.online.rate }))} />
            </>
          )}
          <h3>
            {t('ranking')} · {t('enterprises')}
          </h3>
          <table class="ranking" data-testid="ranking">
            <thead>
              <tr>
                <th>#</th>
                <th>{t('enterprise')}</th>
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
                  <td>{e.alerts.total}</td>
                  <td>{percent(e.alerts.disposalRate)}</td>
                  <td>{percent(e.online.rate)}</td>
                  <td>{e.online.offlineHours}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function Kpi({ label, value }: { label: string; value: string }) {
  return (
    <div class="kpi">
      <div class="muted">{label}</div>
      <strong>{value}</strong>
    </div>
  );
}

function usePlot(make: (el: HTMLDivElement, width: number) => uPlot, deps: unknown[]) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const plot = make(ref.current, Math.min(ref.current.clientWidth || 640, 1000));
    return () => plot.destroy();
  }, deps);
  return ref;
}

function DailyChart({ daily }: { daily: Report['daily'] }) {
  const ref = usePlot(
    (el, width) =>
      new uPlot(
        {
          width,
          height: 240,
          scales: { x: { time: true } },
          tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Asia/Shanghai'),
          series: [daySeries(), ...GRADES.map((g) => ({ label: t(g), stroke: COLORS[g], width: 2, value: legendValue() }))],
          axes: [timeAxis(), { label: t('alerts') }],
        },
        [daily.map((d) => Date.parse(`${d.day}T00:00:00+08:00`) / 1000), ...GRADES.map((g) => daily.map((d) => d[g]))],
        el,
      ),
    [daily],
  );
  return <div class="chart" ref={ref} data-testid="daily-chart" />;
}

function RateChart({ rows }: { rows: { name: string; disposal: number | null; online: number | null }[] }) {
  const ref = usePlot(
    (el, width) =>
      new uPlot(
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
              paths: uPlot.paths.bars!({ size: [0.35], align: -1 }),
              points: { show: false },
              value: legendValue(1),
            },
            {
              label: t('onlineRate'),
              fill: '#16a34acc',
              stroke: '#16a34a',
              paths: uPlot.paths.bars!({ size: [0.35], align: 1 }),
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
