/**
 * Fault injection on real processes and servers, while a simulated fleet
 * streams without pause. The platform runs as in a small production set-up:
 * one process with the gateway (MQTT broker) and ingest, which acknowledges a
 * reading only once it is stored (PARTS=gateway,api), one with the rules
 * worker and the notifier (PARTS=rules,api), one PostgreSQL server, Redis
 * and InfluxDB. Ingest runs inside the gateway's publish hook (ADR 0003), so
 * killing the gateway process kills ingest with it.
 *
 * One fault per phase, in this order: kill -9 of the rules worker, kill -9 of
 * the gateway + ingest process, a crash and restart of InfluxDB, of Redis and
 * of PostgreSQL, a gateway dropping off while PostgreSQL is down (its
 * offline transition must wait for the database, not be lost), and a gateway
 * cut off from the network for a while that then flushes its backlog. In every phase a probe gateway of its own
 * enterprise publishes one gas leak on three detectors across the fault:
 * half before, half while the fault lasts. Each phase then checks:
 *
 * - readings: everything acknowledged is stored, exactly once, with its
 *   value; nothing is stored that was not generated;
 * - alerts: each detector's leak is exactly one alert with exactly its
 *   transitions at the data times they happened (none lost, none doubled),
 *   and nothing else is raised but what the fault really was (a cut-off
 *   gateway is one 'gateway offline' alert);
 * - tasks: the red alerts open one task for the enterprise, each alert
 *   attached once;
 * - recovery time: from the end of the fault to the first acknowledged
 *   reading, and to the probe's last alert transition written.
 *
 * The figures are printed as a table at the end (docs/results.md).
 */
import { Redis } from 'ioredis';
import mqtt, { Store, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeReadings, encodeStatus, topics, type ReadingOut } from '../../../core/contract.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import { InfluxClient } from '../../../core/influx/client.ts';
import { createLogger } from '../../../core/logger.ts';
import { AlertStore } from '../../../alerts/store.ts';
import type { Alert } from '../../../alerts/state/index.ts';
import { planFleet, provisionFleet } from '../../../simulators/fleet.ts';
import { SimGateway } from '../../../simulators/gateway.ts';
import { generate } from '../../../simulators/generate.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { platformProcess, type PlatformProcess } from '../../../testkit/platform-process.ts';
import { startPostgres, type TestPostgres } from '../../../testkit/postgres.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const NAME = 'faults';
const SEED = 31;
const SENSORS = ['GT-1', 'GT-2', 'GT-3'];
/** One leak: orange at 27 (≥ 25 %LEL), red at 52 (≥ 50), resolved at 20 (< 25 − 2 deadband). */
const LEAK = [5, 12, 20, 27, 30, 52, 55, 40, 20, 10, 5, 4, 5];
/** Published before the fault; the rest while it lasts. */
const BEFORE = 5;
const STEP = 5000;
/** How long a crashed server stays down, or a gateway off the network: the length of the fault, not a wait for anything. */
const OUTAGE_MS = 2500;
/** Recent data times, so the probe's readings are neither too old nor in the future. */
const T0 = Math.floor((Date.now() - 50 * 60_000) / 1000) * 1000;

let svc: TestServices;
let pgServer: TestPostgres;
let gatewayProc: PlatformProcess;
let rulesProc: PlatformProcess;
let db: Db;
let store: AlertStore;
let api: AdminClient;

const fleetPlan = planFleet({ seed: SEED, enterprises: 3, authorityId: 'city-f' });
const fleet: SimGateway[] = [];
/** Every reading the fleet got a PUBACK for: key → value, and when the first PUBACK after each moment came. */
const acked = new Map<string, number>();
const ackTimes: number[] = [];
let span = 0;
let streaming = true;
let stream: Promise<void> = Promise.resolve();
const FLEET_STEP = 20_000;
/** A week back: the fleet streams history faster than real time and must never reach the present. */
const FLEET_T0 = Math.floor((Date.now() - 7 * 24 * 3600_000) / FLEET_STEP) * FLEET_STEP;

