/** Admin · enterprises: create one, and set its ledger facts (grade, key enterprise). */
import { useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { t } from '../../i18n.ts';
import { ActionForm, Field, useAction } from './shared.tsx';

export function Enterprises() {
  const [form, setForm] = useState({ id: '', name: '', sector: 'hazardous_chemicals', authorityId: '' });
  const [ledger, setLedger] = useState({ id: '', grade: 'ungraded', keyEnterprise: 'false' });
  const { run, busy, view } = useAction();
  return (
    <>
      <h3>{t('create')}</h3>
      <ActionForm
        run={run}
        action={async () => {
          await api('POST', '/api/v1/enterprises', { ...form, authorityId: form.authorityId || undefined });
        }}
      >
        <Field label={t('enterprise')} name="id" value={form} set={setForm} />
        <Field label={t('name')} name="name" value={form} set={setForm} />
        <Field label={t('sector')} name="sector" value={form} set={setForm} />
        <Field label={t('authority')} name="authorityId" value={form} set={setForm} />
        <button type="submit" class="primary" disabled={busy} data-testid="create-enterprise">
          {t('create')}
        </button>
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
        <Field label={t('enterprise')} name="id" value={ledger} set={setLedger} />
        <label>
          {t('grade')}
          <select value={ledger.grade} onChange={(e) => setLedger({ ...ledger, grade: (e.target as HTMLSelectElement).value })}>
            {['1', '2', '3', 'ungraded'].map((g) => (
              <option key={g} value={g}>
                {g}
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
