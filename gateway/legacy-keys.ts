/**
 * Before issue #15 the broker kept its sessions in Redis without the
 * platform's prefix (`clients`, `client:G1`, `outgoing:G1`, `packet:…`,
 * `will`, `retained`, …). Now they live under `{REDIS_PREFIX}mqtt:`. So that an
 * upgrade loses no session and no queued command, a broker that finds its own
 * namespace empty and keys of the old layout present moves them into it
 * (RENAME keeps values and TTLs), once, and logs what it moved. Where several
 * platforms shared one Redis before, their old keys were already mixed: the
 * first to start takes them.
 */
import type { Redis } from 'ioredis';

/** Key names aedes-persistence-redis 11 writes (asyncPersistence.js), top-level. */
const SINGLE_KEYS = ['clients', 'will', 'retained'];
const PATTERNS = ['client:*', 'will:*', 'outgoing:*', 'outgoing-id:*', 'incoming:*', 'packet:*'];

/**
 * Moves the old layout's keys under `prefix` if `prefix` holds no broker key yet. `redis` must be a connection
 * without a key prefix. Returns the number of keys moved.
 */
export async function moveLegacyBrokerKeys(redis: Redis, prefix: string): Promise<number> {
  if ((await redis.exists(...SINGLE_KEYS.map((k) => `${prefix}${k}`))) > 0) return 0;
  const legacy: string[] = [];
  for (const k of SINGLE_KEYS) if ((await redis.exists(k)) > 0) legacy.push(k);
  for (const match of PATTERNS) {
    for await (const batch of redis.scanStream({ match, count: 1000 }) as AsyncIterable<string[]>) legacy.push(...batch);
  }
  // keys already under some prefix match the patterns only if that prefix starts with one of them: never ours
  const moving = legacy.filter((k) => !k.startsWith(prefix));
  for (const k of moving) await redis.renamenx(k, `${prefix}${k}`);
  return moving.length;
}
