/**
 * Kill -9 the rules worker mid-episode, on real processes: one platform
 * process runs the gateway and the API (it acknowledges readings once they
 * are stored and queued in the feed), another runs the rules worker alone,
 * both on one PostgreSQL server, Redis and InfluxDB. The worker is killed
 * with SIGKILL while alerts are open, readings keep arriving while it is
 * dead, it is killed again while catching up, and restarted. Every episode
 * ends up as exactly one alert with exactly its transitions, at the data
 * times they happened (durations from the real start, not the restart), and
 * the event chain verifies.
 */
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeReadings, topics, type ReadingOut } from '../../../core/contract.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import { AlertStore } from '../../../alerts/store.ts';
import type { Alert } from '../../../alerts/state/index.ts';
import { feedKey } from '../../../core/feed.ts';
import { compareIds } from '../../../alerts/worker/worker.ts';
import { snapshotKey } from '../../../core/redis-keys.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { platformProcess, type PlatformProcess } from '../../../testkit/platform-process.ts';
import { startPostgres, type TestPostgres } from '../../../testkit/postgres.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const SENSORS = ['GT-1', 'GT-2', 'GT-3', 'GT-4', 'GT-5', 'GT-6'];
/** One leak: orange at 27 (≥ 25 %LEL), red at 52 (≥ 50), resolved at 20 (< 25 − 2 deadband). */
const LEAK = [5, 12, 20, 27, 30, 52, 55, 40, 20, 10, 5, 4, 5];
const STEP = 5000;
const EPISODE_GAP = 5 * 60_000;

let svc: TestServices;
let pgServer: TestPostgres;
let gatewayApi: PlatformProcess;
let worker: PlatformProcess;
let client: MqttClient;
let db: Db;
let store: AlertStore;
let redis: Redis;
/** Data time of the first reading; recent, so the readings are neither too old nor in the future. */
const T0 = Math.floor((Date.now() - 30 * 60_000) / 1000) * 1000;

beforeAll(async () => {
  [svc, pgServer] = await Promise.all([startTestServices('rules-restart'), startPostgres()]);
  const env = { DATABASE_URL: pgServer.url };
  gatewayApi = platformProcess(svc, { name: 'rr', env: { ...env, PARTS: 'gateway,api' } });
  // the worker process serves the API too, only so that the helper can see it is up
  worker = platformProcess(svc, {
    name: 'rr',
    env: { ...env, PARTS: 'rules,api', RULES_TICK_MS: '200', RULES_SNAPSHOT_INTERVAL_MS: '300' },
  });
  await gatewayApi.start();
  await worker.start();

  const api = new AdminClient(`http://127.0.0.1:${gatewayApi.httpPort}`, gatewayApi.token);
  await api.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '企业 E1', sector: 'hazardous_chemicals' });
  const gw = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'G1', enterpriseId: 'E1' });
  // an hour's period: no silence alert while the test runs
  for (const id of SENSORS)
    await api.ok('POST', '/api/v1/sensors', { id, enterpriseId: 'E1', gatewayId: 'G1', kind: 'combustible_gas', unit: '%LEL', periodS: 3600 });
  client = await connect(gatewayApi.mqttPort, { clientId: 'G1', username: 'G1', password: gw.secret });

  db = await openDb({ databaseUrl: pgServer.url, pgliteDir: '', logger: createLogger({ level: 'silent' }) });
  store = new AlertStore(db);
  redis = new Redis(svc.redis.url);
}, 120_000);

afterAll(async () => {
  client?.end(true);
  await worker?.stop();
  await gatewayApi?.stop();
  await db?.close();
  redis?.disconnect();
  await Promise.allSettled([svc?.stop(), pgServer?.stop()]);
});

/** Readings of every sensor over `values` from `from`, interleaved by time, one message each (many feed entries). */
async function publishSeries(from: number, values: number[], step = STEP): Promise<void> {
  const readings: ReadingOut[] = [];
  values.forEach((value, i) => SENSORS.forEach((sensor, k) => readings.push({ sensor, value, unit: '%LEL', quality: 'good', ts: from + i * step + k })));
  for (let i = 0; i < readings.length; i += 50) {
    await Promise.all(readings.slice(i, i + 50).map((r) => publish(client, topics.readings('E1', 'G1'), encodeReadings([r]))));
  }
}

const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);

/** How long and how often to poll for what the worker process does asynchronously. */
const POLL = { timeout: 30_000, interval: 50 };
/** A failed wait's message: what we waited for, and the end of the worker's log. */
const waitingFor = (what: string) => `${what}:\n${worker.output().slice(-2000)}`;

