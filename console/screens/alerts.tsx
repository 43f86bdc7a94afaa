/**
 * The duty officer's live alert feed and an alert's detail. The feed lists
 * the open alerts, then follows the server's event stream (SSE): the
 * browser reconnects by itself and resumes after the last event it saw
 * (`Last-Event-ID`), so nothing is missed and nothing polls.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { useUplot } from '../lazy.ts';
import { api, ApiError, can, user } from '../api.ts';
import { both, colon, duration, eventName, fill, hhmm, paren, t, time, type Key } from '../i18n.ts';
import { alarmOn, enable, ring, ringing } from '../alarm.ts';
import { syncClock, useNow } from '../clock.ts';
import { GradeChip } from './grade-chip.tsx';
import { useValue } from '../state.ts';
import { nextEscalation, type EscalationLimits } from '../../alerts/state/escalation.ts';
import { chartWidth, historySeries, legendValue, limitName, timeAxis, timeSeries } from '../history-series.ts';
import { actorName, eventText } from '../alert-words.ts';
import { authorityName, enterpriseName, namesArrived, remember } from '../names.ts';
import { BulkDispose, FilterBar, GroupHeading } from './alert-filters.tsx';
import { CurrentValue, RangePicker, rangeOf, type Range } from './range-picker.tsx';
import { applyFilters, bulkDisposable, familyOf, groupByEnterprise, needsOfficer, NO_FILTERS, type AlertFilters } from '../alert-list.ts';
import { ALERT_EVENT_TYPES } from '../../alerts/state/model.ts';
import type { Alert, AlertDetail, EnterpriseContacts, Grade, Names, Point, Reading } from '../types.ts';
import { go } from '../router.ts';
import { alarmIsFactor, EnterpriseRiskChip, useEnterpriseRisk, useWarnings, type WarningRow } from './risk.tsx';
import { EnterpriseResponse, OfficerResponse, ResponseChip, seen, useResponse, type SeenResponse } from './response.tsx';
import type { ResponseRecord, ResponseView } from '../types.ts';
import { AlertTasks } from './task-links.tsx';

/** Before the list says the bureau's limits: none shown. */
const NO_LIMITS: EscalationLimits = { red: undefined, orange: undefined, yellow: undefined, blue: undefined };

/** Non-red undisposed alarms loaded at most (every red one is loaded, whatever their number): the platform's default. */
const OTHERS_CAP = 2000;
/** Disposed alarms shown in the "all" view, newest first: the platform's default. */
const DISPOSED_SHOWN = 200;

type ListedAlert = Alert & { response?: ResponseView | null };
interface ListPage {
  alerts: ListedAlert[];
  next: string | null;
  lastEventSeq: number;
  escalationLimits: EscalationLimits;
  /** How far each enterprise's alarms can be escalated (0: its authority has none above). */
  escalationLevels: Record<string, number>;
  now: number;
}

/** The alarms of `query`, page after page, up to `cap`; `more` when some were left. The first page sets the clock. */
async function pages(
  query: string,
  cap: number,
): Promise<{ alerts: ListedAlert[]; more: boolean; lastEventSeq: number; escalationLimits: EscalationLimits; escalationLevels: Record<string, number> }> {
  const alerts: ListedAlert[] = [];
  let page = await api<ListPage>('GET', `/api/v1/alerts?${query}&limit=500`);
  const first = page;
  syncClock(first.now);
  alerts.push(...page.alerts);
  const escalationLevels = { ...page.escalationLevels };
  while (page.next && alerts.length < cap) {
    page = await api<ListPage>('GET', `/api/v1/alerts?${query}&limit=500&before=${encodeURIComponent(page.next)}`);
    alerts.push(...page.alerts);
    Object.assign(escalationLevels, page.escalationLevels);
  }
  return {
    alerts: alerts.slice(0, cap),
    more: page.next !== null || alerts.length > cap,
    lastEventSeq: first.lastEventSeq,
    escalationLimits: first.escalationLimits,
    escalationLevels,
  };
}

