/**
 * Revocation that cuts live connections, on every broker process.
 *
 * Disabling a gateway or rotating its secret changes the ledger; a broker
 * checks credentials only at CONNECT, so a connection opened before the change
 * would go on publishing. The process that made the change announces it on
 * Redis (`{prefix}gateway-revoked`) and waits until every broker process
 * subscribed there has applied it (closed the gateway's connections and
 * refused anything they still send) and said so, for at most `timeoutMs`.
 * The API answers after that, so nothing a gateway publishes after the call
 * returns is stored.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { revocationAckKey, revocationChannel } from '../core/redis-keys.ts';

interface RevocationMessage {
  gatewayId: string;
  /** The list each broker pushes its id to once it has applied the revocation. */
  ackKey: string;
}

export interface RevocationOutcome {
  /** Broker processes that received the announcement. */
  brokers: number;
  /** Those that confirmed in time. */
  applied: string[];
}

/** Announces a revocation and waits for every broker process to apply it (bounded by `timeoutMs`, default 1 s). */
export async function announceRevocation(redis: Redis, redisPrefix: string, gatewayId: string, timeoutMs = 1000): Promise<RevocationOutcome> {
  const ackKey = revocationAckKey(redisPrefix, randomUUID());
  const message: RevocationMessage = { gatewayId, ackKey };
  // the waiting connection first: BLPOP blocks it, and the acknowledgements may come before the PUBLISH returns
  const waiter = redis.duplicate({ lazyConnect: false, maxRetriesPerRequest: 1 });
  waiter.on('error', () => undefined);
  const applied: string[] = [];
  try {
    const brokers = await redis.publish(revocationChannel(redisPrefix), JSON.stringify(message));
    const deadline = Date.now() + timeoutMs;
    while (applied.length < brokers) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const r = await waiter.blpop(ackKey, Math.max(0.01, left / 1000));
      if (!r) break;
      applied.push(r[1]);
    }
    return { brokers, applied };
  } finally {
    waiter.disconnect();
    await redis.del(ackKey).catch(() => undefined);
  }
}

/** Parses an announcement; undefined for anything else on the channel. */
export function parseRevocation(message: string): RevocationMessage | undefined {
  try {
    const m = JSON.parse(message) as Partial<RevocationMessage>;
    return typeof m.gatewayId === 'string' && typeof m.ackKey === 'string' ? { gatewayId: m.gatewayId, ackKey: m.ackKey } : undefined;
  } catch {
    return undefined;
  }
}

/** A broker process's side: applies each announced revocation, then confirms it under `brokerId`. */
export async function acknowledgeRevocation(redis: Redis, message: RevocationMessage, brokerId: string): Promise<void> {
  await redis.multi().rpush(message.ackKey, brokerId).pexpire(message.ackKey, 10_000).exec();
}
