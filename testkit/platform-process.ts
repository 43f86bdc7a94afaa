/**
 * The platform as a separate OS process (`main.ts`), as it runs in
 * production: for tests that kill -9 it and start it again on the same ports
 * and data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { vi } from 'vitest';
import { AppError } from '../core/errors.ts';
import { ADDRESS_IN_USE, listensOn } from '../platform/local-services.ts';
import { onCandidatePorts } from './ports.ts';
import type { TestServices } from './services.ts';
import { TEST_ADMIN_TOKEN } from './tokens.ts';

export interface PlatformProcess {
  /** The ports it listens on: the given ones, or candidate ports picked at the first start (0 before it) and kept for restarts. */
  readonly mqttPort: number;
  readonly httpPort: number;
  readonly token: string;
  readonly pid: number | undefined;
  /**
   * Starts (or restarts) the process and resolves once /health answers 200. The first start without given
   * ports tries other candidate ports while the process exits because a port is taken.
   */
  start(): Promise<void>;
  /** SIGKILL: no cleanup, no flush, sockets reset. Resolves when the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** Everything the process wrote to stderr/stdout (JSON log lines). */
  output(): string;
}

export function platformProcess(
  svc: TestServices,
  opts: { name: string; mqttPort?: number; httpPort?: number; env?: Record<string, string> },
): PlatformProcess {
  const token = TEST_ADMIN_TOKEN;
  let child: ChildProcess | undefined;
  let out = '';
  const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));
  let ports = opts.mqttPort !== undefined && opts.httpPort !== undefined ? { mqtt: opts.mqttPort, http: opts.httpPort } : undefined;
  const launch = async (at: { mqtt: number; http: number }): Promise<void> => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        REDIS_URL: svc.redis.url,
        INFLUX_URL: svc.influx.url,
        INFLUX_DB: `p_${opts.name}`,
        REDIS_PREFIX: `${opts.name}:`,
        DATA_DIR: join(svc.dir, `platform-${opts.name}`),
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(at.mqtt),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(at.http),
        ADMIN_TOKEN: token,
        LOG_LEVEL: 'info',
        ...opts.env,
      },
    });
    const outFrom = out.length;
    child = c;
    // 'close' comes after the last output, which 'exit' may precede
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    // every 100 ms for up to 60 s; resolves early (false) when the process exits
    const healthy = await vi
      .waitFor(
        async () => {
          if (c.exitCode !== null) return false;
          const ok = await fetch(`http://127.0.0.1:${at.http}/health`).then(
            (r) => r.ok,
            () => false,
          );
          // our process, not another one on the same port (which would leave ours exiting with the port taken)
          if (!ok || listensOn(c.pid, at.http) === false) throw new Error('not healthy yet');
          return true;
        },
        { timeout: 60_000, interval: 100 },
      )
      .catch(() => {
        throw new Error(`platform not healthy in 60 s:\n${out.slice(-3000)}`);
      });
    if (healthy) return;
    await closed;
    const portTaken = ADDRESS_IN_USE.test(out.slice(outFrom));
    throw new AppError('SERVICE_START_FAILED', `platform exited with ${c.exitCode}:\n${out.slice(-3000)}`, {
      details: portTaken ? { reason: 'port_taken', port: at.http } : undefined,
    });
  };
  return {
    get mqttPort() {
      return ports?.mqtt ?? 0;
    },
    get httpPort() {
      return ports?.http ?? 0;
    },
    token,
    get pid() {
      return child?.pid;
    },
    async start() {
      if (ports) return launch(ports);
      ports = await onCandidatePorts(2, async ([mqtt, http]) => {
        const at = { mqtt: mqtt!, http: http! };
        await launch(at);
        return at;
      });
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
