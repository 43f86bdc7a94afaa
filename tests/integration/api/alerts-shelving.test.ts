/**
 * Shelving a nuisance alarm (搁置, issue #17 item 5; ISA-18.2 / EEMUA 191) through the API on a real
 * platform (MQTT, Redis feed and BullMQ, rules worker, notifier, InfluxDB, PGlite) with a fake clock the
 * test moves: an orange gas alarm shelved for 1 h by the county's duty officer is not escalated while
 * shelved (its escalation job runs and finds nothing to do), is unshelved by the rules worker at the
 * shelve's end and then escalates to the city one orange limit after that; red, a safety-critical rule's
 * alarm, a blank reason, too long a shelve and a resolved alarm are refused in Chinese and English; the
 * list filters on `shelved`; other jurisdictions see a 404, inspectors a 403; every shelve and unshelve
 * is an event of the hash chain.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ESCALATE_QUEUE, type EscalateJobData } from '../../../alerts/notify/jobs.ts';
import type { AlertSummary } from '../../../alerts/query.ts';
import { COMMON_RULES } from '../../../alerts/rules/packs/common.ts';
import { GAS_RULES } from '../../../alerts/rules/packs/gas.ts';
import { escalationJobId, type Alert } from '../../../alerts/state/index.ts';
import { AlertStore, type StoredAlertEvent } from '../../../alerts/store.ts';
import { FakeClock } from '../../../core/clock.ts';
import { encodeReadings, topics } from '../../../core/contract.ts';
import { bullPrefix } from '../../../core/redis-keys.ts';
import type { Platform } from '../../../platform/platform.ts';
import { storeFiredAlert } from '../../../testkit/alerts.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const S = 1000;
const MIN = 60 * S;
/** The orange acknowledgement limit of this test (config `notify.escalation.orange`): short, as BullMQ's delays run in real time. */
const LIMIT = 4 * S;
const POLL = { timeout: 30_000, interval: 50 };
const clock = new FakeClock(Date.now());

let svc: TestServices;
let platform: Platform;
let admin: AdminClient;
let gateway: MqttClient;
let redis: Redis;
let escalations: Queue<EscalateJobData>;
const as: Record<string, AdminClient> = {};
const base = () => `http://127.0.0.1:${platform.httpPort}`;

beforeAll(async () => {
  svc = await startTestServices('shelve');
  // the gas rule, and the safety-critical detector rule so that the catalogue in force marks it (no silence rules: the clock jumps)
  const catalogueFile = join(svc.dir, 'rules.json');
  const rules = [...GAS_RULES.filter((r) => r.id === 'gas.combustible'), ...COMMON_RULES.filter((r) => r.id === 'common.detector_off')];
  await writeFile(catalogueFile, JSON.stringify({ version: 1, rules }));
  ({ platform } = await startTestPlatform(
    svc,
    'shelve',
    { rules: { tickMs: 50, snapshotIntervalMs: 60_000, catalogueFile }, notify: { escalation: { orange: LIMIT } } },
    { clock },
  ));
  admin = new AdminClient(base(), platform.adminToken);
  for (const a of [
    { id: 'C', name: '示例市应急管理局', level: 'city' },
    { id: 'K1', name: '甲县应急管理局', level: 'county', parentId: 'C' },
    { id: 'K2', name: '乙县应急管理局', level: 'county', parentId: 'C' },
  ])
    await admin.ok('POST', '/api/v1/authorities', a);
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '企业 E1', sector: 'hazardous_chemicals', authorityId: 'K1' });
  const { secret } = await admin.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'G-E1', enterpriseId: 'E1' });
  for (const [id, zone] of [
    ['GT-101', 'A'],
    ['GT-102', 'B'],
  ] as const)
    await admin.ok('POST', '/api/v1/sensors', { id, enterpriseId: 'E1', gatewayId: 'G-E1', kind: 'combustible_gas', unit: '%LEL', periodS: 5, zone });
  gateway = await connect(platform.mqttPort, { clientId: 'G-E1', username: 'G-E1', password: secret });
  for (const [id, authorityId, role] of [
    ['duty-k1', 'K1', 'duty_officer'],
    ['leader-k1', 'K1', 'leader'],
    ['insp-k1', 'K1', 'inspector'],
    ['duty-k2', 'K2', 'duty_officer'],
  ] as const) {
    const { token } = await admin.ok<{ token: string }>('POST', '/api/v1/officers', { id, name: `officer ${id}`, authorityId, role });
    as[id] = new AdminClient(base(), token);
  }
  redis = new Redis(svc.redis.url, { maxRetriesPerRequest: null });
  escalations = new Queue<EscalateJobData>(ESCALATE_QUEUE, { connection: redis, prefix: bullPrefix('shelve:') });
}, 60_000);

