/**
 * MQTT 3.1.1 conformance of the gateway broker (issue #6 §3), in what any
 * client may rely on, not only what the project's own clients do: raw TCP
 * sockets and mqtt-packet so every byte is ours, and Debian's
 * mosquitto_sub as an independent client. Test names cite the normative
 * statements of the OASIS standard (mqtt-v3.1.1-os). Where the platform
 * deliberately departs from a MAY or SHOULD for security, the test asserts
 * the behaviour the README's gateway contract documents ("Connecting").
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqttPacket, { type IPublishPacket } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeReadings, topics } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import { ensureBinary } from '../../../platform/local-services.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm, storedReadings, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { connectPacket, openRaw, rawConnect, type ConnectOptions, type RawClient } from '../../../testkit/raw-mqtt.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const run = promisify(execFile);

let svc: TestServices;
let platform: Platform;
let api: AdminClient;
let g1: ProvisionedGateway;
let g2: ProvisionedGateway;
const open: RawClient[] = [];

beforeAll(async () => {
  ensureBinary('mosquitto_pub');
  svc = await startTestServices('conformance');
  ({ platform } = await startTestPlatform(svc, 'conformance', { parts: ['gateway', 'api'] }));
  api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
  g1 = await provisionTankFarm(api, 'E1', 'G1');
  const created = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'G2', enterpriseId: 'E1' });
  g2 = { enterpriseId: 'E1', gatewayId: 'G2', secret: created.secret };
}, 60_000);

afterAll(async () => {
  for (const c of open) c.destroy();
  await platform?.stop();
  await svc?.stop();
});

const port = () => platform.mqttPort;
const creds = (g: ProvisionedGateway) => ({ clientId: g.gatewayId, username: g.gatewayId, password: g.secret });

/** Connects raw, expects CONNACK 0 and returns the client (closed after the file). */
async function accepted(o: ConnectOptions) {
  const r = await rawConnect(port(), o);
  open.push(r.c);
  expect(r.connack.returnCode).toBe(0);
  return r;
}

/** Connects raw and returns the CONNACK's return code and whether the broker then closed the connection. */
async function refusedWith(o: ConnectOptions | Buffer): Promise<{ returnCode: number | undefined; sessionPresent: boolean | undefined; closed: boolean }> {
  const c = await openRaw(port());
  open.push(c);
  c.send(Buffer.isBuffer(o) ? o : connectPacket(o));
  const connack = await c.next('connack').catch(() => undefined);
  return { returnCode: connack?.returnCode, sessionPresent: connack?.sessionPresent, closed: await c.closedWithin(5000) };
}

/** A CONNECT's bytes with one byte of the variable header changed (offset from the protocol name's length field). */
function patchedConnect(o: ConnectOptions, at: 'level' | 'flags', f: (b: number) => number): Buffer {
  const b = mqttPacket.generate(connectPacket(o));
  const i = 2 /* fixed header, remaining length < 128 */ + 6 /* 00 04 M Q T T */ + (at === 'level' ? 0 : 1);
  b[i] = f(b[i]!);
  return b;
}

/** Ends a connection gracefully (DISCONNECT) or not (the socket destroyed), and waits for the close. */
async function end(c: RawClient, how: 'disconnect' | 'drop'): Promise<void> {
  if (how === 'disconnect') c.send({ cmd: 'disconnect' });
  else c.destroy();
  await c.closed;
}

/** Round trip on an accepted connection: PINGREQ answered by PINGRESP. */
async function pingPong(c: RawClient): Promise<void> {
  c.send({ cmd: 'pingreq' });
  await c.next('pingresp');
}

const reading = (value: number, ts = Date.now()) => encodeReadings([{ sensor: 'GT-101', value, unit: '%LEL', quality: 'good', ts }]);
const storedValues = async () => (await storedReadings(platform.influx, 'E1', 'GT-101')).map(([, v]) => v);

