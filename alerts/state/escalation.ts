/**
 * When an unacknowledged alert escalates (逐级督办): pure timing, no I/O. The
 * escalation job calls `escalationDue` and, if due, applies an `escalate`
 * command with `at: dueAt` and the authority one level up, under the job id
 * `escalationJobId(alert, level)`.
 *
 * Level n+1 falls due `limit` after the latest of: `firedAt`, `severitySince`
 * (a higher grade restarts the clock with its own limit), `dutyClockSince`
 * (when the platform learned of it, if the data arrived late) and the
 * previous escalation's `at`. With escalations applied at their `dueAt` this is level 1
 * at `firedAt + limit`, level 2 at `firedAt + 2·limit`, … . Levels are returned
 * one at a time (no skipping authorities); after an outage the caller loops
 * while a level is due.
 *
 * An alarm handed to its enterprise (`responder: 'enterprise'`, issue #18) has
 * no next level until it is supervised (督办: the enterprise was late); then
 * the clock runs from `supervisedAt`, so level 1 (the city) falls one limit
 * after the county got the supervision item.
 *
 * A shelved alarm (`shelvedUntil` set) has no next level: nothing is scheduled
 * and a job that runs finds nothing due. Unshelving moves `dutyClockSince` up to
 * the unshelve time, so the clock resumes from there with the full limit.
 */
import type { Severity } from '../types.ts';
import type { Alert } from './model.ts';

/** Time allowed to acknowledge, per grade (ms); `undefined`: that grade never escalates. */
export type EscalationLimits = Readonly<Record<Severity, number | undefined>>;

/**
 * Example limits, red 5 min and orange 15 min, yellow/blue never. Not taken
 * from a standard: the bureau's duty rules should set them in config.
 */
export const DEFAULT_ESCALATION_LIMITS: EscalationLimits = { red: 5 * 60_000, orange: 15 * 60_000, yellow: undefined, blue: undefined };

export interface EscalationOptions {
  /** Highest level there is (e.g. the length of the authority chain above the enterprise's). Default: unbounded. */
  maxLevel?: number;
}

/** The next escalation level and when it falls due, whether or not it is due yet; for scheduling a delayed job. */
export function nextEscalation(
  alert: Omit<Alert, 'evidence'>,
  limits: EscalationLimits,
  opts: EscalationOptions = {},
): { level: number; dueAt: number } | undefined {
  if (alert.state !== 'firing' || alert.firedAt === undefined || alert.shelvedUntil !== undefined) return undefined;
  // an alarm its enterprise answers first escalates only once it is a supervision item (督办), from then on
  if (alert.responder === 'enterprise' && alert.supervisedAt === undefined) return undefined;
  const limit = limits[alert.severity];
  if (limit === undefined || !(limit > 0)) return undefined;
  const level = alert.escalations + 1;
  if (level > (opts.maxLevel ?? Infinity)) return undefined;
  const since = Math.max(
    alert.firedAt,
    alert.severitySince,
    alert.dutyClockSince ?? -Infinity,
    alert.lastEscalatedAt ?? -Infinity,
    alert.supervisedAt ?? -Infinity,
  );
  return { level, dueAt: since + limit };
}

/** The next escalation if it is due at `now`; `undefined` if the alert is not firing, its grade never escalates, or not yet. */
export function escalationDue(alert: Alert, now: number, limits: EscalationLimits, opts: EscalationOptions = {}): { level: number; dueAt: number } | undefined {
  const next = nextEscalation(alert, limits, opts);
  return next !== undefined && now >= next.dueAt ? next : undefined;
}
