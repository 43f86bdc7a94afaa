/** Admin · users: officers with their roles and passwords; create (the authority chosen by name), disable (after a confirm step), unlock. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { fill, paren, t } from '../../i18n.ts';
import { ActionForm, ConfirmButton, Field, SelectField, useAction, useAuthorities, TableScroll } from './shared.tsx';

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
        <SelectField
          label={t('role')}
          name="role"
          value={form}
          set={setForm}
          options={['duty_officer', 'inspector', 'leader', 'admin', ...ENTERPRISE_ROLES].map((r) => ({ value: r, label: t(r as 'duty_officer') }))}
        />
        {enterpriseUser ? (
          <>
            <SelectField
              label={t('rspEnterprise')}
              name="enterpriseId"
              required
              value={form}
              set={setForm}
              options={[{ value: '', label: t('rspChoose') }, ...enterprises.map((x) => ({ value: x.id, label: `${x.name}${paren(x.id)}` }))]}
            />
            <Field label={t('phone')} name="phone" value={form} set={setForm} />
          </>
        ) : (
          <SelectField
            label={t('authority')}
            name="authorityId"
            required
            value={form}
            set={setForm}
            options={[{ value: '', label: t('admChoose') }, ...authorities.map((a) => ({ value: a.id, label: a.name }))]}
          />
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
