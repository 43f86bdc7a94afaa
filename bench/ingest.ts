/**
 * End-to-end ingest benchmark: gateways publish QoS 1 messages of readings to
 * the platform (a separate process, as in production); a PUBACK means the
 * readings are in InfluxDB. Prints sustained readings/s, publish → PUBACK
 * (= durably stored) latency p50/p99, CPU and memory per process, and checks
 * that InfluxDB holds exactly the acknowledged readings.
 *
 *   npm run bench:ingest -- [--gateways 50] [--sensors 20] [--per-message 20]
 *                           [--inflight 16] [--rate 0] [--seconds 30] [--warmup 5]
 *
 * --rate N   open loop at N readings/s in total (0 = closed loop: each gateway
 *            keeps --inflight messages awaiting PUBACK, i.e. as fast as it goes)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { InfluxClient } from '../core/influx/client.ts';
import { AdminApi } from '../scripts/admin-client.ts';
import { startInflux, startRedis } from '../scripts/services.ts';
import { freePort } from '../tests/helpers/services.ts';

const { values: args } = parseArgs({
  options: {
    gateways: { type: 'string', default: '50' },
    sensors: { type: 'string', default: '20' },
    'per-message': { type: 'string', default: '20' },
    inflight: { type: 'string', default: '16' },
    rate: { type: 'string', default: '0' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
  },
});
const G = Number(args.gateways);
const S = Number(args.sensors);
const PER = Number(args['per-message']);
const INFLIGHT = Number(args.inflight);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);

const TICKS = 100; // clock ticks per second in /proc/<pid>/stat
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime + stime
}
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nss-bench-'));
  const [redisPort, influxPort, rpcPort, mqttPort, httpPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const [redis, influxd] = await Promise.all([
    startRedis({ dir: join(dir, 'redis'), port: redisPort }),
    startInflux({ dir: join(dir, 'influx'), port: influxPort, rpcPort }),
  ]);
  const token = 'bench-admin-token-0123456789';
  // BENCH_PLATFORM_NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the platform process only.
  const platform = spawn(process.execPath, [...(process.env.BENCH_PLATFORM_NODE_OPTIONS?.split(' ') ?? []), '--import', 'tsx', 'main.ts'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      REDIS_URL: redis.url,
      INFLUX_URL: influxd.url,
      DATA_DIR: join(dir, 'platform'),
      MQTT_PORT: String(mqttPort),
      HTTP_PORT: String(httpPort),
      HTTP_HOST: '127.0.0.1',
      MQTT_HOST: '127.0.0.1',
      ADMIN_TOKEN: token,
      LOG_LEVEL: 'warn',
    },
  });
  const cleanup = async () => {
    if (platform.exitCode === null) {
      const exited = new Promise((r) => platform.once('exit', r));
      platform.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      platform.kill('SIGKILL');
    }
    await Promise.all([redis.stop(), influxd.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const api = new AdminApi(`http://127.0.0.1:${httpPort}`, token);
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${httpPort}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 300) throw new Error('platform did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
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
          periodS: 1,
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
    const t0 = Date.now() - 20 * 24 * 3600_000;
    const seq = new Array<number>(G).fill(0);
    let acked = 0;
    let measuring = false;
    let stopped = false;
    const latencies: number[] = [];
    const payloadFor = (g: number): string => {
      const parts: string[] = [];
      for (let k = 0; k < PER; k++) {
        const n = seq[g]!++;
        parts.push(`{"sensor":"S-${g}-${n % S}","value":${(n % 1000) / 10},"unit":"%LEL","quality":"good","ts":${t0 + Math.floor(n / S)}}`);
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

    const pids = { platform: platform.pid!, influxd: influxd.child!.pid!, redis: redis.child!.pid!, 'load generator': process.pid };
    await new Promise((r) => setTimeout(r, WARMUP * 1000));
    measuring = true;
    const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuTicks(pid)]));
    const mem: Record<string, number[]> = Object.fromEntries(Object.keys(pids).map((k) => [k, [] as number[]]));
    const a0 = acked;
    const wall0 = performance.now();
    for (let s = 0; s < SECONDS; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      for (const [k, pid] of Object.entries(pids)) mem[k]!.push(rssMiB(pid));
    }
    const wall = (performance.now() - wall0) / 1000;
    const a1 = acked;
    const cpu1 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuTicks(pid)]));
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
      `\n== ingest benchmark: ${G} gateways × ${S} sensors, ${PER} readings/message, QoS 1, ${RATE ? `open loop at ${RATE} readings/s` : `closed loop, ${INFLIGHT} messages in flight per gateway`}, ${SECONDS} s after ${WARMUP} s warm-up ==`,
    );
    console.log(`sustained: ${Math.round(rate).toLocaleString('en')} readings/s acknowledged-as-stored (${Math.round(rate / PER).toLocaleString('en')} msg/s)`);
    console.log(
      `publish → PUBACK (= durably stored) latency: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms (${latencies.length} messages)`,
    );
    console.log(
      `loss check: acknowledged ${acked.toLocaleString('en')} readings, InfluxDB holds ${stored.toLocaleString('en')} → ${stored === acked ? 'nothing lost, no duplicates' : stored > acked ? `${stored - acked} more stored than acknowledged (unacknowledged in-flight at stop)` : `LOST ${acked - stored}`}`,
    );
    console.log('per process: CPU (cores, avg over the measured window) | RSS MiB first → max → last');
    for (const k of Object.keys(pids)) {
      const cores = (cpu1[k]! - cpu0[k]!) / TICKS / wall;
      const m = mem[k]!;
      console.log(`  ${k.padEnd(15)} ${cores.toFixed(2)} | ${m[0]?.toFixed(0)} → ${Math.max(...m).toFixed(0)} → ${m.at(-1)?.toFixed(0)}`);
    }
    if (stored < acked) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