describe('CONNECT and CONNACK', () => {
  it('closes the connection when the first packet is not a CONNECT [MQTT-3.1.0-1]', async () => {
    const c = await openRaw(port());
    open.push(c);
    c.send({ cmd: 'pingreq' });
    expect(await c.closedWithin(5000)).toBe(true);
    expect(c.received).toEqual([]);
  });

  it('closes the connection on a second CONNECT [MQTT-3.1.0-2]', async () => {
    const { c } = await accepted(creds(g1));
    c.send(connectPacket(creds(g1)));
    expect(await c.closedWithin(5000)).toBe(true);
    expect(c.received.map((p) => p.cmd)).toEqual(['connack']);
  });

  it.each([
    ['MQTT 5 (level 5)', 5],
    ['an unknown level 6', 6],
    ['level 2', 2],
  ])('answers CONNACK 0x01 to %s, then closes [MQTT-3.1.2-2, MQTT-3.2.2-5]', async (_label, level) => {
    const r = await refusedWith(patchedConnect(creds(g1), 'level', () => level));
    expect(r).toEqual({ returnCode: 1, sessionPresent: false, closed: true });
  });

  it('closes the connection when the reserved CONNECT flag is set [MQTT-3.1.2-3]', async () => {
    const r = await refusedWith(patchedConnect(creds(g1), 'flags', (f) => f | 0x01));
    expect(r).toEqual({ returnCode: undefined, sessionPresent: undefined, closed: true });
  });

  it('answers 0x02 to a zero-length client id with clean session 0, then closes [MQTT-3.1.3-8, MQTT-3.2.2-5]', async () => {
    // mqtt-packet will not write this (it is a protocol error), so clear the clean flag of a clean one
    const bytes = patchedConnect({ ...creds(g1), clientId: '', clean: true }, 'flags', (f) => f & ~0x02);
    expect(await refusedWith(bytes)).toEqual({ returnCode: 2, sessionPresent: false, closed: true });
  });

  it('answers 0x02 to a zero-length client id with clean session 1: the client id must be the gateway id (documented) [MQTT-3.1.3-9]', async () => {
    expect(await refusedWith({ ...creds(g1), clientId: '', clean: true })).toEqual({ returnCode: 2, sessionPresent: false, closed: true });
  });

  it('answers 0x02 to a client id that is not the user name (documented) [MQTT-3.1.3-9]', async () => {
    expect(await refusedWith({ ...creds(g1), clientId: 'G2' })).toEqual({ returnCode: 2, sessionPresent: false, closed: true });
  });

  it.each([
    ['a wrong password', () => ({ ...creds(g1), password: 'wrong' })],
    ['an unknown user name', () => ({ clientId: 'GX', username: 'GX', password: 'x' })],
    ['no credentials', () => ({ clientId: 'G1' })],
  ])('answers 0x04 to %s, then closes [MQTT-3.2.2-5]', async (_label, o) => {
    expect(await refusedWith(o())).toEqual({ returnCode: 4, sessionPresent: false, closed: true });
  });

  it('answers 0x05 to a disabled gateway, then closes [MQTT-3.2.2-5]', async () => {
    const created = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'G9', enterpriseId: 'E1' });
    await api.request('POST', '/api/v1/gateways/G9/disable');
    await expect
      .poll(async () => (await refusedWith({ clientId: 'G9', username: 'G9', password: created.secret })).returnCode, { timeout: 10_000, interval: 100 })
      .toBe(5);
    expect(await refusedWith({ clientId: 'G9', username: 'G9', password: created.secret })).toEqual({ returnCode: 5, sessionPresent: false, closed: true });
  });

  it('refuses a keepalive above the 600 s limit with 0x02, a defined return code, not a reserved one (documented) [MQTT-3.2.2-6]', async () => {
    expect(await refusedWith({ ...creds(g1), keepalive: 601 })).toEqual({ returnCode: 2, sessionPresent: false, closed: true });
  });

  it('accepts keepalive 0 (keep alive off), as standard clients such as the Paho interoperability suite send it [MQTT-3.1.2-10 ff.]', async () => {
    const { c, connack } = await accepted({ ...creds(g1), keepalive: 0 });
    expect(connack.returnCode).toBe(0);
    c.send({ cmd: 'pingreq' });
    await c.next('pingresp');
    c.destroy();
  });

  it('answers CONNACK 0 with session present 0 for clean session 1 [MQTT-3.2.2-1]', async () => {
    const { c, connack } = await accepted({ ...creds(g1), clean: true });
    expect(connack.sessionPresent).toBe(false);
    c.destroy();
  });
});

