/**
 * Commands from people and from the escalation job: acknowledge (签收),
 * dispose (处置) and escalate (督办). Called through `transition`.
 *
 * Decisions:
 * - Acknowledge only a firing alert. A pending alert has not been notified
 *   (it may still clear within its hold), so acknowledging it is refused;
 *   a resolved or disposed one has nothing left to take.
 * - Acknowledging again by the same officer is a no-op (a retried request);
 *   by another officer it is refused with ALREADY_ACKNOWLEDGED, so the UI can
 *   say who has it. The first acknowledgement stands.
 * - Dispose from firing, acknowledged or resolved (after it fired); the
 *   text is required (trimmed). Disposed is terminal and is never edited: the
 *   identical request again is a no-op, any other is ALREADY_DISPOSED
 *   (corrections are new records, domain rule 8).
 * - Escalate only a firing alert, one level at a time; a level already
 *   reached is a no-op whatever the state, so a retried job is harmless.
 */
import { changed, eventOf, noop, reject } from './events.ts';
import { SYSTEM_ACTOR, isUserActor, type Alert, type Command, type TransitionResult } from './model.ts';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

export function acknowledge(alert: Alert | undefined, cmd: Cmd<'acknowledge'>): TransitionResult {
  if (alert === undefined) return reject(alert, 'NO_ACTIVE_ALERT', 'no alert to acknowledge');
  const actor = cmd.actor;
  if (!isUserActor(actor)) return reject(alert, 'INVALID_ACTOR', `acknowledge needs a user:<id> actor, got '${actor}'`);
  switch (alert.state) {
    case 'firing': {
      const note = cmd.note?.trim() || undefined;
      const next: Alert = {
        ...alert,
        state: 'acknowledged',
        acknowledgedAt: cmd.at,
        acknowledgedBy: actor,
        ...(note !== undefined && { acknowledgeNote: note }),
      };
      const detail = `acknowledged ${cmd.at - (alert.firedAt ?? cmd.at)} ms after firing`;
      return changed(
        next,
        [eventOf(next, 'acknowledged', { at: cmd.at, actor, from: 'firing', reason: 'acknowledged_by_officer', detail, note })],
        'acknowledged',
      );
    }
    case 'acknowledged':
      return alert.acknowledgedBy === actor
        ? noop(alert, 'already_acknowledged')
        : reject(alert, 'ALREADY_ACKNOWLEDGED', `already acknowledged by ${alert.acknowledgedBy ?? '?'}`);
    case 'pending':
      return reject(alert, 'INVALID_TRANSITION', 'the alert is pending (not yet fired); it can be acknowledged once it fires');
    case 'resolved':
    case 'disposed':
      return reject(alert, 'INVALID_TRANSITION', `cannot acknowledge a ${alert.state} alert`);
  }
}

export function dispose(alert: Alert | undefined, cmd: Cmd<'dispose'>): TransitionResult {
  if (alert === undefined) return reject(alert, 'NO_ACTIVE_ALERT', 'no alert to dispose');
  const actor = cmd.actor;
  if (!isUserActor(actor)) return reject(alert, 'INVALID_ACTOR', `dispose needs a user:<id> actor, got '${actor}'`);
  const text = cmd.text.trim();
  if (text === '') return reject(alert, 'DISPOSAL_TEXT_REQUIRED', 'a disposal text (处置情况) is required');
  switch (alert.state) {
    case 'firing':
    case 'acknowledged':
    case 'resolved': {
      if (alert.resolution === 'cleared_before_hold') return reject(alert, 'INVALID_TRANSITION', 'the alert cleared before its hold time and never fired');
      const next: Alert = { ...alert, state: 'disposed', disposedAt: cmd.at, disposedBy: actor, disposal: text };
      return changed(
        next,
        [
          eventOf(next, 'disposed', {
            at: cmd.at,
            actor,
            from: alert.state,
            reason: 'disposed_by_officer',
            detail: `disposed from ${alert.state}`,
            note: text,
          }),
        ],
        'disposed',
      );
    }
    case 'disposed':
      return alert.disposedBy === actor && alert.disposal === text
        ? noop(alert, 'already_disposed')
        : reject(alert, 'ALREADY_DISPOSED', `already disposed by ${alert.disposedBy ?? '?'}; a correction is a new record`);
    case 'pending':
      return reject(alert, 'INVALID_TRANSITION', 'the alert is pending (not yet fired)');
  }
}

export function escalate(alert: Alert | undefined, cmd: Cmd<'escalate'>): TransitionResult {
  if (alert === undefined) return reject(alert, 'NO_ACTIVE_ALERT', 'no alert to escalate');
  if (!Number.isInteger(cmd.level) || cmd.level < 1) return reject(alert, 'INVALID_ESCALATION', `escalation level must be an integer ≥ 1, got ${cmd.level}`);
  if (cmd.to.trim() === '') return reject(alert, 'INVALID_ESCALATION', 'escalation needs a target authority');
  if (cmd.actor !== undefined && !isUserActor(cmd.actor)) return reject(alert, 'INVALID_ACTOR', `escalate needs a user:<id> actor, got '${cmd.actor}'`);
  if (cmd.level <= alert.escalations) return noop(alert, 'already_escalated');
  const byOfficer = cmd.actor !== undefined;
  if (byOfficer ? alert.state !== 'firing' && alert.state !== 'acknowledged' : alert.state !== 'firing')
    return reject(
      alert,
      'INVALID_TRANSITION',
      byOfficer
        ? `only an open (firing or acknowledged) alert is referred upward; this one is ${alert.state}`
        : `only a firing (unacknowledged) alert escalates; this one is ${alert.state}`,
    );
  if (cmd.level !== alert.escalations + 1)
    return reject(alert, 'INVALID_ESCALATION', `next level is ${alert.escalations + 1}, got ${cmd.level} (逐级: one level at a time)`);
  const next: Alert = { ...alert, escalations: cmd.level, lastEscalatedAt: cmd.at };
  const escalation = { level: cmd.level, to: cmd.to };
  if (cmd.actor !== undefined && isUserActor(cmd.actor)) {
    const note = cmd.note?.trim() || undefined;
    const detail = `level ${cmd.level} to ${cmd.to}, referred by ${cmd.actor}`;
    return changed(
      next,
      [eventOf(next, 'escalated', { at: cmd.at, actor: cmd.actor, from: alert.state, reason: 'escalated_by_officer', detail, escalation, note })],
      'escalated',
    );
  }
  const detail = `level ${cmd.level} to ${cmd.to}, ${cmd.at - (alert.firedAt ?? cmd.at)} ms after firing without acknowledgement`;
  return changed(
    next,
    [eventOf(next, 'escalated', { at: cmd.at, actor: SYSTEM_ACTOR, from: 'firing', reason: 'ack_time_limit_exceeded', detail, escalation })],
    'escalated',
  );
}
