/**
 * 自查报告: an enterprise user's quarterly self-inspection report on its major hazards (issue #18 item 5,
 * domain rule 11): the quarter now due and whether it is in (the due date is the bureau's setting, the
 * platform's default 15 days after the quarter), a form for a quarter's report with its hazards
 * (description, major or not, rectification measures and deadline), the past reports, and marking a
 * hazard of the report that counts as rectified (with how). A correction is a new report for the quarter.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { colon, paren, t, time } from '../i18n.ts';

interface Hazard {
  id: string;
  description: string;
  major: boolean;
  measures: string;
  deadline: number;
  rectifiedAt: number | null;
  rectifiedBy: string | null;
  rectifiedNote: string | null;
}
interface Report {
  id: string;
  period: string;
  submittedAt: number;
  submittedBy: string;
  summary: string;
  corrects: string | null;
  current: boolean;
  hazards: Hazard[];
}
interface Status {
  period: string;
  dueAt: number;
  reported: boolean;
  overdue: boolean;
  daysOverdue: number;
  mustReport: boolean;
}
interface HazardDraft {
  description: string;
  major: boolean;
  measures: string;
  /** `YYYY-MM-DD` (China Standard Time), from the date input. */
  deadline: string;
}

const blank = (): HazardDraft => ({ description: '', major: false, measures: '', deadline: '' });
/** The end of the chosen day in China Standard Time (23:59:59 +08:00), as epoch ms. */
const endOfDayCst = (d: string): number => Date.parse(`${d}T23:59:59+08:00`);
/** `2026-Q4` as `2026年第四季度`. */
const periodText = (p: string): string => {
  const [y, q] = p.split('-Q');
  return `${y}${t('siYear')}${t(`siQ${q}` as 'siQ1')}`;
};

