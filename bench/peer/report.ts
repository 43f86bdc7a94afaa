/** The peer benchmark's output: each leg as it ends, and the run's tables in markdown. */
import { pct, usageLine } from '../common.ts';
import type { Leg } from './leg.ts';

export const n0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en') : '–');
export const ms = (xs: number[], p: number) => (xs.length ? pct(xs, p).toFixed(p === 50 ? 1 : 0) : '–');
export const lat = (xs: number[]) => (xs.length ? `${ms(xs, 50)} / ${ms(xs, 99)}` : '–');
/** With the number of samples: a p99 of 3 probes is not one. */
export const latN = (xs: number[]) => `${lat(xs)} (${xs.length})`;
/** CPU milliseconds (server side) per 1,000 readings stored. */
export const cpuPer1k = (l: Leg) => (l.serverCores * 1e6) / (l.storedRate || l.pubRate);
export const ratio = (a: number, b: number) => (Number.isFinite(a / b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–');

/** A leg as it ends, for the log. `per`: readings per message. */
export function printLeg(l: Leg, per: number): void {
  console.log(`\n-- ${l.pipeline}, ${l.fleet} gateways --`);
  console.log(`published (acknowledged by the broker): ${n0(l.pubRate)} readings/s over the window (${n0(l.pubRate / per)} msg/s)`);
  if (l.storedLat.length || l.alertLat.length || l.stored) {
    console.log(`stored in InfluxDB: ${n0(l.storedRate)} readings/s over the window (counted in InfluxDB)`);
    const verdict =
      l.stored === l.acked ? 'all stored' : l.stored < l.acked ? `${n0(l.acked - l.stored)} NOT STORED` : `${n0(l.stored - l.acked)} more than acknowledged`;
    console.log(`published vs stored: ${n0(l.acked)} acknowledged, ${n0(l.stored)} in InfluxDB after ${l.drainS.toFixed(1)} s of drain → ${verdict}`);
    if (l.dropped !== undefined) console.log(`Mosquitto dropped ${n0(l.dropped)} messages (${n0(l.dropped * per)} readings) on their way to Node-RED`);
    console.log(`publish → visible in InfluxDB (probes, 25 ms polling): p50/p99 ${lat(l.storedLat)} ms (${l.storedLat.length} probes)`);
    console.log(
      `publish → alert: p50/p99 ${lat(l.alertLat)} ms (${l.alertLat.length} measured; ${l.probesSent} sent, ${l.probesLost} never alerted${l.probesLost ? ' ← LOST' : ''})`,
    );
  }
  console.log(`publish → PUBACK: p50/p99 ${lat(l.pubacks)} ms (${l.pubacks.length} messages)`);
  console.log('per process: CPU (cores) | RSS MiB first → max → last');
  for (const u of l.usage) console.log(usageLine(u));
}

/** The tables of the run: the pipelines, ours ÷ peer, the broker leg. `per`: readings per message. */
export function markdown(pipelines: Leg[], broker: Leg[], per: number): string {
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
      `| ${l.fleet} | ${l.pipeline} | ${n0(l.storedRate)} | ${n0(l.pubRate)} | ${n0(l.stored)} / ${n0(l.acked)} | ${l.dropped === undefined ? '–' : n0(l.dropped * per)} | ${latN(l.storedLat)} | ${latN(l.alertLat)} | ${l.serverCores.toFixed(2)} | ${cpuPer1k(l).toFixed(0)} | ${rss} |`,
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
      `| ${l.fleet} | ${l.pipeline} | ${n0(l.pubRate / per)} | ${n0(l.pubRate)} | ${lat(l.pubacks)} | ${l.serverCores.toFixed(2)} | ${gen.toFixed(2)} | ${l.pipeline === 'mosquitto' ? 'received' : 'stored in InfluxDB, queued to the rules'} |`,
    );
  }
  return rows.join('\n');
}
