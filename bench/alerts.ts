/**
 * Publish → alert latency under load: the platform runs as one process with
 * all its parts (gateway, ingest, rules worker, notifier, API) on its own
 * Redis and InfluxDB, with PGlite. Background gateways stream normal
 * readings at a fixed rate; a probe gateway publishes, several times a
 * second, a reading above the level-2 limit of a combustible gas detector
 * (60 %LEL ≥ 50) and the time is taken until the duty officer's live stream
 * (SSE, `GET /api/v1/alerts/stream`) delivers its 'fired' event: stored in
 * InfluxDB, queued in the feed, evaluated, the alert and its event written to
 * PostgreSQL with the evidence, announced, read and pushed. Each probe
 * sensor is then cleared with a normal reading.
 *
 *   npm run bench:alerts -- [--gateways 20] [--sensors 20] [--rate 5000]
 *                           [--probes 5] [--seconds 30] [--warmup 5]
 *
 * --rate    background readings/s in total (20 per message, QoS 1)
 * --probes  alert probes per second
 */
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import type { AlertSummary } from '../alerts/query.ts';
import { encodeReadings, topics } from '../core/contract.ts';
import { AdminApi } from '../simulators/admin-api.ts';
import { frameJson, SseClient } from '../testkit/sse.ts';
import { pct, ProcessSampler, startBenchPlatform } from './common.ts';

const { values: args } = parseArgs({
  options: {
    gateways: { type: 'string', default: '20' },
    sensors: { type: 'string', default: '20' },
    rate: { type: 'string', default: '5000' },
    probes: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
  },
});
const G = Number(args.gateways);
const S = Number(args.sensors);
const RATE = Number(args.rate);
const PROBES = Number(args.probes);
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const PER = 20;
const ENT = 'E-BENCH';
/** Probe sensors, each used at most twice (a probe also trips the rate-of-rise rule; 5 alarms a day on one point would add a chattering alert). */
const P = Math.ceil((PROBES * (SECONDS + WARMUP + 5)) / 2) + 5;

