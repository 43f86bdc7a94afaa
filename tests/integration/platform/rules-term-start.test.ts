/**
 * A rules term that is slow to start (issue #19 §3): its worker loads the
 * ledger and replays the partition's feed before it runs, which on a large
 * province can take longer than the lease. The node must keep renewing the
 * lease meanwhile (platform/rules-part.ts renews every held lease on its own
 * timer, whatever the rounds are doing), or another node would take the
 * partition while this one starts it: two holders, the first fenced off at its
 * first write, the term started for nothing.
 *
 * Here the start is held up by PostgreSQL: the ledger's table is locked by
 * another transaction for several leases. Shown: the lease stays the node's
 * the whole time (another node trying for it is refused), the term then
 * starts with the token it was given, and no term is ended or begun again.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import { rulesLeaseKey } from '../../../core/redis-keys.ts';
import { PartitionLease } from '../../../alerts/worker/lease.ts';
import type { Platform } from '../../../platform/platform.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startPostgres, type TestPostgres } from '../../../testkit/postgres.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let pgSvc: TestPostgres;

beforeAll(async () => {
  [svc, pgSvc] = await Promise.all([startTestServices('term-start'), startPostgres()]);
}, 60_000);
afterAll(async () => {
  await pgSvc?.stop();
  await svc?.stop();
});

describe('a rules term slow to start', () => {
  const LEASE_MS = 600;
  const PREFIX = 'ts:';
  const rulesNode = (name: string) =>
    startTestPlatform(svc, name, {
      databaseUrl: pgSvc.url,
      redisPrefix: PREFIX,
      parts: ['rules'],
      rules: { partitions: 2, leaseMs: LEASE_MS },
      mqtt: { host: '127.0.0.1', port: 0, brokerId: name },
    });

  it('keeps its lease renewed through a start longer than several leases; no other node gets it, and the term starts with its token', async () => {
    // the schema in place first (a node started and stopped cleanly: it gives its leases back)
    await (await rulesNode('tsfirst')).platform.stop();

    const redis = new Redis(svc.redis.url);
    const locker = new pg.Client({ connectionString: pgSvc.url });
    await locker.connect();
    const db = await openDb({ databaseUrl: pgSvc.url, pgliteDir: 'unused', logger: createLogger({ level: 'silent' }) });
    let starting: Promise<{ platform: Platform }> | undefined;
    try {
      // the ledger locked: the first term's start waits on it
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE sensors IN ACCESS EXCLUSIVE MODE');
      starting = rulesNode('tsnode');
      starting.catch(() => undefined);

      const holderOf = async () => {
        for (const p of [0, 1]) {
          const holder = await redis.get(rulesLeaseKey(PREFIX, p));
          if (holder?.startsWith('tsnode/')) return { p, holder };
        }
        return undefined;
      };
      await expect.poll(holderOf, { timeout: 10_000, interval: 20 }).toBeDefined();
      const { p, holder } = (await holderOf())!;
      const tokenOf = async () =>
        Number((await db.query<{ token: string }>('SELECT token FROM rule_partition_owners WHERE partition = $1', [p])).rows[0]?.token);
      const token = await tokenOf();

      // five leases long, the term is still starting; all that time the lease is the node's, and another node
      // trying for it is refused (what is measured here is time itself: the lease would lapse after one)
      const contender = new PartitionLease({ redis, db, redisPrefix: PREFIX, leaseMs: LEASE_MS }, p, 'other-node/1');
      const since = Date.now();
      let tries = 0;
      while (Date.now() - since < 5 * LEASE_MS) {
        expect(await contender.tryAcquire()).toBe(false);
        expect(await redis.get(rulesLeaseKey(PREFIX, p))).toBe(holder);
        tries++;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(tries).toBeGreaterThan(10);
      const { rows: waiting } = await locker.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND relation = 'sensors'::regclass");
      expect(Number(waiting[0]!.n)).toBeGreaterThan(0); // still held up: the start has not got past the ledger

      // the ledger free again: the node starts that term with the token it took, then the other partition's
      await locker.query('COMMIT');
      const { platform } = await starting;
      starting = undefined;
      try {
        await expect.poll(() => platform.metrics.rulesTerms.get().then((m) => m.values[0]?.value), { timeout: 10_000 }).toBe(2);
        expect(await tokenOf()).toBe(token);
        expect(await redis.get(rulesLeaseKey(PREFIX, p))).toBe(holder);
        expect((await platform.metrics.rulesLeaseHeld.get()).values[0]?.value).toBe(2);
      } finally {
        await platform.stop();
      }
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      if (starting) await (await starting.catch(() => undefined))?.platform.stop();
      await db.close();
      redis.disconnect();
    }
  });
});
