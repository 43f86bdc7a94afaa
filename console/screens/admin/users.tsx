/** Admin · users: officers with their roles and passwords; create (the authority chosen by name), disable (after a confirm step), unlock. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { fill, paren, t } from '../../i18n.ts';
import { ActionForm, ConfirmButton, Field, useAction, useAuthorities, TableScroll } from './shared.tsx';

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
  const authorities = useAuthorities();
  const authorityName = (id: string) => authorities.find((a) => a.id === id)?.name ?? id;
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
        <Field label={t('admPersonName')} name="name" value={form} set={setForm} />
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
          <label>
            {t('authority')}
            <select
              name="authorityId"
              required
              value={form.authorityId}
              onChange={(e) => setForm({ ...form, authorityId: (e.target as HTMLSelectElement).value })}
            >
              <option value="">{t('admChoose')}</option>
              {authorities.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <Field label={t('password')} name="password" type="password" value={form} set={setForm} />
        <button type="submit" class="primary" disabled={busy} data-testid="create-officer">
          {t('create')}
        </button>
      </ActionForm>
      {view}
      <TableScroll label={t('officers')}>
        <table class="ranking">
          <thead>
            <tr>
              <th scope="col">{t('username')}</th>
              <th scope="col">{t('admPersonName')}</th>
              <th scope="col">{t('admColRole')}</th>
              <th scope="col">{t('admColBelongs')}</th>
              <th scope="col">{t('admColStatus')}</th>
              <th scope="col">{t('admColActions')}</th>
            </tr>
          </thead>
          <tbody>
            {list.map((o) => (
              <tr key={o.id} class={o.disabled ? 'muted' : ''}>
                <td>{o.id}</td>
                <td>{o.name}</td>
                <td>{t(o.role as 'duty_officer')}</td>
                <td>{o.enterpriseId ? `${o.enterpriseId} · ${o.phone ?? ''}` : authorityName(o.authorityId)}</td>
                <td>{o.disabled ? t('admUserDisabled') : t('admUserActive')}</td>
                <td>
                  {!o.disabled && (
                    <ConfirmButton
                      label={t('revoke')}
                      question={fill('admConfirmDisableUser', { id: o.id, name: o.name })}
                      disabled={busy}
                      testid={`disable-${o.id}`}
                      onConfirm={() =>
                        void run(async () => {
                          await api('POST', `/api/v1/officers/${encodeURIComponent(o.id)}/disable`);
                          await load();
                        })
                      }
                    />
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
      </TableScroll>
    </>
  );
}
