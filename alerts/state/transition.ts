/**
 * The alert state machine: `transition(alert, command, policy)` is a pure
 * function of the current alert of one fingerprint, a command and the rule's
 * policy. It never reads a clock (time comes in the command) and never
 * mutates its input. Findings and ticks are handled here, one function per
 * case (cf. grafana `ngalert/state`); officer actions and escalation are in
 * `actions.ts`.
 *
 * Decisions (see also README.md):
 * - `firedAt = startedAt + forMs` — the data time at which the hold was
 *   satisfied — whether a tick or a later raise notices it, and however late
 *   the tick runs. A worker that restarts and replays the same findings
 *   therefore computes the same `firedAt`, and escalation deadlines with it.
 * - A clear while pending resolves the alert with `resolution:
 *   'cleared_before_hold'` and emits 'discarded'; such an alert was never
 *   notified and cannot be acknowledged or disposed.
 * - Replays are no-ops: a raise no newer than the alert's latest raise, not
 *   earlier than its start and not of a higher grade is a `duplicate`; a
 *   raise or clear belonging to an earlier episode is `stale`.
 * - Out-of-order raises move `startedAt` earlier (never later), with an
 *   'updated' event; a late clear (older than the latest raise) is ignored.
 * - A severity increase on an acknowledged alert re-arms it (back to
 *   'firing'): the officer acknowledged a lower grade, the new one needs its
 *   own 签收 and restarts the escalation clock.
 * - Suppression only ever applies to pending alerts; a firing alert is never
 *   muted retroactively, and red is never suppressed.
 * - Shelving (actions.ts) marks a firing/acknowledged alarm: a raise below red
 *   is recorded with reason 'raised_while_shelved' (not notified), a raise to
 *   red ends the shelve ('unshelved', 'red_never_shelved'), a clear resolves
 *   it and ends the shelve.
 */
import { fingerprintOf, severityRank, type Finding, type Observation } from '../types.ts';
import { acknowledge, dispose, escalate, shelve, unshelve, withoutShelve } from './actions.ts';
import { handToEnterprise, recordResponse, supervise } from './enterprise.ts';
import { changed, eventOf, iso, noop, reject } from './events.ts';
import {
  SYSTEM_ACTOR,
  isActive,
  type ActiveState,
  type Alert,
  type AlertEvent,
  type AlertMember,
  type AlertReason,
  type Command,
  type TransitionPolicy,
  type TransitionResult,
} from './model.ts';

type ActiveAlert = Alert & { state: ActiveState };

/** Applies one command to the current alert of a fingerprint (active, or the latest terminal one, or none). */
export function transition(alert: Alert | undefined, cmd: Command, policy: TransitionPolicy): TransitionResult {
  switch (cmd.type) {
    case 'finding': {
      const fp = fingerprintOf(cmd.finding);
      if (alert !== undefined && alert.fingerprint !== fp) return reject(alert, 'FINGERPRINT_MISMATCH', `finding ${fp} given with alert ${alert.fingerprint}`);
      return cmd.finding.condition === 'raise' ? onRaise(alert, cmd.finding, cmd.suppressedBy, policy, cmd.receivedAt) : onClear(alert, cmd.finding);
    }
    case 'tick':
      return onTick(alert, cmd.now, policy);
    case 'unsuppress':
      return onUnsuppress(alert, cmd.at, policy);
    case 'acknowledge':
      return acknowledge(alert, cmd);
    case 'dispose':
      return dispose(alert, cmd);
    case 'escalate':
      return escalate(alert, cmd);
    case 'shelve':
      return shelve(alert, cmd);
    case 'unshelve':
      return unshelve(alert, cmd);
    case 'hand_to_enterprise':
      return handToEnterprise(alert, cmd);
    case 'supervise':
      return supervise(alert, cmd);
    case 'record_response':
      return recordResponse(alert, cmd);
  }
}

/** Data time after which a raise starts a new episode: the clear, or the disposal of an alert that never cleared. */
export const episodeEndOf = (alert: Alert): number => Math.max(alert.lastFindingAt, alert.resolvedAt ?? alert.disposedAt ?? -Infinity);

/** Restarts the acknowledgement clock's platform-time floor (`dutyClockSince`) at `receivedAt`, or drops it when unknown. */
function dutyClock(a: Alert, receivedAt: number | undefined): Alert {
  const { dutyClockSince: _was, ...rest } = a;
  void _was;
  return receivedAt === undefined ? rest : { ...rest, dutyClockSince: receivedAt };
}

