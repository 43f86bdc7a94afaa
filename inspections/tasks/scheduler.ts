/**
 * From alerts to tasks through BullMQ (queue `tasks`, prefix `${redisPrefix}bull`).
 * The notifier's dispatcher calls `consider(alert)` for each 'fired' and
 * 'severity_raised' event, and its periodic sweep for every active alert (the
 * triggers that need time: a gateway offline for a day, an orange alert not
 * disposed in time). When the policy says so, a job with the id
 * `open|<alertId>` is added — a replayed event or a second sweep adds nothing
 * (BullMQ keeps finished jobs for a week, and `openFromAlert` is idempotent
 * per alert anyway). The job re-reads the alert and opens or attaches the task.
 */
import type { Job, JobsOptions, Queue } from 'bullmq';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { Alert } from '../../alerts/state/index.ts';
import { DEFAULT_TASK_POLICY, taskDecision, type TaskPolicy } from './policy.ts';
import type { OpenOutcome, TaskStore } from './store.ts';

export const TASKS_QUEUE = 'tasks';

export interface TaskJobData {
  alertId: string;
}

export const openJobId = (alertId: string): string => `open|${encodeURIComponent(alertId)}`;

export interface TaskSchedulerDeps {
  queue: Queue<TaskJobData>;
  jobOpts: JobsOptions;
  tasks: TaskStore;
  /** The alert as it is now. */
  alertOf(id: string): Promise<Alert | undefined>;
  /** The pattern of a rule (the catalogue's), for the policy. */
  patternOf(ruleId: string): string | undefined;
  clock: Clock;
  logger: Logger;
  policy?: TaskPolicy | undefined;
}

export class TaskScheduler {
  constructor(private readonly deps: TaskSchedulerDeps) {}

  private decide(alert: Alert) {
    return taskDecision(alert, this.deps.patternOf(alert.ruleId) ?? '', this.deps.clock.now(), this.deps.policy ?? DEFAULT_TASK_POLICY);
  }

  /** Adds the job that opens a task for the alert, if the policy calls for one. */
  async consider(alert: Alert): Promise<boolean> {
    const d = this.decide(alert);
    if (!d.open) return false;
    await this.deps.queue.add('open', { alertId: alert.id }, { ...this.deps.jobOpts, jobId: openJobId(alert.id) });
    return true;
  }

  /** Processor of the `tasks` queue. */
  async process(job: Job<TaskJobData>): Promise<OpenOutcome['outcome'] | 'alert_missing' | 'no_longer_needed'> {
    const { logger } = this.deps;
    const alert = await this.deps.alertOf(job.data.alertId);
    if (!alert) return 'alert_missing';
    const d = this.decide(alert);
    if (!d.open) return 'no_longer_needed';
    const r = await this.deps.tasks.openFromAlert(alert, d, this.deps.clock.now());
    const log = { alertId: alert.id, enterpriseId: alert.enterpriseId, trigger: d.trigger, matter: d.matter };
    if (r.outcome === 'unroutable') logger.error({ ...log, reason: r.reason }, 'inspection task could not be routed');
    else if (r.outcome !== 'already')
      logger.info({ ...log, taskId: r.task.id, authorityId: r.task.authorityId, outcome: r.outcome }, 'inspection task opened or extended');
    return r.outcome;
  }
}
