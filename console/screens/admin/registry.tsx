/**
 * Admin · point registry (测点登记, issue #17 items 1 and 2): an enterprise's points with tag number,
 * indicator code, unit, range, registered alarm marks, major hazard source, zone and location, whether it is
 * in use or stopped on record (reason, person, time), and its links; filtered by state, hazard source and
 * tag or name. A point is edited (marks only as its kind allows, links only as the relations allow; the
 * platform's warnings shown after saving), stopped with a reason and put back in use. Below: the
 * enterprise's major hazard sources and the point list's import and export.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { both, paren, t } from '../../i18n.ts';
import { HazardSources } from './hazard-sources.tsx';
import { PointEditor } from './point-editor.tsx';
import { PointImport } from './point-import.tsx';
import { MARKS, MARK_KEYS, localMessage, localised, stamp, type HazardSource, type RegistryPoint, type Vocabulary } from './registry-model.ts';
import { EnterprisePicker, useAction } from './shared.tsx';

export function Registry() {
  const [ent, setEnt] = useState('');
  return (
    <>
      <EnterprisePicker value={ent} onChange={setEnt} />
      {ent && <EnterpriseRegistry key={ent} enterpriseId={ent} />}
    </>
  );
}

type StateFilter = '' | 'inUse' | 'stopped';
/** The hazard-source filter: '' every point, NO_SOURCE the points in none, else a source's code. */
const NO_SOURCE = '\u0000none';

