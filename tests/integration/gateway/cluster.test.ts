/**
 * Several platform nodes as one broker (issue #19 §2): aedes' clustering over
 * Redis (gateway/cluster.ts) and each gateway's live connection held
 * cluster-wide (gateway/owners.ts), on shared PostgreSQL, Redis and InfluxDB.
 *
 * 1. Two nodes in this process: a gateway that connects to the other node
 *    takes its session over there — the old connection is closed without its
 *    will and without an offline; a command sent through either node reaches
 *    it, queued ones too; a gateway that leaves one node and comes back to the
 *    other is recorded online again.
 * 2. A node killed (an OS process, kill -9): a gateway that reconnects to the
 *    surviving node before the dead node's wills are swept is not recorded
 *    offline; one that does not come back is, once, by its will; the dead node
 *    restarted does not mark the moved gateway offline.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { platformProcess, type PlatformProcess } from '../../../testkit/platform-process.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startPostgres, type TestPostgres } from '../../../testkit/postgres.ts';
import { rawConnect, type RawClient } from '../../../testkit/raw-mqtt.ts';
import { clusterEmitter } from '../../../gateway/cluster.ts';
import { ConnectionOwners } from '../../../gateway/owners.ts';
import { mqttClusterChannelPrefix } from '../../../core/redis-keys.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let pg: TestPostgres;
const open: RawClient[] = [];

beforeAll(async () => {
  [svc, pg] = await Promise.all([startTestServices('cluster'), startPostgres()]);
}, 60_000);

afterAll(async () => {
  for (const c of open) c.destroy();
  await pg?.stop();
  await svc?.stop();
});

const OFFLINE_WILL = { topic: '', payload: Buffer.from('{"v":1,"state":"offline"}'), qos: 1 as const, retain: false };

/** Connects as the gateway (persistent session, its offline status as will) and expects CONNACK 0. */
async function connectGateway(port: number, g: ProvisionedGateway): Promise<RawClient> {
  const r = await rawConnect(port, {
    clientId: g.gatewayId,
    username: g.gatewayId,
    password: g.secret,
    clean: false,
    will: { ...OFFLINE_WILL, topic: topics.status(g.enterpriseId, g.gatewayId) },
  });
  open.push(r.c);
  expect(r.connack.returnCode).toBe(0);
  return r.c;
}

async function subscribeCommands(c: RawClient, g: ProvisionedGateway): Promise<void> {
  c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: topics.commands(g.enterpriseId, g.gatewayId), qos: 1 }] });
  expect((await c.next('suback')).granted).toEqual([1]);
}

const events = async (db: Platform['db'], gatewayId: string) =>
  (await db.query<{ state: string; reason: string }>('SELECT state, reason FROM gateway_events WHERE gateway_id = $1 ORDER BY at, id', [gatewayId])).rows.map(
    (r) => `${r.state}:${r.reason}`,
  );

const statusOf = async (db: Platform['db'], gatewayId: string) =>
  (await db.query<{ status: string }>('SELECT status FROM gateways WHERE id = $1', [gatewayId])).rows[0]?.status;

