/**
 * Issue #15 §15: two platforms on one Redis server with different
 * `REDIS_PREFIX`es (as the README allows) see nothing of each other: not the
 * broker's sessions, queued messages, retained messages or wills, not the
 * rules feed, not the BullMQ jobs. Every key either writes carries its prefix.
 */
import type { IPublishPacket } from 'mqtt-packet';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeReadings, topics } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { rawConnect, type RawClient } from '../../../testkit/raw-mqtt.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let redis: Redis;
const platforms: Record<'one' | 'two', { platform: Platform; g: ProvisionedGateway }> = {} as never;
const open: RawClient[] = [];

beforeAll(async () => {
  svc = await startTestServices('prefix');
  redis = new Redis(svc.redis.url);
  for (const name of ['one', 'two'] as const) {
    // every part, so the rules feed, the snapshot and the BullMQ queues are written too
    const { platform } = await startTestPlatform(svc, name);
    const api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
    // the same ids on both: only the prefix keeps them apart
    platforms[name] = { platform, g: await provisionTankFarm(api, 'E1', 'G1') };
  }
}, 90_000);

afterAll(async () => {
  for (const c of open) c.destroy();
  for (const p of Object.values(platforms)) await p.platform.stop();
  redis?.disconnect();
  await svc?.stop();
});

const creds = (g: ProvisionedGateway) => ({ clientId: g.gatewayId, username: g.gatewayId, password: g.secret });

it("two platforms with different prefixes on one Redis see neither each other's sessions, retained messages, wills, feed nor jobs", async () => {
  const one = platforms.one;
  const two = platforms.two;
  // on platform one: a persistent session with a subscription, a retained status, a will, a reading, a queued command
  const will = { topic: topics.status('E1', 'G1'), payload: Buffer.from('{"v":1,"state":"offline"}'), qos: 1 as const, retain: true };
  const a = await rawConnect(one.platform.mqttPort, { ...creds(one.g), clean: false, will });
  open.push(a.c);
  expect(a.connack.returnCode).toBe(0);
  a.c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: topics.commands('E1', 'G1'), qos: 1 }] });
  await a.c.next('suback');
  a.c.send({
    cmd: 'publish',
    topic: topics.status('E1', 'G1'),
    payload: Buffer.from('{"v":1,"state":"online"}'),
    qos: 1,
    messageId: 2,
    dup: false,
    retain: true,
  });
  await a.c.next('puback');
  const reading = encodeReadings([{ sensor: 'GT-101', value: 3, unit: '%LEL', quality: 'good', ts: Date.now() }]);
  a.c.send({ cmd: 'publish', topic: topics.readings('E1', 'G1'), payload: Buffer.from(reading), qos: 1, messageId: 3, dup: false, retain: false });
  await a.c.next('puback');
  expect(await redis.llen('one:mqtt:will')).toBe(1);
  a.c.destroy(); // no DISCONNECT: the will is published
  await expect.poll(() => redis.llen('one:mqtt:will'), { timeout: 5000 }).toBe(0);
  await one.platform.sendCommand('E1', 'G1', 'reboot', { at: 1 });

  // the same gateway id on platform two: no session, nothing queued, nothing retained from platform one
  const b = await rawConnect(two.platform.mqttPort, { ...creds(two.g), clean: false });
  open.push(b.c);
  expect(b.connack.returnCode).toBe(0);
  expect(b.connack.sessionPresent).toBe(false);
  b.c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: topics.commands('E1', 'G1'), qos: 1 }] });
  await b.c.next('suback');
  b.c.send({ cmd: 'pingreq' });
  await b.c.next('pingresp');
  expect(b.c.received.filter((p): p is IPublishPacket => p.cmd === 'publish')).toHaveLength(0);
  expect(await redis.hexists('one:mqtt:retained', topics.status('E1', 'G1'))).toBe(1);
  expect(await redis.hexists('two:mqtt:retained', topics.status('E1', 'G1'))).toBe(0);
  expect(await redis.llen('one:mqtt:outgoing:G1')).toBe(1);
  expect(await redis.exists('two:mqtt:outgoing:G1')).toBe(0);
  // the reading went into platform one's rules feed only
  expect(await redis.xlen('one:rules:feed')).toBeGreaterThan(0);
  const feedTwo = await redis.xrange('two:rules:feed', '-', '+');
  expect(feedTwo.flatMap(([, fields]) => fields).join(' ')).not.toContain('GT-101');

  // every key on the server belongs to one platform or the other
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ count: 1000 }) as AsyncIterable<string[]>) keys.push(...batch);
  expect(keys.length).toBeGreaterThan(10);
  expect(keys.filter((k) => !k.startsWith('one:') && !k.startsWith('two:'))).toEqual([]);
  expect(keys.some((k) => k.startsWith('one:bull:'))).toBe(true);
  expect(keys.some((k) => k.startsWith('two:bull:'))).toBe(true);
  b.c.destroy();
});

it('an upgraded broker takes over the sessions it kept without the prefix before: the queued command is delivered', async () => {
  // a gateway's persistent session with one queued command, in the layout of before the fix (no prefix)
  const { platform } = await startTestPlatform(svc, 'legacy', { parts: ['gateway', 'api'] });
  const api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
  const g = await provisionTankFarm(api, 'E-L', 'G-L');
  const a = await rawConnect(platform.mqttPort, { ...creds(g), clean: false });
  open.push(a.c);
  a.c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: topics.commands('E-L', 'G-L'), qos: 1 }] });
  await a.c.next('suback');
  a.c.send({ cmd: 'disconnect' });
  await a.c.closed;
  await platform.sendCommand('E-L', 'G-L', 'reboot', { n: 7 });
  await platform.stop();
  const ours: string[] = [];
  for await (const batch of redis.scanStream({ match: 'legacy:mqtt:*', count: 1000 }) as AsyncIterable<string[]>) ours.push(...batch);
  const moved = ours.filter((k) => k !== 'legacy:mqtt:packet-blocks');
  expect(moved.length).toBeGreaterThan(3);
  for (const k of moved) await redis.rename(k, k.slice('legacy:mqtt:'.length));

  const { platform: upgraded, logs } = await startTestPlatform(svc, 'legacy', { parts: ['gateway', 'api'] });
  try {
    expect(logs.find((l) => l.msg === 'moved broker sessions of the unprefixed layout under the prefix')?.moved).toBe(moved.length);
    const b = await rawConnect(upgraded.mqttPort, { ...creds(g), clean: false });
    open.push(b.c);
    expect(b.connack.sessionPresent).toBe(true);
    const p = await b.c.next('publish');
    expect(JSON.parse(p.payload.toString())).toEqual({ n: 7 });
    b.c.destroy();
  } finally {
    await upgraded.stop();
  }
});
