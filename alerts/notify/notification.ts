/**
 * What a channel is given: one event of one alert, with the alert as read at
 * dispatch time, the enterprise and its authority, and for an escalation the
 * authority it goes to. Plain JSON (times as ISO 8601 strings): it is the
 * webhook body as is, and BullMQ stores it as the job's data.
 *
 * `buildNotification` and `summaryOf` are pure.
 */
import { REASONS, type Alert, type AlertEventType, type AlertState } from '../state/index.ts';
import type { Severity } from '../types.ts';
import { type Authority, type AuthorityLevel, type EnterpriseAuthorities } from './authorities.ts';
import type { OutboxEvent } from './outbox.ts';

/** Payload version; bumped on an incompatible change of the shape below. */
export const NOTIFICATION_VERSION = 1;

export interface AuthorityRef {
  id: string;
  name?: string | undefined;
  level?: AuthorityLevel | undefined;
}

export interface Notification {
  version: typeof NOTIFICATION_VERSION;
  /** `notificationJobId(event, channel)`: the same across retries and re-enqueues; receivers dedupe on it. */
  idempotencyKey: string;
  /** The alert as read when the event was dispatched (it may have moved on since the event, e.g. acknowledged). */
  alert: {
    id: string;
    ruleId: string;
    ruleVersion: number;
    enterpriseId: string;
    subject: string;
    severity: Severity;
    state: AlertState;
    message: { zh: string; en: string };
    startedAt: string;
    firedAt?: string | undefined;
    acknowledgedAt?: string | undefined;
    acknowledgedBy?: string | undefined;
    resolvedAt?: string | undefined;
    disposedAt?: string | undefined;
    disposedBy?: string | undefined;
    /** Escalation levels reached. */
    escalations: number;
    occurrences: number;
  };
  event: {
    /** `alert_events.seq`: the event's position in the platform-wide record. */
    seq: number;
    type: AlertEventType;
    at: string;
    /** The alert's grade after the event. */
    severity: Severity;
    from: AlertState | null;
    to: AlertState;
    actor: string;
    reason: string;
    reasonLabel: { zh: string; en: string };
    detail: string;
    /** The officer's acknowledge note or disposal text. */
    note?: string | undefined;
  };
  enterprise: {
    id: string;
    name?: string | undefined;
    /** The enterprise's own supervising authority (the first recipient of its alerts). */
    authority?: AuthorityRef | undefined;
  };
  /** On 'escalated' events: the level reached and the authority it goes to. */
  escalation?: { level: number; authority: AuthorityRef } | undefined;
  /**
   * The enterprise's time limit to sign for (签收) the alarm, when the policy in force sets one (ISO 8601);
   * the enterprise channels' text shows it (`channel-text.ts`).
   */
  signForBy?: string | undefined;
}

const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

const ref = (a: Authority): AuthorityRef => ({ id: a.id, name: a.name, level: a.level });

/** Builds the notification of `event`; `alert` is the alert it belongs to, as read now. */
export function buildNotification(idempotencyKey: string, event: OutboxEvent, alert: Alert, ent: EnterpriseAuthorities): Notification {
  const own = ent.chain[0];
  // The event records the target; the chain (as read now) only adds its name and level.
  const esc = event.escalation;
  const target = esc && ent.chain.find((a) => a.id === esc.to);
  const escalation = esc && { level: esc.level, authority: target ? ref(target) : { id: esc.to } };
  return {
    version: NOTIFICATION_VERSION,
    idempotencyKey,
    alert: {
      id: alert.id,
      ruleId: alert.ruleId,
      ruleVersion: alert.ruleVersion,
      enterpriseId: alert.enterpriseId,
      subject: alert.subject,
      severity: alert.severity,
      state: alert.state,
      message: { zh: alert.message.zh, en: alert.message.en },
      startedAt: new Date(alert.startedAt).toISOString(),
      firedAt: iso(alert.firedAt),
      acknowledgedAt: iso(alert.acknowledgedAt),
      acknowledgedBy: alert.acknowledgedBy,
      resolvedAt: iso(alert.resolvedAt),
      disposedAt: iso(alert.disposedAt),
      disposedBy: alert.disposedBy,
      escalations: alert.escalations,
      occurrences: alert.occurrences,
    },
    event: {
      seq: event.seq,
      type: event.type,
      at: new Date(event.at).toISOString(),
      severity: event.severity,
      from: event.from,
      to: event.to,
      actor: event.actor,
      reason: event.reason,
      reasonLabel: { ...REASONS[event.reason] },
      detail: event.detail,
      note: event.note,
    },
    enterprise: { id: ent.enterpriseId, name: ent.enterpriseName, authority: own && ref(own) },
    escalation,
  };
}

const SEVERITY_LABELS: Record<Severity, { zh: string; en: string }> = {
  red: { zh: '红色', en: 'RED' },
  orange: { zh: '橙色', en: 'ORANGE' },
  yellow: { zh: '黄色', en: 'YELLOW' },
  blue: { zh: '蓝色', en: 'BLUE' },
};

const EVENT_LABELS: Partial<Record<AlertEventType, { zh: string; en: string }>> = {
  // point alarms (报警); risk warnings (预警) are the judgement about an enterprise (alerts/warnings/)
  fired: { zh: '报警', en: 'alarm' },
  severity_raised: { zh: '报警升级', en: 'severity raised' },
  escalated: { zh: '超时未签收督办', en: 'escalated (not acknowledged)' },
  resolved: { zh: '报警解除', en: 'cleared' },
  disposed: { zh: '报警已处置', en: 'disposed' },
  supervised: { zh: '企业超时未响应督办', en: 'supervised (the enterprise was late)' },
};

/**
 * One line per language for short-text channels (SMS, IM), e.g.
 * `【红色报警】某化工厂 GT-101：可燃气体一级报警`.
 */
export function summaryOf(n: Notification): { zh: string; en: string } {
  const sev = SEVERITY_LABELS[n.event.severity];
  const ev = EVENT_LABELS[n.event.type] ?? { zh: n.event.type, en: n.event.type };
  const who = n.enterprise.name ?? n.enterprise.id;
  const to = n.escalation ? (n.escalation.authority.name ?? n.escalation.authority.id) : undefined;
  const zhTo = to === undefined ? '' : `（第${n.escalation?.level}级，督办至${to}）`;
  const enTo = to === undefined ? '' : ` (level ${n.escalation?.level}, to ${to})`;
  return {
    zh: `【${sev.zh}${ev.zh}】${who} ${n.alert.subject}：${n.alert.message.zh}${zhTo}`,
    en: `[${sev.en} ${ev.en}] ${who} ${n.alert.subject}: ${n.alert.message.en}${enTo}`,
  };
}
