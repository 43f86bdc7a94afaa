/**
 * An alert's events as people read them (issue #20 §1): the reason's label
 * (alerts/state/reasons.ts, in both languages), what happened in words — how
 * long after firing, to which authority, up to which grade — and who acted, by
 * name. The events' own `detail` is English for the logs and the audit trail,
 * never shown.
 */
import { REASONS } from '../alerts/state/reasons.ts';
import type { AlertReason } from '../alerts/state/model.ts';
import { both, duration, fill, t, type Key } from './i18n.ts';
import type { Alert, AlertEvent, Names } from './types.ts';

/** Who acted: an officer by name (the id when the name is not known), the platform as 系统. */
export function actorName(actor: string | undefined, names: Names | undefined): string {
  if (!actor) return '';
  if (actor === 'system' || actor.startsWith('system:')) return t('actorSystem');
  const id = actor.startsWith('user:') ? actor.slice(5) : actor;
  return names?.officers[id] ?? id;
}

const STATES: readonly string[] = ['pending', 'firing', 'acknowledged', 'resolved', 'disposed', 'discarded'];
const stateName = (s: string): string => (STATES.includes(s) ? t(s as Key) : s);

/** The reason's label and what happened, in the current language. */
export function eventText(e: AlertEvent, a: Pick<Alert, 'startedAt' | 'firedAt'>, names: Names | undefined): string {
  const reason = REASONS[e.reason as AlertReason];
  const parts: string[] = reason ? [both(reason)] : [];
  const sinceFiring = a.firedAt !== undefined && e.at >= a.firedAt ? e.at - a.firedAt : undefined;
  switch (e.type) {
    case 'fired':
      if (e.at > a.startedAt) parts.push(fill('evHeld', { d: duration(e.at - a.startedAt) }));
      break;
    case 'acknowledged':
      if (sinceFiring !== undefined) parts.push(fill('evAckAfter', { d: duration(sinceFiring) }));
      break;
    case 'escalated':
      if (e.escalation) parts.push(fill('evEscalatedTo', { n: e.escalation.level, to: names?.authorities[e.escalation.to] ?? e.escalation.to }));
      if (e.reason === 'ack_time_limit_exceeded' && sinceFiring !== undefined) parts.push(fill('evUnacked', { d: duration(sinceFiring) }));
      break;
    case 'resolved':
    case 'discarded':
      parts.push(fill('evCleared', { d: duration(e.at - a.startedAt) }));
      break;
    case 'severity_raised':
      parts.push(fill('evNowGrade', { g: t(e.severity) }));
      break;
  }
  if (e.from && e.from !== e.to) parts.push(`${stateName(e.from)} → ${stateName(e.to)}`);
  return parts.join(' · ');
}