const metric = async (p: Platform, line: RegExp): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${p.httpPort}/metrics`)).text();
  return Number(line.exec(text)?.[1] ?? 0);
};

describe('two nodes on the same stores: one session per gateway across them', () => {
  let a: Platform;
  let b: Platform;
  let api: AdminClient;
  const shared = () => ({ databaseUrl: pg.url, redisPrefix: 'cl:', influx: { url: svc.influx.url, database: 'cluster' } });

  beforeAll(async () => {
    ({ platform: a } = await startTestPlatform(svc, 'clA', {
      ...shared(),
      parts: ['gateway', 'api'],
      mqtt: { host: '127.0.0.1', port: 0, brokerId: 'node-a' },
    }));
    ({ platform: b } = await startTestPlatform(svc, 'clB', {
      ...shared(),
      parts: ['gateway', 'api'],
      mqtt: { host: '127.0.0.1', port: 0, brokerId: 'node-b' },
    }));
    api = new AdminClient(`http://127.0.0.1:${a.httpPort}`, a.adminToken);
  }, 60_000);
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('a gateway connecting to the other node closes its connection on the first, without its will or an offline', async () => {
    const g = await provisionTankFarm(api, 'E-CL1', 'G-CL1');
    const onA = await connectGateway(a.mqttPort, g);
    await expect.poll(() => statusOf(a.db, g.gatewayId)).toBe('online');
    const takeoversBefore = await metric(a, /^nss_mqtt_takeovers_total\{where="elsewhere"\} (\d+)/m);

    // the balancer sends its reconnection to B while A still holds the old connection (a half-open TCP, say): B knows the
    // secret A verified (the cluster's digests), no scrypt check there
    const checksOnB = await metric(b, /^nss_mqtt_secret_checks_total (\d+)/m);
    const onB = await connectGateway(b.mqttPort, g);
    expect(await metric(b, /^nss_mqtt_secret_checks_total (\d+)/m)).toBe(checksOnB);
    expect(await onA.closedWithin(5000)).toBe(true);
    await expect.poll(() => metric(a, /^nss_mqtt_takeovers_total\{where="elsewhere"\} (\d+)/m)).toBe(takeoversBefore + 1);
    expect(onB.isClosed).toBe(false);

    // still online, and on record: online once (A), online again (B) is not a change, never offline or its will
    await Promise.all([a.ingest.drain(5000), b.ingest.drain(5000)]);
    expect(await statusOf(a.db, g.gatewayId)).toBe('online');
    expect(await events(a.db, g.gatewayId)).toEqual(['online:connected']);

    // and back to A: the same, the other way
    const again = await connectGateway(a.mqttPort, g);
    expect(await onB.closedWithin(5000)).toBe(true);
    await expect.poll(() => metric(b, /^nss_mqtt_takeovers_total\{where="elsewhere"\} (\d+)/m)).toBe(1);
    expect(await events(a.db, g.gatewayId)).toEqual(['online:connected']);

    // a real disconnection is recorded once, by the node that held the connection
    again.send({ cmd: 'disconnect' });
    await again.closed;
    await expect.poll(() => statusOf(a.db, g.gatewayId)).toBe('offline');
    expect(await events(a.db, g.gatewayId)).toEqual(['online:connected', 'offline:disconnected']);
  });

  it('a gateway that left one node and comes back through the other is online again, on record', async () => {
    const g = await provisionTankFarm(api, 'E-CL2', 'G-CL2');
    const first = await connectGateway(b.mqttPort, g);
    const onA = await connectGateway(a.mqttPort, g); // moved: B forgets what it recorded
    expect(await first.closedWithin(5000)).toBe(true);
    onA.destroy(); // gone without DISCONNECT: its will says offline
    await expect.poll(() => statusOf(a.db, g.gatewayId)).toBe('offline');
    await connectGateway(b.mqttPort, g);
    await expect.poll(() => statusOf(a.db, g.gatewayId)).toBe('online');
    await expect.poll(() => events(a.db, g.gatewayId)).toEqual(['online:connected', 'offline:last_will', 'online:connected']);
  });

  it('a command sent through one node reaches the gateway on the other; one queued while it was away is delivered where it reconnects', async () => {
    const g = await provisionTankFarm(api, 'E-CL3', 'G-CL3');
    const onB = await connectGateway(b.mqttPort, g);
    await subscribeCommands(onB, g);
    await a.sendCommand(g.enterpriseId, g.gatewayId, 'set-point', { n: 1 });
    const live = await onB.next('publish');
    expect(live.topic).toBe(`${topics.commandPrefix(g.enterpriseId, g.gatewayId)}/set-point`);
    expect(JSON.parse(live.payload.toString())).toEqual({ n: 1 });
    onB.send({ cmd: 'puback', messageId: live.messageId! });

    onB.send({ cmd: 'disconnect' });
    await onB.closed;
    await b.sendCommand(g.enterpriseId, g.gatewayId, 'set-point', { n: 2 });
    // the session (its subscription kept) resumes on A, which delivers what B queued
    const onA = await connectGateway(a.mqttPort, g);
    const queued = await onA.next('publish');
    expect(JSON.parse(queued.payload.toString())).toEqual({ n: 2 });
    expect(queued.topic).toBe(`${topics.commandPrefix(g.enterpriseId, g.gatewayId)}/set-point`);
  });

  it("disabling a gateway through one node's API closes its connection on the other", async () => {
    const g = await provisionTankFarm(api, 'E-CL4', 'G-CL4');
    const onB = await connectGateway(b.mqttPort, g);
    expect((await api.request('POST', `/api/v1/gateways/${g.gatewayId}/disable`)).status).toBe(204);
    expect(await onB.closedWithin(1000)).toBe(true);
    const refused = await rawConnect(b.mqttPort, { clientId: g.gatewayId, username: g.gatewayId, password: g.secret });
    open.push(refused.c);
    expect(refused.connack.returnCode).toBe(5);
  });

  it("another broker's announcement of the gateway arriving late does not close its newest connection; a current one does", async () => {
    const g = await provisionTankFarm(api, 'E-CL8', 'G-CL8');
    const onB = await connectGateway(b.mqttPort, g);
    const onA = await connectGateway(a.mqttPort, g);
    expect(await onB.closedWithin(5000)).toBe(true);
    await subscribeCommands(onA, g);

    // B's announcement of the connection it held, delayed (a Redis failover, a slow subscriber), arrives after A's
    // newer connection: as aedes itself sends it, through the cluster's emitter on the deployment's channels
    const redis = new Redis(svc.redis.url);
    const announcer = clusterEmitter({
      sub: new Redis(svc.redis.url),
      pub: new Redis(svc.redis.url),
      channelPrefix: mqttClusterChannelPrefix('cl:'),
      concurrency: 1,
      onError: (err) => expect.unreachable(err.message),
      brokerId: 'test-announcer',
      newestHere: () => Promise.resolve(false),
      onStale: () => undefined,
    });
    const announce = (brokerId: string) =>
      new Promise<void>((resolve, reject) =>
        announcer.emit({ topic: `$SYS/${brokerId}/new/clients`, payload: Buffer.from(g.gatewayId) }, (err) => (err ? reject(err) : resolve())),
      );
    const stale = () => metric(a, /^nss_mqtt_stale_announcements_total (\d+)/m);
    const takeovers = () => metric(a, /^nss_mqtt_takeovers_total\{where="elsewhere"\} (\d+)/m);
    try {
      const [staleBefore, takeoversBefore] = [await stale(), await takeovers()];
      await announce('node-b');
      await expect.poll(stale).toBe(staleBefore + 1);
      expect(onA.isClosed).toBe(false);
      // the connection is whole: a command through B reaches it
      await b.sendCommand(g.enterpriseId, g.gatewayId, 'set-point', { n: 8 });
      expect(JSON.parse((await onA.next('publish')).payload.toString())).toEqual({ n: 8 });

      // B announces a connection that is the newest (its claim stands): A's is closed, as a takeover
      const owners = new ConnectionOwners(redis, 'cl:', 'node-b');
      await owners.claim(g.gatewayId, 'newer-on-b');
      await announce('node-b');
      expect(await onA.closedWithin(5000)).toBe(true);
      await expect.poll(takeovers).toBe(takeoversBefore + 1);
      expect(await stale()).toBe(staleBefore + 1);
      await owners.release(g.gatewayId, 'newer-on-b');
      expect(await events(a.db, g.gatewayId)).toEqual(['online:connected']);
    } finally {
      await new Promise<void>((resolve) => announcer.close(resolve));
      redis.disconnect();
    }
  });

  it('cluster messages stay on the deployment’s channels; readings never go through Redis; one pattern per node for all commands', async () => {
    // gateways subscribing to their commands on one node add no Redis pattern after the first: one for all of them
    const redis = new Redis(svc.redis.url);
    const patternsOfA = async () => {
      const list = String(await redis.call('CLIENT', 'LIST'));
      const subs = list.split('\n').filter((l) => l.includes('name=nss-broker-cluster-sub'));
      return subs.map((l) => Number(/ psub=(\d+)/.exec(l)?.[1])).reduce((x, y) => x + y, 0);
    };
    const subscribed = async (n: string) => {
      const g = await provisionTankFarm(api, `E-CL${n}`, `G-CL${n}`);
      await subscribeCommands(await connectGateway(a.mqttPort, g), g);
    };
    await subscribed('5');
    const before = await patternsOfA();
    await subscribed('6');
    await subscribed('7');
    expect(await patternsOfA()).toBe(before);
    try {
      const channels = (await redis.pubsub('CHANNELS', '*')) as string[];
      const patterns = (await redis.call('PUBSUB', 'NUMPAT')) as number;
      expect(channels.filter((c) => c.includes('mqtt-cluster') && !c.startsWith('cl:mqtt-cluster:'))).toEqual([]);
      expect(channels.filter((c) => c.startsWith('cl:mqtt-cluster:') && !c.includes('/cmd') && !c.includes('$SYS/'))).toEqual([]);
      expect(patterns).toBeGreaterThan(0); // the $SYS/+/… filters and the gateways' cmd/# ones
    } finally {
      redis.disconnect();
    }
  });
});

