import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Clock } from '../core/clock.ts';
import { parseConfig, type PlatformConfigInput } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { buildPlatform, type Platform } from '../platform/platform.ts';
import type { TestServices } from './services.ts';
import { TEST_ADMIN_TOKEN } from './tokens.ts';

/** Log lines captured from a platform under test, parsed. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    for (const l of chunk.toString().split('\n')) if (l) this.lines.push(JSON.parse(l) as Record<string, unknown>);
    cb();
  }
  find(pred: (l: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
    return this.lines.find(pred);
  }
}

export async function startTestPlatform(
  svc: TestServices,
  name: string,
  overrides: Partial<PlatformConfigInput> = {},
  deps: { clock?: Clock } = {},
): Promise<{ platform: Platform; logs: LogCapture; database: string }> {
  const logs = new LogCapture();
  const database = `t_${name}_${process.pid}`;
  const config = parseConfig({
    dataDir: join(svc.dir, `platform-${name}`),
    redisUrl: svc.redis.url,
    redisPrefix: `${name}:`,
    influx: { url: svc.influx.url, database },
    mqtt: { host: '127.0.0.1', port: 0 },
    http: { host: '127.0.0.1', port: 0, adminToken: TEST_ADMIN_TOKEN },
    logLevel: 'info',
    ...overrides,
  });
  const platform = await buildPlatform(config, { logger: createLogger({ level: 'info', destination: logs }), ...deps });
  await platform.start();
  return { platform, logs, database };
}
