/**
 * A connection flood and slow clients against the gateway (issue #6 §3):
 * nothing crashes, nothing unauthorised gets through, memory stays bounded.
 *
 * 1. The platform as its own OS process (its memory read from
 *    /proc/<pid>/status and its /metrics): 2,000 TCP connections opened at once — silent
 *    ones, CONNECTs with wrong credentials, random persistent ids with wrong
 *    passwords — then slowloris CONNECTs (a byte at a time), a CONNECT cut
 *    off half way, and an authenticated client that stops in the middle of a
 *    packet. Throughout, a provisioned gateway makes real QoS 1 round trips;
 *    each acknowledged reading must be in InfluxDB. Afterwards every flood
 *    connection has been closed by the broker within its bound, the memory
 *    the process holds is back near where it was, /health answers, no session exists for the refused
 *    ids, and /metrics counts every refusal.
 * 2. In process (commands are sent through the platform object): a gateway
 *    that never reads its socket while large commands are queued for it is
 *    disconnected once its unread bytes pass the limit, without stalling the
 *    other gateways, and receives every command when it reconnects and reads.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { connect as tcp, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import mqttPacket from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeReadings, topics } from '../../../core/contract.ts';
import { InfluxClient } from '../../../core/influx/client.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { countReadings, provisionTankFarm, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { platformProcess, type PlatformProcess } from '../../../testkit/platform-process.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { connectPacket, rawConnect, type RawClient } from '../../../testkit/raw-mqtt.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const CONNECT_TIMEOUT_MS = 3000;
/**
 * Above what the flood can keep pending at once: all of it (667 silent until the connect timeout, 333 wrong passwords
 * and 1,000 unknown ids waiting their turn at the 2 secret checks: unknown ids take a full check too, issue #15 §10),
 * so that no silent connection is turned away by the cap and each one shows the connect timeout. The cap itself is
 * tested in tests/integration/gateway/gateway-trust.test.ts.
 */
const MAX_PENDING = 2100;
const FLOOD = 2000;

let svc: TestServices;

beforeAll(async () => {
  svc = await startTestServices('flood');
});
afterAll(async () => {
  await svc?.stop();
});

/** A provisioned gateway publishing one reading at a time at QoS 1 until stopped; every acknowledged one is remembered. */
function streamReadings(c: MqttClient, g: ProvisionedGateway) {
  let running = true;
  let acked = 0;
  let slowestMs = 0;
  const t0 = Date.now() - 3600_000;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      await publish(
        c,
        topics.readings(g.enterpriseId, g.gatewayId),
        encodeReadings([{ sensor: 'GT-101', value: acked, unit: '%LEL', quality: 'good', ts: t0 + acked }]),
      );
      slowestMs = Math.max(slowestMs, Date.now() - started);
      acked++;
    }
  })();
  return {
    get acked() {
      return acked;
    },
    /** Stops after the round trip in progress; resolves with the number acknowledged and the slowest round trip. */
    async stop(): Promise<{ acked: number; slowestMs: number }> {
      running = false;
      await loop;
      return { acked, slowestMs };
    },
  };
}

interface FloodSocket {
  kind: 'silent' | 'wrong_password' | 'unknown_persistent' | 'unknown_clean';
  socket: Socket;
  openedAt: number;
  closedAt?: number;
  connack?: number;
}

function openFloodSocket(port: number, kind: FloodSocket['kind'], i: number, gatewayId: string): FloodSocket {
  const socket = tcp({ host: '127.0.0.1', port });
  const f: FloodSocket = { kind, socket, openedAt: Date.now() };
  socket.on('error', () => undefined);
  socket.once('close', () => (f.closedAt = Date.now()));
  const parser = mqttPacket.parser();
  parser.on('packet', (p) => {
    if (p.cmd === 'connack') f.connack = p.returnCode;
  });
  parser.on('error', () => undefined);
  socket.on('data', (d: Buffer) => parser.parse(d));
  const id = `fl${i.toString(36)}x${Math.random().toString(36).slice(2, 10)}`;
  socket.once('connect', () => {
    if (kind === 'silent') return;
    const clientId = kind === 'wrong_password' ? gatewayId : id;
    socket.write(
      mqttPacket.generate(connectPacket({ clientId, username: clientId, password: `nope-${i}`, clean: kind !== 'unknown_persistent', keepalive: 30 })),
    );
  });
  return f;
}

