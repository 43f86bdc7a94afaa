/**
 * Gateway → broker → ingest → InfluxDB on real Redis, InfluxDB 1.6.7, PGlite
 * and MQTT connections: the happy path, batches, late data, re-sends, and
 * every kind of bad payload dead-lettered with a reason while the valid
 * traffic beside it is stored.
 */
import { connect as tcpConnect } from 'node:net';
import type { MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeReadings, encodeSignals, topics } from '../../../core/contract.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm, storedReadings, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';
import type { Platform } from '../../../platform/platform.ts';

let svc: TestServices;
let platform: Platform;
let api: AdminClient;
let gw: ProvisionedGateway;
let client: MqttClient;

beforeAll(async () => {
  svc = await startTestServices('ingest');
  ({ platform } = await startTestPlatform(svc, 'ingest'));
  api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
  gw = await provisionTankFarm(api, 'E1', 'G1');
  client = await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: gw.secret });
});

afterAll(async () => {
  client?.end(true);
  await platform?.stop();
  await svc?.stop();
});

const now = () => Date.now();

describe('readings and signals', () => {
  it('stores a batch of readings with their device timestamps once PUBACK arrives', async () => {
    const t0 = now() - 60_000;
    const readings = Array.from({ length: 20 }, (_, i) => ({ sensor: 'GT-101', value: 1.5 + i, unit: '%LEL', quality: 'good' as const, ts: t0 + i * 1000 }));
    await publish(client, topics.readings('E1', 'G1'), encodeReadings(readings));
    const rows = await storedReadings(platform.influx, 'E1', 'GT-101');
    expect(rows.filter(([t]) => t >= t0 && t < t0 + 20_000)).toEqual(readings.map((r) => [r.ts, r.value, 'good']));
  });

  it('stores late and out-of-order data with its own timestamps, and a re-send creates no duplicate', async () => {
    const base = now() - 3 * 24 * 3600_000; // a three-day-old backlog
    const late = [3, 1, 2].map((k) => ({
      sensor: 'LT-201',
      value: k * 0.5,
      unit: 'm',
      quality: 'uncertain' as const,
      ts: new Date(base + k * 60_000).toISOString(),
    }));
    await publish(client, topics.readings('E1', 'G1'), encodeReadings(late));
    await publish(client, topics.readings('E1', 'G1'), encodeReadings(late)); // the gateway re-sends
    const rows = await storedReadings(platform.influx, 'E1', 'LT-201');
    expect(rows).toEqual([1, 2, 3].map((k) => [base + k * 60_000, k * 0.5, 'uncertain']));
  });

  it('acknowledges QoS 1 messages in the order they were published (MQTT 3.1.1 §4.6), even when an earlier one is slower to store', async () => {
    const g = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'G-ORDER', enterpriseId: 'E1' });
    await api.ok('POST', '/api/v1/sensors', { id: 'GT-901', enterpriseId: 'E1', gatewayId: 'G-ORDER', kind: 'combustible_gas', unit: '%LEL', periodS: 5 });
    const socket = tcpConnect(platform.mqttPort, '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const acks: number[] = [];
    const n = 40;
    const allAcked = new Promise<void>((resolve, reject) => {
      parser.on('packet', (p) => {
        if (p.cmd === 'puback') acks.push(p.messageId!);
        if (acks.length === n) resolve();
      });
      socket.on('close', () => reject(new Error(`connection closed after ${acks.length} PUBACKs`)));
    });
    socket.on('data', (d) => parser.parse(d));
    const t0 = now() - 60_000;
    const frames = [
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 30,
        clientId: 'G-ORDER',
        username: 'G-ORDER',
        password: Buffer.from(g.secret),
      }),
    ];
    for (let i = 1; i <= n; i++) {
      // the first message names an unknown sensor: a registry reload and a dead letter make it the slowest to store
      const sensor = i === 1 ? 'NOT-PROVISIONED' : 'GT-901';
      const payload = encodeReadings([{ sensor, value: i, unit: '%LEL', quality: 'good', ts: t0 + i }]);
      frames.push(mqttPacket.generate({ cmd: 'publish', topic: topics.readings('E1', 'G-ORDER'), payload, qos: 1, messageId: i, retain: false, dup: false }));
    }
    socket.write(Buffer.concat(frames)); // one write: the broker reads them together and handles them concurrently
    await allAcked;
    socket.destroy();
    expect(acks).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect((await storedReadings(platform.influx, 'E1', 'GT-901')).length).toBe(n - 1);
  });

  it('stores process signals with the state and its code', async () => {
    const ts = now() - 5000;
    await publish(
      client,
      topics.signals('E1', 'G1'),
      encodeSignals([
        { point: 'P-RUN', state: 'running', ts },
        { point: 'V-IN', kind: 'valve', state: 'closed', ts },
      ]),
    );
    const series = await platform.influx.query(`SELECT "state", "code" FROM "signal" WHERE "ent" = 'E1' GROUP BY "point"`);
    const byPoint: Record<string, unknown[] | undefined> = Object.fromEntries(series.map((s) => [s.tags?.point ?? '', s.values[0]]));
    expect(byPoint['P-RUN']).toEqual([ts, 'running', 0]);
    expect(byPoint['V-IN']).toEqual([ts, 'closed', 1]);
  });

  it('answers a history query downsampled to the point budget', async () => {
    const t0 = now() - 2 * 3600_000;
    const readings = Array.from({ length: 600 }, (_, i) => ({ sensor: 'GT-101', value: i % 60, unit: '%LEL', quality: 'good' as const, ts: t0 + i * 1000 }));
    for (let i = 0; i < readings.length; i += 100) await publish(client, topics.readings('E1', 'G1'), encodeReadings(readings.slice(i, i + 100)));
    const raw = await api.ok<{ mode: string; points: { t: number; value: number }[]; latest: { t: number; value: number; quality: string } | null }>(
      'GET',
      `/api/v1/enterprises/E1/sensors/GT-101/readings?from=${t0}&to=${t0 + 20_000}&points=100`,
    );
    expect(raw.mode).toBe('raw');
    expect(raw.points.map((p) => p.value)).toEqual(readings.slice(0, 20).map((r) => r.value));
    // the current value of the range: its last reading
    expect(raw.latest).toEqual({ t: t0 + 19_000, value: 19, quality: 'good' });
    const down = await api.ok<{
      mode: string;
      intervalMs: number;
      points: { mean: number; min: number; max: number; count: number }[];
      latest: { t: number; value: number; quality: string } | null;
    }>('GET', `/api/v1/enterprises/E1/sensors/GT-101/readings?from=${t0}&to=${t0 + 600_000}&points=10`);
    expect(down.mode).toBe('downsampled');
    expect(down.intervalMs).toBe(60_000);
    expect(down.points.length).toBeLessThanOrEqual(11);
    expect(down.points.reduce((n, p) => n + p.count, 0)).toBe(600);
    expect(Math.max(...down.points.map((p) => p.max))).toBe(59);
    // the current value is the last reading as measured, at its own time — not the last bucket (its start, its mean)
    expect(down.latest).toEqual({ t: t0 + 599_000, value: 59, quality: 'good' });
    expect((down.points.at(-1) as unknown as { t: number }).t % 60_000).toBe(0);
  });

  it('refuses a history query for an unknown sensor or a bad range with a clear error', async () => {
    const missing = await api.request<{ error: { code: string } }>('GET', '/api/v1/enterprises/E1/sensors/NOPE/readings');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    const now = Date.now();
    const bad = await api.request<{ error: { code: string; message: string } }>(
      'GET',
      `/api/v1/enterprises/E1/sensors/GT-101/readings?from=${now}&to=${now - 60_000}`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/after/);
  });
});

