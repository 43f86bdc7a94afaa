/**
 * The escalation stage of the notifier's pipeline, around `Escalator`
 * (escalation.ts): the `escalate` worker that applies due levels, and the
 * periodic sweep that schedules every firing alert's next level again if its
 * job is missing or failed for good (the level must not be lost).
 */
import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from '../../core/logger.ts';
import type { Alert } from '../state/index.ts';
import type { EscalateOutcome, Escalator } from './escalation.ts';
import { ESCALATE_QUEUE, isFinalFailure, type EscalateJobData } from './jobs.ts';

/** The `escalate` worker, running. */
export function escalationWorker(
  escalator: Escalator,
  opts: { connection: ConnectionOptions; prefix: string; logger: Logger },
): Worker<EscalateJobData, EscalateOutcome> {
  const worker = new Worker<EscalateJobData, EscalateOutcome>(ESCALATE_QUEUE, (job, token) => escalator.process(job, token), {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: 5,
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const fields = { alertId: job.data.alertId, escalationLevel: job.data.level, attempts: job.attemptsMade, err: err.message };
    // a final failure loses this level: nothing schedules it again unless a higher grade moves its deadline
    if (isFinalFailure(job, err)) opts.logger.error(fields, 'escalation job failed');
    else opts.logger.warn(fields, 'escalation attempt failed; will retry');
  });
  return worker;
}

/** One escalation sweep over the active alerts: the firing ones get their next level scheduled (again). Never throws. */
export async function escalationSweep(escalator: Escalator, active: () => Promise<Alert[]>, logger: Logger): Promise<void> {
  try {
    const outcomes: Record<string, number> = {};
    for (const a of await active()) {
      if (a.state !== 'firing') continue;
      const o = await escalator.schedule(a);
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    }
    if ((outcomes.scheduled ?? 0) + (outcomes.replaced ?? 0) > 0) logger.warn({ outcomes }, 'escalation sweep rescheduled missing or failed escalation jobs');
  } catch (err) {
    logger.error({ err }, 'escalation sweep failed; retrying at the next one');
  }
}

/** Runs an escalation sweep every `everyMs`, never two at once; returns the stop (no sweep starts after it). */
export function everyEscalationSweep(escalator: Escalator, active: () => Promise<Alert[]>, logger: Logger, everyMs: number): () => void {
  let sweeping = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (sweeping || stopped) return;
    sweeping = true;
    void escalationSweep(escalator, active, logger).finally(() => {
      sweeping = false;
    });
  }, everyMs);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
