/**
 * Alerts and tasks linked both ways (issue #20 §5): the alert detail names the inspection task the alarm opened
 * or joined (with its state, a link to it); the task lists the alarms that opened or joined it (grade, message,
 * time, state, a link to each); a closed or escalated task shows its re-check (passed or not, the note, when, by
 * whom, the evidence, and the alarms still firing that the inspector confirmed the pass over).
 */
import { Fragment, type ComponentChildren } from 'preact';
import { both, list, t, time } from '../i18n.ts';
import { officerName, useDirectoryNames } from '../names.ts';
import type { AlertTaskLink, Task, TaskAlertLink } from '../types.ts';
import { GradeChip } from './grade-chip.tsx';

/** The officer's id of a `user:<id>` actor. */
const officerOf = (actor: string): string => actor.replace(/^user:/, '');

/** In the alert detail: the task(s) the alarm opened or joined. Nothing when there is none (or for an enterprise user). */
export function AlertTasks({ tasks }: { tasks: AlertTaskLink[] | undefined }) {
  if (!tasks || tasks.length === 0) return null;
  return (
    <section class="alert-tasks" data-testid="alert-tasks">
      <h3>{t('linkTasks')}</h3>
      <ul class="plain">
        {tasks.map((k) => (
          <li key={k.id} data-testid={`alert-task-${k.id}`} data-state={k.state}>
            <a href={`#/tasks/${k.id}`}>{both(k.matterName)}</a> · {t(k.kind === 'remote_verification' ? 'remoteVerificationKind' : 'inspectionKind')} ·{' '}
            <strong data-testid="alert-task-state">{t(k.state)}</strong> <span class="muted">{t(k.opened ? 'linkOpened' : 'linkJoined')}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** In the task detail: the alarms that opened or joined it, the opening one first. */
export function TaskAlerts({ alerts }: { alerts: TaskAlertLink[] | undefined }) {
  if (!alerts) return null;
  return (
    <section class="task-alerts" data-testid="task-alerts">
      <h3>{t('taskAlarms')}</h3>
      {alerts.length === 0 ? (
        <p class="muted">{t('noTaskAlarms')}</p>
      ) : (
        <ul class="plain">
          {alerts.map((a) => (
            <li key={a.id} data-testid={`task-alert-${a.id}`} data-state={a.state}>
              <GradeChip grade={a.severity} /> <a href={`#/alerts/${a.id}`}>{both(a.message)}</a> <span class="muted">{time(a.firedAt ?? a.startedAt)}</span> ·{' '}
              <strong>{t(a.state)}</strong> <span class="muted">{t(a.opened ? 'alarmOpenedTask' : 'alarmJoinedTask')}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** A task event as the task detail gives it. */
export interface TaskEventView {
  type: string;
  at: number;
  actor: string;
  to: string;
  detail: string;
}

/**
 * The re-check as the task keeps it, or, for a task re-checked before it kept it, as its event recorded it
 * (the note after "re-check passed: ", no evidence).
 */
function recheckOf(task: Task, events: readonly TaskEventView[] | undefined): Task['recheck'] {
  if (task.recheck) return task.recheck;
  const e = [...(events ?? [])].reverse().find((x) => x.type === 'recheck_result');
  if (!e) return undefined;
  return { passed: e.to === 'closed', note: e.detail.replace(/^re-check (?:passed|failed)(?: \([^)]*\))?: /, ''), evidence: [], actor: e.actor, at: e.at };
}

/** On a closed (or escalated) task: what the re-check recorded. */
/** The evidence that is not a photo shown beside it. */
const refsOf = (evidence: readonly string[], photoIds: ReadonlySet<string> | undefined): string[] =>
  photoIds ? evidence.filter((e) => !photoIds.has(e)) : [...evidence];

export function RecheckRecord({
  task,
  events,
  photos,
  photoIds,
}: {
  task: Task;
  events?: readonly TaskEventView[] | undefined;
  /** The re-check's photos (issue #20 §8), shown with its evidence; `photoIds` are left out of the evidence's text. */
  photos?: ComponentChildren;
  photoIds?: ReadonlySet<string> | undefined;
}) {
  useDirectoryNames();
  const r = recheckOf(task, events);
  if (!r) return null;
  return (
    <section class="recheck-record" data-testid="recheck-record" data-passed={String(r.passed)}>
      <h3>{t('recheckRecord')}</h3>
      <dl class="facts">
        <dt>{t('recheckResult')}</dt>
        <dd data-testid="recheck-result">
          <strong>{t(r.passed ? 'recheckPassed' : 'recheckFailed')}</strong>
        </dd>
        <dt>{t('note')}</dt>
        <dd data-testid="recheck-record-note">{r.note}</dd>
        <dt>{t('recheckAt')}</dt>
        <dd>{time(r.at)}</dd>
        <dt>{t('inspector')}</dt>
        <dd>{officerName(officerOf(r.actor))}</dd>
        <dt>{t('recheckEvidence')}</dt>
        <dd data-testid="recheck-record-evidence">
          {refsOf(r.evidence, photoIds).length > 0 ? list(refsOf(r.evidence, photoIds)) : photos ? '' : t('noEvidence')}
          {photos}
        </dd>
        {r.firingConfirmed && r.firingConfirmed.length > 0 && (
          <>
            <dt>{t('firingConfirmed')}</dt>
            <dd data-testid="recheck-firing-confirmed">
              {r.firingConfirmed.map((id, n) => (
                <Fragment key={id}>
                  {n > 0 && list(['', ''])}
                  <a href={`#/alerts/${id}`}>{id}</a>
                </Fragment>
              ))}
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}
