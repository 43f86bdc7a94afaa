/**
 * Planned stops (停产/检修, issue #17 item 4) through the real rules worker, on real MQTT, Redis,
 * InfluxDB and PGlite, with a fake clock the test moves: gateway G1 is registered as stopped for
 * maintenance and goes silent — its silence and offline alerts open held back under the stop (pending,
 * never notified) and are counted on the stop, while G2, not stopped, is untouched; a gas reading on a
 * stopped point still alarms; production reporting `running` during the stop raises an orange alert that
 * `stopped` clears; the stop overruns its expected end — a yellow overrun alert; ending the stop clears
 * the overrun and the production alert, and a point still silent 3 periods after the end alerts on its own.
 * A restart of the worker in the middle changes none of it.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../alerts/state/index.ts';
import { FakeClock } from '../../../core/clock.ts';
import { encodeReadings, encodeSignals, topics } from '../../../core/contract.ts';
import type { PlannedStop } from '../../../ledger/stops.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const S = 1000;
const MIN = 60 * S;
const clock = new FakeClock(Date.now() - 2 * 60 * MIN);
const G1_SENSORS = ['GT-101', 'GT-102'];
let svc: TestServices;
let platform: Platform;
let api: AdminClient;
let g1: MqttClient;
let g2: MqttClient;
let stop: PlannedStop & { status: string };

beforeAll(async () => {
  svc = await startTestServices('stops');
  ({ platform } = await startTestPlatform(svc, 'stops', { rules: { tickMs: 50, snapshotIntervalMs: 60_000 } }, { clock }));
  api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
  await api.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '企业 E1', sector: 'hazardous_chemicals' });
  const secrets: Record<string, string> = {};
  for (const id of ['G1', 'G2']) secrets[id] = (await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id, enterpriseId: 'E1' })).secret;
  for (const id of G1_SENSORS)
    await api.ok('POST', '/api/v1/sensors', { id, enterpriseId: 'E1', gatewayId: 'G1', kind: 'combustible_gas', unit: '%LEL', periodS: 5, zone: 'tankfarm' });
  await api.ok('POST', '/api/v1/sensors', { id: 'PROD-1', enterpriseId: 'E1', gatewayId: 'G1', kind: 'production', periodS: 5, zone: 'tankfarm' });
  await api.ok('POST', '/api/v1/sensors', {
    id: 'GT-201',
    enterpriseId: 'E1',
    gatewayId: 'G2',
    kind: 'combustible_gas',
    unit: '%LEL',
    periodS: 5,
    zone: 'reactor',
  });
  g1 = await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: secrets.G1! });
  g2 = await connect(platform.mqttPort, { clientId: 'G2', username: 'G2', password: secrets.G2! });
}, 60_000);

afterAll(async () => {
  g1?.end(true);
  g2?.end(true);
  await platform?.stop();
  await svc?.stop();
});

/**
 * Every 5 s over (clock, clock + ms]: G2's sensor reports, and on G1 the `g1` sensors and, when `production`
 * is given, PROD-1 with that state; the clock follows, the worker drains and ticks at each step.
 */
async function report(ms: number, g1Sensors: readonly string[], production?: 'running' | 'stopped', gas = 1): Promise<void> {
  const end = clock.now() + ms;
  for (let t = clock.now() + 5 * S; t <= end; t += 5 * S) {
    await publish(g2, topics.readings('E1', 'G2'), encodeReadings([{ sensor: 'GT-201', value: 1, unit: '%LEL', quality: 'good', ts: t }]));
    if (g1Sensors.length > 0)
      await publish(
        g1,
        topics.readings('E1', 'G1'),
        encodeReadings(g1Sensors.map((sensor) => ({ sensor, value: gas, unit: '%LEL', quality: 'good' as const, ts: t }))),
      );
    if (production) await publish(g1, topics.signals('E1', 'G1'), encodeSignals([{ point: 'PROD-1', state: production, ts: t }]));
    clock.set(t);
    await platform.rules.drained();
  }
}

