/**
 * The outbox dispatcher, first stage of the notifier's pipeline:
 * `alert_events` is the outbox. It reads the events after its cursor in seq
 * order, a batch at a time, has the next stages (`pipeline.ts`) enqueue their
 * follow-up jobs (one notification per notified event × channel; the alert's
 * next escalation), and only then advances the cursor in Redis
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
 *   history, past the dedupe window); their alerts still get escalation jobs
 *   (`route.ts`).
 */
import type { Redis } from 'ioredis';
import type { ChannelHub } from '../../core/connections.ts';
import type { Db } from '../../core/db/db.ts';
import type { Logger } from '../../core/logger.ts';
import { alertEventsChannel, notifyCursorKey } from '../../core/redis-keys.ts';
import { readEventsAfter, type OutboxEvent } from './outbox.ts';

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
  /** For the cursor (the shared command connection). */
  redis: Redis;
  /** The process's subscriber: the dispatcher listens on `alertEventsChannel(redisPrefix)`. */
  channels: ChannelHub;
  redisPrefix: string;
  logger: Logger;
  /** The next stages (pipeline.ts): enqueues the follow-up jobs of one batch of events; the cursor moves only after it resolves. */
  handle(events: readonly OutboxEvent[]): Promise<void>;
}

export class Dispatcher {
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly key: string;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
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
    this.key = notifyCursorKey(deps.redisPrefix);
  }

  get position(): number {
    return this.cursor;
  }

  async start(): Promise<void> {
    const { channels, logger } = this.deps;
    const channel = alertEventsChannel(this.deps.redisPrefix);
    this.unsubscribe = await channels.subscribe(channel, (msg: string) => {
      const seq = Number(msg);
      if (!(seq <= this.cursor)) this.wake();
    });
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref();
    logger.info({ channel, pollMs: this.pollMs, batchSize: this.batchSize }, 'notification dispatcher started');
    this.wake();
  }

  /** Stops waking (leaves the channel) and waits for the batch in progress. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.();
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
      await this.deps.handle(events);
      const last = (events.at(-1) as OutboxEvent).seq;
      cursor = Number(await redis.eval(ADVANCE, 1, this.key, String(last)));
      if (events.length < this.batchSize) break;
    }
    this.cursor = Math.max(this.cursor, cursor);
  }
}