const fire = (a: Alert, firedAt: number, evidence: readonly Observation[], receivedAt: number | undefined): Alert =>
  dutyClock({ ...a, state: 'firing', firedAt, evidence }, receivedAt);

function onRaise(
  alert: Alert | undefined,
  f: Finding,
  suppressedBy: string | undefined,
  policy: TransitionPolicy,
  receivedAt: number | undefined,
): TransitionResult {
  if (isActive(alert)) return merge(alert, f, suppressedBy, policy, receivedAt);
  // a raise dated within the last episode belongs to it (a replay, late data) — unless it is of a rule of the
  // group that took no part in that episode (a frozen run dated from its start, after another fault ended)
  const ofEpisode = alert?.members === undefined || alert.members[f.ruleId] !== undefined;
  if (alert !== undefined && f.at <= episodeEndOf(alert) && ofEpisode) return noop(alert, 'stale');
  return open(f, suppressedBy, policy, alert === undefined ? undefined : episodeEndOf(alert), receivedAt);
}

/** Why an alert is held back: a root-cause alert, or a planned stop (`stop:<id>`, alerts/worker/planned-stops.ts). */
const held = (root: string): { reason: AlertReason; detail: string } =>
  root.startsWith('stop:')
    ? { reason: 'planned_stop_in_force', detail: `planned stop ${root.slice(5)} is in force` }
    : { reason: 'root_cause_active', detail: `root cause ${root} is active` };
const liftReason = (root: string): AlertReason => (root.startsWith('stop:') ? 'planned_stop_over' : 'root_cause_cleared');

/** A raise with no active alert: a new alert, pending (or suppressed), or firing at once when there is no hold. */
function open(
  f: Finding,
  suppressedBy: string | undefined,
  policy: TransitionPolicy,
  previousEpisodeEndAt: number | undefined,
  receivedAt: number | undefined,
): TransitionResult {
  const base: Alert = {
    id: policy.newId(),
    fingerprint: fingerprintOf(f),
    ruleId: f.groupRule?.id ?? f.ruleId,
    ruleVersion: f.groupRule?.version ?? f.ruleVersion,
    enterpriseId: f.enterpriseId,
    subject: f.subject,
    severity: f.severity,
    severitySince: f.at,
    state: 'pending',
    startedAt: f.at,
    lastFindingAt: f.at,
    occurrences: 1,
    message: f.message,
    evidence: f.evidence,
    escalations: 0,
    ...(previousEpisodeEndAt !== undefined && { previousEpisodeEndAt }),
    ...(f.group !== undefined && { members: { [f.ruleId]: memberOf(f) } }),
  };
  const e = { at: f.at, actor: SYSTEM_ACTOR, from: null } as const;
  if (suppressedBy !== undefined && f.severity !== 'red') {
    const next: Alert = { ...base, suppressedBy };
    return changed(next, [eventOf(next, 'suppressed', { ...e, ...held(suppressedBy), suppressedBy })], 'opened');
  }
  if (policy.forMs <= 0) {
    const next = fire(base, f.at, f.evidence, receivedAt);
    return changed(next, [eventOf(next, 'fired', { ...e, reason: 'raised_without_hold', detail: 'no hold time', evidence: next.evidence })], 'opened');
  }
  const detail = `hold ${policy.forMs} ms, fires at ${iso(f.at + policy.forMs)} if not cleared`;
  return changed(base, [eventOf(base, 'pending', { ...e, reason: 'condition_raised', detail })], 'opened');
}

const memberOf = (f: Finding, since = f.at): AlertMember => ({ state: 'raised', severity: f.severity, message: f.message, since });

