/**
 * 月报: the KPIs of the leader's authority for a calendar month (China Standard Time) — online rate, offline
 * hours and counts, data integrity, alarm disposal and time to clear, the composite score — with the enterprises
 * ranked worst first, the authorities below ranked, the points with the lowest integrity, the enterprise tier
 * (`TierFigures`: the enterprises' response to their alarms, issue #18 item 6), and the XLSX download
 * (`GET /api/v1/reports/monthly`, inspections/kpis.ts, docs/kpis.md).
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { count, duration as spoken, list, paren, t } from '../i18n.ts';
import type { KpiReport, Kpis } from '../../inspections/kpis.ts';
import type { EnterpriseTierKpis } from '../../inspections/response-kpis.ts';

type Report = KpiReport & { month: string; complete: boolean };

/** The month before the current one, in China Standard Time: `YYYY-MM`. */
export function lastMonth(now = Date.now()): string {
  const d = new Date(now + 8 * 3_600_000);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth(); // 0-based: the previous month's number
  return m === 0 ? `${y - 1}-12` : `${y}-${String(m).padStart(2, '0')}`;
}

/** A rate as `99.5 %`; '—' when there was nothing to divide by. */
export const pct = (r: number | null): string => (r === null ? '—' : `${(r * 100).toFixed(1)} %`);

/** A duration as people say it (i18n.ts), '—' when there is none. */
const duration = (ms: number | null): string => (ms === null ? '—' : spoken(ms));

/** Offline hours as a duration. */
const hoursText = (h: number): string => duration(Math.round(h * 3_600_000));