describe('the platform process under a connection flood and slow clients', () => {
  let p: PlatformProcess;
  let g1: ProvisionedGateway;
  let g2: ProvisionedGateway;
  let legit: MqttClient;
  let stream: ReturnType<typeof streamReadings>;
  const figures: Record<string, number> = {};

  const rssMiB = () => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'));
    return Number(m?.[1] ?? 0) / 1024;
  };
  /**
   * What the process's JavaScript holds after a full garbage collection: V8's heap in use plus the memory outside it
   * (buffers, sockets' data). The process runs testkit/gc-on-signal.cjs, which collects on SIGUSR2 and says so.
   */
  let collections = 0;
  const heldMiB = async () => {
    const done = `gc-on-signal: collected ${++collections}\n`;
    process.kill(p.pid!, 'SIGUSR2');
    await vi.waitFor(() => expect(p.output()).toContain(done), { timeout: 10_000, interval: 20 });
    const text = await (await fetch(`http://127.0.0.1:${p.httpPort}/metrics`)).text();
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
    return (gauge('nss_nodejs_heap_size_used_bytes') + gauge('nss_nodejs_external_memory_bytes')) / 1024 / 1024;
  };
  const refusals = async (): Promise<Map<string, number>> => {
    const text = await (await fetch(`http://127.0.0.1:${p.httpPort}/metrics`)).text();
    const out = new Map<string, number>();
    for (const m of text.matchAll(/^nss_mqtt_refusals_total\{action="(\w+)",reason="(\w+)"\} (\d+)/gm)) out.set(`${m[1]}:${m[2]}`, Number(m[3]));
    return out;
  };
  const delta = (before: Map<string, number>, after: Map<string, number>, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

  beforeAll(async () => {
    p = platformProcess(svc, {
      name: 'flood',
      env: {
        PARTS: 'gateway,api',
        MQTT_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
        MQTT_MAX_PENDING_CONNECTIONS: String(MAX_PENDING),
        LOG_LEVEL: 'warn',
        // a full collection on demand, for the memory it holds (not the garbage it has not collected yet)
        NODE_OPTIONS: `--expose-gc --require ${resolve('testkit/gc-on-signal.cjs')}`,
      },
    });
    await p.start();
    const api = new AdminClient(`http://127.0.0.1:${p.httpPort}`, p.token);
    g1 = await provisionTankFarm(api, 'E1', 'G1');
    g2 = {
      enterpriseId: 'E1',
      gatewayId: 'G2',
      secret: (await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'G2', enterpriseId: 'E1' })).secret,
    };
    legit = await connect(p.mqttPort, { clientId: 'G1', username: 'G1', password: g1.secret, clean: false, keepalive: 30 });
    stream = streamReadings(legit, g1);
  }, 90_000);

  afterAll(async () => {
    await stream?.stop();
    legit?.end(true);
    await p?.stop();
  });

  it(`closes every one of ${FLOOD} flood connections (a silent one at the connect timeout), refuses and counts each, and serves the gateway meanwhile`, async () => {
    await expect.poll(() => stream.acked, { timeout: 10_000 }).toBeGreaterThan(10);
    // the baseline is the memory once the start-up has settled: a just-started process holds a few hundred MiB it frees
    // in one step some seconds later (measured: 1,029 → 686 MiB), and a baseline taken before that step would make the
    // bound below hundreds of MiB looser than meant (or, taken after it by chance, the comparison of two unlike states)
    const samples: number[] = [];
    await vi.waitFor(
      () => {
        samples.push(rssMiB());
        const last = samples.slice(-5);
        if (last.length < 5 || Math.max(...last) - Math.min(...last) > 0.03 * Math.min(...last)) throw new Error(`memory not settled: ${last.join(', ')} MiB`);
      },
      { timeout: 60_000, interval: 500 },
    );
    const before = await refusals();
    const ackedBefore = stream.acked;
    figures.rssBeforeMiB = rssMiB();
    figures.heldBeforeMiB = await heldMiB();
    let peak = figures.rssBeforeMiB;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 100);
    const kinds: FloodSocket['kind'][] = ['silent', 'unknown_clean', 'unknown_persistent', 'silent', 'unknown_persistent', 'wrong_password'];
    const t0 = Date.now();
    const flood = Array.from({ length: FLOOD }, (_, i) => openFloodSocket(p.mqttPort, kinds[i % kinds.length]!, i, 'G1'));
    try {
      // unknown ids take a full secret check too (no enumeration by timing), two at a time: ~1,000 checks of ~40 ms
      await expect.poll(() => flood.filter((f) => f.closedAt !== undefined).length, { timeout: 100_000, interval: 100 }).toBe(FLOOD);
    } finally {
      clearInterval(sampler);
      for (const f of flood) f.socket.destroy();
    }
    figures.floodSeconds = (Date.now() - t0) / 1000;
    figures.rssPeakMiB = peak;
    figures.ackedDuringFlood = stream.acked - ackedBefore;
    // the broker closed every one of them (the test never does). A silent one is closed CONNECT_TIMEOUT_MS after the broker
    // accepted it; how long accepting takes depends on the load (each wrong CONNECT costs a ledger lookup), so the
    // bound here is the poll's, and the spread is reported
    const lifetimes = flood.filter((f) => f.kind === 'silent').map((f) => f.closedAt! - f.openedAt);
    figures.fastestSilentCloseMs = Math.min(...lifetimes);
    figures.slowestSilentCloseMs = Math.max(...lifetimes);
    expect(figures.fastestSilentCloseMs).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 100);
    // nothing authenticated: wrong credentials got CONNACK 0x04 or were turned away unauthenticated
    expect(flood.filter((f) => f.connack !== undefined && f.connack !== 4)).toEqual([]);
    figures.connack4 = flood.filter((f) => f.connack === 4).length;
    expect(figures.connack4).toBeGreaterThan(0);
    // every flood connection is one refusal: a CONNACK 0x04, a connect timeout or the pending cap
    const after = await refusals();
    const counted = [
      'connect:unknown_gateway',
      'connect:bad_password',
      'connect:gone_before_secret_check',
      'connect:connect_timeout',
      'connect:too_many_pending_connections',
    ].map((k) => [k, delta(before, after, k)]);
    Object.assign(figures, Object.fromEntries(counted));
    expect(counted.reduce((n, [, d]) => n + (d as number), 0)).toBe(FLOOD);
    expect(figures.ackedDuringFlood).toBeGreaterThan(0);
  }, 150_000);

  it('closes slowloris CONNECTs, a CONNECT cut off half way and a packet stopped mid-way, each within its bound', async () => {
    const before = await refusals();
    const full = mqttPacket.generate(connectPacket({ clientId: 'slowloris', username: 'slowloris', password: 'x', keepalive: 30 }));
    // slowloris: a valid-looking CONNECT, one byte every 150 ms (it would take seconds longer than the timeout)
    const slow = Array.from({ length: 20 }, () => {
      const s = tcp({ host: '127.0.0.1', port: p.mqttPort });
      s.on('error', () => undefined);
      let i = 0;
      const timer = setInterval(() => (i < full.length ? s.write(full.subarray(i, ++i)) : undefined), 150);
      const closed = new Promise<number>((resolve) => {
        const t = Date.now();
        s.once('close', () => {
          clearInterval(timer);
          resolve(Date.now() - t);
        });
      });
      return { closed, sent: () => i };
    });
    // half a CONNECT, then nothing
    const half = tcp({ host: '127.0.0.1', port: p.mqttPort });
    half.on('error', () => undefined);
    half.once('connect', () => half.write(full.subarray(0, Math.floor(full.length / 2))));
    const halfClosed = new Promise<number>((resolve) => {
      const t = Date.now();
      half.once('close', () => resolve(Date.now() - t));
    });
    // an authenticated gateway (keepalive 2 s) that stops in the middle of a PUBLISH
    const { c: stalled, connack } = await rawConnect(p.mqttPort, { clientId: 'G2', username: 'G2', password: g2.secret, keepalive: 2 });
    expect(connack.returnCode).toBe(0);
    const publishBytes = mqttPacket.generate({
      cmd: 'publish',
      topic: topics.readings('E1', 'G2'),
      payload: encodeReadings([{ sensor: 'GT-101', value: 1, unit: '%LEL', quality: 'good', ts: Date.now() }]),
      qos: 1,
      messageId: 1,
      dup: false,
      retain: false,
    });
    const stalledAt = Date.now();
    stalled.send(publishBytes.subarray(0, 10));
    await stalled.closed;
    figures.midPacketCloseMs = Date.now() - stalledAt;
    expect(figures.midPacketCloseMs).toBeLessThan(2 * 1500 + 2000); // 1.5 × keepalive [MQTT-3.1.2-24]
    expect(stalled.received.map((x) => x.cmd)).toEqual(['connack']);

    const slowCloses = await Promise.all(slow.map((s) => s.closed));
    figures.slowestSlowlorisCloseMs = Math.max(...slowCloses);
    expect(figures.slowestSlowlorisCloseMs).toBeLessThan(CONNECT_TIMEOUT_MS + 3000);
    expect(slow.every((s) => s.sent() < full.length)).toBe(true);
    figures.halfConnectCloseMs = await halfClosed;
    expect(figures.halfConnectCloseMs).toBeLessThan(CONNECT_TIMEOUT_MS + 3000);
    const after = await refusals();
    expect(delta(before, after, 'connect:connect_timeout')).toBe(21);
  }, 60_000);

  it('skips the secret checks of wrong-password clients that hung up while waiting their turn, and counts every one', async () => {
    const before = await refusals();
    const n = 60;
    const hangUps = Array.from({ length: n }, (_, i) => {
      const socket = tcp({ host: '127.0.0.1', port: p.mqttPort });
      socket.on('error', () => undefined);
      socket.once('connect', () => socket.end(mqttPacket.generate(connectPacket({ clientId: 'G2', username: 'G2', password: `hang-up-${i}`, keepalive: 30 }))));
      return new Promise<void>((resolve) => socket.once('close', () => resolve()));
    });
    await Promise.all(hangUps);
    const answered = async () => {
      const after = await refusals();
      return { checked: delta(before, after, 'connect:bad_password'), skipped: delta(before, after, 'connect:gone_before_secret_check') };
    };
    await expect.poll(async () => Object.values(await answered()).reduce((a, b) => a + b, 0), { timeout: 30_000, interval: 100 }).toBe(n);
    const { checked, skipped } = await answered();
    Object.assign(figures, { hangUpsChecked: checked, hangUpsSkipped: skipped });
    expect(skipped).toBeGreaterThan(0); // at most MQTT_MAX_CONCURRENT_SECRET_CHECKS (2) can have been running when they hung up
  }, 60_000);

  it('afterwards: the gateway’s acknowledged readings are all stored, /health answers, memory is back under a bound, no session kept for refused ids', async () => {
    const { acked, slowestMs } = await stream.stop();
    figures.ackedTotal = acked;
    figures.slowestRoundTripMs = slowestMs;
    const influx = new InfluxClient({ url: svc.influx.url, database: 'p_flood' });
    expect(await countReadings(influx, `"gw" = 'G1'`)).toBe(acked);
    expect((await fetch(`http://127.0.0.1:${p.httpPort}/health`)).status).toBe(200);
    // what the process holds after a full collection is back within 64 MiB of before the flood (2,000 connections:
    // a leak of 32 KiB each would show). The RSS is not the measure of that: glibc's allocator keeps the arenas a burst
    // grew, and the settled RSS itself varied by 150 MiB between runs (614–785 MiB before, 738–843 after), so it is
    // bounded only against a runaway, at 1.5 GiB
    figures.heldAfterMiB = await heldMiB();
    expect(figures.heldAfterMiB).toBeLessThan(figures.heldBeforeMiB! + 64);
    figures.rssAfterMiB = rssMiB();
    expect(figures.rssAfterMiB).toBeLessThan(1536);
    const redis = new Redis(svc.redis.url);
    const keys = await redis.keys('*');
    redis.disconnect();
    expect(keys.filter((k) => /fl[0-9a-z]+x/.test(k) || k.includes('slowloris'))).toEqual([]);
    console.error(`flood figures: ${JSON.stringify(figures)}`);
  }, 60_000);
});

