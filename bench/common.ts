/**
 * What the benchmarks share: the platform as a separate process on its own
 * Redis and InfluxDB (as in production), and per-process CPU and memory
 * readings from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdminApi } from '../simulators/admin-api.ts';
import { startInflux, startRedis, type ServiceHandle } from '../platform/local-services.ts';
import { freePort } from '../testkit/services.ts';
import { generateAdminToken } from '../core/secrets.ts';

const TICKS = 100; // clock ticks per second in /proc/<pid>/stat

export function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime + stime
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** The p-th percentile of ascending `sorted`. */
export const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Samples CPU (cores) and RSS of processes over a measured window. */
export class ProcessSampler {
  private cpu0: Record<string, number> = {};
  private readonly mem: Record<string, number[]> = {};
  private t0 = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pids: Record<string, number>) {}

  start(): void {
    this.t0 = performance.now();
    this.cpu0 = Object.fromEntries(Object.entries(this.pids).map(([k, pid]) => [k, cpuTicks(pid)]));
    for (const k of Object.keys(this.pids)) this.mem[k] = [];
    this.timer = setInterval(() => {
      for (const [k, pid] of Object.entries(this.pids)) this.mem[k]!.push(rssMiB(pid));
    }, 1000);
  }

  /** Stops and returns, per process, CPU cores averaged over the window and RSS first, max and last (MiB). */
  stopValues(): ProcessUsage[] {
    clearInterval(this.timer);
    const wall = (performance.now() - this.t0) / 1000;
    return Object.entries(this.pids).map(([name, pid]) => {
      const m = this.mem[name]!.length > 0 ? this.mem[name]! : [rssMiB(pid)];
      return { name, cores: (cpuTicks(pid) - this.cpu0[name]!) / TICKS / wall, rssFirst: m[0]!, rssMax: Math.max(...m), rssLast: m.at(-1)! };
    });
  }

  /** Stops and returns one line per process: CPU cores averaged over the window, RSS first → max → last. */
  stop(): string[] {
    return ['per process: CPU (cores, avg over the measured window) | RSS MiB first → max → last', ...this.stopValues().map(usageLine)];
  }
}

export interface ProcessUsage {
  name: string;
  cores: number;
  rssFirst: number;
  rssMax: number;
  rssLast: number;
}

export const usageLine = (u: ProcessUsage): string =>
  `  ${u.name.padEnd(15)} ${u.cores.toFixed(2)} | ${u.rssFirst.toFixed(0)} → ${u.rssMax.toFixed(0)} → ${u.rssLast.toFixed(0)}`;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Waits until the processes `pids` (name → pid) together use less than
 * `maxCores` over a one-second window (what an earlier leg left behind, e.g.
 * a backlog still being written or compacted, would otherwise load the next
 * one), at most `timeoutMs`. Resolves with the time waited, whether they
 * settled, and the last window's busiest process.
 */
export async function quiesce(
  pids: Record<string, number>,
  maxCores = 0.1,
  timeoutMs = 60_000,
): Promise<{ waitedMs: number; settled: boolean; busiest: string }> {
  const t0 = performance.now();
  const ticks = (pid: number) => {
    try {
      return cpuTicks(pid);
    } catch {
      return 0; // exited
    }
  };
  const sample = () => Object.entries(pids).map(([name, pid]) => ({ name, t: ticks(pid) }));
  for (;;) {
    const before = sample();
    const w0 = performance.now();
    await sleep(1000);
    const wall = (performance.now() - w0) / 1000;
    const cores = sample().map((s, i) => ({ name: s.name, cores: (s.t - before[i]!.t) / TICKS / wall }));
    const total = cores.reduce((n, c) => n + c.cores, 0);
    const top = cores.reduce((x, y) => (y.cores > x.cores ? y : x), { name: '', cores: 0 });
    const busiest = top.name ? `${top.name} ${top.cores.toFixed(2)} cores` : '';
    if (total < maxCores) return { waitedMs: performance.now() - t0, settled: true, busiest };
    if (performance.now() - t0 > timeoutMs) return { waitedMs: performance.now() - t0, settled: false, busiest };
  }
}

