/**
 * Admin · 停产检修 (planned stops, issue #17 item 4; api/stops.ts, ledger/stops.ts): an enterprise's stops —
 * status, what is stopped in words, why, who is responsible, from when until when, how many alarms were
 * held back — registered on the enterprise's behalf (times entered in China Standard Time and sent with
 * +08:00), ended when production resumes, or cancelled when registered in error; both after a confirmation.
 * The server's refusals are shown in the console's language with the field named in words.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { colon, lang, list, paren, stamp, t, type Key } from '../../i18n.ts';
import type { PlannedStop, StopKind, StopScope, StopStatus } from '../../../ledger/stops.ts';
import type { HazardSource, RegistryPoint } from './registry-model.ts';
import { side } from '../quality.tsx';
import { EnterprisePicker, useAction } from './shared.tsx';

type Stop = PlannedStop & { status: StopStatus };

const SCOPES: [StopScope, Key][] = [
  ['enterprise', 'stopScopeEnterprise'],
  ['zone', 'stopScopeZone'],
  ['hazard_source', 'stopScopeHazardSource'],
  ['gateway', 'stopScopeGateway'],
  ['points', 'stopScopePoints'],
];
const SCOPE_KEY = Object.fromEntries(SCOPES) as Record<StopScope, Key>;
const KINDS: [StopKind, Key][] = [
  ['production_stop', 'stopKindProduction'],
  ['maintenance', 'stopKindMaintenance'],
];
const KIND_KEY = Object.fromEntries(KINDS) as Record<StopKind, Key>;
const STATUS_KEY: Record<StopStatus, Key> = {
  planned: 'stopStatusPlanned',
  active: 'stopStatusActive',
  overrunning: 'stopStatusOverrunning',
  ended: 'stopStatusEnded',
  cancelled: 'stopStatusCancelled',
};
/** The fields a refusal may name, in the console's words. */
const FIELD_KEY: Record<string, Key> = {
  scope: 'stopScope',
  targets: 'stopTargets',
  kind: 'stopKind',
  reason: 'stopCause',
  person: 'stopPerson',
  'person.name': 'stopPerson',
  'person.phone': 'stopPhone',
  startsAt: 'stopStartsAt',
  expectedEndAt: 'stopExpectedEndAt',
  note: 'note',
};

/** A refusal ("path: 中文 / English; …") in the console's language, each field named in words. */
export function stopMessage(message: string): string {
  const en = lang.get() === 'en';
  return message
    .split('; ')
    .map((part) => {
      const m = /^([A-Za-z0-9_.]+): (.*)$/s.exec(part.replace(/^\(body\): /, ''));
      const [path, text] = m ? [m[1]!.replace(/\.\d+$/, ''), m[2]!] : [undefined, part.replace(/^\(body\): /, '')];
      const said = side(text);
      return path && FIELD_KEY[path] ? `${t(FIELD_KEY[path])}${colon()}${said}` : said;
    })
    .join(en ? '; ' : '；');
}

const CST = 8 * 3_600_000;
/** A `datetime-local` value (`2026-12-05T08:00`) of a time, in China Standard Time. */
const localInput = (ms: number): string => new Date(ms + CST).toISOString().slice(0, 16);
/** A `datetime-local` value, read as China Standard Time, as ISO 8601 with +08:00 (as the API asks). */
export const cstIso = (v: string): string => (v ? `${v.length === 16 ? `${v}:00` : v}+08:00` : '');

/** A time entered to the minute, as `2026-12-05 08:00` (China Standard Time). */
const minute = (iso: string): string => stamp(iso).slice(0, 16);

interface Choices {
  zones: string[];
  hazardSources: { code: string; name: string }[];
  gateways: string[];
  points: { id: string; label: string }[];
}

const emptyForm = () => {
  const start = Math.ceil(Date.now() / 60_000) * 60_000;
  return {
    scope: 'enterprise' as StopScope,
    targets: [] as string[],
    kind: 'maintenance' as StopKind,
    reason: '',
    name: '',
    phone: '',
    startsAt: localInput(start),
    expectedEndAt: localInput(start + 8 * 3_600_000),
  };
};

export function Stops() {
  const [ent, setEnt] = useState('');
  return (
    <section data-testid="stops">
      <EnterprisePicker value={ent} onChange={setEnt} />
      {ent ? <EnterpriseStops key={ent} enterpriseId={ent} /> : <p class="muted">{t('stopPickEnterprise')}</p>}
    </section>
  );
}