describe('a node killed with its gateways connected', () => {
  let a: Platform;
  let b: PlatformProcess;
  let api: AdminClient;
  const HEARTBEAT_MS = 500;

  beforeAll(async () => {
    const database = 'cluster_kill';
    ({ platform: a } = await startTestPlatform(svc, 'ckA', {
      databaseUrl: pg.url,
      redisPrefix: 'ck:',
      influx: { url: svc.influx.url, database },
      parts: ['gateway', 'api'],
      mqtt: { host: '127.0.0.1', port: 0, brokerId: 'node-a', heartbeatIntervalMs: HEARTBEAT_MS },
    }));
    b = platformProcess(svc, {
      name: 'ckB',
      env: {
        PARTS: 'gateway,api',
        DATABASE_URL: pg.url,
        REDIS_PREFIX: 'ck:',
        INFLUX_DB: database,
        MQTT_BROKER_ID: 'node-b',
        MQTT_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
        LOG_LEVEL: 'warn',
      },
    });
    await b.start();
    api = new AdminClient(`http://127.0.0.1:${a.httpPort}`, a.adminToken);
  }, 90_000);
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('the gateway that reconnects to the survivor is not recorded offline; the one that does not is, once, by its will', async () => {
    const moving = await provisionTankFarm(api, 'E-CK1', 'G-CK1');
    const gone = await provisionTankFarm(api, 'E-CK2', 'G-CK2');
    const silent = await provisionTankFarm(api, 'E-CK3', 'G-CK3');
    const m1 = await connectGateway(b.mqttPort, moving);
    const g1 = await connectGateway(b.mqttPort, gone);
    // one without a will: nothing of it is left to publish when its node dies
    const s1 = await rawConnect(b.mqttPort, { clientId: silent.gatewayId, username: silent.gatewayId, password: silent.secret, clean: false });
    open.push(s1.c);
    expect(s1.connack.returnCode).toBe(0);
    await expect.poll(async () => Promise.all([moving, gone, silent].map((g) => statusOf(a.db, g.gatewayId)))).toEqual(['online', 'online', 'online']);

    await b.kill9();
    await Promise.all([m1.closed, g1.closed]);
    await connectGateway(a.mqttPort, moving); // through the balancer, to the node left

    // A publishes the dead node's wills once it has missed 3 heartbeats (checked every 4): the one that came back is stale
    await expect.poll(() => statusOf(a.db, gone.gatewayId), { timeout: 15_000 }).toBe('offline');
    expect(await events(a.db, gone.gatewayId)).toEqual(['online:connected', 'offline:last_will']);
    // and the one without a will is recorded offline by the survivor's sweep of the dead node's gateways, once
    await expect.poll(() => statusOf(a.db, silent.gatewayId), { timeout: 15_000 }).toBe('offline');
    expect(await events(a.db, silent.gatewayId)).toEqual(['online:connected', 'offline:node_lost']);
    expect(await statusOf(a.db, moving.gatewayId)).toBe('online');
    expect(await events(a.db, moving.gatewayId)).toEqual(['online:connected']);

    // the dead node, restarted, resets only the gateways nobody else holds
    await b.start();
    expect(await statusOf(a.db, moving.gatewayId)).toBe('online');
    expect(await events(a.db, moving.gatewayId)).toEqual(['online:connected']);
  });
});

