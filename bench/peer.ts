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
import { parseOptions } from './peer/options.ts';
import { runPeerBench } from './peer/run.ts';

runPeerBench(parseOptions()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
