/**
 * Redis behind Sentinel (issue #19 §4), on a real master, replica and Debian redis-sentinel: the platform's
 * connections (command, channels, a dedicated one, BullMQ's) reach the master through Sentinel; a rules-feed
 * append resolves only once a replica has it (WAIT), and rejects when none confirms in time or when its
 * connection dropped before the confirmation; and across a `SENTINEL FAILOVER` in the middle of a stream of
 * appends, every acknowledged entry is on the new master and the appends after it go there.
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openRedisConnections, type RedisConnections } from '../../../core/connections.ts';
import { decodeEntry, feedKey, FeedReplicationError, FeedWriter, type FeedItem } from '../../../core/feed.ts';
import { createLogger } from '../../../core/logger.ts';
import { startSentinelGroup, type SentinelGroup } from '../../../testkit/sentinel.ts';

const PREFIX = 'nss-sentinel-test:';
let group: SentinelGroup;
let conns: RedisConnections;
const plain: Redis[] = [];
/** A plain connection to one server (not through Sentinel), to look at what it holds. */
const server = (port: number): Redis => {
  const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 }).on('error', () => undefined);
  plain.push(r);
  return r;
};
const item = (id: string): FeedItem[] => [{ type: 'reading', point: { id }, value: 1, quality: 'good', ts: 1 }];
/** The point ids of the data entries in the feed on the server at `port`. */
const feedIds = async (port: number): Promise<Set<string>> => {
  const entries = await server(port).xrange(feedKey(PREFIX), '-', '+');
  const ids = new Set<string>();
  for (const [, fields] of entries) {
    const e = decodeEntry(fields[1] ?? '');
    if (e?.k === 'd') for (const it of e.i) ids.add(it[1]);
  }
  return ids;
};
const feedConnection = (role: string) => conns.dedicated(role, { maxRetriesPerRequest: 2, enableAutoPipelining: true });

beforeAll(async () => {
  group = await startSentinelGroup('redis-sentinel');
  conns = openRedisConnections(group.target, createLogger({ level: 'silent' }));
}, 30_000);

afterAll(async () => {
  conns?.close();
  for (const r of plain) r.disconnect();
  await group?.stop();
});

