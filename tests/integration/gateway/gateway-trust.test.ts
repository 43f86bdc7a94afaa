/**
 * Issue #15, the broker's trust defects, each on real Redis, InfluxDB,
 * PostgreSQL and MQTT (raw packets): live revocation on every broker process,
 * queued commands that reach only their own gateway across restarts, wills
 * authorised like publishes, keepalive 0 with a server-side idle limit, and no
 * gateway-id enumeration by the secret check.
 */
import msgpack from 'msgpack-lite';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeReadings, topics } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { countReadings, provisionTankFarm, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startPostgres, type TestPostgres } from '../../../testkit/postgres.ts';
import { openRaw, rawConnect, type RawClient } from '../../../testkit/raw-mqtt.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let pg: TestPostgres;
let redis: Redis;
const open: RawClient[] = [];

beforeAll(async () => {
  [svc, pg] = await Promise.all([startTestServices('trust'), startPostgres()]);
  redis = new Redis(svc.redis.url);
}, 60_000);

afterAll(async () => {
  for (const c of open) c.destroy();
  redis?.disconnect();
  await pg?.stop();
  await svc?.stop();
});

const creds = (g: ProvisionedGateway) => ({ clientId: g.gatewayId, username: g.gatewayId, password: g.secret });

async function accepted(port: number, o: Parameters<typeof rawConnect>[1]) {
  const r = await rawConnect(port, o);
  open.push(r.c);
  expect(r.connack.returnCode).toBe(0);
  return r;
}

/** Publishes a reading (QoS 1) every few ms, device time = now, until stopped; counts PUBACKs. */
function publishContinuously(c: RawClient, g: ProvisionedGateway) {
  let id = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop && !c.isClosed) {
      id = (id % 65_535) + 1;
      c.send({
        cmd: 'publish',
        topic: topics.readings(g.enterpriseId, g.gatewayId),
        payload: Buffer.from(encodeReadings([{ sensor: 'GT-101', value: 1, unit: '%LEL', quality: 'good', ts: Date.now() }])),
        qos: 1,
        messageId: id,
        dup: false,
        retain: false,
      });
      await new Promise((r) => setTimeout(r, 3));
    }
  })();
  return {
    acked: () => c.received.filter((p) => p.cmd === 'puback').length,
    stop: async () => {
      stop = true;
      await loop;
    },
  };
}

describe('revocation cuts live connections on every broker process', () => {
  let a: Platform;
  let b: Platform;
  let api: AdminClient;
  let g: ProvisionedGateway;

  beforeAll(async () => {
    // two broker processes on the same stores (PostgreSQL, Redis, InfluxDB), as in a deployment with several nodes
    const shared = { databaseUrl: pg.url, redisPrefix: 'revoke:', influx: { url: svc.influx.url, database: 'revoke' } };
    ({ platform: a } = await startTestPlatform(svc, 'revokeA', { ...shared, mqtt: { host: '127.0.0.1', port: 0, brokerId: 'broker-a' } }));
    ({ platform: b } = await startTestPlatform(svc, 'revokeB', { ...shared, parts: ['gateway'], mqtt: { host: '127.0.0.1', port: 0, brokerId: 'broker-b' } }));
    api = new AdminClient(`http://127.0.0.1:${a.httpPort}`, a.adminToken);
    g = await provisionTankFarm(api, 'E-REV', 'G-REV');
  }, 60_000);
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('disabling a gateway closes its open connection, on whichever broker it is, before the call returns; nothing published after it is stored', async () => {
    // one session per gateway across the brokers (tests/integration/gateway/cluster.test.ts): the connection to B takes over A's
    const onA = (await accepted(a.mqttPort, creds(g))).c;
    const onB = (await accepted(b.mqttPort, creds(g))).c;
    expect(await onA.closedWithin(5000)).toBe(true);
    const pubB = publishContinuously(onB, g);
    // the connection is storing readings before the call
    await expect.poll(() => pubB.acked() > 20, { timeout: 10_000, interval: 20 }).toBe(true);

    const started = Date.now();
    expect((await api.request('POST', `/api/v1/gateways/${g.gatewayId}/disable`)).status).toBe(204);
    const returned = Date.now();
    expect(await onB.closedWithin(1000)).toBe(true);
    await pubB.stop();
    await Promise.all([a.ingest.drain(5000), b.ingest.drain(5000)]);

    expect(await countReadings(a.influx, `"gw" = '${g.gatewayId}' AND time < ${started}ms`)).toBeGreaterThan(20);
    expect(await countReadings(a.influx, `"gw" = '${g.gatewayId}' AND time >= ${returned}ms`)).toBe(0);
    // and it cannot come back
    const again = await rawConnect(a.mqttPort, creds(g));
    open.push(again.c);
    expect(again.connack.returnCode).toBe(5);

    const events = await a.db.query<{ state: string; reason: string }>(
      "SELECT state, reason FROM gateway_events WHERE gateway_id = $1 AND state = 'offline' ORDER BY at",
      [g.gatewayId],
    );
    // the platform's own doing: recorded as such, not as a gateway going offline (no offline alert)
    expect(events.rows.map((r) => r.reason)).toContain('gateway_revoked');
    await api.ok('POST', `/api/v1/gateways/${g.gatewayId}/enable`);
  });

  it('rotating the secret closes the connection opened with the old one, on whichever broker it is; the new secret connects', async () => {
    for (const broker of [a, b]) {
      const c = (await accepted(broker.mqttPort, creds(g))).c;
      const rotated = await api.ok<{ secret: string }>('POST', `/api/v1/gateways/${g.gatewayId}/rotate-secret`);
      expect(await c.closedWithin(1000)).toBe(true);
      const old = await rawConnect(broker.mqttPort, creds(g));
      open.push(old.c);
      expect(old.connack.returnCode).toBe(4);
      g = { ...g, secret: rotated.secret };
      const fresh = await accepted(broker.mqttPort, creds(g));
      fresh.c.send({ cmd: 'pingreq' });
      await fresh.c.next('pingresp');
      expect(await fresh.c.closedWithin(300)).toBe(false);
      fresh.c.destroy();
    }
  });
});

