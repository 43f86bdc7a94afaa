/**
 * Alarm limits an enterprise registers (issue #3 point 1), on a real test
 * platform: the admin API refuses what it must; a stricter registered limit
 * alarms where the standard's would not; a looser one is not used (the
 * standard's applies) and is itself raised as a `common.loose_limit` alert
 * until it is corrected or withdrawn; a restart takes the overrides from the
 * database, neither doubles nor loses a flag, and resolves one corrected
 * while the worker was down. Timeline: readings of GT-101 every 5 s of data time.
 */
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../alerts/state/index.ts';
import { encodeReadings, topics } from '../../../core/contract.ts';
import { openDb } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const NAME = 'overrides';
const PATH = '/api/v1/rule-overrides';

let svc: TestServices;
let platform: Platform;
let api: AdminClient;
let gw: ProvisionedGateway;
let client: MqttClient;

async function start(): Promise<void> {
  ({ platform } = await startTestPlatform(svc, NAME, { rules: { tickMs: 50, snapshotIntervalMs: 200 } }));
  api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
}

beforeAll(async () => {
  svc = await startTestServices(NAME);
  await start();
  gw = await provisionTankFarm(api, 'E1', 'G1');
  client = await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: gw.secret });
});

afterAll(async () => {
  client?.end(true);
  await platform?.stop();
  await svc?.stop();
});

/** Data time of GT-101's next reading: every 5 s from 20 min ago. */
let ts = Date.now() - 20 * 60_000;

/** Publishes GT-101 readings 5 s apart, waits for the worker; returns the data time of the last. */
async function gas(...values: number[]): Promise<number> {
  const readings = values.map((value) => ({ sensor: 'GT-101', value, unit: '%LEL', quality: 'good' as const, ts: (ts += 5000) }));
  await publish(client, topics.readings('E1', 'G1'), encodeReadings(readings));
  await platform.rules.drained();
  return ts;
}

async function alertsOf(ruleId: string, subject: string): Promise<Alert[]> {
  const { rows } = await platform.db.query<{ data: Alert }>('SELECT data FROM alerts WHERE fingerprint = $1 ORDER BY started_at', [`${ruleId}|E1|${subject}`]);
  return rows.map((r) => r.data);
}
/**
 * The level rule's alarms on GT-101. Its rate-of-rise rule shares the consolidation group (issue #17 item 5): a jump of
 * these readings raises it too, in the same alarm; the level's own fact is its member (its start is the member's).
 */
const gasAlerts = async () =>
  (await alertsOf('gas.combustible', 'GT-101'))
    .filter((a) => a.members?.['gas.combustible'] !== undefined)
    .map((a) => ({ ...a, startedAt: a.members!['gas.combustible']!.since }));
const flags = (subject: string) => alertsOf('common.loose_limit', subject);

/** Registers an override and waits until the worker has applied it. */
async function register(body: Record<string, unknown>): Promise<{ override: Record<string, unknown>; loose: Record<string, unknown>[] }> {
  const r = await api.ok<{ override: Record<string, unknown>; loose: Record<string, unknown>[] }>('PUT', PATH, body);
  await platform.rules.drained();
  return r;
}

const level1 = (threshold: number) => ({ levels: { level1: { threshold } } });
const errorOf = (r: { body: unknown }) => (r.body as { error: { code: string; message: string } }).error;