afterAll(async () => {
  gateway?.end(true);
  await escalations?.close();
  redis?.disconnect();
  await platform?.stop();
  await svc?.stop();
});

/** One reading of `sensor` 5 s after the clock; the clock follows and the worker drains. */
async function report(sensor: string, value: number): Promise<void> {
  const t = clock.now() + 5 * S;
  await publish(gateway, topics.readings('E1', 'G-E1'), encodeReadings([{ sensor, value, unit: '%LEL', quality: 'good', ts: t }]));
  clock.set(t);
  await platform.rules.drained();
}

async function gasAlarm(subject: string): Promise<Alert> {
  const { rows } = await platform.db.query<{ data: Alert }>(
    "SELECT data FROM alerts WHERE enterprise_id = 'E1' AND subject = $1 AND rule_id = 'gas.combustible' ORDER BY started_at DESC LIMIT 1",
    [subject],
  );
  expect(rows[0], `gas alarm of ${subject}`).toBeDefined();
  return rows[0]!.data;
}

const eventsOf = (id: string) => new AlertStore(platform.db).events(id);

type Refusal = { error: { code: string; message: string; transition?: string } };
const listIds = async (who: string, query: string) =>
  (await as[who]!.ok<{ alerts: AlertSummary[] }>('GET', `/api/v1/alerts?limit=500${query}`)).alerts.map((a) => a.id);

let alarm: Alert;
let shelvedUntil: number;

