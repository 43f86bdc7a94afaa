import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Logger } from '../logger.ts';
import { ensurePrivateDir, makeTreePrivate } from '../private-fs.ts';
import { migrate } from './migrations.ts';
import type { Db, Queryable } from './types.ts';

export type { Db, Queryable };

class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  /** `dir`: the data directory on disk, made private again at close (undefined in memory). */
  constructor(
    private readonly pglite: PGlite,
    private readonly dir?: string,
  ) {}
  async query<T extends object>(sql: string, params: unknown[] = []): Promise<{ rows: T[] }> {
    const r = await this.pglite.query<T>(sql, params);
    return { rows: r.rows };
  }
  async exec(sql: string): Promise<void> {
    await this.pglite.exec(sql);
  }
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pglite.transaction(async (tx) =>
      fn({ query: async <R extends object>(sql: string, params: unknown[] = []) => ({ rows: (await tx.query<R>(sql, params)).rows }) }),
    );
  }
  async close(): Promise<void> {
    if (this.pglite.closed) return;
    await this.pglite.close();
    // files PostgreSQL created while running through fopen (pg_internal.init, statistics) come out 0644
    if (this.dir) makeTreePrivate(this.dir);
  }
}

class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  constructor(private readonly pool: pg.Pool) {}
  async query<T extends object>(sql: string, params: unknown[] = []): Promise<{ rows: T[] }> {
    const r = await this.pool.query(sql, params);
    return { rows: r.rows as T[] };
  }
  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out client has no listener of the pool's: if the server goes away between two statements of the
    // transaction, its 'error' event would otherwise crash the process (found by tests/integration/platform/faults.test.ts).
    let broken: Error | undefined;
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <R extends object>(sql: string, params: unknown[] = []) => ({ rows: (await client.query(sql, params)).rows as R[] }),
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.off('error', onError);
      // a broken connection is closed rather than handed out again
      client.release(broken);
    }
  }
  private closed = false;
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * Opens the database: a PostgreSQL server when `databaseUrl` is given, else
 * PGlite in `dir` (or in memory when `dir` is `memory://`). Runs migrations.
 * PGlite's directory is kept private: 0700 directories and 0600 files after
 * open and after close (its initdb writes 0666 files whatever the umask).
 */
export async function openDb(opts: { databaseUrl?: string | undefined; pgliteDir: string; logger: Logger }): Promise<Db> {
  let db: Db;
  /** PGlite's directory on disk, kept private. */
  let privateDir: string | undefined;
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    pool.on('error', (err) => opts.logger.error({ err }, 'postgres pool error'));
    db = new PostgresDb(pool);
  } else {
    if (!opts.pgliteDir.startsWith('memory://')) privateDir = opts.pgliteDir;
    if (privateDir) ensurePrivateDir(privateDir);
    db = new PgliteDb(await PGlite.create(opts.pgliteDir), privateDir);
  }
  try {
    const applied = await migrate(db);
    if (applied.length > 0) opts.logger.info({ applied, kind: db.kind }, 'database migrated');
    if (privateDir) {
      const tightened = makeTreePrivate(privateDir);
      if (tightened > 0) opts.logger.info({ dir: privateDir, tightened }, 'PGlite files made private (0700 directories, 0600 files)');
    }
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