/** Runs `fn` over `items`, `concurrency` at a time; resolves with the results in order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/**
 * Registers gateways `{prefix}{g}` (g from `from`) of enterprise `enterpriseId`,
 * each with `sensors` combustible gas detectors `{sensorPrefix}{g}-{s}` (an
 * hour's period, so none goes silent during a run); `concurrency` requests at
 * a time. Resolves with the gateways' secrets, in order.
 */
export async function provisionFleet(
  api: AdminApi,
  enterpriseId: string,
  gateways: number,
  sensors: number,
  opts: { prefix?: string; sensorPrefix?: string; from?: number; concurrency?: number } = {},
): Promise<string[]> {
  const { prefix = 'GW-', sensorPrefix = 'S-', from = 0, concurrency = 8 } = opts;
  const ids = Array.from({ length: gateways }, (_, i) => from + i);
  const secrets = await pool(
    ids,
    concurrency,
    async (g) => (await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: `${prefix}${g}`, enterpriseId })).secret,
  );
  const all = ids.flatMap((g) => Array.from({ length: sensors }, (_, s) => [g, s] as const));
  await pool(all, concurrency, ([g, s]) =>
    api.ok('POST', '/api/v1/sensors', {
      id: `${sensorPrefix}${g}-${s}`,
      enterpriseId,
      gatewayId: `${prefix}${g}`,
      kind: 'combustible_gas',
      unit: '%LEL',
      periodS: 3600,
    }),
  );
  return secrets;
}

export interface BenchPlatform {
  child: ChildProcess;
  redis: ServiceHandle;
  influxd: ServiceHandle;
  mqttPort: number;
  httpPort: number;
  token: string;
  stop(): Promise<void>;
  /** Kills the platform process (SIGKILL, as a node failure) and starts another on the same data, Redis and ports; `child` is then the new one. */
  restart(): Promise<void>;
}

/**
 * Starts Redis, InfluxDB and the platform (`main.ts`, all parts unless `env`
 * says otherwise) in a temporary folder; resolves once /health answers.
 * BENCH_PLATFORM_NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`)
 * profiles the platform process only.
 */
export async function startBenchPlatform(env: Record<string, string> = {}): Promise<BenchPlatform> {
  const dir = mkdtempSync(join(tmpdir(), 'nss-bench-'));
  const [redisPort, influxPort, rpcPort, mqttPort, httpPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const [redis, influxd] = await Promise.all([
    startRedis({ dir: join(dir, 'redis'), port: redisPort }),
    startInflux({ dir: join(dir, 'influx'), port: influxPort, rpcPort }),
  ]);
  const token = generateAdminToken();
  const launch = () =>
    spawn(process.execPath, [...(process.env.BENCH_PLATFORM_NODE_OPTIONS?.split(' ') ?? []), '--import', 'tsx', 'main.ts'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        INFLUX_URL: influxd.url,
        DATA_DIR: join(dir, 'platform'),
        MQTT_PORT: String(mqttPort),
        HTTP_PORT: String(httpPort),
        HTTP_HOST: '127.0.0.1',
        MQTT_HOST: '127.0.0.1',
        ADMIN_TOKEN: token,
        LOG_LEVEL: 'warn',
        ...env,
      },
    });
  let child = launch();
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      child.kill('SIGKILL');
    }
    await Promise.all([redis.stop(), influxd.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
  const healthy = async () => {
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${httpPort}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (child.exitCode !== null || i > 600) throw new Error('platform did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await healthy();
  } catch (err) {
    await stop();
    throw err;
  }
  const restart = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    child = launch();
    await healthy();
  };
  return {
    get child() {
      return child;
    },
    redis,
    influxd,
    mqttPort,
    httpPort,
    token,
    stop,
    restart,
  };
}
