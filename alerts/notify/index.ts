/**
 * Notifications and escalation after detection, a pipeline of small stages
 * (as in Alertmanager): read the alert events (`dispatcher.ts`, the outbox
 * and its cursor) → decide and route them to the channels (`policy.ts`,
 * `route.ts`) → enqueue one `notify` job per channel (`enqueue.ts`) → send
 * with retry (`send.ts`); escalation is a stage of its own
 * (`escalation.ts`, `escalation-stage.ts`). `pipeline.ts` composes the
 * stages of one batch; `buildNotifier(config, deps)` wires them on the
 * injected Redis connections; `start()` runs, `stop()` closes what it made.
 * See README.md in this folder.
 */
import { Queue, type Worker } from 'bullmq';
import type { Registry } from 'prom-client';
import type { Clock } from '../../core/clock.ts';
import type { PlatformConfig } from '../../core/config.ts';
import type { RedisConnections } from '../../core/connections.ts';
import type { Db } from '../../core/db/db.ts';
import type { Logger } from '../../core/logger.ts';
import { bullPrefix } from '../../core/redis-keys.ts';
import { redisAnnouncer, type Announce } from '../bus.ts';
import type { EscalationLimits } from '../state/index.ts';
import type { AlertStore } from '../store.ts';
import { AuthorityDirectory } from './authorities.ts';
import { LogChannel, WebhookChannel, type NotificationChannel } from './channels.ts';
import { Dispatcher, type DispatcherOptions } from './dispatcher.ts';
import { EnterpriseChannels, smsAvailable } from './enterprise-channels.ts';
import { EnterpriseSettingsStore } from './enterprise-settings.ts';
import { Escalator, type EscalateOutcome } from './escalation.ts';
import { escalationWorker, everyEscalationSweep } from './escalation-stage.ts';
import { ESCALATE_QUEUE, NOTIFY_QUEUE, jobOptions, type EscalateJobData, type NotifyJobData, type RetryOptions } from './jobs.ts';
import { notifierMetrics } from './metrics.ts';
import { batchHandler, type AlertFollower } from './pipeline.ts';
import { sendWorker } from './send.ts';

export type { NotificationChannel } from './channels.ts';
export { LogChannel, WebhookChannel, signBody, verifySignature, webhookName } from './channels.ts';
export type { Notification } from './notification.ts';
export { summaryOf } from './notification.ts';
export { ESCALATE_QUEUE, NOTIFY_QUEUE } from './jobs.ts';
export { EnterpriseSettingsStore, maskedSettings, notifySettingsInput } from './enterprise-settings.ts';
export { deliveriesOf, type DeliveryRecord } from './deliveries.ts';
export { ENTERPRISE_NOTIFIED_EVENTS, enterpriseChannelName } from './enterprise-route.ts';

export type NotifierConfig = Pick<PlatformConfig, 'redisPrefix' | 'notify'>;
export type { AlertFollower } from './pipeline.ts';

export interface NotifierDeps {
  db: Db;
  store: AlertStore;
  clock: Clock;
  logger: Logger;
  /** Counters are registered on this registry (`nss_notify_*`). */
  metrics?: { registry: Registry } | undefined;
  /** Default: one `WebhookChannel` per `config.notify.webhooks` URL, plus a `LogChannel`. */
  channels?: NotificationChannel[] | undefined;
  /** Used when an escalation is applied. Default: publishes on `redis.command` (`redisAnnouncer`). */
  announce?: Announce | undefined;
  /**
   * The process's Redis connections: the queues and workers use
   * `redis.command` (BullMQ duplicates a blocking connection per worker), the
   * dispatcher's cursor too, and its wake-ups come through `redis.channels`.
   */
  redis: RedisConnections;
  /** Told each alert that fired, rose in grade or escalated, after its notifications are enqueued: inspections' task worker (`buildTaskWorker(…).consider`). Default none. */
  tasks?: AlertFollower | undefined;
  /** Told the same alerts before the tasks: the enterprise's response (alerts/response/service.ts `consider`), which hands an alarm to its enterprise. Default none. */
  responses?: AlertFollower | undefined;
  /** The HTTP client of the enterprise channels (SMS, DingTalk, WeCom). Default the global `fetch`. */
  fetch?: typeof fetch | undefined;
}

export interface NotifierOptions extends DispatcherOptions, RetryOptions {
  /** Notification jobs sent at once. Default 10. */
  concurrency?: number;
  /** How long an enterprise's authority chain is cached, ms. Default 60,000. */
  authorityCacheMs?: number;
  /**
   * Interval of the escalation sweep, ms: every firing alert gets its next
   * level scheduled again if its job is missing or failed for good. Default 60,000.
   */
  sweepMs?: number;
}

export interface Notifier {
  start(): Promise<void>;
  /** Stops dispatching, lets running jobs finish, closes workers and queues (not the injected connections); every step runs even if one fails. Idempotent. */
  stop(): Promise<void>;
}

/** The default channels: the configured webhooks and the log. */
export function defaultChannels(notify: PlatformConfig['notify'], logger: Logger): NotificationChannel[] {
  return [
    ...notify.webhooks.map((url) => new WebhookChannel({ url, secret: notify.webhookSecret, timeoutMs: notify.webhookTimeoutMs })),
    new LogChannel(logger.child({ channel: 'log' })),
  ];
}

