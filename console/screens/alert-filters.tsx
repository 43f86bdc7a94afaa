/**
 * An alarm list an officer can work (issue #20 §3): filters (grade, state, enterprise, authority, rule family, time
 * range), a search, sorting, grouping by enterprise, and the disposal of several resolved non-red alarms at once
 * with one reason. The list holds every alarm still needing an officer (alerts.tsx loads them all) and the latest
 * disposed ones; the filters work on it as it stays live.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { fill, t } from '../i18n.ts';
import { enterpriseName } from '../names.ts';
import type { Alert } from '../types.ts';
import { GradeChip } from './grade-chip.tsx';
import { familyName, GRADES, NO_FILTERS, type AlertFilters, type SortBy, type StateFilter } from '../alert-list.ts';

/** The filter bar. `enterprises`: those of the loaded alarms (id, name); `authorities`: those of their enterprises. */
export function FilterBar({
  filters: f,
  set,
  enterprises,
  authorities,
  families,
}: {
  filters: AlertFilters;
  set: (f: AlertFilters) => void;
  enterprises: { id: string; name: string }[];
  authorities: { id: string; name: string }[];
  families: string[];
}) {
  const on = <K extends keyof AlertFilters>(k: K, v: AlertFilters[K]) => set({ ...f, [k]: v });
  const value = (e: Event) => (e.target as HTMLInputElement | HTMLSelectElement).value;
  const states: StateFilter[] = ['needs_officer', 'firing', 'acknowledged', 'resolved', 'disposed', 'all'];
  const active = Object.entries(f).filter(([k, v]) => k !== 'sort' && k !== 'group' && String(v) !== String(NO_FILTERS[k as keyof AlertFilters])).length;
  return (
    // open on a desk, folded on a phone (the list first); its summary says how many filters are on
    <details class="filter-box" open={wide()}>
      <summary data-testid="filters-toggle">
        {t('filters')}
        {active > 0 && ` · ${fill('filtersOn', { n: active })}`}
      </summary>
      <FilterForm filters={f} on={on} value={value} states={states} enterprises={enterprises} authorities={authorities} families={families} set={set} />
    </details>
  );
}

/** Wide enough for the filters beside the list (not a phone held upright). */
const wide = (): boolean => typeof window === 'undefined' || window.matchMedia('(min-width: 700px)').matches;

