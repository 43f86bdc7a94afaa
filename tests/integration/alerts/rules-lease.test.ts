/**
 * The rules' lease and its fencing token (alerts/worker/lease.ts, issue #19 §3)
 * on real Redis and PostgreSQL: one holder at a time; a holder that was paused
 * past its lease and resumes after another took over cannot write an alert,
 * save a snapshot or trim the feed; the token only grows, whatever Redis
 * forgets.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import { feedKey, snapshotKey } from '../../../core/redis-keys.ts';
import { transition } from '../../../alerts/state/index.ts';
import { AlertStore } from '../../../alerts/store.ts';
import type { Finding } from '../../../alerts/types.ts';
import { FencedError, PartitionLease } from '../../../alerts/worker/lease.ts';
import { FeedWriter } from '../../../core/feed.ts';
import { agreePartitions, partitionOf } from '../../../core/partitions.ts';
import { SnapshotFencedError, SnapshotStore } from '../../../alerts/worker/snapshot-store.ts';
import { startPostgres, type TestPostgres } from '../../../testkit/postgres.ts';
import { startTestRedis } from '../../../testkit/services.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let pg: TestPostgres;
let redisSvc: Awaited<ReturnType<typeof startTestRedis>>;
let redis: Redis;
let db: Db;
const PREFIX = 'lease:';

beforeAll(async () => {
  [pg, redisSvc] = await Promise.all([startPostgres(), startTestRedis(mkdtempSync(join(tmpdir(), 'nss-lease-')))]);
  redis = new Redis(redisSvc.url);
  db = await openDb({ databaseUrl: pg.url, pgliteDir: 'unused', logger: createLogger({ level: 'silent' }) });
}, 60_000);
afterAll(async () => {
  await db?.close();
  redis?.disconnect();
  await redisSvc?.stop();
  await pg?.stop();
});

const finding = (subject: string): Finding => ({
  ruleId: 'gas.combustible.l1',
  ruleVersion: 1,
  enterpriseId: 'E1',
  subject,
  condition: 'raise',
  severity: 'orange',
  at: Date.UTC(2026, 11, 5, 2, 0, 0),
  message: { zh: '可燃气体一级报警', en: 'Combustible gas level-1 alarm' },
  evidence: [],
});

/** Opens an alert through `store`, as the rules' finding writer does. */
async function raise(store: AlertStore, subject: string): Promise<void> {
  const fp = `gas.combustible.l1|E1|${subject}`;
  const before = await store.current(fp);
  await store.save(before, transition(before, { type: 'finding', finding: finding(subject) }, { forMs: 0, newId: () => `a-${subject}` }));
}

const alertCount = async () => Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM alerts WHERE enterprise_id = 'E1'")).rows[0]!.n);

describe('the rules lease', () => {
  const LEASE_MS = 400;
  let holders = 0;
  const lease = (node: string, partition = 0) => new PartitionLease({ redis, db, redisPrefix: PREFIX, leaseMs: LEASE_MS }, partition, `${node}/${++holders}`);

  it('is held by one node at a time; a clean release lets the next take it at once, with the next token', async () => {
    const a = lease('node-a');
    const b = lease('node-b');
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    expect(await a.renew()).toBe(true);
    const first = a.token!;
    await a.release();
    expect(await b.tryAcquire()).toBe(true);
    expect(b.token).toBe(first + 1);
    expect(await a.renew()).toBe(false);
    await b.release();
  });

  it('a holder paused past its lease cannot write an alert, save a snapshot or trim the feed once another took over', async () => {
    const old = lease('node-old');
    expect(await old.tryAcquire()).toBe(true);
    const oldStore = new AlertStore(db, old.fenceOfTerm());
    const oldSnapshots = new SnapshotStore(redis, PREFIX, { key: old.leaseKey, holder: old.holder });
    await raise(oldStore, 'GT-1'); // while it holds the lease, it writes
    await redis.xadd(feedKey(PREFIX), '1-1', 'm', 'x');
    await redis.xadd(feedKey(PREFIX), '2-1', 'm', 'y');
    expect(await oldSnapshots.save({ v: 1, lastId: '0-0', catalogueVersion: 1, savedAt: 1, engine: { v: 1 } as never })).toBe(2);

    // it stalls; its lease lapses (no renewal) and another node takes over
    await expect.poll(async () => redis.exists(old.leaseKey), { timeout: 5000, interval: 50 }).toBe(0);
    const next = lease('node-new');
    expect(await next.tryAcquire()).toBe(true);
    expect(next.token).toBeGreaterThan(old.token!);

    // it resumes, not knowing yet: every write is refused
    await expect(raise(oldStore, 'GT-2')).rejects.toBeInstanceOf(FencedError);
    await expect(oldSnapshots.save({ v: 1, lastId: '2-1', catalogueVersion: 1, savedAt: 2, engine: { v: 1 } as never })).rejects.toBeInstanceOf(
      SnapshotFencedError,
    );
    expect(await redis.xlen(feedKey(PREFIX))).toBe(2); // the new holder still has those entries to replay
    expect(JSON.parse((await redis.get(snapshotKey(PREFIX)))!)).toMatchObject({ lastId: '0-0' });
    expect(await old.renew()).toBe(false);

    // the new holder writes
    await raise(new AlertStore(db, next.fenceOfTerm()), 'GT-2');
    expect(await alertCount()).toBe(2);
    await next.release();
  });

  it('the token only grows, even when Redis forgets the lease (a failover), because PostgreSQL keeps it', async () => {
    const a = lease('node-a', 3);
    expect(await a.tryAcquire()).toBe(true);
    const t = a.token!;
    await redis.del(a.leaseKey); // as a Redis failover that lost the key would
    const b = lease('node-b', 3);
    expect(await b.tryAcquire()).toBe(true);
    expect(b.token).toBe(t + 1);
    await expect(a.fenceOfTerm()(db)).rejects.toBeInstanceOf(FencedError);
    await expect(b.fenceOfTerm()(db)).resolves.toBeUndefined();
    await b.release();
  });
});

describe('the partitioned feed', () => {
  it('every entry goes to its enterprise’s partition, status transitions too; partition 0 keeps the unpartitioned key', async () => {
    const prefix = 'parts:';
    const writer = new FeedWriter(redis, prefix, { partitions: 4 });
    const enterprises = ['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'E8'];
    for (const e of enterprises) {
      await writer.data(e, `G-${e}`, [{ type: 'reading', point: { id: 'GT-101' }, value: 1, quality: 'good', ts: 1 }]);
      await writer.status(e, `G-${e}`, 'online', 'connected', 2);
    }
    for (let p = 0; p < 4; p++) {
      const entries = await redis.xrange(feedKey(prefix, p), '-', '+');
      const of = entries.map(([, fields]) => (JSON.parse(fields[1]!) as { e: string }).e);
      const expected = enterprises.filter((e) => partitionOf(e, 4) === p).flatMap((e) => [e, e]);
      expect(of).toEqual(expected);
    }
    expect(feedKey(prefix, 0)).toBe('parts:rules:feed');
  });

  it('every node must count the partitions alike: the first records it, another count is refused naming the setting', async () => {
    await agreePartitions(redis, 'agree:', 4);
    await agreePartitions(redis, 'agree:', 4);
    await expect(agreePartitions(redis, 'agree:', 8)).rejects.toThrow(/RULES_PARTITIONS is 8, but this deployment's rules feed is in 4 partitions/);
  });
});