const key = (enterpriseId: string, r: { sensor: string; ts: number | string }) => `${enterpriseId}|${r.sensor}|${Number(r.ts)}`;

interface Probe {
  enterpriseId: string;
  gatewayId: string;
  secret: string;
  client?: MqttClient;
  stores: { incomingStore: Store; outgoingStore: Store };
}

interface Figures {
  phase: string;
  /** The fleet's first span published in the phase. */
  spanFrom: number;
  /** Fleet readings generated for the phase's spans, acknowledged, and stored (filled in by the last test). */
  readings?: { published: number; acked: number; stored: number };
  firstAckAfterMs: number;
  caughtUpAfterMs: number;
  alertsExpected: number;
  alerts: number;
  tasks: number;
  /** Warnings and errors the platform logged about the fault. */
  complaints: number;
}
const figures: Figures[] = [];
let redis: Redis | undefined;
/** A Redis connection for inspection, remade after Redis itself was restarted. */
const redisClient = () => (redis ??= new Redis(svc.redis.url, { maxRetriesPerRequest: 3 }).on('error', () => undefined));

beforeAll(async () => {
  [svc, pgServer] = await Promise.all([startTestServices(NAME), startPostgres()]);
  const env = { DATABASE_URL: pgServer.url };
  gatewayProc = platformProcess(svc, { name: NAME, env: { ...env, PARTS: 'gateway,api' } });
  // the worker process serves the API too, only so that the helper can see it is up
  rulesProc = platformProcess(svc, {
    name: NAME,
    env: { ...env, PARTS: 'rules,api', RULES_TICK_MS: '200', RULES_SNAPSHOT_INTERVAL_MS: '500' },
  });
  await gatewayProc.start();
  await rulesProc.start();
  api = new AdminClient(`http://127.0.0.1:${gatewayProc.httpPort}`, gatewayProc.token);

  const secrets = await provisionFleet(fleetPlan, api);
  for (const def of fleetPlan.gateways) {
    const g = new SimGateway(def, { secret: secrets.get(def.gatewayId)!, port: gatewayProc.mqttPort, seed: SEED, reconnectPeriodMs: 200 });
    g.onAcked = (readings) => {
      for (const r of readings) acked.set(key(def.enterpriseId, r), r.value);
      ackTimes.push(Date.now());
    };
    fleet.push(g);
  }
  await Promise.all(fleet.map((g) => g.connect()));
  // the fleet streams as fast as the platform acknowledges, through every phase
  stream = (async () => {
    while (streaming) {
      const from = FLEET_T0 + span++ * FLEET_STEP;
      await Promise.all(fleet.map((g) => g.publishSpan(from, from + FLEET_STEP)));
    }
  })();

  db = await openDb({ databaseUrl: pgServer.url, pgliteDir: '', logger: createLogger({ level: 'silent' }) });
  store = new AlertStore(db);
}, 180_000);

afterAll(async () => {
  streaming = false;
  await Promise.allSettled(fleet.map((g) => g.close()));
  await Promise.allSettled([rulesProc?.stop(), gatewayProc?.stop()]);
  await db?.close();
  redis?.disconnect();
  await Promise.allSettled([svc?.stop(), pgServer?.stop()]);
  if (figures.length > 0) {
    const n = (x: number | undefined) => (x === undefined ? '–' : x.toLocaleString('en'));
    const rows = figures.map(
      (f) =>
        `| ${f.phase} | ${n(f.readings?.published)} / ${n(f.readings?.acked)} / ${n(f.readings?.stored)} | ${f.alertsExpected} / ${f.alerts} | 1 / ${f.tasks} | ${n(f.firstAckAfterMs)} ms | ${n(f.caughtUpAfterMs)} ms | ${f.complaints} |`,
    );
    process.stdout.write(
      `${[
        '| fault | fleet readings published / acknowledged / stored | probe alerts expected / raised | tasks expected / opened | first fleet PUBACK after the restart began | probe alerts complete after it | warnings logged |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        ...rows,
      ].join('\n')}\n`,
    );
  }
}, 60_000);

