/**
 * `npm start`: the whole platform on one machine with a simulated fleet.
 * Starts local Redis/InfluxDB when REDIS_URL / INFLUX_URL are unset, then the
 * platform (`main.ts`) and the simulator (`simulators/main.ts`) as child
 * processes, and stops both on Ctrl-C. SIM_ENTERPRISES (default 8) and
 * SIM_SEED (default 42) size the fleet; SIM_ENTERPRISES=0 runs no simulator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ensureLocalServices } from '../platform/local-services.ts';

const dataDir = process.env.DATA_DIR ?? 'var';
const httpPort = process.env.HTTP_PORT ?? '8080';
const mqttPort = process.env.MQTT_PORT ?? '1883';
const children: ChildProcess[] = [];

function run(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: 'inherit', env });
  child.on('exit', (code, signal) => {
    console.error(`${name} exited (${signal ?? code})`);
    shutdown(code ?? 1);
  });
  children.push(child);
  return child;
}

let stopping = false;
function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 8000).unref();
  Promise.all(children.map((c) => (c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r))))).then(
    () => process.exit(code),
    () => process.exit(code),
  );
}

async function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`platform not healthy at ${url} after ${timeoutMs} ms`);
}

async function main(): Promise<void> {
  const urls = await ensureLocalServices(process.env, dataDir);
  const env = { ...process.env, REDIS_URL: urls.redisUrl, INFLUX_URL: urls.influxUrl, DATA_DIR: dataDir, HTTP_PORT: httpPort, MQTT_PORT: mqttPort };
  run('platform', ['main.ts'], env);
  await waitHealthy(`http://127.0.0.1:${httpPort}/health`, 60_000);
  console.log(`\nplatform up: API http://127.0.0.1:${httpPort}  MQTT 127.0.0.1:${mqttPort}  admin token in ${dataDir}/admin-token\n`);
  const enterprises = process.env.SIM_ENTERPRISES ?? '8';
  if (enterprises !== '0') {
    run(
      'simulator',
      [
        'simulators/main.ts',
        '--api',
        `http://127.0.0.1:${httpPort}`,
        '--token-file',
        `${dataDir}/admin-token`,
        '--mqtt-port',
        mqttPort,
        '--enterprises',
        enterprises,
        '--seed',
        process.env.SIM_SEED ?? '42',
      ],
      env,
    );
  }
}

process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  shutdown(1);
});
