/**
 * Resilience on real services: an InfluxDB outage (retry with backoff,
 * nothing acknowledged until stored, bounded buffers and no lost data once it
 * is back), broker sessions that survive a platform restart because they live
 * in Redis, and the Redis settings the project relies on.
 */
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeReadings, topics, type ReadingOut } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm, storedReadings, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { connect } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;

beforeAll(async () => {
  svc = await startTestServices('resilience');
});
afterAll(async () => {
  await svc?.stop();
});

describe('InfluxDB outage', () => {
  let platform: Platform;
  let gw: ProvisionedGateway;
  let client: MqttClient;
  const MAX_BUFFERED = 200;

  beforeAll(async () => {
    ({ platform } = await startTestPlatform(svc, 'outage', {
      ingest: { maxBufferedPoints: MAX_BUFFERED, writeTimeoutMs: 500, retryBaseDelayMs: 20, retryMaxDelayMs: 200, batchMaxDelayMs: 5 },
    }));
    gw = await provisionTankFarm(new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken), 'E-OUT', 'GW-OUT');
    client = await connect(platform.mqttPort, { clientId: 'GW-OUT', username: 'GW-OUT', password: gw.secret, clean: false });
  });
  afterAll(async () => {
    client?.end(true);
    await platform?.stop();
  });

  it('acknowledges nothing while InfluxDB hangs, keeps buffers bounded, then stores everything once it is back', async () => {
    const influxPid = svc.influx.child?.pid as number;
    const t0 = Date.now() - 3600_000;
    const messages = 100;
    const acked: number[] = [];
    process.kill(influxPid, 'SIGSTOP'); // InfluxDB stops answering (slow/hung, not refused)
    let maxBuffered = 0;
    try {
      for (let m = 0; m < messages; m++) {
        const readings: ReadingOut[] = Array.from({ length: 10 }, (_, i) => ({
          sensor: 'GT-101',
          value: m + i / 10,
          unit: '%LEL',
          quality: 'good',
          ts: t0 + m * 10 + i,
        }));
        client.publish(topics.readings('E-OUT', 'GW-OUT'), encodeReadings(readings), { qos: 1 }, (err) => {
          if (!err) acked.push(m);
        });
      }
      // wait until writes have failed and been retried a few times
      await expect
        .poll(async () => (await platform.metrics.writeFailures.get()).values.find((v) => v.labels.kind === 'retryable')?.value ?? 0, {
          timeout: 15_000,
          interval: 50,
        })
        .toBeGreaterThanOrEqual(3);
      for (let i = 0; i < 20; i++) {
        maxBuffered = Math.max(maxBuffered, platform.ingest.batcher.depth);
        await new Promise((r) => setImmediate(r));
      }
      expect(acked).toEqual([]); // no PUBACK without a durable write
      expect(platform.ingest.batcher.depth).toBeGreaterThan(0);
      // admission stops at the bound; one socket chunk may be in decoding when it closes
      expect(maxBuffered).toBeLessThanOrEqual(MAX_BUFFERED + 10 * 64);
    } finally {
      process.kill(influxPid, 'SIGCONT');
    }
    await expect.poll(() => acked.length, { timeout: 30_000, interval: 50 }).toBe(messages);
    const rows = await storedReadings(platform.influx, 'E-OUT', 'GT-101');
    expect(rows).toHaveLength(messages * 10);
    expect(rows.map(([t]) => t)).toEqual(Array.from({ length: messages * 10 }, (_, k) => t0 + Math.floor(k / 10) * 10 + (k % 10)));
    expect(platform.ingest.batcher.depth).toBe(0);
  });
});

describe('broker sessions live in Redis', () => {
  it('runs Redis with appendonly yes and maxmemory-policy noeviction', async () => {
    const r = new Redis(svc.redis.url);
    try {
      expect(await r.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await r.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    } finally {
      r.disconnect();
    }
  });

  it('keeps a persistent session and a queued QoS 1 command across a platform restart', async () => {
    const first = await startTestPlatform(svc, 'sessions');
    const gw = await provisionTankFarm(new AdminClient(`http://127.0.0.1:${first.platform.httpPort}`, first.platform.adminToken), 'E-SES', 'GW-SES');
    const opts = { clientId: 'GW-SES', username: 'GW-SES', password: gw.secret, clean: false };
    const c1 = await connect(first.platform.mqttPort, opts);
    await new Promise<void>((resolve, reject) => c1.subscribe(topics.commands('E-SES', 'GW-SES'), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    await new Promise<void>((resolve) => c1.end(false, {}, () => resolve()));
    await first.platform.stop();

    // a new platform process on the same Redis (and data): the session must still be there
    const second = await startTestPlatform(svc, 'sessions');
    try {
      const command = { v: 1, command: 'resync' };
      await second.platform.sendCommand('E-SES', 'GW-SES', 'resync', command); // queued for the offline gateway's session
      const { sessionPresent, message } = await new Promise<{ sessionPresent: boolean; message: string }>((resolve, reject) => {
        let sessionPresent = false;
        const c = mqtt.connect({ host: '127.0.0.1', port: second.platform.mqttPort, protocolVersion: 4, reconnectPeriod: 0, ...opts });
        c.once('connect', (connack) => (sessionPresent = connack.sessionPresent));
        c.once('message', (_t, payload) => {
          resolve({ sessionPresent, message: payload.toString() });
          c.end(true);
        });
        c.once('error', reject);
      });
      expect(sessionPresent).toBe(true);
      expect(JSON.parse(message)).toEqual(command);
    } finally {
      await second.platform.stop();
    }
  });
});
