/**
 * The inspections task worker (runs in the `rules` part, next to the
 * notifier): the BullMQ worker of queue `tasks` (`TaskScheduler.process`:
 * opening tasks from alerts, the re-check and overdue deadline jobs) and
 * the periodic sweep that re-adds missing deadline jobs and considers every
 * active alert for the triggers that need time to pass (a gateway offline for
 * a day, an orange alert not disposed in time).
 *
 * Alerts do not know about it: the notifier's dispatcher, reading the
 * alert events it publishes, hands each alert that fired or rose in grade to
 * `consider` (an injected callback, `NotifierDeps.tasks`), so nothing under
 * `alerts/` imports `inspections/`.
 */
import type { RiskWarning } from '../../alerts/warnings/store.ts';
import { Queue, Worker } from 'bullmq';
import type { Clock } from '../../core/clock.ts';
import type { PlatformConfig } from '../../core/config.ts';
import type { RedisConnections } from '../../core/connections.ts';
import type { Db } from '../../core/db/db.ts';
import type { Logger } from '../../core/logger.ts';
import { bullPrefix } from '../../core/redis-keys.ts';
import { jobOptions, type RetryOptions } from '../../alerts/notify/jobs.ts';
import { defaultCatalogue, seriousRule } from '../../alerts/rules/index.ts';
import type { Alert } from '../../alerts/state/index.ts';
import type { TaskPolicy } from './policy.ts';
import { TASKS_QUEUE, TaskJobs, TaskScheduler, type TaskJobData } from './scheduler.ts';
import { TaskStore } from './store.ts';

export type TaskWorkerConfig = Pick<PlatformConfig, 'redisPrefix'> & { tasks?: PlatformConfig['tasks'] | undefined };

export interface TaskWorkerDeps {
  db: Db;
  /** The alert store (alerts/store.ts): an alert as it is now, and the active ones for the sweep. */
  alerts: { get(id: string): Promise<Alert | undefined>; active(): Promise<Alert[]> };
  /** The process's Redis connections: the queue and the worker use `redis.command` (BullMQ duplicates the worker's blocking connection). */
  redis: RedisConnections;
  clock: Clock;
  logger: Logger;
  /** The pattern of a rule, for the task policy. Default: the built-in catalogue's. */
  patternOf?: ((ruleId: string) => string | undefined) | undefined;
  /** Whether a rule is marked `seriousViolation` in the catalogue in force (an on-site task, not a remote verification). Default: the built-in catalogue's. */
  seriousOf?: ((ruleId: string) => boolean) | undefined;
  /** Which alerts open inspection tasks. Default `DEFAULT_TASK_POLICY`. */
  taskPolicy?: TaskPolicy | undefined;
  /** The enterprise's risk warnings on record, for the policy's `warning` trigger. Default: none read. */
  warningsOf?: ((enterpriseId: string) => Promise<readonly RiskWarning[]>) | undefined;
}

export interface TaskWorkerOptions extends RetryOptions {
  /** Interval of the sweep (deadline jobs, time-driven triggers), ms. Default 60,000. */
  sweepMs?: number;
}

export interface TaskWorker {
  start(): Promise<void>;
  /** Adds the job that opens a task for the alert if the policy calls for one (the notifier's dispatcher calls it). */
  consider(alert: Alert): Promise<boolean>;
  /** Stops the sweep, lets running jobs finish, closes the worker and the queue; every step runs even if one fails. Idempotent. */
  stop(): Promise<void>;
}

export function buildTaskWorker(config: TaskWorkerConfig, deps: TaskWorkerDeps, opts: TaskWorkerOptions = {}): TaskWorker {
  const logger = deps.logger.child({ part: 'rules', component: 'tasks' });
  const prefix = bullPrefix(config.redisPrefix);
  const jobOpts = jobOptions(opts);
  let queue: Queue<TaskJobData> | undefined;
  let worker: Worker<TaskJobData> | undefined;
  let scheduler: TaskScheduler | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping = false;
  let stopping: Promise<void> | undefined;

  const sweep = async () => {
    if (sweeping || stopping || !scheduler) return;
    sweeping = true;
    try {
      const deadlines = await scheduler.sweep();
      if (deadlines > 0) logger.debug({ tasks: deadlines }, 'task deadline jobs ensured');
    } catch (err) {
      logger.error({ err }, 'task deadline sweep failed; retrying at the next one');
    }
    try {
      // time-driven task triggers (a gateway offline for a day, an orange alert not disposed in time)
      for (const a of await deps.alerts.active()) if (a.state === 'firing' || a.state === 'acknowledged') await scheduler.consider(a);
    } catch (err) {
      logger.error({ err }, 'task trigger sweep failed; retrying at the next one');
    } finally {
      sweeping = false;
    }
  };

  return {
    async start(): Promise<void> {
      if (stopping) throw new Error('task worker stopped');
      if (scheduler) return;
      const q = new Queue<TaskJobData>(TASKS_QUEUE, { connection: deps.redis.command, prefix });
      q.on('error', (err: Error) => logger.error({ err, queue: TASKS_QUEUE }, 'queue error'));
      queue = q;
      const shipped = defaultCatalogue();
      const builtIn = new Map(shipped.rules.map((r) => [r.id, r.pattern as string]));
      const builtInSerious = seriousRule(shipped);
      const s = new TaskScheduler({
        queue: q,
        jobOpts,
        jobs: new TaskJobs(q, jobOpts, deps.clock, config.tasks?.recheckGraceMs),
        tasks: new TaskStore(deps.db),
        alertOf: (id) => deps.alerts.get(id),
        patternOf: deps.patternOf ?? ((ruleId) => builtIn.get(ruleId)),
        seriousOf: deps.seriousOf ?? builtInSerious,
        clock: deps.clock,
        logger,
        policy: deps.taskPolicy,
        warningsOf: deps.warningsOf,
      });
      const w = new Worker<TaskJobData>(TASKS_QUEUE, (job) => s.process(job), { connection: deps.redis.command, prefix, concurrency: 5 });
      w.on('failed', (job, err) => {
        if (job) logger.warn({ job: job.id, attempts: job.attemptsMade, err: err.message }, 'inspection task job failed');
      });
      w.on('error', (err: Error) => logger.error({ err, queue: w.name }, 'worker error'));
      worker = w;
      await Promise.all([q.waitUntilReady(), w.waitUntilReady()]);
      scheduler = s;
      sweepTimer = setInterval(() => void sweep(), opts.sweepMs ?? 60_000);
    },

    consider(alert: Alert): Promise<boolean> {
      if (!scheduler) return Promise.reject(new Error('task worker not started'));
      return scheduler.consider(alert);
    },

    stop(): Promise<void> {
      stopping ??= (async () => {
        clearInterval(sweepTimer);
        const steps: [string, (() => Promise<unknown>) | undefined][] = [
          // running jobs finish
          [`worker ${TASKS_QUEUE}`, worker && (() => worker!.close())],
          [`queue ${TASKS_QUEUE}`, queue && (() => queue!.close())],
        ];
        for (const [name, step] of steps) {
          if (!step) continue;
          try {
            await step();
          } catch (err) {
            logger.error({ err, step: name }, 'error while stopping the task worker');
          }
        }
        worker = undefined;
        queue = undefined;
      })();
      return stopping;
    },
  };
}