describe('queued commands reach only their own gateway, across broker restarts', () => {
  it('each gateway receives exactly its own commands, in order, none lost, after several restarts (packet ids never reused)', async () => {
    const name = 'queued';
    let { platform } = await startTestPlatform(svc, name, { parts: ['gateway', 'api'] });
    const api = () => new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
    const g1 = await provisionTankFarm(api(), 'E-Q1', 'G-Q1');
    const g2 = await provisionTankFarm(api(), 'E-Q2', 'G-Q2', false);

    // both gateways: a persistent session subscribed to its own commands, then offline
    for (const g of [g1, g2]) {
      const { c } = await accepted(platform.mqttPort, { ...creds(g), clean: false });
      c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: topics.commands(g.enterpriseId, g.gatewayId), qos: 1 }] });
      await c.next('suback');
      c.send({ cmd: 'disconnect' });
      await c.closed;
    }
    const sent = new Map<string, string[]>([
      [g1.gatewayId, []],
      [g2.gatewayId, []],
    ]);
    const command = async (g: ProvisionedGateway, n: number) => {
      const body = `${g.gatewayId}#${sent.get(g.gatewayId)!.length}`;
      sent.get(g.gatewayId)!.push(body);
      await platform.sendCommand(g.enterpriseId, g.gatewayId, `set-${n}`, { body });
    };
    const restart = async () => {
      await platform.stop();
      ({ platform } = await startTestPlatform(svc, name, { parts: ['gateway', 'api'] }));
    };

    await command(g1, 0);
    await restart();
    for (let i = 0; i < 40; i++) await command(g2, i);
    await restart();
    await command(g1, 1);
    for (let i = 40; i < 45; i++) await command(g2, i);
    await restart();
    await command(g1, 2);

    const receive = async (g: ProvisionedGateway, n: number) => {
      const { c, connack } = await accepted(platform.mqttPort, { ...creds(g), clean: false });
      expect(connack.sessionPresent).toBe(true);
      const got: { topic: string; body: string }[] = [];
      for (let i = 0; i < n; i++) {
        const p = await c.next('publish');
        got.push({ topic: p.topic, body: (JSON.parse(p.payload.toString()) as { body: string }).body });
        c.send({ cmd: 'puback', messageId: p.messageId! });
      }
      // nothing beyond its own: a ping answered after the queue means the queue is empty
      c.send({ cmd: 'pingreq' });
      await c.next('pingresp');
      expect(c.received.filter((p) => p.cmd === 'publish')).toHaveLength(n);
      c.destroy();
      return got;
    };
    const got1 = await receive(g1, 3);
    const got2 = await receive(g2, 45);
    expect(got1.map((m) => m.body)).toEqual(sent.get(g1.gatewayId));
    expect(got2.map((m) => m.body)).toEqual(sent.get(g2.gatewayId));
    for (const m of got1) expect(m.topic.startsWith(`v1/E-Q1/G-Q1/cmd/`)).toBe(true);
    for (const m of got2) expect(m.topic.startsWith(`v1/E-Q2/G-Q2/cmd/`)).toBe(true);
    // each life of the broker numbered its messages from a block of its own
    expect(Number(await redis.get(`${name}:mqtt:packet-blocks`))).toBe(4);
    await platform.stop();
  });
});

