/**
 * 逐级督办: an unacknowledged alert goes one authority up each time its
 * acknowledgement limit passes. Two halves:
 *
 * - `schedule(alert)` (called by the dispatcher for 'fired',
 *   'severity_raised' and 'escalated' events) adds a delayed `escalate` job
 *   for the alert's next level at its deadline (`nextEscalation`), id
 *   `escalationJobId(alert, level)`. If that job exists with another
 *   deadline (a higher grade restarted the clock, or an acknowledged alert
 *   was re-armed by a higher grade after its job had run), it is moved:
 *   `changeDelay` while delayed, removed and added again once finished.
 * - `process(job)` re-reads the alert and applies the escalation only if it
 *   is due now (`escalationDue`): an alert acknowledged, resolved or already
 *   escalated meanwhile is left alone; a deadline moved later puts the job
 *   back to sleep until then. The command carries `at = dueAt`, so level n
 *   falls at `firedAt + n·limit` however late the job runs, and a retried job
 *   is a no-op (`already_escalated`). The 'escalated' event flows through the
 *   dispatcher like any other: it is notified and schedules the next level.
 *
 * The target of level n is the n-th ancestor of the enterprise's authority;
 * an enterprise with no authority above its own never escalates (logged once
 * per enterprise and process).
 */
import { DelayedError, type Job, type JobsOptions, type Queue } from 'bullmq';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import { applyCommand } from '../apply.ts';
import type { Announce } from '../bus.ts';
import { escalationDue, escalationJobId, nextEscalation, type Alert, type EscalationLimits, type TransitionOutcome } from '../state/index.ts';
import type { AlertStore } from '../store.ts';
import { escalationTarget, maxEscalationLevel, type AuthorityDirectory } from './authorities.ts';
import type { EscalateJobData } from './jobs.ts';

export type ScheduleOutcome = 'scheduled' | 'unchanged' | 'moved' | 'replaced' | 'left_to_job' | 'none';

export type EscalateOutcome = 'alert_missing' | 'not_escalating' | 'level_passed' | 'no_target' | TransitionOutcome;

export interface EscalatorDeps {
  store: AlertStore;
  directory: AuthorityDirectory;
  clock: Clock;
  logger: Logger;
  limits: EscalationLimits;
  /** Passed to `applyCommand`, so the dispatcher hears of the 'escalated' event at once. */
  announce?: Announce | undefined;
  /** Told each processed job's outcome (metrics). */
  onOutcome?: ((outcome: EscalateOutcome) => void) | undefined;
}

export class Escalator {
  private readonly warnedNoAuthority = new Set<string>();

  constructor(
    private readonly queue: Queue<EscalateJobData>,
    private readonly deps: EscalatorDeps,
    private readonly jobOpts: JobsOptions,
  ) {}

  /** Makes sure the alert's next escalation level has a job due at its deadline. */
  async schedule(alert: Alert): Promise<ScheduleOutcome> {
    const { limits, clock, directory, logger } = this.deps;
    if (alert.state !== 'firing' || limits[alert.severity] === undefined) return 'none';
    const ent = await directory.of(alert.enterpriseId);
    const maxLevel = maxEscalationLevel(ent.chain);
    if (maxLevel === 0) {
      if (!this.warnedNoAuthority.has(alert.enterpriseId)) {
        this.warnedNoAuthority.add(alert.enterpriseId);
        logger.warn(
          { enterpriseId: alert.enterpriseId, authorityId: ent.chain[0]?.id ?? null },
          "the enterprise's authority has no authority above it (or the enterprise has none): its alerts never escalate",
        );
      }
      return 'none';
    }
    const next = nextEscalation(alert, limits, { maxLevel });
    if (!next) return 'none';
    const jobId = escalationJobId(alert, next.level);
    const data: EscalateJobData = { alertId: alert.id, level: next.level, dueAt: next.dueAt };
    const delay = Math.max(0, next.dueAt - clock.now());
    const existing = await this.queue.getJob(jobId);
    if (!existing) {
      await this.queue.add('escalate', data, { ...this.jobOpts, jobId, delay });
      return 'scheduled';
    }
    const state = await existing.getState();
    // a job that failed for good (every retry spent, e.g. PostgreSQL down) is replaced: the level must not be lost
    if (existing.data.dueAt === next.dueAt && state !== 'failed') return 'unchanged';
    switch (state) {
      case 'delayed':
        await existing.updateData(data);
        try {
          await existing.changeDelay(delay);
        } catch (err) {
          // promoted meanwhile: the processor re-reads the deadline and sleeps again if needed
          logger.debug({ err, jobId }, 'escalation job left its delayed state before it could be moved');
          return 'left_to_job';
        }
        return 'moved';
      case 'completed':
      case 'failed':
      case 'unknown':
        // the job for this level ran for an earlier deadline (e.g. the alert was acknowledged, then re-armed by a higher grade)
        await existing.remove().catch((err: unknown) => logger.debug({ err, jobId }, 'finished escalation job already gone'));
        await this.queue.add('escalate', data, { ...this.jobOpts, jobId, delay });
        return 'replaced';
      case 'active':
      case 'waiting':
      case 'prioritized':
      case 'waiting-children':
        // about to run or running: it re-reads the alert and the deadline
        return 'left_to_job';
    }
  }

  /** Processor of the `escalate` queue. */
  async process(job: Job<EscalateJobData>, token?: string): Promise<EscalateOutcome> {
    const outcome = await this.run(job, token);
    this.deps.onOutcome?.(outcome);
    return outcome;
  }

  private async run(job: Job<EscalateJobData>, token: string | undefined): Promise<EscalateOutcome> {
    const { store, directory, clock, limits, logger, announce } = this.deps;
    const { alertId, level } = job.data;
    // not `level`: pino's own key (a binding of that name is dropped; a field would overwrite the log level)
    const log = logger.child({ alertId, escalationLevel: level });
    const alert = await store.get(alertId);
    if (!alert) {
      log.warn('escalation job for an unknown alert');
      return 'alert_missing';
    }
    const ent = await directory.of(alert.enterpriseId);
    const maxLevel = maxEscalationLevel(ent.chain);
    const now = clock.now();
    const due = escalationDue(alert, now, limits, { maxLevel });
    if (!due || due.level !== level) {
      const next = nextEscalation(alert, limits, { maxLevel });
      if (next?.level === level && token !== undefined) {
        // the deadline moved later (a higher grade restarted the clock): sleep until then
        await job.moveToDelayed(next.dueAt, token);
        throw new DelayedError();
      }
      const outcome = next === undefined ? 'not_escalating' : 'level_passed';
      log.info({ state: alert.state, escalations: alert.escalations, outcome }, 'escalation not needed');
      return outcome;
    }
    const target = escalationTarget(ent.chain, due.level);
    if (!target) return 'no_target';
    const applied = await applyCommand(store, { alertId }, { type: 'escalate', at: due.dueAt, level: due.level, to: target.id }, { announce });
    if (applied.outcome === 'escalated') {
      log.info({ to: target.id, authority: target.name, dueAt: due.dueAt, lateMs: now - due.dueAt }, 'alert escalated');
    } else {
      // e.g. acknowledged between the read and the write: INVALID_TRANSITION; nothing to retry
      log.info({ outcome: applied.outcome, error: applied.error }, 'escalation not applied');
    }
    return applied.outcome;
  }
}
