/**
 * The rules worker in the platform, on real MQTT, Redis, InfluxDB and
 * PGlite: readings published by a gateway become graded alerts with their
 * evidence, repeats and re-sends change nothing, a restart mid-episode
 * continues the same alert with its real start, a gateway dropping its
 * connection raises its offline alert, and a sensor provisioned while
 * running is watched at once.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeReadings, topics } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import type { Alert } from '../../../alerts/state/index.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let api: AdminClient;
let gw: ProvisionedGateway;
let client: MqttClient;

const fast = { rules: { tickMs: 50, snapshotIntervalMs: 200 } };

async function start(): Promise<void> {
  ({ platform } = await startTestPlatform(svc, 'rules', fast));
  api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
}

async function connectGateway(): Promise<void> {
  client = await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: gw.secret });
}

beforeAll(async () => {
  svc = await startTestServices('rules');
  await start();
  gw = await provisionTankFarm(api, 'E1', 'G1');
  await connectGateway();
});

afterAll(async () => {
  client?.end(true);
  await platform?.stop();
  await svc?.stop();
});

/** Publishes GT-101 values `step` ms apart from `t0`, waits for the worker to process them. */
async function gas(t0: number, values: number[], sensor = 'GT-101', step = 5000): Promise<void> {
  const readings = values.map((value, i) => ({ sensor, value, unit: '%LEL', quality: 'good' as const, ts: t0 + i * step }));
  await publish(client, topics.readings('E1', 'G1'), encodeReadings(readings));
  await platform.rules.drained();
}

async function alertsOf(ruleId: string, subject: string): Promise<(Alert & { rowState: string })[]> {
  const { rows } = await platform.db.query<{ data: Alert; state: string }>('SELECT data, state FROM alerts WHERE fingerprint = $1 ORDER BY started_at', [
    `${ruleId}|E1|${subject}`,
  ]);
  return rows.map((r) => ({ ...r.data, rowState: r.state }));
}

const eventCount = async () => Number((await platform.db.query<{ n: string }>('SELECT count(*) AS n FROM alert_events')).rows[0]!.n);

