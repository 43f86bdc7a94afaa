/**
 * Admin · gateways and sensors: provision a gateway — its secret shown once, in a box with a copy button, with the
 * instructions to connect it (the broker's host and ports, its client id and username, its topics, a ready
 * `mosquitto_pub` line that publishes one reading in the contract's format) —, rotate its secret (the same box), revoke
 * it (after a confirm step) and restore it; register sensors with their alarm marks.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { fill, t } from '../../i18n.ts';
import { ActionForm, ConfirmButton, CopyButton, EnterprisePicker, Field, SelectField, useAction, TableScroll } from './shared.tsx';
import { kindOptions, useNames } from '../../vocab.ts';
import { limitName } from '../../history-series.ts';

interface Gateway {
  id: string;
  status: string;
  disabled: boolean;
}

/** How a gateway connects, as the provisioning (and rotation) answer gives it. */
export interface Connection {
  mqtt: { plainPort?: number; tlsPort?: number } | null;
  clientId: string;
  username: string;
  publishes: { readings: string; signals: string; status: string };
  subscribes: string;
}

/** A text in a shell's double quotes: `\`, `"`, `$` and the backquote escaped. */
const dq = (s: string) => s.replace(/[\\"$`]/g, (c) => `\\${c}`);

/**
 * The `mosquitto_pub` line that publishes one reading of `point` (contract v1: `{"v":1,"readings":[…]}`, the time
 * now from `date`), QoS 1 so that it exits 0 once the platform has the reading; `--cafile ca.pem` over TLS.
 */
export function mosquittoLine(host: string, port: number, tls: boolean, c: Connection, secret: string, point: { id: string; unit: string }): string {
  const reading = `{\\"sensor\\":\\"${dq(point.id)}\\",\\"value\\":12.5,\\"unit\\":\\"${dq(point.unit)}\\",\\"quality\\":\\"good\\",\\"ts\\":$(date +%s%3N)}`;
  return [
    `mosquitto_pub -h ${host} -p ${port}${tls ? ' --cafile ca.pem' : ''} -V mqttv311 -q 1`,
    `-i ${c.clientId} -u ${c.username} -P '${secret}'`,
    `-t ${c.publishes.readings}`,
    `-m "{\\"v\\":1,\\"readings\\":[${reading}]}"`,
  ].join(' \\\n  ');
}

/** The secret shown once, its copy button, and how to connect the gateway with it. */
function SecretBox({
  gatewayId,
  secret,
  connection,
  point,
}: {
  gatewayId: string;
  secret: string;
  connection?: Connection;
  point: { id: string; unit: string };
}) {
  const host = location.hostname;
  const ports = connection?.mqtt;
  const lines =
    connection && ports
      ? [
          ...(ports.tlsPort !== undefined ? [mosquittoLine(host, ports.tlsPort, true, connection, secret, point)] : []),
          ...(ports.plainPort !== undefined ? [mosquittoLine(host, ports.plainPort, false, connection, secret, point)] : []),
        ]
      : [];
  return (
    <section class="secret-box" data-testid="secret-box" aria-labelledby="secret-title">
      <h3 id="secret-title">
        {t('admSecretTitle')} · {gatewayId}
      </h3>
      <p class="warn" role="alert">
        {t('admSecretWarn')}
      </p>
      <p>
        <code class="secret" id="gateway-secret" data-testid="secret">
          {secret}
        </code>{' '}
        <CopyButton text={secret} selectId="gateway-secret" label={t('admCopy')} testid="copy-secret" />
      </p>
      {connection && (
        <div class="conn" data-testid="connection">
          <h4>{t('admConnTitle')}</h4>
          <dl>
            <dt>{t('admConnHost')}</dt>
            <dd data-testid="conn-host">{host}</dd>
            {ports?.plainPort !== undefined && (
              <>
                <dt>{t('admConnPlain')}</dt>
                <dd data-testid="conn-plain">{ports.plainPort}</dd>
              </>
            )}
            {ports?.tlsPort !== undefined && (
              <>
                <dt>{t('admConnTls')}</dt>
                <dd data-testid="conn-tls">{ports.tlsPort}</dd>
              </>
            )}
            {!ports && (
              <>
                <dt>MQTT</dt>
                <dd>{t('admConnNoPorts')}</dd>
              </>
            )}
            <dt>{t('admConnClient')}</dt>
            <dd>
              <code>{connection.clientId}</code>
            </dd>
            <dt>{t('admConnPassword')}</dt>
            <dd>{t('admConnPasswordIs')}</dd>
            <dt>{t('admConnPublishes')}</dt>
            <dd>
              <ul>
                <li>
                  <code>{connection.publishes.readings}</code> {t('admTopicReadings')}
                </li>
                <li>
                  <code>{connection.publishes.signals}</code> {t('admTopicSignals')}
                </li>
                <li>
                  <code>{connection.publishes.status}</code> {t('admTopicStatus')}
                </li>
              </ul>
            </dd>
            <dt>{t('admConnSubscribes')}</dt>
            <dd>
              <code>{connection.subscribes}</code>
            </dd>
          </dl>
          {lines.length > 0 && (
            <>
              <p>{fill('admConnExample', { sensor: point.id })}</p>
              {lines.map((line, i) => (
                <div key={line}>
                  <pre id={`mosquitto-${i}`} data-testid="mosquitto-line">
                    {line}
                  </pre>
                  <CopyButton text={line} selectId={`mosquitto-${i}`} label={t('admCopyCommand')} testid={`copy-command-${i}`} />
                </div>
              ))}
              {ports?.tlsPort !== undefined && <p class="muted">{t('admConnCafile')}</p>}
            </>
          )}
        </div>
      )}
    </section>
  );
}

export function Gateways() {
  useNames();
  const [ent, setEnt] = useState('');
  const [gateways, setGateways] = useState<Gateway[]>([]);
  const [points, setPoints] = useState<{ id: string; unit: string; gatewayId: string }[]>([]);
  const [shown, setShown] = useState<{ id: string; secret: string; connection?: Connection } | undefined>();
  const [gwId, setGwId] = useState({ id: '' });
  const [sensor, setSensor] = useState({ id: '', gatewayId: '', kind: 'combustible_gas', unit: '%LEL', periodS: '5', high: '', highHigh: '' });
  const { run, busy, view } = useAction();
  const load = (id: string) =>
    id
      ? Promise.all([
          api<{ gateways: Gateway[] }>('GET', `/api/v1/gateways?enterpriseId=${encodeURIComponent(id)}`).then((r) => setGateways(r.gateways)),
          api<{ sensors: { id: string; unit?: string | null; gatewayId: string }[] }>('GET', `/api/v1/enterprises/${encodeURIComponent(id)}/sensors`).then(
            (r) => setPoints(r.sensors.filter((s) => s.unit).map((s) => ({ id: s.id, unit: s.unit!, gatewayId: s.gatewayId }))),
            () => setPoints([]),
          ),
        ])
      : Promise.resolve();
  useEffect(() => {
    setShown(undefined);
    void load(ent);
  }, [ent]);
  const show = (r: { id: string; secret: string; connection?: Connection }) => {
    setShown(r);
    return t('secretOnce').replace(/[:：]\s*$/, '');
  };
  return (
    <>
      <EnterprisePicker value={ent} onChange={setEnt} />
      {ent && (
        <>
          <ActionForm
            run={run}
            action={async () => {
              const r = await api<{ id: string; secret: string; connection?: Connection }>('POST', '/api/v1/gateways', { id: gwId.id, enterpriseId: ent });
              await load(ent);
              return show(r);
            }}
          >
            <Field label={t('gateways')} name="id" value={gwId} set={setGwId} />
            <button type="submit" class="primary" disabled={busy} data-testid="provision">
              {t('provision')}
            </button>
          </ActionForm>
          {view}
          {shown && (
            <SecretBox
              gatewayId={shown.id}
              secret={shown.secret}
              connection={shown.connection}
              point={points.find((p) => p.gatewayId === shown.id) ?? { id: 'GT-101', unit: '%LEL' }}
            />
          )}
          <TableScroll label={t('gateways')}>
            <table class="ranking">
              <thead>
                <tr>
                  <th scope="col">{t('admColId')}</th>
                  <th scope="col">{t('admColStatus')}</th>
                  <th scope="col">{t('admColActions')}</th>
                </tr>
              </thead>
              <tbody>
                {gateways.map((g) => (
                  <tr key={g.id} data-testid={`gateway-${g.id}`}>
                    <td>{g.id}</td>
                    <td>{g.disabled ? t('revoke') : t(g.status === 'online' ? 'online' : 'offline')}</td>
                    <td>
                      <button
                        type="button"
                        disabled={busy}
                        data-testid={`rotate-${g.id}`}
                        onClick={() =>
                          void run(async () => {
                            const r = await api<{ id: string; secret: string; connection?: Connection }>('POST', `/api/v1/gateways/${g.id}/rotate-secret`);
                            await load(ent); // its points now, for the example line
                            return show(r);
                          })
                        }
                      >
                        {t('rotate')}
                      </button>{' '}
                      {g.disabled ? (
                        <button
                          type="button"
                          disabled={busy}
                          onClick={() =>
                            void run(async () => {
                              await api('POST', `/api/v1/gateways/${g.id}/enable`);
                              await load(ent);
                            })
                          }
                          data-testid={`toggle-${g.id}`}
                        >
                          {t('restore')}
                        </button>
                      ) : (
                        <ConfirmButton
                          label={t('revoke')}
                          question={fill('admConfirmDisableGateway', { id: g.id })}
                          disabled={busy}
                          testid={`toggle-${g.id}`}
                          onConfirm={() =>
                            void run(async () => {
                              await api('POST', `/api/v1/gateways/${g.id}/disable`);
                              await load(ent);
                            })
                          }
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
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
              await load(ent);
            }}
          >
            <Field label={t('sensors')} name="id" value={sensor} set={setSensor} />
            <SelectField
              label={t('gateways')}
              name="gatewayId"
              value={sensor}
              set={setSensor}
              options={[{ value: '', label: t('admChoose') }, ...gateways.map((g) => ({ value: g.id, label: g.id }))]}
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