describe('a gateway that does not read its socket while commands are queued for it', () => {
  let platform: Platform;
  let api: AdminClient;

  beforeAll(async () => {
    ({ platform } = await startTestPlatform(svc, 'flood_reader', {
      parts: ['gateway', 'api'],
      mqtt: { host: '127.0.0.1', port: 0, maxWriteBufferBytes: 256 * 1024 },
    }));
    api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
  }, 60_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('is disconnected past the write-buffer limit, counted, without stalling others, and gets every command when it reads again', async () => {
    const g1 = await provisionTankFarm(api, 'E1', 'G1');
    const created = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'G3', enterpriseId: 'E1' });
    const g3 = { clientId: 'G3', username: 'G3', password: created.secret, clean: false };
    const legit = await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: g1.secret, clean: false });
    const stream = streamReadings(legit, g1);

    const { c: deaf } = await rawConnect(platform.mqttPort, g3);
    deaf.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: topics.commands('E1', 'G3'), qos: 1 }] });
    await deaf.next('suback');
    deaf.socket.pause(); // from now on it reads nothing
    const big = 'x'.repeat(200 * 1024);
    const commands = 80; // 16 MB: far past the kernel's socket buffers and the 256 KiB limit
    const ackedBefore = stream.acked;
    for (let i = 0; i < commands; i++) await platform.sendCommand('E1', 'G3', `bulk-${i}`, { i, big });
    const counted = async () => (await platform.metrics.mqttRefusals.get()).values.find((v) => v.labels.reason === 'client_not_reading')?.value;
    await expect.poll(counted, { timeout: 20_000, interval: 100 }).toBe(1);
    // the broker reset the connection: the client learns it at its next read
    deaf.socket.resume();
    expect(await deaf.closedWithin(5000)).toBe(true);
    expect(deaf.socket.bytesRead).toBeLessThan(commands * big.length);
    await expect.poll(() => stream.acked - ackedBefore, { timeout: 10_000 }).toBeGreaterThan(5);
    const { acked, slowestMs } = await stream.stop();
    legit.end(true);
    expect(slowestMs).toBeLessThan(5000);
    expect(await countReadings(platform.influx, `"gw" = 'G1'`)).toBe(acked);

    // it comes back and reads: every command, none lost
    const back: RawClient = (await rawConnect(platform.mqttPort, g3)).c;
    const seen = new Set<number>();
    while (seen.size < commands) {
      const pub = await back.next('publish', 20_000);
      seen.add((JSON.parse(pub.payload.toString()) as { i: number }).i);
      back.send({ cmd: 'puback', messageId: pub.messageId! });
    }
    expect(seen.size).toBe(commands);
    back.destroy();
  }, 120_000);
});
