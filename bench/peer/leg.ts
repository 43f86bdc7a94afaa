/** One measured leg of the peer benchmark: a pipeline and a fleet size, its rates, latencies and CPU. */
import type { MqttClient } from 'mqtt';
import type { InfluxClient } from '../../core/influx/client.ts';
import { ProcessSampler, quiesce, sleep, type ProcessUsage } from '../common.ts';
import { Load } from './load.ts';
import type { PeerOptions } from './options.ts';
import { Probes } from './probes.ts';

export interface Leg {
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

export interface Target {
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

/** One measured leg: warm-up, the window, then the drain. */
export async function runLeg(opts: PeerOptions, fleet: number, t: Target): Promise<Leg> {
  const quiet = await quiesce(t.settle(), 0.1, 180_000);
  if (quiet.waitedMs > 1500 || !quiet.settled)
    console.error(
      `waited ${(quiet.waitedMs / 1000).toFixed(1)} s for the server processes to go idle before "${t.pipeline}"${quiet.settled ? '' : ` (they did not: ${quiet.busiest}; measuring anyway)`}`,
    );
  const t0 = Date.now() - 10 * 60_000; // recent: the rules see live data, not a backlog
  const load = new Load(t.clients, t.topic, t0, opts.per, opts.sensors);
  const probes = t.probes && new Probes(t.probes.client, t.probes.topic, t.probes.ids, opts.probes);
  const closeFeed = probes && (await t.probes!.feed((s) => probes.seen(s)));
  const since = Date.now() - 60_000;
  const dropped0 = t.dropped?.();
  load.start(t.rate, opts.inflight);
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
      if (performance.now() - d0 > opts.drain * 1000) {
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