function FilterForm({
  filters: f,
  on,
  value,
  states,
  enterprises,
  authorities,
  families,
  set,
}: {
  filters: AlertFilters;
  on: <K extends keyof AlertFilters>(k: K, v: AlertFilters[K]) => void;
  value: (e: Event) => string;
  states: StateFilter[];
  enterprises: { id: string; name: string }[];
  authorities: { id: string; name: string }[];
  families: string[];
  set: (f: AlertFilters) => void;
}) {
  return (
    <form class="filters" data-testid="filters" onSubmit={(e) => e.preventDefault()}>
      <span class="grades" role="group" aria-label={t('grade')}>
        {GRADES.map((g) => (
          <label key={g} class={`chip grade-${g}`}>
            <input
              type="checkbox"
              checked={f.grades.includes(g)}
              onChange={() => on('grades', f.grades.includes(g) ? f.grades.filter((x) => x !== g) : [...f.grades, g])}
              data-testid={`filter-grade-${g}`}
            />{' '}
            {t(g)}
          </label>
        ))}
      </span>
      <label>
        {t('state')}
        <select value={f.state} onChange={(e) => on('state', value(e) as StateFilter)} data-testid="filter-state">
          {states.map((s) => (
            <option key={s} value={s}>
              {t(s === 'needs_officer' ? 'needsOfficer' : s === 'all' ? 'all' : s)}
            </option>
          ))}
        </select>
      </label>
      {enterprises.length > 1 && (
        <label>
          {t('enterprise')}
          <select value={f.enterpriseId} onChange={(e) => on('enterpriseId', value(e))} data-testid="filter-enterprise">
            <option value="">{t('all')}</option>
            {enterprises.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {authorities.length > 1 && (
        <label>
          {t('authority')}
          <select value={f.authorityId} onChange={(e) => on('authorityId', value(e))} data-testid="filter-authority">
            <option value="">{t('all')}</option>
            {authorities.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        {t('ruleFamily')}
        <select value={f.family} onChange={(e) => on('family', value(e))} data-testid="filter-family">
          <option value="">{t('all')}</option>
          {families.map((x) => (
            <option key={x} value={x}>
              {familyName(x)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('periodFrom')}
        <input type="datetime-local" value={f.from} onChange={(e) => on('from', value(e))} data-testid="filter-from" />
      </label>
      <label>
        {t('periodTo')}
        <input type="datetime-local" value={f.to} onChange={(e) => on('to', value(e))} data-testid="filter-to" />
      </label>
      <label>
        {t('search')}
        <input type="search" value={f.q} placeholder={t('searchHint')} onInput={(e) => on('q', value(e))} data-testid="filter-q" />
      </label>
      <label>
        {t('sortBy')}
        <select value={f.sort} onChange={(e) => on('sort', value(e) as SortBy)} data-testid="filter-sort">
          {(['urgency', 'newest', 'oldest', 'enterprise'] as const).map((s) => (
            <option key={s} value={s}>
              {t(`sort_${s}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        <input type="checkbox" checked={f.group} onChange={() => on('group', !f.group)} data-testid="filter-group" /> {t('groupByEnterprise')}
      </label>
      <button type="button" class="link" onClick={() => set(NO_FILTERS)} data-testid="filter-reset">
        {t('resetFilters')}
      </button>
    </form>
  );
}

/** Disposes the chosen resolved non-red alarms with one reason, one by one; says how many were and which were not. */
export function BulkDispose({ chosen, onDone }: { chosen: Alert[]; onDone: (disposed: Alert[]) => void }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | undefined>();
  // the outcome stays in sight after the disposed alarms left the list
  if (chosen.length === 0)
    return note ? (
      <p class="note" role="status" data-testid="bulk-note">
        {note}
      </p>
    ) : null;
  const run = async () => {
    setBusy(true);
    setNote(undefined);
    const done: Alert[] = [];
    const failed: string[] = [];
    for (const a of chosen) {
      try {
        done.push((await api<{ alert: Alert }>('POST', `/api/v1/alerts/${a.id}/dispose`, { text })).alert);
      } catch (err) {
        failed.push(`${enterpriseName(a.enterpriseId)} ${a.subject}: ${(err as Error).message}`);
      }
    }
    setBusy(false);
    onDone(done);
    setNote([fill('bulkDisposed', { n: done.length }), ...failed].join('\n'));
    if (failed.length === 0) setText('');
  };
  return (
    <form
      class="bulk"
      data-testid="bulk-dispose"
      onSubmit={(e) => {
        e.preventDefault();
        void run();
      }}
    >
      <strong>{fill('bulkChosen', { n: chosen.length })}</strong>
      <input
        required
        value={text}
        placeholder={t('bulkReason')}
        aria-label={t('bulkReason')}
        onInput={(e) => setText((e.target as HTMLInputElement).value)}
        data-testid="bulk-reason"
      />
      <button type="submit" disabled={busy || text.trim() === ''} data-testid="bulk-confirm">
        {t('bulkDispose')}
      </button>
      {note && (
        <p class="note" role="status" data-testid="bulk-note">
          {note}
        </p>
      )}
    </form>
  );
}

/** An enterprise group's heading: its name and its alarms per grade. */
export function GroupHeading({ enterpriseId, alerts }: { enterpriseId: string; alerts: Alert[] }) {
  return (
    <li class="group-heading" data-testid={`group-${enterpriseId}`}>
      <strong>{enterpriseName(enterpriseId)}</strong>{' '}
      {GRADES.filter((g) => alerts.some((a) => a.severity === g)).map((g) => (
        <GradeChip key={g} grade={g} count={alerts.filter((a) => a.severity === g).length} />
      ))}{' '}
      <span class="muted">{fill('groupTotal', { n: alerts.length })}</span>
    </li>
  );
}