type Row = Alert & { rowState: string };
async function alerts(): Promise<Row[]> {
  const { rows } = await platform.db.query<{ data: Alert; state: string }>(
    "SELECT data, state FROM alerts WHERE enterprise_id = 'E1' ORDER BY started_at, fingerprint",
  );
  return rows.map((r) => ({ ...r.data, rowState: r.state }));
}
const show = (a: Row) => `${a.ruleId} ${a.subject} ${a.severity} ${a.rowState}`;
const SILENCE = ['common.data_silence', 'common.gateway_points_silent', 'common.gateway_offline'];
const getStop = () => api.ok<PlannedStop & { status: string }>('GET', `/api/v1/enterprises/E1/stops/${stop.id}`);

describe('a gateway stopped for maintenance', () => {
  it('registered: in force from its start, listed as active', async () => {
    await report(30 * S, G1_SENSORS, 'stopped');
    const now = clock.now();
    stop = await api.ok('POST', '/api/v1/enterprises/E1/stops', {
      scope: 'gateway',
      targets: ['G1'],
      kind: 'maintenance',
      reason: '储罐区仪表年度检修',
      person: { name: '张工', phone: '138 0013 8000' },
      startsAt: new Date(now).toISOString(),
      expectedEndAt: new Date(now + 10 * MIN).toISOString(),
    });
    expect(stop).toMatchObject({ status: 'active', registeredBy: 'user:admin', suppressedAlerts: 0, person: { phone: '138 0013 8000' } });
    await platform.rules.drained();
    const listed = await api.ok<{ stops: { id: string }[] }>('GET', '/api/v1/enterprises/E1/stops?active=true');
    expect(listed.stops.map((s) => s.id)).toEqual([stop.id]);
  }, 60_000);

  it('goes silent: its silence and offline alerts are held back under the stop and counted; nothing is notified', async () => {
    await report(4 * MIN, []); // G1 sends nothing at all for 4 min; G2 reports on
    const all = await alerts();
    const held = all.filter((a) => SILENCE.includes(a.ruleId));
    // the gateway-level alerts and the points' own silences, every one pending behind the stop
    expect(held.map((a) => `${a.ruleId} ${a.subject}`).sort()).toEqual(
      expect.arrayContaining([
        'common.gateway_points_silent gateway:G1',
        'common.data_silence GT-101',
        'common.data_silence GT-102',
        'common.data_silence PROD-1',
      ]),
    );
    for (const a of held) expect(a).toMatchObject({ rowState: 'pending', suppressedBy: `stop:${stop.id}` });
    expect(all.filter((a) => a.firedAt !== undefined).map(show)).toEqual([]);
    expect(all.some((a) => a.subject === 'GT-201')).toBe(false);
    const events = await platform.db.query<{ reason: string }>("SELECT DISTINCT reason FROM alert_events WHERE enterprise_id = 'E1' AND type = 'suppressed'");
    expect(events.rows.map((r) => r.reason)).toEqual(['planned_stop_in_force']);
    expect((await getStop()).suppressedAlerts).toBe(held.length);
    const metrics = await (await fetch(`http://127.0.0.1:${platform.httpPort}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`nss_rules_stop_suppressed_total ${held.length}\\b`));
  }, 120_000);

  it('a gas reading on a stopped point still alarms (hazards are never held back)', async () => {
    await report(5 * S, ['GT-101'], undefined, 30);
    const gas = (await alerts()).filter((a) => a.ruleId === 'gas.combustible');
    expect(gas.map(show)).toEqual(['gas.combustible GT-101 orange firing']);
    expect(gas[0]!.suppressedBy).toBeUndefined();
    await report(5 * S, ['GT-101'], undefined, 1);
  }, 60_000);

  it('production reporting running during the stop raises an orange alert; stopped clears it', async () => {
    await report(5 * S, [], 'running');
    const raised = (await alerts()).filter((a) => a.ruleId === 'common.production_during_stop');
    expect(raised.map(show)).toEqual(['common.production_during_stop PROD-1 orange firing']);
    expect(raised[0]!.message.zh).toContain('停产期间生产运行');
    await report(5 * S, [], 'stopped');
    expect((await alerts()).filter((a) => a.ruleId === 'common.production_during_stop').map(show)).toEqual([
      'common.production_during_stop PROD-1 orange resolved',
    ]);
    await report(5 * S, [], 'running'); // and again, left running into the overrun
    expect((await alerts()).filter((a) => a.ruleId === 'common.production_during_stop' && a.rowState === 'firing')).toHaveLength(1);
  }, 60_000);

  it('the worker restarts mid-stop: what it held back stays held back, nothing opens twice, production is still tracked', async () => {
    const before = await alerts();
    await platform.rules.stop();
    await platform.rules.start();
    await report(10 * S, [], 'running');
    const after = await alerts();
    expect(after.filter((a) => before.some((b) => b.id === a.id)).map(show)).toEqual(before.map(show));
    // GT-101 has been silent again since the gas test: its silence, judged by the restarted worker, is held back too
    const fresh = after.filter((a) => !before.some((b) => b.id === a.id));
    expect(fresh.map(show)).toEqual(['common.data_silence GT-101 yellow pending']);
    for (const a of after.filter((x) => SILENCE.includes(x.ruleId) && x.rowState === 'pending')) expect(a.suppressedBy).toBe(`stop:${stop.id}`);
    // the production alert in force was read back: 'stopped' clears it, 'running' raises a new one
    await report(5 * S, [], 'stopped');
    await report(5 * S, [], 'running');
    expect((await alerts()).filter((a) => a.ruleId === 'common.production_during_stop').map((a) => a.rowState)).toEqual(['resolved', 'resolved', 'firing']);
  }, 60_000);

  it('past its expected end and not ended: a yellow overrun alert', async () => {
    const expectedEnd = Date.parse(stop.expectedEndAt);
    expect(clock.now()).toBeLessThan(expectedEnd);
    expect((await alerts()).some((a) => a.ruleId === 'common.planned_stop_overrun')).toBe(false);
    await report(expectedEnd - clock.now() + 10 * S, [], 'running');
    const overrun = (await alerts()).filter((a) => a.ruleId === 'common.planned_stop_overrun');
    expect(overrun.map(show)).toEqual([`common.planned_stop_overrun stop:${stop.id} yellow firing`]);
    expect(overrun[0]!.startedAt).toBe(expectedEnd);
    expect(overrun[0]!.message.zh).toContain('计划停产超期未恢复');
    expect((await getStop()).status).toBe('overrunning');
    // still held back while it overruns: the overrun alert is the one root cause
    expect((await alerts()).filter((a) => SILENCE.includes(a.ruleId) && a.firedAt !== undefined)).toEqual([]);
  }, 120_000);

  it('ended: the overrun and the production alert clear; a point back reporting clears unseen, one still silent alerts on its own', async () => {
    const ended = await api.ok<PlannedStop & { status: string }>('POST', `/api/v1/enterprises/E1/stops/${stop.id}/end`, {});
    expect(ended).toMatchObject({ status: 'ended', endedBy: 'user:admin' });
    await platform.rules.drained();
    const after = await alerts();
    expect(after.filter((a) => a.ruleId === 'common.planned_stop_overrun').map(show)).toEqual([`common.planned_stop_overrun stop:${stop.id} yellow resolved`]);
    expect(after.filter((a) => a.ruleId === 'common.production_during_stop' && a.rowState !== 'resolved')).toEqual([]);
    // GT-101 and PROD-1 report again; GT-102 stays silent past 3 periods (15 s) of the end
    await report(30 * S, ['GT-101'], 'stopped');
    const final = await alerts();
    const silences = final.filter((a) => a.ruleId === 'common.data_silence');
    expect(silences.filter((a) => a.rowState === 'firing').map((a) => a.subject)).toEqual(['GT-102']);
    expect(silences.filter((a) => a.subject === 'GT-101' || a.subject === 'PROD-1').every((a) => a.firedAt === undefined && a.rowState === 'resolved')).toBe(
      true,
    );
    const lifted = await platform.db.query<{ reason: string }>(
      "SELECT e.reason FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE a.subject = 'GT-102' AND a.rule_id = 'common.data_silence' AND e.type = 'unsuppressed'",
    );
    expect(lifted.rows.map((r) => r.reason)).toEqual(['planned_stop_over']);
    expect((await api.ok<{ stops: unknown[] }>('GET', '/api/v1/enterprises/E1/stops?active=true')).stops).toEqual([]);
  }, 120_000);
});
