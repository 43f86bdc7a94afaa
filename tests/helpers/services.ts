/**
 * Real services for integration tests: a redis-server and an influxd per test
 * file, on free ports, with data in a temporary folder removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInflux, startRedis, type ServiceHandle } from '../../scripts/services.ts';

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

export interface TestServices {
  dir: string;
  redis: ServiceHandle;
  influx: ServiceHandle;
  stop(): Promise<void>;
}

export async function startTestServices(name: string): Promise<TestServices> {
  const dir = mkdtempSync(join(tmpdir(), `nss-${name}-`));
  const [redisPort, influxPort, rpcPort] = [await freePort(), await freePort(), await freePort()];
  const [redis, influx] = await Promise.all([
    startRedis({ dir: join(dir, 'redis'), port: redisPort }),
    startInflux({ dir: join(dir, 'influx'), port: influxPort, rpcPort }),
  ]);
  return {
    dir,
    redis,
    influx,
    async stop() {
      await Promise.all([redis.stop(), influx.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