async function provisionProbe(i: number): Promise<Probe> {
  const enterpriseId = `E-F${i}`;
  const gatewayId = `G-F${i}`;
  await api.ok('POST', '/api/v1/enterprises', { id: enterpriseId, name: `探针企业 ${i}`, sector: 'hazardous_chemicals', authorityId: 'city-f' });
  const gw = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: gatewayId, enterpriseId });
  // an hour's period: no silence alert while the test runs
  for (const id of SENSORS) await api.ok('POST', '/api/v1/sensors', { id, enterpriseId, gatewayId, kind: 'combustible_gas', unit: '%LEL', periodS: 3600 });
  return { enterpriseId, gatewayId, secret: gw.secret, stores: { incomingStore: new Store({ clean: false }), outgoingStore: new Store({ clean: false }) } };
}

/** Connects a probe like a real gateway: persistent session, last will 'offline', reconnecting by itself. */
function connectProbe(p: Probe): Promise<void> {
  const c = mqtt.connect({
    host: '127.0.0.1',
    port: gatewayProc.mqttPort,
    protocolVersion: 4,
    clientId: p.gatewayId,
    username: p.gatewayId,
    password: p.secret,
    clean: false,
    reconnectPeriod: 200,
    reconnectOnConnackError: true,
    will: { topic: topics.status(p.enterpriseId, p.gatewayId), payload: Buffer.from(encodeStatus('offline')), qos: 1, retain: true },
    ...p.stores,
  });
  p.client = c;
  return new Promise((resolve) => c.once('connect', () => resolve()));
}

/** The leak's readings from index `from` on, one message per reading; resolves when every one is acknowledged. */
function publishLeak(p: Probe, i: number, from: number, to = LEAK.length): Promise<void> {
  const c = p.client!;
  const sends: Promise<void>[] = [];
  for (let s = from; s < to; s++) {
    SENSORS.forEach((sensor, k) => {
      const r: ReadingOut = { sensor, value: LEAK[s]!, unit: '%LEL', quality: 'good', ts: leakTs(i, s, k) };
      sends.push(
        new Promise((resolve, reject) =>
          c.publish(topics.readings(p.enterpriseId, p.gatewayId), encodeReadings([r]), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
        ),
      );
    });
  }
  return Promise.all(sends).then(() => undefined);
}

const leakTs = (phase: number, step: number, sensor: number) => T0 + phase * 5 * 60_000 + step * STEP + sensor;

const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);

/** How long and how often to poll for what the platform processes do asynchronously. */
const POLL = { timeout: 90_000, interval: 50 };
/** A failed wait's message: what we waited for, and both processes' last log lines. */
const waitingFor = (what: string) => `${what}\n--- gateway:\n${gatewayProc.output().slice(-2500)}\n--- rules:\n${rulesProc.output().slice(-2500)}`;

/** Waits until the fleet has had more PUBACKs than now, by `n` readings. */
const fleetProgress = (n: number) => {
  const before = acked.size;
  return vi.waitFor(() => expect(acked.size, waitingFor(`${n} more fleet readings acknowledged`)).toBeGreaterThanOrEqual(before + n), POLL);
};

interface Fault {
  name: string;
  /** Starts the fault; resolves once it is in effect. */
  inject(probe: Probe): Promise<void>;
  /** Ends it (restarts what was killed); resolves once the restart command returned. */
  heal(probe: Probe): Promise<void>;
  /** Alerts the fault itself must raise for the probe's enterprise, besides the leak's: rule id → count. */
  ownAlerts?: Record<string, number>;
  /** How the test knows the fault hit: a process was replaced, or the platform logged warnings or errors about it. */
  felt: 'restarted' | 'logged' | 'alerted';
}

/** Like a pulled cable: no DISCONNECT, so the broker publishes the last will. */
const cutOff = (probe: Probe) => new Promise<void>((resolve) => probe.client!.end(true, () => resolve()));

const outage = () => new Promise<void>((r) => setTimeout(r, OUTAGE_MS));