describe('who publishes a will another broker stored', () => {
  it('not while that broker is alive (one just started, not yet heard of by aedes, included); once, by one node, after it died', async () => {
    const redis = new Redis(svc.redis.url);
    try {
      const b = new ConnectionOwners(redis, 'wl:', 'node-b');
      const a = new ConnectionOwners(redis, 'wl:', 'node-a');
      const c = new ConnectionOwners(redis, 'wl:', 'node-c');
      await b.claim('G1', 'conn-1');
      await b.keepAlive(60_000, () => undefined);
      expect(await a.takeStoredWill('G1', 'node-b')).toBe('broker_alive'); // B publishes its own wills
      await b.stopAlive(); // B gone (its alive mark lapsed, or a clean stop)
      expect(await a.takeStoredWill('G1', 'node-b')).toBe('publish');
      expect(await a.takeStoredWill('G1', 'node-b')).toBe('publish'); // asked again (aedes asks twice): the same
      expect(await c.takeStoredWill('G1', 'node-b')).toBe('not_ours'); // another node: A took it
      // a gateway that reconnected elsewhere meanwhile: its dead broker's will is stale
      await c.claim('G2', 'conn-2');
      expect(await a.takeStoredWill('G2', 'node-b')).toBe('not_ours');
    } finally {
      redis.disconnect();
    }
  });
});
