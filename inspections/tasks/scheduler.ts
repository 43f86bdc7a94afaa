/**
 * From alerts to tasks through BullMQ (queue `tasks`, prefix `${redisPrefix}bull`).
 * The notifier's dispatcher calls `consider(alert)` (through the task
 * worker, `worker.ts`, injected as its `tasks` follower) for each 'fired' and
 * 'severity_raised' event, and the task worker's periodic sweep for every
 * active alert (the triggers that need time: a gateway offline for a day, an
 * orange alert not disposed in time). When the policy says so, a job with the id
 * `open|<alertId>` is added — a replayed event or a second sweep adds nothing
 * (BullMQ keeps finished jobs for a week, and `openFromAlert` is idempotent
 * per alert anyway). The job re-reads the alert and opens or attaches the task.
 *
 * The same queue carries each task's deadline jobs (`TaskJobs`): at the
 * rectification deadline the task's re-check falls due; if no re-check is
 * recorded within the grace period the task escalates as overdue.
 */
import type { Job, JobsOptions, Queue } from 'bullmq';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { Alert } from '../../alerts/state/index.ts';
import type { RiskWarning } from '../../alerts/warnings/store.ts';
import { DEFAULT_TASK_POLICY, alertWarningsOf, taskDecision, type TaskPolicy } from './policy.ts';
import type { OpenOutcome, TaskJobEffect, TaskStore } from './store.ts';

export const TASKS_QUEUE = 'tasks';

/** `open`: an alert the policy selected; `recheck` / `overdue`: a task's rectification deadline (+ grace). */
export type TaskJobData = { alertId: string } | { taskId: string; deadline: number };

export const openJobId = (alertId: string): string => `open|${encodeURIComponent(alertId)}`;
export const deadlineJobId = (kind: 'recheck' | 'overdue', taskId: string, deadline: number): string => `${kind}|${encodeURIComponent(taskId)}|${deadline}`;

/** Time after the deadline for the re-check to be recorded before the task escalates as overdue. Default 3 days. */
export const DEFAULT_RECHECK_GRACE_MS = 3 * 86_400_000;

/**
 * Adds the delayed jobs a task change calls for: the re-check at the
 * rectification deadline, the overdue check `graceMs` after it. Job ids
 * carry the task and the deadline, so adding one twice (a retried request,
 * the sweep) schedules it once; the jobs live in Redis and survive restarts.
 */
export class TaskJobs {
  constructor(
    private readonly queue: Queue<TaskJobData>,
    private readonly jobOpts: JobsOptions,
    private readonly clock: Clock,
    readonly graceMs: number = DEFAULT_RECHECK_GRACE_MS,
  ) {}

  async schedule(effects: readonly TaskJobEffect[]): Promise<void> {
    for (const e of effects) {
      const [kind, deadline, at] =
        e.type === 'schedule_recheck' ? (['recheck', e.at, e.at] as const) : (['overdue', e.deadline, e.deadline + this.graceMs] as const);
      await this.queue.add(
        kind,
        { taskId: e.taskId, deadline },
        { ...this.jobOpts, jobId: deadlineJobId(kind, e.taskId, deadline), delay: Math.max(0, at - this.clock.now()) },
      );
    }
  }
}

export interface TaskSchedulerDeps {
  queue: Queue<TaskJobData>;
  jobOpts: JobsOptions;
  /** The deadline jobs (re-check, overdue). */
  jobs: TaskJobs;
  tasks: TaskStore;
  /** The alert as it is now. */
  alertOf(id: string): Promise<Alert | undefined>;
  /** The pattern of a rule (the catalogue's), for the policy. */
  patternOf(ruleId: string): string | undefined;
  /** Whether the catalogue marks a rule `seriousViolation` (an on-site task; otherwise a remote verification). Default: none. */
  seriousOf?: ((ruleId: string) => boolean) | undefined;
  clock: Clock;
  logger: Logger;
  policy?: TaskPolicy | undefined;
  /** The enterprise's risk warnings on record (alerts/warnings/); the policy opens a task for an alert that is a factor of one at its level. Default: none read. */
  warningsOf?: ((enterpriseId: string) => Promise<readonly RiskWarning[]>) | undefined;
}

export class TaskScheduler {
  constructor(private readonly deps: TaskSchedulerDeps) {}