function EnterpriseStops({ enterpriseId }: { enterpriseId: string }) {
  const base = `/api/v1/enterprises/${encodeURIComponent(enterpriseId)}`;
  const [stops, setStops] = useState<Stop[] | undefined>();
  const [choices, setChoices] = useState<Choices>({ zones: [], hazardSources: [], gateways: [], points: [] });
  const [form, setForm] = useState(emptyForm);
  const [confirming, setConfirming] = useState<{ id: string; action: 'end' | 'cancel' } | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const { run, busy, view } = useAction();

  const reload = () => api<{ stops: Stop[] }>('GET', `${base}/stops`).then((r) => setStops(r.stops));
  useEffect(() => {
    reload().catch((err: unknown) => setLoadError(stopMessage((err as Error).message)));
    void Promise.all([
      api<{ sensors: RegistryPoint[] }>('GET', `${base}/sensors`),
      api<{ hazardSources: HazardSource[] }>('GET', `${base}/hazard-sources`),
      api<{ gateways: { id: string }[] }>('GET', `/api/v1/gateways?enterpriseId=${encodeURIComponent(enterpriseId)}`),
    ]).then(
      ([s, h, g]) =>
        setChoices({
          zones: [...new Set(s.sensors.map((p) => p.zone).filter((z): z is string => !!z))].sort(),
          hazardSources: h.hazardSources.map((x) => ({ code: x.code, name: x.name })),
          gateways: g.gateways.map((x) => x.id).sort(),
          points: s.sensors.map((p) => ({ id: p.id, label: [p.tagNo, p.name].filter(Boolean).join(' ') })),
        }),
      (err: unknown) => setLoadError(stopMessage((err as Error).message)),
    );
  }, [base]);

  const options = (scope: StopScope): { value: string; label: string }[] => {
    switch (scope) {
      case 'zone':
        return choices.zones.map((z) => ({ value: z, label: z }));
      case 'hazard_source':
        return choices.hazardSources.map((h) => ({ value: h.code, label: `${h.name}${paren(h.code)}` }));
      case 'gateway':
        return choices.gateways.map((g) => ({ value: g, label: `${t('stopScopeGateway')} ${g}` }));
      case 'points':
        return choices.points.map((p) => ({ value: p.id, label: p.label }));
      case 'enterprise':
        return [];
    }
  };
  /** What a stop covers, in words. */
  const targetsInWords = (s: Stop): string => {
    if (s.scope === 'enterprise') return t('stopWholeEnterprise');
    const named = new Map(options(s.scope).map((o) => [o.value, o.label]));
    return list(s.targets.map((x) => named.get(x) ?? x));
  };

  const register = () =>
    run(async () => {
      try {
        await api('POST', `${base}/stops`, {
          scope: form.scope,
          targets: form.scope === 'enterprise' ? [] : form.targets,
          kind: form.kind,
          reason: form.reason,
          person: { name: form.name, phone: form.phone },
          startsAt: cstIso(form.startsAt),
          expectedEndAt: cstIso(form.expectedEndAt),
        });
      } catch (err) {
        throw new Error(stopMessage((err as Error).message));
      }
      setForm(emptyForm());
      await reload();
      return t('stopRegistered');
    });
  const close = (id: string, action: 'end' | 'cancel') =>
    run(async () => {
      try {
        await api('POST', `${base}/stops/${encodeURIComponent(id)}/${action}`, {});
      } catch (err) {
        throw new Error(stopMessage((err as Error).message));
      } finally {
        setConfirming(undefined);
      }
      await reload();
      return t(action === 'end' ? 'stopEnded' : 'stopCancelled');
    });

  const targetOptions = options(form.scope);
  return (
    <>
      {loadError && (
        <p class="error" role="alert">
          {loadError}
        </p>
      )}
      {view}
      <div class="table-scroll" tabIndex={0} role="region" aria-label={t('plannedStops')}>
        <table class="ranking stops" data-testid="stop-list">
          <thead>
            <tr>
              <th>{t('stopStatus')}</th>
              <th>{t('stopKind')}</th>
              <th>{t('stopScope')}</th>
              <th>{t('stopTargets')}</th>
              <th>{t('stopCause')}</th>
              <th>{t('stopPerson')}</th>
              <th>{t('stopStartsAt')}</th>
              <th>{t('stopExpectedEndAt')}</th>
              <th class="narrow">{t('stopSuppressed')}</th>
            </tr>
          </thead>
          <tbody>
            {stops?.length === 0 && (
              <tr>
                <td colSpan={9} class="muted">
                  {t('stopNone')}
                </td>
              </tr>
            )}
            {stops?.map((s) => (
              <tr key={s.id} data-testid={`stop-${s.id}`} data-status={s.status}>
                <td class="wrap">
                  <span data-testid="stop-status">{t(STATUS_KEY[s.status])}</span>
                  {(s.endedAt ?? s.cancelledAt) && <div class="muted">{minute((s.endedAt ?? s.cancelledAt)!)}</div>}
                  <div class="stop-actions">
                    {confirming?.id === s.id ? (
                      <span role="group" data-testid="stop-confirm">
                        {t(confirming.action === 'end' ? 'stopConfirmEnd' : 'stopConfirmCancel')}{' '}
                        <button class="primary" disabled={busy} onClick={() => void close(s.id, confirming.action)} data-testid="stop-confirm-yes">
                          {t('confirm')}
                        </button>{' '}
                        <button disabled={busy} onClick={() => setConfirming(undefined)} data-testid="stop-confirm-no">
                          {t('back')}
                        </button>
                      </span>
                    ) : (
                      <>
                        {(s.status === 'active' || s.status === 'overrunning') && (
                          <button disabled={busy} onClick={() => setConfirming({ id: s.id, action: 'end' })} data-testid="stop-end">
                            {t('stopEnd')}
                          </button>
                        )}{' '}
                        {(s.status === 'planned' || s.status === 'active' || s.status === 'overrunning') && (
                          <button disabled={busy} onClick={() => setConfirming({ id: s.id, action: 'cancel' })} data-testid="stop-cancel">
                            {t('stopCancel')}
                          </button>
                        )}
                      </>
                    )}
                  </div>
                </td>
                <td>{t(KIND_KEY[s.kind])}</td>
                <td>{t(SCOPE_KEY[s.scope])}</td>
                <td class="wrap">{targetsInWords(s)}</td>
                <td class="wrap">{s.reason}</td>
                <td>
                  {s.person.name}
                  <div>{s.person.phone}</div>
                </td>
                <td>{minute(s.startsAt)}</td>
                <td>{minute(s.expectedEndAt)}</td>
                <td data-testid="stop-suppressed">{s.suppressedAlerts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h3>{t('stopRegister')}</h3>
      <form
        class="grid-form"
        data-testid="stop-form"
        onSubmit={(e) => {
          e.preventDefault();
          void register();
        }}
      >
        <label>
          {t('stopScope')}
          <select
            name="scope"
            value={form.scope}
            onChange={(e) => setForm({ ...form, scope: (e.target as HTMLSelectElement).value as StopScope, targets: [] })}
          >
            {SCOPES.map(([v, k]) => (
              <option key={v} value={v}>
                {t(k)}
              </option>
            ))}
          </select>
        </label>
        {form.scope !== 'enterprise' && (
          <label>
            {t('stopTargets')}
            {targetOptions.length === 0 ? (
              <span class="muted">{t('stopNoTargets')}</span>
            ) : (
              <select
                name="targets"
                multiple
                size={Math.min(6, targetOptions.length)}
                onChange={(e) => setForm({ ...form, targets: [...(e.target as HTMLSelectElement).selectedOptions].map((o) => o.value) })}
              >
                {targetOptions.map((o) => (
                  <option key={o.value} value={o.value} selected={form.targets.includes(o.value)}>
                    {o.label}
                  </option>
                ))}
              </select>
            )}
            <span class="muted">{t('stopTargetsHint')}</span>
          </label>
        )}
        <label>
          {t('stopKind')}
          <select name="kind" value={form.kind} onChange={(e) => setForm({ ...form, kind: (e.target as HTMLSelectElement).value as StopKind })}>
            {KINDS.map(([v, k]) => (
              <option key={v} value={v}>
                {t(k)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('stopCause')}
          <input name="reason" type="text" value={form.reason} onInput={(e) => setForm({ ...form, reason: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          {t('stopPerson')}
          <input name="personName" type="text" value={form.name} onInput={(e) => setForm({ ...form, name: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          {t('stopPhone')}
          <input name="personPhone" type="tel" value={form.phone} onInput={(e) => setForm({ ...form, phone: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          {t('stopStartsAt')}
          <input
            name="startsAt"
            type="datetime-local"
            value={form.startsAt}
            onInput={(e) => setForm({ ...form, startsAt: (e.target as HTMLInputElement).value })}
          />
        </label>
        <label>
          {t('stopExpectedEndAt')}
          <input
            name="expectedEndAt"
            type="datetime-local"
            value={form.expectedEndAt}
            onInput={(e) => setForm({ ...form, expectedEndAt: (e.target as HTMLInputElement).value })}
          />
        </label>
        <span class="muted">{t('stopTimeZoneHint')}</span>
        <button type="submit" class="primary" disabled={busy} data-testid="stop-register">
          {t('stopRegister')}
        </button>
      </form>
    </>
  );
}
