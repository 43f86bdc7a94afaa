/**
 * The peer benchmark (issue #6 §1): the same workload, in the same run,
 * through our platform and through the pipeline a user might build instead.
 *
 *   ours      the platform process (`main.ts`, all parts: gateway, ingest,
 *             rules worker, notifier, API; PGlite) on its own Redis and InfluxDB
 *   node-red  Mosquitto 2.0 (Debian's /usr/sbin/mosquitto) + Node-RED 4 with the
 *             flow  mqtt in (QoS 1) → json → function (envelope → points) →
 *             influxdb batch (node-red-contrib-influxdb, v1 API), and in
 *             parallel  change → split → switch (value ≥ 50 %LEL) → mqtt out
 *             on an alert topic; against the SAME influxd (database `peer`).
 *             Variant `batched` puts a join (N messages or 100 ms) + flatten
 *             before the write: one HTTP write per N messages, not per message.
 *
 * For each fleet size and pipeline: readings/s counted in InfluxDB over the
 * window (so a pipeline that takes data faster than it stores shows it),
 * published vs stored at the end, publish → visible in InfluxDB (alert
 * probes, polled every 25 ms), publish → alert (ours: the officer's SSE
 * stream; Node-RED: the alert topic), CPU and RSS per process, and ratios
 * ours/peer. Then the broker leg alone: Mosquitto (no subscriber) vs our
 * gateway, QoS 1 publish throughput and publish → PUBACK latency. Our PUBACK
 * means "stored in InfluxDB and queued to the rules", Mosquitto's "received".
 *
 *   npm run bench:peer -- [--fleets 10,50,200] [--sensors 5] [--per-message 20]
 *                         [--inflight 16] [--rate 0] [--seconds 10] [--warmup 2]
 *                         [--probes 5] [--broker-seconds 5] [--drain 20]
 *                         [--peer plain,batched] [--join 100]
 *
 * --rate N   open loop at N readings/s in total (0 = closed loop: each gateway
 *            keeps --inflight messages awaiting PUBACK)
 * --drain S  after the load stops, wait at most S seconds for InfluxDB to hold
 *            everything acknowledged
 *
 * Node-RED is installed on first use into var/peer/node-red (gitignored; never
 * a dependency of the project).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { MqttClient } from 'mqtt';
import type { AlertSummary } from '../alerts/query.ts';
import { encodeReadings, topics, type ReadingOut } from '../core/contract.ts';
import { InfluxClient } from '../core/influx/client.ts';
import { AdminApi } from '../simulators/admin-api.ts';
import { ensureBinary, portOpen, stopChild } from '../platform/local-services.ts';
import { connect, publish } from '../testkit/mqtt.ts';
import { freePort } from '../testkit/services.ts';
import { frameJson, SseClient } from '../testkit/sse.ts';
import { pct, pool, ProcessSampler, provisionFleet, quiesce, sleep, startBenchPlatform, usageLine, type ProcessUsage } from './common.ts';

const { values: args } = parseArgs({
  options: {
    fleets: { type: 'string', default: '10,50,200' },
    sensors: { type: 'string', default: '5' },
    'per-message': { type: 'string', default: '20' },
    inflight: { type: 'string', default: '16' },
    rate: { type: 'string', default: '0' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    probes: { type: 'string', default: '5' },
    'broker-seconds': { type: 'string', default: '5' },
    drain: { type: 'string', default: '20' },
    peer: { type: 'string', default: 'plain,batched' },
    join: { type: 'string', default: '100' },
  },
});
const FLEETS = args.fleets.split(',').map(Number);
const S = Number(args.sensors);
const PER = Number(args['per-message']);
const INFLIGHT = Number(args.inflight);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const PROBES = Number(args.probes);
const BROKER_SECONDS = Number(args['broker-seconds']);
const DRAIN = Number(args.drain);
const VARIANTS = args.peer.split(',').filter(Boolean) as Variant[];
const JOIN = Number(args.join);
const ENT = 'E-BENCH';
const ALARM = 60; // %LEL: above our level-2 limit (50) and the peer's switch (≥ 50)
/** Probe sensors per leg, each used at most twice (a probe also trips our rate-of-rise rule). */
const PROBE_IDS = Math.ceil((PROBES * (SECONDS + WARMUP + 15)) / 2) + 5;
const PEER_DIR = resolve('var/peer');
const NODE_RED_DIR = join(PEER_DIR, 'node-red');

type Variant = 'plain' | 'batched';
const peerEnt = (v: Variant) => `E-NR-${v.toUpperCase()}`;
const ALERT_TOPIC = 'peer/alerts';

