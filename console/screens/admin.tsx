/**
 * Admin: users (officers with roles and passwords), enterprises and their
 * ledger facts, gateways (provision — the secret shown once —, rotate the
 * secret, revoke and restore), sensors with their registered alarm marks,
 * and the enterprises' registered alarm limits (rule overrides). Every change
 * is on the audit trail, with the admin who made it.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { t, time } from '../i18n.ts';
import type { BoardRow } from '../../inspections/board.ts';

type Tab = 'users' | 'enterprises' | 'import' | 'gateways' | 'overrides' | 'audit';

export function AdminView() {
  const [tab, setTab] = useState<Tab>('users');
  const tabs: [Tab, string][] = [
    ['users', t('officers')],
    ['enterprises', t('enterprises')],
    ['import', t('importList')],
    ['gateways', `${t('gateways')} · ${t('sensors')}`],
    ['overrides', t('ruleOverrides')],
    ['audit', t('audit')],
  ];
  return (
    <section class="admin" data-testid="admin">
      <div class="tabs" role="tablist">
        {tabs.map(([k, label]) => (
          <button key={k} role="tab" aria-selected={tab === k} class={tab === k ? 'current' : ''} onClick={() => setTab(k)} data-testid={`tab-${k}`}>
            {label}
          </button>
        ))}
      </div>
      {tab === 'users' && <Users />}
      {tab === 'enterprises' && <Enterprises />}
      {tab === 'gateways' && <Gateways />}
      {tab === 'overrides' && <Overrides />}
      {tab === 'import' && <Import />}
      {tab === 'audit' && <Audit />}
    </section>
  );
}

/** Runs an action, showing its error or a success note. */
function useAction() {
  const [note, setNote] = useState<{ ok: boolean; text: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const run = async (f: () => Promise<string | void>) => {
    setBusy(true);
    setNote(undefined);
    try {
      const text = await f();
      setNote({ ok: true, text: text ?? t('saved') });
    } catch (err) {
      setNote({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const view = note && (
    <p class={note.ok ? 'note ok' : 'error'} role="status" data-testid="admin-note">
      {note.text}
    </p>
  );
  return { run, busy, view };
}

/** A form whose submission runs `action` through `run` (busy state, error or success note). */
function ActionForm({
  run,
  action,
  children,
}: {
  run: (f: () => Promise<string | void>) => Promise<void>;
  action: () => Promise<string | void>;
  children: ComponentChildren;
}) {
  return (
    <form
      class="grid-form"
      onSubmit={(e) => {
        e.preventDefault();
        void run(action);
      }}
    >
      {children}
    </form>
  );
}

/** A text input bound to a field of a record. */
function Field<T extends Record<string, string>>({
  label,
  name,
  value,
  set,
  type = 'text',
}: {
  label: string;
  name: keyof T & string;
  value: T;
  set: (v: T) => void;
  type?: 'text' | 'password';
}) {
  const onInput = (e: Event) => set({ ...value, [name]: (e.target as HTMLInputElement).value });
  return (
    <label>
      {label}
      {type === 'password' ? (
        <input name={name} type="password" value={value[name]} onInput={onInput} />
      ) : (
        <input name={name} type="text" value={value[name]} onInput={onInput} />
      )}
    </label>
  );
}

interface Officer {
  id: string;
  name: string;
  role: string;
  authorityId: string;
  disabled: boolean;
  hasPassword: boolean;
}

function Users() {
  const [list, setList] = useState<Officer[]>([]);
  const [form, setForm] = useState({ id: '', name: '', authorityId: '', role: 'duty_officer', password: '' });
  const { run, busy, view } = useAction();
  const load = () => api<{ officers: Officer[] }>('GET', '/api/v1/officers').then((r) => setList(r.officers));
  useEffect(() => void load(), []);
  return (
    <>
      <ActionForm
        run={run}
        action={async () => {
          await api('POST', '/api/v1/officers', { ...form, password: form.password || undefined });
          setForm({ ...form, id: '', name: '', password: '' });
          await load();
        }}
      >
        <Field label={t('username')} name="id" value={form} set={setForm} />
        <Field label={t('name')} name="name" value={form} set={setForm} />
        <Field label={t('authority')} name="authorityId" value={form} set={setForm} />
        <label>
          {t('role')}
          <select name="role" value={form.role} onChange={(e) => setForm({ ...form, role: (e.target as HTMLSelectElement).value })}>
            {['duty_officer', 'inspector', 'leader', 'admin'].map((r) => (
              <option key={r} value={r}>
                {t(r as 'duty_officer')}
              </option>
            ))}
          </select>
        </label>
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
              <td>{o.authorityId}</td>
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

function Enterprises() {
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

interface Gateway {
  id: string;
  status: string;
  disabled: boolean;
}

function EnterprisePicker({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const [rows, setRows] = useState<BoardRow[]>([]);
  useEffect(() => void api<{ enterprises: BoardRow[] }>('GET', '/api/v1/enterprises').then((r) => setRows(r.enterprises)), []);
  return (
    <label>
      {t('enterprise')}
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)} data-testid="pick-enterprise">
        <option value="">—</option>
        {rows.map((r) => (
          <option key={r.id} value={r.id}>
            {r.name} ({r.id})
          </option>
        ))}
      </select>
    </label>
  );
}

function Gateways() {
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
            <Field label={t('gateways')} name="gatewayId" value={sensor} set={setSensor} />
            <Field label="kind" name="kind" value={sensor} set={setSensor} />
            <Field label="unit" name="unit" value={sensor} set={setSensor} />
            <Field label="periodS" name="periodS" value={sensor} set={setSensor} />
            <Field label={`${t('limits')} high`} name="high" value={sensor} set={setSensor} />
            <Field label={`${t('limits')} highHigh`} name="highHigh" value={sensor} set={setSensor} />
            <button type="submit" class="primary" disabled={busy}>
              {t('create')}
            </button>
          </ActionForm>
        </>
      )}
    </>
  );
}

interface Override {
  enterpriseId: string;
  sensorId?: string;
  ruleId: string;
  params: Record<string, unknown>;
}

function Overrides() {
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
            <Field label="params (JSON)" name="params" value={form} set={setForm} />
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

function Import() {
  const [csv, setCsv] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const { run, busy, view } = useAction();
  return (
    <>
      <p class="muted">{t('importHelp')}</p>
      <input
        type="file"
        accept=".csv,text/csv"
        aria-label={t('importList')}
        onChange={(e) => {
          const file = (e.target as HTMLInputElement).files?.[0];
          if (file) void file.text().then(setCsv);
        }}
      />
      <textarea aria-label="CSV" rows={8} value={csv} onInput={(e) => setCsv((e.target as HTMLTextAreaElement).value)} data-testid="import-csv" />
      <button
        class="primary"
        disabled={busy || csv.trim() === ''}
        data-testid="import"
        onClick={() =>
          void run(async () => {
            setProblems([]);
            try {
              const r = await api<{ created: number; updated: number }>('POST', '/api/v1/enterprises/import', csv, 'text/csv');
              return `${t('saved')}: +${r.created} / ${r.updated}`;
            } catch (err) {
              const errors = (err as { body?: { errors?: string[] } }).body?.errors;
              if (errors) setProblems(errors);
              throw err;
            }
          })
        }
      >
        {t('importList')}
      </button>
      {view}
      {problems.length > 0 && (
        <ul class="plain" data-testid="import-problems">
          {problems.map((p) => (
            <li key={p} class="error">
              {p}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

interface AuditRecord {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
}

interface Verification {
  ok: boolean;
  audit: { ok: boolean; records: number; brokenAt?: number; reason?: string };
  alertEvents: { ok: boolean; brokenAt?: number; reason?: string };
  records: { ok: boolean; table?: string; key?: string; reason?: string };
}

function Audit() {
  const [records, setRecords] = useState<AuditRecord[]>([]);
  const [check, setCheck] = useState<Verification | undefined>();
  const { run, busy, view } = useAction();
  useEffect(() => void api<{ records: AuditRecord[] }>('GET', '/api/v1/audit?limit=1000').then((r) => setRecords(r.records.slice(-200).reverse())), []);
  return (
    <>
      <button
        class="primary"
        disabled={busy}
        data-testid="verify"
        onClick={() =>
          void run(async () => {
            const v = await api<Verification>('GET', '/api/v1/audit/verify');
            setCheck(v);
            return v.ok ? t('chainIntact') : t('chainBroken');
          })
        }
      >
        {t('verifyChain')}
      </button>
      {view}
      {check && !check.ok && (
        <p class="error" data-testid="broken">
          {[
            !check.audit.ok && `audit #${check.audit.brokenAt}: ${check.audit.reason}`,
            !check.alertEvents.ok && `alert event #${check.alertEvents.brokenAt}: ${check.alertEvents.reason}`,
            !check.records.ok && `${check.records.table} ${check.records.key}: ${check.records.reason}`,
          ]
            .filter(Boolean)
            .join(' · ')}
        </p>
      )}
      <table class="ranking" data-testid="audit-records">
        <tbody>
          {records.map((r) => (
            <tr key={r.seq}>
              <td>{r.seq}</td>
              <td>{time(r.at)}</td>
              <td>{r.actor}</td>
              <td>{r.action}</td>
              <td>
                {r.subjectType} {r.subjectId}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
