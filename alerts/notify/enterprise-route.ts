/**
 * The enterprise stage of routing (issue #18, domain rule 13: the enterprise
 * answers first), pure: which notified alarm events go to the enterprise's own
 * channels, by its settings (`enterprise-settings.ts`). One delivery per
 * channel the enterprise has (SMS: one message to all its recipients; DingTalk
 * robot; WeCom robot), for the grades it chose, with the deterministic job id
 * `notificationJobId(event, 'enterprise:<kind>')`: an event replayed gives the
 * same ids, which BullMQ drops, so the provider is called once.
 */
import { notificationJobId, type Alert, type AlertEventType } from '../state/index.ts';
import type { EnterpriseChannelKind } from './deliveries.ts';
import type { EnterpriseNotifySettings } from './enterprise-settings.ts';
import type { EnterpriseTarget } from './jobs.ts';
import type { OutboxEvent } from './outbox.ts';
import { notifyDecision } from './policy.ts';
import type { Delivery } from './route.ts';

/** The alarm events pushed to the enterprise's channels (when notified at all: `policy.ts`). */
export const ENTERPRISE_NOTIFIED_EVENTS: readonly AlertEventType[] = ['fired', 'severity_raised', 'supervised'];

/** The channel name of an enterprise channel kind: part of the job ids, never a configured channel's. */
export const enterpriseChannelName = (kind: EnterpriseChannelKind): string => `enterprise:${kind}`;

export interface EnterpriseRouting {
  settings: EnterpriseNotifySettings;
  /** The recipients' phones, resolved (`EnterpriseSettingsStore.recipients`). */
  phones: string[];
}

export interface EnterpriseRouteOptions {
  now: number;
  staleAfterMs: number;
  /** Whether an SMS provider is configured (`notify.sms.provider` not `none`). */
  smsAvailable: boolean;
}

/** The enterprise channel kinds of one enterprise, in a fixed order. */
export function enterpriseKinds(r: EnterpriseRouting, smsAvailable: boolean): EnterpriseChannelKind[] {
  const kinds: EnterpriseChannelKind[] = [];
  if (smsAvailable && r.settings.sms.enabled && r.phones.length > 0) kinds.push('sms');
  if (r.settings.dingtalk) kinds.push('dingtalk');
  if (r.settings.wecom) kinds.push('wecom');
  return kinds;
}

/** The deliveries to the enterprises' channels of one batch of events, in event order then channel order. */
export function routeToEnterprises(
  events: readonly OutboxEvent[],
  alerts: ReadonlyMap<string, Alert>,
  routing: ReadonlyMap<string, EnterpriseRouting>,
  opts: EnterpriseRouteOptions,
): Delivery[] {
  const out: Delivery[] = [];
  for (const event of events) {
    if (!ENTERPRISE_NOTIFIED_EVENTS.includes(event.type) || !notifyDecision(event).notify) continue;
    if (opts.now - event.recordedAt > opts.staleAfterMs) continue;
    const alert = alerts.get(event.alertId);
    const r = alert && routing.get(alert.enterpriseId);
    if (!alert || !r || !r.settings.grades.includes(event.severity)) continue;
    for (const kind of enterpriseKinds(r, opts.smsAvailable)) {
      const channel = enterpriseChannelName(kind);
      const target: EnterpriseTarget = { kind, enterpriseId: alert.enterpriseId, phones: [...r.phones] };
      out.push({ event, alert, channel, jobId: notificationJobId(event, channel), target });
    }
  }
  return out;
}