describe('Redis through Sentinel', () => {
  it('the shared, subscriber, dedicated and BullMQ connections reach the master the Sentinels name', async () => {
    const masterPort = await group.masterPort();
    expect(masterPort).toBe(group.servers[0]!.port);
    await conns.command.set(`${PREFIX}k`, 'v');
    expect(await server(masterPort).get(`${PREFIX}k`)).toBe('v');

    const got: string[] = [];
    await conns.channels.subscribe(`${PREFIX}ch`, (m) => got.push(m));
    await conns.command.publish(`${PREFIX}ch`, 'hello');
    await vi.waitFor(() => expect(got).toEqual(['hello']));

    const queue = new Queue<{ n: number }>('sentinel-test', { connection: conns.command, prefix: `${PREFIX}bull` });
    const worker = new Worker<{ n: number }>('sentinel-test', async (job) => `done ${job.data.n}`, { connection: conns.command, prefix: `${PREFIX}bull` });
    try {
      const completed = new Promise<unknown>((resolve) => worker.on('completed', (_job, result) => resolve(result)));
      await queue.add('j', { n: 7 });
      expect(await completed).toBe('done 7');
    } finally {
      await worker.close();
      await queue.close();
    }
    // named as everywhere (CLIENT LIST on the master shows the platform's connections)
    const clients = String(await server(masterPort).client('LIST'));
    for (const name of ['nss-command', 'nss-channels']) expect(clients).toContain(`name=${name} `);
  });

  it('an append resolves once the replica has it, and counts as failed when fewer replicas confirm in time', async () => {
    const writer = new FeedWriter(feedConnection('feed-a'), PREFIX, { replicasToAck: 1, ackTimeoutMs: 1000 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => writer.data('e1', 'g1', item(`acked-${i}`))));
    // WAIT returned: the replica holds every entry already, without waiting for it
    const onReplica = await feedIds(group.servers[1]!.port);
    for (let i = 0; i < 20; i++) expect(onReplica.has(`acked-${i}`)).toBe(true);
    // grouped: 200 appends at once share far fewer WAITs (a WAIT blocks its connection; one each would serialise them)
    const waits = async () => Number(/cmdstat_wait:calls=(\d+)/.exec(String(await server(group.servers[0]!.port).info('commandstats')))?.[1] ?? 0);
    const waitsBefore = await waits();
    await Promise.all(Array.from({ length: 200 }, (_, i) => writer.data('e1', 'g1', item(`burst-${i}`))));
    const used = (await waits()) - waitsBefore;
    expect(used).toBeGreaterThanOrEqual(1);
    expect(used).toBeLessThan(50);

    // two replicas asked for, one exists: rejected after the timeout, as a FeedReplicationError the gateway part counts
    const tooMany = new FeedWriter(feedConnection('feed-b'), PREFIX, { replicasToAck: 2, ackTimeoutMs: 200 });
    const started = performance.now();
    const err = await tooMany.data('e1', 'g1', item('short')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FeedReplicationError);
    expect((err as FeedReplicationError).reason).toBe('timeout');
    expect((err as Error).message).toContain('only 1 of 2');
    // a gateway's transition is confirmed alike (the status tracker retries it)
    const statusErr = await tooMany.status('e1', 'g1', 'offline', 'last_will', Date.now()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(statusErr).toBeInstanceOf(FeedReplicationError);
    await expect(writer.status('e1', 'g1', 'online', 'connected', Date.now())).resolves.toBeUndefined();
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  // ioredis re-sends a command in flight on the next connection — after a failover, to another server, whose
  // replicas may well be at its offset: that WAIT would say nothing about the entry the old master took
  it('an append whose connection drops before the replica confirms is not acknowledged', async () => {
    const replica = group.servers[1]!.child!;
    const role = 'feed-c';
    const writer = new FeedWriter(feedConnection(role), PREFIX, { replicasToAck: 1, ackTimeoutMs: 1500 });
    await writer.data('e1', 'g1', item('before-stop')); // connected
    const master = server(await group.masterPort());
    replica.kill('SIGSTOP'); // the replica stops acknowledging
    try {
      const pending = writer.data('e1', 'g1', item('unconfirmed')).then(
        () => undefined,
        (e: unknown) => e,
      );
      // the feed connection blocks in WAIT on the master; then the connection is cut
      let id = '';
      await vi.waitFor(
        async () => {
          const line = String(await master.client('LIST'))
            .split('\n')
            .find((l) => l.includes(`name=nss-${role} `) && l.includes('cmd=wait'));
          expect(line).toBeDefined();
          id = /id=(\d+)/.exec(line!)![1]!;
        },
        { timeout: 5000 },
      );
      await master.client('KILL', 'ID', id);
      const err = await pending;
      expect(err).toBeInstanceOf(FeedReplicationError);
      expect((err as FeedReplicationError).reason).toBe('reconnected');
    } finally {
      replica.kill('SIGCONT');
    }
  });

  it('a failover in the middle of a stream of appends loses no acknowledged entry; the appends after it go to the new master', async () => {
    const writer = new FeedWriter(feedConnection('feed'), PREFIX, { replicasToAck: 1, ackTimeoutMs: 1000 });
    const acked: string[] = [];
    let failedOver = false;
    let ackedAfter = 0;
    let failures = 0;
    let running = true;
    // 5 "gateways", each sending one message at a time and sending the next (or again, after 20 ms, like a
    // gateway's re-send) once the last was acknowledged or refused
    const gateway = async (g: number): Promise<void> => {
      for (let n = 0; running; n++) {
        const id = `g${g}-${n}`;
        const after = failedOver;
        try {
          await writer.data('e1', `g${g}`, item(id));
          acked.push(id);
          if (after) ackedAfter++;
        } catch {
          failures++;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const gateways = Array.from({ length: 5 }, (_, g) => gateway(g));
    try {
      await vi.waitFor(() => expect(acked.length).toBeGreaterThanOrEqual(100), { timeout: 10_000 });
      const oldMaster = group.servers[0]!.port;
      const newMaster = await group.failover();
      failedOver = true;
      expect(newMaster).toBe(group.servers[1]!.port);
      expect(newMaster).not.toBe(oldMaster);
      // ioredis asks the Sentinels again: appends are acknowledged again, by the new master's replica (the old master)
      await vi.waitFor(() => expect(ackedAfter).toBeGreaterThanOrEqual(100), { timeout: 20_000 });
    } finally {
      running = false;
      await Promise.all(gateways);
    }
    const newMaster = await group.masterPort();
    const onNewMaster = await feedIds(newMaster);
    const lost = acked.filter((id) => !onNewMaster.has(id));
    expect(lost).toEqual([]);
    expect(String(await server(newMaster).client('LIST'))).toContain('name=nss-feed ');
    expect(acked.length).toBeGreaterThanOrEqual(200);
    // the appends the old master took while the replica was being promoted were refused (and re-sent), not acknowledged
    expect(failures).toBeGreaterThan(0);
  }, 30_000);
});