describe('bad payloads are dead-lettered with a reason; nothing valid is lost', () => {
  const ok = (ts: number, value = 7) => ({ sensor: 'GT-101', value, unit: '%LEL', quality: 'good', ts });
  const cases: [string, string | Buffer, string][] = [
    ['malformed JSON', '{"v":1,"readings":[', 'malformed_json'],
    ['NaN literal', '{"v":1,"readings":[{"sensor":"GT-101","value":NaN,"unit":"%LEL","quality":"good","ts":1}]}', 'malformed_json'],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x00, 0x7b]), 'not_utf8'],
    ['missing readings array', JSON.stringify({ v: 1 }), 'bad_envelope'],
    ['unsupported version', JSON.stringify({ v: 2, readings: [ok(Date.now())] }), 'unsupported_version'],
    ['wrong type', JSON.stringify({ v: 1, readings: [{ ...ok(Date.now()), value: '7.0' }] }), 'bad_item'],
    ['missing field', JSON.stringify({ v: 1, readings: [{ sensor: 'GT-101', value: 1, quality: 'good', ts: Date.now() }] }), 'bad_item'],
    ['Infinity (1e999)', `{"v":1,"readings":[{"sensor":"GT-101","value":1e999,"unit":"%LEL","quality":"good","ts":${Date.now()}}]}`, 'bad_item'],
    ['absurd future timestamp', JSON.stringify({ v: 1, readings: [ok(Date.now() + 365 * 24 * 3600_000)] }), 'timestamp_in_future'],
    ['absurd past timestamp', JSON.stringify({ v: 1, readings: [ok(0)] }), 'timestamp_too_old'],
    ['unknown sensor', JSON.stringify({ v: 1, readings: [{ ...ok(Date.now()), sensor: 'GHOST-1' }] }), 'unknown_sensor'],
    ['wrong unit', JSON.stringify({ v: 1, readings: [{ ...ok(Date.now()), unit: 'ppm' }] }), 'unit_mismatch'],
    ['signal state not in vocabulary', JSON.stringify({ v: 1, signals: [{ point: 'V-IN', state: 'ajar', ts: Date.now() }] }), 'bad_state'],
  ];

  it.each(cases)('%s → %s, acknowledged, stored as a dead letter, counted', async (label, payload, code) => {
    const topic = code === 'bad_state' ? topics.signals('E1', 'G1') : topics.readings('E1', 'G1');
    const count = async () => (await platform.metrics.rejected.get()).values.find((v) => v.labels.reason === code)?.value ?? 0;
    const before = await count();
    await publish(client, topic, payload);
    const { deadLetters } = await api.ok<{ deadLetters: { reasonCode: string; reason: string; topic: string; clientId: string }[] }>(
      'GET',
      '/api/v1/dead-letters?gatewayId=G1&limit=1',
    );
    expect(deadLetters[0]).toMatchObject({ reasonCode: code, topic, clientId: 'G1' });
    expect(deadLetters[0]?.reason.length, label).toBeGreaterThan(5);
    expect(await count()).toBe(before + 1);
    expect(client.connected).toBe(true);
  });

  it('keeps the valid readings of a message that also carries invalid ones', async () => {
    const ts = now() - 2000;
    const payload = JSON.stringify({ v: 1, readings: [ok(ts, 11), { ...ok(ts + 1), sensor: 'GHOST-2' }, { ...ok(ts + 2), value: null }, ok(ts + 3, 12)] });
    await publish(client, topics.readings('E1', 'G1'), payload);
    const rows = (await storedReadings(platform.influx, 'E1', 'GT-101')).filter(([t]) => t >= ts && t <= ts + 3);
    expect(rows).toEqual([
      [ts, 11, 'good'],
      [ts + 3, 12, 'good'],
    ]);
    const { deadLetters } = await api.ok<{ deadLetters: { reasonCode: string; itemIndex: number }[] }>('GET', '/api/v1/dead-letters?gatewayId=G1&limit=2');
    expect(deadLetters.map((d) => [d.reasonCode, d.itemIndex]).sort()).toEqual([
      ['bad_item', 2],
      ['unknown_sensor', 1],
    ]);
  });

  it('picks up a sensor provisioned while the gateway is connected', async () => {
    await api.ok('POST', '/api/v1/sensors', { id: 'TT-301', enterpriseId: 'E1', gatewayId: 'G1', kind: 'temperature', unit: '°C', periodS: 10 });
    const ts = now() - 1000;
    await publish(client, topics.readings('E1', 'G1'), encodeReadings([{ sensor: 'TT-301', value: 36.6, unit: '°C', quality: 'good', ts }]));
    expect(await storedReadings(platform.influx, 'E1', 'TT-301')).toEqual([[ts, 36.6, 'good']]);
  });
});

describe('health and metrics', () => {
  it('reports health with its checks and the ingest buffer', async () => {
    const res = await fetch(`http://127.0.0.1:${platform.httpPort}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', checks: { influx: true, db: true }, ingest: { bufferedPoints: 0 }, mqtt: { connections: 1 } });
  });

  it('exposes received, written, rejected, buffer depth and write latency in Prometheus format', async () => {
    const text = await (await fetch(`http://127.0.0.1:${platform.httpPort}/metrics`)).text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    expect(value(/^nss_ingest_messages_received_total\{channel="readings"\} (\d+)/m)).toBeGreaterThan(10);
    expect(value(/^nss_ingest_points_written_total (\d+)/m)).toBeGreaterThan(600);
    expect(value(/^nss_ingest_rejected_total\{reason="unknown_sensor"\} (\d+)/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^nss_ingest_buffered_points (\d+)/m)).toBe(0);
    expect(value(/^nss_influx_write_seconds_count (\d+)/m)).toBeGreaterThan(0);
  });

  it('refuses admin requests without the token', async () => {
    const res = await fetch(`http://127.0.0.1:${platform.httpPort}/api/v1/gateways`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'a valid bearer token or session is required' } });
  });
});
