/**
 * The decide and route stages of the notifier's pipeline, pure: for a batch
 * of alert events and their alerts as read now, which events go to which
 * channel (with the deterministic job id that dedupes a replayed event in
 * BullMQ), which alerts may have their escalation clock moved, and which
 * events are skipped (stale, or without their alert). The decisions per
 * event are `policy.ts`'s.
 */
import { notificationJobId, type Alert } from '../state/index.ts';
import type { EnterpriseTarget } from './jobs.ts';
import type { OutboxEvent } from './outbox.ts';
import { notifyDecision, schedulesEscalation } from './policy.ts';

/** One notification to enqueue: an event of an alert for one channel. */
export interface Delivery {
  event: OutboxEvent;
  alert: Alert;
  channel: string;
  /** `notificationJobId(event, channel)`: the job id and the notification's idempotency key. */
  jobId: string;
  /** An enterprise channel's target (`enterprise-route.ts`). */
  target?: EnterpriseTarget | undefined;
}

export interface Routed {
  /** In event order, then channel order. */
  deliveries: Delivery[];
  /** The alerts (as read now) of the events that may start or move an escalation clock, once each, in first-event order. */
  toSchedule: Map<string, Alert>;
  /** Notified events recorded more than `staleAfterMs` before `now`: not sent. */
  stale: number;
  /** Events whose alert was not found: skipped. */
  orphans: OutboxEvent[];
}

/** Routes one batch of events to the channels (`channels`: their names, in order). */
export function routeEvents(
  events: readonly OutboxEvent[],
  alerts: ReadonlyMap<string, Alert>,
  channels: readonly string[],
  now: number,
  staleAfterMs: number,
): Routed {
  const out: Routed = { deliveries: [], toSchedule: new Map(), stale: 0, orphans: [] };
  for (const event of events) {
    const alert = alerts.get(event.alertId);
    if (!alert) {
      out.orphans.push(event);
      continue;
    }
    if (schedulesEscalation(event.type)) out.toSchedule.set(alert.id, alert);
    const decision = notifyDecision(event);
    if (!decision.notify) continue;
    if (now - event.recordedAt > staleAfterMs) {
      out.stale++;
      continue;
    }
    for (const channel of channels) out.deliveries.push({ event, alert, channel, jobId: notificationJobId(event, channel) });
  }
  return out;
}
