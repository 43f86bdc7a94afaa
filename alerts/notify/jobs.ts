/**
 * The two BullMQ queues after detection, their job data and job options.
 *
 * - `notify`: one job per notified event × channel, id
 *   `notificationJobId(event, channel)`.
 * - `escalate`: one delayed job per alert and level, id
 *   `escalationJobId(alert, level)`, due at the level's deadline.
 *
 * Finished jobs are kept (completed 7 days, failed 30 days) because a kept
 * job is what makes a re-enqueue with the same id a no-op: the dispatcher
 * replaying events after a crash must find them. Keep the dispatcher's
 * `staleAfterMs` well below the completed retention.
 */
import { UnrecoverableError, type Job, type JobsOptions } from 'bullmq';
import type { Notification } from './notification.ts';

export const NOTIFY_QUEUE = 'notify';
export const ESCALATE_QUEUE = 'escalate';

/** BullMQ key prefix: `${redisPrefix}bull`, so several platforms (or tests) can share one Redis. */

/** Where an enterprise-channel job goes (`enterprise-route.ts`); the channel's secrets are read from the settings when it is sent. */
export interface EnterpriseTarget {
  kind: 'sms' | 'dingtalk' | 'wecom';
  enterpriseId: string;
  /** SMS recipients, and the phones the robots @-mention. */
  phones: string[];
}

export interface NotifyJobData {
  /** Name of the channel to send to. */
  channel: string;
  notification: Notification;
  /** For an enterprise channel (`enterprise:<kind>`): its target. */
  enterprise?: EnterpriseTarget | undefined;
}

export interface EscalateJobData {
  alertId: string;
  level: number;
  /** Deadline of the level when the job was scheduled (ms); the processor re-computes it from the alert. */
  dueAt: number;
}

const DAY_S = 24 * 3600;
export const COMPLETED_RETENTION_S = 7 * DAY_S;
export const FAILED_RETENTION_S = 30 * DAY_S;

export interface RetryOptions {
  /** Tries per job. Default 8. */
  attempts?: number;
  /** First retry delay, ms; doubles each time (BullMQ 'exponential'). Default 5,000: about 10 min over 8 tries. */
  backoffMs?: number;
}

/** Options of every notify and escalate job (besides `jobId` and `delay`). */
export function jobOptions(opts: RetryOptions = {}): JobsOptions {
  return {
    attempts: opts.attempts ?? 8,
    backoff: { type: 'exponential', delay: opts.backoffMs ?? 5000 },
    removeOnComplete: { age: COMPLETED_RETENTION_S },
    removeOnFail: { age: FAILED_RETENTION_S },
  };
}

/** Whether a failed job is failed for good (unrecoverable, or out of attempts) rather than waiting for a retry. */
export const isFinalFailure = (job: Job, err: Error): boolean =>
  err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