describe('sessions', () => {
  const cmdFilter = topics.commands('E1', 'G2');

  async function subscribeCommands(c: RawClient): Promise<void> {
    c.send({ cmd: 'subscribe', messageId: 11, subscriptions: [{ topic: cmdFilter, qos: 1 }] });
    expect((await c.next('suback')).granted).toEqual([1]);
  }

  /** G2's persistent session subscribed to its commands, left with a DISCONNECT. */
  async function offlineSubscriber(): Promise<void> {
    const a = await accepted({ ...creds(g2), clean: false });
    await subscribeCommands(a.c);
    await end(a.c, 'disconnect');
  }

  it('reports session present 0 for a new persistent session, 1 when resuming it [MQTT-3.2.2-2, MQTT-3.2.2-3]', async () => {
    const first = await accepted({ ...creds(g2), clean: true }); // start from no session
    await end(first.c, 'drop');
    const fresh = await accepted({ ...creds(g2), clean: false });
    expect(fresh.connack.sessionPresent).toBe(false);
    await subscribeCommands(fresh.c);
    await end(fresh.c, 'disconnect');
    const resumed = await accepted({ ...creds(g2), clean: false });
    expect(resumed.connack.sessionPresent).toBe(true);
    await end(resumed.c, 'disconnect');
  });

  it('reports session present 1 for a persistent session that has no subscription [MQTT-3.2.2-2]', async () => {
    const a = await accepted({ ...creds(g1), clean: true });
    await end(a.c, 'drop');
    const b = await accepted({ ...creds(g1), clean: false });
    expect(b.connack.sessionPresent).toBe(false);
    await end(b.c, 'disconnect');
    const c = await accepted({ ...creds(g1), clean: false });
    expect(c.connack.sessionPresent).toBe(true);
    await end(c.c, 'drop');
    const d = await accepted({ ...creds(g1), clean: true });
    await end(d.c, 'drop');
  });

  it('regression: a persistent session left right after its CONNACK is present at once on the next CONNECT, every time [MQTT-3.2.2-2]', async () => {
    for (let i = 0; i < 40; i++) {
      const first = await accepted({ ...creds(g1), clean: true }); // a fresh start each round
      await end(first.c, 'drop');
      const b = await accepted({ ...creds(g1), clean: false });
      expect(b.connack.sessionPresent).toBe(false);
      await end(b.c, 'disconnect');
      const c = await accepted({ ...creds(g1), clean: false });
      expect(c.connack.sessionPresent, `round ${i}`).toBe(true);
      await end(c.c, 'drop');
    }
    const d = await accepted({ ...creds(g1), clean: true });
    await end(d.c, 'drop');
  });

  it('queues QoS 1 commands for an offline persistent subscriber and delivers them on reconnect [MQTT-3.1.2-5]', async () => {
    await offlineSubscriber();
    await platform.sendCommand('E1', 'G2', 'reboot', { n: 1 });
    await platform.sendCommand('E1', 'G2', 'calibrate', { n: 2 });
    const b = await accepted({ ...creds(g2), clean: false });
    expect(b.connack.sessionPresent).toBe(true);
    const p1 = await b.c.next('publish');
    const p2 = await b.c.next('publish');
    expect([p1.topic, p2.topic]).toEqual(['v1/E1/G2/cmd/reboot', 'v1/E1/G2/cmd/calibrate']);
    expect([p1.qos, p2.qos, p1.dup, p2.dup]).toEqual([1, 1, false, false]);
    expect(JSON.parse(p2.payload.toString())).toEqual({ n: 2 });
    for (const p of [p1, p2]) b.c.send({ cmd: 'puback', messageId: p.messageId! });
    await pingPong(b.c);
    await end(b.c, 'disconnect');
  });

  it('re-sends an unacknowledged QoS 1 delivery on reconnect with DUP=1 and the same packet id; not after PUBACK [MQTT-4.4.0-1, MQTT-3.3.1-1]', async () => {
    const a = await accepted({ ...creds(g2), clean: false });
    await subscribeCommands(a.c);
    await platform.sendCommand('E1', 'G2', 'open-valve', { valve: 'V-IN' });
    const first = await a.c.next('publish');
    expect(first.dup).toBe(false);
    a.c.destroy(); // no PUBACK
    await a.c.closed;
    const b = await accepted({ ...creds(g2), clean: false });
    const again = await b.c.next('publish');
    expect({ topic: again.topic, dup: again.dup, messageId: again.messageId, qos: again.qos }).toEqual({
      topic: 'v1/E1/G2/cmd/open-valve',
      dup: true,
      messageId: first.messageId,
      qos: 1,
    });
    b.c.send({ cmd: 'puback', messageId: again.messageId! });
    await pingPong(b.c);
    await end(b.c, 'drop');
    const c = await accepted({ ...creds(g2), clean: false });
    await pingPong(c.c);
    expect(c.c.received.filter((p) => p.cmd === 'publish')).toEqual([]);
    await end(c.c, 'drop');
  });

  it('discards the previous session when clean session is 1 [MQTT-3.1.2-6]', async () => {
    await offlineSubscriber();
    await platform.sendCommand('E1', 'G2', 'discarded', {});
    const clean = await accepted({ ...creds(g2), clean: true });
    expect(clean.connack.sessionPresent).toBe(false);
    await pingPong(clean.c);
    await end(clean.c, 'disconnect');
    const b = await accepted({ ...creds(g2), clean: false });
    expect(b.connack.sessionPresent).toBe(false);
    await platform.sendCommand('E1', 'G2', 'not-subscribed', {});
    await pingPong(b.c);
    expect(b.c.received.filter((p) => p.cmd === 'publish')).toEqual([]);
    b.c.destroy();
  });

  it('disconnects the existing connection when the same client id connects again [MQTT-3.1.4-2]', async () => {
    const a = await accepted(creds(g1));
    const b = await accepted(creds(g1));
    expect(await a.c.closedWithin(5000)).toBe(true);
    await pingPong(b.c);
    b.c.destroy();
  });

  it('delivers to an independent persistent client (mosquitto_sub -c) the commands queued while it was offline', async () => {
    const args = ['-h', '127.0.0.1', '-p', String(port()), '-V', 'mqttv311', '-i', 'G2', '-u', 'G2', '-P', g2.secret, '-c', '-q', '1', '-t', cmdFilter];
    // the first run creates the session and its subscription; -W 1 makes it leave after a second
    await run('mosquitto_sub', [...args, '-W', '1']).catch((e: { code?: number }) => expect(e.code).toBe(27));
    await platform.sendCommand('E1', 'G2', 'while-offline', { hello: 'mosquitto' });
    const { stdout } = await run('mosquitto_sub', [...args, '-C', '1', '-v', '-W', '10']);
    expect(stdout.trim()).toBe('v1/E1/G2/cmd/while-offline {"hello":"mosquitto"}');
    const clean = await accepted({ ...creds(g2), clean: true });
    clean.c.destroy();
  });
});