describe('wills are authorised like publishes', () => {
  let platform: Platform;
  let g1: ProvisionedGateway;
  let g2: ProvisionedGateway;
  const prefix = 'wills:mqtt:';

  beforeAll(async () => {
    // a short heartbeat so aedes sweeps the store's wills every 4 × 200 ms
    ({ platform } = await startTestPlatform(svc, 'wills', { parts: ['gateway', 'api'], mqtt: { host: '127.0.0.1', port: 0, heartbeatIntervalMs: 200 } }));
    const api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
    g1 = await provisionTankFarm(api, 'E-W', 'G-W1');
    const created = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'G-W2', enterpriseId: 'E-W' });
    g2 = { enterpriseId: 'E-W', gatewayId: 'G-W2', secret: created.secret };
  }, 60_000);
  afterAll(() => platform?.stop());

  it("refuses a CONNECT whose will is another gateway's command topic with 0x05", async () => {
    const will = { topic: `${topics.commandPrefix('E-W', 'G-W2')}/reboot`, payload: Buffer.from('{}'), qos: 1 as const, retain: true };
    const r = await rawConnect(platform.mqttPort, { ...creds(g1), will });
    open.push(r.c);
    expect(r.connack.returnCode).toBe(5);
    expect(await r.c.closedWithin(2000)).toBe(true);
  });

  it("drops a stored will on another gateway's command topic left by another broker: not delivered, not retained", async () => {
    // G-W2 online with its command subscription
    const { c: target } = await accepted(platform.mqttPort, creds(g2));
    target.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: topics.commands('E-W', 'G-W2'), qos: 1 }] });
    await target.next('suback');
    // a will another process on the same Redis stored for G-W1 (crashed broker 'ghost'), aimed at G-W2's commands,
    // and G-W1's own valid status will from the same broker
    const evil = { cmd: 'publish', topic: `${topics.commandPrefix('E-W', 'G-W2')}/open-valve`, payload: Buffer.from('{"open":true}'), qos: 1, retain: true };
    const own = { cmd: 'publish', topic: topics.status('E-W', 'G-W1'), payload: Buffer.from('{"v":1,"state":"offline"}'), qos: 1, retain: true };
    for (const [brokerId, will] of [
      ['ghost-1', evil],
      ['ghost-2', own],
    ] as const) {
      const key = `will:${brokerId}:G-W1`;
      await redis.set(`${prefix}${key}`, msgpack.encode({ ...will, clientId: 'G-W1', brokerId }));
      await redis.rpush(`${prefix}will`, key);
    }
    await expect.poll(() => redis.llen(`${prefix}will`), { timeout: 15_000, interval: 100 }).toBe(0);
    // the valid one was published (retained on G-W1's own status topic); the other dropped
    await expect.poll(() => redis.hexists(`${prefix}retained`, own.topic), { timeout: 5000 }).toBe(1);
    target.send({ cmd: 'pingreq' });
    await target.next('pingresp');
    expect(target.received.filter((p) => p.cmd === 'publish')).toHaveLength(0);
    expect(await redis.hexists(`${prefix}retained`, evil.topic)).toBe(0);
    const metrics = await platform.metrics.registry.getSingleMetricAsString('nss_mqtt_refusals_total');
    expect(metrics).toMatch(/action="will",reason="stored_will_not_own_status_topic"} 1/);
    target.destroy();
  });

  it('does not retain a status message that is not JSON or not the status schema', async () => {
    const { c } = await accepted(platform.mqttPort, creds(g2));
    const status = topics.status('E-W', 'G-W2');
    c.send({ cmd: 'publish', topic: status, payload: Buffer.from('{"v":1,"state":"online"}'), qos: 1, messageId: 1, dup: false, retain: true });
    await c.next('puback');
    expect(await redis.hexists(`${prefix}retained`, status)).toBe(1);
    for (const [i, bad] of ['offline', '{"v":1,"state":"asleep"}', '\u0000\u0001'].entries()) {
      c.send({ cmd: 'publish', topic: status, payload: Buffer.from(bad), qos: 1, messageId: 2 + i, dup: false, retain: true });
      await c.next('puback');
      const kept = await redis.hgetBuffer(`${prefix}retained`, status);
      expect((msgpack.decode(kept!) as { payload: Buffer }).payload.toString()).toBe('{"v":1,"state":"online"}');
    }
    c.destroy();
  });
});

