/**
 * Retention and rollups on the real InfluxDB 1.6.7 (docs/adr/0008): the
 * policies and the continuous query exist after the platform starts and a
 * restart changes nothing; a rollup holds the exact min/max/mean/count of the
 * readings it rolls up (the continuous query's own SELECT … INTO run over a
 * past window, as a back-fill, instead of waiting for influxd's scheduler); a
 * database upgraded in place (the infinite `autogen`, years of readings) is
 * rolled up before its raw retention shrinks, so its readings stay readable;
 * a long or old history range reads the rollups (shown by the InfluxQL the API
 * issues) and a short recent one reads the raw readings.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InfluxClient } from '../../../core/influx/client.ts';
import { continuousQueries, ensureRetention, retentionPolicies, ROLLUP, rollupSelect } from '../../../core/influx/retention.ts';
import { readingLine, readingSeriesKey } from '../../../core/influx/schema.ts';
import { encodeReadings, topics } from '../../../core/contract.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { provisionTankFarm } from '../../../testkit/fixtures.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';
import type { Platform } from '../../../platform/platform.ts';

const MIN = 60_000;
const DAY = 24 * 3600_000;
const FIVE = 5 * MIN;
const OPTS = { rawDays: 30, rollupDays: 1830 };

let svc: TestServices;
beforeAll(async () => {
  svc = await startTestServices('retention');
});
afterAll(async () => {
  await svc?.stop();
});

const key = (sensorId: string) => readingSeriesKey({ enterpriseId: 'E1', gatewayId: 'G1', sensorId, kind: 'combustible_gas', unit: '%LEL' });

/** 60 readings 5 s apart from `t0` (a 5-minute boundary): 44 %LEL, but one 52 peak and one 36 dip. Mean 44, min 36, max 52, count 60, sum 2640. */
function episode(sensorId: string, t0: number): string {
  const values = Array.from({ length: 60 }, (_, i) => (i === 17 ? 52 : i === 41 ? 36 : 44));
  return values.map((v, i) => readingLine(key(sensorId), v, 'good', t0 + i * 5000)).join('\n');
}

async function rollupRows(influx: InfluxClient, sensorId: string, from: number, to: number) {
  const [s] = await influx.query(
    `SELECT "min", "max", "mean", "count", "sum" FROM "${ROLLUP.policy}"."${ROLLUP.measurement}" WHERE "sensor" = '${sensorId}' AND time >= ${from}ms AND time < ${to}ms`,
  );
  return s ? s.values : [];
}

describe('a database upgraded in place (infinite autogen, readings older than the raw retention)', () => {
  it('rolls up every stored reading, then shortens the raw retention; a second run changes nothing', async () => {
    const influx = new InfluxClient({ url: svc.influx.url, database: 't_upgrade' });
    await influx.createDatabase();
    const now = Math.floor(Date.now() / FIVE) * FIVE;
    const old = now - 60 * DAY; // older than the 30-day raw retention
    const recent = now - 2 * 3600_000;
    await influx.write(`${episode('GT-OLD', old)}\n${episode('GT-NEW', recent)}`);
    expect((await retentionPolicies(influx)).find((p) => p.isDefault)).toMatchObject({ name: 'autogen', durationMs: 0 });

    const first = await ensureRetention(influx, OPTS, now);
    expect(first).toMatchObject({ rawPolicy: 'autogen', rawBeforeMs: 0, createdRollupPolicy: true, createdContinuousQuery: true });
    expect(first.backfilledChunks).toBe(9); // 60 days in 7-day statements
    expect(await retentionPolicies(influx)).toEqual([
      { name: 'autogen', durationMs: 30 * DAY, isDefault: true },
      { name: 'rollup', durationMs: 1830 * DAY, isDefault: false },
    ]);
    // the 60-day-old readings (which InfluxDB may now drop from autogen) are in the rollup, exactly
    expect(await rollupRows(influx, 'GT-OLD', old, old + FIVE)).toEqual([[old, 36, 52, 44, 60, 2640]]);
    expect(await rollupRows(influx, 'GT-NEW', recent, recent + FIVE)).toEqual([[recent, 36, 52, 44, 60, 2640]]);

    const again = await ensureRetention(influx, OPTS, now + MIN);
    expect(again).toEqual({ rawPolicy: 'autogen', rawBeforeMs: 30 * DAY, backfilledChunks: 0, createdRollupPolicy: false, createdContinuousQuery: false });
    expect((await continuousQueries(influx)).map((c) => c.name)).toEqual([ROLLUP.continuousQuery]);
  });

  it('a longer raw retention set later is applied without a back-fill', async () => {
    const influx = new InfluxClient({ url: svc.influx.url, database: 't_upgrade' });
    const r = await ensureRetention(influx, { rawDays: 90, rollupDays: 3650 }, Date.now());
    expect(r).toMatchObject({ rawBeforeMs: 30 * DAY, backfilledChunks: 0 });
    expect(await retentionPolicies(influx)).toEqual([
      { name: 'autogen', durationMs: 90 * DAY, isDefault: true },
      { name: 'rollup', durationMs: 3650 * DAY, isDefault: false },
    ]);
  });
});

