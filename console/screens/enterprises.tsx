/**
 * The enterprise board (online/offline, data online rate, open alerts,
 * sector, grade, with filters) and an enterprise's file (一企一档): its
 * ledger facts, gateways, sensors with their history charts, and its
 * alerts, inspections and tasks.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { useUplot } from '../lazy.ts';
import { api, ApiError } from '../api.ts';
import { both, colon, lang, list, paren, percent, sectorName, t, time } from '../i18n.ts';
import { go } from '../router.ts';
import { authorityName, useDirectoryNames } from '../names.ts';
import { CurrentValue, RangePicker, rangeOf, type Range } from './range-picker.tsx';
import { kindName, originName, standardizationGrade, useNames } from '../vocab.ts';
import { chartWidth, historySeries, legendValue, limitName, timeAxis, timeSeries } from '../history-series.ts';
import type { Alert, Point, Reading, Task } from '../types.ts';
import type { BoardRow, LinkStatus } from '../../inspections/board.ts';
import type { Inspection } from '../../inspections/inspection-records.ts';
import type { LedgerEntry } from '../../ledger/enterprise-facts.ts';
import type { EnterpriseTierKpis } from '../../inspections/response-kpis.ts';
import { TierFigures } from './monthly.tsx';
import { AreaMapView } from './area-map.tsx';
import { GradeChip } from './grade-chip.tsx';
import { LEVELS, rank, RiskSection, useWarnings, warningName, WarningChip, type WarningResult } from './risk.tsx';

const STATUS: LinkStatus[] = ['online', 'partial', 'offline', 'no_gateway'];

/** The board as a list, or as the map (一张图, issue #20 §7): the same enterprises, the same filters. */
export function EnterpriseBoard({ view = 'list' }: { view?: 'list' | 'map' }) {
  useNames();
  useDirectoryNames();
  const [rows, setRows] = useState<BoardRow[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [authority, setAuthority] = useState('');
  const [sector, setSector] = useState('');
  const [status, setStatus] = useState('');
  const [q, setQ] = useState('');
  const [warning, setWarning] = useState('');
  const [byWarning, setByWarning] = useState(false);
  const warnings = useWarnings();
  useEffect(() => {
    // every enterprise of the jurisdiction (the API's largest page): the map shows them all
    api<{ enterprises: BoardRow[] }>('GET', '/api/v1/enterprises?limit=2000').then(
      (r) => setRows(r.enterprises),
      (err: unknown) => setError((err as Error).message),
    );
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!rows) return <p class="loading">…</p>;
  const sectors = [...new Set(rows.map((r) => r.sector))].sort();
  const authorities = [...new Set(rows.map((r) => r.authorityId).filter((a): a is string => a !== null))].sort();
  const needle = q.trim().toLowerCase();
  const levelOf = (id: string): WarningResult => warnings?.get(id)?.level ?? 'none';
  const shown = rows.filter(
    (r) =>
      (!authority || r.authorityId === authority) &&
      (!sector || r.sector === sector) &&
      (!status || r.status === status) &&
      (!warning || levelOf(r.id) === warning) &&
      (!needle || r.id.toLowerCase().includes(needle) || r.name.toLowerCase().includes(needle)),
  );
  if (byWarning) shown.sort((a, b) => rank(levelOf(b.id)) - rank(levelOf(a.id)));
  const grades = ['red', 'orange', 'yellow', 'blue'] as const;
  return (
    <section class="board" data-testid="board" data-view={view}>
      <nav class="tabs" aria-label={t('enterprises')}>
        <a href="#/enterprises" class={view === 'list' ? 'current' : ''} aria-current={view === 'list' ? 'page' : undefined} data-testid="tab-list">
          {t('listTab')}
        </a>
        <a href="#/map" class={view === 'map' ? 'current' : ''} aria-current={view === 'map' ? 'page' : undefined} data-testid="tab-map">
          {t('mapTab')}
        </a>
      </nav>
      <div class="filters">
        {authorities.length > 1 && (
          <select
            aria-label={t('authority')}
            value={authority}
            onChange={(e) => setAuthority((e.target as HTMLSelectElement).value)}
            data-testid="filter-authority"
          >
            <option value="">{t('allAuthorities')}</option>
            {authorities.map((a) => (
              <option key={a} value={a}>
                {authorityName(a)}
              </option>
            ))}
          </select>
        )}
        <select aria-label={t('sector')} value={sector} onChange={(e) => setSector((e.target as HTMLSelectElement).value)} data-testid="filter-sector">
          <option value="">
            {t('sector')}: {t('all')}
          </option>
          {sectors.map((s) => (
            <option key={s} value={s}>
              {sectorName(s)}
            </option>
          ))}
        </select>
        <select aria-label={t('state')} value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)} data-testid="filter-status">
          <option value="">
            {t('state')}: {t('all')}
          </option>
          {STATUS.map((s) => (
            <option key={s} value={s}>
              {t(s)}
            </option>
          ))}
        </select>
        <select aria-label={t('warningLevel')} value={warning} onChange={(e) => setWarning((e.target as HTMLSelectElement).value)} data-testid="filter-warning">
          <option value="">
            {t('warningLevel')}: {t('all')}
          </option>
          {[...LEVELS, 'none' as const].map((l) => (
            <option key={l} value={l}>
              {warningName(l)}
            </option>
          ))}
        </select>
        <select
          aria-label={t('sortBy')}
          value={byWarning ? 'warning' : ''}
          onChange={(e) => setByWarning((e.target as HTMLSelectElement).value === 'warning')}
          data-testid="sort-warning"
        >
          <option value="">{t('sortById')}</option>
          <option value="warning">{t('sortByWarning')}</option>
        </select>
        <input aria-label={t('enterprise')} placeholder={t('enterprise')} value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      </div>
      <div class="counts">
        {warnings && (
          <p data-testid="warning-counts">
            {t('warningCounts')}
            {lang.get() === 'en' ? ': ' : '：'}
            {LEVELS.map((l) => (
              <span key={l} class={`chip grade-${l}`} data-level={l}>
                {warningName(l, true)} {rows.filter((r) => levelOf(r.id) === l).length}
              </span>
            ))}
          </p>
        )}
        <p data-testid="alarm-counts">
          {t('alarmCounts')}
          {lang.get() === 'en' ? ': ' : '：'}
          {grades.map((g) => (
            <GradeChip key={g} grade={g} count={rows.reduce((n, r) => n + r.openAlerts[g], 0)} />
          ))}
        </p>
      </div>
      {view === 'map' ? (
        <AreaMapView rows={shown} levelOf={levelOf} />
      ) : (
        <table class="ranking">
          <thead>
            <tr>
              <th>{t('enterprise')}</th>
              <th>{t('sector')}</th>
              <th>{t('grade')}</th>
              <th>{t('state')}</th>
              <th>{t('onlineRate')}</th>
              <th>{t('riskWarning')}</th>
              <th>{t('openAlerts')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.id} class={`link status-${r.status}`} onClick={() => go(`/enterprises/${r.id}`)} data-testid={`enterprise-${r.id}`}>
                <td>
                  <strong>{r.name}</strong> <span class="muted">{r.id}</span>
                  {r.highRisk && <span class="chip grade-orange">{t('highRisk')}</span>}
                </td>
                <td>{sectorName(r.sector)}</td>
                <td>{standardizationGrade(r.grade)}</td>
                <td>
                  <span class={`dot ${r.status}`} /> {t(r.status)} ({r.gateways.online}/{r.gateways.total})
                </td>
                <td>{percent(r.onlineRate24h)}</td>
                <td>{warnings ? <WarningChip level={levelOf(r.id)} testid="warning" /> : '—'}</td>
                <td>
                  {(['red', 'orange', 'yellow', 'blue'] as const)
                    .filter((g) => r.openAlerts[g] > 0)
                    .map((g) => (
                      <span key={g} class={`chip grade-${g}`}>
                        {r.openAlerts[g]}
                      </span>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface Sensor {
  id: string;
  gatewayId: string;
  kind: string;
  unit: string;
  periodS: number;
  zone: string | null;
  name: string;
  marks?: Record<string, number>;
}

interface Person {
  name: string;
  phone: string;
}

interface HazardSource {
  code: string;
  name: string;
  level: 1 | 2 | 3 | 4;
  rValue: number;
  persons: { main: Person; technical: Person; operational: Person };
}

interface EnterpriseFile {
  enterprise: LedgerEntry;
  hazardSources: HazardSource[];
  gateways: { id: string; name: string; status: string; statusChangedAt: number | null; disabled: boolean }[];
  sensors: Sensor[];
  history: { alerts: Alert[]; inspections: Inspection[]; tasks: Task[] };
  /** Its response to the alarms handed to it, its self-inspection reports: the last 90 days (issue #18 item 6). */
  enterpriseTier?: EnterpriseTierKpis & { days: number };
  /** Its quarterly self-inspection reports (domain rule 11): the last quarter due, and whether it is late. */
  selfInspection?: { lastPeriod: string; mustReport: boolean; reported: boolean; overdue: boolean; daysOverdue: number; lastReportedPeriod: string | null };
}

interface Coverage {
  counts: { monitored: number; default: number; context: number; unmonitored: number };
  unmonitored: { pointId: string; status: string; reasons: { zh: string; en: string }[] }[];
}

/** One line of the file: how many points the rules watch, and which are not (or only with default limits), with why. */
function CoverageLine({ c }: { c: Coverage }) {
  return (
    <dd data-testid="coverage">
      {c.counts.monitored} {t('covMonitored')}
      {c.counts.default > 0 && ` · ${c.counts.default} ${t('covDefault')}`}
      {` · ${c.counts.unmonitored} ${t('covUnmonitored')}`}
      {c.counts.context > 0 && ` · ${c.counts.context} ${t('covContext')}`}
      {c.unmonitored.map((u) => (
        <span key={u.pointId} class={`chip ${u.status === 'unmonitored' ? 'grade-orange' : 'grade-yellow'}`} title={u.reasons.map(both).join('\n')}>
          {u.pointId}
          {colon()}
          {list(u.reasons.map(both), true)}
        </span>
      ))}
    </dd>
  );
}

export function EnterpriseView({ id }: { id: string }) {
  useNames();
  useDirectoryNames();
  const [f, setF] = useState<EnterpriseFile | undefined>();
  const [coverage, setCoverage] = useState<Coverage | undefined>();
  useEffect(() => {
    // a file without its coverage line is still a file: a failure here leaves the line out
    api<Coverage>('GET', `/api/v1/coverage?enterpriseId=${encodeURIComponent(id)}`).then(setCoverage, () => setCoverage(undefined));
  }, [id]);
  const [error, setError] = useState<string | undefined>();
  const [sensor, setSensor] = useState<Sensor | undefined>();
  useEffect(() => {
    api<EnterpriseFile>('GET', `/api/v1/enterprises/${encodeURIComponent(id)}/file`).then(
      (r) => {
        setF(r);
        setSensor(r.sensors.find((s) => !['production', 'valve', 'interlock', 'power', 'switch'].includes(s.kind)) ?? r.sensors[0]);
      },
      (err: unknown) => setError(err instanceof ApiError && err.status === 404 ? '404' : (err as Error).message),
    );
  }, [id]);
  if (error) return <p class="error">{error}</p>;
  if (!f) return <p class="loading">…</p>;
  const e = f.enterprise;
  return (
    <section class="file" data-testid="enterprise-file">
      <button class="link" onClick={() => go('/enterprises')}>
        ← {t('back')}
      </button>
      <h2>
        {e.name} <span class="muted">{e.id}</span>
      </h2>
      <dl class="facts">
        <dt>{t('sector')}</dt>
        <dd>{sectorName(e.sector)}</dd>
        <dt>{t('authority')}</dt>
        <dd>{authorityName(e.authorityId)}</dd>
        <dt>{t('creditCode')}</dt>
        <dd data-testid="credit-code">{e.creditCode ?? '—'}</dd>
        <dt>{t('address')}</dt>
        <dd>{e.address ?? '—'}</dd>
        <dt>{t('coordinates')}</dt>
        <dd>{e.longitude === null || e.latitude === null ? '—' : `${e.longitude.toFixed(6)}°E, ${e.latitude.toFixed(6)}°N`}</dd>
        <dt>{t('safetyManager')}</dt>
        <dd>
          {e.safetyManagerName === null && e.safetyManagerPhone === null
            ? '—'
            : [e.safetyManagerName, e.safetyManagerPhone].filter((x) => x !== null).join(' · ')}
        </dd>
        <dt>{t('grade')}</dt>
        <dd>
          {standardizationGrade(e.grade)}
          {e.highRisk && ` · ${t('highRisk')}`}
          {e.keyEnterprise && ` · ${t('keyEnterprise')}`}
        </dd>
        {e.riskFactors.length > 0 && (
          <>
            <dt>{t('riskFactors')}</dt>
            <dd>{list(e.riskFactors)}</dd>
          </>
        )}
        <dt>{t('gateways')}</dt>
        <dd>
          {f.gateways.map((g) => (
            <span key={g.id} class="gw">
              <span class={`dot ${g.status === 'online' ? 'online' : 'offline'}`} /> {g.id} {t(g.status === 'online' ? 'online' : 'offline')}
            </span>
          ))}
        </dd>
        {coverage && (
          <>
            <dt>{t('coverage')}</dt>
            <CoverageLine c={coverage} />
          </>
        )}
      </dl>
      <RiskSection enterpriseId={e.id} hazardSources={f.hazardSources} />
      {f.selfInspection?.mustReport && (
        <p class={f.selfInspection.overdue ? 'si-flag overdue' : 'si-flag'} data-testid="file-self-inspection" data-overdue={String(f.selfInspection.overdue)}>
          {t('fileSiTitle')} {f.selfInspection.lastPeriod}
          {colon()}
          {f.selfInspection.overdue
            ? `${t('fileSiOverdue')} ${f.selfInspection.daysOverdue} ${t('fileSiDays')}`
            : f.selfInspection.reported
              ? t('fileSiReported')
              : t('fileSiNotDue')}
          {f.selfInspection.lastReportedPeriod !== null && <span class="muted"> {paren(`${t('fileSiLast')} ${f.selfInspection.lastReportedPeriod}`)}</span>}
        </p>
      )}
      {f.enterpriseTier && (
        <>
          <h3>
            {t('tierTitle')} <span class="muted">{t('tierLast90')}</span>
          </h3>
          <TierFigures k={f.enterpriseTier} testid="file-tier" />
        </>
      )}
      <h3>{t('hazardSources')}</h3>
      {f.hazardSources.length === 0 ? (
        <p class="muted">{t('noHazardSources')}</p>
      ) : (
        <table class="ranking" data-testid="hazard-sources">
          <thead>
            <tr>
              <th>{t('hazardCode')}</th>
              <th>{t('hazardName')}</th>
              <th>{t('hazardLevel')}</th>
              <th>{t('rValue')}</th>
              <th>{t('mainPerson')}</th>
              <th>{t('technicalPerson')}</th>
              <th>{t('operationalPerson')}</th>
            </tr>
          </thead>
          <tbody>
            {f.hazardSources.map((h) => (
              <tr key={h.code}>
                <td>{h.code}</td>
                <td>{h.name}</td>
                <td>{t(`hazardLevel${h.level}`)}</td>
                <td>{h.rValue}</td>
                {(['main', 'technical', 'operational'] as const).map((role) => (
                  <td key={role}>
                    {h.persons[role].name} · {h.persons[role].phone}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>{t('sensors')}</h3>
      <div class="sensors">
        {f.sensors.map((s) => (
          <button key={s.id} class={sensor?.id === s.id ? 'current' : ''} onClick={() => setSensor(s)} data-testid={`sensor-${s.id}`}>
            {s.id} <span class="muted">{kindName(s.kind)}</span>
          </button>
        ))}
      </div>
      {sensor && <SensorChart enterpriseId={e.id} sensor={sensor} />}
      <h3>{t('history')}</h3>
      <h4>{t('alerts')}</h4>
      <ul class="plain">
        {f.history.alerts.map((a) => (
          <li key={a.id}>
            <a href={`#/alerts/${a.id}`}>
              <GradeChip grade={a.severity} /> {both(a.message)}
            </a>{' '}
            <span class="muted">
              {time(a.firedAt ?? a.startedAt)} · {t(a.state)}
            </span>
          </li>
        ))}
      </ul>
      <h4>{t('inspections')}</h4>
      <ul class="plain">
        {f.history.inspections.map((i) => (
          <li key={i.id}>
            {time(i.at)} · {originName(i.origin)} · {authorityName(i.authorityId)}
            {i.joint && ` · ${t('joint')}`}
          </li>
        ))}
      </ul>
      <h4>{t('tasks')}</h4>
      <ul class="plain">
        {f.history.tasks.map((k) => (
          <li key={k.id}>
            <a href={`#/tasks/${k.id}`}>{both(k.matterName)}</a> <span class="muted">{t(k.state)}</span> · {k.findings.filter((x) => x.result !== 'ok').length}{' '}
            {t('hazard')}
          </li>
        ))}
      </ul>
    </section>
  );
}

function SensorChart({ enterpriseId, sensor }: { enterpriseId: string; sensor: Sensor }) {
  const ref = useRef<HTMLDivElement>(null);
  const [note, setNote] = useState<string | undefined>();
  const [range, setRange] = useState<Range>({ preset: '24h' });
  const [latest, setLatest] = useState<Reading | undefined>();
  const U = useUplot();
  useEffect(() => {
    if (!U) return;
    let plot: uPlot | undefined;
    let gone = false;
    setNote(undefined);
    const { from, to } = rangeOf(range);
    api<{ points: Point[]; latest?: Reading | null }>(
      'GET',
      `/api/v1/enterprises/${encodeURIComponent(enterpriseId)}/sensors/${encodeURIComponent(sensor.id)}/readings?points=300&from=${Math.floor(from)}&to=${Math.floor(to)}`,
    ).then(
      (r) => {
        if (gone || !ref.current) return;
        // the last reading measured (not the last bucket's mean of a downsampled range)
        setLatest(r.latest ?? undefined);
        if (r.points.length === 0) return setNote(t('noReadings'));
        const marks = Object.entries(sensor.marks ?? {});
        const xs = r.points.map((p) => p.t / 1000);
        const h = historySeries(r.points, `${sensor.id}${paren(sensor.unit)}`);
        plot = new U(
          {
            width: chartWidth(ref.current, 1000),
            height: 220,
            scales: { x: { time: true } },
            tzDate: (ts) => U.tzDate(new Date(ts * 1000), 'Asia/Shanghai'),
            series: [
              timeSeries(),
              ...h.series,
              ...marks.map(([k]) => ({
                label: `${t('limits')} ${limitName(k)}`,
                stroke: '#d46b08',
                dash: [6, 4],
                points: { show: false },
                value: legendValue(),
              })),
            ],
            bands: h.bands,
            axes: [timeAxis(), { label: sensor.unit }],
          },
          [...h.data, ...marks.map(([, v]) => xs.map(() => v))] as uPlot.AlignedData,
          ref.current,
        );
      },
      (err: unknown) => setNote((err as Error).message),
    );
    return () => {
      gone = true;
      plot?.destroy();
    };
  }, [enterpriseId, sensor, range, U]);
  return (
    <>
      <RangePicker value={range} onChange={setRange} testid="sensor-range" />
      {note && <p class="muted">{note}</p>}
      <div class="chart" ref={ref} data-testid="sensor-chart" />
      <CurrentValue point={latest} unit={sensor.unit} />
    </>
  );
}
