/**
 * The outbox dispatcher: `alert_events` is the outbox. It reads the events
 * after its cursor in seq order, a batch at a time, enqueues their follow-up
 * jobs (one notification per notified event × channel; the alert's next
 * escalation), and only then advances the cursor in Redis
 * (`${redisPrefix}notify:cursor`).
 *
 * - Wakes on `alertEventsChannel(redisPrefix)` (messages: the highest new
 *   seq) and polls every `pollMs` as a safety net: a lost announcement
 *   delays, never loses.
 * - A crash between the enqueue and the cursor write replays the batch; the
 *   deterministic job ids (`notificationJobId`, `escalationJobId`) make the
 *   re-enqueue a no-op in BullMQ, so nothing is sent twice (as long as the
 *   finished jobs are kept, see `jobs.ts`).
 * - The cursor only moves forward (compare-and-set in Lua), so two
 *   dispatchers (two rules processes) are safe: the second only duplicates
 *   enqueues, which BullMQ drops.
 * - Events recorded more than `staleAfterMs` ago are not notified (a lost
 *   cursor or a first start on an old database would otherwise re-send
 *   history, past the dedupe window); their alerts still get escalation jobs.
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/db.ts';
import type { Logger } from '../../core/logger.ts';
import { alertEventsChannel, notifyCursorKey } from '../../core/redis-keys.ts';
import { notificationJobId, type Alert } from '../state/index.ts';
import type { AuthorityDirectory, EnterpriseAuthorities } from './authorities.ts';
import type { NotificationChannel } from './channels.ts';
import type { Escalator } from './escalation.ts';
import type { NotifyJobData } from './jobs.ts';
import { buildNotification } from './notification.ts';
import { readAlerts, readEventsAfter, type OutboxEvent } from './outbox.ts';
import { notifyDecision, schedulesEscalation } from './policy.ts';

/** Sets the key to ARGV[1] only if that is greater than its current value; returns the value after. */
const ADVANCE = `local c = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = tonumber(ARGV[1])
if n > c then redis.call('SET', KEYS[1], ARGV[1]) return n end
return c`;

export interface DispatcherOptions {
  /** Events read at once. Default 500. */
  batchSize?: number;
  /** Safety poll interval, ms. Default 3,000. */
  pollMs?: number;
  /** Events recorded longer ago than this are not notified, ms. Default 24 h. */
  staleAfterMs?: number;
}

export interface DispatcherDeps {
  db: Db;
  /** For the cursor. */
  redis: Redis;
  /** A connection of its own, put in subscriber mode. */
  subscriber: Redis;
  redisPrefix: string;
  notifyQueue: Queue<NotifyJobData>;
  notifyJobOpts: JobsOptions;
  channels: readonly NotificationChannel[];
  escalator: Escalator;
  directory: AuthorityDirectory;
  clock: Clock;
  logger: Logger;
  /** Told the number of notification jobs enqueued per batch (metrics). */
  onEnqueued?: ((jobs: number) => void) | undefined;
  /** Off-plan inspection tasks (inspections/tasks/scheduler.ts): told each alert that fired or rose in grade. */
  tasks?: { consider(alert: Alert): Promise<boolean> } | undefined;
}

export class Dispatcher {
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly staleAfterMs: number;
  private readonly key: string;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Highest seq dispatched by this process (for the wake-up filter and tests). */
  private cursor = 0;

  constructor(
    private readonly deps: DispatcherDeps,
    opts: DispatcherOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? 500;
    this.pollMs = opts.pollMs ?? 3000;
    this.staleAfterMs = opts.staleAfterMs ?? 24 * 3600_000;
    this.key = notifyCursorKey(deps.redisPrefix);
  }

  get position(): number {
    return this.cursor;
  }