describe('rule overrides API', () => {
  it('answers 401 without the admin token and 403 to an officer', async () => {
    const body = { enterpriseId: 'E1', sensorId: 'GT-101', ruleId: 'gas.combustible', params: level1(20) };
    for (const [method, path] of [
      ['PUT', PATH],
      ['GET', PATH],
      ['DELETE', `${PATH}?enterpriseId=E1&ruleId=gas.combustible`],
    ] as const) {
      const res = await fetch(`${api.base}${path}`, {
        method,
        ...(method === 'PUT' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    expect((await new AdminClient(api.base, 'not-the-admin-token-at-all').request('PUT', PATH, body)).status).toBe(401);
    const { token } = await api.ok<{ token: string }>('POST', '/api/v1/officers', { id: 'duty-1', name: '值班员', authorityId: 'city-1' });
    expect((await new AdminClient(api.base, token).request('PUT', PATH, body)).status).toBe(403);
    // the catalogue's rules by name come with the list (the admin screen's rule select)
    const listed = await api.ok<{ overrides: unknown[]; loose: unknown[]; rules: { id: string; name: { zh: string; en: string } }[] }>('GET', PATH);
    expect([listed.overrides, listed.loose]).toEqual([[], []]);
    expect(listed.rules.find((r) => r.id === 'gas.combustible')?.name.zh).toMatch(/可燃气体/);
  });

  it.each([
    { name: 'params missing', body: { enterpriseId: 'E1', ruleId: 'gas.combustible' }, status: 400, message: /params/ },
    { name: 'an unknown key', body: { enterpriseId: 'E1', ruleId: 'gas.combustible', params: {}, severity: 'blue' }, status: 400, message: /severity/ },
    {
      name: 'params the rule refuses, named by their path',
      body: { enterpriseId: 'E1', sensorId: 'GT-101', ruleId: 'gas.combustible', params: { levels: { level1: { threshold: 'low' } } } },
      status: 400,
      message: /params\.levels\.level1\.threshold/,
    },
    { name: 'an unknown rule', body: { enterpriseId: 'E1', ruleId: 'gas.no_such_rule', params: {} }, status: 400, message: /unknown rule 'gas\.no_such_rule'/ },
    {
      name: 'a reference where the standard bounds the limit',
      body: { enterpriseId: 'E1', sensorId: 'GT-101', ruleId: 'gas.combustible', params: { levels: { level1: { threshold: { ref: 'marks.high' } } } } },
      status: 400,
      message: /params\.levels\.level1\.threshold: must be a number \(the limit is bounded by GB\/T 50493/,
    },
    {
      name: 'a sensor on a zone rule',
      body: { enterpriseId: 'E1', sensorId: 'GT-101', ruleId: 'gas.correlated', params: { minDetectors: 3 } },
      status: 400,
      message: /per zone/,
    },
    {
      name: 'an unknown enterprise',
      body: { enterpriseId: 'E-NONE', ruleId: 'gas.combustible', params: level1(20) },
      status: 404,
      message: /enterprise E-NONE/,
    },
    {
      name: 'an unknown sensor',
      body: { enterpriseId: 'E1', sensorId: 'GT-999', ruleId: 'gas.combustible', params: level1(20) },
      status: 404,
      message: /sensor GT-999/,
    },
  ])('PUT refuses $name: $status', async ({ body, status, message }) => {
    const r = await api.request('PUT', PATH, body);
    expect(r.status).toBe(status);
    expect(errorOf(r).message).toMatch(message);
  });

  it('DELETE answers 404 for nothing registered and 400 without the rule', async () => {
    expect((await api.request('DELETE', `${PATH}?enterpriseId=E1&ruleId=gas.combustible&sensorId=GT-101`)).status).toBe(404);
    expect((await api.request('DELETE', `${PATH}?enterpriseId=E1`)).status).toBe(400);
    const ofE1 = await api.ok<{ overrides: unknown[]; loose: unknown[] }>('GET', `${PATH}?enterpriseId=E1`);
    expect([ofE1.overrides, ofE1.loose]).toEqual([[], []]);
  });
});

describe('registered limits in the rules', () => {
  it('a stricter limit alarms earlier: 22 %LEL raises orange only once level 1 is registered at 20 %LEL', async () => {
    await gas(5, 22, 22);
    expect(await gasAlerts()).toEqual([]);

    const r = await register({ enterpriseId: 'E1', sensorId: 'GT-101', ruleId: 'gas.combustible', params: level1(20) });
    expect(r).toMatchObject({
      override: { enterpriseId: 'E1', sensorId: 'GT-101', ruleId: 'gas.combustible', params: level1(20), updatedBy: 'user:admin' },
      loose: [],
    });
    expect(await api.ok('GET', `${PATH}?enterpriseId=E1`)).toMatchObject({ overrides: [{ sensorId: 'GT-101', params: level1(20) }], loose: [] });

    const at = await gas(22);
    expect(await gasAlerts()).toMatchObject([{ severity: 'orange', state: 'firing', startedAt: at }]);
    await gas(5);
    expect(await gasAlerts()).toMatchObject([{ state: 'resolved' }]);
    expect(await flags('limit:gas.combustible@GT-101')).toEqual([]);
  });

  it('a looser limit is flagged and not used: 27 %LEL still alarms; correcting it resolves the flag', async () => {
    const r = await register({ enterpriseId: 'E1', sensorId: 'GT-101', ruleId: 'gas.combustible', params: level1(30) });
    expect(r.loose).toEqual([
      {
        enterpriseId: 'E1',
        sensorId: 'GT-101',
        ruleId: 'gas.combustible',
        param: 'levels.level1.threshold',
        registered: 30,
        standardLimit: 25,
        standard: expect.stringMatching(/^GB\/T 50493-2019/) as string,
      },
    ]);
    const [flag, ...more] = await flags('limit:gas.combustible@GT-101');
    expect(more).toEqual([]);
    expect(flag).toMatchObject({ severity: 'orange', state: 'firing' });
    expect(flag!.message.zh).toContain('登记报警值 30 %LEL 宽于标准上限 25 %LEL（GB/T 50493-2019');
    expect(flag!.message.zh).toContain('按标准值执行');

    await gas(22); // below the standard's 25: nothing (the registered 30 is not what counts)
    expect(await gasAlerts()).toHaveLength(1);
    const at = await gas(27);
    expect((await gasAlerts()).at(-1)).toMatchObject({ severity: 'orange', state: 'firing', startedAt: at });
    await gas(5);

    await register({ enterpriseId: 'E1', sensorId: 'GT-101', ruleId: 'gas.combustible', params: level1(20) });
    expect(await flags('limit:gas.combustible@GT-101')).toMatchObject([{ id: flag!.id, state: 'resolved' }]);
  });

  it('an enterprise-wide registration is flagged as limit:<rule>@*', async () => {
    const r = await register({ enterpriseId: 'E1', ruleId: 'gas.combustible', params: { levels: { level2: { threshold: 60 } } } });
    expect(r.loose).toMatchObject([{ sensorId: null, param: 'levels.level2.threshold', registered: 60, standardLimit: 50 }]);
    const [flag] = await flags('limit:gas.combustible@*');
    expect(flag).toMatchObject({ severity: 'orange', state: 'firing' });
    expect(flag!.message.zh).toContain('全部测点');
    expect(flag!.message.zh).toContain('登记报警值 60 %LEL 宽于标准上限 50 %LEL');
  });

  it('survives a restart: overrides from the database, flags neither doubled nor lost, one corrected while down resolved', async () => {
    await register({ enterpriseId: 'E1', ruleId: 'gas.oxygen.low', params: { levels: { deficiency: { threshold: 18 } } } });
    const [oxygen] = await flags('limit:gas.oxygen.low@*');
    expect(oxygen).toMatchObject({ state: 'firing' });
    const oxygenEvents = (await platform.alerts.events(oxygen!.id)).length;

    client.end(true);
    await platform.stop();
    // Meanwhile (an API process whose announcement the stopped worker missed) the enterprise-wide combustible limit is corrected.
    const db = await openDb({ pgliteDir: join(svc.dir, `platform-${NAME}`, 'pglite'), logger: createLogger({ level: 'silent' }) });
    await db.query(`UPDATE rule_overrides SET params = $1::jsonb WHERE enterprise_id = 'E1' AND sensor_id = '' AND rule_id = 'gas.combustible'`, [
      JSON.stringify({ levels: { level2: { threshold: 45 } } }),
    ]);
    await db.close();
    await start();
    client = await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: gw.secret });
    await platform.rules.drained();

    expect(await flags('limit:gas.oxygen.low@*')).toMatchObject([{ id: oxygen!.id, state: 'firing', occurrences: oxygen!.occurrences }]);
    expect(await platform.alerts.events(oxygen!.id)).toHaveLength(oxygenEvents);
    expect(await flags('limit:gas.combustible@*')).toMatchObject([{ state: 'resolved' }]);
    expect(await flags('limit:gas.combustible@GT-101')).toMatchObject([{ state: 'resolved' }]);

    // GT-101's level 1 at 20 and the enterprise's level 2 at 45 (both from the database) apply
    const orangeAt = await gas(22);
    const redAt = await gas(47);
    expect((await gasAlerts()).at(-1)).toMatchObject({ state: 'firing', severity: 'red', startedAt: orangeAt, severitySince: redAt });
    await gas(5);

    expect(await api.request('DELETE', `${PATH}?enterpriseId=E1&ruleId=gas.oxygen.low`)).toMatchObject({ status: 204 });
    await platform.rules.drained();
    expect(await flags('limit:gas.oxygen.low@*')).toMatchObject([{ id: oxygen!.id, state: 'resolved' }]);
    expect(await api.ok('GET', `${PATH}?enterpriseId=E1`)).toMatchObject({
      overrides: [{ ruleId: 'gas.combustible', params: { levels: { level2: { threshold: 45 } } } }, { sensorId: 'GT-101' }],
      loose: [],
    });
    expect(await platform.alerts.verifyChain()).toMatchObject({ ok: true });
  });
});
