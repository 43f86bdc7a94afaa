/**
 * Admin · audit: the audit trail, newest first, filtered by action, subject type, who acted (each by name), a time
 * range and a subject id; a page at a time ("load more": the API's `before`); and a check of its hash chains.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { both, fill, t, time } from '../../i18n.ts';
import type { Text } from '../../types.ts';
import { SelectField, useAction, TableScroll } from './shared.tsx';

interface AuditRecord {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  actionName: Text;
  subjectTypeName: Text;
  actorName: Text;
}

interface Verification {
  ok: boolean;
  audit: { ok: boolean; records: number; brokenAt?: number; reason?: string };
  alertEvents: { ok: boolean; brokenAt?: number; reason?: string };
  records: { ok: boolean; table?: string; key?: string; reason?: string };
}

type Named = { id: string } & Text;
interface Answer {
  records: AuditRecord[];
  actions: Named[];
  subjectTypes: Named[];
  systemActors: Named[];
}

/** Records per page: the console's choice (the API allows up to 1000). */
const PAGE = 50;
const EMPTY = { action: '', subjectType: '', actor: '', from: '', to: '', subjectId: '' };

/** A `datetime-local` value (China Standard Time, as the console shows times) as an ISO time with +08:00. */
const cst = (v: string) => (v.length === 16 ? `${v}:00+08:00` : `${v}+08:00`);

function query(f: typeof EMPTY, before?: number): string {
  const q = new URLSearchParams({ order: 'desc', limit: String(PAGE) });
  if (f.action) q.set('action', f.action);
  if (f.subjectType) q.set('subjectType', f.subjectType);
  if (f.actor) q.set('actor', f.actor);
  if (f.subjectId.trim()) q.set('subjectId', f.subjectId.trim());
  if (f.from) q.set('from', cst(f.from));
  if (f.to) q.set('to', cst(f.to));
  if (before !== undefined) q.set('before', String(before));
  return q.toString();
}

export function Audit() {
  const [records, setRecords] = useState<AuditRecord[]>([]);
  const [more, setMore] = useState(false);
  const [names, setNames] = useState<Omit<Answer, 'records'>>({ actions: [], subjectTypes: [], systemActors: [] });
  const [officers, setOfficers] = useState<{ id: string; name: string }[]>([]);
  const [filter, setFilter] = useState(EMPTY);
  // the filters of the records shown ("load more" goes on with them, not with what is being typed)
  const [applied, setApplied] = useState(EMPTY);
  const [check, setCheck] = useState<Verification | undefined>();
  const [error, setError] = useState<string | undefined>();
  const { run, busy, view } = useAction();
  const fetchPage = async (f: typeof EMPTY, before?: number) => {
    setError(undefined);
    setApplied(f);
    try {
      const r = await api<Answer>('GET', `/api/v1/audit?${query(f, before)}`);
      setNames({ actions: r.actions, subjectTypes: r.subjectTypes, systemActors: r.systemActors });
      setRecords((old) => (before === undefined ? r.records : [...old, ...r.records]));
      setMore(r.records.length === PAGE);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  useEffect(() => {
    void fetchPage(EMPTY);
    void api<{ officers: { id: string; name: string }[] }>('GET', '/api/v1/officers').then(
      (r) => setOfficers(r.officers),
      () => undefined,
    );
  }, []);
  const set = (k: keyof typeof EMPTY) => (e: Event) => setFilter({ ...filter, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  return (
    <>
      <button
        class="primary"
        disabled={busy}
        data-testid="verify"
        onClick={() =>
          void run(async () => {
            const v = await api<Verification>('GET', '/api/v1/audit/verify');
            setCheck(v);
            return v.ok ? t('chainIntact') : t('chainBroken');
          })
        }
      >
        {t('verifyChain')}
      </button>
      {view}
      {check && !check.ok && (
        <p class="error" data-testid="broken">
          {[
            !check.audit.ok && `audit #${check.audit.brokenAt}: ${check.audit.reason}`,
            !check.alertEvents.ok && `alert event #${check.alertEvents.brokenAt}: ${check.alertEvents.reason}`,
            !check.records.ok && `${check.records.table} ${check.records.key}: ${check.records.reason}`,
          ]
            .filter(Boolean)
            .join(' · ')}
        </p>
      )}
      <form
        class="audit-filters"
        data-testid="audit-filters"
        onSubmit={(e) => {
          e.preventDefault();
          void fetchPage(filter);
        }}
      >
        <SelectField
          label={t('admAuditAction')}
          name="action"
          value={filter}
          set={setFilter}
          options={[{ value: '', label: t('admAll') }, ...names.actions.map((a) => ({ value: a.id, label: both(a) }))]}
        />
        <SelectField
          label={t('admAuditSubjectType')}
          name="subjectType"
          value={filter}
          set={setFilter}
          options={[{ value: '', label: t('admAll') }, ...names.subjectTypes.map((a) => ({ value: a.id, label: both(a) }))]}
        />
        <SelectField
          label={t('admAuditActor')}
          name="actor"
          value={filter}
          set={setFilter}
          options={[
            { value: '', label: t('admAll') },
            ...officers.map((o) => ({ value: `user:${o.id}`, label: o.name })),
            ...names.systemActors.map((a) => ({ value: a.id, label: both(a) })),
          ]}
        />
        <label>
          {t('admAuditFrom')}
          <input type="datetime-local" step="1" name="from" value={filter.from} onInput={set('from')} />
        </label>
        <label>
          {t('admAuditTo')}
          <input type="datetime-local" step="1" name="to" value={filter.to} onInput={set('to')} />
        </label>
        <label>
          {t('admAuditSubjectId')}
          <input type="search" name="subjectId" value={filter.subjectId} onInput={set('subjectId')} />
        </label>
        <button type="submit" class="primary" data-testid="audit-apply">
          {t('admAuditApply')}
        </button>
        <button
          type="button"
          data-testid="audit-reset"
          onClick={() => {
            setFilter(EMPTY);
            void fetchPage(EMPTY);
          }}
        >
          {t('admAuditReset')}
        </button>
      </form>
      {error && (
        <p class="error" role="alert" data-testid="audit-error">
          {error}
        </p>
      )}
      <TableScroll label={t('audit')}>
        <table class="ranking" data-testid="audit-records">
          <thead>
            <tr>
              <th scope="col">{t('admColSeq')}</th>
              <th scope="col">{t('admColTime')}</th>
              <th scope="col">{t('admColActor')}</th>
              <th scope="col">{t('admColAction')}</th>
              <th scope="col">{t('admColSubject')}</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => (
              <tr key={r.seq} data-action={r.action}>
                <td>{r.seq}</td>
                <td>{time(r.at)}</td>
                <td>{both(r.actorName)}</td>
                <td>{both(r.actionName)}</td>
                <td>
                  {both(r.subjectTypeName)} <span class="muted">{r.subjectId}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <p class="muted" data-testid="audit-count">
        {records.length === 0 ? t('admAuditNone') : `${fill('admAuditShown', { n: records.length })}${more ? '' : ` · ${t('admAuditEnd')}`}`}
      </p>
      {more && (
        <button type="button" data-testid="audit-more" onClick={() => void fetchPage(applied, records.at(-1)?.seq)}>
          {t('admAuditMore')}
        </button>
      )}
    </>
  );
}