/** Each enterprise's authority, from the board (an officer's; an enterprise user has none to filter by). */
function useBoard(): Map<string, string | null> {
  const [board, setBoard] = useState<Map<string, string | null>>(new Map());
  useEffect(() => {
    if (!can('ledger.read')) return;
    api<{ enterprises: { id: string; authorityId: string | null }[] }>('GET', '/api/v1/enterprises').then(
      (r) => setBoard(new Map(r.enterprises.map((e) => [e.id, e.authorityId]))),
      () => undefined,
    );
  }, []);
  return board;
}

export function AlertFeed() {
  const names = useValue(namesArrived);
  const [alerts, setAlerts] = useState<Map<string, Alert>>(new Map());
  // the enterprise's response to each alarm handed to it (issue #18): from the list, re-read when the alarm moves
  const [responses, setResponses] = useState<Map<string, SeenResponse>>(new Map());
  const me = user.get();
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [filters, setFilters] = useState<AlertFilters>(NO_FILTERS);
  // the lists read (before that, "no alarm" would be a lie)
  const [listed, setListed] = useState(false);
  // the resolved non-red alarms chosen to be disposed together
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const board = useBoard();
  const [limits, setLimits] = useState<EscalationLimits>(NO_LIMITS);
  const [levels, setLevels] = useState<Record<string, number>>({});
  // more undisposed non-red alarms than were loaded (the red ones are always all loaded)
  const [more, setMore] = useState(false);
  // the enterprises' risk warnings, shown beside each alarm: re-read a moment after alarms change (the
  // warnings are judged from them) and every minute (the platform's default sweep: standing alarms rise)
  const [warningTick, setWarningTick] = useState(0);
  const warnings = useWarnings(warningTick);
  const rereadWarnings = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // each alarm's grade as last heard: a new red one (or one turned red) rings
  const known = useRef<Map<string, Grade>>(new Map());
  useEffect(() => {
    const every = setInterval(() => setWarningTick((n) => n + 1), 60_000);
    return () => {
      clearInterval(every);
      clearTimeout(rereadWarnings.current);
    };
  }, []);

  useEffect(() => {
    let source: EventSource | undefined;
    let closed = false;
    void (async () => {
      try {
        // every alarm still needing an officer, however many (the red ones first, all of them), then the disposed
        // ones of late for the "all" view; the stream resumes after the first answer's last event
        const [reds, others, disposed] = await Promise.all([
          pages('state=firing,acknowledged,resolved&severity=red', Infinity),
          pages('state=firing,acknowledged,resolved&severity=orange,yellow,blue', OTHERS_CAP),
          pages('state=disposed', DISPOSED_SHOWN),
        ]);
        if (closed) return;
        setListed(true);
        setLimits(reds.escalationLimits);
        setLevels({ ...reds.escalationLevels, ...others.escalationLevels, ...disposed.escalationLevels });
        setMore(others.more);
        const all = [...reds.alerts, ...others.alerts, ...disposed.alerts];
        setAlerts(new Map(all.map(({ response: _, ...a }) => [a.id, a])));
        known.current = new Map(all.map((a) => [a.id, a.severity]));
        setResponses(new Map(all.flatMap((a) => (a.response ? [[a.id, seen(a.response)!] as const] : []))));
        // from the earliest of the three answers: an event in between is replayed, never missed (a replay is harmless:
        // each event carries its alarm as it stood, and the later ones follow it)
        source = new EventSource(`/api/v1/alerts/stream?since=${Math.min(reds.lastEventSeq, others.lastEventSeq, disposed.lastEventSeq)}`);
        source.onopen = () => setConnected(true);
        source.onerror = () => setConnected(false);
        const onEvent = (e: MessageEvent<string>) => {
          const { alert } = JSON.parse(e.data) as { alert: Alert };
          // a red alarm that is new, or an alarm that turned red: the duty room hears it (once: the ring is not
          // in the state's update, which may run again)
          if (alert.severity === 'red' && alert.state === 'firing' && known.current.get(alert.id) !== 'red')
            ring(alert.id, `${t('redAlarm')} · ${enterpriseName(alert.enterpriseId)}`, `${both(alert.message)} · ${alert.subject}`, () =>
              go(`/alerts/${alert.id}`),
            );
          known.current.set(alert.id, alert.severity);
          setAlerts((m) => new Map(m).set(alert.id, alert));
          if (alert.responder === 'enterprise')
            api<ResponseRecord>('GET', `/api/v1/alerts/${encodeURIComponent(alert.id)}/response`).then(
              (r) => !closed && r.response && setResponses((m) => new Map(m).set(alert.id, seen(r.response)!)),
              () => undefined,
            );
          rereadWarnings.current ??= setTimeout(() => {
            rereadWarnings.current = undefined;
            setWarningTick((n) => n + 1);
          }, 1000);
        };
        for (const type of ALERT_EVENT_TYPES) source.addEventListener(type, onEvent);
      } catch (err) {
        setError((err as Error).message);
      }
    })();
    return () => {
      closed = true;
      source?.close();
    };
  }, []);

  const authorityOf = (id: string) => board.get(id);
  const list = useMemo(
    () => applyFilters(alerts.values(), filters, { authorityOf, nameOf: enterpriseName }),
    // the names arrive after the alarms: the search and the sort by enterprise read them
    [alerts, filters, board, names],
  );
  const ringingNow = useValue(ringing);
  const loaded = useMemo(() => [...alerts.values()], [alerts]);
  const needing = useMemo(() => loaded.filter(needsOfficer), [loaded]);
  // the banner counts every red alarm needing an officer, whatever the filters show
  const reds = needing.filter((a) => a.severity === 'red').length;
  const update = (a: Alert) => setAlerts((m) => new Map(m).set(a.id, a));
  const choose = (id: string, on: boolean) =>
    setChosen((c) => {
      const next = new Set(c);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const chosenAlerts = list.filter((a) => chosen.has(a.id) && bulkDisposable(a));
  const enterpriseIds = [...new Set(loaded.map((a) => a.enterpriseId))];
  const authorityIds = [...new Set(enterpriseIds.map((id) => board.get(id)).filter((x): x is string => !!x))];
  const row = (a: Alert) => (
    <AlertRow
      key={a.id}
      alert={a}
      onChange={update}
      response={responses.get(a.id)}
      warning={warnings ? (warnings.get(a.enterpriseId) ?? null) : undefined}
      limits={limits}
      maxLevel={levels[a.enterpriseId]}
      chosen={bulkDisposable(a) ? chosen.has(a.id) : undefined}
      onChoose={(on) => choose(a.id, on)}
    />
  );

  return (
    <section class="feed">
      {me?.enterpriseId && (
        <h2 data-testid="enterprise-heading">
          {t('rspOwnAlarms')} · {me.enterpriseName ?? me.enterpriseId}
        </h2>
      )}
      {reds > 0 && (
        <div class={ringingNow ? 'red-banner ringing' : 'red-banner'} role="alert" data-testid="red-banner">
          {t('redBanner')}
          {colon()}
          {reds}
        </div>
      )}
      <div class="toolbar">
        <span class={connected ? 'conn ok' : 'conn'} data-testid="stream-state">
          {connected ? `● ${t('live')}` : `○ ${t('reconnecting')}`}
        </span>
        <AlarmSwitch />
      </div>
      <FilterBar
        filters={filters}
        set={setFilters}
        enterprises={enterpriseIds.map((id) => ({ id, name: enterpriseName(id) })).sort((x, y) => x.name.localeCompare(y.name, 'zh-CN'))}
        authorities={authorityIds.map((id) => ({ id, name: authorityName(id) }))}
        families={[...new Set(loaded.map((a) => familyOf(a.ruleId)))].sort()}
      />
      <BulkDispose
        chosen={chosenAlerts}
        onDone={(done) => {
          for (const a of done) update(a);
          setChosen(new Set());
        }}
      />
      <GradeCounts alerts={needing} />
      {more && (
        <p class="muted" data-testid="more-alarms">
          {fill('moreAlarms', { n: OTHERS_CAP })}
        </p>
      )}
      {error && <p class="error">{error}</p>}
      {!listed && !error ? (
        <p class="loading">…</p>
      ) : list.length === 0 ? (
        <p class="empty">{t('noAlerts')}</p>
      ) : (
        <ul class="alerts" data-testid="alerts">
          {filters.group
            ? groupByEnterprise(list).map(([id, group]) => [<GroupHeading key={`group-${id}`} enterpriseId={id} alerts={group} />, ...group.map(row)])
            : list.map(row)}
        </ul>
      )}
    </section>
  );
}

/** The state's start: when the alarm entered the state it is in. */
const stateSince = (a: Alert): number =>
  ({ pending: a.startedAt, firing: a.firedAt, acknowledged: a.acknowledgedAt, resolved: a.resolvedAt, disposed: a.disposedAt })[a.state] ?? a.lastFindingAt;

/**
 * Time limits in sight (issue #20 §4): how long the alarm has been in its state; while it waits for 签收, the time left
 * before it is escalated to the authority above (the bureau's limit per grade, `notify.escalation`), or how long it is
 * overdue; 督办 on an alarm escalated (to the officers above, who see it too; an enterprise's overdue answer is marked
 * 督办 by its response chip, response.tsx).
 */
function TimeLimits({ alert: a, limits, maxLevel }: { alert: Alert; limits: EscalationLimits; maxLevel: number | undefined }) {
  // only this part of a row follows the clock: the list is not drawn again every second
  const now = useNow();
  // at the top authority (or none above): nothing counts down; not known yet (an enterprise first heard on the
  // stream): counted as the limits say
  const next = nextEscalation(a, limits, maxLevel === undefined ? {} : { maxLevel });
  return (
    <span class="limits" data-testid="time-limits">
      <span class="muted" data-testid="time-in-state">
        {fill('inStateFor', { d: duration(now - stateSince(a)) })}
      </span>
      {next &&
        (now < next.dueAt ? (
          <span class={next.dueAt - now < 60_000 ? 'due soon' : 'due'} data-testid="escalation-due">
            {fill('escalatesIn', { d: duration(next.dueAt - now) })}
          </span>
        ) : (
          <span class="due overdue" data-testid="escalation-due">
            {fill('escalationOverdue', { d: duration(now - next.dueAt) })}
          </span>
        ))}
      {a.escalations > 0 && (
        <span class="chip supervised" data-testid="escalated-mark" title={fill('escalatedLevels', { n: a.escalations })}>
          {t('supervisedMark')}
        </span>
      )}
    </span>
  );
}

/** The number of alarms needing an officer, per grade. */
function GradeCounts({ alerts }: { alerts: Alert[] }) {
  const grades: Grade[] = ['red', 'orange', 'yellow', 'blue'];
  return (
    <p class="counts" data-testid="grade-counts">
      {grades.map((g) => (
        <GradeChip key={g} grade={g} count={alerts.filter((a) => a.severity === g).length} />
      ))}
    </p>
  );
}

/** Turns the sound and desktop notification of a new red alarm on (a click, as browsers require). */
function AlarmSwitch() {
  const on = useValue(alarmOn);
  return on ? (
    <span class="alarm-on" data-testid="alarm-on">
      {t('alarmOn')}
    </span>
  ) : (
    <button class="alarm-switch" onClick={() => void enable()} data-testid="enable-alarm">
      {t('enableAlarm')}
    </button>
  );
}

/** `warning`: the enterprise's risk warning (null: none; undefined: not known yet). */
function AlertRow({
  alert: a,
  onChange,
  warning,
  response,
  limits,
  maxLevel,
  chosen,
  onChoose,
}: {
  alert: Alert;
  onChange: (a: Alert) => void;
  warning: WarningRow | null | undefined;
  response?: SeenResponse | undefined;
  limits: EscalationLimits;
  maxLevel: number | undefined;
  /** Chosen to be disposed together (undefined: it cannot be: not resolved, or red). */
  chosen: boolean | undefined;
  onChoose: (on: boolean) => void;
}) {
  // an enterprise's own user reads its own alarms: no enterprise name on each
  const ownEnterprise = !!user.get()?.enterpriseId;
  return (
    <li class={`alert grade-${a.severity} state-${a.state}`} data-testid={`alert-${a.id}`} data-grade={a.severity} data-state={a.state}>
      {chosen !== undefined && can('alerts.act') && (
        <input
          type="checkbox"
          class="choose"
          checked={chosen}
          aria-label={t('bulkPick')}
          onChange={(e) => onChoose((e.target as HTMLInputElement).checked)}
          data-testid="choose"
        />
      )}
      <div class="alert-main" onClick={() => go(`/alerts/${a.id}`)}>
        <GradeChip grade={a.severity} />
        <strong>{both(a.message)}</strong>
        {warning !== undefined && <EnterpriseRiskChip level={warning?.level ?? 'none'} />}
        <span class="muted">
          {!ownEnterprise && <span class="enterprise-name">{enterpriseName(a.enterpriseId)}</span>} {a.subject} · {time(a.firedAt ?? a.startedAt)}
        </span>
        <span class="state">{t(a.state)}</span>
        <TimeLimits alert={a} limits={limits} maxLevel={maxLevel} />
        {response && <ResponseChip r={response} alert={a} />}
        {a.shelvedUntil !== undefined && (
          <span class="chip shelved" title={a.shelveReason} data-testid="shelved-mark">
            {t('shelvedUntilMark')} {hhmm(a.shelvedUntil)}
          </span>
        )}
      </div>
      <AlertActions alert={a} onChange={onChange} />
    </li>
  );
}

/** An officer's actions on an alarm — 签收, 处置 (with the required text), 报请上级督办, 取消搁置, 派发检查任务 — in the list and on its page. */
function AlertActions({ alert: a, onChange }: { alert: Alert; onChange: (a: Alert) => void }) {
  const [disposing, setDisposing] = useState(false);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | undefined>();

  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setNote(undefined);
    try {
      await f();
    } catch (err) {
      setNote((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const acknowledge = () => run(async () => onChange((await api<{ alert: Alert }>('POST', `/api/v1/alerts/${a.id}/acknowledge`, {})).alert));
  const dispose = () =>
    run(async () => {
      onChange((await api<{ alert: Alert }>('POST', `/api/v1/alerts/${a.id}/dispose`, { text })).alert);
      setDisposing(false);
    });
  const escalate = () =>
    run(async () => {
      onChange((await api<{ alert: Alert }>('POST', `/api/v1/alerts/${a.id}/escalate`, {})).alert);
      setNote(t('escalatedUp'));
    });
  const openTask = () =>
    run(async () => {
      await api('POST', '/api/v1/tasks', { alertId: a.id });
      setNote(t('taskOpened'));
    });
  if (!can('alerts.act')) return null;
  return (
    <>
      {a.state !== 'disposed' && (
        <div class="actions">
          {a.state === 'firing' && (
            <button disabled={busy} onClick={() => void acknowledge()} data-testid="acknowledge">
              {t('acknowledge')}
            </button>
          )}
          {a.firedAt !== undefined && !disposing && (
            <button disabled={busy} onClick={() => setDisposing(true)} data-testid="dispose">
              {t('dispose')}
            </button>
          )}
          {(a.state === 'firing' || a.state === 'acknowledged') && (
            <button disabled={busy} onClick={() => void escalate()} data-testid="escalate">
              {t('escalate')}
            </button>
          )}
          {a.shelvedUntil !== undefined && (
            <button disabled={busy} onClick={() => void run(async () => onChange(await unshelveAlert(a.id)))} data-testid="unshelve">
              {t('unshelveAction')}
            </button>
          )}
          {can('tasks.dispatch') && (
            <button disabled={busy} onClick={() => void openTask()} data-testid="open-task">
              {t('openTask')}
            </button>
          )}
        </div>
      )}
      {disposing && (
        <form
          class="dispose"
          onSubmit={(e) => {
            e.preventDefault();
            void dispose();
          }}
        >
          <textarea
            required
            placeholder={t('disposalText')}
            value={text}
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            data-testid="disposal-text"
          />
          <button type="submit" disabled={busy || text.trim() === ''} data-testid="confirm-dispose">
            {t('confirm')}
          </button>
          <button type="button" onClick={() => setDisposing(false)}>
            {t('cancel')}
          </button>
        </form>
      )}
      {note && <p class="note">{note}</p>}
    </>
  );
}

export function AlertView({ id }: { id: string }) {
  const [d, setD] = useState<AlertDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const risk = useEnterpriseRisk(d?.alert.enterpriseId);
  const [responseTick, setResponseTick] = useState(0);
  const [rec] = useResponse(id, responseTick);
  useEffect(() => {
    api<AlertDetail>('GET', `/api/v1/alerts/${encodeURIComponent(id)}?points=300`).then(
      (detail) => {
        remember(detail.names);
        syncClock(detail.now);
        setD(detail);
      },
      (err: unknown) => setError(err instanceof ApiError && err.status === 404 ? '404' : (err as Error).message),
    );
  }, [id, responseTick]);
  if (error) return <p class="error">{error}</p>;
  if (!d) return <p class="loading">…</p>;
  const a = d.alert;
  return (
    <section class="detail">
      <button class="link" onClick={() => go('/alerts')}>
        ← {t('back')}
      </button>
      <h2>
        <GradeChip grade={a.severity} /> {both(a.message)}
      </h2>
      <dl class="facts">
        <dt>{t('rule')}</dt>
        <dd>
          {d.rule ? both(d.rule.name) : a.ruleId}{' '}
          <span class="muted">
            ({a.ruleId} v{a.ruleVersion})
          </span>
          {d.rule?.standard && <div class="muted">{d.rule.standard}</div>}
          {d.rule?.note && <div class="muted">{both(d.rule.note)}</div>}
        </dd>
        <dt>{t('enterprise')}</dt>
        <dd>
          {can('ledger.read') ? (
            <a href={`#/enterprises/${a.enterpriseId}`}>{d.names?.enterprises[a.enterpriseId] ?? a.enterpriseId}</a>
          ) : (
            (user.get()?.enterpriseName ?? a.enterpriseId)
          )}{' '}
          <span class="muted">{a.enterpriseId}</span>
        </dd>
        <dt>{t('grade')}</dt>
        <dd>
          <GradeChip grade={a.severity} testid="alarm-grade" />
        </dd>
        {risk && (
          <>
            <dt>{t('riskWarning')}</dt>
            <dd data-testid="alarm-risk">
              <EnterpriseRiskChip level={risk.enterprise.level} />{' '}
              {risk.enterprise.level !== 'none' && (
                <span data-testid="alarm-factor" data-factor={String(alarmIsFactor(risk, a.id))}>
                  {t(alarmIsFactor(risk, a.id) ? 'alarmIsFactor' : 'alarmNotFactor')}
                </span>
              )}
            </dd>
          </>
        )}
        <dt>{t('subject')}</dt>
        <dd>{a.subject}</dd>
        <dt>{t('started')}</dt>
        <dd>{time(a.startedAt)}</dd>
        <dt>{t('state')}</dt>
        <dd>
          {t(a.state)} <TimeLimits alert={a} limits={d.escalationLimits ?? NO_LIMITS} maxLevel={d.escalationLevels?.[a.enterpriseId]} />
        </dd>
      </dl>
      <AlertActions alert={a} onChange={(next) => setD({ ...d, alert: { ...next } })} />
      <AlertTasks tasks={d.tasks} />
      {can('alerts.act') && <ShelveControl alert={a} names={d.names} onChange={(next) => setD({ ...d, alert: { ...next } })} />}
      {rec &&
        (can('alerts.respond') ? (
          <EnterpriseResponse alertId={a.id} rec={rec} onStep={() => setResponseTick((n) => n + 1)} />
        ) : (
          <OfficerResponse alertId={a.id} rec={rec} onStep={() => setResponseTick((n) => n + 1)} />
        ))}
      {d.enterprise && <WhoToCall e={d.enterprise} />}
      <h3>{t('readings')}</h3>
      {d.readings && d.readings.points.length > 0 ? (
        <ReadingsChart detail={d} />
      ) : (
        <p class="muted">{d.readingsNote ? both(d.readingsNote) : t('noReadings')}</p>
      )}
      <h3>{t('events')}</h3>
      <ol class="events">
        {d.events.map((e) => (
          <li key={e.seq}>
            <span class="muted">{time(e.at)}</span> <strong>{eventName(e.type)}</strong> {eventText(e, a, d.names)}{' '}
            <span class="muted">{actorName(e.actor, d.names)}</span>
            {e.note && <div>{e.note}</div>}
          </li>
        ))}
      </ol>
    </section>
  );
}

const CONTACT_ROLES: Record<EnterpriseContacts['contacts'][number]['role'], Key> = {
  safety_manager: 'safety_manager',
  responsible_person: 'responsible_person',
  hazard_main: 'mainPerson',
  hazard_technical: 'technicalPerson',
  hazard_operational: 'operationalPerson',
};

/** Who to call about the alarm (a tap calls on a phone), the enterprise's address, and its latest alarms. */
function WhoToCall({ e }: { e: EnterpriseContacts }) {
  return (
    <section class="who-to-call" data-testid="who-to-call">
      <h3>{t('whoToCall')}</h3>
      <p>
        <strong>{e.name}</strong>
        {e.address && (
          <>
            {' · '}
            <span data-testid="enterprise-address">{e.address}</span>
          </>
        )}
      </p>
      {e.contacts.length === 0 ? (
        <p class="muted">{t('noContacts')}</p>
      ) : (
        <ul class="contacts" data-testid="contacts">
          {e.contacts.map((c, i) => (
            <li key={i}>
              <span class="muted">
                {t(CONTACT_ROLES[c.role])}
                {c.of && paren(c.of)}
              </span>{' '}
              {c.name}{' '}
              {c.phone ? (
                <a href={`tel:${c.phone.replace(/[^\d+]/g, '')}`} class="phone">
                  {c.phone}
                </a>
              ) : (
                <span class="muted">{t('noPhone')}</span>
              )}
            </li>
          ))}
        </ul>
      )}
      <h4>
        {t('recentAlarms')} <span class="muted">{fill('alarmsIn30Days', { n: e.alertsLast30Days })}</span>
      </h4>
      {e.recentAlerts.length === 0 ? (
        <p class="muted">{t('noEarlierAlarms')}</p>
      ) : (
        <ul class="plain" data-testid="recent-alarms">
          {e.recentAlerts.map((r) => (
            <li key={r.id}>
              <a href={`#/alerts/${r.id}`}>
                <GradeChip grade={r.severity} /> {both(r.message)}
              </a>{' '}
              <span class="muted">
                {time(r.startedAt)} · {t(r.state)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const LIMIT_COLORS: Record<Grade, string> = { red: '#d4380d', orange: '#fa8c16', yellow: '#d4b106', blue: '#1677ff' };

/** The readings around the alarm (its start to its clear), or over a range the officer picks; the limits in force drawn across. */
function ReadingsChart({ detail }: { detail: AlertDetail }) {
  const ref = useRef<HTMLDivElement>(null);
  // undefined: around the alarm, as the detail gives them
  const [range, setRange] = useState<Range | undefined>();
  const [points, setPoints] = useState<Point[] | undefined>(detail.readings?.points);
  const [latest, setLatest] = useState<Reading | null | undefined>(detail.readings?.latest);
  const sensor = detail.readings?.sensor;
  useEffect(() => {
    if (!range || !sensor) {
      setLatest(detail.readings?.latest);
      return setPoints(detail.readings?.points);
    }
    const { from, to } = rangeOf(range);
    let gone = false;
    api<{ points: Point[]; latest?: Reading | null }>(
      'GET',
      `/api/v1/enterprises/${encodeURIComponent(detail.alert.enterpriseId)}/sensors/${encodeURIComponent(sensor.id)}/readings?points=300&from=${Math.floor(from)}&to=${Math.floor(to)}`,
    ).then(
      (r) => {
        if (gone) return;
        setPoints(r.points);
        setLatest(r.latest);
      },
      () => !gone && setPoints([]),
    );
    return () => void (gone = true);
  }, [detail, range]);
  const U = useUplot();
  useEffect(() => {
    if (!ref.current || !sensor || !points || !U) return;
    const xs = points.map((p) => p.t / 1000);
    const h = historySeries(points, `${sensor.id}${paren(sensor.unit)}`);
    const limits = detail.rule?.limits ?? [];
    const data = [...h.data, ...limits.map((l) => xs.map(() => l.value))] as uPlot.AlignedData;
    const plot = new U(
      {
        width: chartWidth(ref.current, 900),
        height: 260,
        scales: { x: { time: true } },
        // officers read China Standard Time, whatever the computer's zone
        tzDate: (ts) => U.tzDate(new Date(ts * 1000), 'Asia/Shanghai'),
        series: [
          timeSeries(),
          ...h.series,
          ...limits.map((l) => ({
            label: `${t('limits')} ${limitName(l.label)}`,
            value: legendValue(),
            stroke: LIMIT_COLORS[l.severity ?? 'orange'],
            dash: [6, 4],
            width: 1,
            points: { show: false },
          })),
        ],
        bands: h.bands,
        axes: [timeAxis(), { label: sensor.unit }],
      },
      data,
      ref.current,
    );
    return () => plot.destroy();
  }, [detail, points, U]);
  // the last reading measured; an older answer without it: the last point (a bucket's mean when downsampled)
  const last = points?.at(-1);
  const current = latest ?? (latest === null ? undefined : last && { t: last.t, value: 'value' in last ? last.value : last.mean });
  return (
    <>
      {can('ledger.read') && (
        <div class="range-row">
          <button type="button" class={range ? '' : 'current'} aria-pressed={!range} onClick={() => setRange(undefined)} data-range="alarm">
            {t('rangeAlarm')}
          </button>
          <RangePicker value={range ?? { preset: '' }} onChange={setRange} testid="readings-range" />
        </div>
      )}
      <div class="chart" ref={ref} data-testid="readings-chart" />
      {sensor && <CurrentValue point={current} unit={sensor.unit} />}
    </>
  );
}

const unshelveAlert = async (id: string): Promise<Alert> => (await api<{ alert: Alert }>('POST', `/api/v1/alerts/${id}/unshelve`, {})).alert;

/** Durations offered (minutes); the server refuses more than the bureau's longest shelve (platform default 8 h). */
const SHELVE_MINUTES: [number, Key][] = [
  [30, 'shelveMin30'],
  [60, 'shelveH1'],
  [120, 'shelveH2'],
  [240, 'shelveH4'],
  [480, 'shelveH8'],
];

/**
 * 搁置 (ISA-18.2 / EEMUA 191): a non-red, still active alarm, for a chosen time, with a required reason;
 * 取消搁置 while shelved. The server refuses red and safety-critical alarms and says why.
 */
function ShelveControl({ alert: a, names, onChange }: { alert: Alert; names: Names | undefined; onChange: (a: Alert) => void }) {
  const [open, setOpen] = useState(false);
  const [minutes, setMinutes] = useState(60);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | undefined>();
  const active = a.state === 'firing' || a.state === 'acknowledged';
  if (!active || (a.severity === 'red' && a.shelvedUntil === undefined)) return null;
  const run = async (f: () => Promise<Alert>) => {
    setBusy(true);
    setNote(undefined);
    try {
      onChange(await f());
      setOpen(false);
      setReason('');
    } catch (err) {
      setNote((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="shelve" data-testid="shelve-control">
      {a.shelvedUntil !== undefined && (
        <p>
          <span class="chip shelved" data-testid="shelved-mark">
            {t('shelvedUntilMark')} {hhmm(a.shelvedUntil)}
          </span>{' '}
          {a.shelveReason} <span class="muted">{actorName(a.shelvedBy, names)}</span>{' '}
          <button disabled={busy} onClick={() => void run(() => unshelveAlert(a.id))} data-testid="unshelve">
            {t('unshelveAction')}
          </button>
        </p>
      )}
      {!open ? (
        <button disabled={busy} onClick={() => setOpen(true)} data-testid="shelve">
          {t('shelveAction')}
        </button>
      ) : (
        <form
          class="dispose"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => (await api<{ alert: Alert }>('POST', `/api/v1/alerts/${a.id}/shelve`, { minutes, reason })).alert);
          }}
        >
          <label>
            {t('shelveDuration')}{' '}
            <select value={String(minutes)} onChange={(e) => setMinutes(Number((e.target as HTMLSelectElement).value))} data-testid="shelve-minutes">
              {SHELVE_MINUTES.map(([m, key]) => (
                <option key={m} value={String(m)}>
                  {t(key)}
                </option>
              ))}
            </select>
          </label>
          <textarea
            required
            maxLength={500}
            placeholder={t('shelveReasonText')}
            value={reason}
            onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
            data-testid="shelve-reason"
          />
          <button type="submit" disabled={busy || reason.trim() === ''} data-testid="confirm-shelve">
            {t('confirm')}
          </button>
          <button type="button" onClick={() => setOpen(false)}>
            {t('cancel')}
          </button>
          <p class="muted">{t('shelveHelp')}</p>
        </form>
      )}
      {note && <p class="note">{note}</p>}
    </div>
  );
}
