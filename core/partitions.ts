/**
 * The rules' partitions (issue #19 §3): each enterprise's data, gateway
 * transitions and alarms belong to one partition, so that one node evaluates
 * all of an enterprise's rules, in order, and nodes share the enterprises.
 * The feed is one stream per partition (core/feed.ts); every node must count
 * the same partitions (`agreePartitions`).
 */
import type { Redis } from 'ioredis';
import { AppError } from './errors.ts';
import { rulesPartitionsKey } from './redis-keys.ts';

/** The partition of an enterprise: FNV-1a (32 bit) of its id, modulo the count. Stable across processes and versions. */
export function partitionOf(enterpriseId: string, count: number): number {
  if (count <= 1) return 0;
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(enterpriseId, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count;
}

/**
 * Records the partition count for the deployment if none is, and refuses to go on with another: two nodes counting
 * differently would feed one enterprise's data into two partitions. Changing it: docs/scaling.md.
 */
export async function agreePartitions(redis: Redis, redisPrefix: string, count: number): Promise<void> {
  const key = rulesPartitionsKey(redisPrefix);
  await redis.set(key, String(count), 'NX');
  const recorded = Number(await redis.get(key));
  if (recorded !== count) {
    throw new AppError(
      'CONFIG_INVALID',
      `RULES_PARTITIONS is ${count}, but this deployment's rules feed is in ${recorded} partitions (Redis key ${key}): every node must use ${recorded}; to change it, see docs/scaling.md`,
      { details: { path: ['rules', 'partitions'], configured: count, recorded } },
    );
  }
}
