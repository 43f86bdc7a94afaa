/**
 * The send stage of the notifier's pipeline: the `notify` worker hands each
 * job to its channel; a throw has BullMQ retry it with exponential backoff
 * (`jobs.ts`), an `UnrecoverableError` fails it at once. Each outcome is
 * counted and logged (sent; attempt failed, will retry; failed for good).
 */
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from '../../core/logger.ts';
import type { NotificationChannel } from './channels.ts';
import { isFinalFailure, NOTIFY_QUEUE, type NotifyJobData } from './jobs.ts';
import type { NotifierMetrics } from './metrics.ts';

export interface SendStageDeps {
  /** By name (names are unique). */
  channels: ReadonlyMap<string, NotificationChannel>;
  connection: ConnectionOptions;
  prefix: string;
  /** Jobs sent at once. */
  concurrency: number;
  logger: Logger;
  sent: NotifierMetrics['sent'];
}

/** The `notify` worker, running. */
export function sendWorker(deps: SendStageDeps): Worker<NotifyJobData> {
  const { channels, logger, sent } = deps;
  async function sendJob(job: Job<NotifyJobData>): Promise<void> {
    const ch = channels.get(job.data.channel);
    if (!ch) throw new UnrecoverableError(`no notification channel named '${job.data.channel}' (configuration changed?)`);
    await ch.send(job.data.notification);
  }
  const worker = new Worker<NotifyJobData>(NOTIFY_QUEUE, sendJob, { connection: deps.connection, prefix: deps.prefix, concurrency: deps.concurrency });
  worker.on('completed', (job) => {
    const n = job.data.notification;
    sent.inc({ channel: job.data.channel, outcome: 'sent' });
    logger.info({ alertId: n.alert.id, channel: job.data.channel, event: n.event.type, seq: n.event.seq, attempts: job.attemptsMade }, 'notification sent');
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const n = job.data.notification;
    const final = isFinalFailure(job, err);
    sent.inc({ channel: job.data.channel, outcome: final ? 'failed' : 'retrying' });
    const fields = { alertId: n.alert.id, channel: job.data.channel, event: n.event.type, seq: n.event.seq, attempts: job.attemptsMade, err: err.message };
    if (final) logger.error(fields, 'notification failed');
    else logger.warn(fields, 'notification attempt failed; will retry');
  });
  return worker;
}
