/**
 * The notifier's pipeline after the read stage (`dispatcher.ts`), as in
 * Alertmanager: for one batch of alert events, read their alerts → decide and
 * route (`route.ts`, pure) → enqueue one job per channel (`enqueue.ts`) →
 * follow-ups of the alerts whose clock may move: the injected consumers of
 * fired or raised alerts (inspection tasks) and the escalation stage's
 * `schedule`. Sending with retry is the `notify` worker (`send.ts`);
 * escalating is the `escalate` worker (`escalation-stage.ts`).
 */
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/db.ts';
import type { Logger } from '../../core/logger.ts';
import { eventKey, type Alert } from '../state/index.ts';
import { recordPending } from './deliveries.ts';
import { enqueueNotifications, type EnqueueDeps } from './enqueue.ts';
import { ENTERPRISE_NOTIFIED_EVENTS, routeToEnterprises, type EnterpriseRouting } from './enterprise-route.ts';
import type { EnterpriseSettingsStore } from './enterprise-settings.ts';
import type { Escalator } from './escalation.ts';
import { readAlerts, type OutboxEvent } from './outbox.ts';
import { maskPhone } from './provider-call.ts';
import { routeEvents, type Delivery } from './route.ts';

/** A consumer of the alerts that fired, rose in grade or escalated (e.g. inspections' task worker); resolves whether it added a job. */
export interface AlertFollower {
  consider(alert: Alert): Promise<boolean>;
}

export interface BatchDeps extends EnqueueDeps {
  db: Db;
  /** Channel names, in order. */
  channels: readonly string[];
  escalator: Escalator;
  clock: Clock;
  logger: Logger;
  /** Events recorded longer ago than this are not notified, ms. */
  staleAfterMs: number;
  /** Told the number of notification jobs enqueued per batch (metrics). */
  onEnqueued?: ((jobs: number) => void) | undefined;
  /** Off-plan inspection tasks: told each alert that fired or rose in grade. */
  tasks?: AlertFollower | undefined;
  /** The enterprise's response (issue #18): told the same alerts first; it may hand the alarm to its enterprise. */
  responses?: AlertFollower | undefined;
  /** The enterprises' own channels (issue #18): their settings, and whether an SMS provider is configured. */
  enterprise?: { settings: EnterpriseSettingsStore; smsAvailable: boolean } | undefined;
}

/** The deliveries of a batch to the enterprises' channels, recorded as pending on their alarms. */
async function enterpriseDeliveries(deps: BatchDeps, events: readonly OutboxEvent[], alerts: ReadonlyMap<string, Alert>): Promise<Delivery[]> {
  const ent = deps.enterprise;
  if (!ent) return [];
  const candidates = events.filter((e) => ENTERPRISE_NOTIFIED_EVENTS.includes(e.type));
  const ids = [...new Set(candidates.map((e) => alerts.get(e.alertId)?.enterpriseId).filter((id): id is string => id !== undefined))];
  if (ids.length === 0) return [];
  const routing = new Map<string, EnterpriseRouting>();
  for (const [id, settings] of await ent.settings.getMany(ids)) routing.set(id, { settings, phones: await ent.settings.recipients(settings) });
  const now = deps.clock.now();
  const out = routeToEnterprises(candidates, alerts, routing, { now, staleAfterMs: deps.staleAfterMs, smsAvailable: ent.smsAvailable });
  await recordPending(
    deps.db,
    out.map((d) => ({
      jobId: d.jobId,
      alertId: d.alert.id,
      enterpriseId: d.alert.enterpriseId,
      eventSeq: d.event.seq,
      eventKey: eventKey(d.event),
      channel: d.target?.kind ?? 'sms',
      // SMS: its recipients; a robot: the phones it @-mentions
      recipients: (d.target?.phones ?? []).map(maskPhone),
    })),
    now,
  );
  return out;
}

/** The stages after the read, composed: the dispatcher's `handle`. */
export function batchHandler(deps: BatchDeps): (events: readonly OutboxEvent[]) => Promise<void> {
  const { escalator, clock, logger } = deps;
  return async (events) => {
    const alerts = await readAlerts(deps.db, [...new Set(events.map((e) => e.alertId))]);
    const routed = routeEvents(events, alerts, deps.channels, clock.now(), deps.staleAfterMs);
    for (const event of routed.orphans) logger.error({ seq: event.seq, alertId: event.alertId }, 'alert event without its alert; skipped');
    // the enterprise answers first: handed over (its response opened, with the sign-for limit the enterprise's
    // messages carry) before anything is sent and before the escalation is scheduled (whose job re-reads the alert)
    if (deps.responses)
      for (const alert of routed.toSchedule.values())
        if (await deps.responses.consider(alert)) logger.debug({ alertId: alert.id }, 'alarm handed to its enterprise');
    const toEnterprises = await enterpriseDeliveries(deps, events, alerts);
    const signBy = await signDueOf(
      deps.db,
      toEnterprises.map((d) => d.alert.id),
    );
    const jobs = await enqueueNotifications(deps, [...routed.deliveries, ...toEnterprises], signBy);
    deps.onEnqueued?.(jobs);
    if (routed.stale > 0) logger.warn({ events: routed.stale, staleAfterMs: deps.staleAfterMs }, 'old alert events not notified');
    for (const alert of routed.toSchedule.values()) {
      if (deps.tasks && (await deps.tasks.consider(alert))) logger.debug({ alertId: alert.id }, 'inspection task job added');
      const outcome = await escalator.schedule(alert);
      if (outcome !== 'none' && outcome !== 'unchanged') logger.debug({ alertId: alert.id, outcome }, 'escalation scheduled');
    }
    logger.debug({ from: events[0]?.seq, to: events.at(-1)?.seq, jobs }, 'alert events dispatched');
  };
}

/** The sign-for time limits of the alarms (those handed to their enterprise and not yet signed for). */
async function signDueOf(db: Db, alertIds: readonly string[]): Promise<ReadonlyMap<string, number>> {
  if (alertIds.length === 0) return new Map();
  const { rows } = await db.query<{ alert_id: string; sign_due_at: Date }>(
    'SELECT alert_id, sign_due_at FROM alert_responses WHERE alert_id = ANY($1) AND signed_at IS NULL',
    [[...new Set(alertIds)]],
  );
  return new Map(rows.map((r) => [r.alert_id, new Date(r.sign_due_at).getTime()]));
}
