/**
 * The whole platform on Redis behind Sentinel (issue #19 §4; config `redisSentinels` / `redisMasterName`, no
 * `redisUrl`): a gateway's reading is acknowledged once its rules-feed entry is on the replica; while the replica
 * does not answer, the reading is not acknowledged (the broker closes the connection, the gateway re-sends),
 * and the shortfall is counted.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeReadings, topics } from '../../../core/contract.ts';
import { feedKey } from '../../../core/feed.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { rawConnect, type RawClient } from '../../../testkit/raw-mqtt.ts';
import { startSentinelGroup, type SentinelGroup } from '../../../testkit/sentinel.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const NAME = 'sentinelplat';
let svc: TestServices;
let group: SentinelGroup;
let platform: Platform;
let g: ProvisionedGateway;
let replica: Redis;
const open: RawClient[] = [];

beforeAll(async () => {
  [svc, group] = await Promise.all([startTestServices(NAME), startSentinelGroup(NAME)]);
  // the time a reading waits for the replica: 500 ms here (the platform's default is 1000)
  ({ platform } = await startTestPlatform(svc, NAME, {
    redisUrl: undefined,
    redisSentinels: group.sentinels,
    redisMasterName: group.masterName,
    redisAckTimeoutMs: 500,
  }));
  g = await provisionTankFarm(new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken), 'E1', 'G1');
  replica = new Redis({ port: group.servers[1]!.port, host: '127.0.0.1', maxRetriesPerRequest: 1 }).on('error', () => undefined);
}, 60_000);

afterAll(async () => {
  for (const c of open) c.destroy();
  group?.servers[1]?.child?.kill('SIGCONT');
  await platform?.stop();
  replica?.disconnect();
  await Promise.all([svc?.stop(), group?.stop()]);
});

const publishReading = (c: RawClient, messageId: number, value: number) =>
  c.send({
    cmd: 'publish',
    topic: topics.readings('E1', 'G1'),
    payload: Buffer.from(encodeReadings([{ sensor: 'GT-101', value, unit: '%LEL', quality: 'good', ts: Date.now() }])),
    qos: 1,
    messageId,
    dup: false,
    retain: false,
  });
const shortfalls = async (): Promise<number> => {
  const m = await platform.metrics.registry.getSingleMetric('nss_rules_feed_replication_shortfalls_total')?.get();
  return m?.values.filter((v) => v.labels.reason === 'timeout').reduce((s, v) => s + v.value, 0) ?? 0;
};

it('a reading is acknowledged once its rules-feed entry is on the replica, and not while the replica is silent', async () => {
  const { c, connack } = await rawConnect(platform.mqttPort, { clientId: g.gatewayId, username: g.gatewayId, password: g.secret });
  open.push(c);
  expect(connack.returnCode).toBe(0);
  publishReading(c, 1, 4.25);
  await c.next('puback');
  // acknowledged: the replica already holds the entry
  const onReplica = (await replica.xrange(feedKey(`${NAME}:`), '-', '+')).map(([, f]) => f[1] ?? '');
  expect(onReplica.some((m) => m.includes('4.25'))).toBe(true);

  const before = await shortfalls();
  group.servers[1]!.child!.kill('SIGSTOP');
  try {
    publishReading(c, 2, 5.5);
    // no PUBACK: the broker closes the connection (the gateway re-sends after reconnecting)
    await c.closed;
    expect(c.received.filter((p) => p.cmd === 'puback').map((p) => (p as { messageId?: number }).messageId)).toEqual([1]);
    expect(await shortfalls()).toBe(before + 1);
  } finally {
    group.servers[1]!.child!.kill('SIGCONT');
  }

  // the replica back: the re-sent reading is acknowledged
  const again = await rawConnect(platform.mqttPort, { clientId: g.gatewayId, username: g.gatewayId, password: g.secret });
  open.push(again.c);
  publishReading(again.c, 2, 5.5);
  await again.c.next('puback');
}, 30_000);
