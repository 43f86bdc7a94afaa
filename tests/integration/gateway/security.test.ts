/**
 * The broker's refusals on real connections: wrong or missing credentials,
 * unknown gateways, identity mismatch, publishing into another enterprise's
 * or gateway's topics, subscribing to others' topics, oversized packets. Each
 * is refused, logged with the client id and reason, and counted, while a
 * legitimate gateway publishing alongside loses nothing.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeReadings, topics } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm, storedReadings, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { closed, connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform, type LogCapture } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let logs: LogCapture;
let api: AdminClient;
let g1: ProvisionedGateway;
let g2: ProvisionedGateway;
let g3: ProvisionedGateway;

const MAX_PACKET = 4096;

beforeAll(async () => {
  svc = await startTestServices('security');
  ({ platform, logs } = await startTestPlatform(svc, 'security', { mqtt: { host: '127.0.0.1', port: 0, maxPacketBytes: MAX_PACKET } }));
  api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
  g1 = await provisionTankFarm(api, 'E1', 'G1');
  g2 = await provisionTankFarm(api, 'E2', 'G2', false);
  // a second gateway of enterprise E1
  const created = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'G3', enterpriseId: 'E1' });
  g3 = { enterpriseId: 'E1', gatewayId: 'G3', secret: created.secret };
});

afterAll(async () => {
  await platform?.stop();
  await svc?.stop();
});

async function refusals(action: string, reason: string): Promise<number> {
  return (await platform.metrics.mqttRefusals.get()).values.find((v) => v.labels.action === action && v.labels.reason === reason)?.value ?? 0;
}

function logged(action: string, reason: string, clientId: string): boolean {
  return logs.lines.some((l) => l.action === action && l.reason === reason && l.clientId === clientId);
}

describe('connection refusals', () => {
  const cases: [string, () => { clientId: string; username?: string; password?: string }, string, number][] = [
    ['wrong password', () => ({ clientId: 'G1', username: 'G1', password: 'not-the-secret' }), 'bad_password', 4],
    ['unknown gateway', () => ({ clientId: 'GX', username: 'GX', password: 'whatever' }), 'unknown_gateway', 4],
    ['no credentials', () => ({ clientId: 'G1' }), 'missing_credentials', 4],
    ['client id differs from username', () => ({ clientId: 'G2', username: 'G1', password: g1.secret }), 'client_id_must_equal_username', 2],
  ];
  it.each(cases)('%s → CONNACK refused, logged and counted', async (_label, creds, reason, returnCode) => {
    const c = creds();
    const before = await refusals('connect', reason);
    const err = await connect(platform.mqttPort, c).then(
      () => undefined,
      (e: Error & { code?: number }) => e,
    );
    expect(err?.code).toBe(returnCode);
    expect(await refusals('connect', reason)).toBe(before + 1);
    expect(logged('connect', reason, c.clientId)).toBe(true);
  });

  it('refuses a disabled gateway with "not authorized" and accepts it again once enabled', async () => {
    await platform.db.query('UPDATE gateways SET disabled = true WHERE id = $1', ['G3']);
    // provisioning changes go through the API in production; here the cache is dropped by a secret rotation
    const rotated = await api.ok<{ secret: string }>('POST', '/api/v1/gateways/G3/rotate-secret');
    const err = await connect(platform.mqttPort, { clientId: 'G3', username: 'G3', password: rotated.secret }).then(
      () => undefined,
      (e: Error & { code?: number }) => e,
    );
    expect(err?.code).toBe(5);
    expect(logged('connect', 'gateway_disabled', 'G3')).toBe(true);
    await platform.db.query('UPDATE gateways SET disabled = false WHERE id = $1', ['G3']);
    const again = await api.ok<{ secret: string }>('POST', '/api/v1/gateways/G3/rotate-secret');
    g3.secret = again.secret;
    const c = await connect(platform.mqttPort, { clientId: 'G3', username: 'G3', password: g3.secret });
    c.end(true);
  });

  it('refuses the old secret after rotation', async () => {
    const old = g3.secret;
    g3.secret = (await api.ok<{ secret: string }>('POST', '/api/v1/gateways/G3/rotate-secret')).secret;
    const err = await connect(platform.mqttPort, { clientId: 'G3', username: 'G3', password: old }).then(
      () => undefined,
      (e: Error & { code?: number }) => e,
    );
    expect(err?.code).toBe(4);
  });
});

describe('publish and subscribe refusals, with valid traffic alongside', () => {
  let good: MqttClient;
  let stopGood: (() => Promise<number>) | undefined;
  const goodTs: number[] = [];

  beforeAll(async () => {
    good = await connect(platform.mqttPort, { clientId: 'G2', username: 'G2', password: g2.secret });
    // G2 streams readings for the whole of this block; every PUBACKed reading must be stored.
    let running = true;
    const t0 = Date.now() - 3600_000;
    const loop = (async () => {
      let i = 0;
      while (running) {
        const ts = t0 + i * 10;
        await publish(good, topics.readings('E2', 'G2'), encodeReadings([{ sensor: 'GT-101', value: i, unit: '%LEL', quality: 'good', ts }]));
        goodTs.push(ts);
        i++;
      }
      return i;
    })();
    stopGood = async () => {
      running = false;
      return loop;
    };
  });

  const offender = () => connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: g1.secret });

  const publishCases: [string, string, string][] = [
    ["another enterprise's topic", topics.readings('E2', 'G2'), 'foreign_enterprise'],
    ["another gateway's topic in the same enterprise", topics.readings('E1', 'G3'), 'foreign_gateway'],
    ['a topic outside the contract', 'plant/E1/G1/readings', 'topic_not_in_contract'],
    ['a command topic', 'v1/E1/G1/cmd/reboot', 'downlink_topic'],
  ];
  it.each(publishCases)('publishing into %s closes the connection, is logged and counted, and stores nothing', async (_label, topic, reason) => {
    const before = await refusals('publish', reason);
    const c = await offender();
    const gone = closed(c);
    c.publish(topic, encodeReadings([{ sensor: 'GT-101', value: 999, unit: '%LEL', quality: 'good', ts: Date.now() }]), { qos: 1 });
    await gone;
    c.end(true);
    expect(await refusals('publish', reason)).toBe(before + 1);
    expect(logged('publish', reason, 'G1')).toBe(true);
    const forged = await platform.influx.query(`SELECT count("value") FROM "reading" WHERE "value" = 999`);
    expect(forged).toEqual([]);
  });

  it("refuses subscriptions to others' topics with SUBACK 0x80, keeps the connection, and allows its own commands", async () => {
    const c = await offender();
    const filters = ['#', 'v1/#', 'v1/E2/G2/readings', 'v1/E1/+/cmd/#', 'v1/E1/G3/cmd/#', 'v1/E1/G1/readings', 'v1/E1/G1/cmd/#'];
    const before = await refusals('subscribe', 'not_own_command_topic');
    // mqtt.js reports a SUBACK with any 0x80 as an error carrying the packet; we read the granted codes from it.
    const granted = await new Promise<number[]>((resolve) =>
      c.subscribe(filters, { qos: 1 }, (err, g) => {
        const packet = (err as { packet?: { granted?: number[] } } | null)?.packet;
        resolve(packet?.granted ?? (g ?? []).map((x) => x.qos));
      }),
    );
    expect(granted).toEqual([128, 128, 128, 128, 128, 128, 1]);
    expect(c.connected).toBe(true);
    expect(await refusals('subscribe', 'not_own_command_topic')).toBeGreaterThan(before);
    expect(logged('subscribe', 'wildcard_outside_own_commands', 'G1')).toBe(true);
    c.end(true);
  });

  it('closes the connection of an oversized packet before reading its body, and counts it', async () => {
    const before = await refusals('publish', 'packet_too_large');
    const c = await offender();
    const gone = closed(c);
    c.publish(topics.readings('E1', 'G1'), Buffer.alloc(MAX_PACKET * 4, 0x20), { qos: 1 });
    await gone;
    c.end(true);
    expect(await refusals('publish', 'packet_too_large')).toBe(before + 1);
    expect(logs.lines.some((l) => l.reason === 'packet_too_large' && typeof l.declaredBytes === 'number' && l.declaredBytes > MAX_PACKET)).toBe(true);
  });

  it('lost none of the legitimate gateway’s readings meanwhile', async () => {
    const n = await stopGood!();
    expect(n).toBeGreaterThan(0);
    good.end(true);
    const rows = await storedReadings(platform.influx, 'E2', 'GT-101');
    expect(rows.map(([t]) => t)).toEqual(goodTs);
    expect(rows.map(([, v]) => v)).toEqual(goodTs.map((_, i) => i));
  });
});
