/**
 * Announcing new alert events across processes. `alert_events` in
 * PostgreSQL is the record and the outbox; this Redis pub/sub message only
 * says "events up to seq N exist", so the live stream (SSE) and the
 * notification dispatcher read them from the table at once instead of
 * waiting for their next safety poll. A lost announcement delays, never loses.
 */
import type { Redis } from 'ioredis';
import { alertEventsChannel } from '../core/redis-keys.ts';

/** The pub/sub channel; its messages are the highest new `alert_events.seq`, as decimal text. */

export type Announce = (seqs: readonly number[]) => void;

/** An `Announce` publishing on Redis; failures are only logged by the caller's error handler (the safety polls catch up). */
export function redisAnnouncer(redis: Redis, redisPrefix: string, onError: (err: unknown) => void): Announce {
  const channel = alertEventsChannel(redisPrefix);
  return (seqs) => {
    if (seqs.length === 0) return;
    redis.publish(channel, String(Math.max(...seqs))).catch(onError);
  };
}
