/**
 * The enterprise answers first (issue #18, domain rule 13): the two system
 * commands that tie an alarm to its enterprise's response. Called through
 * `transition`; the response itself (sign for, feedback, review, time limits)
 * is `alerts/response/`.
 *
 * Decisions:
 * - `hand_to_enterprise` marks a fired alarm (firing, acknowledged or
 *   resolved after firing) as the enterprise's to answer first. From then on
 *   it has no escalation level due (escalation.ts) until it is supervised:
 *   the county duty officer is not asked to take every alarm. Again: a no-op.
 * - `supervise` (督办) when the enterprise's sign-for or feedback is overdue, or
 *   its feedback on an orange/red alarm is not reviewed in time:
 *   the alarm becomes a supervision item on its authority's feed (the
 *   'supervised' event is notified) and escalates from `at` on the bureau's
 *   limits, one authority up at a time, until an officer takes it (签收).
 *   The same reason again is a no-op (a retried sweep); a second reason
 *   (feedback overdue after sign-for overdue) is recorded, the clock stays
 *   with the first. Not on a pending (never notified) or disposed alarm.
 */
import { changed, eventOf, iso, noop, reject } from './events.ts';
import { isUserActor, SYSTEM_ACTOR, type Alert, type Command, type TransitionResult } from './model.ts';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

const fired = (a: Alert): boolean => a.firedAt !== undefined && a.resolution !== 'cleared_before_hold';

export function handToEnterprise(alert: Alert | undefined, cmd: Cmd<'hand_to_enterprise'>): TransitionResult {
  if (alert === undefined) return reject(alert, 'NO_ACTIVE_ALERT', 'no alert to hand to the enterprise');
  if (alert.responder === 'enterprise') return noop(alert, 'already_handed');
  if (alert.state === 'pending' || alert.state === 'disposed' || !fired(alert))
    return reject(alert, 'INVALID_TRANSITION', `cannot hand a ${alert.state} alert to its enterprise`);
  const next: Alert = { ...alert, responder: 'enterprise', handedAt: cmd.at };
  return changed(
    next,
    [
      eventOf(next, 'handed_to_enterprise', {
        at: cmd.at,
        actor: SYSTEM_ACTOR,
        from: alert.state,
        reason: 'enterprise_answers_first',
        detail: 'handed to the enterprise to answer first',
      }),
    ],
    'handed',
  );
}

export function supervise(alert: Alert | undefined, cmd: Cmd<'supervise'>): TransitionResult {
  if (alert === undefined) return reject(alert, 'NO_ACTIVE_ALERT', 'no alert to supervise');
  if (alert.supervisions?.includes(cmd.reason)) return noop(alert, 'already_supervised');
  if (alert.state === 'pending' || alert.state === 'disposed' || !fired(alert))
    return reject(alert, 'INVALID_TRANSITION', `cannot supervise a ${alert.state} alert`);
  const next: Alert = { ...alert, supervisedAt: alert.supervisedAt ?? cmd.at, supervisions: [...(alert.supervisions ?? []), cmd.reason] };
  const what = {
    sign_overdue: 'not signed for by the enterprise',
    feedback_overdue: 'no feedback from the enterprise',
    review_overdue: 'feedback not reviewed',
  };
  const detail = cmd.detail ?? `${what[cmd.reason]}; supervised at ${iso(cmd.at)}`;
  return changed(next, [eventOf(next, 'supervised', { at: cmd.at, actor: SYSTEM_ACTOR, from: alert.state, reason: cmd.reason, detail })], 'supervised');
}

/**
 * A step of the enterprise's response (or of the officer's review of it) on the alarm's record: an event,
 * the alarm unchanged, by the person who took it (so the officers' live feed shows it at once). Any state
 * but pending: a 消警 is recorded before the disposal it causes.
 */
export function recordResponse(alert: Alert | undefined, cmd: Cmd<'record_response'>): TransitionResult {
  if (alert === undefined) return reject(alert, 'NO_ACTIVE_ALERT', 'no alert to record a response on');
  if (!isUserActor(cmd.actor)) return reject(alert, 'INVALID_ACTOR', `a response step needs a user:<id> actor, got '${cmd.actor}'`);
  if (alert.state === 'pending') return reject(alert, 'INVALID_TRANSITION', 'the alert is pending (not yet fired)');
  const note = cmd.note?.trim() || undefined;
  return changed(
    alert,
    [eventOf(alert, 'responded', { at: cmd.at, actor: cmd.actor, from: alert.state, reason: cmd.step, detail: cmd.step.replace(/_/g, ' '), note })],
    'responded',
  );
}
