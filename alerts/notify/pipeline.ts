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
import type { Alert } from '../state/index.ts';
import { enqueueNotifications, type EnqueueDeps } from './enqueue.ts';
import type { Escalator } from './escalation.ts';
import { readAlerts, type OutboxEvent } from './outbox.ts';
import { routeEvents } from './route.ts';

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
}

/** The stages after the read, composed: the dispatcher's `handle`. */
export function batchHandler(deps: BatchDeps): (events: readonly OutboxEvent[]) => Promise<void> {
  const { escalator, clock, logger } = deps;
  return async (events) => {
    const alerts = await readAlerts(deps.db, [...new Set(events.map((e) => e.alertId))]);
    const routed = routeEvents(events, alerts, deps.channels, clock.now(), deps.staleAfterMs);
    for (const event of routed.orphans) logger.error({ seq: event.seq, alertId: event.alertId }, 'alert event without its alert; skipped');
    const jobs = await enqueueNotifications(deps, routed.deliveries);
    deps.onEnqueued?.(jobs);
    if (routed.stale > 0) logger.warn({ events: routed.stale, staleAfterMs: deps.staleAfterMs }, 'old alert events not notified');
    for (const alert of routed.toSchedule.values()) {
      // the enterprise answers first: handed over before the escalation is scheduled (whose job re-reads the alert)
      if (deps.responses && (await deps.responses.consider(alert))) logger.debug({ alertId: alert.id }, 'alarm handed to its enterprise');
      if (deps.tasks && (await deps.tasks.consider(alert))) logger.debug({ alertId: alert.id }, 'inspection task job added');
      const outcome = await escalator.schedule(alert);
      if (outcome !== 'none' && outcome !== 'unchanged') logger.debug({ alertId: alert.id, outcome }, 'escalation scheduled');
    }
    logger.debug({ from: events[0]?.seq, to: events.at(-1)?.seq, jobs }, 'alert events dispatched');
  };
}
