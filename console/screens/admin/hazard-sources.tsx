/**
 * Admin · an enterprise's major hazard sources (重大危险源): register one, change it, delete it. The level is
 * not typed: the platform derives it from R (GB 18218-2018: R ≥ 100 一级, 50 ≤ R < 100 二级, 10 ≤ R < 50
 * 三级, R < 10 四级) and the form shows the level the R typed gives. The three responsible persons
 * (主要、技术、操作负责人) each with a phone.
 */
import { useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { colon, t, type Key } from '../../i18n.ts';
import { PERSON_KEYS, PERSON_ROLES, levelForR, localised, type HazardSource } from './registry-model.ts';
import { useAction } from './shared.tsx';

const FIELDS = ['code', 'name', 'rValue', 'mainName', 'mainPhone', 'technicalName', 'technicalPhone', 'operationalName', 'operationalPhone'] as const;
type Form = Record<(typeof FIELDS)[number], string>;
const EMPTY: Form = Object.fromEntries(FIELDS.map((k) => [k, ''])) as Form;

const formOf = (h: HazardSource): Form => ({
  code: h.code,
  name: h.name,
  rValue: String(h.rValue),
  mainName: h.persons.main.name,
  mainPhone: h.persons.main.phone,
  technicalName: h.persons.technical.name,
  technicalPhone: h.persons.technical.phone,
  operationalName: h.persons.operational.name,
  operationalPhone: h.persons.operational.phone,
});

const bodyOf = (f: Form) => ({
  name: f.name.trim(),
  rValue: f.rValue.trim() === '' ? undefined : Number(f.rValue),
  persons: Object.fromEntries(PERSON_ROLES.map((r) => [r, { name: f[`${r}Name`].trim(), phone: f[`${r}Phone`].trim() }])),
});

const LABELS: Record<'code' | 'name' | 'rValue', Key> = { code: 'hazardCode', name: 'hazardName', rValue: 'rValue' };

export function HazardSources({ base, sources, onChanged }: { base: string; sources: HazardSource[]; onChanged: () => Promise<void> }) {
  const [form, setForm] = useState<Form>(EMPTY);
  /** The code of the source being changed; undefined: the form registers a new one. */
  const [editing, setEditing] = useState<string | undefined>();
  const [deleting, setDeleting] = useState<string | undefined>();
  const { run, busy, view } = useAction();
  const r = Number(form.rValue);
  const hint = form.rValue.trim() !== '' && Number.isFinite(r) && r >= 0 ? t(`hazardLevel${levelForR(r)}`) : undefined;
  const set = (k: keyof Form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const save = () =>
    run(async () => {
      if (form.rValue.trim() !== '' && !Number.isFinite(r)) throw new Error(`${t('rValue')}${t('needNumber')}`);
      if (editing === undefined) await localised(api('POST', `${base}/hazard-sources`, { code: form.code.trim(), ...bodyOf(form) }));
      else await localised(api('PATCH', `${base}/hazard-sources/${encodeURIComponent(editing)}`, bodyOf(form)));
      setEditing(undefined);
      setForm(EMPTY);
      await onChanged();
    });
  const remove = (code: string) =>
    run(async () => {
      await localised(api('DELETE', `${base}/hazard-sources/${encodeURIComponent(code)}`));
      setDeleting(undefined);
      if (editing === code) {
        setEditing(undefined);
        setForm(EMPTY);
      }
      await onChanged();
    });

  return (
    <section data-testid="hazard-admin">
      <h3>{t('hazardSources')}</h3>
      {sources.length === 0 ? (
        <p class="muted">{t('noHazardSources')}</p>
      ) : (
        <table class="ranking" data-testid="hazard-list">
          <thead>
            <tr>
              <th>{t('hazardCode')}</th>
              <th>{t('hazardName')}</th>
              <th>{t('hazardLevel')}</th>
              <th>{t('rValue')}</th>
              {PERSON_ROLES.map((role) => (
                <th key={role}>{t(PERSON_KEYS[role])}</th>
              ))}
              <th>
                <span class="visually-hidden">{t('edit')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sources.map((h) => (
              <tr key={h.code} data-testid={`hazard-${h.code}`}>
                <td>{h.code}</td>
                <td>{h.name}</td>
                <td>{t(`hazardLevel${h.level}`)}</td>
                <td>{h.rValue}</td>
                {PERSON_ROLES.map((role) => (
                  <td key={role}>
                    {h.persons[role].name} · {h.persons[role].phone}
                  </td>
                ))}
                <td>
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() => {
                      setEditing(h.code);
                      setForm(formOf(h));
                    }}
                    data-testid={`edit-hazard-${h.code}`}
                  >
                    {t('edit')}
                  </button>{' '}
                  {deleting === h.code ? (
                    <button type="button" class="primary" disabled={busy} onClick={() => void remove(h.code)} data-testid={`confirm-delete-${h.code}`}>
                      {t('confirmDelete')}
                    </button>
                  ) : (
                    <button type="button" disabled={busy} onClick={() => setDeleting(h.code)} data-testid={`delete-hazard-${h.code}`}>
                      {t('deleteHazardSource')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h4>{editing === undefined ? t('addHazardSource') : `${t('editHazardSource')}${colon()}${editing}`}</h4>
      <form
        class="grid-form"
        data-testid="hazard-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {(['code', 'name', 'rValue'] as const).map((k) => (
          <label key={k}>
            {t(LABELS[k])}
            <input
              name={k}
              value={form[k]}
              onInput={set(k)}
              required
              readOnly={k === 'code' && editing !== undefined}
              inputMode={k === 'rValue' ? 'decimal' : undefined}
            />
          </label>
        ))}
        <p class="muted" data-testid="level-hint">
          {hint ? `${t('levelByR')}：${hint}。` : ''}
          {t('levelRule')}
        </p>
        {PERSON_ROLES.map((role) => (
          <fieldset key={role}>
            <legend>{t(PERSON_KEYS[role])}</legend>
            <label>
              {t('personName')}
              <input name={`${role}Name`} value={form[`${role}Name`]} onInput={set(`${role}Name`)} required />
            </label>
            <label>
              {t('phone')}
              <input name={`${role}Phone`} type="tel" value={form[`${role}Phone`]} onInput={set(`${role}Phone`)} required />
            </label>
          </fieldset>
        ))}
        <button type="submit" class="primary" disabled={busy} data-testid="save-hazard">
          {editing === undefined ? t('addHazardSource') : t('save')}
        </button>
        {editing !== undefined && (
          <button
            type="button"
            onClick={() => {
              setEditing(undefined);
              setForm(EMPTY);
            }}
          >
            {t('cancel')}
          </button>
        )}
      </form>
      {view}
    </section>
  );
}
