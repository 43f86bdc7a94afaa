/**
 * 报警质量 (alarm quality, issue #17 item 5): the alarm load of a jurisdiction over the last 7 or 30 days
 * as ISA-18.2 / EEMUA 191 measure it — alarms raised, the average per 10 minutes against the EEMUA 191
 * reference, floods, standing, chattering and fleeting alarms, alarms held back — then the enterprises ranked
 * by alarms (each day on demand), the floods, the top ten alarm sources (bad actors) and the limits with
 * where each comes from. Everything named for people: enterprise, jurisdiction, point and rule names,
 * times in China Standard Time. Reads `GET /api/v1/alarm-quality` (api/alarm-quality.ts).
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { both, colon, count, lang, percent, stamp, t, type Key } from '../i18n.ts';
import type { BadActor, DayFigures, FloodEpisode } from '../../alerts/quality.ts';

type Figures = Omit<DayFigures, 'date'>;
type Text = { zh: string; en: string };

export interface QualityAnswer {
  from: string;
  to: string;
  enterprises: { enterpriseId: string; days: DayFigures[]; totals: Figures }[];
  floods: FloodEpisode[];
  badActors: BadActor[];
  totals: Figures & { floods: number; perTenMinutes: number | null };
  names: {
    enterprises: Record<string, string>;
    authorities: Record<string, string>;
    rules?: Record<string, Text>;
    points?: Record<string, Record<string, string>>;
  };
  limits: Record<string, { value: number; source: string }>;
}

const DAY = 86_400_000;

const CJK = /[\u3400-\u9fff\uff00-\uffef]/;
/**
 * The side of a "中文 / English" server text for the current language: cut at the " / " with Chinese before
 * it and none after it (a source such as "EEMUA 191 / ISA-18.2：…" keeps its own slash).
 */
export const side = (text: string): string => {
  for (const m of text.matchAll(/ ?\/ /g)) {
    const zh = text.slice(0, m.index);
    const en = text.slice(m.index + m[0].length);
    if (CJK.test(zh) && !CJK.test(en)) return lang.get() === 'en' ? en : zh;
  }
  return text;
};

/** How each limit is named and its value written. */
const LIMITS: Record<string, { key: Key; show: (v: number) => string }> = {
  standingMs: { key: 'aqLimitStanding', show: (v) => `${count(v / 3_600_000)} ${t('aqHours')}` },
  chatteringCount: { key: 'aqLimitChatteringCount', show: (v) => `${count(v)} ${t('aqTimes')}` },
  chatteringWindowMs: { key: 'aqLimitChatteringWindow', show: (v) => `${count(v / 1000)} ${t('aqSeconds')}` },
  fleetingMs: { key: 'aqLimitFleeting', show: (v) => `${count(v / 1000)} ${t('aqSeconds')}` },
  floodCount: { key: 'aqLimitFloodCount', show: (v) => `${count(v)} ${t('aqItems')}` },
  floodWindowMs: { key: 'aqLimitFloodWindow', show: (v) => `${count(v / 60_000)} ${t('minutes')}` },
  badActors: { key: 'aqLimitBadActors', show: (v) => `${count(v)} ${t('aqSources')}` },
};