export function SelfInspectionView({ enterpriseId }: { enterpriseId: string }) {
  const [data, setData] = useState<{ status: Status; reports: Report[] } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  const base = `/api/v1/enterprises/${encodeURIComponent(enterpriseId)}`;
  useEffect(() => {
    api<{ status: Status; reports: Report[] }>('GET', `${base}/self-inspections?limit=50`).then(setData, (e: unknown) => setError((e as Error).message));
  }, [base, tick]);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="loading">…</p>;
  const s = data.status;
  return (
    <section class="self-inspections" data-testid="self-inspections">
      <h2>{t('siTitle')}</h2>
      <p data-testid="si-status" data-overdue={String(s.overdue)}>
        {periodText(s.period)} · {t('siDue')} {time(s.dueAt)} ·{' '}
        {s.reported ? t('siReported') : s.overdue ? `${t('siOverdue')} ${s.daysOverdue} ${t('siDays')}` : t('siNotYet')}
        <span class="muted">{paren(t('siDueSource'))}</span>
      </p>
      <ReportForm base={base} period={s.period} onSaved={() => setTick((n) => n + 1)} />
      <h3>{t('siPast')}</h3>
      {data.reports.length === 0 ? (
        <p class="empty">{t('siNone')}</p>
      ) : (
        <ul class="si-reports" data-testid="si-reports">
          {data.reports.map((r) => (
            <li key={r.id} data-testid={`si-report-${r.period}`} data-current={String(r.current)}>
              <strong>{periodText(r.period)}</strong> <span class="muted">{time(r.submittedAt)}</span>
              {r.current ? <span class="chip si-current">{t('siCurrent')}</span> : <span class="chip si-replaced">{t('siReplaced')}</span>}
              <p>{r.summary}</p>
              {r.hazards.length === 0 ? (
                <p class="muted">{t('siNoHazards')}</p>
              ) : (
                <ul>
                  {r.hazards.map((h) => (
                    <HazardRow key={h.id} h={h} base={base} canMark={r.current} onSaved={() => setTick((n) => n + 1)} />
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function HazardRow({ h, base, canMark, onSaved }: { h: Hazard; base: string; canMark: boolean; onSaved: () => void }) {
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState('');
  const [msg, setMsg] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <li data-testid="si-hazard" data-rectified={String(h.rectifiedAt !== null)}>
      {h.major && <span class="chip grade-red">{t('siMajor')}</span>} {h.description} · {t('siMeasures')}：{h.measures} · {t('siDeadline')} {time(h.deadline)}
      {h.rectifiedAt !== null ? (
        <span class="chip si-rectified">
          {t('siRectified')} {time(h.rectifiedAt)}
          {colon()}
          {h.rectifiedNote}
        </span>
      ) : (
        canMark &&
        (open ? (
          <form
            class="rsp-form"
            onSubmit={(e) => {
              e.preventDefault();
              setBusy(true);
              setMsg(undefined);
              api('POST', `${base}/self-reported-hazards/${encodeURIComponent(h.id)}/rectified`, { note })
                .then(onSaved, (err: unknown) => setMsg((err as Error).message))
                .finally(() => setBusy(false));
            }}
          >
            <label>
              {t('siRectifyNote')}
              <textarea
                required
                maxLength={4000}
                value={note}
                onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)}
                data-testid="si-rectify-note"
              />
            </label>
            <button type="submit" class="primary" disabled={busy || note.trim() === ''} data-testid="si-rectify-confirm">
              {t('confirm')}
            </button>
            {msg && <p class="note">{msg}</p>}
          </form>
        ) : (
          <button onClick={() => setOpen(true)} data-testid="si-rectify">
            {t('siMarkRectified')}
          </button>
        ))
      )}
    </li>
  );
}

function ReportForm({ base, period: due, onSaved }: { base: string; period: string; onSaved: () => void }) {
  const [period, setPeriod] = useState(due);
  const [summary, setSummary] = useState('');
  const [hazards, setHazards] = useState<HazardDraft[]>([]);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<string | undefined>();
  const set = (i: number, patch: Partial<HazardDraft>) => setHazards((hs) => hs.map((h, j) => (j === i ? { ...h, ...patch } : h)));
  return (
    <form
      class="rsp-form si-form"
      data-testid="si-form"
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setMsg(undefined);
        const body = {
          period: period.trim(),
          summary,
          hazards: hazards.map((h) => ({ description: h.description, major: h.major, measures: h.measures, deadline: endOfDayCst(h.deadline) })),
        };
        api('POST', `${base}/self-inspections`, body)
          .then(
            () => {
              setSummary('');
              setHazards([]);
              setMsg(t('siSubmitted'));
              onSaved();
            },
            (err: unknown) => setMsg((err as Error).message),
          )
          .finally(() => setBusy(false));
      }}
    >
      <h3>{t('siNew')}</h3>
      <label>
        {t('siPeriod')}
        <input required pattern="\d{4}-Q[1-4]" value={period} onInput={(e) => setPeriod((e.target as HTMLInputElement).value)} data-testid="si-period" />
      </label>
      <label>
        {t('siSummary')}
        <textarea required maxLength={8000} value={summary} onInput={(e) => setSummary((e.target as HTMLTextAreaElement).value)} data-testid="si-summary" />
      </label>
      {hazards.map((h, i) => (
        <fieldset key={i} data-testid="si-hazard-draft">
          <legend>
            {t('siHazard')} {i + 1}
          </legend>
          <label>
            {t('siDescription')}
            <textarea required maxLength={2000} value={h.description} onInput={(e) => set(i, { description: (e.target as HTMLTextAreaElement).value })} />
          </label>
          <label>
            <input type="checkbox" checked={h.major} onChange={(e) => set(i, { major: (e.target as HTMLInputElement).checked })} /> {t('siMajor')}
          </label>
          <label>
            {t('siMeasures')}
            <textarea required maxLength={2000} value={h.measures} onInput={(e) => set(i, { measures: (e.target as HTMLTextAreaElement).value })} />
          </label>
          <label>
            {t('siDeadline')}
            <input type="date" required value={h.deadline} onInput={(e) => set(i, { deadline: (e.target as HTMLInputElement).value })} />
          </label>
          <button type="button" class="link" onClick={() => setHazards((hs) => hs.filter((_, j) => j !== i))}>
            {t('siRemoveHazard')}
          </button>
        </fieldset>
      ))}
      <button type="button" onClick={() => setHazards((hs) => [...hs, blank()])} data-testid="si-add-hazard">
        {t('siAddHazard')}
      </button>{' '}
      <button type="submit" class="primary" disabled={busy} data-testid="si-submit">
        {t('siSubmit')}
      </button>
      {msg && (
        <p class="note" role="status" data-testid="si-note">
          {msg}
        </p>
      )}
    </form>
  );
}