/** A fleet gateway cut off from the network in the last phase: its backlog must arrive whole. */
const cutFleetGateway = () => fleet[1]!;

const FAULTS: Fault[] = [
  {
    name: 'kill -9 the rules worker',
    inject: () => rulesProc.kill9(),
    heal: () => rulesProc.start(),
    felt: 'restarted',
  },
  {
    name: 'kill -9 the gateway + ingest process',
    inject: () => gatewayProc.kill9(),
    heal: () => gatewayProc.start(),
    felt: 'restarted',
  },
  {
    name: 'crash and restart InfluxDB',
    inject: () => svc.crash('influx').then(outage),
    heal: () => svc.revive('influx'),
    felt: 'logged',
  },
  {
    name: 'crash and restart Redis',
    inject: () => svc.crash('redis').then(outage),
    heal: () => svc.revive('redis'),
    felt: 'logged',
  },
  {
    name: 'crash and restart PostgreSQL',
    inject: () => pgServer.crash().then(outage),
    heal: () => pgServer.revive(),
    felt: 'logged',
  },
  {
    // its offline transition cannot be written while PostgreSQL is down: it must be retried, not lost
    name: 'a gateway drops off while PostgreSQL is down',
    async inject(probe) {
      await pgServer.crash();
      await cutOff(probe);
      await outage();
    },
    async heal(probe) {
      await pgServer.revive();
      probe.client!.reconnect(probe.stores);
    },
    ownAlerts: { 'common.gateway_offline': 1 },
    felt: 'logged',
  },
  {
    name: 'a gateway cut off, then flushing',
    async inject(probe) {
      await Promise.all([cutFleetGateway().goOffline(), cutOff(probe)]);
      await outage();
    },
    async heal(probe) {
      probe.client!.reconnect(probe.stores);
      await cutFleetGateway().goOnline();
    },
    ownAlerts: { 'common.gateway_offline': 1 },
    felt: 'alerted',
  },
];

