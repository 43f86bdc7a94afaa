/**
 * Bounded dead letters (issue #15 item 6) on real Redis, InfluxDB, PGlite and
 * MQTT: one publish of 1,000 bad items stores at most the per-gateway cap and
 * counts the rest; a second gateway keeps its own cap; rows older than the
 * retention are deleted. The platform's clock is pinned inside one cap window
 * so the test never straddles two.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm } from '../../../testkit/fixtures.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform, type LogCapture } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const CAP = 50;
const WINDOW_MS = 60_000;
const DAY = 86_400_000;
// one second into a window: every publish of the test lands in the same window
const T0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 1000;
const clock = { now: () => T0 };

let svc: TestServices;
let platform: Platform;
let logs: LogCapture;
let api: AdminClient;
const clients: MqttClient[] = [];

beforeAll(async () => {
  svc = await startTestServices('deadletters');
  ({ platform, logs } = await startTestPlatform(
    svc,
    'deadletters',
    { parts: ['gateway', 'api'], ingest: { deadLetterCapPerGateway: CAP, deadLetterCapWindowMs: WINDOW_MS, deadLetterRetentionDays: 30 } },
    { clock },
  ));
  api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
  const g1 = await provisionTankFarm(api, 'E1', 'G1');
  const g2 = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'G2', enterpriseId: 'E1' });
  clients.push(await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: g1.secret }));
  clients.push(await connect(platform.mqttPort, { clientId: 'G2', username: 'G2', password: g2.secret }));
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await platform?.stop();
  await svc?.stop();
});

const stored = async (gatewayId: string): Promise<number> => {
  const { rows } = await platform.db.query<{ n: string }>('SELECT count(*) AS n FROM dead_letters WHERE gateway_id = $1', [gatewayId]);
  return Number(rows[0]?.n);
};
const dropped = async (reason: string): Promise<number> =>
  (await platform.metrics.deadLettersDropped.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

/** Readings with a field the contract does not know (each a `bad_item`), padded to about 228 KB for 1,000 like the publish of the issue. */
const flood = (n: number): string =>
  JSON.stringify({
    v: 1,
    readings: Array.from({ length: n }, (_, i) => ({ sensor: `GHOST-${i}`, value: i, unit: '%LEL', quality: 'good', ts: T0 - 1000, note: 'x'.repeat(160) })),
  });

describe('dead letters per gateway are capped per window', () => {
  it('stores at most the cap of one publish with 1,000 bad items and counts the rest as dropped', async () => {
    const payload = flood(1000);
    expect(payload.length).toBeGreaterThan(200_000);
    await publish(clients[0]!, topics.readings('E1', 'G1'), payload);
    expect(await stored('G1')).toBe(CAP);
    expect(await dropped('bad_item')).toBe(1000 - CAP);
    expect(clients[0]!.connected).toBe(true); // the message is still acknowledged: its items were refused either way
    expect(logs.find((l) => l.msg === 'dead-letter cap reached: further dead letters of this gateway in this window are counted, not stored' && l.gatewayId === 'G1')).toBeDefined();
  });

  it('leaves a second gateway unaffected by the first one’s flood', async () => {
    await publish(clients[1]!, topics.readings('E1', 'G2'), flood(10));
    expect(await stored('G2')).toBe(10);
    expect(await stored('G1')).toBe(CAP);
  });

  it('sums up what a window dropped in one log line per gateway once the window is over', () => {
    const summaries = platform.ingest.deadLetters.reportDropped(T0 + WINDOW_MS);
    expect(summaries).toEqual([{ key: 'G1', windowStart: T0 - 1000, windowEnd: T0 - 1000 + WINDOW_MS, stored: CAP, dropped: 1000 - CAP, byReason: { bad_item: 1000 - CAP } }]);
    expect(logs.find((l) => l.msg === 'dead letters dropped over the cap' && l.gatewayId === 'G1' && l.dropped === 1000 - CAP)).toBeDefined();
  });
});

describe('dead letters expire after the retention', () => {
  it('deletes rows older than deadLetterRetentionDays and keeps younger ones', async () => {
    const insert = (at: number, reason: string) =>
      platform.db.query(
        `INSERT INTO dead_letters (received_at, client_id, enterprise_id, gateway_id, topic, reason_code, reason, payload)
         VALUES ($1, 'G-OLD', 'E1', 'G-OLD', 't', $2, 'test row', '{}')`,
        [new Date(at), reason],
      );
    await insert(T0 - 31 * DAY, 'old');
    await insert(T0 - 30 * DAY - 1, 'just_too_old');
    await insert(T0 - 29 * DAY, 'young');
    const before = await stored('G1');
    expect(await platform.ingest.expireDeadLetters()).toBe(2);
    const { rows } = await platform.db.query<{ reason_code: string }>("SELECT reason_code FROM dead_letters WHERE gateway_id = 'G-OLD'");
    expect(rows.map((r) => r.reason_code)).toEqual(['young']);
    expect(await stored('G1')).toBe(before); // today's rows stay
    expect((await platform.metrics.deadLettersExpired.get()).values[0]?.value).toBe(2);
  });
});