describe('keep alive', () => {
  it('answers PINGREQ with PINGRESP [MQTT-3.12.4-1]', async () => {
    const { c } = await accepted(creds(g1));
    await pingPong(c);
    c.destroy();
  });

  it('disconnects a client silent for 1.5 × its keepalive, not before [MQTT-3.1.2-24]', async () => {
    // from the CONNECT, the last packet the broker received (the CONNACK comes after the secret check, which may take a while)
    const t0 = Date.now();
    const { c } = await accepted({ ...creds(g1), keepalive: 1 });
    await c.closed;
    const after = Date.now() - t0;
    expect(after).toBeGreaterThanOrEqual(1450);
    expect(after).toBeLessThan(4000);
  });

  it('keeps a client that sends a packet within its keepalive', async () => {
    const { c } = await accepted({ ...creds(g1), keepalive: 1 });
    for (let i = 0; i < 4; i++) await new Promise((r) => setTimeout(r, 700)).then(() => pingPong(c));
    expect(c.isClosed).toBe(false);
    c.destroy();
  });
});

describe('SUBSCRIBE, SUBACK, UNSUBSCRIBE', () => {
  it('answers one return code per filter in order, granted QoS ≤ requested, 0x80 for a refused filter, the others still granted [MQTT-3.8.4-1, MQTT-3.8.4-4, MQTT-3.8.4-5, MQTT-3.9.3-1]', async () => {
    const { c } = await accepted(creds(g1));
    c.send({
      cmd: 'subscribe',
      messageId: 4242,
      subscriptions: [
        { topic: 'v1/E1/G1/cmd/#', qos: 1 },
        { topic: '#', qos: 1 },
        { topic: 'v1/E1/G1/cmd/+', qos: 2 },
        { topic: 'v1/E1/G2/cmd/#', qos: 0 },
        { topic: 'v1/E1/G1/cmd/reboot', qos: 0 },
      ],
    });
    const suback = await c.next('suback');
    expect(suback.messageId).toBe(4242);
    expect(suback.granted).toHaveLength(5);
    expect(suback.granted[1]).toBe(128);
    expect(suback.granted[3]).toBe(128);
    const requested = [1, 1, 2, 0, 0];
    for (const i of [0, 2, 4]) expect(suback.granted[i]).toBeLessThanOrEqual(requested[i]!);
    expect(suback.granted[0]).toBe(1);
    expect(c.isClosed).toBe(false);
    await platform.sendCommand('E1', 'G1', 'reboot', {});
    const p = await c.next('publish');
    expect(p.topic).toBe('v1/E1/G1/cmd/reboot');
    c.destroy();
  });

  it.each([
    ['a/#/b', 'multi-level wildcard not last [MQTT-4.7.1-2]'],
    ['v1/E1/G1/cmd/a+', 'single-level wildcard not a whole level [MQTT-4.7.1-3]'],
    ['v1/E1/G1/cmd/#x', 'multi-level wildcard inside a level [MQTT-4.7.1-2]'],
    ['', 'empty filter [MQTT-4.7.3-1]'],
  ])('closes the connection on an invalid topic filter %s: %s, a protocol violation [MQTT-4.8.0-1]', async (filter) => {
    const { c } = await accepted(creds(g1));
    c.send({ cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: filter, qos: 1 }] });
    expect(await c.closedWithin(5000)).toBe(true);
    expect(c.received.map((p) => p.cmd)).toEqual(['connack']);
  });

  it('closes the connection on a SUBSCRIBE with reserved flags not 0010 [MQTT-3.8.1-1]', async () => {
    const { c } = await accepted(creds(g1));
    const b = mqttPacket.generate({ cmd: 'subscribe', messageId: 6, subscriptions: [{ topic: 'v1/E1/G1/cmd/#', qos: 1 }] });
    b[0] = 0x80;
    c.send(b);
    expect(await c.closedWithin(5000)).toBe(true);
  });

  it('closes the connection on a SUBSCRIBE without any filter [MQTT-3.8.3-3]', async () => {
    const { c } = await accepted(creds(g1));
    c.send(Buffer.from([0x82, 0x02, 0x00, 0x07]));
    expect(await c.closedWithin(5000)).toBe(true);
  });

  it('answers UNSUBSCRIBE with UNSUBACK carrying the same packet id and stops delivering [MQTT-3.10.4-4, MQTT-3.10.4-1]', async () => {
    const { c } = await accepted(creds(g1));
    c.send({ cmd: 'subscribe', messageId: 21, subscriptions: [{ topic: 'v1/E1/G1/cmd/#', qos: 1 }] });
    await c.next('suback');
    c.send({ cmd: 'unsubscribe', messageId: 3131, unsubscriptions: ['v1/E1/G1/cmd/#', 'never/subscribed'] });
    expect((await c.next('unsuback')).messageId).toBe(3131);
    await platform.sendCommand('E1', 'G1', 'after-unsubscribe', {});
    await pingPong(c);
    expect(c.received.filter((p) => p.cmd === 'publish')).toEqual([]);
    c.destroy();
  });
});