function connect(port: number, id: string, secret: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect({ host: '127.0.0.1', port, clientId: id, username: id, password: secret, clean: false, protocolVersion: 4, reconnectPeriod: 0 });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

const publish = (c: MqttClient, topic: string, payload: string): Promise<void> =>
  new Promise((resolve, reject) => c.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve())));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const bp = await startBenchPlatform();
  try {
    const api = new AdminApi(`http://127.0.0.1:${bp.httpPort}`, bp.token);
    await api.ok('POST', '/api/v1/authorities', { id: 'BENCH-CITY', name: 'bench city', level: 'city' });
    await api.ok('POST', '/api/v1/enterprises', { id: ENT, name: 'bench', sector: 'hazardous_chemicals', authorityId: 'BENCH-CITY' });
    // an hour's period: the background never goes silent while the benchmark runs
    const sensor = (id: string, gatewayId: string) =>
      api.ok('POST', '/api/v1/sensors', { id, enterpriseId: ENT, gatewayId, kind: 'combustible_gas', unit: '%LEL', periodS: 3600 });
    const secrets: string[] = [];
    for (let g = 0; g < G; g++) {
      secrets.push((await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: `GW-${g}`, enterpriseId: ENT })).secret);
      for (let s = 0; s < S; s++) await sensor(`S-${g}-${s}`, `GW-${g}`);
    }
    const probeSecret = (await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'GW-PROBE', enterpriseId: ENT })).secret;
    for (let p = 0; p < P; p++) await sensor(`P-${p}`, 'GW-PROBE');

    const clients = await Promise.all(secrets.map((secret, g) => connect(bp.mqttPort, `GW-${g}`, secret)));
    const probe = await connect(bp.mqttPort, 'GW-PROBE', probeSecret);
    const stream = await SseClient.open(`http://127.0.0.1:${bp.httpPort}/api/v1/alerts/stream`, { authorization: `Bearer ${bp.token}` });

    let stopped = false;
    // background: normal readings (0–9.9 %LEL), timestamps now and strictly increasing per gateway
    let sentReadings = 0;
    let ackedReadings = 0;
    const lastTs = new Array<number>(G).fill(0);
    let n = 0;
    const background = (async () => {
      const started = performance.now();
      const msgsPerSecond = RATE / PER;
      let sent = 0;
      const pending = new Set<Promise<void>>();
      while (!stopped) {
        const due = Math.floor(((performance.now() - started) / 1000) * msgsPerSecond);
        for (; sent < due; sent++) {
          const g = sent % G;
          const ts = (lastTs[g] = Math.max(lastTs[g]! + 1, Date.now()));
          const readings = Array.from({ length: PER }, (_, k) => ({
            sensor: `S-${g}-${(n + k) % S}`,
            value: ((n + k) % 100) / 10,
            unit: '%LEL',
            quality: 'good' as const,
            ts,
          }));
          n += PER;
          sentReadings += PER;
          const p = publish(clients[g]!, topics.readings(ENT, `GW-${g}`), encodeReadings(readings)).then(() => {
            ackedReadings += PER;
            pending.delete(p);
          });
          pending.add(p);
        }
        await sleep(2);
      }
      await Promise.all(pending);
    })();

    // probes: publish time per probe sensor, waiting for its 'fired' event on the stream
    const waiting = new Map<string, number>();
    const latencies: number[] = [];
    const pubacks: number[] = [];
    let measuring = false;
    let probesSent = 0;
    let probesSeen = 0;
    let lastProbeTs = Date.now();
    const clears: Promise<void>[] = [];
    const reader = (async () => {
      for (;;) {
        const f = await stream.next(600_000).catch(() => undefined);
        if (!f) return;
        if (f.event !== 'fired') continue;
        const { alert } = frameJson<{ alert: AlertSummary }>(f);
        const t = waiting.get(alert.subject);
        if (alert.ruleId !== 'gas.combustible' || t === undefined) continue;
        waiting.delete(alert.subject);
        probesSeen++;
        if (measuring) latencies.push(performance.now() - t);
        lastProbeTs = Math.max(lastProbeTs + 1, Date.now());
        clears.push(
          publish(
            probe,
            topics.readings(ENT, 'GW-PROBE'),
            encodeReadings([{ sensor: alert.subject, value: 1, unit: '%LEL', quality: 'good', ts: lastProbeTs }]),
          ),
        );
      }
    })();
    const probing = (async () => {
      for (let i = 0; !stopped; i++) {
        const id = `P-${i % P}`;
        if (!waiting.has(id)) {
          lastProbeTs = Math.max(lastProbeTs + 1, Date.now());
          const t = performance.now();
          waiting.set(id, t);
          probesSent++;
          const m = measuring;
          void publish(
            probe,
            topics.readings(ENT, 'GW-PROBE'),
            encodeReadings([{ sensor: id, value: 60, unit: '%LEL', quality: 'good', ts: lastProbeTs }]),
          ).then(() => {
            if (m) pubacks.push(performance.now() - t);
          });
        }
        await sleep(1000 / PROBES);
      }
    })();

    const sampler = new ProcessSampler({
      platform: bp.child.pid!,
      influxd: bp.influxd.child!.pid!,
      redis: bp.redis.child!.pid!,
      'load generator': process.pid,
    });
    await sleep(WARMUP * 1000);
    measuring = true;
    sampler.start();
    const a0 = ackedReadings;
    const w0 = performance.now();
    await sleep(SECONDS * 1000);
    const wall = (performance.now() - w0) / 1000;
    const acked = ackedReadings - a0;
    const usage = sampler.stop();
    measuring = false;
    stopped = true;
    await Promise.all([background, probing]);
    // the last probes: give them time to arrive, so a lost one shows as lost and not as slow
    for (let i = 0; i < 100 && waiting.size > 0; i++) await sleep(100);
    const lost = waiting.size;
    stream.close();
    await reader;
    await Promise.all(clears);
    for (const c of [...clients, probe]) c.end(true);

    latencies.sort((a, b) => a - b);
    pubacks.sort((a, b) => a - b);
    console.log(
      `\n== alerts benchmark: ${G} gateways × ${S} sensors streaming ${RATE.toLocaleString('en')} readings/s (${PER}/message, QoS 1) + ${PROBES} alert probes/s, ${SECONDS} s after ${WARMUP} s warm-up; one process, all parts, PGlite ==`,
    );
    console.log(
      `background: ${Math.round(acked / wall).toLocaleString('en')} readings/s acknowledged-as-stored (${sentReadings.toLocaleString('en')} sent, ${ackedReadings.toLocaleString('en')} acknowledged in all)`,
    );
    console.log(
      `publish → alert on the officer's live stream: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms (${latencies.length} probes measured)`,
    );
    console.log(`probe publish → PUBACK (stored and queued for the rules): p50 ${pct(pubacks, 50).toFixed(1)} ms, p99 ${pct(pubacks, 99).toFixed(1)} ms`);
    console.log(`probes: ${probesSent} sent, ${probesSeen} alerts seen, ${lost} not seen${lost > 0 ? ' ← LOST' : ''}`);
    for (const line of usage) console.log(line);
    if (lost > 0) process.exitCode = 1;
  } finally {
    await bp.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
