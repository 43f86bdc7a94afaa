/**
 * The platform as a separate OS process (`main.ts`), as it runs in
 * production: for tests that kill -9 it and start it again on the same ports
 * and data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TestServices } from './services.ts';
import { TEST_ADMIN_TOKEN } from './tokens.ts';

export interface PlatformProcess {
  readonly mqttPort: number;
  readonly httpPort: number;
  readonly token: string;
  readonly pid: number | undefined;
  /** Starts (or restarts) the process and resolves once /health answers 200. */
  start(): Promise<void>;
  /** SIGKILL: no cleanup, no flush, sockets reset. Resolves when the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** Everything the process wrote to stderr/stdout (JSON log lines). */
  output(): string;
}

export function platformProcess(svc: TestServices, opts: { name: string; mqttPort: number; httpPort: number; env?: Record<string, string> }): PlatformProcess {
  const token = TEST_ADMIN_TOKEN;
  let child: ChildProcess | undefined;
  let out = '';
  const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));
  return {
    mqttPort: opts.mqttPort,
    httpPort: opts.httpPort,
    token,
    get pid() {
      return child?.pid;
    },
    async start() {
      child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          REDIS_URL: svc.redis.url,
          INFLUX_URL: svc.influx.url,
          INFLUX_DB: `p_${opts.name}`,
          REDIS_PREFIX: `${opts.name}:`,
          DATA_DIR: join(svc.dir, `platform-${opts.name}`),
          MQTT_HOST: '127.0.0.1',
          MQTT_PORT: String(opts.mqttPort),
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: String(opts.httpPort),
          ADMIN_TOKEN: token,
          LOG_LEVEL: 'info',
          ...opts.env,
        },
      });
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      const c = child;
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (c.exitCode !== null) throw new Error(`platform exited with ${c.exitCode}:\n${out.slice(-3000)}`);
        const ok = await fetch(`http://127.0.0.1:${opts.httpPort}/health`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`platform not healthy in 60 s:\n${out.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill9() {
      if (!child) return;
      const c = child;
      c.kill('SIGKILL');
      await exited(c);
    },
    async stop() {
      if (!child) return;
      const c = child;
      c.kill('SIGTERM');
      await exited(c);
    },
    output: () => out,
  };
}