export function MonthlyView() {
  const [month, setMonth] = useState(lastMonth());
  const [r, setR] = useState<Report | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setR(undefined);
    setError(undefined);
    api<Report>('GET', `/api/v1/reports/monthly?month=${encodeURIComponent(month)}`).then(setR, (err: unknown) => setError((err as Error).message));
  }, [month]);
  const w = r?.weights;
  return (
    <section class="monthly" data-testid="monthly">
      <div class="toolbar">
        <label>
          {t('kpiMonth')}{' '}
          <input
            type="month"
            value={month}
            max={lastMonth(Date.now() + 31 * 86_400_000)}
            onChange={(e) => setMonth((e.target as HTMLInputElement).value)}
            data-testid="month"
          />
        </label>
        <a href={`/api/v1/reports/monthly?month=${encodeURIComponent(month)}&format=xlsx`} download data-testid="monthly-xlsx">
          {t('kpiDownloadXlsx')}
        </a>
      </div>
      {error && <p class="error">{error}</p>}
      {!r && !error && <p class="loading">…</p>}
      {r && (
        <>
          <h3 data-testid="monthly-title">
            {r.authorityName ?? t('all')} · {r.month}
            {!r.complete && <span class="muted">{paren(t('kpiPartialMonth'))}</span>}
          </h3>
          <Figures k={r.totals} />
          {w && (
            <p class="muted" data-testid="weights">
              {t('kpiScore')}: {t('onlineRate')} {Math.round(w.online * 100)}% · {t('kpiIntegrity')} {Math.round(w.integrity * 100)}% · {t('disposalRate')}{' '}
              {Math.round(w.disposal * 100)}% · {t('tierResponseRate')} {Math.round(w.response * 100)}% — {t('kpiWeightsDefault')}
            </p>
          )}
          <h3>{t('tierTitle')}</h3>
          <TierFigures k={r.totals.enterpriseTier} testid="monthly-tier" />
          <h3>{t('kpiEnterpriseRanking')}</h3>
          <table class="ranking" data-testid="kpi-enterprises">
            <thead>
              <tr>
                <th>#</th>
                <th>{t('enterprise')}</th>
                <th>{t('kpiScore')}</th>
                <th>{t('onlineRate')}</th>
                <th>{t('kpiOffline')}</th>
                <th>{t('kpiIntegrity')}</th>
                <th>{t('kpiAlarms')}</th>
                <th>{t('disposalRate')}</th>
                <th>{t('kpiClearTime')}</th>
                <th>{t('tierResponseRate')}</th>
                <th>{t('kpiWorstPoints')}</th>
              </tr>
            </thead>
            <tbody>
              {r.enterprises.map((e) => (
                <tr key={e.enterpriseId} data-testid={`kpi-enterprise-${e.enterpriseId}`}>
                  <td>{e.rank}</td>
                  <td>
                    {e.name} <span class="muted">{e.enterpriseId}</span>
                  </td>
                  <td>{e.score ?? '—'}</td>
                  <td>{pct(e.onlineRate)}</td>
                  <td>
                    {hoursText(e.offlineHours)} · {e.offlineCount} {t('kpiTimes')}
                  </td>
                  <td>{pct(e.integrity)}</td>
                  <td>{e.alarms}</td>
                  <td>{pct(e.disposalRate)}</td>
                  <td>{duration(e.clear.meanMs)}</td>
                  <td title={tierTitle(e.enterpriseTier)}>{pct(e.enterpriseTier.responseRate)}</td>
                  <td class="wrap">
                    {list(
                      e.worstPoints.map((p) => `${p.tagNo} ${pct(p.integrity)}`),
                      true,
                    ) || '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {r.authorities.length > 0 && (
            <>
              <h3>{t('kpiAuthorityRanking')}</h3>
              <table class="ranking" data-testid="kpi-authorities">
                <thead>
                  <tr>
                    <th>#</th>
                    <th>{t('authority')}</th>
                    <th>{t('kpiScore')}</th>
                    <th>{t('onlineRate')}</th>
                    <th>{t('kpiOffline')}</th>
                    <th>{t('kpiIntegrity')}</th>
                    <th>{t('disposalRate')}</th>
                  </tr>
                </thead>
                <tbody>
                  {r.authorities.map((a) => (
                    <tr key={a.authorityId}>
                      <td>{a.rank}</td>
                      <td>{a.name}</td>
                      <td>{a.score ?? '—'}</td>
                      <td>{pct(a.onlineRate)}</td>
                      <td>
                        {hoursText(a.offlineHours)} · {a.offlineCount} {t('kpiTimes')}
                      </td>
                      <td>{pct(a.integrity)}</td>
                      <td>{pct(a.disposalRate)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          {r.worstPoints.length > 0 && (
            <>
              <h3>{t('kpiWorstPoints')}</h3>
              <table class="ranking" data-testid="kpi-points">
                <thead>
                  <tr>
                    <th>{t('enterprise')}</th>
                    <th>{t('kpiTagNo')}</th>
                    <th>{t('kpiExpectedReceived')}</th>
                    <th>{t('kpiIntegrity')}</th>
                  </tr>
                </thead>
                <tbody>
                  {r.worstPoints.slice(0, 20).map((p) => (
                    <tr key={`${p.enterpriseId}/${p.pointId}`}>
                      <td>{p.enterpriseId}</td>
                      <td>
                        {p.tagNo} <span class="muted">{p.name}</span>
                      </td>
                      <td>
                        {count(p.received)} / {count(p.expected)}
                      </td>
                      <td>{pct(p.integrity)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </>
      )}
    </section>
  );
}

/** The figures behind an enterprise's response rate, for a tooltip. */
const tierTitle = (k: EnterpriseTierKpis): string =>
  `${t('tierSignOnTime')} ${pct(k.sign.onTimeRate)} · ${t('tierFeedbackOnTime')} ${pct(k.feedback.onTimeRate)} · ${t('tierRejections')} ${k.rejections} · ${t('tierRepeatedFalse')} ${k.repeatedFalseAlarms} · ${t('tierSupervisions')} ${k.supervisions}`;

/** The enterprise tier's figures (issue #18 item 6): in the monthly report, the statistics and the enterprise file. */
export function TierFigures({ k, testid }: { k: EnterpriseTierKpis; testid: string }) {
  const items: [string, string][] = [
    [t('tierHanded'), String(k.handed)],
    [t('tierSignOnTime'), `${pct(k.sign.onTimeRate)}${paren(`${k.sign.onTime}/${k.sign.judged}`)}`],
    [t('tierSignTime'), duration(k.sign.time.medianMs)],
    [t('tierFeedbackOnTime'), `${pct(k.feedback.onTimeRate)}${paren(`${k.feedback.onTime}/${k.feedback.judged}`)}`],
    [t('tierFalseAlarmRate'), `${pct(k.falseAlarmRate)}${paren(`${k.falseAlarms}/${k.feedbacks}`)}`],
    [`${t('tierRepeatedFalse')} · ${t('tierRejections')}${paren(t('tierAgainst'))}`, `${k.repeatedFalseAlarms} · ${k.rejections}`],
    [t('tierSupervisions'), String(k.supervisions)],
    [t('tierClearTime'), duration(k.clear.medianMs)],
    [t('tierSelfInspection'), `${pct(k.selfInspection.rate)}${paren(`${k.selfInspection.onTime}/${k.selfInspection.due}`)}`],
    [t('tierResponseRate'), pct(k.responseRate)],
  ];
  return (
    <div class="kpis" data-testid={testid}>
      {items.map(([label, value]) => (
        <div class="kpi" key={label}>
          <div class="muted">{label}</div>
          <strong>{value}</strong>
        </div>
      ))}
    </div>
  );
}

function Figures({ k }: { k: Kpis }) {
  const items: [string, string][] = [
    [t('kpiScore'), k.score === null ? '—' : String(k.score)],
    [t('onlineRate'), pct(k.onlineRate)],
    [t('kpiOffline'), `${hoursText(k.offlineHours)} · ${k.offlineCount} ${t('kpiTimes')}`],
    [t('kpiIntegrity'), pct(k.integrity)],
    [t('kpiAlarms'), String(k.alarms)],
    [t('disposalRate'), pct(k.disposalRate)],
    [t('kpiClearTime'), `${duration(k.clear.meanMs)}${paren(`${t('kpiMedian')} ${duration(k.clear.medianMs)}`)}`],
  ];
  return (
    <div class="kpis" data-testid="monthly-figures">
      {items.map(([label, value]) => (
        <div class="kpi" key={label}>
          <div class="muted">{label}</div>
          <strong>{value}</strong>
        </div>
      ))}
    </div>
  );
}