// ---------------------------------------------------------------------------------------------
// The peer stack: Mosquitto and Node-RED

interface Proc {
  name: string;
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/** Mosquitto's count of messages it dropped (queue for a slow subscriber full), from $SYS every second. */
async function watchDropped(port: number): Promise<{ value: () => number; close: () => Promise<void> }> {
  const c = await connect(port, { clientId: `sys-watcher-${port}`, clean: true });
  let dropped = 0;
  c.on('message', (_t, payload) => (dropped = Number(payload.toString())));
  await c.subscribeAsync('$SYS/broker/publish/messages/dropped', { qos: 0 });
  return { value: () => dropped, close: () => c.endAsync() };
}

async function waitFor(what: string, probe: () => Promise<boolean>, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Mosquitto on a free loopback port with its stock limits (max_queued_messages 1000), no persistence, TCP_NODELAY. */
async function startMosquitto(name: string): Promise<Proc> {
  const bin = ensureBinary('mosquitto');
  const port = await freePort();
  const conf = join(PEER_DIR, `${name}.conf`);
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'set_tcp_nodelay true',
      'max_queued_messages 1000',
      'sys_interval 1',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const log = openSync(join(PEER_DIR, `${name}.log`), 'a');
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', log, log] });
  await waitFor(name, () => portOpen(port), child, 10_000);
  return { name, child, port, stop: () => stopChild(child) };
}

/** Installs Node-RED 4 and node-red-contrib-influxdb into var/peer/node-red the first time. */
function ensureNodeRed(): string {
  const red = join(NODE_RED_DIR, 'node_modules/node-red/red.js');
  if (!existsSync(red) || !existsSync(join(NODE_RED_DIR, 'node_modules/node-red-contrib-influxdb/package.json'))) {
    mkdirSync(NODE_RED_DIR, { recursive: true });
    console.error('installing Node-RED 4 and node-red-contrib-influxdb into var/peer/node-red …');
    execFileSync('npm', ['install', '--prefix', NODE_RED_DIR, 'node-red@4', 'node-red-contrib-influxdb', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  }
  return red;
}

/** The envelope → points function: one InfluxDB point per reading, tagged like ours (ent, gw, sensor, unit). */
const POINTS_JS = `const [, ent, gw] = msg.topic.split('/');
msg.payload = msg.payload.readings.map((r) => ({
  measurement: 'reading',
  tags: { ent, gw, sensor: r.sensor, unit: r.unit },
  fields: { value: r.value, quality: r.quality },
  timestamp: r.ts,
}));
return msg;`;

/** The flow a Node-RED user would wire for our contract (see the file comment). */
function peerFlow(v: Variant, mqttPort: number, influxPort: number): object[] {
  const node = (id: string, type: string, wires: string[][], extra: object) => ({ id, type, z: 'peer', name: id, x: 100, y: 100, wires, ...extra });
  const fn = (id: string, func: string, to: string) =>
    node(id, 'function', [[to]], { func, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [] });
  return [
    { id: 'peer', type: 'tab', label: `peer ${v}`, disabled: false, info: '' },
    {
      id: 'broker',
      type: 'mqtt-broker',
      name: 'mosquitto',
      broker: '127.0.0.1',
      port: String(mqttPort),
      clientid: `node-red-${v}`,
      autoConnect: true,
      usetls: false,
      protocolVersion: 4,
      keepalive: 60,
      cleansession: true,
      autoUnsubscribe: true,
      birthTopic: '',
      closeTopic: '',
      willTopic: '',
    },
    {
      id: 'influx',
      type: 'influxdb',
      hostname: '127.0.0.1',
      port: String(influxPort),
      protocol: 'http',
      database: 'peer',
      name: 'influxd',
      usetls: false,
      tls: '',
      influxdbVersion: '1.x',
    },
    node('in', 'mqtt in', [['json']], {
      topic: `v1/${peerEnt(v)}/+/readings`,
      qos: '1',
      datatype: 'utf8',
      broker: 'broker',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
    }),
    node('json', 'json', [['points', 'readings']], { property: 'payload', action: 'obj', pretty: false }),
    fn('points', POINTS_JS, v === 'batched' ? 'join' : 'write'),
    ...(v === 'batched'
      ? [
          node('join', 'join', [['flatten']], {
            mode: 'custom',
            build: 'array',
            property: 'payload',
            propertyType: 'msg',
            key: 'topic',
            joiner: '\\n',
            joinerType: 'str',
            useparts: false,
            accumulate: false,
            timeout: '0.1',
            count: String(JOIN),
            reduceRight: false,
          }),
          fn('flatten', 'msg.payload = msg.payload.flat();\nreturn msg;', 'write'),
        ]
      : []),
    node('write', 'influxdb batch', [], { influxdb: 'influx', precision: 'ms', retentionPolicy: '' }),
    node('readings', 'change', [['split']], { rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'payload.readings', tot: 'msg' }] }),
    node('split', 'split', [['threshold']], {
      splt: '\\n',
      spltType: 'str',
      arraySplt: 1,
      arraySpltType: 'len',
      stream: false,
      addname: '',
      property: 'payload',
    }),
    node('threshold', 'switch', [['alert']], {
      property: 'payload.value',
      propertyType: 'msg',
      rules: [{ t: 'gte', v: '50', vt: 'num' }],
      checkall: 'true',
      repair: false,
      outputs: 1,
    }),
    node('alert', 'mqtt out', [], { topic: ALERT_TOPIC, qos: '1', retain: 'false', broker: 'broker' }),
  ];
}

/** Starts Node-RED headless (editor off, no credentials, no telemetry) with the flow of variant `v`. */
async function startNodeRed(red: string, v: Variant, mqttPort: number, influxPort: number): Promise<Proc> {
  const port = await freePort();
  const flowFile = join(NODE_RED_DIR, `flows-${v}.json`);
  writeFileSync(flowFile, JSON.stringify(peerFlow(v, mqttPort, influxPort), null, 1));
  // In var/peer/node-red (its package.json has no "type": "module"), so Node-RED's require() reads it as CommonJS.
  const settings = join(NODE_RED_DIR, `settings-${v}.js`);
  writeFileSync(
    settings,
    `module.exports = ${JSON.stringify({
      uiHost: '127.0.0.1',
      uiPort: port,
      userDir: NODE_RED_DIR,
      flowFile,
      credentialSecret: false,
      disableEditor: true,
      httpNodeRoot: false,
      mqttReconnectTime: 1000,
      logging: { console: { level: 'warn', metrics: false, audit: false } },
      diagnostics: { enabled: false, ui: false },
      telemetry: { enabled: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
      functionExternalModules: false,
      editorTheme: { projects: { enabled: false } },
    })};\n`,
  );
  const log = openSync(join(PEER_DIR, `node-red-${v}.log`), 'a');
  const child = spawn(process.execPath, [red, '--settings', settings], { cwd: NODE_RED_DIR, stdio: ['ignore', log, log] });
  await waitFor(`node-red (${v})`, () => portOpen(port), child, 60_000);
  return { name: `node-red ${v}`, child, port, stop: () => stopChild(child) };
}

// ---------------------------------------------------------------------------------------------
// Load and probes

/** Gateways publishing readings messages (QoS 1): each reading a distinct point (per-gateway increasing timestamps). */
class Load {
  acked = 0;
  sent = 0;
  readonly pubacks: number[] = [];
  measuring = false;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly seq: number[];

  constructor(
    private readonly clients: MqttClient[],
    private readonly topic: (g: number) => string,
    private readonly t0: number,
  ) {
    this.seq = new Array<number>(clients.length).fill(0);
  }

  private payload(g: number): string {
    const readings: ReadingOut[] = [];
    for (let k = 0; k < PER; k++) {
      const n = this.seq[g]!++;
      readings.push({ sensor: `S-${g}-${n % S}`, value: (n % 100) / 10, unit: '%LEL', quality: 'good', ts: this.t0 + Math.floor(n / S) });
    }
    return encodeReadings(readings);
  }

  private async send(g: number): Promise<void> {
    const start = performance.now();
    this.sent += PER;
    await publish(this.clients[g]!, this.topic(g), this.payload(g));
    this.acked += PER;
    if (this.measuring) this.pubacks.push(performance.now() - start);
  }

  /** rate 0: closed loop with `inflight` messages per gateway; else open loop at `rate` readings/s. */
  start(rate: number, inflight: number): void {
    const G = this.clients.length;
    if (rate === 0) {
      for (let g = 0; g < G; g++)
        for (let w = 0; w < inflight; w++)
          this.loops.push(
            (async () => {
              while (!this.stopped) await this.send(g);
            })(),
          );
      return;
    }
    this.loops.push(
      (async () => {
        const started = performance.now();
        let due = 0;
        const pending = new Set<Promise<void>>();
        while (!this.stopped) {
          const until = Math.floor(((performance.now() - started) / 1000) * (rate / PER));
          for (; due < until; due++) {
            const p = this.send(due % G).finally(() => pending.delete(p));
            pending.add(p);
          }
          await sleep(2);
        }
        await Promise.all(pending);
      })(),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}

/**
 * Alert probes: a reading of 60 %LEL on a probe sensor, PROBES a second; the
 * time until the alert for that sensor arrives (`seen`) and until the reading
 * is visible in InfluxDB (`pollStored`). Each probe sensor is then cleared
 * with a normal reading, as a gateway would report the gas gone.
 */
class Probes {
  readonly alertLat: number[] = [];
  readonly storedLat: number[] = [];
  sent = 0;
  alerts = 0;
  measuring = false;
  private stopped = false;
  private readonly waiting = new Map<string, number>();
  private readonly unstored = new Map<number, number>();
  private lastTs = Date.now();
  private readonly clears: Promise<void>[] = [];
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: MqttClient,
    private readonly topic: string,
    private readonly ids: string[],
  ) {}

  private nextTs(): number {
    return (this.lastTs = Math.max(this.lastTs + 1, Date.now()));
  }

  start(): void {
    this.loop = (async () => {
      for (let i = 0; !this.stopped; i++) {
        const id = this.ids[i % this.ids.length]!;
        if (!this.waiting.has(id)) {
          const ts = this.nextTs();
          const t = performance.now();
          this.waiting.set(id, t);
          if (this.measuring) this.unstored.set(ts, t);
          this.sent++;
          void publish(this.client, this.topic, encodeReadings([{ sensor: id, value: ALARM, unit: '%LEL', quality: 'good', ts }]));
        }
        await sleep(1000 / PROBES);
      }
    })();
  }

  /** The alert for `sensor` has arrived. */
  seen(sensor: string): void {
    const t = this.waiting.get(sensor);
    if (t === undefined) return;
    this.waiting.delete(sensor);
    this.alerts++;
    if (this.measuring) this.alertLat.push(performance.now() - t);
    this.clears.push(publish(this.client, this.topic, encodeReadings([{ sensor, value: 1, unit: '%LEL', quality: 'good', ts: this.nextTs() }])));
  }

  /** Polls InfluxDB every 25 ms for the probes published in the window, until `stop`. */
  async pollStored(influx: InfluxClient, ent: string, since: number): Promise<void> {
    while (!this.stopped) {
      const series = await influx.query(`SELECT "value" FROM "reading" WHERE "ent" = '${ent}' AND "sensor" =~ /^P-/ AND "value" >= 50 AND time >= ${since}ms`);
      const now = performance.now();
      for (const [ts] of series[0]?.values ?? []) {
        const t = this.unstored.get(ts as number);
        if (t === undefined) continue;
        this.unstored.delete(ts as number);
        if (this.measuring) this.storedLat.push(now - t);
      }
      await sleep(25);
    }
  }

  /** Stops probing; waits up to 10 s for the alerts still due. Returns how many never came. */
  async stop(): Promise<number> {
    this.stopped = true;
    await this.loop;
    for (let i = 0; i < 100 && this.waiting.size > 0; i++) await sleep(100);
    await Promise.all(this.clears);
    return this.waiting.size;
  }
}

// ---------------------------------------------------------------------------------------------
// One measured leg

interface Leg {
  pipeline: string;
  fleet: number;
  /** Readings/s acknowledged by the broker over the window. */
  pubRate: number;
  /** Readings/s that reached InfluxDB over the window (counted there). */
  storedRate: number;
  acked: number;
  stored: number;
  drainS: number;
  /** Still storing when --drain ran out. */
  drainCapped: boolean;
  pubacks: number[];
  storedLat: number[];
  alertLat: number[];
  probesSent: number;
  probesLost: number;
  usage: ProcessUsage[];
  serverCores: number;
  /** Messages Mosquitto dropped during the leg (undefined: not a Mosquitto leg). */
  dropped?: number;
}

interface Target {
  pipeline: string;
  clients: MqttClient[];
  topic: (g: number) => string;
  ent: string;
  /** Server-side processes; the load generator is added. */
  pids: Record<string, number>;
  /** InfluxDB database holding this pipeline's readings; undefined: the broker alone, nothing stored. */
  influx?: InfluxClient;
  probes?: { client: MqttClient; topic: string; ids: string[]; feed: (seen: (sensor: string) => void) => Promise<() => Promise<void>> };
  rate: number;
  warmup: number;
  seconds: number;
  dropped?: () => number;
  /** Every server process of the run: the leg starts once they are idle. */
  settle: () => Record<string, number>;
}

async function countStored(influx: InfluxClient, ent: string, since: number): Promise<number> {
  const series = await influx.query(`SELECT count("value") FROM "reading" WHERE "ent" = '${ent}' AND "sensor" =~ /^S-/ AND time >= ${since}ms`);
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

async function runLeg(fleet: number, t: Target): Promise<Leg> {
  const quiet = await quiesce(t.settle(), 0.1, 180_000);
  if (quiet.waitedMs > 1500 || !quiet.settled)
    console.error(
      `waited ${(quiet.waitedMs / 1000).toFixed(1)} s for the server processes to go idle before "${t.pipeline}"${quiet.settled ? '' : ` (they did not: ${quiet.busiest}; measuring anyway)`}`,
    );
  const t0 = Date.now() - 10 * 60_000; // recent: the rules see live data, not a backlog
  const load = new Load(t.clients, t.topic, t0);
  const probes = t.probes && new Probes(t.probes.client, t.probes.topic, t.probes.ids);
  const closeFeed = probes && (await t.probes!.feed((s) => probes.seen(s)));
  const since = Date.now() - 60_000;
  const dropped0 = t.dropped?.();
  load.start(t.rate, INFLIGHT);
  probes?.start();
  const poller = probes && t.influx ? probes.pollStored(t.influx, t.ent, since) : undefined;
  await sleep(t.warmup * 1000);

  const sampler = new ProcessSampler({ ...t.pids, 'load generator': process.pid });
  const c0 = t.influx ? await countStored(t.influx, t.ent, t0) : 0;
  const tc0 = performance.now();
  const a0 = load.acked;
  sampler.start();
  load.measuring = true;
  if (probes) probes.measuring = true;
  await sleep(t.seconds * 1000);
  const a1 = load.acked;
  const wall = (performance.now() - tc0) / 1000;
  const usage = sampler.stopValues();
  load.measuring = false;
  if (probes) probes.measuring = false;
  const c1 = t.influx ? await countStored(t.influx, t.ent, t0) : 0;
  const storedWall = (performance.now() - tc0) / 1000;

  await load.stop();
  const lost = probes ? await probes.stop() : 0;
  await poller;
  await closeFeed?.();

  // drain: until InfluxDB holds what was acknowledged, no progress for 2 s, or --drain seconds
  let stored = 0;
  let drainCapped = false;
  const d0 = performance.now();
  if (t.influx) {
    let last = -1;
    let lastChange = d0;
    for (;;) {
      stored = await countStored(t.influx, t.ent, t0);
      if (stored !== last) lastChange = performance.now();
      last = stored;
      if (stored >= load.acked || performance.now() - lastChange > 2000) break;
      if (performance.now() - d0 > DRAIN * 1000) {
        drainCapped = true;
        break;
      }
      await sleep(250);
    }
  }
  await sleep(t.dropped ? 1100 : 0); // $SYS is published every second
  const dropped = t.dropped && dropped0 !== undefined ? t.dropped() - dropped0 : undefined;
  for (const c of [...t.clients, ...(t.probes ? [t.probes.client] : [])]) c.end(true);
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  return {
    pipeline: t.pipeline,
    fleet,
    pubRate: (a1 - a0) / wall,
    storedRate: (c1 - c0) / storedWall,
    acked: load.acked,
    stored,
    drainS: (performance.now() - d0) / 1000,
    drainCapped,
    pubacks: sorted(load.pubacks),
    storedLat: sorted(probes?.storedLat ?? []),
    alertLat: sorted(probes?.alertLat ?? []),
    probesSent: probes?.sent ?? 0,
    probesLost: lost,
    usage,
    serverCores: usage.filter((u) => u.name !== 'load generator').reduce((s, u) => s + u.cores, 0),
    dropped,
  };
}

// ---------------------------------------------------------------------------------------------
// Printing

const n0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en') : '–');
const ms = (xs: number[], p: number) => (xs.length ? pct(xs, p).toFixed(p === 50 ? 1 : 0) : '–');
const lat = (xs: number[]) => (xs.length ? `${ms(xs, 50)} / ${ms(xs, 99)}` : '–');
/** With the number of samples: a p99 of 3 probes is not one. */
const latN = (xs: number[]) => `${lat(xs)} (${xs.length})`;
/** CPU milliseconds (server side) per 1,000 readings stored. */
const cpuPer1k = (l: Leg) => (l.serverCores * 1e6) / (l.storedRate || l.pubRate);
const ratio = (a: number, b: number) => (Number.isFinite(a / b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–');

function printLeg(l: Leg): void {
  console.log(`\n-- ${l.pipeline}, ${l.fleet} gateways --`);
  console.log(`published (acknowledged by the broker): ${n0(l.pubRate)} readings/s over the window (${n0(l.pubRate / PER)} msg/s)`);
  if (l.storedLat.length || l.alertLat.length || l.stored) {
    console.log(`stored in InfluxDB: ${n0(l.storedRate)} readings/s over the window (counted in InfluxDB)`);
    const verdict =
      l.stored === l.acked ? 'all stored' : l.stored < l.acked ? `${n0(l.acked - l.stored)} NOT STORED` : `${n0(l.stored - l.acked)} more than acknowledged`;
    console.log(`published vs stored: ${n0(l.acked)} acknowledged, ${n0(l.stored)} in InfluxDB after ${l.drainS.toFixed(1)} s of drain → ${verdict}`);
    if (l.dropped !== undefined) console.log(`Mosquitto dropped ${n0(l.dropped)} messages (${n0(l.dropped * PER)} readings) on their way to Node-RED`);
    console.log(`publish → visible in InfluxDB (probes, 25 ms polling): p50/p99 ${lat(l.storedLat)} ms (${l.storedLat.length} probes)`);
    console.log(
      `publish → alert: p50/p99 ${lat(l.alertLat)} ms (${l.alertLat.length} measured; ${l.probesSent} sent, ${l.probesLost} never alerted${l.probesLost ? ' ← LOST' : ''})`,
    );
  }
  console.log(`publish → PUBACK: p50/p99 ${lat(l.pubacks)} ms (${l.pubacks.length} messages)`);
  console.log('per process: CPU (cores) | RSS MiB first → max → last');
  for (const u of l.usage) console.log(usageLine(u));
}

function markdown(pipelines: Leg[], broker: Leg[]): string {
  const rows = [
    '| gateways | pipeline | stored readings/s | published readings/s | stored / acknowledged | dropped by Mosquitto | publish → stored p50 / p99 ms (probes) | publish → alert p50 / p99 ms (probes) | server CPU cores | CPU ms / 1k readings | RSS MiB (max) |',
  ];
  rows.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const l of pipelines) {
    const rss = l.usage
      .filter((u) => u.name !== 'load generator')
      .map((u) => `${u.name} ${u.rssMax.toFixed(0)}`)
      .join(', ');
    rows.push(
      `| ${l.fleet} | ${l.pipeline} | ${n0(l.storedRate)} | ${n0(l.pubRate)} | ${n0(l.stored)} / ${n0(l.acked)} | ${l.dropped === undefined ? '–' : n0(l.dropped * PER)} | ${latN(l.storedLat)} | ${latN(l.alertLat)} | ${l.serverCores.toFixed(2)} | ${cpuPer1k(l).toFixed(0)} | ${rss} |`,
    );
  }
  rows.push(
    '',
    '| gateways | ours ÷ peer | stored readings/s | publish → stored p50 | publish → alert p50 | publish → alert p99 | CPU ms / 1k readings |',
    '|---:|---|---:|---:|---:|---:|---:|',
  );
  for (const ours of pipelines.filter((l) => l.pipeline === 'ours')) {
    for (const peer of pipelines.filter((l) => l.fleet === ours.fleet && l.pipeline !== 'ours')) {
      rows.push(
        `| ${ours.fleet} | ours ÷ ${peer.pipeline} | ${ratio(ours.storedRate, peer.storedRate)} | ${ratio(pct(ours.storedLat, 50), pct(peer.storedLat, 50))} | ${ratio(pct(ours.alertLat, 50), pct(peer.alertLat, 50))} | ${ratio(pct(ours.alertLat, 99), pct(peer.alertLat, 99))} | ${ratio(cpuPer1k(ours), cpuPer1k(peer))} |`,
      );
    }
  }
  rows.push(
    '',
    '| gateways | broker | msg/s | readings/s | PUBACK p50 / p99 ms | broker CPU cores | load generator CPU cores | PUBACK means |',
    '|---:|---|---:|---:|---:|---:|---:|---|',
  );
  for (const l of broker) {
    const gen = l.usage.find((u) => u.name === 'load generator')?.cores ?? NaN;
    rows.push(
      `| ${l.fleet} | ${l.pipeline} | ${n0(l.pubRate / PER)} | ${n0(l.pubRate)} | ${lat(l.pubacks)} | ${l.serverCores.toFixed(2)} | ${gen.toFixed(2)} | ${l.pipeline === 'mosquitto' ? 'received' : 'stored in InfluxDB, queued to the rules'} |`,
    );
  }
  return rows.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  const red = ensureNodeRed();
  mkdirSync(PEER_DIR, { recursive: true });
  const bp = await startBenchPlatform();
  const procs: Proc[] = [];
  try {
    const influxPort = Number(new URL(bp.influxd.url).port);
    const api = new AdminApi(`http://127.0.0.1:${bp.httpPort}`, bp.token);
    await api.ok('POST', '/api/v1/authorities', { id: 'BENCH-CITY', name: 'bench city', level: 'city' });
    await api.ok('POST', '/api/v1/enterprises', { id: ENT, name: 'bench', sector: 'hazardous_chemicals', authorityId: 'BENCH-CITY' });
    const maxFleet = Math.max(...FLEETS);
    const secrets = await provisionFleet(api, ENT, maxFleet, S);
    // probe sensors P-0-{i} on gateway GW-PROBE-0, a fresh set per fleet size
    const [probeSecret] = await provisionFleet(api, ENT, 1, FLEETS.length * PROBE_IDS, { prefix: 'GW-PROBE-', sensorPrefix: 'P-' });
    const probeIds = (leg: number) => Array.from({ length: PROBE_IDS }, (_, i) => `P-0-${leg * PROBE_IDS + i}`);
    console.error(`provisioned ${maxFleet} gateways × ${S} sensors in ${((Date.now() - started) / 1000).toFixed(0)} s (with the start)`);

    const peerInflux = new InfluxClient({ url: bp.influxd.url, database: 'peer' });
    await peerInflux.query('CREATE DATABASE "peer"', { method: 'POST', database: null });
    const mosquitto = await startMosquitto('mosquitto');
    procs.push(mosquitto);
    const mosquittoAlone = await startMosquitto('mosquitto-alone');
    procs.push(mosquittoAlone);
    const dropped = await watchDropped(mosquitto.port);
    const nodeReds = new Map<Variant, Proc>();
    for (const v of VARIANTS) {
      const p = await startNodeRed(red, v, mosquitto.port, influxPort);
      procs.push(p);
      nodeReds.set(v, p);
    }

    const ours = new InfluxClient({ url: bp.influxd.url, database: 'safety' });
    // a few CONNECTs at a time: ours checks each gateway's secret (a deliberately slow hash)
    const ourClients = (n: number) =>
      pool(secrets.slice(0, n), 8, (password, g) =>
        connect(bp.mqttPort, { clientId: `GW-${g}`, username: `GW-${g}`, password, clean: false, connectTimeout: 60_000 }),
      );
    const mosquittoClients = (port: number, n: number) =>
      pool(
        Array.from({ length: n }, (_, g) => g),
        8,
        (g) => connect(port, { clientId: `GW-${g}`, clean: false, connectTimeout: 60_000 }),
      );
    const sseFeed = async (seen: (s: string) => void) => {
      const stream = await SseClient.open(`http://127.0.0.1:${bp.httpPort}/api/v1/alerts/stream`, { authorization: `Bearer ${bp.token}` });
      const reader = (async () => {
        for (;;) {
          const f = await stream.next(600_000).catch(() => undefined);
          if (!f) return;
          if (f.event !== 'fired') continue;
          const { alert } = frameJson<{ alert: AlertSummary }>(f);
          if (alert.ruleId === 'gas.combustible') seen(alert.subject);
        }
      })();
      return async () => {
        stream.close();
        await reader;
      };
    };
    const mqttFeed = async (seen: (s: string) => void) => {
      const sub = await connect(mosquitto.port, { clientId: `alert-subscriber-${Date.now()}`, clean: true });
      await sub.subscribeAsync(ALERT_TOPIC, { qos: 1 });
      sub.on('message', (_topic, payload) => {
        try {
          seen((JSON.parse(payload.toString()) as { sensor: string }).sensor);
        } catch {
          /* not a reading: not a probe's alert */
        }
      });
      return async () => {
        await sub.endAsync();
      };
    };
    // a leg starts only once every server process is idle: what the previous one left behind (Node-RED's
    // backlog, InfluxDB compacting it, the rules worker catching up) would otherwise load it
    const settle = () => ({
      platform: bp.child.pid!,
      influxd: bp.influxd.child!.pid!,
      redis: bp.redis.child!.pid!,
      ...Object.fromEntries(procs.map((p) => [p.name, p.child.pid!])),
    });
    const window = { rate: RATE, warmup: WARMUP, seconds: SECONDS, settle };

    // Node-RED is ready once a probe goes all the way through its flow
    for (const v of VARIANTS) {
      const client = await connect(mosquitto.port, { clientId: `probe-${v}`, clean: true });
      let ok = false;
      const close = await mqttFeed(() => (ok = true));
      for (let i = 0; !ok; i++) {
        if (i > 120) throw new Error(`node-red (${v}) did not pass a probe through its flow; see var/peer/node-red-${v}.log`);
        await publish(
          client,
          topics.readings(peerEnt(v), 'GW-PROBE'),
          encodeReadings([{ sensor: 'P-ready', value: ALARM, unit: '%LEL', quality: 'good', ts: Date.now() }]),
        );
        await sleep(500);
      }
      await close();
      client.end(true);
    }

    const pipelines: Leg[] = [];
    const broker: Leg[] = [];
    for (const [k, fleet] of FLEETS.entries()) {
      const oursProbe = await connect(bp.mqttPort, {
        clientId: 'GW-PROBE-0',
        username: 'GW-PROBE-0',
        password: probeSecret!,
        clean: false,
        connectTimeout: 60_000,
      });
      const l1 = await runLeg(fleet, {
        pipeline: 'ours',
        clients: await ourClients(fleet),
        topic: (g) => topics.readings(ENT, `GW-${g}`),
        ent: ENT,
        pids: { platform: bp.child.pid!, influxd: bp.influxd.child!.pid!, redis: bp.redis.child!.pid! },
        influx: ours,
        probes: { client: oursProbe, topic: topics.readings(ENT, 'GW-PROBE-0'), ids: probeIds(k), feed: sseFeed },
        ...window,
      });
      printLeg(l1);
      pipelines.push(l1);

      for (const v of VARIANTS) {
        const nr = nodeReds.get(v)!;
        const l2 = await runLeg(fleet, {
          pipeline: `node-red ${v}`,
          clients: await mosquittoClients(mosquitto.port, fleet),
          topic: (g) => topics.readings(peerEnt(v), `GW-${g}`),
          ent: peerEnt(v),
          pids: { mosquitto: mosquitto.child.pid!, 'node-red': nr.child.pid!, influxd: bp.influxd.child!.pid! },
          influx: peerInflux,
          probes: {
            client: await connect(mosquitto.port, { clientId: 'GW-PROBE', clean: false }),
            topic: topics.readings(peerEnt(v), 'GW-PROBE'),
            ids: probeIds(k),
            feed: mqttFeed,
          },
          dropped: dropped.value,
          ...window,
        });
        printLeg(l2);
        pipelines.push(l2);
        if (l2.drainCapped) {
          // what Node-RED still holds in memory would load the next leg: restart it (and lose it, as a restart does)
          await nr.stop();
          const again = await startNodeRed(red, v, mosquitto.port, influxPort);
          nodeReds.set(v, again);
          procs.push(again);
        }
      }

      // the broker leg alone: same publisher, same messages, closed loop
      const brokerWindow = { rate: 0, warmup: 1, seconds: BROKER_SECONDS, settle };
      const b1 = await runLeg(fleet, {
        pipeline: 'mosquitto',
        clients: await mosquittoClients(mosquittoAlone.port, fleet),
        topic: (g) => topics.readings(ENT, `GW-${g}`),
        ent: ENT,
        pids: { mosquitto: mosquittoAlone.child.pid! },
        ...brokerWindow,
      });
      printLeg(b1);
      const b2 = await runLeg(fleet, {
        pipeline: 'our gateway',
        clients: await ourClients(fleet),
        topic: (g) => topics.readings(ENT, `GW-${g}`),
        ent: ENT,
        pids: { platform: bp.child.pid!, influxd: bp.influxd.child!.pid!, redis: bp.redis.child!.pid! },
        ...brokerWindow,
      });
      printLeg(b2);
      broker.push(b1, b2);
    }

    console.log(
      `\n== peer benchmark, ${new Date().toISOString()}: ${PER} readings/message, QoS 1, ${RATE ? `open loop at ${n0(RATE)} readings/s` : `closed loop, ${INFLIGHT} messages in flight per gateway`}, ${SECONDS} s after ${WARMUP} s warm-up (broker leg ${BROKER_SECONDS} s, closed loop), ${PROBES} alert probes/s; ${Math.round((Date.now() - started) / 1000)} s in all ==`,
    );
    console.log(
      'ours = the platform process with all parts (PGlite, its Redis and InfluxDB); node-red = Mosquitto 2.0 + Node-RED 4 + node-red-contrib-influxdb on the same influxd; CPU ms / 1k readings = server-side processes (not the load generator) per 1,000 readings stored. Our PUBACK means "stored in InfluxDB and queued to the rules"; Mosquitto\'s means "received". Our alert is a rule evaluation with state, a PostgreSQL row with evidence and an SSE push; the peer\'s is a stateless threshold forwarded to a topic.\n',
    );
    console.log(markdown(pipelines, broker));
    await dropped.close();
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await bp.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
