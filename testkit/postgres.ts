/**
 * A throwaway PostgreSQL 15 server (Debian's binaries) on a free port, for
 * tests of the DATABASE_URL path. Runs as the `postgres` user when we are root.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './services.ts';

const BIN = '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  url: string;
  /** Immediate shutdown (SIGQUIT), as after a crash; resolves when the server is gone. */
  crash(): Promise<void>;
  /** Starts the server again on the same port and data; resolves once it accepts connections. */
  revive(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'nss-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot ? Number(execFileSync('id', ['-u', 'postgres']).toString()) : undefined;
  const gid = asRoot ? Number(execFileSync('id', ['-g', 'postgres']).toString()) : undefined;
  if (asRoot) {
    chownSync(dir, uid as number, gid as number);
    chmodSync(dir, 0o700);
  }
  const opts = asRoot ? { uid, gid } : {};
  execFileSync(`${BIN}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'], { ...opts, stdio: 'ignore' });
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));
  const start = async (): Promise<ChildProcess> => {
    const c = spawn(`${BIN}/postgres`, ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], {
      ...opts,
      stdio: 'ignore',
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.end();
        return c;
      } catch {
        await client.end().catch(() => undefined);
        if (c.exitCode !== null) throw new Error(`postgres exited with ${c.exitCode}`);
        if (Date.now() > deadline) throw new Error('postgres did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  let child = await start();
  return {
    url,
    async crash() {
      // immediate shutdown: every backend quits at once without a checkpoint, and the next start runs crash recovery
      const c = child;
      c.kill('SIGQUIT');
      await exited(c);
    },
    async revive() {
      child = await start();
    },
    async stop() {
      const c = child;
      c.kill('SIGINT'); // fast shutdown
      await exited(c);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
