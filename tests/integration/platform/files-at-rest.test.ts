/**
 * Files at rest: everything the platform keeps on disk is its user's only —
 * directories 0700, files 0600 — whatever the umask: PGlite's data (whose
 * initdb writes 0666 files), the data dir with the admin token, and the local
 * Redis and InfluxDB the project starts.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config.ts';
import { openDb } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import { loosePaths } from '../../../core/private-fs.ts';
import { resolveAdminToken } from '../../../platform/platform.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices } from '../../../testkit/services.ts';

const logger = createLogger({ level: 'silent' });
const octal = (mode: number) => `0${mode.toString(8)}`;
/** The loose paths, readable in a failure message. */
const loose = (root: string) => loosePaths(root).map((p) => `${octal(p.mode)} ${p.kind} ${p.path.slice(root.length)}`);

let dir: string;
let previousUmask: number;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nss-at-rest-'));
  // the permissive umask of many containers and CI runners: modes must not depend on it
  previousUmask = process.umask(0o000);
});
afterAll(() => {
  process.umask(previousUmask);
  rmSync(dir, { recursive: true, force: true });
});

describe('PGlite data is private', () => {
  it('openDb leaves every PGlite directory 0700 and every file 0600, after open and after close', async () => {
    const pgliteDir = join(dir, 'fresh', 'pglite');
    const db = await openDb({ pgliteDir, logger });
    expect(loose(join(dir, 'fresh'))).toEqual([]);
    await db.exec(`CREATE TABLE at_rest (id int PRIMARY KEY, v text); INSERT INTO at_rest SELECT g, repeat('x', 100) FROM generate_series(1, 2000) g`);
    await db.close();
    expect(loose(join(dir, 'fresh'))).toEqual([]);
    // the test means something: PGlite wrote files there
    expect(statSync(join(pgliteDir, 'PG_VERSION')).isFile()).toBe(true);
  });

  it('a PGlite directory written 0666 (PGlite alone, or before this fix) is made private when openDb opens it', async () => {
    const pgliteDir = join(dir, 'legacy');
    const raw = await PGlite.create(pgliteDir);
    await raw.close();
    expect(loosePaths(pgliteDir).filter((p) => p.kind === 'file' && p.mode === 0o666).length).toBeGreaterThan(100);
    const db = await openDb({ pgliteDir, logger });
    expect(loose(pgliteDir)).toEqual([]);
    await db.close();
  });
});

describe('the data dir is private', () => {
  it('resolveAdminToken creates the data dir 0700 and writes admin-token 0600', () => {
    const dataDir = join(dir, 'data-new');
    const config = parseConfig({ dataDir, redisUrl: 'redis://127.0.0.1:1', influx: { url: 'http://127.0.0.1:1' } });
    resolveAdminToken(config);
    expect(loose(dataDir)).toEqual([]);
  });

  it('an existing data dir and admin-token readable by others are made private', () => {
    const dataDir = join(dir, 'data-old');
    mkdirSync(dataDir, { mode: 0o755 });
    writeFileSync(join(dataDir, 'admin-token'), 'kQ7vZ2xN9pLw4RtY8mHc3JbF6sDg1AeU\n', { mode: 0o644 });
    chmodSync(dataDir, 0o755);
    const config = parseConfig({ dataDir, redisUrl: 'redis://127.0.0.1:1', influx: { url: 'http://127.0.0.1:1' } });
    expect(resolveAdminToken(config)).toBe('kQ7vZ2xN9pLw4RtY8mHc3JbF6sDg1AeU');
    expect(loose(dataDir)).toEqual([]);
  });

  it('a stored admin token that is weak is refused, naming the file and the command that makes a good one', () => {
    const dataDir = join(dir, 'data-weak');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'admin-token'), 'change-me-admin-token-please\n');
    const config = parseConfig({ dataDir, redisUrl: 'redis://127.0.0.1:1', influx: { url: 'http://127.0.0.1:1' } });
    expect(() => resolveAdminToken(config)).toThrow(/admin-token.*placeholder.*openssl rand/s);
  });
});

describe('a platform on PGlite with the local Redis and InfluxDB keeps everything private', () => {
  it('after start and stop, every directory under the services and the data dir is 0700 and every file 0600', async () => {
    const svc = await startTestServices('at-rest');
    try {
      // no admin token configured: the platform generates var/admin-token
      const { platform } = await startTestPlatform(svc, 'atrest', { http: { host: '127.0.0.1', port: 0 } });
      await fetch(`http://127.0.0.1:${platform.httpPort}/api/v1/gateways`, { headers: { authorization: `Bearer ${platform.adminToken}` } });
      await platform.stop();
      await Promise.all([svc.redis.stop(), svc.influx.stop()]);
      expect(statSync(join(svc.dir, 'platform-atrest', 'admin-token')).isFile()).toBe(true);
      expect(statSync(join(svc.dir, 'redis', 'redis.log')).isFile()).toBe(true);
      expect(loose(svc.dir)).toEqual([]);
    } finally {
      await svc.stop();
    }
  });
});
