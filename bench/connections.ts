/**
 * MQTT connections at provincial scale (issue #19 §6): one platform node
 * holding N authenticated gateway connections (keepalive traffic, K of them
 * publishing a reading every few seconds), memory per connection, and two
 * reconnection storms of M gateways at once:
 *
 * - a network blip: M client sockets destroyed and reconnected at once to the
 *   same node (their verified secrets are remembered: no scrypt);
 * - a node failure: the platform process is killed (SIGKILL) and started
 *   again on the same data, and M gateways reconnect at once to the new
 *   process, whose secret cache is cold (one scrypt check each, at most
 *   MQTT_MAX_CONCURRENT_SECRET_CHECKS at once, default 2).
 *
 * Each gateway is a raw TCP socket (CONNECT, then PINGREQ every keepalive
 * seconds; publishers also a QoS 1 reading) so that the client side stays
 * light. A refused attempt (socket closed without CONNACK: the pending-
 * connection cap or the connect timeout; or a CONNACK ≠ 0) is retried after
 * a jittered exponential backoff (1 s doubling to 30 s), as a gateway would.
 *
 * The platform's RSS is read from /proc/<pid>/status and its heap from
 * /metrics. Needs `ulimit -n` above N plus a few hundred in this shell (the
 * platform inherits it).
 *
 *   npm run bench:connections -- [--gateways 10000] [--publishers 50] [--keepalive 60] [--storm 5000] [--parts gateway,api,ingest,rules]
 */
import { connect as tcp, type Socket } from 'node:net';
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import mqttPacket from 'mqtt-packet';
import { AdminApi } from '../simulators/admin-api.ts';
import { encodeReadings, topics } from '../core/contract.ts';
import { pct, pool, provisionFleet, rssMiB, sleep, startBenchPlatform } from './common.ts';

const { values: args } = parseArgs({
  options: {
    gateways: { type: 'string', default: '10000' },
    publishers: { type: 'string', default: '50' },
    keepalive: { type: 'string', default: '60' },
    storm: { type: 'string', default: '5000' },
    parts: { type: 'string' },
    hold: { type: 'string', default: '30' },
  },
});
const N = Number(args.gateways);
const K = Math.min(N, Number(args.publishers));
const KEEPALIVE = Number(args.keepalive);
const M = Math.min(N, Number(args.storm));
const HOLD_S = Number(args.hold);
const PUBLISH_EVERY_MS = 5000;
const ENTERPRISE = 'E1';

const fdLimit = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim());
if (Number.isFinite(fdLimit) && fdLimit < N + 500) {
  console.error(`ulimit -n is ${fdLimit}: raise it above ${N + 500} (e.g. \`ulimit -n 65536\`) before running with --gateways ${N}`);
  process.exit(1);
}

const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
const ms = (x: number) => `${(x / 1000).toFixed(1)} s`;

interface Gw {
  id: string;
  secret: string;
  socket?: Socket;
  connected: boolean;
  packetId: number;
}

/** Why an attempt did not end in CONNACK 0. */
type Outcome = 'ok' | 'closed_without_connack' | `connack_${number}` | 'socket_error' | 'timeout';

const ATTEMPT_TIMEOUT_MS = 60_000;

/** One CONNECT attempt; on CONNACK 0 the socket stays open (further packets ignored). */
function attempt(port: number, gw: Gw): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = tcp({ host: '127.0.0.1', port });
    let head = Buffer.alloc(0);
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (o === 'ok') {
        gw.socket = s;
        gw.connected = true;
        s.once('close', () => {
          if (gw.socket === s) gw.connected = false;
        });
      } else s.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish('timeout'), ATTEMPT_TIMEOUT_MS);
    s.setNoDelay(true);
    s.on('error', () => finish('socket_error'));
    s.on('close', () => finish('closed_without_connack'));
    s.on('data', (d: Buffer) => {
      if (done) return; // PINGRESP, PUBACK: not looked at
      head = Buffer.concat([head, d]);
      if (head.length < 4) return;
      finish(head[0] === 0x20 && head[3] === 0 ? 'ok' : `connack_${head[3] ?? -1}`);
    });
    s.once('connect', () => {
      s.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clientId: gw.id,
          username: gw.id,
          password: Buffer.from(gw.secret),
          clean: true,
          keepalive: KEEPALIVE,
        }),
      );
    });
  });
}

interface Result {
  waitMs: number;
  attempts: number;
  refusals: Outcome[];
}

/** Connects until CONNACK 0, backing off 1 s × 2^k (at most 30 s), jittered 50-100 %. */
async function connectWithRetry(port: number, gw: Gw, t0: number): Promise<Result> {
  const refusals: Outcome[] = [];
  for (let k = 0; ; k++) {
    const o = await attempt(port, gw);
    if (o === 'ok') return { waitMs: performance.now() - t0, attempts: k + 1, refusals };
    refusals.push(o);
    await sleep(Math.min(30_000, 1000 * 2 ** k) * (0.5 + Math.random() / 2));
  }
}

