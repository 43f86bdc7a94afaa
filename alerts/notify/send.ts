/**
 * The send stage of the notifier's pipeline: the `notify` worker hands each
 * job to its channel; a throw has BullMQ retry it with exponential backoff
 * (`jobs.ts`), an `UnrecoverableError` fails it at once. Each outcome is
 * counted and logged (sent; attempt failed, will retry; failed for good).
 */
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from '../../core/logger.ts';
import type { Queryable } from '../../core/db/db.ts';
import type { NotificationChannel } from './channels.ts';
import { recordAttempt } from './deliveries.ts';
import type { EnterpriseChannels } from './enterprise-channels.ts';
import { isFinalFailure, NOTIFY_QUEUE, type EnterpriseTarget, type NotifyJobData } from './jobs.ts';
import { providerFailureOf } from './provider-call.ts';
import type { NotifierMetrics } from './metrics.ts';

/** The enterprise channels (`enterprise:<kind>` jobs) and where their outcomes are recorded. */
export interface EnterpriseSendDeps {
  channels: Pick<EnterpriseChannels, 'channelFor'>;
  db: Queryable;
  now: () => number;
}

export interface SendStageDeps {
  /** By name (names are unique). */
  channels: ReadonlyMap<string, NotificationChannel>;
  /** Enterprise channels; without them an enterprise job fails at once. */
  enterprise?: EnterpriseSendDeps | undefined;
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
    if (job.data.enterprise) return sendEnterprise(job, job.data.enterprise);
    const ch = channels.get(job.data.channel);
    if (!ch) throw new UnrecoverableError(`no notification channel named '${job.data.channel}' (configuration changed?)`);
    await ch.send(job.data.notification);
  }
  /** Sends to an enterprise channel and records the attempt's outcome on the alarm (`alert_deliveries`) before BullMQ acts on it. */
  async function sendEnterprise(job: Job<NotifyJobData>, target: EnterpriseTarget): Promise<void> {
    const ent = deps.enterprise;
    if (!ent) throw new UnrecoverableError(`no enterprise channels in this process ('${job.data.channel}')`);
    const attempts = job.attemptsMade + 1;
    try {
      const ch = await ent.channels.channelFor(target);
      await ch.send(job.data.notification);
    } catch (err) {
      const failure = providerFailureOf(err);
      const final = err instanceof UnrecoverableError || attempts >= (job.opts.attempts ?? 1);
      await recordAttempt(ent.db, job.id as string, {
        status: final ? 'failed' : 'retrying',
        attempts,
        at: ent.now(),
        providerCode: failure?.providerCode,
        providerMessage: failure?.providerMessage ?? (err instanceof Error ? err.message : String(err)),
      }).catch((e: unknown) => logger.error({ err: e, jobId: job.id }, 'delivery outcome not recorded'));
      throw err;
    }
    await recordAttempt(ent.db, job.id as string, { status: 'delivered', attempts, at: ent.now() }).catch((e: unknown) =>
      logger.error({ err: e, jobId: job.id }, 'delivery outcome not recorded'),
    );
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
    const fields = {
      alertId: n.alert.id,
      channel: job.data.channel,
      event: n.event.type,
      seq: n.event.seq,
      attempts: job.attemptsMade,
      err: err.message,
      providerCode: providerFailureOf(err)?.providerCode,
    };
    if (final) logger.error(fields, 'notification failed');
    else logger.warn(fields, 'notification attempt failed; will retry');
  });
  return worker;
}
