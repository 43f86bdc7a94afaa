/** Admin · users: officers with their roles and passwords; create, disable, unlock. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { paren, t } from '../../i18n.ts';
import { ActionForm, Field, useAction } from './shared.tsx';

/** The enterprise's own people (issue #18): 安全管理负责人, 包保责任人. */
const ENTERPRISE_ROLES = ['safety_manager', 'responsible_person'];

interface Officer {
  id: string;
  name: string;
  role: string;
  authorityId: string;
  enterpriseId?: string;
  phone?: string | null;
  disabled: boolean;
  hasPassword: boolean;
}

export function Users() {
  const [list, setList] = useState<Officer[]>([]);
  const [form, setForm] = useState({ id: '', name: '', authorityId: '', role: 'duty_officer', password: '', enterpriseId: '', phone: '' });
  const [enterprises, setEnterprises] = useState<{ id: string; name: string }[]>([]);
  const { run, busy, view } = useAction();
  const load = () => api<{ officers: Officer[] }>('GET', '/api/v1/officers').then((r) => setList(r.officers));
  useEffect(() => void load(), []);
  // an enterprise user (issue #18) belongs to an enterprise and takes its authority
  const enterpriseUser = ENTERPRISE_ROLES.includes(form.role);
  useEffect(() => {
    if (enterpriseUser && enterprises.length === 0)
      void api<{ enterprises: { id: string; name: string }[] }>('GET', '/api/v1/enterprises').then((r) => setEnterprises(r.enterprises));
  }, [enterpriseUser, enterprises.length]);
  const body = () => {
    const { enterpriseId, phone, authorityId, ...rest } = form;
    return {
      ...rest,
      password: form.password || undefined,
      ...(enterpriseUser ? { enterpriseId, ...(phone.trim() && { phone: phone.trim() }) } : { authorityId }),
    };
  };
  return (
    <>
      <ActionForm
        run={run}
        action={async () => {
          await api('POST', '/api/v1/officers', body());
          setForm({ ...form, id: '', name: '', password: '', phone: '' });
          await load();
        }}
      >
        <Field label={t('username')} name="id" value={form} set={setForm} />
        <Field label={t('name')} name="name" value={form} set={setForm} />
        <label>
          {t('role')}
          <select name="role" value={form.role} onChange={(e) => setForm({ ...form, role: (e.target as HTMLSelectElement).value })}>
            {['duty_officer', 'inspector', 'leader', 'admin', ...ENTERPRISE_ROLES].map((r) => (
              <option key={r} value={r}>
                {t(r as 'duty_officer')}
              </option>
            ))}
          </select>
        </label>
        {enterpriseUser ? (
          <>
            <label>
              {t('rspEnterprise')}
              <select
                name="enterpriseId"
                required
                value={form.enterpriseId}
                onChange={(e) => setForm({ ...form, enterpriseId: (e.target as HTMLSelectElement).value })}
              >
                <option value="">{t('rspChoose')}</option>
                {enterprises.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.name}
                    {paren(x.id)}
                  </option>
                ))}
              </select>
            </label>
            <Field label={t('phone')} name="phone" value={form} set={setForm} />
          </>
        ) : (
          <Field label={t('authority')} name="authorityId" value={form} set={setForm} />
        )}
        <Field label={t('password')} name="password" type="password" value={form} set={setForm} />
        <button type="submit" class="primary" disabled={busy} data-testid="create-officer">
          {t('create')}
        </button>
      </ActionForm>
      {view}
      <table class="ranking">
        <tbody>
          {list.map((o) => (
            <tr key={o.id} class={o.disabled ? 'muted' : ''}>
              <td>{o.id}</td>
              <td>{o.name}</td>
              <td>{t(o.role as 'duty_officer')}</td>
              <td>{o.enterpriseId ? `${o.enterpriseId} · ${o.phone ?? ''}` : o.authorityId}</td>
              <td>
                {!o.disabled && (
                  <button
                    disabled={busy}
                    onClick={() =>
                      void run(async () => {
                        await api('POST', `/api/v1/officers/${o.id}/disable`);
                        await load();
                      })
                    }
                  >
                    {t('revoke')}
                  </button>
                )}{' '}
                <button
                  disabled={busy}
                  data-testid={`unlock-${o.id}`}
                  onClick={() =>
                    void run(async () => {
                      await api('POST', `/api/v1/officers/${encodeURIComponent(o.id)}/unlock`);
                    })
                  }
                >
                  {t('unlock')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