  private async decide(alert: Alert) {
    const warnings = this.deps.warningsOf ? alertWarningsOf(alert, await this.deps.warningsOf(alert.enterpriseId)) : undefined;
    return taskDecision(
      alert,
      this.deps.patternOf(alert.ruleId) ?? '',
      this.deps.clock.now(),
      this.deps.policy ?? DEFAULT_TASK_POLICY,
      this.deps.seriousOf?.(alert.ruleId) ?? false,
      warnings,
    );
  }

  /** Adds the job that opens a task for the alert, if the policy calls for one. */
  async consider(alert: Alert): Promise<boolean> {
    const d = await this.decide(alert);
    if (!d.open) return false;
    await this.deps.queue.add('open', { alertId: alert.id }, { ...this.deps.jobOpts, jobId: openJobId(alert.id) });
    return true;
  }

  /** Processor of the `tasks` queue. */
  async process(job: Job<TaskJobData>): Promise<string> {
    const d = job.data;
    if ('alertId' in d) return this.open(d.alertId);
    if (job.name === 'recheck' || job.name === 'overdue') return this.deadline(job.name, d.taskId, d.deadline);
    throw new Error(`unknown tasks job ${job.name}`);
  }

  private async open(alertId: string): Promise<OpenOutcome['outcome'] | 'alert_missing' | 'no_longer_needed'> {
    const { logger } = this.deps;
    const alert = await this.deps.alertOf(alertId);
    if (!alert) return 'alert_missing';
    const d = await this.decide(alert);
    if (!d.open) return 'no_longer_needed';
    const r = await this.deps.tasks.openFromAlert(alert, d, this.deps.clock.now());
    const log = { alertId: alert.id, enterpriseId: alert.enterpriseId, trigger: d.trigger, matter: d.matter };
    if (r.outcome === 'unroutable') logger.error({ ...log, reason: r.reason }, 'inspection task could not be routed');
    else if (r.outcome !== 'already')
      logger.info({ ...log, taskId: r.task.id, authorityId: r.task.authorityId, kind: r.task.kind, outcome: r.outcome }, 'inspection task opened or extended');
    return r.outcome;
  }

  /**
   * The rectification deadline reached (the re-check is due), or passed by
   * the grace period without a re-check (escalated as overdue). A job for a
   * deadline the task no longer has (re-ordered, closed) does nothing.
   */
  private async deadline(kind: 'recheck' | 'overdue', taskId: string, deadline: number): Promise<'recheck_due' | 'escalated' | 'stale'> {
    const { tasks, clock, logger, jobs } = this.deps;
    const task = await tasks.get(taskId);
    const waiting = kind === 'recheck' ? 'rectifying' : 'rechecking';
    if (!task || task.state !== waiting || task.rectificationDeadline !== deadline) return 'stale';
    const now = clock.now();
    if (kind === 'recheck') {
      const r = await tasks.apply(taskId, { type: 'recheck_due', at: Math.max(now, deadline) }, now);
      await jobs.schedule(r.effects);
      logger.info({ taskId, enterpriseId: task.enterpriseId, inspectorId: task.inspectorId, deadline }, 're-check due');
      return 'recheck_due';
    }
    const hours = Math.round(jobs.graceMs / 3600_000);
    await tasks.apply(
      taskId,
      { type: 'escalate', actor: 'system:tasks', at: now, reason: `re-check overdue: not recorded within ${hours} h of the rectification deadline` },
      now,
    );
    logger.warn({ taskId, enterpriseId: task.enterpriseId, deadline }, 'task escalated: re-check overdue');
    return 'escalated';
  }

  /** Makes sure every task waiting on a deadline has its job (a lost Redis, a crash between commit and scheduling). */
  async sweep(): Promise<number> {
    const effects: TaskJobEffect[] = [];
    for (const t of await this.deps.tasks.waiting()) {
      if (t.rectificationDeadline === undefined) continue;
      effects.push(
        t.state === 'rectifying'
          ? { type: 'schedule_recheck', taskId: t.id, at: t.rectificationDeadline }
          : { type: 'schedule_overdue', taskId: t.id, deadline: t.rectificationDeadline },
      );
    }
    await this.deps.jobs.schedule(effects);
    return effects.length;
  }
}