  async start(): Promise<void> {
    const { subscriber, logger } = this.deps;
    const channel = alertEventsChannel(this.deps.redisPrefix);
    subscriber.on('message', (ch: string, msg: string) => {
      if (ch !== channel) return;
      const seq = Number(msg);
      if (!(seq <= this.cursor)) this.wake();
    });
    await subscriber.subscribe(channel);
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref();
    logger.info({ channel, pollMs: this.pollMs, batchSize: this.batchSize }, 'notification dispatcher started');
    this.wake();
  }

  /** Stops waking and waits for the batch in progress. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.loop;
  }

  /** Runs a drain now, or once more after the one in progress. */
  wake(): void {
    if (this.stopped) return;
    this.again = true;
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
      // a wake-up that came after the last check of `again`
      if (this.again) this.wake();
    });
  }

  private async run(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      try {
        await this.drain();
      } catch (err) {
        // the next wake-up or poll retries from the stored cursor
        this.deps.logger.error({ err }, 'notification dispatch failed; retrying at the next poll');
        this.again = false;
        return;
      }
    }
  }

  /** Dispatches every event after the stored cursor, batch by batch. */
  async drain(): Promise<void> {
    const { redis, db } = this.deps;
    let cursor = Number((await redis.get(this.key)) ?? 0);
    for (;;) {
      if (this.stopped) return;
      const events = await readEventsAfter(db, cursor, this.batchSize);
      if (events.length === 0) break;
      await this.dispatch(events);
      const last = (events.at(-1) as OutboxEvent).seq;
      cursor = Number(await redis.eval(ADVANCE, 1, this.key, String(last)));
      if (events.length < this.batchSize) break;
    }
    this.cursor = Math.max(this.cursor, cursor);
  }

  /** Enqueues the follow-up jobs of one batch of events. */
  private async dispatch(events: readonly OutboxEvent[]): Promise<void> {
    const { notifyQueue, notifyJobOpts, channels, escalator, directory, clock, logger } = this.deps;
    const alerts = await readAlerts(this.deps.db, [...new Set(events.map((e) => e.alertId))]);
    const ents = new Map<string, EnterpriseAuthorities>();
    const entOf = async (id: string): Promise<EnterpriseAuthorities> => {
      let e = ents.get(id);
      if (!e) ents.set(id, (e = await directory.of(id)));
      return e;
    };

    const jobs: { name: string; data: NotifyJobData; opts: JobsOptions }[] = [];
    const toSchedule = new Map<string, Alert>();
    let stale = 0;
    for (const event of events) {
      const alert = alerts.get(event.alertId);
      if (!alert) {
        logger.error({ seq: event.seq, alertId: event.alertId }, 'alert event without its alert; skipped');
        continue;
      }
      if (schedulesEscalation(event.type)) toSchedule.set(alert.id, alert);
      const decision = notifyDecision(event);
      if (!decision.notify) continue;
      if (clock.now() - event.recordedAt > this.staleAfterMs) {
        stale++;
        continue;
      }
      const ent = await entOf(alert.enterpriseId);
      for (const ch of channels) {
        const jobId = notificationJobId(event, ch.name);
        jobs.push({
          name: event.type,
          data: { channel: ch.name, notification: buildNotification(jobId, event, alert, ent) },
          opts: { ...notifyJobOpts, jobId },
        });
      }
    }
    if (jobs.length > 0) await notifyQueue.addBulk(jobs);
    this.deps.onEnqueued?.(jobs.length);
    if (stale > 0) logger.warn({ events: stale, staleAfterMs: this.staleAfterMs }, 'old alert events not notified');
    for (const alert of toSchedule.values()) {
      if (this.deps.tasks && (await this.deps.tasks.consider(alert))) logger.debug({ alertId: alert.id }, 'inspection task job added');
      const outcome = await escalator.schedule(alert);
      if (outcome !== 'none' && outcome !== 'unchanged') logger.debug({ alertId: alert.id, outcome }, 'escalation scheduled');
    }
    logger.debug({ from: events[0]?.seq, to: events.at(-1)?.seq, jobs: jobs.length }, 'alert events dispatched');
  }
}