function EnterpriseRegistry({ enterpriseId }: { enterpriseId: string }) {
  const base = `/api/v1/enterprises/${encodeURIComponent(enterpriseId)}`;
  const [points, setPoints] = useState<RegistryPoint[] | undefined>();
  const [sources, setSources] = useState<HazardSource[]>([]);
  const [vocab, setVocab] = useState<Vocabulary | undefined>();
  const [people, setPeople] = useState<Map<string, string>>(new Map());
  const [loadError, setLoadError] = useState<string | undefined>();
  const [stateFilter, setStateFilter] = useState<StateFilter>('');
  const [sourceFilter, setSourceFilter] = useState('');
  const [q, setQ] = useState('');
  const [editing, setEditing] = useState<string | undefined>();
  const [stopping, setStopping] = useState<string | undefined>();
  const [reason, setReason] = useState('');
  const { run, busy, view } = useAction();

  const reload = async () => {
    const [p, h] = await Promise.all([
      api<{ sensors: RegistryPoint[] }>('GET', `${base}/sensors`),
      api<{ hazardSources: HazardSource[] }>('GET', `${base}/hazard-sources`),
    ]);
    setPoints(p.sensors);
    setSources(h.hazardSources);
  };
  useEffect(() => {
    reload().catch((err: unknown) => setLoadError(localMessage((err as Error).message)));
    api<Vocabulary>('GET', '/api/v1/vocabulary').then(setVocab, (err: unknown) => setLoadError(localMessage((err as Error).message)));
    // who stopped a point, by name; without the list the person's id is shown
    api<{ officers: { id: string; name: string }[] }>('GET', '/api/v1/officers').then(
      (r) => setPeople(new Map(r.officers.map((o) => [`user:${o.id}`, o.name]))),
      () => undefined,
    );
  }, [base]);

  if (loadError) return <p class="error">{loadError}</p>;
  if (!points || !vocab) return <p class="loading">…</p>;

  const codeOf = new Map(vocab.indicatorCodes.map((c) => [c.kind, c]));
  const relationOf = new Map(vocab.relations.map((r) => [r.id, r]));
  const tagOf = new Map(points.map((p) => [p.id, p.tagNo]));
  const sourceName = new Map(sources.map((s) => [s.code, s.name]));
  const person = (by: string) => people.get(by) ?? by.replace(/^user:/, '');
  const needle = q.trim().toLowerCase();
  const shown = points.filter(
    (p) =>
      (stateFilter === '' || (stateFilter === 'stopped') === Boolean(p.stopped)) &&
      (sourceFilter === '' || (sourceFilter === NO_SOURCE ? !p.hazardSourceCode : p.hazardSourceCode === sourceFilter)) &&
      (needle === '' || p.tagNo.toLowerCase().includes(needle) || p.name.toLowerCase().includes(needle)),
  );
  const editingPoint = editing === undefined ? undefined : points.find((p) => p.id === editing);

  const stop = (p: RegistryPoint) =>
    run(async () => {
      await localised(api('POST', `${base}/sensors/${encodeURIComponent(p.id)}/stop`, { reason }));
      setStopping(undefined);
      setReason('');
      await reload();
      return `${p.tagNo} ${t('stoppedState')}`;
    });
  const resume = (p: RegistryPoint) =>
    run(async () => {
      await localised(api('POST', `${base}/sensors/${encodeURIComponent(p.id)}/resume`));
      await reload();
      return `${p.tagNo} ${t('inUse')}`;
    });

  return (
    <section data-testid="registry">
      <h3>{t('registry')}</h3>
      <div class="filters">
        <select
          aria-label={t('state')}
          value={stateFilter}
          onChange={(e) => setStateFilter((e.target as HTMLSelectElement).value as StateFilter)}
          data-testid="filter-point-state"
        >
          <option value="">
            {t('state')}: {t('all')}
          </option>
          <option value="inUse">{t('inUse')}</option>
          <option value="stopped">{t('stoppedState')}</option>
        </select>
        <select
          aria-label={t('hazardSources')}
          value={sourceFilter}
          onChange={(e) => setSourceFilter((e.target as HTMLSelectElement).value)}
          data-testid="filter-hazard-source"
        >
          <option value="">
            {t('hazardSources')}: {t('all')}
          </option>
          {sources.map((s) => (
            <option key={s.code} value={s.code}>
              {s.name}
              {paren(s.code)}
            </option>
          ))}
          <option value={NO_SOURCE}>{t('notInHazardSource')}</option>
        </select>
        <input
          aria-label={t('searchPoints')}
          placeholder={t('searchPoints')}
          value={q}
          onInput={(e) => setQ((e.target as HTMLInputElement).value)}
          data-testid="point-search"
        />
      </div>
      <p class="muted">{t('marksHelp')}</p>
      {view}
      <div class="table-scroll" tabIndex={0} role="region" aria-label={t('registry')}>
        <table class="ranking registry" data-testid="points">
          <thead>
            <tr>
              <th>{t('tagNo')}</th>
              <th>{t('name')}</th>
              <th>{t('indicatorCode')}</th>
              <th>{t('unit')}</th>
              <th>{t('range')}</th>
              {MARKS.map((m) => (
                <th key={m}>{t(MARK_KEYS[m])}</th>
              ))}
              <th>{t('hazardSources')}</th>
              <th>{t('zoneLocation')}</th>
              <th>{t('state')}</th>
              <th>{t('links')}</th>
              <th>
                <span class="visually-hidden">{t('edit')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && (
              <tr>
                <td colSpan={15} class="muted">
                  {t('noPoints')}
                </td>
              </tr>
            )}
            {shown.map((p) => {
              const code = codeOf.get(p.kind);
              return (
                <tr key={p.id} data-testid={`point-${p.id}`} class={p.stopped ? 'stopped' : ''}>
                  <td data-testid="tag">{p.tagNo}</td>
                  <td class="wrap">{p.name}</td>
                  <td>
                    {p.indicatorCode ?? code?.code ?? ''} {code ? both(code) : ''}
                  </td>
                  <td>{p.unit}</td>
                  <td>{p.range ? `${p.range.min}–${p.range.max}` : ''}</td>
                  {MARKS.map((m) => (
                    <td key={m} data-testid={`mark-${m}`}>
                      {p.marks?.[m] ?? ''}
                    </td>
                  ))}
                  <td>{p.hazardSourceCode ? (sourceName.get(p.hazardSourceCode) ?? p.hazardSourceCode) : ''}</td>
                  <td>{[p.zone, p.location].filter((x) => x).join(' / ')}</td>
                  <td class="wrap" data-testid="point-state">
                    {p.stopped ? (
                      <>
                        <span class="chip grade-orange">{t('stoppedState')}</span> {p.stopped.reason}
                        <br />
                        <span class="muted">
                          {person(p.stopped.by)} · <span class="stamp">{stamp(p.stopped.at)}</span>
                        </span>
                      </>
                    ) : (
                      t('inUse')
                    )}
                  </td>
                  <td data-testid="point-links">
                    {Object.entries(p.links ?? {}).flatMap(([rel, targets]) =>
                      targets.map((target) => (
                        <div key={`${rel}-${target}`}>
                          {relationOf.has(rel) ? both(relationOf.get(rel)) : rel} → {tagOf.get(target) ?? target}
                        </div>
                      )),
                    )}
                  </td>
                  <td class="actions-cell">
                    <button type="button" disabled={busy} onClick={() => setEditing(p.id)} data-testid={`edit-${p.id}`}>
                      {t('edit')}
                    </button>{' '}
                    {p.stopped ? (
                      <button type="button" disabled={busy} onClick={() => void resume(p)} data-testid={`resume-${p.id}`}>
                        {t('resumePoint')}
                      </button>
                    ) : (
                      <button type="button" disabled={busy} onClick={() => setStopping(stopping === p.id ? undefined : p.id)} data-testid={`stop-${p.id}`}>
                        {t('stopPoint')}
                      </button>
                    )}
                    {stopping === p.id && !p.stopped && (
                      <form
                        class="inline"
                        onSubmit={(e) => {
                          e.preventDefault();
                          void stop(p);
                        }}
                        data-testid="stop-form"
                      >
                        <label>
                          {t('stopReason')}
                          <input value={reason} required onInput={(e) => setReason((e.target as HTMLInputElement).value)} data-testid="stop-reason" />
                        </label>
                        <button type="submit" class="primary" disabled={busy || reason.trim() === ''} data-testid="confirm-stop">
                          {t('stopPoint')}
                        </button>
                        <button type="button" onClick={() => setStopping(undefined)}>
                          {t('cancel')}
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {editingPoint && (
        <PointEditor
          key={editingPoint.id}
          base={base}
          point={editingPoint}
          points={points}
          sources={sources}
          vocab={vocab}
          onSaved={reload}
          onClose={() => setEditing(undefined)}
        />
      )}
      <HazardSources base={base} sources={sources} onChanged={reload} />
      <PointImport base={base} onImported={reload} columns={vocab?.sheetColumns} />
    </section>
  );
}