/** A raise while active: merged into the alert (one active alert per fingerprint). */
function merge(active: ActiveAlert, f: Finding, suppressedBy: string | undefined, policy: TransitionPolicy, receivedAt: number | undefined): TransitionResult {
  // an alarm opened before its rule joined a group (an upgrade) holds its own rule's condition: seed it, so that
  // another rule of the group clearing does not resolve it while that condition stands
  const alert: ActiveAlert =
    f.group !== undefined && active.members === undefined
      ? { ...active, members: { [active.ruleId]: { state: 'raised', severity: active.severity, message: active.message, since: active.startedAt } } }
      : active;
  if (alert.previousEpisodeEndAt !== undefined && f.at <= alert.previousEpisodeEndAt) return noop(alert, 'stale');
  const newer = f.at > alert.lastFindingAt;
  const earlier = f.at < alert.startedAt;
  const higher = severityRank(f.severity) > severityRank(alert.severity);
  // a rule of the group raising (again) in this episode is news even when its grade is lower
  const member = alert.members?.[f.ruleId];
  // (a rule that cleared joins again only with a raise after its clear: a replayed older raise does not revive it)
  const joins = alert.members !== undefined && (member === undefined || (member.state === 'cleared' && f.at > (member.clearedAt ?? -Infinity)));
  if (!newer && !earlier && !higher && !joins) return noop(alert, 'duplicate');

  const from = alert.state;
  const e = { at: f.at, actor: SYSTEM_ACTOR, from } as const;
  const events: AlertEvent[] = [];
  let next: Alert = {
    ...alert,
    occurrences: alert.occurrences + 1,
    lastFindingAt: Math.max(alert.lastFindingAt, f.at),
    startedAt: Math.min(alert.startedAt, f.at),
    ...(alert.members !== undefined &&
      (joins || member?.state === 'raised') && {
        members: { ...alert.members, [f.ruleId]: { ...memberOf(f, member?.since ?? f.at), severity: higher || !member ? f.severity : member.severity } },
      }),
  };
  if (joins && member === undefined)
    events.push(eventOf(next, 'updated', { ...e, reason: 'consolidated', detail: `${f.ruleId} (${f.severity}) joined: ${f.message.en}` }));
  if (earlier) {
    events.push(eventOf(next, 'updated', { ...e, reason: 'start_moved_earlier', detail: `startedAt ${iso(alert.startedAt)} → ${iso(f.at)}` }));
  }
  if (higher) {
    next = dutyClock(
      { ...next, severity: f.severity, severitySince: f.at, message: f.message, ...(next.state === 'pending' && { evidence: f.evidence }) },
      receivedAt,
    );
    let detail = `${alert.severity} → ${f.severity}`;
    if (next.state === 'acknowledged') {
      const { acknowledgedAt: _at, acknowledgedBy: by, acknowledgeNote: _note, ...rest } = next;
      next = { ...rest, state: 'firing' };
      detail += `; the acknowledgement by ${by ?? '?'} covered the lower grade, re-armed`;
    }
    // shelved (搁置): a raise below red is recorded but not notified (its own reason); red ends the shelve at once
    const shelved = next.shelvedUntil !== undefined && next.severity !== 'red';
    events.push(eventOf(next, 'severity_raised', { ...e, reason: shelved ? 'raised_while_shelved' : 'severity_increased', detail, evidence: f.evidence }));
    if (next.shelvedUntil !== undefined && next.severity === 'red') {
      const was = next;
      next = withoutShelve(next);
      events.push(
        eventOf(next, 'unshelved', {
          ...e,
          reason: 'red_never_shelved',
          detail: `shelved by ${was.shelvedBy ?? '?'} until ${iso(was.shelvedUntil ?? f.at)}; turned red`,
        }),
      );
    }
  }

  let liftedAt: number | undefined;
  if (next.state === 'pending') {
    if (next.suppressedBy === undefined) {
      if (newer && suppressedBy !== undefined && next.severity !== 'red') {
        next = { ...next, suppressedBy };
        events.push(eventOf(next, 'suppressed', { ...e, ...held(suppressedBy), suppressedBy }));
      }
    } else if (next.severity === 'red' || (newer && suppressedBy === undefined)) {
      const { suppressedBy: was, ...rest } = next;
      next = rest;
      liftedAt = f.at;
      const reason = next.severity === 'red' ? 'red_never_suppressed' : liftReason(was);
      events.push(eventOf(next, 'unsuppressed', { ...e, reason, detail: `was suppressed by ${was}` }));
    }
    if (next.suppressedBy === undefined && next.lastFindingAt - next.startedAt >= policy.forMs) {
      const firedAt = Math.max(next.startedAt + policy.forMs, liftedAt ?? -Infinity);
      next = fire(next, firedAt, f.evidence, receivedAt);
      const reason = policy.forMs <= 0 ? 'raised_without_hold' : 'hold_elapsed';
      events.push(
        eventOf(next, 'fired', { ...e, at: firedAt, reason, detail: `held ${policy.forMs} ms since ${iso(next.startedAt)}`, evidence: next.evidence }),
      );
      return changed(next, events, 'fired');
    }
  }
  return changed(next, events, liftedAt !== undefined ? 'unsuppressed' : 'merged');
}

