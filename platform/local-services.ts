/**
 * Local services for a single machine and for tests: `redis-server` and
 * `influxd` (Debian's InfluxDB 1.6.7) with their data under a project folder.
 * Missing binaries are installed from Debian's packages when running as root;
 * otherwise we stop with the exact command to run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { AppError } from '../core/errors.ts';
import { ensurePrivateDir, makeTreePrivate, PRIVATE_FILE_MODE } from '../core/private-fs.ts';

const PACKAGES = {
  'redis-server': 'redis-server',
  'redis-sentinel': 'redis-sentinel',
  influxd: 'influxdb',
  mosquitto_pub: 'mosquitto-clients',
  mosquitto: 'mosquitto',
} as const;

/** The setting that points the project at a running server instead of starting this binary. */
const ALTERNATIVE: Partial<Record<keyof typeof PACKAGES, string>> = { 'redis-server': 'REDIS_URL', influxd: 'INFLUX_URL' };

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/bin', '/usr/sbin'])) {
    const p = join(dir, bin);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Returns the binary's path, installing its Debian package first if needed and allowed. */
export function ensureBinary(bin: keyof typeof PACKAGES, log: (msg: string) => void = console.error): string {
  const found = which(bin);
  if (found) return found;
  const pkg = PACKAGES[bin];
  const cmd = `apt-get update && apt-get install -y ${pkg}`;
  if (process.getuid?.() !== 0) {
    throw new AppError(
      'SERVICE_START_FAILED',
      `${bin} is not installed. Install it with:\n  sudo ${cmd}${ALTERNATIVE[bin] ? `\nor set ${ALTERNATIVE[bin]} to a running server.` : ''}`,
    );
  }
  log(`${bin} is missing; installing Debian package ${pkg} …`);
  execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg} >/dev/null`], { stdio: 'inherit' });
  const after = which(bin);
  if (!after) throw new AppError('SERVICE_START_FAILED', `installing ${pkg} did not provide ${bin}; run: ${cmd}`);
  return after;
}

/** Resolves true once something accepts TCP connections on the port. */
export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const s = createConnection({ port, host });
    s.once('connect', () => {
      s.destroy();
      resolvePromise(true);
    });
    s.once('error', () => resolvePromise(false));
  });
}

/**
 * Whether process `pid` itself listens on TCP `port`, from Linux's /proc (its socket inodes against the
 * listening sockets of /proc/net/tcp{,6}); undefined where /proc cannot tell. Tells our server from another
 * one that answers on the same port (a parallel test worker's), which a bare connect cannot.
 */
export function listensOn(pid: number | undefined, port: number): boolean | undefined {
  if (pid === undefined || !existsSync('/proc/net/tcp')) return undefined;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (err) {
    // gone (ENOENT): it does not listen; not ours to look into (EACCES, EPERM): cannot tell
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? false : undefined;
  }
  const inodes = new Set<string>();
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      // sl local_address rem_address st … inode: the local address ends in the port (hex), st 0A is LISTEN
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && cols[1]?.endsWith(hexPort) && inodes.has(cols[9] ?? '')) return true;
    }
  }
  return false;
}

/** The server exited because its port is taken: whoever picked the port may pick another and start again. */
export function isPortTaken(err: unknown): boolean {
  return err instanceof AppError && (err.details as { reason?: string } | undefined)?.reason === 'port_taken';
}

/** Matches the bind failures of redis-server, influxd, postgres and Node (`EADDRINUSE`). */
export const ADDRESS_IN_USE = /address already in use|EADDRINUSE/i;

/** A log file's length now: where what the next start writes begins (0 if there is no file yet). */
function logLength(logFile: string): number {
  return existsSync(logFile) ? statSync(logFile).size : 0;
}

/** What a log file holds past `from` (what this start wrote). */
function logSince(logFile: string | undefined, from: number): string {
  try {
    return logFile ? readFileSync(logFile).subarray(from).toString('utf8') : '';
  } catch {
    return '';
  }
}

/** Polls `probe`; when the child exits first, fails, saying whether its log (past `taken.logFrom`) shows its port taken. */
async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  child?: ChildProcess,
  logFile?: string,
  taken?: { port: number; logFrom: number },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (child && child.exitCode !== null) {
      const portTaken = taken !== undefined && ADDRESS_IN_USE.test(logSince(logFile, taken.logFrom));
      throw new AppError(
        'SERVICE_START_FAILED',
        `${what} exited with code ${child.exitCode}${portTaken ? ': port taken' : ''}${logFile ? `; see ${logFile}` : ''}`,
        {
          details: portTaken ? { reason: 'port_taken', port: taken.port } : undefined,
        },
      );
    }
    if (Date.now() > deadline) throw new AppError('SERVICE_START_FAILED', `${what} did not start within ${timeoutMs} ms${logFile ? `; see ${logFile}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface ServiceHandle {
  url: string;
  port: number;
  /** The child process when this call started it (undefined when an already running one was reused). */
  child?: ChildProcess;
  stop(): Promise<void>;
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
export function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      res();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Makes a service's data folder private (0700; files 0600, also those an earlier run left readable) and spawns
 * the server with umask 077, so that the files it creates (Redis' AOF, InfluxDB's shards and WAL) are 0600 too.
 */
function spawnPrivate(bin: string, args: string[], dir: string, opts: { detached: boolean; stdio: 'ignore' | ['ignore', number, number] }): ChildProcess {
  ensurePrivateDir(dir);
  makeTreePrivate(dir);
  // `exec` keeps the pid: the child is the server itself, for signals and pid files
  return spawn('/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', bin, ...args], opts);
}

export interface StartOptions {
  /** Folder for the service's data, config and log. */
  dir: string;
  port: number;
  /** Keep running after this process exits (for `npm start`); tests leave it false. */
  detached?: boolean;
  /** More redis-server arguments, after (and so over) the platform's (e.g. `--replicaof host port`). */
  extraArgs?: string[];
}

/**
 * Starts redis-server with AOF persistence (`appendonly yes`) and
 * `maxmemory-policy noeviction`: Debian's default (RDB only) loses
 * acknowledged broker sessions and queued jobs on `kill -9`.
 */
export async function startRedis(opts: StartOptions): Promise<ServiceHandle> {
  const url = `redis://127.0.0.1:${opts.port}`;
  const bin = ensureBinary('redis-server');
  const dir = resolve(opts.dir);
  const logFile = join(dir, 'redis.log');
  const args = [
    '--port',
    String(opts.port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--save',
    '',
    '--daemonize',
    'no',
    '--logfile',
    logFile,
    ...(opts.extraArgs ?? []),
  ];
  const logFrom = logLength(logFile);
  const child = spawnPrivate(bin, args, dir, { detached: opts.detached ?? false, stdio: 'ignore' });
  if (opts.detached) child.unref();
  writeFileSync(join(dir, 'redis.pid'), String(child.pid), { mode: PRIVATE_FILE_MODE });
  // our server, not another one on the same port (which would leave ours exiting with the port taken)
  const ours = async () => (await portOpen(opts.port)) && listensOn(child.pid, opts.port) !== false;
  await waitUntil(`redis-server on port ${opts.port}`, ours, 15_000, child, logFile, { port: opts.port, logFrom });
  return { url, port: opts.port, child, stop: () => stopChild(child) };
}

/**
 * Starts Debian's redis-sentinel watching the master `masterName` at 127.0.0.1:`masterPort` (its config, which
 * Sentinel rewrites as it learns the replicas and other Sentinels, and its log under `dir`).
 */
export async function startRedisSentinel(
  opts: StartOptions & { masterName: string; masterPort: number; quorum?: number; downAfterMs?: number; failoverTimeoutMs?: number },
): Promise<ServiceHandle> {
  const bin = ensureBinary('redis-sentinel');
  const dir = resolve(opts.dir);
  ensurePrivateDir(dir);
  const logFile = join(dir, 'sentinel.log');
  const conf = join(dir, 'sentinel.conf');
  const m = opts.masterName;
  writeFileSync(
    conf,
    [
      `port ${opts.port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `logfile ${logFile}`,
      'daemonize no',
      `sentinel monitor ${m} 127.0.0.1 ${opts.masterPort} ${opts.quorum ?? 1}`,
      `sentinel down-after-milliseconds ${m} ${opts.downAfterMs ?? 30_000}`,
      `sentinel failover-timeout ${m} ${opts.failoverTimeoutMs ?? 180_000}`,
      `sentinel parallel-syncs ${m} 1`,
      '',
    ].join('\n'),
    { mode: PRIVATE_FILE_MODE },
  );
  const logFrom = logLength(logFile);
  const child = spawnPrivate(bin, [conf], dir, { detached: opts.detached ?? false, stdio: 'ignore' });
  if (opts.detached) child.unref();
  const ours = async () => (await portOpen(opts.port)) && listensOn(child.pid, opts.port) !== false;
  await waitUntil(`redis-sentinel on port ${opts.port}`, ours, 15_000, child, logFile, { port: opts.port, logFrom });
  return { url: `redis://127.0.0.1:${opts.port}`, port: opts.port, child, stop: () => stopChild(child) };
}

/** Starts Debian's influxd (1.6.7) with its data, WAL and meta under `dir`, fsyncing every write. */
export async function startInflux(opts: StartOptions & { rpcPort?: number }): Promise<ServiceHandle> {
  const url = `http://127.0.0.1:${opts.port}`;
  const bin = ensureBinary('influxd');
  const dir = resolve(opts.dir);
  ensurePrivateDir(dir);
  const conf = join(dir, 'influxdb.conf');
  writeFileSync(
    conf,
    `reporting-disabled = true
bind-address = "127.0.0.1:${opts.rpcPort ?? opts.port + 2}"
[meta]
  dir = "${dir}/meta"
  logging-enabled = false
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  wal-fsync-delay = "0s"
  index-version = "tsi1"
  query-log-enabled = false
  trace-logging-enabled = false
  max-values-per-tag = 0
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${opts.port}"
  log-enabled = false
  pprof-enabled = false
  max-body-size = 0
`,
    { mode: PRIVATE_FILE_MODE },
  );
  const logFile = join(dir, 'influxd.log');
  const logFrom = logLength(logFile);
  const out = openSync(logFile, 'a', PRIVATE_FILE_MODE);
  const child = spawnPrivate(bin, ['-config', conf], dir, { detached: opts.detached ?? false, stdio: ['ignore', out, out] });
  if (opts.detached) child.unref();
  writeFileSync(join(dir, 'influxd.pid'), String(child.pid), { mode: PRIVATE_FILE_MODE });
  const ping = async () => {
    try {
      const r = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      // our server, not another one on the same port (which would leave ours exiting with the port taken)
      return r.status === 204 && listensOn(child.pid, opts.port) !== false;
    } catch {
      return false;
    }
  };
  await waitUntil(`influxd on port ${opts.port}`, ping, 30_000, child, logFile, { port: opts.port, logFrom });
  return { url, port: opts.port, child, stop: () => stopChild(child) };
}

/** Default ports of the services the project starts for itself (chosen not to clash with system ones). */
export const LOCAL_PORTS = { redis: 16379, influx: 18086 } as const;

/**
 * Makes sure Redis and InfluxDB are reachable for `npm start`: a URL from the
 * environment is used as is; otherwise a local server under `{dataDir}/…` is
 * reused if already running, or started detached (it outlives the platform
 * process, so a crash or `kill -9` of the platform does not take its stores
 * down). `npm run services -- stop` stops them.
 */
export async function ensureLocalServices(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  log: (m: string) => void = console.error,
): Promise<{ redisUrl: string | undefined; influxUrl: string }> {
  let redisUrl = env.REDIS_URL;
  let influxUrl = env.INFLUX_URL;
  // behind Sentinel (REDIS_SENTINELS) the platform asks the Sentinels for Redis: none is started here
  if (!redisUrl && !env.REDIS_SENTINELS) {
    const port = LOCAL_PORTS.redis;
    if (!(await portOpen(port))) {
      log(`starting local redis-server on 127.0.0.1:${port} (data in ${dataDir}/redis)`);
      await startRedis({ dir: join(dataDir, 'redis'), port, detached: true });
    }
    redisUrl = `redis://127.0.0.1:${port}`;
  }
  if (!influxUrl) {
    const port = LOCAL_PORTS.influx;
    if (!(await portOpen(port))) {
      log(`starting local influxd on 127.0.0.1:${port} (data in ${dataDir}/influxdb)`);
      await startInflux({ dir: join(dataDir, 'influxdb'), port, detached: true });
    }
    influxUrl = `http://127.0.0.1:${port}`;
  }
  return { redisUrl, influxUrl };
}

/** Stops the detached local services recorded under the data dir. */
export function stopLocalServices(dataDir: string): string[] {
  const stopped: string[] = [];
  for (const [name, file] of [
    ['redis', 'redis/redis.pid'],
    ['influxd', 'influxdb/influxd.pid'],
  ] as const) {
    const p = join(dataDir, file);
    if (!existsSync(p)) continue;
    const pid = Number(readFileSync(p, 'utf8'));
    try {
      process.kill(pid, 'SIGTERM');
      stopped.push(`${name} (pid ${pid})`);
    } catch {
      /* already gone */
    }
  }
  return stopped;
}
