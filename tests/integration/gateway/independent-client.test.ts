/**
 * An independent client — Debian's mosquitto_pub / mosquitto_sub, not our
 * code — following only the README's contract gets its readings stored, and
 * the broker's status handling sees it come and go.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedKey } from '../../../core/feed.ts';
import type { Platform } from '../../../platform/platform.ts';
import { ensureBinary } from '../../../platform/local-services.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm, storedReadings, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { startTestPlatform, type LogCapture } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const run = promisify(execFile);

let svc: TestServices;
let platform: Platform;
let gw: ProvisionedGateway;
let logs: LogCapture;

beforeAll(async () => {
  ensureBinary('mosquitto_pub');
  svc = await startTestServices('mosq');
  ({ platform, logs } = await startTestPlatform(svc, 'mosq'));
  gw = await provisionTankFarm(new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken), 'E-DEMO', 'GW-DEMO-1');
});

afterAll(async () => {
  await platform?.stop();
  await svc?.stop();
});

/** Connection options of the demo gateway for Debian's mosquitto clients. */
const asGateway = (secret: string) => [
  '-h',
  '127.0.0.1',
  '-p',
  String(platform.mqttPort),
  '-V',
  'mqttv311',
  '-i',
  'GW-DEMO-1',
  '-u',
  'GW-DEMO-1',
  '-P',
  secret,
];

/** Our gateway as Debian's mosquitto_sub, connected with a last will announcing it offline. */
const mosquittoSubWithWill = () =>
  execFile('mosquitto_sub', [
    ...asGateway(gw.secret),
    '-t',
    'v1/E-DEMO/GW-DEMO-1/cmd/#',
    '--will-topic',
    'v1/E-DEMO/GW-DEMO-1/status',
    '--will-payload',
    '{"v":1,"state":"offline"}',
    '--will-retain',
  ]);

const status = async () => (await platform.db.query<{ status: string }>('SELECT status FROM gateways WHERE id = $1', ['GW-DEMO-1'])).rows[0]?.status;

/** The gateway transitions queued for the rules worker. */
async function feedStatuses(): Promise<string[]> {
  const redis = new Redis(svc.redis.url);
  try {
    const entries = await redis.xrange(feedKey('mosq:'), '-', '+');
    return entries.map(([, f]) => f[1]!).filter((m) => m.includes('"k":"s"'));
  } finally {
    redis.disconnect();
  }
}

describe('mosquitto_pub following the README', () => {
  it("stores a reading published by the README's mosquitto_pub example, run as written", async () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = /<!-- mosquitto-example[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toContain('mosquitto_pub');
    const before = Date.now();
    // Only the port differs from the README: the test platform listens on a free one.
    await run('sh', ['-c', block!.replace('-p 1883', `-p ${platform.mqttPort}`)], { env: { ...process.env, SECRET: gw.secret } });
    const after = Date.now();
    // mosquitto_pub exits after the PUBACK: by contract the reading is stored now.
    const rows = await storedReadings(platform.influx, 'E-DEMO', 'GT-101');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.[1]).toBe(12.5);
    expect(rows[0]?.[2]).toBe('good');
    expect(rows[0]?.[0]).toBeGreaterThanOrEqual(before - 1000);
    expect(rows[0]?.[0]).toBeLessThanOrEqual(after);
  });

  it('is refused with a non-zero exit when the password is wrong', async () => {
    const r = await run('mosquitto_pub', [...asGateway('wrong'), '-q', '1', '-t', 'v1/E-DEMO/GW-DEMO-1/readings', '-m', '{}']).then(
      () => 'accepted',
      (e: { code?: number; stderr?: string }) => `${e.code}: ${e.stderr ?? ''}`,
    );
    expect(r).toMatch(/^[1-9]\d*: .*(not authori[sz]ed|Bad user name or password|Connection Refused)/i);
  });

  it('marks the gateway online while connected and offline the moment the connection drops, recording both', async () => {
    const sub = mosquittoSubWithWill();
    await expect.poll(status, { timeout: 10_000, interval: 50 }).toBe('online');
    sub.kill('SIGKILL'); // the gateway dies: no DISCONNECT, the will fires
    await expect.poll(status, { timeout: 10_000, interval: 50 }).toBe('offline');
    const events = await platform.db.query<{ state: string; reason: string }>('SELECT state, reason FROM gateway_events WHERE gateway_id = $1 ORDER BY id', [
      'GW-DEMO-1',
    ]);
    expect(events.rows.slice(-2).map((e) => `${e.state}:${e.reason}`)).toEqual([
      'online:connected',
      expect.stringMatching(/^offline:(last_will|disconnected)$/),
    ]);
    await expect
      .poll(async () => (await platform.influx.query(`SELECT "state" FROM "gateway_status" WHERE "gw" = 'GW-DEMO-1'`))[0]?.values.map((v) => v[1]), {
        timeout: 5000,
        interval: 50,
      })
      .toEqual(expect.arrayContaining(['online', 'offline']));
  });

  it("records a platform shutdown as the platform's doing, not the gateway's: no offline for the rules, nothing left unwritten", async () => {
    const sub = mosquittoSubWithWill();
    await expect.poll(status, { timeout: 10_000, interval: 50 }).toBe('online');
    await platform.stop();
    sub.kill('SIGKILL');
    // the offline transition went to the time series, not to the rules feed
    const influxStates = async () =>
      (await platform.influx.query(`SELECT "state", "reason" FROM "gateway_status" WHERE "gw" = 'GW-DEMO-1'`))[0]?.values.map(
        (v) => `${String(v[1])}:${String(v[2])}`,
      );
    expect((await influxStates())?.at(-1)).toBe('offline:platform_shutdown');
    // (the rules worker trims the feed behind its snapshot at stop: what is left ends with the gateway online)
    expect((await feedStatuses()).at(-1)).toMatch(/"s":"online","r":"connected"/);
    expect(logs.lines.filter((l) => l.msg === 'gateway status not persisted; giving up at shutdown')).toEqual([]);
    ({ platform, logs } = await startTestPlatform(svc, 'mosq'));
    const events = await platform.db.query<{ state: string; reason: string }>('SELECT state, reason FROM gateway_events WHERE gateway_id = $1 ORDER BY id', [
      'GW-DEMO-1',
    ]);
    expect(events.rows.slice(-2)).toEqual([
      { state: 'online', reason: 'connected' },
      { state: 'offline', reason: 'platform_shutdown' },
    ]);
  });
});
