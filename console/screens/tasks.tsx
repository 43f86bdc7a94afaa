/**
 * Inspection tasks: an inspector's "my tasks" on a phone, and one task with
 * its checklist and the step the caller may take now (accept, arrive,
 * findings, rectification order, re-check; assign and escalate for duty
 * officers and leaders). A remote verification task (an alert that is not
 * a serious violation) is closed by its duty officer with the outcome of
 * the online patrol, or turned into an on-site inspection with a reason.
 * Plain forms, small requests: it works on a slow connection.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, can, user } from '../api.ts';
import { both, colon, duration, fill, lang, list, t, time, type Key } from '../i18n.ts';
import { authorityName, enterpriseName, officerName, useDirectoryNames } from '../names.ts';
import { platformNow, useNow } from '../clock.ts';
import { basisIn } from '../../inspections/tasks/bases.ts';
import { go } from '../router.ts';
import type { Finding, Grade, Task, TaskAlertLink, Text } from '../types.ts';
import { GradeChip } from './grade-chip.tsx';
import { RecheckRecord, TaskAlerts, type TaskEventView } from './task-links.tsx';
import { onSent, outbox, sendOrQueue, waiting } from '../outbox.ts';
import { useValue } from '../state.ts';
import { OutboxState, PhotoInput, PlaceFacts, Thumbs, useTaskFiles, type TaskFile, type TaskPlace } from './task-phone.tsx';

const REMOTE_METHODS = ['call', 'data_review', 'video_check'] as const;
type RemoteMethod = (typeof REMOTE_METHODS)[number];
const isRemote = (k: Task): boolean => k.kind === 'remote_verification';

/** Past its rectification deadline and not closed (逾期): still to be re-checked, or escalated for it. */
const overdue = (k: Task, now: number): boolean => k.rectificationDeadline !== undefined && now > k.rectificationDeadline && k.state !== 'closed';

