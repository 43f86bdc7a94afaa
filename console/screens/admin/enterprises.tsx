/** Admin · enterprises: create one, set its identity on record (credit code, address, coordinates, safety manager) and its ledger facts (grade, key enterprise). */
import { useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { sectorOptions, standardizationGrade, useNames } from '../../vocab.ts';
import { t } from '../../i18n.ts';
import type { LedgerEntry } from '../../../ledger/enterprise-facts.ts';
import { ActionForm, EnterprisePicker, Field, SelectField, useAction, useAuthorities } from './shared.tsx';

const IDENTITY = ['creditCode', 'address', 'longitude', 'latitude', 'safetyManagerName', 'safetyManagerPhone'] as const;
type IdentityForm = Record<'id' | (typeof IDENTITY)[number], string>;
const EMPTY_IDENTITY: IdentityForm = { id: '', creditCode: '', address: '', longitude: '', latitude: '', safetyManagerName: '', safetyManagerPhone: '' };

/** The form's text as the PATCH body: every field sent, an empty one as null (cleared), coordinates as numbers. */
function identityBody(f: IdentityForm): Record<string, string | number | null> {
  const body: Record<string, string | number | null> = {};
  for (const k of IDENTITY) {
    const v = f[k].trim();
    body[k] = v === '' ? null : k === 'longitude' || k === 'latitude' ? Number(v) : v;
  }
  return body;
}

const formOf = (e: Pick<LedgerEntry, 'id' | (typeof IDENTITY)[number]>): IdentityForm =>
  ({ id: e.id, ...Object.fromEntries(IDENTITY.map((k) => [k, e[k] === null ? '' : String(e[k])])) }) as IdentityForm;

export function Enterprises() {
  useNames();
  const authorities = useAuthorities();
  const [form, setForm] = useState({ id: '', name: '', sector: 'hazardous_chemicals', authorityId: '', creditCode: '' });
  const [ledger, setLedger] = useState({ id: '', grade: 'ungraded', keyEnterprise: 'false' });
  const [identity, setIdentity] = useState<IdentityForm>(EMPTY_IDENTITY);
  // saving clears empty fields, so it waits until the enterprise's current identity is loaded
  const [loaded, setLoaded] = useState<string | undefined>();
  const { run, busy, view } = useAction();
  const load = () =>
    run(async () => {
      const e = await api<LedgerEntry>('GET', `/api/v1/enterprises/${encodeURIComponent(identity.id)}/ledger`);
      setIdentity(formOf(e));
      setLoaded(e.id);
      return `${e.name} ${e.id}`;
    });
  return (
    <>
      <h3>{t('create')}</h3>
      <ActionForm
        run={run}
        action={async () => {
          await api('POST', '/api/v1/enterprises', { ...form, authorityId: form.authorityId || undefined, creditCode: form.creditCode.trim() || undefined });
        }}
      >
        <Field label={t('enterprise')} name="id" value={form} set={setForm} />
        <Field label={t('name')} name="name" value={form} set={setForm} />
        <SelectField label={t('sector')} name="sector" value={form} set={setForm} options={sectorOptions()} />
        <SelectField
          label={t('authority')}
          name="authorityId"
          value={form}
          set={setForm}
          options={[{ value: '', label: t('admNone') }, ...authorities.map((a) => ({ value: a.id, label: a.name }))]}
        />
        <Field label={t('creditCode')} name="creditCode" value={form} set={setForm} />
        <button type="submit" class="primary" disabled={busy} data-testid="create-enterprise">
          {t('create')}
        </button>
      </ActionForm>
      <h3>{t('identity')}</h3>
      <p class="muted">{t('identityHelp')}</p>
      <ActionForm
        run={run}
        action={async () => {
          // the answer is what was stored, normalised (upper-case code, phone as 11 digits or area code-number)
          const saved = await api<LedgerEntry>('PATCH', `/api/v1/enterprises/${encodeURIComponent(identity.id)}`, identityBody(identity));
          setIdentity(formOf(saved));
        }}
      >
        <div data-testid="identity-form" class="contents">
          <Field
            label={t('enterprise')}
            name="id"
            value={identity}
            set={(v) => {
              setIdentity(v);
              if (v.id !== loaded) setLoaded(undefined);
            }}
          />
          <button type="button" disabled={busy || identity.id.trim() === ''} onClick={() => void load()} data-testid="load-identity">
            {t('load')}
          </button>
          <Field label={t('creditCode')} name="creditCode" value={identity} set={setIdentity} />
          <Field label={t('address')} name="address" value={identity} set={setIdentity} />
          <Field label={t('longitude')} name="longitude" value={identity} set={setIdentity} />
          <Field label={t('latitude')} name="latitude" value={identity} set={setIdentity} />
          <Field label={t('safetyManager')} name="safetyManagerName" value={identity} set={setIdentity} />
          <Field label={t('safetyManagerPhone')} name="safetyManagerPhone" value={identity} set={setIdentity} />
          <button type="submit" class="primary" disabled={busy || loaded === undefined} data-testid="save-identity">
            {t('confirm')}
          </button>
        </div>
      </ActionForm>
      <h3>{t('grade')}</h3>
      <ActionForm
        run={run}
        action={async () => {
          await api('PATCH', `/api/v1/enterprises/${encodeURIComponent(ledger.id)}/ledger`, {
            grade: ledger.grade,
            keyEnterprise: ledger.keyEnterprise === 'true',
          });
        }}
      >
        <EnterprisePicker value={ledger.id} onChange={(id) => setLedger({ ...ledger, id })} />
        <label>
          {t('grade')}
          <select value={ledger.grade} onChange={(e) => setLedger({ ...ledger, grade: (e.target as HTMLSelectElement).value })}>
            {['1', '2', '3', 'ungraded'].map((g) => (
              <option key={g} value={g}>
                {standardizationGrade(g)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('keyEnterprise')}
          <select value={ledger.keyEnterprise} onChange={(e) => setLedger({ ...ledger, keyEnterprise: (e.target as HTMLSelectElement).value })}>
            <option value="false">—</option>
            <option value="true">✓</option>
          </select>
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {t('confirm')}
        </button>
      </ActionForm>
      {view}
    </>
  );
}
