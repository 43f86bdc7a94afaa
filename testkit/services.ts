/**
 * Real services for integration tests: a redis-server and an influxd per test
 * file, on candidate ports (another one when a port is taken meanwhile), with
 * data in a temporary folder removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInflux, startRedis, type ServiceHandle } from '../platform/local-services.ts';
import { onCandidatePort, onCandidatePorts } from './ports.ts';

/**
 * A port that was free a moment ago (bound to port 0, closed, handed on): another process may take it before
 * the caller binds it. Kept for the benches; tests use `onCandidatePort` (testkit/ports.ts) or port 0.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A redis-server with its data under `dir`, on a candidate port (another one if the port is taken meanwhile). */
export function startTestRedis(dir: string): Promise<ServiceHandle> {
  return onCandidatePort((port) => startRedis({ dir, port }));
}

export type ServiceName = 'redis' | 'influx';

export interface TestServices {
  dir: string;
  /** The running server (replaced by `revive`). */
  redis: ServiceHandle;
  influx: ServiceHandle;
  /** SIGKILL, like a crash: no shutdown, no flush of its own. Resolves when the process is gone. */
  crash(name: ServiceName): Promise<void>;
  /** Starts a crashed service again on the same port and data folder; resolves once it answers. */
  revive(name: ServiceName): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestServices(name: string): Promise<TestServices> {
  const dir = mkdtempSync(join(tmpdir(), `nss-${name}-`));
  const [redis, { influx, rpcPort: influxRpcPort }] = await Promise.all([
    startTestRedis(join(dir, 'redis')),
    onCandidatePorts(2, async ([port, rpcPort]) => ({ influx: await startInflux({ dir: join(dir, 'influx'), port: port!, rpcPort }), rpcPort })),
  ]);
  // a revived service comes back on the port it had: clients reconnect to where it was
  const start = {
    redis: () => startRedis({ dir: join(dir, 'redis'), port: redis.port }),
    influx: () => startInflux({ dir: join(dir, 'influx'), port: influx.port, rpcPort: influxRpcPort }),
  };
  const svc: TestServices = {
    dir,
    redis,
    influx,
    async crash(name) {
      const child = svc[name].child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    },
    async revive(name) {
      svc[name] = await start[name]();
    },
    async stop() {
      await Promise.all([svc.redis.stop(), svc.influx.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return svc;
}
