/**
 * A replicated Redis under Redis Sentinel for integration tests: a master (appendonly yes, like every Redis the
 * platform uses), one replica, and one or three Debian `redis-sentinel`s, on candidate ports (another set when a
 * port is taken meanwhile), with data in a temporary folder removed by `stop()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RedisTarget } from '../core/config.ts';
import { startRedis, startRedisSentinel, type ServiceHandle } from '../platform/local-services.ts';
import { onCandidatePort, onCandidatePorts } from './ports.ts';

export interface SentinelGroup {
  /** The master group's name (`sentinel monitor <name> …`): config `redisMasterName`. */
  masterName: string;
  /** Config `redisSentinels`. */
  sentinels: string[];
  /** What `openRedisConnections` takes. */
  target: RedisTarget;
  /** The servers as started: [0] the first master, [1] its replica. */
  servers: ServiceHandle[];
  sentinelHandles: ServiceHandle[];
  /** The port of the master the Sentinels name now. */
  masterPort(): Promise<number>;
  /** `SENTINEL FAILOVER`; resolves once the Sentinels name the new master and it answers as master. Returns its port. */
  failover(): Promise<number>;
  stop(): Promise<void>;
}

const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/**
 * Starts the group and resolves once the replica is in sync and the Sentinels know it (a failover can pick it).
 * Sentinel's `down-after-milliseconds` is 1000 (a dead master is noticed in about a second; the platform's
 * deployments set their own), `failover-timeout` 5000.
 */
export async function startSentinelGroup(name: string, opts: { sentinelCount?: 1 | 3 } = {}): Promise<SentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), `nss-${name}-sentinel-`));
  const masterName = 'nss-test';
  const started: ServiceHandle[] = [];
  const clients = new Map<number, Redis>();
  /** One plain connection per port (a server or a Sentinel), for the helper's own checks. */
  const client = (port: number): Redis => {
    let r = clients.get(port);
    if (!r) clients.set(port, (r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 }).on('error', () => undefined)));
    return r;
  };
  const closeClients = () => {
    for (const c of clients.values()) c.disconnect();
    clients.clear();
  };
  try {
    const master = await onCandidatePort((port) => startRedis({ dir: join(dir, 'master'), port }));
    started.push(master);
    const replica = await onCandidatePort((port) =>
      startRedis({ dir: join(dir, 'replica'), port, extraArgs: ['--replicaof', '127.0.0.1', String(master.port)] }),
    );
    started.push(replica);
    const count = opts.sentinelCount ?? 1;
    const sentinelHandles = await onCandidatePorts(count, (ports) =>
      Promise.all(
        ports.map((port, i) =>
          startRedisSentinel({
            dir: join(dir, `sentinel-${i}`),
            port,
            masterName,
            masterPort: master.port,
            quorum: count === 3 ? 2 : 1,
            downAfterMs: 1000,
            failoverTimeoutMs: 5000,
          }),
        ),
      ),
    );
    started.push(...sentinelHandles);
    const sentinelClients = sentinelHandles.map((s) => client(s.port));
    const masterClient = client(master.port);
    await waitFor('the replica in sync', async () => /slave0:.*state=online/.test(String(await masterClient.info('replication'))), 15_000);
    await waitFor(
      'the Sentinels knowing the replica',
      async () => {
        for (const s of sentinelClients) {
          const replicas = (await s.call('SENTINEL', 'REPLICAS', masterName)) as string[][];
          const ok = replicas.some((r) => {
            const flags = r[r.indexOf('flags') + 1] ?? '';
            return r[r.indexOf('port') + 1] === String(replica.port) && flags === 'slave';
          });
          if (!ok) return false;
        }
        return true;
      },
      15_000,
    );
    const masterPort = async (): Promise<number> => {
      const addr = (await sentinelClients[0]!.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string];
      return Number(addr[1]);
    };
    return {
      masterName,
      sentinels: sentinelHandles.map((s) => `127.0.0.1:${s.port}`),
      target: { sentinels: sentinelHandles.map((s) => ({ host: '127.0.0.1', port: s.port })), masterName },
      servers: [master, replica],
      sentinelHandles,
      masterPort,
      failover: async () => {
        const before = await masterPort();
        // refused (NOGOODSLAVE) while the Sentinel's view of the replica is stale (a test before paused it, a loaded
        // machine delayed its pings or INFO): asked again until it accepts
        await waitFor(
          'the Sentinel accepting the failover (SENTINEL FAILOVER refused each time)',
          async () => sentinelClients[0]!.call('SENTINEL', 'FAILOVER', masterName).then(() => true),
          30_000,
        );
        let after = before;
        await waitFor(
          'the failover',
          async () => {
            after = await masterPort();
            if (after === before) return false;
            const info = String(await client(after).info('replication'));
            return /role:master/.test(info);
          },
          15_000,
        );
        return after;
      },
      stop: async () => {
        closeClients();
        await Promise.all(started.map((s) => s.stop()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    closeClients();
    await Promise.all(started.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
