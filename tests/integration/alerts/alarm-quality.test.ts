/**
 * Alarm quality end to end (issue #17 item 5): a pressure transmitter with injected instrument faults, through
 * MQTT, the rules worker and PostgreSQL. Each fault episode — a drop to zero that then reads below the range,
 * later a reading above the range — is ONE alarm (the instrument-fault rules share a consolidation group),
 * carrying each rule's fact; and the alarm-quality report (GET /api/v1/alarm-quality) counts them: two raised,
 * one chattering source when a fault flaps, and the bad actor ranked first.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../alerts/state/index.ts';
import { encodeReadings, topics } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let api: AdminClient;
let client: MqttClient;

beforeAll(async () => {
  svc = await startTestServices('quality');
  ({ platform } = await startTestPlatform(svc, 'quality', { rules: { tickMs: 50, snapshotIntervalMs: 200 } }));
  api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
  await api.ok('POST', '/api/v1/authorities', { id: 'county-q', name: '示例县应急管理局', level: 'county' });
  await api.ok('POST', '/api/v1/enterprises', { id: 'EQ', name: '示例化工厂', sector: 'hazardous_chemicals', authorityId: 'county-q' });
  const gw = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'GQ', enterpriseId: 'EQ' });
  await api.ok('POST', '/api/v1/sensors', {
    id: 'PT-1',
    enterpriseId: 'EQ',
    gatewayId: 'GQ',
    kind: 'pressure',
    unit: 'MPa',
    periodS: 5,
    range: { min: 0, max: 2.5 },
    resolution: 0.001,
  });
  client = await connect(platform.mqttPort, { clientId: 'GQ', username: 'GQ', password: gw.secret });
});

afterAll(async () => {
  client?.end(true);
  await platform?.stop();
  await svc?.stop();
});

const t0 = Date.now() - 30 * 60_000;
/** Publishes PT-1 values 5 s apart from `from`; returns the time after the last. */
async function pressure(from: number, values: number[]): Promise<number> {
  const readings = values.map((value, i) => ({ sensor: 'PT-1', value, unit: 'MPa', quality: 'good' as const, ts: from + i * 5000 }));
  await publish(client, topics.readings('EQ', 'GQ'), encodeReadings(readings));
  await platform.rules.drained();
  return from + values.length * 5000;
}

async function faultAlarms(): Promise<Alert[]> {
  const { rows } = await platform.db.query<{ data: Alert }>(`SELECT data FROM alerts WHERE enterprise_id = 'EQ' ORDER BY started_at`);
  return rows.map((r) => r.data);
}

describe('instrument faults: one alarm per fault episode, counted by the alarm-quality report', () => {
  let ends: number[];

  beforeAll(async () => {
    let t = await pressure(t0, [1.2, 1.21, 1.19, 1.2]);
    // episode 1: the transmitter drops to zero, then reads below its range (a cut loop reads −0.4), then comes back
    t = await pressure(t, [0, 0, -0.4, -0.4, 0, 1.2, 1.21, 1.2, 1.19, 1.2, 1.21, 1.2, 1.19, 1.2, 1.21, 1.2]);
    const end1 = t;
    // episode 2, ten minutes later: a reading above the range (3.1 MPa on a 2.5 MPa transmitter), then normal
    t = await pressure(t + 10 * 60_000, [1.2, 3.1, 3.1, 1.2, 1.21, 1.2]);
    ends = [end1, t];
  });

  it('each episode is one alarm carrying the facts of every fault rule that saw it', async () => {
    const alarms = await faultAlarms();
    expect(alarms.map((a) => `${a.fingerprint} ${a.state}`)).toEqual(['common.instrument_fault|EQ|PT-1 resolved', 'common.instrument_fault|EQ|PT-1 resolved']);
    expect(Object.keys(alarms[0]!.members!).sort()).toEqual(['common.drop_to_zero', 'common.out_of_range']);
    expect(Object.keys(alarms[1]!.members!)).toEqual(['common.out_of_range']);
    expect(alarms[0]!.resolvedAt).toBeLessThan(ends[0]!);
  });

  it('the report counts them: two raised, none fleeting beyond what lasted under a minute, the source ranked as the bad actor', async () => {
    const r = await api.ok<{
      totals: { raised: number; chattering: number; floods: number; fleeting: number };
      enterprises: { enterpriseId: string; totals: { raised: number } }[];
      badActors: { fingerprint: string; raised: number; share: number }[];
      names: { enterprises: Record<string, string> };
      limits: Record<string, { value: number; source: string }>;
    }>('GET', `/api/v1/alarm-quality?authorityId=county-q&from=${new Date(t0 - 60_000).toISOString()}`);
    const alarms = await faultAlarms();
    const fleeting = alarms.filter((a) => a.resolvedAt! - a.firedAt! < 60_000).length;
    expect(r.totals).toMatchObject({ raised: 2, chattering: 0, floods: 0, fleeting });
    expect(r.enterprises).toMatchObject([{ enterpriseId: 'EQ', totals: { raised: 2 } }]);
    expect(r.badActors).toEqual([
      { fingerprint: 'common.instrument_fault|EQ|PT-1', ruleId: 'common.instrument_fault', enterpriseId: 'EQ', subject: 'PT-1', raised: 2, share: 1 },
    ]);
    expect(r.names.enterprises.EQ).toBe('示例化工厂');
    expect(r.limits.floodCount!.source).toMatch(/EEMUA 191/);
  });

  it('refuses a period that is not one, and an authority outside the caller’s reach', async () => {
    expect((await api.request('GET', `/api/v1/alarm-quality?from=${new Date().toISOString()}&to=${new Date(Date.now() - 1000).toISOString()}`)).status).toBe(
      400,
    );
    expect((await api.request('GET', '/api/v1/alarm-quality?authorityId=nowhere')).status).toBe(404);
  });
});
