/**
 * A throwaway PostgreSQL 15 server (Debian's binaries) on a candidate port
 * (another one when the port is taken meanwhile), for tests of the
 * DATABASE_URL path. Runs as the `postgres` user when we are root.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { vi } from 'vitest';
import { AppError } from '../core/errors.ts';
import { ADDRESS_IN_USE } from '../platform/local-services.ts';
import { onCandidatePort } from './ports.ts';

const BIN = '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  url: string;
  port: number;
  /** Immediate shutdown (SIGQUIT), as after a crash; resolves when the server is gone. */
  crash(): Promise<void>;
  /** Starts the server again on the same port and data; resolves once it accepts connections. */
  revive(): Promise<void>;
  /** A standby (`replicaOf`) becomes a primary (pg_ctl promote); resolves once it accepts writes. */
  promote(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a server: a new cluster, or with `replicaOf` a hot standby of that one (streaming replication from a base
 * backup, `pg_basebackup -R`), as a deployment's replica that a failover promotes.
 */
export async function startPostgres(opts: { replicaOf?: TestPostgres } = {}): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'nss-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot ? Number(execFileSync('id', ['-u', 'postgres']).toString()) : undefined;
  const gid = asRoot ? Number(execFileSync('id', ['-g', 'postgres']).toString()) : undefined;
  if (asRoot) {
    chownSync(dir, uid as number, gid as number);
    chmodSync(dir, 0o700);
  }
  const as = asRoot ? { uid, gid } : {};
  const urlOf = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;
  if (opts.replicaOf) {
    const primary = opts.replicaOf.port;
    execFileSync(`${BIN}/pg_basebackup`, ['-h', '127.0.0.1', '-p', String(primary), '-U', 'postgres', '-D', data, '-R', '-X', 'stream', '--no-sync'], {
      ...as,
      stdio: 'ignore',
    });
  } else execFileSync(`${BIN}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'], { ...as, stdio: 'ignore' });
  const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));
  const start = async (port: number): Promise<ChildProcess> => {
    const url = urlOf(port);
    const c = spawn(`${BIN}/postgres`, ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], {
      ...as,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    // 'close' comes after the last output, which 'exit' may precede
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    // every 100 ms for up to 30 s; resolves early when the server exits
    const ready = await vi
      .waitFor(
        async () => {
          if (c.exitCode !== null || c.signalCode !== null) return false;
          const client = new pg.Client({ connectionString: url });
          try {
            await client.connect();
            // our server, not another one on the same port (which would leave ours exiting with the port taken)
            const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
            if (rows[0]?.data_directory !== data) throw new Error(`another server on port ${port}`);
            return true;
          } finally {
            await client.end().catch(() => undefined);
          }
        },
        { timeout: 30_000, interval: 100 },
      )
      .catch((err: unknown) => {
        throw new Error('postgres did not start', { cause: err });
      });
    if (ready) return c;
    await closed;
    const portTaken = ADDRESS_IN_USE.test(stderr);
    throw new AppError('SERVICE_START_FAILED', `postgres exited with ${c.exitCode}${portTaken ? ': port taken' : ''}\n${stderr}`, {
      details: portTaken ? { reason: 'port_taken', port } : undefined,
    });
  };
  let child: ChildProcess;
  const port = await onCandidatePort(async (p) => {
    child = await start(p);
    return p;
  });
  const url = urlOf(port);
  return {
    url,
    port,
    async crash() {
      // immediate shutdown: every backend quits at once without a checkpoint, and the next start runs crash recovery
      const c = child;
      c.kill('SIGQUIT');
      await exited(c);
    },
    async revive() {
      child = await start(port);
    },
    async promote() {
      execFileSync(`${BIN}/pg_ctl`, ['promote', '-D', data, '-w'], { ...as, stdio: 'ignore' });
    },
    async stop() {
      const c = child;
      c.kill('SIGINT'); // fast shutdown
      await exited(c);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
