/**
 * End-to-end ingest benchmark: gateways publish QoS 1 messages of readings to
 * the platform (a separate process, as in production); a PUBACK means the
 * readings are in InfluxDB. Prints sustained readings/s, publish → PUBACK
 * (= durably stored) latency p50/p99, CPU and memory per process, and checks
 * that InfluxDB holds exactly the acknowledged readings.
 *
 *   npm run bench:ingest -- [--gateways 50] [--sensors 20] [--per-message 20]
 *                           [--inflight 16] [--rate 0] [--seconds 30] [--warmup 5]
 *                           [--parts gateway,api,rules]
 *
 * --parts    the platform's parts (default all: the rules worker evaluates
 *            every reading in the same process)
 * --rate N   open loop at N readings/s in total (0 = closed loop: each gateway
 *            keeps --inflight messages awaiting PUBACK, i.e. as fast as it goes)
 */
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { InfluxClient } from '../core/influx/client.ts';
import { AdminApi } from '../simulators/admin-api.ts';
import { pct, ProcessSampler, startBenchPlatform } from './common.ts';

const { values: args } = parseArgs({
  options: {
    gateways: { type: 'string', default: '50' },
    sensors: { type: 'string', default: '20' },
    'per-message': { type: 'string', default: '20' },
    inflight: { type: 'string', default: '16' },
    rate: { type: 'string', default: '0' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    parts: { type: 'string', default: 'gateway,api,rules' },
  },
});
const G = Number(args.gateways);
const S = Number(args.sensors);
const PER = Number(args['per-message']);
const INFLIGHT = Number(args.inflight);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);

async function main(): Promise<void> {
  const bp = await startBenchPlatform({ PARTS: args.parts });
  const { mqttPort, httpPort, token, influxd } = bp;
  try {
    const api = new AdminApi(`http://127.0.0.1:${httpPort}`, token);
    await api.ok('POST', '/api/v1/enterprises', { id: 'E-BENCH', name: 'bench', sector: 'hazardous_chemicals' });
    const secrets: string[] = [];
    for (let g = 0; g < G; g++) {
      secrets.push((await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: `GW-${g}`, enterpriseId: 'E-BENCH' })).secret);
      for (let s = 0; s < S; s++)
        await api.ok('POST', '/api/v1/sensors', {
          id: `S-${g}-${s}`,
          enterpriseId: 'E-BENCH',
          gatewayId: `GW-${g}`,
          kind: 'combustible_gas',
          unit: '%LEL',
          periodS: 3600,
        });
    }

    const clients: MqttClient[] = await Promise.all(
      secrets.map(
        (secret, g) =>
          new Promise<MqttClient>((resolve, reject) => {
            const c = mqtt.connect({
              host: '127.0.0.1',
              port: mqttPort,
              clientId: `GW-${g}`,
              username: `GW-${g}`,
              password: secret,
              clean: false,
              protocolVersion: 4,
              reconnectPeriod: 0,
            });
            c.once('connect', () => resolve(c));
            c.once('error', reject);
          }),
      ),
    );

    // Each gateway emits readings with its own strictly increasing timestamps, so every reading is a distinct point.
    const t0 = Date.now() - 10 * 60_000; // recent: the rules worker sees live data, not a backlog
    const seq = new Array<number>(G).fill(0);
    let acked = 0;
    let measuring = false;
    let stopped = false;
    const latencies: number[] = [];
    const payloadFor = (g: number): string => {
      const parts: string[] = [];
      for (let k = 0; k < PER; k++) {
        const n = seq[g]!++;
        parts.push(`{"sensor":"S-${g}-${n % S}","value":${(n % 100) / 10},"unit":"%LEL","quality":"good","ts":${t0 + Math.floor(n / S)}}`);
      }
      return `{"v":1,"readings":[${parts.join(',')}]}`;
    };
    const send = (g: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const start = performance.now();
        clients[g]!.publish(`v1/E-BENCH/GW-${g}/readings`, payloadFor(g), { qos: 1 }, (err) => {
          if (err) return reject(err);
          acked += PER;
          if (measuring) latencies.push(performance.now() - start);
          resolve();
        });
      });

    const loops: Promise<void>[] = [];
    if (RATE === 0) {
      for (let g = 0; g < G; g++) {
        for (let w = 0; w < INFLIGHT; w++) {
          loops.push(
            (async () => {
              while (!stopped) await send(g);
            })(),
          );
        }
      }
    } else {
      const msgsPerSecond = RATE / PER;
      loops.push(
        (async () => {
          const started = performance.now();
          let sent = 0;
          const pending: Promise<void>[] = [];
          while (!stopped) {
            const due = Math.floor(((performance.now() - started) / 1000) * msgsPerSecond);
            for (; sent < due; sent++) pending.push(send(sent % G));
            if (pending.length > 10_000) await Promise.all(pending.splice(0, pending.length));
            await new Promise((r) => setTimeout(r, 2));
          }
          await Promise.all(pending);
        })(),
      );
    }

    const sampler = new ProcessSampler({ platform: bp.child.pid!, influxd: influxd.child!.pid!, redis: bp.redis.child!.pid!, 'load generator': process.pid });
    await new Promise((r) => setTimeout(r, WARMUP * 1000));
    measuring = true;
    sampler.start();
    const a0 = acked;
    const wall0 = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const wall = (performance.now() - wall0) / 1000;
    const a1 = acked;
    const usage = sampler.stop();
    measuring = false;
    stopped = true;
    await Promise.all(loops);
    for (const c of clients) c.end(true);

    const influx = new InfluxClient({ url: influxd.url, database: 'safety' });
    const series = await influx.query(`SELECT count("value") FROM "reading" WHERE "ent" = 'E-BENCH'`);
    const stored = Number(series[0]?.values[0]?.[1] ?? 0);
    latencies.sort((x, y) => x - y);

    const rate = (a1 - a0) / wall;
    console.log(
      `\n== ingest benchmark: ${G} gateways × ${S} sensors, ${PER} readings/message, QoS 1, ${RATE ? `open loop at ${RATE} readings/s` : `closed loop, ${INFLIGHT} messages in flight per gateway`}, ${SECONDS} s after ${WARMUP} s warm-up, parts ${args.parts} ==`,
    );
    console.log(`sustained: ${Math.round(rate).toLocaleString('en')} readings/s acknowledged-as-stored (${Math.round(rate / PER).toLocaleString('en')} msg/s)`);
    console.log(
      `publish → PUBACK (= durably stored) latency: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms (${latencies.length} messages)`,
    );
    console.log(
      `loss check: acknowledged ${acked.toLocaleString('en')} readings, InfluxDB holds ${stored.toLocaleString('en')} → ${stored === acked ? 'nothing lost, no duplicates' : stored > acked ? `${stored - acked} more stored than acknowledged (unacknowledged in-flight at stop)` : `LOST ${acked - stored}`}`,
    );
    for (const line of usage) console.log(line);
    if (stored < acked) process.exitCode = 1;
  } finally {
    await bp.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
