/**
 * The enqueue stage of the notifier's pipeline: one `notify` job per
 * delivery (event × channel), its payload built with the enterprise's
 * authority chain (read once per enterprise and batch), added in one bulk.
 * A job id BullMQ already holds (a replayed event) is dropped by BullMQ.
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { AuthorityDirectory, EnterpriseAuthorities } from './authorities.ts';
import type { NotifyJobData } from './jobs.ts';
import { buildNotification } from './notification.ts';
import type { Delivery } from './route.ts';

export interface EnqueueDeps {
  notifyQueue: Queue<NotifyJobData>;
  notifyJobOpts: JobsOptions;
  directory: AuthorityDirectory;
}

/** Adds the deliveries' notification jobs; returns how many were added (re-adds BullMQ drops included). */
export async function enqueueNotifications(
  deps: EnqueueDeps,
  deliveries: readonly Delivery[],
  /** Sign-for limits of alarms handed to their enterprise (epoch ms): the enterprise's messages carry them. */
  signBy: ReadonlyMap<string, number> = new Map(),
): Promise<number> {
  const ents = new Map<string, EnterpriseAuthorities>();
  const entOf = async (id: string): Promise<EnterpriseAuthorities> => {
    let e = ents.get(id);
    if (!e) ents.set(id, (e = await deps.directory.of(id)));
    return e;
  };
  const jobs: { name: string; data: NotifyJobData; opts: JobsOptions }[] = [];
  for (const d of deliveries) {
    const ent = await entOf(d.alert.enterpriseId);
    const notification = buildNotification(d.jobId, d.event, d.alert, ent);
    const due = d.target ? signBy.get(d.alert.id) : undefined;
    if (due !== undefined) notification.signForBy = new Date(due).toISOString();
    jobs.push({
      name: d.event.type,
      data: { channel: d.channel, notification, ...(d.target && { enterprise: d.target }) },
      opts: { ...deps.notifyJobOpts, jobId: d.jobId },
    });
  }
  if (jobs.length > 0) await deps.notifyQueue.addBulk(jobs);
  return jobs.length;
}
