/**
 * Notifications and escalation after detection: the outbox dispatcher
 * (`dispatcher.ts`), the `notify` and `escalate` BullMQ queues and their
 * workers (`jobs.ts`, `escalation.ts`) and the channels (`channels.ts`).
 * `buildNotifier(config, deps)` wires them; `start()` connects and runs,
 * `stop()` closes everything. See README.md in this folder.
 */
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../../core/clock.ts';
import type { PlatformConfig } from '../../core/config.ts';
import type { Db } from '../../core/db/db.ts';
import type { Logger } from '../../core/logger.ts';
import { redisAnnouncer, type Announce } from '../bus.ts';
import type { EscalationLimits } from '../state/index.ts';
import type { AlertStore } from '../store.ts';
import { AuthorityDirectory } from './authorities.ts';
import { LogChannel, WebhookChannel, type NotificationChannel } from './channels.ts';
import { Dispatcher, type DispatcherOptions } from './dispatcher.ts';
import { Escalator, type EscalateOutcome } from './escalation.ts';
import { bullPrefix } from '../../core/redis-keys.ts';
import { ESCALATE_QUEUE, NOTIFY_QUEUE, jobOptions, type EscalateJobData, type NotifyJobData, type RetryOptions } from './jobs.ts';
import { defaultCatalogue, seriousRule } from '../rules/index.ts';
import type { TaskPolicy } from '../../inspections/tasks/policy.ts';
import { TASKS_QUEUE, TaskJobs, TaskScheduler, type TaskJobData } from '../../inspections/tasks/scheduler.ts';
import { TaskStore } from '../../inspections/tasks/store.ts';

export type { NotificationChannel } from './channels.ts';
export { LogChannel, WebhookChannel, signBody, verifySignature, webhookName } from './channels.ts';
export type { Notification } from './notification.ts';
export { summaryOf } from './notification.ts';
export { ESCALATE_QUEUE, NOTIFY_QUEUE } from './jobs.ts';

export type NotifierConfig = Pick<PlatformConfig, 'redisUrl' | 'redisPrefix' | 'notify'> & { tasks?: PlatformConfig['tasks'] | undefined };

export interface NotifierDeps {
  db: Db;
  store: AlertStore;
  clock: Clock;
  logger: Logger;
  /** Counters are registered on this registry (`nss_notify_*`). */
  metrics?: { registry: Registry } | undefined;
  /** Default: one `WebhookChannel` per `config.notify.webhooks` URL, plus a `LogChannel`. */
  channels?: NotificationChannel[] | undefined;
  /** Used when an escalation is applied. Default: publishes on the notifier's own Redis connection (`redisAnnouncer`). */
  announce?: Announce | undefined;
  /** The pattern of a rule, for the task policy. Default: the built-in catalogue's. */
  patternOf?: ((ruleId: string) => string | undefined) | undefined;
  /** Whether a rule is marked `seriousViolation` in the catalogue in force (an on-site task, not a remote verification). Default: the built-in catalogue's. */
  seriousOf?: ((ruleId: string) => boolean) | undefined;
  /** Which alerts open inspection tasks. Default `DEFAULT_TASK_POLICY`. */
  taskPolicy?: TaskPolicy | undefined;
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
  /** Stops dispatching, lets running jobs finish, closes workers, queues and connections; every step runs even if one fails. Idempotent. */
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

/** A counter on `registry`, or the one already registered under that name (a notifier rebuilt in one process). */
function counter<L extends string>(registry: Registry | undefined, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  const existing = registry?.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter<L>({ name, help, labelNames, registers: registry ? [registry] : [] });
}

/** Whether a failed job is failed for good (unrecoverable, or out of attempts) rather than waiting for a retry. */
const isFinalFailure = (job: Job, err: Error): boolean =>
  err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);