describe('rules worker', () => {
  const t0 = Date.now() - 20 * 60_000;
  const leak = [5, 12, 20, 27, 30, 52, 55, 40, 20, 10, 5];

  it('turns a combustible gas leak into one alarm: the rise first (yellow), orange at 25 %LEL, red at 50, resolved when both have cleared, with evidence', async () => {
    await gas(t0, leak);
    // one hazard episode on one point is one alarm (issue #17 item 5): the rate-of-rise and the level rules share the group
    const [a, ...more] = await alertsOf('gas.combustible', 'GT-101');
    expect(more).toEqual([]);
    expect(a).toMatchObject({
      ruleId: 'gas.combustible',
      severity: 'red',
      state: 'resolved',
      rowState: 'resolved',
      startedAt: t0 + 2 * 5000,
      firedAt: t0 + 2 * 5000,
    });
    expect(Object.keys(a!.members!).sort()).toEqual(['gas.combustible', 'gas.combustible.rise']);
    expect(a!.members!['gas.combustible']).toMatchObject({ severity: 'red', since: t0 + 3 * 5000, state: 'cleared' });
    // the level cleared at 20 %LEL (below 25 − 2, the deadband); the rise within the last minute cleared last
    expect(a!.resolvedAt).toBe(t0 + 10 * 5000);
    const events = await platform.alerts.events(a!.id);
    expect(events.map((e) => `${e.type}:${e.severity}`)).toEqual([
      'fired:yellow',
      'updated:yellow',
      'severity_raised:orange',
      'severity_raised:red',
      'updated:red',
      'resolved:red',
    ]);
    const raised = events[2]!;
    expect(raised.evidenceHash).toMatch(/^[0-9a-f]{64}$/);
    const evidence = (await platform.alerts.evidence(raised.evidenceHash!)) as { value: number; ts: number }[];
    expect(evidence.at(-1)).toMatchObject({ value: 27, ts: t0 + 3 * 5000 });
    // no second alarm for the rise
    expect((await alertsOf('gas.combustible.rise', 'GT-101')).length).toBe(0);
    expect(await platform.alerts.verifyChain()).toMatchObject({ ok: true });
  });

  it('ignores a re-sent message and the same data again: no new alert, no new event', async () => {
    const before = await eventCount();
    await gas(t0, leak);
    await gas(t0 + 5 * 5000, leak.slice(5));
    expect(await eventCount()).toBe(before);
    expect((await alertsOf('gas.combustible', 'GT-101')).length).toBe(1);
  });

  it('continues the same alert across a restart mid-episode, with its duration from the real start', async () => {
    const t1 = Date.now() - 10 * 60_000;
    await gas(t1, [5, 28, 29]);
    const [, open] = await alertsOf('gas.combustible', 'GT-101');
    expect(open).toMatchObject({ state: 'firing', severity: 'orange', startedAt: t1 + 5000 });

    client.end(true);
    await platform.stop();
    await start();
    await connectGateway();

    await gas(t1 + 3 * 5000, [31, 53, 3]);
    const all = await alertsOf('gas.combustible', 'GT-101');
    expect(all.length).toBe(2);
    expect(all[1]).toMatchObject({ id: open!.id, severity: 'red', state: 'resolved', startedAt: t1 + 5000, resolvedAt: t1 + 5 * 5000 });
    // its rate-of-rise joined before the restart; the red level after it; one alarm to the end
    expect((await platform.alerts.events(open!.id)).map((e) => `${e.type}:${e.reason}`)).toEqual([
      'fired:raised_without_hold',
      'updated:consolidated',
      'severity_raised:severity_increased',
      'updated:member_cleared',
      'resolved:condition_cleared',
    ]);
  });

  it('raises a gateway-offline alert when its connection drops, and resolves it when it is back', async () => {
    client.stream.destroy();
    await expect.poll(async () => (await alertsOf('common.gateway_offline', 'gateway:G1')).at(-1)?.state, { timeout: 10_000 }).toBe('firing');
    await connectGateway();
    await expect.poll(async () => (await alertsOf('common.gateway_offline', 'gateway:G1')).at(-1)?.state, { timeout: 10_000 }).toBe('resolved');
    expect((await alertsOf('common.gateway_offline', 'gateway:G1')).length).toBe(1);
  });

  it('exports the points no hazard rule watches as nss_points_unmonitored, and follows the ledger', async () => {
    const gauge = async (): Promise<Record<string, number>> => {
      await platform.rules.drained();
      const text = await (await fetch(`http://127.0.0.1:${platform.httpPort}/metrics`)).text();
      return Object.fromEntries([...text.matchAll(/^nss_points_unmonitored\{status="(\w+)"\} (\d+)$/gm)].map((m): [string, number] => [m[1]!, Number(m[2])]));
    };
    // the tank farm's level LT-201 has no registered marks: no high / high-high alarm, no overfill interlock
    expect(await gauge()).toEqual({ unmonitored: 1, default: 0 });
    await api.ok('POST', '/api/v1/sensors', { id: 'AT-9', enterpriseId: 'E1', gatewayId: 'G1', kind: 'toxic_gas', unit: 'ppm', periodS: 5 });
    expect(await gauge()).toEqual({ unmonitored: 1, default: 1 });
  });

  it('watches a sensor provisioned while the worker runs', async () => {
    await api.ok('POST', '/api/v1/sensors', { id: 'GT-102', enterpriseId: 'E1', gatewayId: 'G1', kind: 'combustible_gas', unit: '%LEL', periodS: 5 });
    await gas(Date.now() - 60_000, [3, 51], 'GT-102');
    expect(await alertsOf('gas.combustible', 'GT-102')).toMatchObject([{ severity: 'red', state: 'firing' }]);
  });
});