const snapshot = async () => {
  const text = await redis.get(snapshotKey('rr:'));
  return text === null ? undefined : (JSON.parse(text) as { lastId: string });
};
const feedEnd = async () => (await redis.xrevrange(feedKey('rr:'), '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';

const ep = (j: number) => T0 + j * EPISODE_GAP;

describe('rules worker killed with SIGKILL mid-episode', () => {
  it('loses no alert, duplicates none, and keeps the real start and end of each', async () => {
    // episode 0 complete, episode 1 up to orange (27, 30)
    await publishSeries(ep(0), LEAK);
    await publishSeries(ep(1), LEAK.slice(0, 5));
    await vi.waitFor(
      async () =>
        expect(
          await count("SELECT count(*) AS n FROM alerts WHERE rule_id = 'gas.combustible' AND state = 'firing'"),
          waitingFor('episode 1 open on every sensor'),
        ).toBe(SENSORS.length),
      POLL,
    );
    // killed once its state is in a snapshot that includes the open alerts, so the restart restores and replays
    const opened = await feedEnd();
    await vi.waitFor(
      async () => expect(compareIds((await snapshot())?.lastId ?? '0-0', opened), waitingFor('a snapshot past the open alerts')).toBeGreaterThanOrEqual(0),
      POLL,
    );
    await worker.kill9();

    // the rest of episode 1 and a long quiet stretch arrive while the worker is dead
    await publishSeries(ep(1) + 5 * STEP, LEAK.slice(5));
    await publishSeries(
      ep(2),
      Array.from({ length: 200 }, (_, i) => 3 + (i % 3)),
      1000,
    );
    const eventsBefore = await count('SELECT count(*) AS n FROM alert_events');

    // restarted, and killed again as soon as it has written anything: mid catch-up
    await worker.start();
    await vi.waitFor(
      async () => expect(await count('SELECT count(*) AS n FROM alert_events'), waitingFor('the restarted worker writes')).toBeGreaterThan(eventsBefore),
      { ...POLL, timeout: 60_000 },
    );
    await worker.kill9();
    await worker.start();
    await vi.waitFor(
      async () =>
        expect(
          await count("SELECT count(*) AS n FROM alerts WHERE rule_id = 'gas.combustible' AND state = 'resolved'"),
          waitingFor('every episode resolved'),
        ).toBe(2 * SENSORS.length),
      POLL,
    );

    for (const sensor of SENSORS) {
      const k = SENSORS.indexOf(sensor);
      const { rows } = await db.query<{ data: Alert }>('SELECT data FROM alerts WHERE fingerprint = $1 ORDER BY started_at', [`gas.combustible|E1|${sensor}`]);
      expect(rows.length, sensor).toBe(2);
      for (const j of [0, 1]) {
        const a = rows[j]!.data;
        const ts = (i: number) => ep(j) + i * STEP + k;
        // one alarm per episode (issue #17 item 5): the rise (+10 %LEL within a minute) opens it, the level joins and
        // grades it; it clears when the level (ts 8) and then the rise (ts 10) have cleared
        expect(a, `${sensor} episode ${j}`).toMatchObject({ state: 'resolved', severity: 'red', startedAt: ts(2), firedAt: ts(2), resolvedAt: ts(10) });
        expect(Object.keys(a.members!).sort()).toEqual(['gas.combustible', 'gas.combustible.rise']);
        const events = await store.events(a.id);
        expect(events.map((e) => [e.type, e.reason, e.severity, e.at])).toEqual([
          ['fired', 'raised_without_hold', 'yellow', ts(2)],
          ['updated', 'consolidated', 'yellow', ts(3)],
          ['severity_raised', 'severity_increased', 'orange', ts(3)],
          ['severity_raised', 'severity_increased', 'red', ts(5)],
          ['updated', 'member_cleared', 'red', ts(8)],
          ['resolved', 'condition_cleared', 'red', ts(10)],
        ]);
      }
    }
    // the early-warning rule (+10 %LEL within a minute) made no alarm of its own: it is a fact of each episode's alarm
    expect(await count("SELECT count(*) AS n FROM alerts WHERE rule_id = 'gas.combustible.rise' OR fingerprint LIKE 'gas.combustible.rise|%'")).toBe(0);
    const doubled = await db.query<{ alert_id: string; type: string; severity: string }>(
      "SELECT alert_id, type, severity FROM alert_events WHERE type IN ('fired', 'resolved', 'severity_raised') GROUP BY alert_id, type, severity HAVING count(*) > 1",
    );
    expect(doubled.rows).toEqual([]);
    // nothing else was raised (no silence, no chattering, no offline)
    const others = await db.query<{ fingerprint: string; state: string }>(
      "SELECT fingerprint, state FROM alerts WHERE rule_id NOT IN ('gas.combustible', 'gas.combustible.rise')",
    );
    expect(others.rows).toEqual([]);
    expect(await store.verifyChain()).toMatchObject({ ok: true });
    // the worker really restarted from its snapshot and replayed the feed
    expect(worker.output()).toMatch(/"restored":[1-9]/);
  }, 180_000);
});