export function TaskList({ mine }: { mine: boolean }) {
  useDirectoryNames();
  const now = useNow(30_000);
  const [tasks, setTasks] = useState<Task[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api<{ tasks: Task[] }>('GET', `/api/v1/tasks?open=true&limit=200${mine ? '&mine=true' : ''}`).then(
      (r) => setTasks(r.tasks),
      (err: unknown) => setError((err as Error).message),
    );
  }, [mine]);
  if (error) return <p class="error">{error}</p>;
  if (!tasks) return <p class="loading">…</p>;
  if (tasks.length === 0)
    return (
      <>
        <OutboxState />
        <p class="empty">{t('noTasks')}</p>
      </>
    );
  return (
    <>
      <OutboxState />
      <ul class="tasks" data-testid="tasks">
        {tasks.map((k) => (
          <li key={k.id} class={`task state-${k.state}`} onClick={() => go(`/tasks/${k.id}`)} data-testid={`task-${k.id}`}>
            <strong>{both(k.matterName)}</strong>
            <span class="muted">
              {enterpriseName(k.enterpriseId)} · {time(k.createdAt)}
            </span>
            <span class="state">{t(k.state)}</span>
            {isRemote(k) && <span class="kind">{t('remoteVerification')}</span>}
            {k.rectificationDeadline !== undefined && (
              <span class="muted">
                {t('rectificationDeadline')}
                {colon()}
                {time(k.rectificationDeadline)}
              </span>
            )}
            {overdue(k, now) && (
              <span class="chip overdue" data-testid="overdue-mark" title={fill('overdueBy', { d: duration(now - k.rectificationDeadline!) })}>
                {t('overdueMark')}
              </span>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

export function TaskView({ id }: { id: string }) {
  useDirectoryNames();
  const [task, setTask] = useState<Task | undefined>();
  const [alerts, setAlerts] = useState<TaskAlertLink[] | undefined>();
  const [events, setEvents] = useState<TaskEventView[] | undefined>();
  const [place, setPlace] = useState<TaskPlace | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  // the task's photos, re-read after each step (a finding or the re-check names new ones)
  const [filesTick, setFilesTick] = useState(0);
  const files = useTaskFiles(id, filesTick);
  const queued = waiting(useValue(outbox)).filter((e) => e.taskId === id);
  // findings queued offline and sent once back online: the task as the server answered
  useEffect(
    () =>
      onSent((k) => {
        if (k.id !== id) return;
        setTask(k);
        setFilesTick((n) => n + 1);
      }),
    [id],
  );
  useEffect(() => {
    api<{ task: Task; alerts?: TaskAlertLink[]; events?: TaskEventView[]; place?: TaskPlace }>('GET', `/api/v1/tasks/${encodeURIComponent(id)}`).then(
      (r) => {
        setTask(r.task);
        setAlerts(r.alerts);
        setEvents(r.events);
        setPlace(r.place);
      },
      (err: unknown) => setError(err instanceof ApiError && err.status === 404 ? '404' : (err as Error).message),
    );
  }, [id]);
  if (!task) return error ? <p class="error">{error}</p> : <p class="loading">…</p>;

  const step = async (path: string, body: unknown = {}) => {
    setBusy(true);
    setError(undefined);
    try {
      setTask((await api<{ task: Task }>('POST', `/api/v1/tasks/${task.id}/${path}`, body)).task);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
      setFilesTick((n) => n + 1);
    }
  };
  /** Findings: sent now, or kept in the outbox while offline (sent when back online). */
  const sendFindings = async (findings: Finding[]) => {
    setBusy(true);
    setError(undefined);
    try {
      const next = await sendOrQueue(task.id, 'findings', { findings });
      if (next) setTask(next);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
      setFilesTick((n) => n + 1);
    }
  };
  const me = user.get();
  const mine = me !== null && me !== undefined && task.inspectorId === me.id;

  return (
    <section class="task-view" data-testid="task-view" data-state={task.state}>
      <button class="link" onClick={() => go('/tasks')}>
        ← {t('back')}
      </button>
      <h2>{both(task.matterName)}</h2>
      <dl class="facts">
        <dt>{t('enterprise')}</dt>
        <dd>
          {enterpriseName(task.enterpriseId)} <span class="muted">{task.enterpriseId}</span>
        </dd>
        <PlaceFacts place={place} name={enterpriseName(task.enterpriseId)} />
        <dt>{t('authority')}</dt>
        <dd>
          {authorityName(task.authorityId)}
          {task.joint && ` · ${t('joint')}`}
        </dd>
        <dt>{t('kind')}</dt>
        <dd data-testid="task-kind">{t(isRemote(task) ? 'remoteVerificationKind' : 'inspectionKind')}</dd>
        <dt>{t('state')}</dt>
        <dd data-testid="task-state">{task.outcome === 'verified_remotely' ? t('verifiedRemotely') : t(task.state)}</dd>
        {task.remoteVerification && (
          <>
            <dt>{t('remoteMethods')}</dt>
            <dd>
              {list(task.remoteVerification.methods.map((m) => t(m)))} · {task.remoteVerification.note}
            </dd>
          </>
        )}
        {task.conversion && (
          <>
            <dt>{t('convertedBecause')}</dt>
            <dd>{task.conversion.reason}</dd>
          </>
        )}
        {task.inspectorId && (
          <>
            <dt>{t('inspector')}</dt>
            <dd>{officerName(task.inspectorId)}</dd>
          </>
        )}
        {task.rectificationDeadline !== undefined && (
          <>
            <dt>{t('rectificationDeadline')}</dt>
            <dd>
              {time(task.rectificationDeadline)}{' '}
              {overdue(task, platformNow()) && (
                <span class="chip overdue" data-testid="overdue-mark">
                  {t('overdueMark')} {duration(platformNow() - task.rectificationDeadline)}
                </span>
              )}
            </dd>
          </>
        )}
        {task.repeatOf && (
          <>
            <dt>{t('repeated')}</dt>
            <dd>{task.repeatOf}</dd>
          </>
        )}
      </dl>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}

      {task.state === 'created' && can('tasks.dispatch') && !isRemote(task) && (
        <Assign taskId={task.id} busy={busy} onAssign={(inspectorId) => void step('assign', { inspectorId })} />
      )}
      {task.state === 'created' && can('tasks.dispatch') && isRemote(task) && (
        <RemoteVerification
          busy={busy}
          onVerified={(methods, note) => void step('verify-remotely', { methods, note })}
          onConvert={(reason) => void step('convert', { reason })}
        />
      )}
      {task.state === 'assigned' && mine && (
        <button class="primary" disabled={busy} onClick={() => void step('accept')} data-testid="accept">
          {t('accept')}
        </button>
      )}
      {task.state === 'accepted' && mine && (
        <button class="primary" disabled={busy} onClick={() => void step('arrive')} data-testid="arrive">
          {t('arrive')}
        </button>
      )}
      <OutboxState taskId={task.id} />
      {task.state === 'on_site' && mine && queued.length === 0 ? (
        <FindingsForm task={task} busy={busy} onSubmit={(findings) => void sendFindings(findings)} />
      ) : (
        <Checklist task={task} files={files} />
      )}
      {task.state === 'findings_recorded' && (mine || me?.role === 'leader') && (
        <Rectification busy={busy} onOrder={(deadline) => void step('rectification', { deadline })} />
      )}
      {task.state === 'rechecking' && mine && (
        <Recheck
          taskId={task.id}
          onDone={(k) => {
            setTask(k);
            setFilesTick((n) => n + 1);
          }}
        />
      )}
      <RecheckRecord
        task={task}
        events={events}
        photoIds={new Set(files.map((f) => f.id))}
        photos={
          task.recheck?.evidence.some((e) => files.some((f) => f.id === e)) ? (
            <Thumbs ids={task.recheck.evidence.filter((e) => files.some((f) => f.id === e))} files={files} testid="recheck-photos" label={t('recheckPhotos')} />
          ) : undefined
        }
      />
      <TaskAlerts alerts={alerts} />
      {['findings_recorded', 'rectifying', 'rechecking'].includes(task.state) && can('tasks.escalate') && (
        <button disabled={busy} onClick={() => void step('escalate', { reason: t('escalated') })}>
          {t('escalated')}
        </button>
      )}
    </section>
  );
}

function Checklist({ task, files }: { task: Task; files: readonly TaskFile[] }) {
  const found = new Map(task.findings.map((f) => [f.itemId, f]));
  return (
    <>
      <h3>{t('checklist')}</h3>
      <ol class="checklist">
        {task.checklist.map((i) => {
          const f = found.get(i.id);
          return (
            <li key={i.id} class={f ? `result-${f.result}` : ''}>
              {lang.get() === 'en' ? i.en : i.zh}
              {i.major && <span class="chip grade-red">{t('major_hazard')}</span>}
              <div class="muted">{basisIn(i.basis, lang.get())}</div>
              {f && (
                <div>
                  <strong>{t(f.result)}</strong> {f.note} {f.selfReported && `(${t('selfReported')})`}
                  <Thumbs ids={f.evidence} files={files} testid={`photos-${i.id}`} />
                </div>
              )}
            </li>
          );
        })}
      </ol>
    </>
  );
}

/** A finding as entered: no result until the inspector chooses one (issue #20 §8: nothing preset to compliant). */
type Draft = Omit<Finding, 'result'> & { result: Finding['result'] | undefined; photos: TaskFile[] };

function FindingsForm({ task, busy, onSubmit }: { task: Task; busy: boolean; onSubmit: (f: Finding[]) => void }) {
  const [findings, setFindings] = useState<Draft[]>(() =>
    task.checklist.map((i) => ({ itemId: i.id, result: undefined, note: '', evidence: [], selfReported: false, photos: [] })),
  );
  const [unanswered, setUnanswered] = useState<number[]>([]);
  const set = (n: number, patch: Partial<Draft>) => setFindings((fs) => fs.map((f, k) => (k === n ? { ...f, ...patch } : f)));
  const itemText = (n: number) => {
    const i = task.checklist[n]!;
    return lang.get() === 'en' ? i.en : i.zh;
  };
  return (
    <form
      class="findings"
      data-testid="findings-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const missing = findings.flatMap((f, n) => (f.result === undefined ? [n] : []));
        setUnanswered(missing);
        if (missing.length > 0) {
          document.getElementById(`item-${task.checklist[missing[0]!]!.id}`)?.scrollIntoView({ block: 'center' });
          return;
        }
        onSubmit(findings.map(({ photos, result, ...f }) => ({ ...f, result: result!, evidence: [...photos.map((p) => p.id), ...f.evidence] })));
      }}
    >
      <h3>{t('checklist')}</h3>
      <p class="muted">{t('answerEveryItem')}</p>
      {task.checklist.map((i, n) => {
        const f = findings[n]!;
        const missing = unanswered.includes(n) && f.result === undefined;
        return (
          <fieldset key={i.id} id={`item-${i.id}`} data-testid={`item-${i.id}`} class={missing ? 'unanswered' : ''} aria-invalid={missing || undefined}>
            <legend>
              {n + 1}. {lang.get() === 'en' ? i.en : i.zh}
              {i.major && <span class="chip grade-red">{t('major_hazard')}</span>}
            </legend>
            <div class="choices" role="radiogroup" aria-label={fill('itemResult', { n: n + 1 })}>
              {(['ok', 'hazard', 'major_hazard'] as const).map((r) => (
                <label key={r}>
                  <input type="radio" name={`r-${i.id}`} value={r} checked={f.result === r} onChange={() => set(n, { result: r })} /> {t(r)}
                </label>
              ))}
            </div>
            {missing && (
              <p class="error" data-testid="item-unanswered">
                {t('itemUnanswered')}
              </p>
            )}
            {f.result !== undefined && f.result !== 'ok' && (
              <>
                <input placeholder={t('note')} aria-label={t('note')} value={f.note} onInput={(e) => set(n, { note: (e.target as HTMLInputElement).value })} />
                <input
                  placeholder={t('evidence')}
                  aria-label={t('evidence')}
                  value={f.evidence.join(' ')}
                  onInput={(e) => set(n, { evidence: (e.target as HTMLInputElement).value.split(/\s+/).filter((x) => x !== '') })}
                />
                <label>
                  <input type="checkbox" checked={f.selfReported} onChange={(e) => set(n, { selfReported: (e.target as HTMLInputElement).checked })} />{' '}
                  {t('selfReported')}
                </label>
              </>
            )}
            <PhotoInput
              taskId={task.id}
              label={t('takePhoto')}
              testid={`photo-${i.id}`}
              onAdded={(a) => setFindings((fs) => fs.map((x, k) => (k === n ? { ...x, photos: [...x.photos, a] } : x)))}
            />
            <Thumbs ids={f.photos.map((p) => p.id)} files={f.photos} testid={`picked-${i.id}`} />
          </fieldset>
        );
      })}
      {unanswered.some((n) => findings[n]!.result === undefined) && (
        <p class="error" role="alert" data-testid="unanswered">
          {fill('unansweredItems', {
            items: list(unanswered.filter((n) => findings[n]!.result === undefined).map((n) => `${n + 1}. ${itemText(n)}`)),
          })}
        </p>
      )}
      <button class="primary" type="submit" disabled={busy} data-testid="submit-findings">
        {t('saveFindings')}
      </button>
    </form>
  );
}

interface Eligible {
  id: string;
  name: string;
  authorityId: string;
  joint: boolean;
}

function Assign({ taskId, busy, onAssign }: { taskId: string; busy: boolean; onAssign: (inspectorId: string) => void }) {
  const [list, setList] = useState<Eligible[] | undefined>();
  const [who, setWho] = useState('');
  useEffect(() => {
    api<{ inspectors: Eligible[] }>('GET', `/api/v1/tasks/${encodeURIComponent(taskId)}/inspectors`).then(
      (r) => setList(r.inspectors),
      () => setList([]),
    );
  }, [taskId]);
  return (
    <form
      class="inline"
      onSubmit={(e) => {
        e.preventDefault();
        onAssign(who);
      }}
    >
      <label>
        {t('assign')}{' '}
        <select required value={who} onChange={(e) => setWho((e.target as HTMLSelectElement).value)} data-testid="assign-to">
          <option value="">—</option>
          {(list ?? []).map((i) => (
            <option key={i.id} value={i.id}>
              {i.name} ({i.id}){i.joint ? ` · ${t('joint')}` : ''}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={busy || who === ''} data-testid="assign">
        {t('confirm')}
      </button>
    </form>
  );
}

/** A `datetime-local` value (minutes, or seconds) read as China Standard Time → epoch ms. */
const cst = (local: string): number => Date.parse(`${local.length === 16 ? `${local}:00` : local}+08:00`);

function Rectification({ busy, onOrder }: { busy: boolean; onOrder: (deadline: number) => void }) {
  const [at, setAt] = useState('');
  return (
    <form
      class="inline"
      onSubmit={(e) => {
        e.preventDefault();
        onOrder(cst(at));
      }}
    >
      <label>
        {t('rectificationDeadline')}{' '}
        <input type="datetime-local" step="1" required value={at} onInput={(e) => setAt((e.target as HTMLInputElement).value)} data-testid="deadline" />
      </label>
      <button type="submit" disabled={busy || at === ''} data-testid="order">
        {t('orderRectification')}
      </button>
    </form>
  );
}

function RemoteVerification({
  busy,
  onVerified,
  onConvert,
}: {
  busy: boolean;
  onVerified: (methods: RemoteMethod[], note: string) => void;
  onConvert: (reason: string) => void;
}) {
  const [methods, setMethods] = useState<RemoteMethod[]>([]);
  const [note, setNote] = useState('');
  const [reason, setReason] = useState('');
  const toggle = (m: RemoteMethod, on: boolean) => setMethods((ms) => (on ? [...ms.filter((x) => x !== m), m] : ms.filter((x) => x !== m)));
  return (
    <div class="remote-verification" data-testid="remote-verification">
      <h3>{t('remoteVerification')}</h3>
      <fieldset>
        <legend>{t('remoteMethods')}</legend>
        {REMOTE_METHODS.map((m) => (
          <label key={m}>
            <input
              type="checkbox"
              checked={methods.includes(m)}
              onChange={(e) => toggle(m, (e.target as HTMLInputElement).checked)}
              data-testid={`method-${m}`}
            />
            {t(m)}
          </label>
        ))}
      </fieldset>
      <textarea placeholder={t('note')} value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} data-testid="remote-note" />
      <button
        class="primary"
        disabled={busy || methods.length === 0 || note.trim() === ''}
        onClick={() => onVerified(methods, note)}
        data-testid="verify-remotely"
      >
        {t('verifyRemotely')}
      </button>
      <textarea
        placeholder={t('conversionReason')}
        value={reason}
        onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
        data-testid="conversion-reason"
      />
      <button disabled={busy || reason.trim() === ''} onClick={() => onConvert(reason)} data-testid="convert">
        {t('convertToInspection')}
      </button>
    </div>
  );
}

/** An alarm of the same matter still firing, as a refused pass names it (409 ALARM_STILL_FIRING). */
interface FiringAlarm {
  id: string;
  severity: Grade;
  state: string;
  message: Text;
  startedAt: number;
  firedAt: number | null;
}

/**
 * The re-check: a note, the evidence (photo ids …), passed or failed. A pass refused because an alarm of the same
 * matter still fires (issue #20 §5) shows those alarms and a confirmation to tick; the pass is then sent again
 * with it (`confirmFiring`).
 */
function Recheck({ taskId, onDone }: { taskId: string; onDone: (task: Task) => void }) {
  const [note, setNote] = useState('');
  const [evidence, setEvidence] = useState('');
  const [photos, setPhotos] = useState<TaskFile[]>([]);
  const [firing, setFiring] = useState<FiringAlarm[] | undefined>();
  const [confirmed, setConfirmed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const send = async (passed: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const body = {
        passed,
        note,
        evidence: [...photos.map((p) => p.id), ...evidence.split(/\s+/).filter((x) => x !== '')],
        ...(passed && firing && confirmed ? { confirmFiring: true } : {}),
      };
      onDone((await api<{ task: Task }>('POST', `/api/v1/tasks/${encodeURIComponent(taskId)}/recheck`, body)).task);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && err.body.task === 'ALARM_STILL_FIRING') {
        setFiring((err.body.firing as FiringAlarm[] | undefined) ?? []);
        setConfirmed(false);
      } else setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="recheck" data-testid="recheck-form">
      <h3>{t('recheck')}</h3>
      <textarea
        placeholder={t('note')}
        aria-label={t('note')}
        value={note}
        onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)}
        data-testid="recheck-note"
      />
      <input
        placeholder={t('evidence')}
        aria-label={t('evidence')}
        value={evidence}
        onInput={(e) => setEvidence((e.target as HTMLInputElement).value)}
        data-testid="recheck-evidence"
      />
      <PhotoInput taskId={taskId} label={t('takeRecheckPhoto')} testid="recheck-photo" onAdded={(a) => setPhotos((p) => [...p, a])} />
      <Thumbs ids={photos.map((p) => p.id)} files={photos} testid="recheck-picked" />
      {firing && (
        <div class="firing" role="alert" data-testid="recheck-firing">
          <strong>{t('stillFiring')}</strong>
          <ul class="plain">
            {firing.map((a) => (
              <li key={a.id} data-testid={`firing-${a.id}`}>
                <GradeChip grade={a.severity} /> <a href={`#/alerts/${a.id}`}>{both(a.message)}</a> <span class="muted">{time(a.firedAt ?? a.startedAt)}</span>{' '}
                · {t(a.state as Key)}
              </li>
            ))}
          </ul>
          <label>
            <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed((e.target as HTMLInputElement).checked)} data-testid="confirm-firing" />{' '}
            {t('confirmFiring')}
          </label>
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button
        class="primary"
        disabled={busy || note.trim() === '' || (firing !== undefined && !confirmed)}
        onClick={() => void send(true)}
        data-testid="recheck-pass"
      >
        {t('recheckPassed')}
      </button>
      <button disabled={busy || note.trim() === ''} onClick={() => void send(false)} data-testid="recheck-fail">
        {t('recheckFailed')}
      </button>
    </div>
  );
}