describe('a database whose default policy already has the raw retention, but no rollups yet', () => {
  it('rolls up the stored readings on the first set-up all the same', async () => {
    const influx = new InfluxClient({ url: svc.influx.url, database: 't_preset' });
    await influx.createDatabase();
    await influx.query('ALTER RETENTION POLICY "autogen" ON "t_preset" DURATION 31d', { method: 'POST', database: null });
    const now = Math.floor(Date.now() / FIVE) * FIVE;
    const t0 = now - 10 * DAY;
    await influx.write(episode('GT-101', t0));
    const r = await ensureRetention(influx, { rawDays: 31, rollupDays: 1830 }, now);
    expect(r).toMatchObject({ rawBeforeMs: 31 * DAY, backfilledChunks: 2, createdContinuousQuery: true });
    expect(await rollupRows(influx, 'GT-101', t0, t0 + FIVE)).toEqual([[t0, 36, 52, 44, 60, 2640]]);
  });
});

describe('the platform sets up retention and reads the rollups for long ranges', () => {
  let platform: Platform;
  let database: string;
  let api: AdminClient;
  const now = Math.floor(Date.now() / FIVE) * FIVE;

  beforeAll(async () => {
    ({ platform, database } = await startTestPlatform(svc, 'retention'));
    api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
    await provisionTankFarm(api, 'E1', 'G1');
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('creates the rollup policy and the continuous query over the default policy at start', async () => {
    expect(await retentionPolicies(platform.influx)).toEqual([
      { name: 'autogen', durationMs: 31 * DAY, isDefault: true },
      { name: 'rollup', durationMs: 1830 * DAY, isDefault: false },
    ]);
    const cqs = await continuousQueries(platform.influx);
    expect(cqs.map((c) => c.name)).toEqual([ROLLUP.continuousQuery]);
    // as InfluxDB keeps it: the 5-minute rollup of the default policy's readings, every tag kept, late data within 1 h rolled up again
    expect(cqs[0]!.query).toBe(
      `CREATE CONTINUOUS QUERY reading_5m_v1 ON ${database} RESAMPLE FOR 1h BEGIN SELECT min(value) AS min, max(value) AS max, mean(value) AS mean, ` +
        `count(value) AS count, sum(value) AS sum INTO ${database}.rollup.reading_5m FROM ${database}.autogen.reading GROUP BY time(5m), * END`,
    );
  });

  it('a rollup holds the exact min/max/mean/count/sum of the readings (the CQ run over a past window)', async () => {
    const t0 = now - 3 * 3600_000;
    await platform.influx.write(`${episode('GT-101', t0)}\n${episode('GT-101', t0 + FIVE)}`);
    await platform.influx.query(rollupSelect(database, 'autogen', `time >= ${t0}ms AND time < ${t0 + 2 * FIVE}ms`), { method: 'POST' });
    expect(await rollupRows(platform.influx, 'GT-101', t0, t0 + 2 * FIVE)).toEqual([
      [t0, 36, 52, 44, 60, 2640],
      [t0 + FIVE, 36, 52, 44, 60, 2640],
    ]);
  });

  it('a long range reads the rollup: the 52 %LEL peak survives in max, the count is every reading', async () => {
    // a week at one reading a minute: 44 %LEL, one 52 peak three days ago
    const from = now - 7 * DAY;
    const peakAt = now - 3 * DAY + 7 * MIN;
    const lines: string[] = [];
    for (let t = from; t < now - DAY; t += MIN) lines.push(readingLine(key('LT-201'), t === peakAt ? 52 : 44, 'good', t));
    await platform.influx.write(lines.join('\n'));
    await platform.influx.query(rollupSelect(database, 'autogen', `time >= ${from}ms AND time < ${now}ms`), { method: 'POST', timeoutMs: 60_000 });

    const spy = vi.spyOn(platform.influx, 'query');
    const r = await api.ok<{
      mode: string;
      source: string;
      intervalMs: number;
      points: { t: number; mean: number; min: number; max: number; count: number }[];
    }>('GET', `/api/v1/enterprises/E1/sensors/LT-201/readings?from=${from}&to=${now}&points=300`);
    const issued = spy.mock.calls.map((c) => c[0]);
    spy.mockRestore();
    // 7 days ÷ 300 points = 2016 s, rounded up to whole 5-minute rollups: 2100 s
    expect(r).toMatchObject({ mode: 'downsampled', source: 'rollup', intervalMs: 2_100_000 });
    // the rollups up to the bucket holding "15 minutes ago" (the rollup query may not have written later ones yet), the raw readings after it
    const rolled = issued.find((q) => q.includes('FROM "rollup"."reading_5m"'))!;
    const cut = Number(/time < (\d+)ms/.exec(rolled)![1]);
    expect(rolled).toBe(
      `SELECT sum("sum") / sum("count") AS "mean", min("min") AS "min", max("max") AS "max", sum("count") AS "count" FROM "rollup"."reading_5m" ` +
        `WHERE "ent" = 'E1' AND "sensor" = 'LT-201' AND time >= ${from}ms AND time < ${cut}ms GROUP BY time(2100000ms) fill(none)`,
    );
    expect(cut % 2_100_000).toBe(0);
    expect(now - cut).toBeGreaterThanOrEqual(15 * MIN);
    expect(now - cut).toBeLessThan(15 * MIN + 2_100_000 + MIN);
    expect(issued).toContain(
      `SELECT mean("value") AS "mean", min("value") AS "min", max("value") AS "max", count("value") AS "count" FROM "reading" ` +
        `WHERE "ent" = 'E1' AND "sensor" = 'LT-201' AND time >= ${cut}ms AND time < ${now}ms GROUP BY time(2100000ms) fill(none)`,
    );
    expect(r.points.reduce((n, p) => n + p.count, 0)).toBe(6 * 24 * 60);
    const peak = r.points.find((p) => p.max === 52)!;
    expect(peak.t).toBeLessThanOrEqual(peakAt);
    expect(peak.t + 2_100_000).toBeGreaterThan(peakAt);
    expect(peak).toMatchObject({ min: 44, count: 35 });
    expect(peak.mean).toBeCloseTo((34 * 44 + 52) / 35, 9);
    expect(r.points.filter((p) => p !== peak).every((p) => p.min === 44 && p.max === 44 && p.mean === 44)).toBe(true);
  });

  it('a short recent range still reads the raw readings', async () => {
    const from = now - 3 * 3600_000 + MIN; // the second minute of the episode written above: its 52 peak is reading 17
    const spy = vi.spyOn(platform.influx, 'query');
    const r = await api.ok<{ mode: string; source: string; points: { t: number; value: number }[] }>(
      'GET',
      `/api/v1/enterprises/E1/sensors/GT-101/readings?from=${from}&to=${from + MIN}&points=300`,
    );
    const issued = spy.mock.calls.map((c) => c[0]);
    spy.mockRestore();
    expect(r).toMatchObject({ mode: 'raw', source: 'raw' });
    expect(issued).toContain(
      `SELECT "value", "quality" FROM "reading" WHERE "ent" = 'E1' AND "sensor" = 'GT-101' AND time >= ${from}ms AND time < ${from + MIN}ms ORDER BY time ASC LIMIT 300`,
    );
    expect(r.points.map((p) => p.value)).toEqual([44, 44, 44, 44, 44, 52, 44, 44, 44, 44, 44, 44]);
  });

  it('a restart finds everything in place and creates nothing', async () => {
    await platform.stop();
    const again = await startTestPlatform(svc, 'retention');
    platform = again.platform;
    const set = again.logs.find((l) => l.msg === 'InfluxDB retention and rollups set');
    expect(set).toMatchObject({ rawPolicy: 'autogen', backfilledChunks: 0, createdRollupPolicy: false, createdContinuousQuery: false });
    expect((await continuousQueries(platform.influx)).map((c) => c.name)).toEqual([ROLLUP.continuousQuery]);
    expect((await retentionPolicies(platform.influx)).map((p) => [p.name, p.durationMs])).toEqual([
      ['autogen', 31 * DAY],
      ['rollup', 1830 * DAY],
    ]);
  });
});

describe('a platform upgraded in place keeps its readings readable', () => {
  it('an existing database with readings older than the raw retention: after start, history of that range reads them from the rollup', async () => {
    const database = `t_upgraded_${process.pid}`; // the database startTestPlatform(svc, 'upgraded') uses
    const before = new InfluxClient({ url: svc.influx.url, database });
    await before.createDatabase(); // as the platform of before created it: autogen, infinite, default
    const now = Math.floor(Date.now() / FIVE) * FIVE;
    const old = now - 90 * DAY;
    const recent = now - 3600_000;
    await before.write(`${episode('GT-101', old)}\n${episode('GT-101', recent)}`);

    const { platform, logs } = await startTestPlatform(svc, 'upgraded');
    try {
      expect(logs.find((l) => l.msg === 'InfluxDB retention and rollups set')).toMatchObject({ rawPolicy: 'autogen', rawBeforeMs: 0, backfilledChunks: 13 });
      const api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
      await provisionTankFarm(api, 'E1', 'G1');
      type Down = { source: string; points: { t: number; mean: number; min: number; max: number; count: number }[] };
      const oldRange = await api.ok<Down>('GET', `/api/v1/enterprises/E1/sensors/GT-101/readings?from=${old - FIVE}&to=${old + 2 * FIVE}`);
      expect(oldRange).toMatchObject({ source: 'rollup', points: [{ t: old, mean: 44, min: 36, max: 52, count: 60 }] });
      const recentRange = await api.ok<{ source: string; points: { value: number }[] }>(
        'GET',
        `/api/v1/enterprises/E1/sensors/GT-101/readings?from=${recent}&to=${recent + FIVE}&points=100`,
      );
      expect(recentRange.source).toBe('raw');
      expect(recentRange.points).toHaveLength(60);
      expect(Math.max(...recentRange.points.map((p) => p.value))).toBe(52);
    } finally {
      await platform.stop();
    }
  });
});

describe('a reading stored later than the continuous query re-computes (a backlog after an outage)', () => {
  it('is rolled up again: the rollup of its bucket counts it and its peak', async () => {
    const database = `t_late_${process.pid}`;
    const { platform } = await startTestPlatform(svc, 'late', { influx: { url: svc.influx.url, database, retention: { lateRerollIntervalMs: 1000 } } });
    const api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
    const gw = await provisionTankFarm(api, 'E1', 'G1');
    const client = await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: gw.secret });
    try {
      const t0 = Math.floor(Date.now() / FIVE) * FIVE - 3 * 3600_000; // three hours ago: outside RESAMPLE FOR 1h
      // the bucket as the CQ rolled it up three hours ago
      await platform.influx.write(episode('GT-101', t0));
      await platform.influx.query(rollupSelect(database, 'autogen', `time >= ${t0}ms AND time < ${t0 + FIVE}ms`), { method: 'POST' });
      expect(await rollupRows(platform.influx, 'GT-101', t0, t0 + FIVE)).toEqual([[t0, 36, 52, 44, 60, 2640]]);
      // the gateway's backlog arrives now, with a 60 %LEL reading inside that bucket
      await publish(client, topics.readings('E1', 'G1'), encodeReadings([{ sensor: 'GT-101', value: 60, unit: '%LEL', quality: 'good', ts: t0 + 2500 }]));
      await vi.waitFor(async () => expect(await rollupRows(platform.influx, 'GT-101', t0, t0 + FIVE)).toEqual([[t0, 36, 60, 2700 / 61, 61, 2700]]), {
        timeout: 10_000,
        interval: 200,
      });
    } finally {
      client.end(true);
      await platform.stop();
    }
  });
});
