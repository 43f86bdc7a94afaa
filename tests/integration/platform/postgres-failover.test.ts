/**
 * PostgreSQL fails over to a promoted replica behind the balancer (issue #19
 * §4): the platform reaches PostgreSQL through HAProxy (TCP), in front of a
 * primary and its streaming replica (a backup server: used while the primary
 * does not answer). The primary dies (immediate shutdown, as a crash), the
 * replica is promoted; the platform carries on, on the same address:
 *
 * - what was committed before is there (replicated);
 * - the API writes the ledger again (a gateway provisioned after);
 * - a gateway turned away meanwhile (CONNACK 3) gets in once it is promoted,
 *   and its status and an alarm of the rules are written there.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeReadings, topics } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm } from '../../../testkit/fixtures.ts';
import { startTcpBalancer } from '../../../testkit/haproxy.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startPostgres, type TestPostgres } from '../../../testkit/postgres.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let primary: TestPostgres;
let replica: TestPostgres;
let balancer: { port: number; stop(): Promise<void> };
let platform: Platform;

beforeAll(async () => {
  [svc, primary] = await Promise.all([startTestServices('pgfail'), startPostgres()]);
  replica = await startPostgres({ replicaOf: primary });
  balancer = await startTcpBalancer([
    { name: 'primary', port: primary.port },
    { name: 'replica', port: replica.port, backup: true },
  ]);
  ({ platform } = await startTestPlatform(svc, 'pgfail', {
    databaseUrl: `postgres://postgres@127.0.0.1:${balancer.port}/postgres`,
    parts: ['gateway', 'rules', 'api'],
  }));
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await balancer?.stop();
  await replica?.stop();
  await primary?.stop().catch(() => undefined);
  await svc?.stop();
});

describe('PostgreSQL failover to a promoted replica behind the balancer', () => {
  it('carries on: the ledger from before is there, the API provisions, a status and an alarm are written on the new primary', async () => {
    const api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
    const before = await provisionTankFarm(api, 'E-PF1', 'G-PF1');
    // the replica has it (streaming replication) before the primary goes
    await expect
      .poll(async () => {
        const c = new pg.Client({ connectionString: replica.url });
        await c.connect();
        try {
          return (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM gateways WHERE id = 'G-PF1'")).rows[0]!.n;
        } finally {
          await c.end();
        }
      })
      .toBe(1);

    await primary.crash();
    // meanwhile a gateway is turned away (CONNACK 3, server unavailable: its ledger entry cannot be read), as it retries
    await expect(connect(platform.mqttPort, { clientId: before.gatewayId, username: before.gatewayId, password: before.secret })).rejects.toThrow(
      /Server unavailable/,
    );
    await replica.promote();
    // it gets in once the replica is the primary, on the same address
    let c: Awaited<ReturnType<typeof connect>> | undefined;
    await expect
      .poll(
        async () => {
          c = await connect(platform.mqttPort, { clientId: before.gatewayId, username: before.gatewayId, password: before.secret }).catch(() => undefined);
          return c !== undefined;
        },
        { timeout: 30_000 },
      )
      .toBe(true);

    // the API writes the ledger again on the same address (its first requests may meet the dead connections: retried)
    await expect
      .poll(
        async () =>
          (await api.request('POST', '/api/v1/enterprises', { id: 'E-PF2', name: '企业 E-PF2', sector: 'hazardous_chemicals', authorityId: 'city-1' })).status,
        { timeout: 30_000 },
      )
      .toBe(201);
    const status = async () => (await platform.db.query<{ status: string }>('SELECT status FROM gateways WHERE id = $1', [before.gatewayId])).rows[0]?.status;
    await expect.poll(status, { timeout: 30_000 }).toBe('online');

    // a leak: the rules write its alarm on the new primary
    for (let i = 0; i < 3; i++) {
      await publish(
        c!,
        topics.readings(before.enterpriseId, before.gatewayId),
        encodeReadings([{ sensor: 'GT-101', value: 30, unit: '%LEL', quality: 'good', ts: Date.now() - 3000 + i * 1000 }]),
      );
    }
    const alarms = async () =>
      Number((await platform.db.query<{ n: string }>("SELECT count(*) AS n FROM alerts WHERE enterprise_id = 'E-PF1' AND rule_id LIKE 'gas.%'")).rows[0]!.n);
    await expect.poll(alarms, { timeout: 30_000 }).toBe(1);
    c!.end(true);
  });
});
