/** The peer benchmark's run (bench/peer.ts): the stacks, every leg, the tables. */
import { mkdirSync } from 'node:fs';
import type { AlertSummary } from '../../alerts/query.ts';
import { encodeReadings, topics } from '../../core/contract.ts';
import { InfluxClient } from '../../core/influx/client.ts';
import { AdminApi } from '../../simulators/admin-api.ts';
import { connect, publish } from '../../testkit/mqtt.ts';
import { frameJson, SseClient } from '../../testkit/sse.ts';
import { pool, provisionFleet, sleep, startBenchPlatform } from '../common.ts';
import { runLeg, type Leg } from './leg.ts';
import { startMosquitto, watchDropped } from './mosquitto.ts';
import { ensureNodeRed, startNodeRed } from './node-red.ts';
import { ALARM, ALERT_TOPIC, ENT, PEER_DIR, peerEnt, type PeerOptions, type Variant } from './options.ts';
import type { Proc } from './proc.ts';
import { markdown, n0, printLeg } from './report.ts';

/** The whole run: the stacks, then per fleet size every pipeline and the broker leg, then the tables. */
export async function runPeerBench(opts: PeerOptions): Promise<void> {
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
    const maxFleet = Math.max(...opts.fleets);
    const secrets = await provisionFleet(api, ENT, maxFleet, opts.sensors);
    // probe sensors P-0-{i} on gateway GW-PROBE-0, a fresh set per fleet size
    const [probeSecret] = await provisionFleet(api, ENT, 1, opts.fleets.length * opts.probeIds, { prefix: 'GW-PROBE-', sensorPrefix: 'P-' });
    const probeIds = (leg: number) => Array.from({ length: opts.probeIds }, (_, i) => `P-0-${leg * opts.probeIds + i}`);
    console.error(`provisioned ${maxFleet} gateways × ${opts.sensors} sensors in ${((Date.now() - started) / 1000).toFixed(0)} s (with the start)`);

    const peerInflux = new InfluxClient({ url: bp.influxd.url, database: 'peer' });
    await peerInflux.query('CREATE DATABASE "peer"', { method: 'POST', database: null });
    const mosquitto = await startMosquitto('mosquitto');
    procs.push(mosquitto);
    const mosquittoAlone = await startMosquitto('mosquitto-alone');
    procs.push(mosquittoAlone);
    const dropped = await watchDropped(mosquitto.port);
    const nodeReds = new Map<Variant, Proc>();
    for (const v of opts.variants) {
      const p = await startNodeRed(red, v, mosquitto.port, influxPort, opts.join);
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
    const window = { rate: opts.rate, warmup: opts.warmup, seconds: opts.seconds, settle };

    // Node-RED is ready once a probe goes all the way through its flow
    for (const v of opts.variants) {
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
    for (const [k, fleet] of opts.fleets.entries()) {
      const oursProbe = await connect(bp.mqttPort, {
        clientId: 'GW-PROBE-0',
        username: 'GW-PROBE-0',
        password: probeSecret!,
        clean: false,
        connectTimeout: 60_000,
      });
      const l1 = await runLeg(opts, fleet, {
        pipeline: 'ours',
        clients: await ourClients(fleet),
        topic: (g) => topics.readings(ENT, `GW-${g}`),
        ent: ENT,
        pids: { platform: bp.child.pid!, influxd: bp.influxd.child!.pid!, redis: bp.redis.child!.pid! },
        influx: ours,
        probes: { client: oursProbe, topic: topics.readings(ENT, 'GW-PROBE-0'), ids: probeIds(k), feed: sseFeed },
        ...window,
      });
      printLeg(l1, opts.per);
      pipelines.push(l1);

      for (const v of opts.variants) {
        const nr = nodeReds.get(v)!;
        const l2 = await runLeg(opts, fleet, {
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
        printLeg(l2, opts.per);
        pipelines.push(l2);
        if (l2.drainCapped) {
          // what Node-RED still holds in memory would load the next leg: restart it (and lose it, as a restart does)
          await nr.stop();
          const again = await startNodeRed(red, v, mosquitto.port, influxPort, opts.join);
          nodeReds.set(v, again);
          procs.push(again);
        }
      }

      // the broker leg alone: same publisher, same messages, closed loop
      const brokerWindow = { rate: 0, warmup: 1, seconds: opts.brokerSeconds, settle };
      const b1 = await runLeg(opts, fleet, {
        pipeline: 'mosquitto',
        clients: await mosquittoClients(mosquittoAlone.port, fleet),
        topic: (g) => topics.readings(ENT, `GW-${g}`),
        ent: ENT,
        pids: { mosquitto: mosquittoAlone.child.pid! },
        ...brokerWindow,
      });
      printLeg(b1, opts.per);
      const b2 = await runLeg(opts, fleet, {
        pipeline: 'our gateway',
        clients: await ourClients(fleet),
        topic: (g) => topics.readings(ENT, `GW-${g}`),
        ent: ENT,
        pids: { platform: bp.child.pid!, influxd: bp.influxd.child!.pid!, redis: bp.redis.child!.pid! },
        ...brokerWindow,
      });
      printLeg(b2, opts.per);
      broker.push(b1, b2);
    }

    console.log(
      `\n== peer benchmark, ${new Date().toISOString()}: ${opts.per} readings/message, QoS 1, ${opts.rate ? `open loop at ${n0(opts.rate)} readings/s` : `closed loop, ${opts.inflight} messages in flight per gateway`}, ${opts.seconds} s after ${opts.warmup} s warm-up (broker leg ${opts.brokerSeconds} s, closed loop), ${opts.probes} alert probes/s; ${Math.round((Date.now() - started) / 1000)} s in all ==`,
    );
    console.log(
      'ours = the platform process with all parts (PGlite, its Redis and InfluxDB); node-red = Mosquitto 2.0 + Node-RED 4 + node-red-contrib-influxdb on the same influxd; CPU ms / 1k readings = server-side processes (not the load generator) per 1,000 readings stored. Our PUBACK means "stored in InfluxDB and queued to the rules"; Mosquitto\'s means "received". Our alert is a rule evaluation with state, a PostgreSQL row with evidence and an SSE push; the peer\'s is a stateless threshold forwarded to a topic.\n',
    );
    console.log(markdown(pipelines, broker, opts.per));
    await dropped.close();
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await bp.stop();
  }
}
