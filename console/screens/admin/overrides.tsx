/** Admin · rule overrides: an enterprise's registered alarm limits; set (the rule and the point chosen by name) and delete (after a confirm step). */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { both, fill, t } from '../../i18n.ts';
import type { Text } from '../../types.ts';
import { ActionForm, ConfirmButton, EnterprisePicker, Field, SelectField, useAction, TableScroll } from './shared.tsx';

interface Override {
  enterpriseId: string;
  sensorId?: string;
  ruleId: string;
  params: Record<string, unknown>;
}

export function Overrides() {
  const [ent, setEnt] = useState('');
  const [list, setList] = useState<{ overrides: Override[]; loose: unknown[]; rules: { id: string; name: Text }[] }>({ overrides: [], loose: [], rules: [] });
  const [points, setPoints] = useState<string[]>([]);
  const [form, setForm] = useState({ ruleId: 'gas.combustible', sensorId: '', params: '{"levels":{"level1":{"threshold":20}}}' });
  const { run, busy, view } = useAction();
  const load = (id: string) =>
    id
      ? Promise.all([
          api<typeof list>('GET', `/api/v1/rule-overrides?enterpriseId=${encodeURIComponent(id)}`).then((r) => setList({ ...r, rules: r.rules ?? [] })),
          api<{ sensors: { id: string }[] }>('GET', `/api/v1/enterprises/${encodeURIComponent(id)}/sensors`).then(
            (r) => setPoints(r.sensors.map((s) => s.id)),
            () => setPoints([]),
          ),
        ])
      : Promise.resolve();
  useEffect(() => void load(ent), [ent]);
  const ruleName = (id: string) => {
    const r = list.rules.find((x) => x.id === id);
    return r ? both(r.name) : id;
  };
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
            <SelectField label={t('rule')} name="ruleId" value={form} set={setForm} options={list.rules.map((r) => ({ value: r.id, label: both(r.name) }))} />
            <SelectField
              label={t('subject')}
              name="sensorId"
              value={form}
              set={setForm}
              options={[{ value: '', label: t('admAllPoints') }, ...points.map((p) => ({ value: p, label: p }))]}
            />
            <Field label={t('overrideParams')} name="params" value={form} set={setForm} />
            <button type="submit" class="primary" disabled={busy}>
              {t('confirm')}
            </button>
          </ActionForm>
          {view}
          <TableScroll label={t('ruleOverrides')}>
            <table class="ranking" data-testid="overrides">
              <thead>
                <tr>
                  <th scope="col">{t('rule')}</th>
                  <th scope="col">{t('subject')}</th>
                  <th scope="col">{t('admColParams')}</th>
                  <th scope="col">{t('admColActions')}</th>
                </tr>
              </thead>
              <tbody>
                {list.overrides.map((o) => (
                  <tr key={`${o.ruleId}|${o.sensorId ?? ''}`} data-rule={o.ruleId}>
                    <td>{ruleName(o.ruleId)}</td>
                    <td>{o.sensorId ?? t('admAllPoints')}</td>
                    <td>
                      <code>{JSON.stringify(o.params)}</code>
                    </td>
                    <td>
                      <ConfirmButton
                        label={t('revoke')}
                        question={fill('admConfirmDeleteOverride', { rule: ruleName(o.ruleId), point: o.sensorId ?? t('admAllPoints') })}
                        disabled={busy}
                        testid={`delete-override-${o.ruleId}`}
                        onConfirm={() =>
                          void run(async () => {
                            await api(
                              'DELETE',
                              `/api/v1/rule-overrides?enterpriseId=${encodeURIComponent(ent)}&ruleId=${encodeURIComponent(o.ruleId)}${o.sensorId ? `&sensorId=${encodeURIComponent(o.sensorId)}` : ''}`,
                            );
                            await load(ent);
                          })
                        }
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </>
      )}
    </>
  );
}
