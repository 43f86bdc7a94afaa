/**
 * The fleet simulator CLI:
 *
 *   npx tsx simulators/main.ts [--api http://127.0.0.1:8080] [--token <t> | --token-file var/admin-token]
 *       [--mqtt-host 127.0.0.1] [--mqtt-port 1883] [--seed 42] [--enterprises 8] [--sensor-scale 1]
 *       [--readings-per-message 20] [--speed 1] [--backfill-s 0] [--max-ahead-s 0] [--scenario <json>]…
 *
 * Provisions the fleet, then publishes every second the simulated time since
 * the previous tick until SIGINT/SIGTERM. Scenarios come from `--scenario`
 * (repeatable) and, while running, as JSON lines on stdin, e.g.
 *
 *   {"type":"gas_leak","gatewayId":"GW-CHEM-001-1","sensorId":"GT-101","startInS":0,"rampMinutes":5}
 *   {"type":"offline","gatewayId":"GW-MINE-001-1","startInS":10,"durationMs":120000}
 *
 * `startInS` is seconds of simulated time after the moment the scenario is
 * received (for `--scenario`: after the simulation start); `startMs` (epoch
 * ms of simulated time) may be given instead. A summary line is printed every
 * 5 s.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { AdminApi } from './admin-api.ts';
import { buildFleetRunner } from './runner.ts';

const USAGE = `usage: npx tsx simulators/main.ts [--api URL] [--token T | --token-file FILE] [--mqtt-host H] [--mqtt-port P]
  [--seed N] [--enterprises N] [--sensor-scale N] [--readings-per-message N] [--speed X] [--backfill-s S] [--max-ahead-s S]
  [--scenario JSON]...   (scenario JSON lines are also read from stdin)`;

function num(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${v}'`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      api: { type: 'string', default: 'http://127.0.0.1:8080' },
      token: { type: 'string' },
      'token-file': { type: 'string', default: 'var/admin-token' },
      'mqtt-host': { type: 'string', default: '127.0.0.1' },
      'mqtt-port': { type: 'string' },
      seed: { type: 'string' },
      enterprises: { type: 'string' },
      'sensor-scale': { type: 'string' },
      'readings-per-message': { type: 'string' },
      speed: { type: 'string' },
      'backfill-s': { type: 'string' },
      'max-ahead-s': { type: 'string' },
      scenario: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const token = values.token ?? process.env.ADMIN_TOKEN ?? readFileSync(values['token-file'], 'utf8').trim();
  const runner = buildFleetRunner(
    {
      fleet: {
        seed: num('seed', values.seed, 42),
        enterprises: num('enterprises', values.enterprises, 8),
        sensorScale: num('sensor-scale', values['sensor-scale'], 1),
        readingsPerMessage: num('readings-per-message', values['readings-per-message'], 20),
      },
      mqtt: { host: values['mqtt-host'], port: num('mqtt-port', values['mqtt-port'], 1883) },
      speed: num('speed', values.speed, 1),
      backfillS: num('backfill-s', values['backfill-s'], 0),
      maxAheadS: num('max-ahead-s', values['max-ahead-s'], 0),
      scenarios: values.scenario.map((s, i) => {
        try {
          return JSON.parse(s) as unknown;
        } catch (err) {
          throw new Error(`--scenario #${i + 1} is not JSON: ${(err as Error).message}`);
        }
      }),
    },
    { api: new AdminApi(values.api, token), print: (line) => console.log(line) },
  );

  await runner.start();
  console.log(
    `simulating ${runner.plan.gateways.length} gateways (${runner.plan.gateways.map((g) => g.gatewayId).join(', ')}) at ×${runner.config.speed}; scenario JSON lines on stdin; Ctrl-C to stop`,
  );

  const lines = createInterface({ input: process.stdin, terminal: false });
  lines.on('line', (line) => {
    const text = line.trim();
    if (!text) return;
    try {
      console.log(`scenario ${JSON.stringify(runner.addScenario(JSON.parse(text) as unknown))}`);
    } catch (err) {
      console.error(`scenario refused: ${(err as Error).message}`);
    }
  });

  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      console.log(`${sig}: stopping`);
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  lines.close();
  await runner.stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error((err as Error).message ?? err);
    process.exit(1);
  },
);