describe('an orange gas alarm shelved for 1 h', () => {
  it('fires, has its escalation job, and is shelved by the county duty officer with a reason', async () => {
    await report('GT-101', 30);
    alarm = await gasAlarm('GT-101');
    expect(alarm).toMatchObject({ state: 'firing', severity: 'orange', escalations: 0 });
    // the notifier has scheduled level 1 (to the city) before the shelve
    await vi.waitFor(async () => expect(await escalations.getJob(escalationJobId(alarm, 1))).toBeDefined(), POLL);

    const now = clock.now();
    const r = await as['duty-k1']!.request<{ alert: AlertSummary; outcome: string }>('POST', `/api/v1/alerts/${alarm.id}/shelve`, {
      minutes: 60,
      reason: '  GT-101 标定中，读数不可信  ',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    shelvedUntil = now + 60 * MIN;
    expect(r.body).toMatchObject({
      outcome: 'shelved',
      alert: { state: 'firing', shelvedUntil, shelvedBy: 'user:duty-k1', shelveReason: 'GT-101 标定中，读数不可信' },
    });
  }, 60_000);

  it('is listed with its shelve, and the shelved filter selects it (default: everything)', async () => {
    const all = await as['duty-k1']!.ok<{ alerts: AlertSummary[] }>('GET', '/api/v1/alerts?limit=500');
    expect(all.alerts.find((a) => a.id === alarm.id)).toMatchObject({ shelvedUntil, shelvedBy: 'user:duty-k1' });
    expect(await listIds('duty-k1', '&shelved=true')).toEqual([alarm.id]);
    expect(await listIds('duty-k1', '&shelved=false')).not.toContain(alarm.id);
    const bad = await as['duty-k1']!.request<Refusal>('GET', '/api/v1/alerts?shelved=maybe');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('shelved');
  });

  it('is not escalated while shelved: 30 min later its job ran and found nothing to do; an officer cannot refer it up either', async () => {
    clock.set(clock.now() + 30 * MIN);
    await report('GT-101', 31); // the leak goes on
    await vi.waitFor(async () => {
      const job = await escalations.getJob(escalationJobId(alarm, 1));
      expect(await job?.getState()).toBe('completed');
      expect(job?.returnvalue).toBe('not_escalating');
    }, POLL);
    const now = await gasAlarm('GT-101');
    expect(now).toMatchObject({ state: 'firing', escalations: 0, shelvedUntil });
    expect((await eventsOf(alarm.id)).filter((e) => e.type === 'escalated')).toEqual([]);

    const refer = await as['duty-k1']!.request<Refusal>('POST', `/api/v1/alerts/${alarm.id}/escalate`, { note: '请市局督办' });
    expect(refer.status).toBe(409);
    expect(refer.body.error).toMatchObject({ code: 'CONFLICT', transition: 'ALARM_SHELVED' });
    expect(refer.body.error.message).toMatch(/搁置期间不督办.*not escalated/);
  }, 60_000);

  it('is unshelved by the rules worker at its end, and escalates to the city one orange limit after that', async () => {
    clock.set(shelvedUntil + 1 * S);
    await platform.rules.drained();
    const back = await gasAlarm('GT-101');
    expect(back).toMatchObject({ state: 'firing', escalations: 0, dutyClockSince: shelvedUntil });
    expect(back.shelvedUntil).toBeUndefined();
    expect((await eventsOf(alarm.id)).at(-1)).toMatchObject({ type: 'unshelved', actor: 'system', reason: 'shelve_expired', at: shelvedUntil });
    // back on the desk: the officer's acknowledgement clock runs from the unshelve; the level falls a full limit later
    expect(await listIds('duty-k1', '&shelved=false')).toContain(alarm.id);

    clock.set(shelvedUntil + LIMIT + 1 * S);
    await vi.waitFor(async () => expect((await gasAlarm('GT-101')).escalations).toBe(1), POLL);
    const escalated = (await eventsOf(alarm.id)).filter((e) => e.type === 'escalated');
    expect(escalated).toHaveLength(1);
    expect(escalated[0]).toMatchObject({ actor: 'system', reason: 'ack_time_limit_exceeded', at: shelvedUntil + LIMIT, escalation: { level: 1, to: 'C' } });
  }, 60_000);
});

describe('who may shelve, and what is refused', () => {
  const shelve = (who: string, id: string, body: unknown) => as[who]!.request<Refusal>('POST', `/api/v1/alerts/${id}/shelve`, body);

  it('another county: 404 as for a missing alarm; an inspector: 403', async () => {
    expect((await shelve('duty-k2', alarm.id, { minutes: 30, reason: '误报' })).status).toBe(404);
    const insp = await shelve('insp-k1', alarm.id, { minutes: 30, reason: '误报' });
    expect(insp.status).toBe(403);
    expect(insp.body.error.code).toBe('FORBIDDEN');
  });

  it('a blank reason, zero minutes and more than the longest (8 h) are 400s in Chinese and English', async () => {
    const blank = await shelve('duty-k1', alarm.id, { minutes: 30, reason: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.body.error).toMatchObject({ code: 'BAD_REQUEST', transition: 'SHELVE_REASON_REQUIRED' });
    expect(blank.body.error.message).toMatch(/搁置须填写原因.*reason is required/);
    const long = await shelve('duty-k1', alarm.id, { minutes: 8 * 60 + 1, reason: '误报' });
    expect(long.status).toBe(400);
    expect(long.body.error).toMatchObject({ transition: 'SHELVE_DURATION_INVALID' });
    expect(long.body.error.message).toMatch(/8 小时.*8 h/);
    const zero = await shelve('duty-k1', alarm.id, { minutes: 0, reason: '误报' });
    expect(zero.status).toBe(400);
    expect(zero.body.error.message).toContain('minutes');
    const missing = await shelve('duty-k1', alarm.id, { reason: '误报' });
    expect(missing.status).toBe(400);
    expect((await gasAlarm('GT-101')).shelvedUntil).toBeUndefined();
  });

  it('a red alarm is refused', async () => {
    await report('GT-102', 60);
    const red = await gasAlarm('GT-102');
    expect(red).toMatchObject({ severity: 'red', state: 'firing' });
    const r = await shelve('duty-k1', red.id, { minutes: 30, reason: '误报' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'CONFLICT', transition: 'SHELVE_NOT_ALLOWED' });
    expect(r.body.error.message).toMatch(/红色报警不得搁置.*red alarm is never shelved/);
    await report('GT-102', 1);
  }, 60_000);

  it("a safety-critical rule's alarm (seriousViolation in the catalogue in force) is refused, even orange", async () => {
    const det = await storeFiredAlert(platform.db, { id: 'A-DET-1', enterpriseId: 'E1', ruleId: 'common.detector_off', severity: 'orange', at: clock.now() });
    const r = await shelve('leader-k1', det.id, { minutes: 30, reason: '探测器检修' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ transition: 'SHELVE_NOT_ALLOWED' });
    expect(r.body.error.message).toMatch(/安全关键.*safety-critical/);
  });

  it('a leader may shelve (and extend), a duty officer may unshelve early with a reason', async () => {
    const at = clock.now();
    const r = await shelve('leader-k1', alarm.id, { minutes: 30, reason: '工艺确认为扰动' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const ext = await shelve('leader-k1', alarm.id, { minutes: 120, reason: '继续观察' });
    expect(ext.status, JSON.stringify(ext.body)).toBe(200);
    expect((await gasAlarm('GT-101')).shelvedUntil).toBe(at + 120 * MIN);
    const shorter = await shelve('duty-k1', alarm.id, { minutes: 30, reason: '缩短' });
    expect(shorter.status).toBe(400);
    expect(shorter.body.error.message).toMatch(/只能延长.*only extends/);
    const un = await as['duty-k1']!.request<{ outcome: string; alert: AlertSummary }>('POST', `/api/v1/alerts/${alarm.id}/unshelve`, { reason: '标定完成' });
    expect(un.status, JSON.stringify(un.body)).toBe(200);
    expect(un.body.outcome).toBe('unshelved');
    expect(un.body.alert.shelvedUntil).toBeUndefined();
    const again = await as['duty-k1']!.request<{ outcome: string }>('POST', `/api/v1/alerts/${alarm.id}/unshelve`, {});
    expect(again).toMatchObject({ status: 200, body: { outcome: 'not_shelved' } });
    const last = (await eventsOf(alarm.id)).at(-1);
    expect(last).toMatchObject({ type: 'unshelved', actor: 'user:duty-k1', reason: 'unshelved_by_officer', note: '标定完成' });
  });

  it('a resolved alarm cannot be shelved', async () => {
    await report('GT-101', 1);
    const resolved = await gasAlarm('GT-101');
    expect(resolved.state).toBe('resolved');
    const r = await shelve('duty-k1', resolved.id, { minutes: 30, reason: '误报' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ transition: 'INVALID_TRANSITION' });
    expect(r.body.error.message).toMatch(/只能搁置.*firing or acknowledged/);
  }, 60_000);
});

describe('the audit record', () => {
  it('every shelve and unshelve is an event of the hash chain, which verifies', async () => {
    const events: StoredAlertEvent[] = await eventsOf(alarm.id);
    expect(events.filter((e) => e.type === 'shelved' || e.type === 'unshelved').map((e) => `${e.type} ${e.actor} ${e.reason}`)).toEqual([
      'shelved user:duty-k1 shelved_by_officer',
      'unshelved system shelve_expired',
      'shelved user:leader-k1 shelved_by_officer',
      'shelved user:leader-k1 shelved_by_officer',
      'unshelved user:duty-k1 unshelved_by_officer',
    ]);
    expect(events.find((e) => e.type === 'shelved')?.note).toBe('GT-101 标定中，读数不可信');
    for (const e of events) expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await new AlertStore(platform.db).verifyChain()).toMatchObject({ ok: true });
  });
});