export function buildNotifier(config: NotifierConfig, deps: NotifierDeps, opts: NotifierOptions = {}): Notifier {
  const logger = deps.logger.child({ part: 'rules', component: 'notify' });
  const channels = deps.channels ?? defaultChannels(config.notify, logger);
  const byName = new Map<string, NotificationChannel>();
  for (const ch of channels) {
    if (byName.has(ch.name)) throw new Error(`two notification channels are named '${ch.name}'; names must be unique (they are part of the job ids)`);
    byName.set(ch.name, ch);
  }
  const registry = deps.metrics?.registry;
  const sent = counter(registry, 'nss_notify_notifications_total', 'Notification attempts by channel and outcome (sent, retrying, failed)', [
    'channel',
    'outcome',
  ]);
  const escalations = counter(registry, 'nss_notify_escalation_jobs_total', 'Escalation jobs run, by outcome', ['outcome']);
  const enqueued = counter(
    registry,
    'nss_notify_jobs_enqueued_total',
    'Notification jobs enqueued by the dispatcher (re-enqueues deduplicated by BullMQ included)',
    [],
  );

  const jobOpts = jobOptions(opts);
  const prefix = bullPrefix(config.redisPrefix);
  const redisOpts = { maxRetriesPerRequest: null };
  let conns: Redis[] = [];
  let queues: Queue[] = [];
  let workers: Worker[] = [];
  let dispatcher: Dispatcher | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping = false;
  let stopping: Promise<void> | undefined;

  const connect = (role: string): Redis => {
    const r = new Redis(config.redisUrl, { ...redisOpts, connectionName: `nss-notify-${role}` });
    r.on('error', (err: Error) => logger.error({ err: err.message, role }, 'redis error'));
    conns.push(r);
    return r;
  };

  async function sendJob(job: Job<NotifyJobData>): Promise<void> {
    const ch = byName.get(job.data.channel);
    if (!ch) throw new UnrecoverableError(`no notification channel named '${job.data.channel}' (configuration changed?)`);
    await ch.send(job.data.notification);
  }

  return {
    async start(): Promise<void> {
      if (stopping) throw new Error('notifier stopped');
      if (dispatcher) return;
      const conn = connect('queue');
      const subscriber = connect('sub');
      const announce = deps.announce ?? redisAnnouncer(conn, config.redisPrefix, (err) => logger.warn({ err }, 'alert event announcement failed'));
      const directory = new AuthorityDirectory(deps.db, deps.clock, { ttlMs: opts.authorityCacheMs });

      const notifyQueue = new Queue<NotifyJobData>(NOTIFY_QUEUE, { connection: conn, prefix });
      const escalateQueue = new Queue<EscalateJobData>(ESCALATE_QUEUE, { connection: conn, prefix });
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
          onOutcome: (outcome: EscalateOutcome) => escalations.inc({ outcome }),
        },
        jobOpts,
      );

      const tasksQueue = new Queue<TaskJobData>(TASKS_QUEUE, { connection: conn, prefix });
      tasksQueue.on('error', (err: Error) => logger.error({ err, queue: TASKS_QUEUE }, 'queue error'));
      queues.push(tasksQueue);
      const shipped = defaultCatalogue();
      const builtIn = new Map(shipped.rules.map((r) => [r.id, r.pattern as string]));
      const builtInSerious = seriousRule(shipped);
      const taskScheduler = new TaskScheduler({
        queue: tasksQueue,
        jobOpts,
        jobs: new TaskJobs(tasksQueue, jobOpts, deps.clock, config.tasks?.recheckGraceMs),
        tasks: new TaskStore(deps.db),
        alertOf: (id) => deps.store.get(id),
        patternOf: deps.patternOf ?? ((ruleId) => builtIn.get(ruleId)),
        seriousOf: deps.seriousOf ?? builtInSerious,
        clock: deps.clock,
        logger: logger.child({ component: 'tasks' }),
        policy: deps.taskPolicy,
      });
      const tasksWorker = new Worker<TaskJobData>(TASKS_QUEUE, (job) => taskScheduler.process(job), {
        connection: connect('tasks-worker'),
        prefix,
        concurrency: 5,
      });
      tasksWorker.on('failed', (job, err) => {
        if (job) logger.warn({ job: job.id, attempts: job.attemptsMade, err: err.message }, 'inspection task job failed');
      });

      const notifyWorker = new Worker<NotifyJobData>(NOTIFY_QUEUE, sendJob, {
        connection: connect('notify-worker'),
        prefix,
        concurrency: opts.concurrency ?? 10,
      });
      notifyWorker.on('completed', (job) => {
        const n = job.data.notification;
        sent.inc({ channel: job.data.channel, outcome: 'sent' });
        logger.info({ alertId: n.alert.id, channel: job.data.channel, event: n.event.type, seq: n.event.seq, attempts: job.attemptsMade }, 'notification sent');
      });
      notifyWorker.on('failed', (job, err) => {
        if (!job) return;
        const n = job.data.notification;
        const final = isFinalFailure(job, err);
        sent.inc({ channel: job.data.channel, outcome: final ? 'failed' : 'retrying' });
        const fields = { alertId: n.alert.id, channel: job.data.channel, event: n.event.type, seq: n.event.seq, attempts: job.attemptsMade, err: err.message };
        if (final) logger.error(fields, 'notification failed');
        else logger.warn(fields, 'notification attempt failed; will retry');
      });
      const escalateWorker = new Worker<EscalateJobData, EscalateOutcome>(ESCALATE_QUEUE, (job, token) => escalator.process(job, token), {
        connection: connect('escalate-worker'),
        prefix,
        concurrency: 5,
      });
      escalateWorker.on('failed', (job, err) => {
        if (!job) return;
        const fields = { alertId: job.data.alertId, escalationLevel: job.data.level, attempts: job.attemptsMade, err: err.message };
        // a final failure loses this level: nothing schedules it again unless a higher grade moves its deadline
        if (isFinalFailure(job, err)) logger.error(fields, 'escalation job failed');
        else logger.warn(fields, 'escalation attempt failed; will retry');
      });
      workers = [notifyWorker, escalateWorker, tasksWorker];
      for (const w of workers) w.on('error', (err: Error) => logger.error({ err, queue: w.name }, 'worker error'));

      dispatcher = new Dispatcher(
        {
          db: deps.db,
          redis: conn,
          subscriber,
          redisPrefix: config.redisPrefix,
          notifyQueue,
          notifyJobOpts: jobOpts,
          channels,
          escalator,
          directory,
          clock: deps.clock,
          logger: logger.child({ component: 'dispatcher' }),
          onEnqueued: (n: number) => enqueued.inc(n),
          tasks: taskScheduler,
        },
        opts,
      );
      await Promise.all([...queues.map((q) => q.waitUntilReady()), ...workers.map((w) => w.waitUntilReady())]);
      await dispatcher.start();
      const sweep = async () => {
        if (sweeping || stopping) return;
        sweeping = true;
        try {
          const deadlines = await taskScheduler.sweep();
          if (deadlines > 0) logger.debug({ tasks: deadlines }, 'task deadline jobs ensured');
        } catch (err) {
          logger.error({ err }, 'task deadline sweep failed; retrying at the next one');
        }
        try {
          const outcomes: Record<string, number> = {};
          for (const a of await deps.store.active()) {
            // time-driven task triggers (a gateway offline for a day, an orange alert not disposed in time)
            if (a.state === 'firing' || a.state === 'acknowledged') await taskScheduler.consider(a);
            if (a.state !== 'firing') continue;
            const o = await escalator.schedule(a);
            outcomes[o] = (outcomes[o] ?? 0) + 1;
          }
          if ((outcomes.scheduled ?? 0) + (outcomes.replaced ?? 0) > 0)
            logger.warn({ outcomes }, 'escalation sweep rescheduled missing or failed escalation jobs');
        } catch (err) {
          logger.error({ err }, 'escalation sweep failed; retrying at the next one');
        } finally {
          sweeping = false;
        }
      };
      sweepTimer = setInterval(() => void sweep(), opts.sweepMs ?? 60_000);
      logger.info({ channels: channels.map((c) => c.name), limits: config.notify.escalation }, 'notifier started');
    },

    stop(): Promise<void> {
      stopping ??= (async () => {
        clearInterval(sweepTimer);
        const steps: [string, () => Promise<unknown>][] = [
          ['dispatcher', async () => dispatcher?.stop()],
          // running jobs finish (a webhook call is bounded by its timeout)
          ...workers.map((w): [string, () => Promise<unknown>] => [`worker ${w.name}`, () => w.close()]),
          ...queues.map((q): [string, () => Promise<unknown>] => [`queue ${q.name}`, () => q.close()]),
          ['redis', () => Promise.all(conns.map((r) => r.quit().catch(() => r.disconnect())))],
        ];
        for (const [name, step] of steps) {
          try {
            await step();
          } catch (err) {
            logger.error({ err, step: name }, 'error while stopping the notifier');
          }
        }
        conns = [];
        queues = [];
        workers = [];
        logger.info('notifier stopped');
      })();
      return stopping;
    },
  };
}