describe('PUBLISH and QoS', () => {
  it('acknowledges a QoS 1 PUBLISH with a PUBACK carrying the same packet id, the reading stored [MQTT-4.3.2-2, MQTT-2.3.1-6]', async () => {
    const { c } = await accepted(creds(g1));
    c.send({ cmd: 'publish', topic: topics.readings('E1', 'G1'), payload: reading(11.5), qos: 1, messageId: 777, dup: false, retain: false });
    expect((await c.next('puback')).messageId).toBe(777);
    expect(await storedValues()).toContain(11.5);
    c.destroy();
  });

  it('completes the QoS 2 flow: PUBREC with the same id, PUBREL answered by PUBCOMP, a duplicate stored once [MQTT-4.3.3-2, MQTT-4.3.3-3]', async () => {
    const { c } = await accepted(creds(g1));
    const ts = Date.now() - 5000;
    const pub: IPublishPacket = {
      cmd: 'publish',
      topic: topics.readings('E1', 'G1'),
      payload: reading(22.25, ts),
      qos: 2,
      messageId: 9001,
      dup: false,
      retain: false,
    };
    c.send(pub);
    expect((await c.next('pubrec')).messageId).toBe(9001);
    c.send({ ...pub, dup: true }); // re-sent before PUBREL: not delivered again
    expect((await c.next('pubrec')).messageId).toBe(9001);
    c.send({ cmd: 'pubrel', messageId: 9001 });
    expect((await c.next('pubcomp')).messageId).toBe(9001);
    expect((await storedReadings(platform.influx, 'E1', 'GT-101')).filter(([t]) => t === ts).map(([, v]) => v)).toEqual([22.25]);
    c.destroy();
  });

  it.each([
    ['+', 'v1/E1/+/readings'],
    ['#', 'v1/E1/G1/#'],
  ])('closes the connection on a PUBLISH whose topic contains %s [MQTT-3.3.2-2]', async (_w, topic) => {
    const { c } = await accepted(creds(g1));
    c.send({ cmd: 'publish', topic, payload: reading(1), qos: 1, messageId: 3, dup: false, retain: false });
    expect(await c.closedWithin(5000)).toBe(true);
    expect(c.received.map((p) => p.cmd)).toEqual(['connack']);
  });

  it('closes the connection on a PUBLISH with QoS 3 [MQTT-3.3.1-4]', async () => {
    const { c } = await accepted(creds(g1));
    const b = mqttPacket.generate({ cmd: 'publish', topic: topics.readings('E1', 'G1'), payload: reading(1), qos: 1, messageId: 3, dup: false, retain: false });
    b[0] = b[0]! | 0x06;
    c.send(b);
    expect(await c.closedWithin(5000)).toBe(true);
    expect(c.received.map((p) => p.cmd)).toEqual(['connack']);
  });

  it('closes the connection on a packet of reserved type 0 or 15 [MQTT-2.2.2-2, MQTT-4.8.0-1]', async () => {
    for (const type of [0x00, 0xf0]) {
      const { c } = await accepted(creds(g1));
      c.send(Buffer.from([type, 0x00]));
      expect(await c.closedWithin(5000)).toBe(true);
    }
  });
});