function summarise(results: Result[], wallMs: number): string[] {
  const waits = results.map((r) => r.waitMs).sort((a, b) => a - b);
  const by = new Map<string, number>();
  for (const r of results) for (const o of r.refusals) by.set(o, (by.get(o) ?? 0) + 1);
  const refused = results.filter((r) => r.refusals.length > 0).length;
  return [
    `  all ${results.length} back in ${ms(wallMs)} (${(results.length / (wallMs / 1000)).toFixed(0)} connections/s)`,
    `  wait per gateway: p50 ${ms(pct(waits, 50))}, p90 ${ms(pct(waits, 90))}, p99 ${ms(pct(waits, 99))}, longest ${ms(waits.at(-1) ?? NaN)}`,
    `  refused at least once: ${refused} gateways; refusals seen and retried: ${[...by.values()].reduce((a, b) => a + b, 0)}` +
      (by.size ? ` (${[...by].map(([k, n]) => `${k} ${n}`).join(', ')})` : ''),
    `  most attempts by one gateway: ${Math.max(...results.map((r) => r.attempts))}`,
  ];
}

async function scrape(httpPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
const metric = (m: Map<string, number>, name: string) => m.get(name) ?? NaN;
const refusalsBy = (m: Map<string, number>) =>
  [...m]
    .filter(([k, v]) => k.startsWith('nss_mqtt_refusals_total{action="connect"') && v > 0)
    .map(([k, v]) => `${/reason="([^"]+)"/.exec(k)?.[1]} ${v}`)
    .join(', ') || 'none';

const platform = await startBenchPlatform(args.parts ? { PARTS: args.parts } : {});
const fleet: Gw[] = [];
let keepaliveTimer: NodeJS.Timeout | undefined;
let publishTimer: NodeJS.Timeout | undefined;
try {
  const api = new AdminApi(`http://127.0.0.1:${platform.httpPort}`, platform.token);
  await api.ok('POST', '/api/v1/authorities', { id: 'prov-1', name: '示例省应急管理厅', level: 'province' });
  await api.ok('POST', '/api/v1/enterprises', { id: ENTERPRISE, name: '企业 E1', sector: 'other', authorityId: 'prov-1' });

  log(`provisioning ${N} gateways (${K} with a sensor) through the admin API, 8 requests at a time`);
  let t = performance.now();
  const secrets = [
    ...(await provisionFleet(api, ENTERPRISE, K, 1, { concurrency: 8 })),
    ...(await provisionFleet(api, ENTERPRISE, N - K, 0, { from: K, concurrency: 8 })),
  ];
  const provisionMs = performance.now() - t;
  log(`provisioned in ${ms(provisionMs)} (${(N / (provisionMs / 1000)).toFixed(0)} gateways/s; each secret is scrypt-hashed by the API)`);
  secrets.forEach((secret, i) => fleet.push({ id: `GW-${i}`, secret, connected: false, packetId: 0 }));

  // baseline after provisioning, before any MQTT connection
  await sleep(3000);
  const rss0 = rssMiB(platform.child.pid!);
  const m0 = await scrape(platform.httpPort);
  const heap0 = metric(m0, 'nss_nodejs_heap_size_used_bytes') / 2 ** 20;

  // keepalive from the start (the first to connect would otherwise time out while the rest connect): each connection
  // pings once per keepalive period, spread over the period
  let tick = 0;
  keepaliveTimer = setInterval(() => {
    const slot = tick++ % KEEPALIVE;
    for (let i = slot; i < fleet.length; i += KEEPALIVE) {
      const gw = fleet[i]!;
      if (gw.connected) gw.socket!.write(Buffer.from([0xc0, 0x00]));
    }
  }, 1000);
  // publishers: a reading every 5 s each, spread over the 5 s
  let ptick = 0;
  publishTimer = setInterval(() => {
    const slot = ptick++ % 10;
    for (let i = slot; i < K; i += 10) {
      const gw = fleet[i]!;
      if (!gw.connected) continue;
      gw.packetId = (gw.packetId % 65535) + 1;
      gw.socket!.write(
        mqttPacket.generate({
          cmd: 'publish',
          topic: topics.readings(ENTERPRISE, gw.id),
          payload: encodeReadings([{ sensor: `S-${i}-0`, value: Math.random() * 10, unit: '%LEL', quality: 'good', ts: Date.now() }]),
          qos: 1,
          messageId: gw.packetId,
          retain: false,
          dup: false,
        }),
      );
    }
  }, PUBLISH_EVERY_MS / 10);

  // 1. connect all N, 100 in flight (well under the pending cap of 1000 and the 10 s connect timeout at 25-40 checks/s here)
  log(`connecting ${N} gateways, 100 CONNECTs in flight`);
  t = performance.now();
  const first = await pool(fleet, 100, (gw) => connectWithRetry(platform.mqttPort, gw, performance.now()));
  const connectMs = performance.now() - t;
  const m1 = await scrape(platform.httpPort);
  const checks1 = metric(m1, 'nss_mqtt_secret_checks_total') - metric(m0, 'nss_mqtt_secret_checks_total');
  log(`all ${N} connected in ${ms(connectMs)}`);

  log(`holding for ${HOLD_S} s with keepalive traffic and ${K} publishers`);
  await sleep(HOLD_S * 1000);
  const rss1 = rssMiB(platform.child.pid!);
  const m2 = await scrape(platform.httpPort);
  const heap1 = metric(m2, 'nss_nodejs_heap_size_used_bytes') / 2 ** 20;
  const held = fleet.filter((g) => g.connected).length;
  const brokerHeld = metric(m2, 'nss_mqtt_connections');

  // 2. network blip: M sockets destroyed and reconnected at once, same node
  const stormGws = fleet.slice(fleet.length - M);
  for (const gw of stormGws) gw.socket?.destroy();
  log(`storm 1 (same node): ${M} sockets destroyed, all reconnecting at once`);
  t = performance.now();
  const blip = await Promise.all(stormGws.map((gw) => connectWithRetry(platform.mqttPort, gw, t)));
  const blipMs = performance.now() - t;
  const m3 = await scrape(platform.httpPort);
  const checksBlip = metric(m3, 'nss_mqtt_secret_checks_total') - metric(m2, 'nss_mqtt_secret_checks_total');
  const refusalsBlip = refusalsBy(m3);
  const heldAfterBlip = fleet.filter((g) => g.connected).length;

  // 3. node failure: the platform is killed and restarted; M gateways reconnect at once to a node whose own secret cache is
  // cold (the cluster's verified-secret digests in Redis are not: gateway/verified-secrets.ts)
  log('storm 2 (node failure): platform killed (SIGKILL) and restarted');
  t = performance.now();
  await platform.restart();
  const restartMs = performance.now() - t;
  while (fleet.some((g) => g.connected)) await sleep(100); // the killed process's sockets are closed by the kernel
  log(`platform back in ${ms(restartMs)}; ${M} gateways reconnecting at once`);
  t = performance.now();
  const cold = await Promise.all(stormGws.map((gw) => connectWithRetry(platform.mqttPort, gw, t)));
  const coldMs = performance.now() - t;
  const m4 = await scrape(platform.httpPort);
  const checksCold = metric(m4, 'nss_mqtt_secret_checks_total');
  const refusalsCold = refusalsBy(m4);
  const heldAfterCold = fleet.filter((g) => g.connected).length;

  console.log('');
  console.log(`== MQTT connections on one node: ${N} gateways, ${K} publishing every ${PUBLISH_EVERY_MS / 1000} s, keepalive ${KEEPALIVE} s ==`);
  console.log(`provisioning (admin API, 8 at a time): ${ms(provisionMs)}, ${(N / (provisionMs / 1000)).toFixed(0)} gateways/s`);
  console.log(
    `connecting all ${N} (100 in flight): ${ms(connectMs)}, ${(N / (connectMs / 1000)).toFixed(0)} connections/s; ${checks1} secret checks (scrypt), one every ${(connectMs / checks1).toFixed(1)} ms with MQTT_MAX_CONCURRENT_SECRET_CHECKS (default 2) at once`,
  );
  for (const l of summarise(first, connectMs).slice(1)) console.log(l);
  console.log(`connections held after ${HOLD_S} s: ${held} (client side), ${brokerHeld} (broker's nss_mqtt_connections)`);
  console.log(
    `platform RSS ${rss0.toFixed(0)} → ${rss1.toFixed(0)} MiB, heap used ${heap0.toFixed(0)} → ${heap1.toFixed(0)} MiB: ` +
      `${(((rss1 - rss0) * 1024) / held).toFixed(1)} KiB RSS and ${(((heap1 - heap0) * 1024) / held).toFixed(1)} KiB heap per connection`,
  );
  console.log(`storm 1, network blip (same node, secrets cached): ${M} at once; ${checksBlip} secret checks`);
  for (const l of summarise(blip, blipMs)) console.log(l);
  console.log(`  broker's connect refusals so far: ${refusalsBlip}; held after: ${heldAfterBlip}`);
  console.log(`storm 2, node failure (killed, restarted in ${ms(restartMs)}, its own secret cache cold, the cluster's digests in Redis): ${M} at once; ${checksCold} secret checks`);
  for (const l of summarise(cold, coldMs)) console.log(l);
  console.log(`  broker's connect refusals (new process): ${refusalsCold}; held after: ${heldAfterCold} (the other ${N - M} were not reconnected)`);
} finally {
  clearInterval(keepaliveTimer);
  clearInterval(publishTimer);
  for (const gw of fleet) gw.socket?.destroy();
  await platform.stop();
}
