/**
 * With DATABASE_URL set, the platform uses a PostgreSQL server — the same SQL
 * and migrations as embedded PGlite. Provisioning, authentication, ingest,
 * dead letters and gateway status all work against a real PostgreSQL 15.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeReadings, topics } from '../../../core/contract.ts';
import { MIGRATIONS } from '../../../core/db/migrations.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm, storedReadings, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startPostgres, type TestPostgres } from '../../../testkit/postgres.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let pgServer: TestPostgres;
let platform: Platform;
let gw: ProvisionedGateway;

beforeAll(async () => {
  [svc, pgServer] = await Promise.all([startTestServices('pg'), startPostgres()]);
  ({ platform } = await startTestPlatform(svc, 'pg', { databaseUrl: pgServer.url }));
  gw = await provisionTankFarm(new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken), 'E-PG', 'GW-PG');
});

afterAll(async () => {
  await platform?.stop();
  await Promise.all([svc?.stop(), pgServer?.stop()]);
});

describe('PostgreSQL server backend', () => {
  it('runs on PostgreSQL with every migration applied', async () => {
    expect(platform.db.kind).toBe('postgres');
    const { rows } = await platform.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('stores only a salted hash of the gateway secret', async () => {
    const { rows } = await platform.db.query<{ secret_hash: string }>('SELECT secret_hash FROM gateways WHERE id = $1', ['GW-PG']);
    expect(rows[0]?.secret_hash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(rows[0]?.secret_hash).not.toContain(gw.secret);
  });

  it('authenticates, stores readings and dead-letters bad items', async () => {
    const c = await connect(platform.mqttPort, { clientId: 'GW-PG', username: 'GW-PG', password: gw.secret });
    const ts = Date.now() - 1000;
    await publish(
      c,
      topics.readings('E-PG', 'GW-PG'),
      JSON.stringify({
        v: 1,
        readings: [
          { sensor: 'GT-101', value: 4.2, unit: '%LEL', quality: 'good', ts },
          { sensor: 'NOPE', value: 1, unit: 'x', quality: 'good', ts },
        ],
      }),
    );
    await publish(c, topics.readings('E-PG', 'GW-PG'), encodeReadings([{ sensor: 'GT-101', value: 4.3, unit: '%LEL', quality: 'good', ts: ts + 1 }]));
    c.end(true);
    expect(await storedReadings(platform.influx, 'E-PG', 'GT-101')).toEqual([
      [ts, 4.2, 'good'],
      [ts + 1, 4.3, 'good'],
    ]);
    const dl = await platform.db.query<{ reason_code: string; item_index: number }>('SELECT reason_code, item_index FROM dead_letters WHERE gateway_id = $1', [
      'GW-PG',
    ]);
    expect(dl.rows).toEqual([{ reason_code: 'unknown_sensor', item_index: 1 }]);
  });
});

describe('PostgreSQL server going away', () => {
  it('fails a transaction caught mid-way by a server crash without crashing the process, and works once the server is back', async () => {
    const db = platform.db;
    const failed = db.transaction(async (tx) => {
      await tx.query('SELECT 1');
      // the server dies between two statements of the transaction: the idle, checked-out connection is reset
      await pgServer.crash();
      await new Promise((resolve) => setImmediate(resolve));
      await tx.query('SELECT 2');
    });
    await expect(failed).rejects.toThrow();
    await pgServer.revive();
    await expect
      .poll(
        () =>
          db.query<{ n: number }>('SELECT 1 AS n').then(
            (r) => r.rows[0]?.n,
            () => undefined,
          ),
        { timeout: 30_000, interval: 100 },
      )
      .toBe(1);
    expect(await db.transaction(async (tx) => (await tx.query<{ n: number }>('SELECT 3 AS n')).rows[0]?.n)).toBe(3);
  });
});
