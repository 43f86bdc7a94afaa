/**
 * Deterministic BullMQ job ids for the work that follows a transition, so a
 * retried or re-enqueued job (after a worker restart) is deduplicated by
 * BullMQ instead of notifying twice. BullMQ refuses custom ids containing
 * ':' (Redis key separator) and ids that are integers, so parts are joined
 * with '|' and each free-form part is percent-encoded (which also encodes
 * '|' and ':').
 */
import type { AlertEvent } from './model.ts';

const part = (s: string): string => encodeURIComponent(s);

/** `escalate|<alertId>|<level>`: one job per alert and level. */
export const escalationJobId = (alert: { id: string }, level: number): string => `escalate|${part(alert.id)}|${level}`;

/**
 * Identity of an event within its alert: type, time, grade and, for
 * escalations, level. An alert never emits two events of one type with the
 * same time and grade (a repeat is a no-op), so this is unique per alert; it
 * also fits a unique index that makes event inserts idempotent.
 */
export const eventKey = (e: Pick<AlertEvent, 'type' | 'at' | 'severity' | 'escalation'>): string =>
  `${e.type}|${e.at}|${e.severity}${e.escalation === undefined ? '' : `|L${e.escalation.level}`}`;

/**
 * `notify|<alertId>|<eventKey>|<channel>`: one job per event and channel.
 * Takes the event rather than just its type because an alert can emit the
 * same type more than once (two severity increases, several escalations).
 */
export const notificationJobId = (event: Pick<AlertEvent, 'alertId' | 'type' | 'at' | 'severity' | 'escalation'>, channel: string): string =>
  `notify|${part(event.alertId)}|${eventKey(event)}|${part(channel)}`;
