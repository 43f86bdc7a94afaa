/**
 * Protocol-level fuzzing of the MQTT gateway (issue #6 §3): sequences of real
 * MQTT 3.1.1 packets (mqtt-packet) — CONNECTs with random ids, clean or
 * persistent sessions and wrong credentials, PUBLISHes, SUBSCRIBEs — glued
 * together and mutated (bit flips, truncation, a forged remaining length,
 * invalid UTF-8, trailing junk) are written to raw sockets. Between batches a
 * provisioned gateway makes a real round trip (QoS 1 publish → PUBACK). At
 * the end: the broker is alive, nothing unauthenticated was stored, every
 * legitimate reading was, and no session was left behind for the random ids.
 */
import { Redis } from 'ioredis';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeReadings, topics } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { countReadings, provisionTankFarm } from '../../../testkit/fixtures.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { sendAndHalfClose } from '../../../testkit/raw-mqtt.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let legit: MqttClient;
let legitReadings = 0;

beforeAll(async () => {
  svc = await startTestServices('fuzz-mqtt');
  ({ platform } = await startTestPlatform(svc, 'fuzz-mqtt', { parts: ['gateway', 'api'] }));
  const gw = await provisionTankFarm(new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken), 'E1', 'G1');
  legit = await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: gw.secret });
}, 60_000);

afterAll(async () => {
  legit?.end(true);
  await platform?.stop();
  await svc?.stop();
});

/** One real round trip of the provisioned gateway: a reading published at QoS 1 and acknowledged. */
async function roundTrip(): Promise<void> {
  await publish(
    legit,
    topics.readings('E1', 'G1'),
    encodeReadings([{ sensor: 'GT-101', value: 1 + (legitReadings % 7), unit: '%LEL', quality: 'good', ts: Date.now() - legitReadings }]),
  );
  legitReadings++;
}

/** Client ids: recognisable random ones (checked for left-over sessions), the provisioned gateway's own, and arbitrary strings. */
const randomIds = new Set<string>();
const id = fc.oneof(
  fc.stringMatching(/^fz[A-Za-z0-9]{8,20}$/).map((s) => (randomIds.add(s), s)),
  fc.constant('G1'),
  fc.string({ maxLength: 30 }),
);
const connectPkt = fc
  .record({
    clientId: id,
    clean: fc.boolean(),
    user: fc.option(id),
    password: fc.option(fc.uint8Array({ maxLength: 40 })),
    keepalive: fc.integer({ min: 0, max: 65535 }),
  })
  .map((c) =>
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: c.clientId,
      clean: c.clean || c.clientId === '', // mqtt-packet will not write an empty id with a persistent session
      keepalive: c.keepalive,
      ...(c.user !== null ? { username: c.user } : {}),
      ...(c.user !== null && c.password !== null ? { password: Buffer.from(c.password) } : {}),
    }),
  );
const topic = fc.oneof(
  fc.constant(topics.readings('E1', 'G1')),
  fc.constant('v1/E1/G2/readings'),
  fc.constant('#'),
  fc.string({ minLength: 1, maxLength: 40 }),
);
const publishPkt = fc
  .record({ topic, payload: fc.uint8Array({ maxLength: 300 }), qos: fc.constantFrom(0, 1, 2), retain: fc.boolean() })
  .map((p) =>
    mqttPacket.generate({
      cmd: 'publish',
      topic: p.topic,
      payload: Buffer.from(p.payload),
      qos: p.qos,
      retain: p.retain,
      dup: false,
      messageId: 7,
    }),
  );
const subscribePkt = topic.map((t) => mqttPacket.generate({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: t, qos: 1 }] }));
const otherPkt = fc.constantFrom(
  mqttPacket.generate({ cmd: 'pingreq' }),
  mqttPacket.generate({ cmd: 'disconnect' }),
  Buffer.from([0xf0, 0x00]) /* reserved type */,
);

const mutation = fc.oneof(
  fc.constant((b: Buffer) => b),
  fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }).map(({ at, bit }) => (b: Buffer) => {
    const c = Buffer.from(b);
    if (c.length > 0) c[at % c.length]! ^= 1 << bit;
    return c;
  }),
  fc.nat().map((n) => (b: Buffer) => b.subarray(0, b.length === 0 ? 0 : n % b.length)),
  // a forged remaining length: four continuation bytes (malformed) or a huge length
  fc
    .constantFrom(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]), Buffer.from([0xff, 0xff, 0xff, 0x7f]))
    .map((rl) => (b: Buffer) => Buffer.concat([b.subarray(0, 1), rl, b.subarray(2)])),
  // invalid UTF-8 where a string starts
  fc.constant((b: Buffer) => {
    const c = Buffer.from(b);
    if (c.length > 6) c.set([0xc3, 0x28], 4);
    return c;
  }),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((junk) => (b: Buffer) => Buffer.concat([b, Buffer.from(junk)])),
);

const session = fc.tuple(connectPkt, fc.array(fc.oneof(publishPkt, subscribePkt, otherPkt), { maxLength: 5 }), mutation, fc.boolean());

describe('the MQTT gateway under malformed and hostile packets', () => {
  it('stays alive, serves the provisioned gateway, and lets nothing unauthenticated through', async () => {
    let held = 0;
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(session, async ([c, rest, mutate, mutateWhole]) => {
        const glued = Buffer.concat([c, ...rest]);
        // mutate the glued stream, or only the packets after the CONNECT
        const bytes = mutateWhole ? mutate(glued) : Buffer.concat([c, mutate(Buffer.concat(rest))]);
        if ((await sendAndHalfClose(platform.mqttPort, bytes)) === 'held') held++;
        if (++cases % 25 === 0) await roundTrip();
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
    await roundTrip();
    // a connection the client half-closed must not be held open by the broker
    expect(held).toBe(0);
    // every legitimate reading stored (acknowledged = stored); nothing else (the fuzz never had G1's secret)
    expect(await countReadings(platform.influx)).toBe(legitReadings);
    // no session, subscription or will was kept for any refused client id
    const redis = new Redis(svc.redis.url);
    const keys = await redis.keys('*');
    redis.disconnect();
    expect(randomIds.size).toBeGreaterThan(10);
    expect(keys.filter((k) => [...randomIds].some((i) => k.includes(i)))).toEqual([]);
  }, 300_000);
});