export function QualityView() {
  const [days, setDays] = useState(7);
  const [authorityId, setAuthorityId] = useState('');
  const [below, setBelow] = useState<{ authorityId: string; name: string }[]>([]);
  /** The caller's own jurisdiction as the statistics see it (null: all, for the platform's admin). */
  const [root, setRoot] = useState<string | null | undefined>();
  const [r, setR] = useState<QualityAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();

  // the jurisdictions one may pick: one's own (the default) and those directly below it
  useEffect(() => {
    api<{ authorityId: string | null; authorities: { authorityId: string; name: string }[] }>('GET', `/api/v1/stats?from=${Date.now() - DAY}`).then(
      (s) => {
        setRoot(s.authorityId);
        setBelow(s.authorities);
      },
      () => setBelow([]),
    );
  }, []);
  useEffect(() => {
    setR(undefined);
    setError(undefined);
    const q = new URLSearchParams({ from: String(Date.now() - days * DAY) });
    if (authorityId) q.set('authorityId', authorityId);
    api<QualityAnswer>('GET', `/api/v1/alarm-quality?${q.toString()}`).then(setR, (err: unknown) => setError(side((err as Error).message)));
  }, [days, authorityId]);

  const own = root === null ? t('aqAllJurisdictions') : ((root && r?.names.authorities[root]) ?? t('aqOwnJurisdiction'));
  return (
    <section class="stats quality" data-testid="quality">
      <div class="toolbar">
        <label>
          {t('period')}{' '}
          <select value={String(days)} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))} data-testid="quality-period">
            <option value="7">{t('last7')}</option>
            <option value="30">{t('last30')}</option>
          </select>
        </label>{' '}
        <label>
          {t('aqJurisdiction')}{' '}
          <select value={authorityId} onChange={(e) => setAuthorityId((e.target as HTMLSelectElement).value)} data-testid="quality-authority">
            <option value="">{own}</option>
            {below.map((a) => (
              <option key={a.authorityId} value={a.authorityId}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        {r && (
          <span class="muted" data-testid="quality-period-shown">
            {' '}
            {t('aqPeriodShown')}
            {colon()}
            {stamp(r.from)} — {stamp(r.to)}
          </span>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!r ? !error && <p class="loading">…</p> : <Report r={r} />}
    </section>
  );
}

function Report({ r }: { r: QualityAnswer }) {
  const [open, setOpen] = useState<Set<string>>(new Set());
  const entName = (id: string) => r.names.enterprises[id] ?? id;
  const ruleName = (id: string) => (r.names.rules?.[id] ? both(r.names.rules[id]) : id);
  const pointName = (a: BadActor) => r.names.points?.[a.enterpriseId]?.[a.subject] ?? a.subject;
  const authName = (id: string | null) => (id === null ? '—' : (r.names.authorities[id] ?? id));
  const ranked = [...r.enterprises].sort((a, b) => b.totals.raised - a.totals.raised || entName(a.enterpriseId).localeCompare(entName(b.enterpriseId)));
  const toggle = (id: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const per = r.totals.perTenMinutes;
  return (
    <>
      <div class="kpis" data-testid="quality-kpis">
        <Kpi id="raised" label={t('aqRaised')} value={count(r.totals.raised)} />
        <Kpi
          id="per-ten"
          label={t('aqPerTenMinutes')}
          value={per === null ? '—' : per.toLocaleString(lang.get() === 'en' ? 'en-GB' : 'zh-CN', { maximumFractionDigits: 3 })}
          hint={t('aqPerTenMinutesHint')}
        />
        <Kpi id="floods" label={t('aqFloods')} value={count(r.totals.floods)} />
        <Kpi id="standing" label={t('aqStanding')} value={count(r.totals.standing)} />
        <Kpi id="chattering" label={t('aqChattering')} value={count(r.totals.chattering)} />
        <Kpi id="fleeting" label={t('aqFleeting')} value={count(r.totals.fleeting)} />
        <Kpi id="suppressed" label={t('aqSuppressed')} value={count(r.totals.suppressed)} />
      </div>

      <h3>{t('aqByEnterprise')}</h3>
      {ranked.length === 0 ? (
        <p class="empty">{t('aqNoAlarms')}</p>
      ) : (
        <div class="table-scroll">
          <table class="ranking" data-testid="quality-enterprises">
            <thead>
              <tr>
                <th>{t('enterprise')}</th>
                <th>{t('aqRaised')}</th>
                <th>{t('aqSuppressed')}</th>
                <th>{t('aqStanding')}</th>
                <th>{t('aqChattering')}</th>
                <th>{t('aqFleeting')}</th>
                <th>{t('aqDaily')}</th>
              </tr>
            </thead>
            <tbody>
              {ranked.map((e) => [
                <tr key={e.enterpriseId} data-testid={`quality-enterprise-${e.enterpriseId}`}>
                  <td>{entName(e.enterpriseId)}</td>
                  <Cells f={e.totals} />
                  <td>
                    <button
                      class="link"
                      aria-expanded={open.has(e.enterpriseId)}
                      onClick={() => toggle(e.enterpriseId)}
                      data-testid={`quality-days-${e.enterpriseId}`}
                    >
                      {open.has(e.enterpriseId) ? t('aqHideDays') : t('aqShowDays')}
                    </button>
                  </td>
                </tr>,
                ...(open.has(e.enterpriseId)
                  ? e.days.map((d) => (
                      <tr key={`${e.enterpriseId}|${d.date}`} class="muted" data-testid={`quality-day-${e.enterpriseId}-${d.date}`}>
                        <td>
                          {t('aqDate')} {d.date}
                        </td>
                        <Cells f={d} />
                        <td />
                      </tr>
                    ))
                  : []),
              ])}
            </tbody>
          </table>
        </div>
      )}

      <h3>{t('aqFloodList')}</h3>
      {r.floods.length === 0 ? (
        <p class="empty" data-testid="quality-no-floods">
          {t('aqNoFloods')}
        </p>
      ) : (
        <table class="ranking" data-testid="quality-floods">
          <thead>
            <tr>
              <th>{t('aqJurisdiction')}</th>
              <th>{t('aqFloodFrom')}</th>
              <th>{t('aqFloodTo')}</th>
              <th>{t('aqFloodPeak')}</th>
              <th>{t('aqFloodAlarms')}</th>
            </tr>
          </thead>
          <tbody>
            {r.floods.map((f) => (
              <tr key={`${f.authorityId ?? ''}|${f.startedAt}`}>
                <td>{authName(f.authorityId)}</td>
                <td>{stamp(f.startedAt)}</td>
                <td>{stamp(f.endedAt)}</td>
                <td>{count(f.peak)}</td>
                <td>{count(f.alarms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>{t('aqBadActors')}</h3>
      {r.badActors.length === 0 ? (
        <p class="empty">{t('aqNoAlarms')}</p>
      ) : (
        <table class="ranking" data-testid="quality-bad-actors">
          <thead>
            <tr>
              <th>{t('enterprise')}</th>
              <th>{t('aqPoint')}</th>
              <th>{t('rule')}</th>
              <th>{t('aqCount')}</th>
              <th>{t('aqShare')}</th>
            </tr>
          </thead>
          <tbody>
            {r.badActors.map((a, i) => (
              <tr key={a.fingerprint} data-testid={`quality-bad-actor-${i}`}>
                <td>{entName(a.enterpriseId)}</td>
                <td>{pointName(a)}</td>
                <td>{ruleName(a.ruleId)}</td>
                <td>{count(a.raised)}</td>
                <td>{percent(a.share)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <details class="quality-limits" data-testid="quality-limits">
        <summary>{t('aqLimits')}</summary>
        <table class="ranking">
          <thead>
            <tr>
              <th>{t('aqLimitName')}</th>
              <th>{t('aqLimitValue')}</th>
              <th>{t('aqLimitSource')}</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(r.limits).map(([k, l]) => (
              <tr key={k}>
                <td>{LIMITS[k] ? t(LIMITS[k].key) : k}</td>
                <td>{LIMITS[k] ? LIMITS[k].show(l.value) : count(l.value)}</td>
                <td>{side(l.source)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
}

function Cells({ f }: { f: Figures }) {
  return (
    <>
      <td>{count(f.raised)}</td>
      <td>{count(f.suppressed)}</td>
      <td>{count(f.standing)}</td>
      <td>{count(f.chattering)}</td>
      <td>{count(f.fleeting)}</td>
    </>
  );
}

function Kpi({ id, label, value, hint }: { id: string; label: string; value: string; hint?: string }) {
  return (
    <div class="kpi" data-testid={`kpi-${id}`}>
      <div class="muted">{label}</div>
      <strong data-testid="value">{value}</strong>
      {hint && <div class="muted hint">{hint}</div>}
    </div>
  );
}
