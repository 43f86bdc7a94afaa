/**
 * Real services for integration tests: a redis-server and an influxd per test
 * file, on free ports, with data in a temporary folder removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInflux, startRedis, type ServiceHandle } from '../platform/local-services.ts';

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
  const [redisPort, influxPort, rpcPort] = [await freePort(), await freePort(), await freePort()];
  const start = {
    redis: () => startRedis({ dir: join(dir, 'redis'), port: redisPort }),
    influx: () => startInflux({ dir: join(dir, 'influx'), port: influxPort, rpcPort }),
  };
  const [redis, influx] = await Promise.all([start.redis(), start.influx()]);
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