function onClear(alert: Alert | undefined, f: Finding): TransitionResult {
  if (!isActive(alert)) return noop(alert, 'no_active_alert');
  if (f.at < alert.lastFindingAt) return noop(alert, 'stale');
  const e = { at: f.at, actor: SYSTEM_ACTOR, from: alert.state } as const;
  // an alarm opened before its rule joined a group (an upgrade) is cleared only by its own rule
  if (alert.members === undefined && f.group !== undefined && f.ruleId !== alert.ruleId) return noop(alert, 'duplicate');
  if (alert.members !== undefined) {
    // a consolidated alarm clears when every rule that raised in the episode has cleared
    const mine = alert.members[f.ruleId];
    const others = Object.entries(alert.members).filter(([id, m]) => id !== f.ruleId && m.state === 'raised');
    if (others.length > 0) {
      if (mine?.state !== 'raised') return noop(alert, 'duplicate');
      const next: Alert = { ...alert, members: { ...alert.members, [f.ruleId]: { ...mine, state: 'cleared', clearedAt: f.at } } };
      return changed(
        next,
        [eventOf(next, 'updated', { ...e, reason: 'member_cleared', detail: `${f.ruleId} cleared; ${others.map(([id]) => id).join(', ')} still raised` })],
        'merged',
      );
    }
    alert = {
      ...alert,
      members: Object.fromEntries(
        Object.entries(alert.members).map(([id, m]) => [id, m.state === 'cleared' ? m : { ...m, state: 'cleared' as const, clearedAt: f.at }]),
      ),
    };
  }
  const lasted = `cleared ${f.at - alert.startedAt} ms after it began`;
  if (alert.state === 'pending') {
    const next: Alert = { ...alert, state: 'resolved', resolvedAt: f.at, resolution: 'cleared_before_hold' };
    return changed(next, [eventOf(next, 'discarded', { ...e, reason: 'cleared_before_hold', detail: lasted })], 'discarded');
  }
  // a shelved alarm resolves as any other; the shelve ends with it
  const shelf = alert.shelvedUntil === undefined ? '' : `; the shelve until ${iso(alert.shelvedUntil)} ends`;
  const next: Alert = { ...withoutShelve(alert), state: 'resolved', resolvedAt: f.at, resolution: 'cleared' };
  return changed(next, [eventOf(next, 'resolved', { ...e, reason: 'condition_cleared', detail: lasted + shelf })], 'resolved');
}

function onTick(alert: Alert | undefined, now: number, policy: TransitionPolicy): TransitionResult {
  if (!isActive(alert)) return noop(alert, 'no_active_alert');
  if (alert.state !== 'pending') return noop(alert, 'not_pending');
  if (alert.suppressedBy !== undefined) return noop(alert, 'still_suppressed');
  const dueAt = alert.startedAt + policy.forMs;
  if (now < dueAt) return noop(alert, 'hold_not_elapsed');
  const next = fire(alert, dueAt, alert.evidence, undefined);
  const detail = `held ${policy.forMs} ms since ${iso(alert.startedAt)} (noticed at ${iso(now)})`;
  return changed(
    next,
    [eventOf(next, 'fired', { at: dueAt, actor: SYSTEM_ACTOR, from: 'pending', reason: 'hold_elapsed', detail, evidence: next.evidence })],
    'fired',
  );
}

/** The root cause resolved at `at`: the alert may fire on its own now (if its hold has elapsed) or later by tick. */
function onUnsuppress(alert: Alert | undefined, at: number, policy: TransitionPolicy): TransitionResult {
  if (!isActive(alert) || alert.state !== 'pending' || alert.suppressedBy === undefined) return noop(alert, 'not_suppressed');
  const { suppressedBy: was, ...rest } = alert;
  let next: Alert = rest;
  const events = [eventOf(next, 'unsuppressed', { at, actor: SYSTEM_ACTOR, from: 'pending', reason: liftReason(was), detail: `root cause ${was} resolved` })];
  const dueAt = next.startedAt + policy.forMs;
  if (Math.max(at, next.lastFindingAt) < dueAt) return changed(next, events, 'unsuppressed');
  const firedAt = Math.max(dueAt, at);
  next = fire(next, firedAt, next.evidence, undefined);
  const reason = policy.forMs <= 0 ? 'raised_without_hold' : 'hold_elapsed';
  events.push(
    eventOf(next, 'fired', {
      at: firedAt,
      actor: SYSTEM_ACTOR,
      from: 'pending',
      reason,
      detail: `condition persists after ${was} resolved`,
      evidence: next.evidence,
    }),
  );
  return changed(next, events, 'fired');
}
