/**
 * Admin · gateways and sensors: provision a gateway (the secret shown once),
 * rotate its secret, revoke and restore it; register sensors with their
 * alarm marks.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { t } from '../../i18n.ts';
import { ActionForm, EnterprisePicker, Field, SelectField, useAction } from './shared.tsx';
import { kindOptions, useNames } from '../../vocab.ts';
import { limitName } from '../../history-series.ts';

interface Gateway {
  id: string;
  status: string;
  disabled: boolean;
}

export function Gateways() {
  useNames();
  const [ent, setEnt] = useState('');
  const [gateways, setGateways] = useState<Gateway[]>([]);
  const [secret, setSecret] = useState<string | undefined>();
  const [gwId, setGwId] = useState({ id: '' });
  const [sensor, setSensor] = useState({ id: '', gatewayId: '', kind: 'combustible_gas', unit: '%LEL', periodS: '5', high: '', highHigh: '' });
  const { run, busy, view } = useAction();
  const load = (id: string) =>
    id
      ? api<{ gateways: Gateway[] }>('GET', `/api/v1/gateways?enterpriseId=${encodeURIComponent(id)}`).then((r) => setGateways(r.gateways))
      : Promise.resolve();
  useEffect(() => void load(ent), [ent]);
  const showSecret = (s: string) => {
    setSecret(s);
    return `${t('secretOnce')} ${s}`;
  };
  return (
    <>
      <EnterprisePicker value={ent} onChange={setEnt} />
      {ent && (
        <>
          <ActionForm
            run={run}
            action={async () => {
              const r = await api<{ secret: string }>('POST', '/api/v1/gateways', { id: gwId.id, enterpriseId: ent });
              await load(ent);
              return showSecret(r.secret);
            }}
          >
            <Field label={t('gateways')} name="id" value={gwId} set={setGwId} />
            <button type="submit" class="primary" disabled={busy} data-testid="provision">
              {t('provision')}
            </button>
          </ActionForm>
          {view}
          {secret && <code class="secret">{secret}</code>}
          <table class="ranking">
            <tbody>
              {gateways.map((g) => (
                <tr key={g.id} data-testid={`gateway-${g.id}`}>
                  <td>{g.id}</td>
                  <td>{g.disabled ? t('revoke') : t(g.status === 'online' ? 'online' : 'offline')}</td>
                  <td>
                    <button
                      disabled={busy}
                      onClick={() => void run(async () => showSecret((await api<{ secret: string }>('POST', `/api/v1/gateways/${g.id}/rotate-secret`)).secret))}
                    >
                      {t('rotate')}
                    </button>{' '}
                    <button
                      disabled={busy}
                      onClick={() =>
                        void run(async () => {
                          await api('POST', `/api/v1/gateways/${g.id}/${g.disabled ? 'enable' : 'disable'}`);
                          await load(ent);
                        })
                      }
                      data-testid={`toggle-${g.id}`}
                    >
                      {g.disabled ? t('restore') : t('revoke')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>{t('sensors')}</h3>
          <ActionForm
            run={run}
            action={async () => {
              const marks = Object.fromEntries((['high', 'highHigh'] as const).filter((k) => sensor[k] !== '').map((k) => [k, Number(sensor[k])]));
              await api('POST', '/api/v1/sensors', {
                id: sensor.id,
                enterpriseId: ent,
                gatewayId: sensor.gatewayId,
                kind: sensor.kind,
                unit: sensor.unit,
                periodS: Number(sensor.periodS),
                ...(Object.keys(marks).length > 0 ? { marks } : {}),
              });
            }}
          >
            <Field label={t('sensors')} name="id" value={sensor} set={setSensor} />
            <SelectField
              label={t('gateways')}
              name="gatewayId"
              value={sensor}
              set={setSensor}
              options={[{ value: '', label: '—' }, ...gateways.map((g) => ({ value: g.id, label: g.id }))]}
            />
            <SelectField label={t('pointKind')} name="kind" value={sensor} set={setSensor} options={kindOptions()} />
            <Field label={t('unit')} name="unit" value={sensor} set={setSensor} />
            <Field label={t('periodS')} name="periodS" value={sensor} set={setSensor} />
            <Field label={`${t('limits')} ${limitName('high')}`} name="high" value={sensor} set={setSensor} />
            <Field label={`${t('limits')} ${limitName('highHigh')}`} name="highHigh" value={sensor} set={setSensor} />
            <button type="submit" class="primary" disabled={busy}>
              {t('create')}
            </button>
          </ActionForm>
        </>
      )}
    </>
  );
}
