/**
 * Which alert events are notified and which (re)schedule an escalation: pure
 * decisions on one event, each with a named reason (cf. alertmanager's
 * `needsUpdate`), so the dispatcher can log why it skipped one.
 *
 * Notified:
 * - `fired`: the alert is now on the duty officer's desk (签收 expected).
 * - `severity_raised` of a firing alert (also one re-armed from
 *   acknowledged): a higher grade needs its own 签收. A raise while still
 *   pending is not: the alert has not been notified, and its 'fired' event
 *   will carry the higher grade.
 * - `escalated`: 逐级督办, carries the authority one level up.
 * - `resolved`: the condition cleared after the alert fired (a clear during
 *   the hold is 'discarded', never notified).
 * - `disposed`: the officer recorded how it was handled (处置): closes the
 *   loop for everyone who was told about the alert.
 * - `supervised` (督办, issue #18): the enterprise's sign-for or feedback is
 *   overdue; the alarm is now a supervision item of its authority, whose
 *   escalation clock starts here.
 *
 * Not notified:
 * - `pending`, `suppressed`, `unsuppressed`, `discarded`, `updated`: the alert
 *   has not fired (or the change is bookkeeping: an earlier start time).
 * - `acknowledged`: the officer's own action, shown on the console; it stops
 *   the escalation (the pending escalation job finds nothing to do).
 * - `handed_to_enterprise`: bookkeeping (the enterprise was told by the 'fired');
 *   `responded`: a step of the enterprise's response, on the record and the console's live feed.
 * - `shelved`, `unshelved` (搁置 / 取消搁置): the officer's action or its expiry,
 *   on the record and the console. A `severity_raised` while shelved below red
 *   (reason 'raised_while_shelved') is not notified either; a raise to red
 *   ends the shelve and is notified as usual.
 */
import type { AlertEvent, AlertEventType, AlertReason } from '../state/index.ts';

export type NotifyReason =
  | 'fired'
  | 'severity_raised'
  | 'escalated'
  | 'resolved'
  | 'disposed'
  | 'supervised'
  | 'not_fired_yet'
  | 'never_fired'
  | 'bookkeeping'
  | 'officer_action'
  | 'shelved';

export interface NotifyDecision {
  notify: boolean;
  reason: NotifyReason;
}

const yes = (reason: NotifyReason): NotifyDecision => ({ notify: true, reason });
const no = (reason: NotifyReason): NotifyDecision => ({ notify: false, reason });

/** Whether the event is sent to the notification channels, and why. */
export function notifyDecision(e: Pick<AlertEvent, 'type' | 'from' | 'to'> & { reason?: AlertReason | undefined }): NotifyDecision {
  switch (e.type) {
    case 'fired':
      return yes('fired');
    case 'severity_raised':
      return e.to === 'pending' ? no('not_fired_yet') : e.reason === 'raised_while_shelved' ? no('shelved') : yes('severity_raised');
    case 'escalated':
      return yes('escalated');
    case 'resolved':
      // `transition` emits 'discarded' for a clear while pending; guard anyway.
      return e.from === 'pending' || e.from === null ? no('never_fired') : yes('resolved');
    case 'disposed':
      return yes('disposed');
    case 'pending':
    case 'suppressed':
    case 'unsuppressed':
      return no('not_fired_yet');
    case 'discarded':
      return no('never_fired');
    case 'updated':
      return no('bookkeeping');
    case 'acknowledged':
      return no('officer_action');
    case 'shelved':
    case 'unshelved':
      return no('shelved');
    case 'handed_to_enterprise':
    case 'responded':
      return no('bookkeeping');
    case 'supervised':
      return yes('supervised');
  }
}

/**
 * Whether the event may start or move the alert's escalation clock: 'fired'
 * starts it, 'severity_raised' restarts it (with the new grade's limit),
 * 'escalated' starts the next level's, 'unshelved' resumes it (from the unshelve
 * time), 'supervised' starts an enterprise-first alarm's. The dispatcher then schedules from the alert as it is now
 * (`nextEscalation`), so an alert acknowledged, resolved or shelved meanwhile
 * schedules nothing.
 */
export const schedulesEscalation = (type: AlertEventType): boolean =>
  type === 'fired' || type === 'severity_raised' || type === 'escalated' || type === 'unshelved' || type === 'supervised';
