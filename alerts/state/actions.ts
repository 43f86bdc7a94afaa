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
 *   A shelved alarm is not escalated (ALARM_SHELVED), by the job or by an officer.
 * - Shelve (搁置, ISA-18.2 / EEMUA 191 shelving of a nuisance alarm): only a
 *   firing or acknowledged alarm, never red, never a safety-critical rule's
 *   (the caller says which), with a reason, for more than 0 and at most
 *   `maxMs` from `at`. Shelving again only extends (same rules); the identical
 *   request is a no-op. The state does not change: the shelve is a mark.
 * - Unshelve by an officer any time, or by the system when `shelvedUntil` is
 *   reached. The acknowledgement (escalation) clock restarts at the unshelve:
 *   `dutyClockSince` moves up to its `at`, so the next level falls a full
 *   limit after the alarm is back on the desk (escalation.ts).
 * - Dispose, a clear (transition.ts) or a raise to red end the shelve.
 */
import { changed, eventOf, iso, noop, reject } from './events.ts';
import { MAX_SHELVE_REASON, SYSTEM_ACTOR, isUserActor, type Alert, type Command, type TransitionResult } from './model.ts';

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
      const next: Alert = { ...withoutShelve(alert), state: 'disposed', disposedAt: cmd.at, disposedBy: actor, disposal: text };
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
  if (alert.shelvedUntil !== undefined)
    return reject(
      alert,
      'ALARM_SHELVED',
      `报警已搁置至 ${iso(alert.shelvedUntil)}，搁置期间不督办，请先取消搁置 / the alarm is shelved until ${iso(alert.shelvedUntil)} and is not escalated meanwhile; unshelve it first`,
    );
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

/** The alert without its shelve mark. */
export function withoutShelve(alert: Alert): Alert {
  if (alert.shelvedUntil === undefined && alert.shelvedBy === undefined && alert.shelveReason === undefined) return alert;
  const { shelvedUntil: _u, shelvedBy: _b, shelveReason: _r, ...rest } = alert;
  return rest;
}

/** `8 小时 / 8 h`, `90 分钟 / 90 min`: a duration for the officers' messages. */
const span = (ms: number): { zh: string; en: string } =>
  ms % 3_600_000 === 0
    ? { zh: `${ms / 3_600_000} 小时`, en: `${ms / 3_600_000} h` }
    : { zh: `${Math.round(ms / 60_000)} 分钟`, en: `${Math.round(ms / 60_000)} min` };

export function shelve(alert: Alert | undefined, cmd: Cmd<'shelve'>): TransitionResult {
  if (alert === undefined) return reject(alert, 'NO_ACTIVE_ALERT', '没有可搁置的报警 / no alarm to shelve');
  const actor = cmd.actor;
  if (!isUserActor(actor)) return reject(alert, 'INVALID_ACTOR', `shelve needs a user:<id> actor, got '${actor}'`);
  if (alert.state !== 'firing' && alert.state !== 'acknowledged')
    return reject(
      alert,
      'INVALID_TRANSITION',
      `只能搁置正在报警（未消除）的报警，本报警为 ${alert.state} / only an active (firing or acknowledged) alarm can be shelved; this one is ${alert.state}`,
    );
  if (alert.severity === 'red') return reject(alert, 'SHELVE_NOT_ALLOWED', '红色报警不得搁置 / a red alarm is never shelved');
  if (cmd.safetyCritical)
    return reject(
      alert,
      'SHELVE_NOT_ALLOWED',
      '重大隐患（安全关键）规则的报警不得搁置 / an alarm of a safety-critical (serious violation) rule is never shelved',
    );
  const reason = cmd.reason.trim();
  if (reason === '') return reject(alert, 'SHELVE_REASON_REQUIRED', '搁置须填写原因 / a reason is required to shelve an alarm');
  if ([...reason].length > MAX_SHELVE_REASON)
    return reject(alert, 'SHELVE_REASON_REQUIRED', `搁置原因不得超过 ${MAX_SHELVE_REASON} 字 / the reason may be at most ${MAX_SHELVE_REASON} characters`);
  const ms = cmd.until - cmd.at;
  if (!Number.isFinite(ms) || ms <= 0) return reject(alert, 'SHELVE_DURATION_INVALID', '搁置时长须大于 0 / the shelve must last more than 0');
  if (ms > cmd.maxMs) {
    const max = span(cmd.maxMs);
    return reject(alert, 'SHELVE_DURATION_INVALID', `搁置时长不得超过 ${max.zh}（本局设置）/ a shelve may last at most ${max.en} (the bureau's setting)`);
  }
  const was = alert.shelvedUntil;
  if (was !== undefined) {
    if (cmd.until === was && actor === alert.shelvedBy && reason === alert.shelveReason) return noop(alert, 'already_shelved');
    if (cmd.until <= was)
      return reject(
        alert,
        'SHELVE_DURATION_INVALID',
        `已搁置至 ${iso(was)}，再次搁置只能延长；提前结束请取消搁置 / already shelved until ${iso(was)}; shelving again only extends it (unshelve to end it early)`,
      );
  }
  const next: Alert = { ...alert, shelvedUntil: cmd.until, shelvedBy: actor, shelveReason: reason };
  const detail = was === undefined ? `shelved for ${ms} ms until ${iso(cmd.until)}` : `shelve extended from ${iso(was)} to ${iso(cmd.until)}`;
  return changed(next, [eventOf(next, 'shelved', { at: cmd.at, actor, from: alert.state, reason: 'shelved_by_officer', detail, note: reason })], 'shelved');
}

export function unshelve(alert: Alert | undefined, cmd: Cmd<'unshelve'>): TransitionResult {
  if (alert === undefined) return reject(alert, 'NO_ACTIVE_ALERT', '没有可取消搁置的报警 / no alarm to unshelve');
  const actor = cmd.actor;
  const bySystem = actor === SYSTEM_ACTOR;
  if (!bySystem && !isUserActor(actor)) return reject(alert, 'INVALID_ACTOR', `unshelve needs a user:<id> or system actor, got '${actor}'`);
  const until = alert.shelvedUntil;
  if (until === undefined) return noop(alert, 'not_shelved');
  if (bySystem && cmd.at < until) return noop(alert, 'shelve_not_expired');
  // the escalation clock restarts here: the next level falls a full limit after the alarm is back on the desk
  const next: Alert = { ...withoutShelve(alert), dutyClockSince: Math.max(alert.dutyClockSince ?? -Infinity, cmd.at) };
  const note = bySystem ? undefined : cmd.reason?.trim() || undefined;
  const detail = `shelved by ${alert.shelvedBy ?? '?'} until ${iso(until)}${bySystem ? '' : `, ended ${until - cmd.at} ms early`}; escalation clock restarts at ${iso(cmd.at)}`;
  return changed(
    next,
    [
      eventOf(next, 'unshelved', {
        at: cmd.at,
        actor: bySystem ? SYSTEM_ACTOR : actor,
        from: alert.state,
        reason: bySystem ? 'shelve_expired' : 'unshelved_by_officer',
        detail,
        note,
      }),
    ],
    'unshelved',
  );
}