describe('keepalive 0 and the gateway-id check', () => {
  let platform: Platform;
  let g: ProvisionedGateway;

  beforeAll(async () => {
    ({ platform } = await startTestPlatform(svc, 'idle', {
      parts: ['gateway', 'api'],
      mqtt: { host: '127.0.0.1', port: 0, idleTimeoutMs: 1500, maxPendingConnections: 5, connectTimeoutMs: 20_000 },
    }));
    g = await provisionTankFarm(new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken), 'E-I', 'G-I');
  }, 60_000);
  afterAll(() => platform?.stop());

  it('accepts keepalive 0 and closes such a connection after the server-side idle limit, not while it is active', async () => {
    const { c: silent } = await accepted(platform.mqttPort, { ...creds(g), keepalive: 0 });
    const t0 = Date.now();
    await silent.closed;
    const idleFor = Date.now() - t0;
    expect(idleFor).toBeGreaterThanOrEqual(1400);

    const { c: active } = await accepted(platform.mqttPort, { ...creds(g), keepalive: 0 });
    for (let i = 0; i < 6; i++) {
      active.send({ cmd: 'pingreq' });
      await active.next('pingresp');
      await new Promise((r) => setTimeout(r, 500)); // traffic spaced below the idle limit, over twice its length
    }
    expect(active.isClosed).toBe(false);
    active.destroy();
  });

  it('checks an unknown gateway id against a decoy secret, as it checks a known id with a wrong secret (no enumeration by timing)', async () => {
    const checks = async () => Number((await platform.metrics.registry.getSingleMetric('nss_mqtt_secret_checks_total')!.get()).values[0]?.value ?? 0);
    const before = await checks();
    const unknown = await rawConnect(platform.mqttPort, { clientId: 'G-NOBODY', username: 'G-NOBODY', password: 'x'.repeat(43) });
    open.push(unknown.c);
    expect(unknown.connack.returnCode).toBe(4);
    expect(await checks()).toBe(before + 1);
    const wrong = await rawConnect(platform.mqttPort, { ...creds(g), password: 'y'.repeat(43) });
    open.push(wrong.c);
    expect(wrong.connack.returnCode).toBe(4);
    expect(await checks()).toBe(before + 2);
  });

  it('closes connections beyond the cap of unauthenticated ones at once, and counts them; those within it wait for their CONNECT', async () => {
    const refused = async () =>
      Number(
        (await platform.metrics.registry.getSingleMetric('nss_mqtt_refusals_total')!.get()).values.find(
          (v) => v.labels.reason === 'too_many_pending_connections',
        )?.value ?? 0,
      );
    const before = await refused();
    const first = await Promise.all(Array.from({ length: 5 }, () => openRaw(platform.mqttPort)));
    open.push(...first);
    // the broker accepts in order: once these five are pending, the next five are over the cap
    const pending = async () => (await platform.metrics.registry.getSingleMetric('nss_mqtt_pending_connections')!.get()).values[0]?.value;
    await expect.poll(pending, { timeout: 5000, interval: 20 }).toBe(5);
    const over = await Promise.all(Array.from({ length: 5 }, () => openRaw(platform.mqttPort)));
    open.push(...over);
    for (const c of over) expect(await c.closedWithin(5000)).toBe(true);
    expect(first.some((c) => c.isClosed)).toBe(false);
    expect(await refused()).toBe(before + 5);
    for (const c of first) c.destroy();
  });
});