/** Escalation limits from config: absent grade = never escalates. */
export const escalationLimitsOf = (notify: PlatformConfig['notify']): EscalationLimits => ({
  red: notify.escalation.red,
  orange: notify.escalation.orange,
  yellow: notify.escalation.yellow,
  blue: notify.escalation.blue,
});

export function buildNotifier(config: NotifierConfig, deps: NotifierDeps, opts: NotifierOptions = {}): Notifier {
  const logger = deps.logger.child({ part: 'rules', component: 'notify' });
  const channels = deps.channels ?? defaultChannels(config.notify, logger);
  const byName = new Map<string, NotificationChannel>();
  for (const ch of channels) {
    if (byName.has(ch.name)) throw new Error(`two notification channels are named '${ch.name}'; names must be unique (they are part of the job ids)`);
    byName.set(ch.name, ch);
  }
  const metrics = notifierMetrics(deps.metrics?.registry);
  const jobOpts = jobOptions(opts);
  const prefix = bullPrefix(config.redisPrefix);
  let queues: Queue[] = [];
  let workers: Worker[] = [];
  let dispatcher: Dispatcher | undefined;
  let stopSweeps: (() => void) | undefined;
  let stopping: Promise<void> | undefined;

  return {
    async start(): Promise<void> {
      if (stopping) throw new Error('notifier stopped');
      if (dispatcher) return;
      const connection = deps.redis.command;
      const announce = deps.announce ?? redisAnnouncer(connection, config.redisPrefix, (err) => logger.warn({ err }, 'alert event announcement failed'));
      const directory = new AuthorityDirectory(deps.db, deps.clock, { ttlMs: opts.authorityCacheMs });

      const notifyQueue = new Queue<NotifyJobData>(NOTIFY_QUEUE, { connection, prefix });
      const escalateQueue = new Queue<EscalateJobData>(ESCALATE_QUEUE, { connection, prefix });
      queues = [notifyQueue, escalateQueue];
      for (const q of queues) q.on('error', (err: Error) => logger.error({ err, queue: q.name }, 'queue error'));

      const escalator = new Escalator(
        escalateQueue,
        {
          store: deps.store,
          directory,
          clock: deps.clock,
          logger: logger.child({ component: 'escalate' }),
          limits: escalationLimitsOf(config.notify),
          announce,
          onOutcome: (outcome: EscalateOutcome) => metrics.escalations.inc({ outcome }),
        },
        jobOpts,
      );
      const settings = new EnterpriseSettingsStore(deps.db, deps.clock, { allowInsecureUrls: config.notify.allowInsecureChannelUrls });
      const now = () => deps.clock.now();
      const enterpriseChannels = new EnterpriseChannels(config.notify, { settings, now, fetch: deps.fetch });
      workers = [
        sendWorker({
          channels: byName,
          enterprise: { channels: enterpriseChannels, db: deps.db, now },
          connection,
          prefix,
          concurrency: opts.concurrency ?? 10,
          logger,
          sent: metrics.sent,
        }),
        escalationWorker(escalator, { connection, prefix, logger }),
      ];
      for (const w of workers) w.on('error', (err: Error) => logger.error({ err, queue: w.name }, 'worker error'));

      const dispatchLogger = logger.child({ component: 'dispatcher' });
      dispatcher = new Dispatcher(
        {
          db: deps.db,
          redis: connection,
          channels: deps.redis.channels,
          redisPrefix: config.redisPrefix,
          logger: dispatchLogger,
          handle: batchHandler({
            db: deps.db,
            notifyQueue,
            notifyJobOpts: jobOpts,
            directory,
            channels: channels.map((c) => c.name),
            escalator,
            clock: deps.clock,
            logger: dispatchLogger,
            staleAfterMs: opts.staleAfterMs ?? 24 * 3600_000,
            onEnqueued: (n: number) => metrics.enqueued.inc(n),
            tasks: deps.tasks,
            responses: deps.responses,
            enterprise: { settings, smsAvailable: smsAvailable(config.notify) },
          }),
        },
        opts,
      );
      await Promise.all([...queues.map((q) => q.waitUntilReady()), ...workers.map((w) => w.waitUntilReady())]);
      await dispatcher.start();
      stopSweeps = everyEscalationSweep(escalator, () => deps.store.active(), logger, opts.sweepMs ?? 60_000);
      logger.info({ channels: channels.map((c) => c.name), smsProvider: config.notify.sms.provider, limits: config.notify.escalation }, 'notifier started');
    },

    stop(): Promise<void> {
      stopping ??= (async () => {
        stopSweeps?.();
        const steps: [string, () => Promise<unknown>][] = [
          ['dispatcher', async () => dispatcher?.stop()],
          // running jobs finish (a webhook call is bounded by its timeout)
          ...workers.map((w): [string, () => Promise<unknown>] => [`worker ${w.name}`, () => w.close()]),
          ...queues.map((q): [string, () => Promise<unknown>] => [`queue ${q.name}`, () => q.close()]),
        ];
        for (const [name, step] of steps) {
          try {
            await step();
          } catch (err) {
            logger.error({ err, step: name }, 'error while stopping the notifier');
          }
        }
        queues = [];
        workers = [];
        logger.info('notifier stopped');
      })();
      return stopping;
    },
  };
}
