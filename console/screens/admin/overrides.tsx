/** Admin · rule overrides: an enterprise's registered alarm limits; set and revoke. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { t } from '../../i18n.ts';
import { ActionForm, EnterprisePicker, Field, useAction } from './shared.tsx';

interface Override {
  enterpriseId: string;
  sensorId?: string;
  ruleId: string;
  params: Record<string, unknown>;
}

export function Overrides() {
  const [ent, setEnt] = useState('');
  const [list, setList] = useState<{ overrides: Override[]; loose: unknown[] }>({ overrides: [], loose: [] });
  const [form, setForm] = useState({ ruleId: 'gas.combustible', sensorId: '', params: '{"levels":{"level1":{"threshold":20}}}' });
  const { run, busy, view } = useAction();
  const load = (id: string) =>
    id ? api<typeof list>('GET', `/api/v1/rule-overrides?enterpriseId=${encodeURIComponent(id)}`).then(setList) : Promise.resolve();
  useEffect(() => void load(ent), [ent]);
  return (
    <>
      <EnterprisePicker value={ent} onChange={setEnt} />
      {ent && (
        <>
          <ActionForm
            run={run}
            action={async () => {
              await api('PUT', '/api/v1/rule-overrides', {
                enterpriseId: ent,
                ruleId: form.ruleId,
                ...(form.sensorId ? { sensorId: form.sensorId } : {}),
                params: JSON.parse(form.params) as unknown,
              });
              await load(ent);
            }}
          >
            <Field label={t('rule')} name="ruleId" value={form} set={setForm} />
            <Field label={t('subject')} name="sensorId" value={form} set={setForm} />
            <Field label={t('overrideParams')} name="params" value={form} set={setForm} />
            <button type="submit" class="primary" disabled={busy}>
              {t('confirm')}
            </button>
          </ActionForm>
          {view}
          <table class="ranking">
            <tbody>
              {list.overrides.map((o) => (
                <tr key={`${o.ruleId}|${o.sensorId ?? ''}`}>
                  <td>{o.ruleId}</td>
                  <td>{o.sensorId ?? '*'}</td>
                  <td>
                    <code>{JSON.stringify(o.params)}</code>
                  </td>
                  <td>
                    <button
                      disabled={busy}
                      onClick={() =>
                        void run(async () => {
                          await api(
                            'DELETE',
                            `/api/v1/rule-overrides?enterpriseId=${encodeURIComponent(ent)}&ruleId=${encodeURIComponent(o.ruleId)}${o.sensorId ? `&sensorId=${encodeURIComponent(o.sensorId)}` : ''}`,
                          );
                          await load(ent);
                        })
                      }
                    >
                      {t('revoke')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
