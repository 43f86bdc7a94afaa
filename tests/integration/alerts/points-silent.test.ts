/**
 * Silence that means something (issue #15 item 13), on real MQTT, Redis,
 * InfluxDB and PGlite with a fake clock the test moves: a point provisioned
 * while its gateway runs is not called silent before its grace is over; when
 * a gateway keeps its MQTT connection but all 26 of its points stop at once
 * (the link to its PLC is lost), exactly one gateway-level alert fires and
 * the points' silence alerts never fire (they open suppressed under it).
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../alerts/state/index.ts';
import { FakeClock } from '../../../core/clock.ts';
import { encodeReadings, topics } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const S = 1000;
const clock = new FakeClock(Date.now() - 60 * 60_000);
const SENSORS = Array.from({ length: 26 }, (_, i) => `GT-${101 + i}`);
let svc: TestServices;
let platform: Platform;
let api: AdminClient;
let client: MqttClient;

beforeAll(async () => {
  svc = await startTestServices('silent');
  ({ platform } = await startTestPlatform(svc, 'silent', { rules: { tickMs: 50, snapshotIntervalMs: 60_000 } }, { clock }));
  api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
  await api.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '企业 E1', sector: 'hazardous_chemicals' });
  const gw = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'G1', enterpriseId: 'E1' });
  for (const id of SENSORS)
    await api.ok('POST', '/api/v1/sensors', { id, enterpriseId: 'E1', gatewayId: 'G1', kind: 'combustible_gas', unit: '%LEL', periodS: 5 });
  client = await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: gw.secret });
}, 60_000);

afterAll(async () => {
  client?.end(true);
  await platform?.stop();
  await svc?.stop();
});

/** Every `sensors` reports each 5 s over (clock, clock + ms]; the clock follows, the worker drains and ticks at each step. */
async function report(ms: number, sensors: readonly string[]): Promise<void> {
  const end = clock.now() + ms;
  for (let t = clock.now() + 5 * S; t <= end; t += 5 * S) {
    if (sensors.length > 0)
      await publish(
        client,
        topics.readings('E1', 'G1'),
        encodeReadings(sensors.map((sensor) => ({ sensor, value: 1, unit: '%LEL', quality: 'good' as const, ts: t }))),
      );
    clock.set(t);
    await platform.rules.drained();
  }
}

async function alerts(): Promise<(Alert & { rowState: string })[]> {
  const { rows } = await platform.db.query<{ data: Alert; state: string }>(
    "SELECT data, state FROM alerts WHERE enterprise_id = 'E1' ORDER BY started_at, fingerprint",
  );
  return rows.map((r) => ({ ...r.data, rowState: r.state }));
}

describe('silence that means something', () => {
  it('regression: a point provisioned while its gateway runs is not silent within its grace ("no data for 0.267 min")', async () => {
    await report(30 * S, SENSORS);
    await api.ok('POST', '/api/v1/sensors', { id: 'GT-NEW', enterpriseId: 'E1', gatewayId: 'G1', kind: 'combustible_gas', unit: '%LEL', periodS: 5 });
    await report(2 * 60 * S, SENSORS);
    expect((await alerts()).map((a) => `${a.ruleId} ${a.subject}`)).toEqual([]);
    // it reports: from now on its period applies
    await report(10 * S, [...SENSORS, 'GT-NEW']);
    expect(await alerts()).toEqual([]);
  }, 60_000);

  it('regression: a connected gateway whose points all stop raises one gateway-level alert, and no point silence fires (was 26 alerts)', async () => {
    await report(3 * 60 * S, []); // the gateway stays connected; nothing from any point for 3 min
    const all = await alerts();
    const gateway = all.filter((a) => a.subject === 'gateway:G1');
    expect(gateway.map((a) => `${a.ruleId} ${a.severity} ${a.rowState}`)).toEqual(['common.gateway_points_silent orange firing']);
    const silence = all.filter((a) => a.ruleId === 'common.data_silence');
    expect(silence).toHaveLength(SENSORS.length + 1);
    for (const a of silence) expect(a).toMatchObject({ rowState: 'pending', suppressedBy: gateway[0]!.fingerprint });
    expect(all.filter((a) => a.firedAt !== undefined).map((a) => a.ruleId)).toEqual(['common.gateway_points_silent']);
  }, 60_000);

  it('the link back: the gateway alert resolves and the suppressed silences are never notified', async () => {
    await report(60 * S, [...SENSORS, 'GT-NEW']);
    const all = await alerts();
    expect(all.filter((a) => a.subject === 'gateway:G1').map((a) => a.rowState)).toEqual(['resolved']);
    expect(all.filter((a) => a.firedAt !== undefined).map((a) => a.ruleId)).toEqual(['common.gateway_points_silent']);
  }, 60_000);
});