describe('the will message', () => {
  it('publishes the will when the connection ends without DISCONNECT [MQTT-3.1.2-8]', async () => {
    const ts = Date.now() - 60_000;
    const { c } = await accepted({ ...creds(g1), will: { topic: topics.readings('E1', 'G1'), payload: reading(66.5, ts), qos: 1, retain: false } });
    c.destroy();
    await expect.poll(async () => (await storedValues()).includes(66.5), { timeout: 10_000, interval: 50 }).toBe(true);
  });

  it('discards the will on DISCONNECT [MQTT-3.1.2-10, MQTT-3.14.4-3]', async () => {
    const { c } = await accepted({ ...creds(g1), will: { topic: topics.readings('E1', 'G1'), payload: reading(77.5), qos: 1, retain: false } });
    c.send({ cmd: 'disconnect' });
    await c.closed;
    // the same gateway's next acknowledged reading comes after the close: by then a will would have been stored
    const { c: d } = await accepted(creds(g1));
    d.send({ cmd: 'publish', topic: topics.readings('E1', 'G1'), payload: reading(78.5), qos: 1, messageId: 1, dup: false, retain: false });
    await d.next('puback');
    const values = await storedValues();
    expect(values).toContain(78.5);
    expect(values).not.toContain(77.5);
    d.destroy();
  });

  it('publishes the will when the broker closes the connection for a protocol violation [MQTT-3.1.2-8]', async () => {
    const { c } = await accepted({
      ...creds(g1),
      will: { topic: topics.readings('E1', 'G1'), payload: reading(88.5, Date.now() - 30_000), qos: 1, retain: false },
    });
    c.send({ cmd: 'publish', topic: 'v1/#', payload: Buffer.from('x'), qos: 0, dup: false, retain: false });
    await c.closed;
    await expect.poll(async () => (await storedValues()).includes(88.5), { timeout: 10_000, interval: 50 }).toBe(true);
  });
});