describe.sequential('fault injection while the fleet streams', () => {
  FAULTS.forEach((fault, i) => {
    it(`${fault.name}: nothing lost, nothing doubled, it recovers`, async () => {
      const probe = await provisionProbe(i);
      await connectProbe(probe);
      const spanFrom = span;
      await publishLeak(probe, i, 0, BEFORE);
      await fleetProgress(200);

      const pids = [gatewayProc.pid, rulesProc.pid];
      const logMark = [gatewayProc.output().length, rulesProc.output().length];
      await fault.inject(probe);
      // the rest of the leak is published while the fault lasts (a cut-off gateway publishes it once it is back)
      const rest = fault.ownAlerts ? undefined : publishLeak(probe, i, BEFORE);
      const healStart = Date.now();
      await fault.heal(probe);
      await (rest ?? publishLeak(probe, i, BEFORE));
      await vi.waitFor(
        () =>
          expect(
            ackTimes.some((t) => t >= healStart),
            waitingFor('a fleet PUBACK after recovery'),
          ).toBe(true),
        POLL,
      );
      // from the restart command (the process or server starting again, the gateway reconnecting)
      const firstAck = ackTimes.find((t) => t >= healStart)! - healStart;

      // the probe's alerts: each detector's leak exactly once — one alarm, its rise and level rules consolidated — and nothing else but what the fault itself was
      const expected = SENSORS.length + Object.values(fault.ownAlerts ?? {}).reduce((a, b) => a + b, 0);
      const resolved = () => count("SELECT count(*) AS n FROM alerts WHERE enterprise_id = $1 AND state = 'resolved'", [probe.enterpriseId]);
      await vi.waitFor(async () => expect(await resolved(), waitingFor(`the probe's ${expected} alerts resolved`)).toBeGreaterThanOrEqual(expected), POLL);
      const caughtUp = Date.now() - healStart;
      const complaints = [gatewayProc.output().slice(logMark[0]), rulesProc.output().slice(logMark[1])]
        .join('\n')
        .split('\n')
        .filter((l) => /"level":(40|50)/.test(l));
      if (fault.felt === 'restarted') expect([gatewayProc.pid, rulesProc.pid]).not.toEqual(pids);
      // Wills of the gateways connected before a broker restart must not outlive it: aedes publishes a vanished
      // broker's wills minutes later, which would mark a gateway that has long reconnected offline.
      const wills = await redisClient().lrange('will', 0, -1);
      expect(new Set(wills.map((w) => w.split(':')[1])).size, wills.join(', ')).toBeLessThanOrEqual(1);
      if (fault.felt === 'logged') expect(complaints.length, 'the platform noticed the outage').toBeGreaterThan(0);
      if (process.env.FAULTS_VERBOSE) process.stdout.write(`${fault.name}\n${complaints.slice(0, 8).join('\n')}\n`);
      await fleetProgress(200);

      const { rows } = await db.query<{ rule_id: string; data: Alert }>('SELECT rule_id, data FROM alerts WHERE enterprise_id = $1 ORDER BY fingerprint', [
        probe.enterpriseId,
      ]);
      const byRule: Record<string, number> = {};
      for (const r of rows) byRule[r.rule_id] = (byRule[r.rule_id] ?? 0) + 1;
      expect(byRule).toEqual({ 'gas.combustible': SENSORS.length, ...fault.ownAlerts });
      for (const [k, sensor] of SENSORS.entries()) {
        const a = rows.find((r) => r.data.fingerprint === `gas.combustible|${probe.enterpriseId}|${sensor}`)!.data;
        const ts = (s: number) => leakTs(i, s, k);
        // the rise opens it (ts 2), the level joins and grades it, it clears when both have (the level at 8, the rise at 10)
        expect(a, sensor).toMatchObject({ state: 'resolved', severity: 'red', startedAt: ts(2), firedAt: ts(2), resolvedAt: ts(10) });
        const events = await store.events(a.id);
        expect(events.map((e) => [e.type, e.severity, e.at])).toEqual([
          ['fired', 'yellow', ts(2)],
          ['updated', 'yellow', ts(3)],
          ['severity_raised', 'orange', ts(3)],
          ['severity_raised', 'red', ts(5)],
          ['updated', 'red', ts(8)],
          ['resolved', 'red', ts(10)],
        ]);
      }
      const doubled = await db.query(
        "SELECT alert_id, type, severity FROM alert_events WHERE enterprise_id = $1 AND type IN ('fired', 'resolved', 'severity_raised') GROUP BY alert_id, type, severity HAVING count(*) > 1",
        [probe.enterpriseId],
      );
      expect(doubled.rows).toEqual([]);

      // the three red alerts open one task for the enterprise, each attached once
      await vi.waitFor(async () => {
        const n = await count('SELECT count(*) AS n FROM task_alerts ta JOIN tasks t ON t.id = ta.task_id WHERE t.enterprise_id = $1', [probe.enterpriseId]);
        expect(n, waitingFor('the task with the three red alerts')).toBeGreaterThanOrEqual(SENSORS.length);
      }, POLL);
      const tasks = await count('SELECT count(*) AS n FROM tasks WHERE enterprise_id = $1', [probe.enterpriseId]);
      const attached = await db.query<{ alert_id: string; rule_id: string }>(
        'SELECT ta.alert_id, a.rule_id FROM task_alerts ta JOIN tasks t ON t.id = ta.task_id JOIN alerts a ON a.id = ta.alert_id WHERE t.enterprise_id = $1',
        [probe.enterpriseId],
      );
      expect(tasks).toBe(1);
      expect(attached.rows.map((r) => r.rule_id).sort()).toEqual(SENSORS.map(() => 'gas.combustible'));

      figures.push({
        phase: fault.name,
        spanFrom,
        alertsExpected: expected,
        firstAckAfterMs: firstAck,
        caughtUpAfterMs: caughtUp,
        alerts: rows.length,
        tasks,
        complaints: complaints.length,
      });
      expect(span).toBeGreaterThan(spanFrom);
      probe.client!.end(true);
    }, 240_000);
  });

  it('stores every acknowledged fleet reading exactly once, and nothing that was not generated', async () => {
    streaming = false;
    await stream;
    // from here the fleet sends nothing new: its connected gateways fall silent, as they should (checked below)
    const stoppedAt = new Date();
    await Promise.all(fleet.map((g) => g.drain()));
    expect(cutFleetGateway().stats.backlog).toBe(0);
    const influx = new InfluxClient({ url: svc.influx.url, database: `p_${NAME}` });
    const stored = new Map<string, number>();
    for (const def of fleetPlan.gateways) {
      const series = await influx.query(`SELECT "value" FROM "reading" WHERE "ent" = '${def.enterpriseId}' GROUP BY "sensor"`);
      for (const s of series) for (const [t, v] of s.values as [number, number][]) stored.set(`${def.enterpriseId}|${s.tags?.sensor}|${t}`, v);
    }
    const generated = new Map<string, number>();
    for (const def of fleetPlan.gateways) {
      for (const r of generate(def, SEED, FLEET_T0, FLEET_T0 + span * FLEET_STEP).readings) generated.set(key(def.enterpriseId, r), r.value);
    }
    const missing = [...acked.keys()].filter((k) => !stored.has(k));
    expect(missing).toEqual([]);
    for (const [k, v] of acked) expect(stored.get(k), k).toBe(v);
    expect(stored.size).toBe(acked.size);
    expect(stored.size).toBe(generated.size);
    expect([...stored.keys()].filter((k) => !generated.has(k))).toEqual([]);
    // the fleet raised nothing but the cut-off gateway's own offline alert
    // (an alert opened once the fleet stopped — its first event recorded after — is the stop's, not the faults')
    const allFleetAlerts = await db.query<{ rule_id: string; enterprise_id: string; after_stop: boolean }>(
      `SELECT rule_id, enterprise_id, (SELECT min(recorded_at) FROM alert_events e WHERE e.alert_id = a.id) > $1 AS after_stop
         FROM alerts a WHERE enterprise_id NOT LIKE 'E-F%' ORDER BY rule_id`,
      [stoppedAt],
    );
    const fleetAlerts = { rows: allFleetAlerts.rows.filter((r) => !r.after_stop).map(({ rule_id, enterprise_id }) => ({ rule_id, enterprise_id })) };
    // and the stop raises nothing but silences (a gateway still connected with all its points quiet, or a point's own)
    expect(allFleetAlerts.rows.filter((r) => r.after_stop && !['common.gateway_points_silent', 'common.data_silence'].includes(r.rule_id))).toEqual([]);
    const detail = await db.query<{ fingerprint: string; started_at: Date; message: string; gw: string }>(
      "SELECT a.fingerprint, a.started_at, a.data->>'message' AS message, (SELECT string_agg(state || ':' || reason || '@' || at::text, ', ' ORDER BY at) FROM gateway_events e WHERE e.gateway_id = split_part(a.fingerprint, '|', 3)) AS gw FROM alerts a WHERE enterprise_id NOT LIKE 'E-F%'",
    );
    expect(fleetAlerts.rows, JSON.stringify(detail.rows, null, 1)).toEqual([
      { rule_id: 'common.gateway_offline', enterprise_id: cutFleetGateway().def.enterpriseId },
    ]);
    expect(await store.verifyChain()).toMatchObject({ ok: true });
    figures.forEach((f, p) => {
      const [from, to] = [f.spanFrom, figures[p + 1]?.spanFrom ?? span].map((x) => FLEET_T0 + x * FLEET_STEP) as [number, number];
      const keys = fleetPlan.gateways.flatMap((def) => generate(def, SEED, from, to).readings.map((r) => key(def.enterpriseId, r)));
      f.readings = { published: keys.length, acked: keys.filter((k) => acked.has(k)).length, stored: keys.filter((k) => stored.has(k)).length };
    });
    process.stdout.write(
      `fleet: ${acked.size.toLocaleString('en')} readings acknowledged = ${stored.size.toLocaleString('en')} stored = ${generated.size.toLocaleString('en')} generated\n`,
    );
  }, 180_000);
});
