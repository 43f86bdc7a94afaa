/**
 * Enterprise notification settings and an alarm's deliveries through the API
 * (`app.inject`, PGlite): the safety manager keeps its own enterprise's
 * settings, another enterprise's are 404, the secrets never come back, bad
 * input is a 400 naming the field, each change is audited without its
 * secrets, and an alarm's deliveries are scoped like the alarm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCommand } from '../../../alerts/apply.ts';
import { recordPending } from '../../../alerts/notify/deliveries.ts';
import { AlertStore } from '../../../alerts/store.ts';
import { fingerprintOf } from '../../../alerts/types.ts';
import type { Db } from '../../../core/db/db.ts';
import { Officers } from '../../../ledger/officers.ts';
import { systemClock } from '../../../core/clock.ts';
import { gasFinding, seedAuthorities } from '../../../testkit/notify.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const TOKEN = 'ding-token-abcdefghijkl';
const SECRET = 'SECsecret0123456789abcdef';
const KEY = 'wecom-key-abcdefghijkl';

let app: Awaited<ReturnType<typeof buildTestApi>>['app'];
let db: Db;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN));
  await seedAuthorities(db);
  await db.query(`INSERT INTO enterprises (id, name, sector, authority_id) VALUES ('E2', '另一家企业', 'hazardous_chemicals', 'county')`);
  const officers = new Officers(db, systemClock);
  for (const o of [
    { id: 'sm1', name: '安全经理', role: 'safety_manager', enterpriseId: 'E1', phone: '13800001111' },
    { id: 'rp1', name: '包保责任人', role: 'responsible_person', enterpriseId: 'E1', phone: '13900002222' },
    { id: 'rp2', name: '别家责任人', role: 'responsible_person', enterpriseId: 'E2', phone: '13700003333' },
    { id: 'sm2', name: '别家经理', role: 'safety_manager', enterpriseId: 'E2' },
    { id: 'duty', name: '值班员', role: 'duty_officer', authorityId: 'county' },
  ])
    tokens[o.id] = (await officers.create(o)).token;
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

const call = async (who: string, method: 'GET' | 'PUT', url: string, body?: unknown) => {
  const r = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${who === 'admin' ? TEST_ADMIN_TOKEN : tokens[who]}` },
    ...(body === undefined ? {} : { payload: body as object }),
  });
  return { status: r.statusCode, body: r.json<Record<string, unknown>>(), raw: r.body };
};
const settingsUrl = (e: string) => `/api/v1/enterprises/${e}/notify-settings`;

describe('enterprise notification settings', () => {
  it('lets the safety manager set its own enterprise’s channels; answers them with every secret masked', async () => {
    const before = await call('sm1', 'GET', settingsUrl('E1'));
    expect(before).toMatchObject({
      status: 200,
      body: { enterpriseId: 'E1', configured: false, dingtalk: null, wecom: null, grades: ['blue', 'yellow', 'orange', 'red'] },
    });

    const put = await call('sm1', 'PUT', settingsUrl('E1'), {
      sms: { enabled: true, userIds: ['sm1', 'rp1'], phones: ['+86 137-0000-4444'] },
      dingtalk: { webhook: `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}`, secret: SECRET },
      wecom: { key: KEY },
      grades: ['red', 'orange'],
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      enterpriseId: 'E1',
      configured: true,
      sms: { enabled: true, userIds: ['sm1', 'rp1'], phones: ['+8613700004444'] },
      dingtalk: { webhook: 'https://oapi.dingtalk.com/robot/send?access_token=****ijkl', secret: '****cdef' },
      wecom: { key: '****ijkl' },
      grades: ['red', 'orange'],
      updatedBy: 'user:sm1',
      updatedAt: expect.any(String) as unknown,
    });
    const got = await call('sm1', 'GET', settingsUrl('E1'));
    expect(got.body).toEqual(put.body);
    for (const s of [TOKEN, SECRET, KEY]) {
      expect(put.raw).not.toContain(s);
      expect(got.raw).not.toContain(s);
    }
    // audited, without the secrets
    const { rows } = await db.query<{ actor: string; data: unknown }>(
      "SELECT actor, data FROM audit_log WHERE action = 'notify_settings.updated' AND subject_id = 'E1' ORDER BY seq",
    );
    expect(rows.map((r) => r.actor)).toEqual(['user:sm1']);
    for (const s of [TOKEN, SECRET, KEY]) expect(JSON.stringify(rows[0]!.data)).not.toContain(s);
  });

  it('keeps a secret left out of an update, and removes a robot given null', async () => {
    const put = await call('admin', 'PUT', settingsUrl('E1'), {
      dingtalk: { webhook: `https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}` },
      wecom: null,
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ dingtalk: { secret: '****cdef' }, wecom: null, grades: ['red', 'orange'], updatedBy: 'user:admin' });
    const { rows } = await db.query<{ dingtalk_secret: string; wecom_key: string | null }>(
      "SELECT dingtalk_secret, wecom_key FROM enterprise_notify_settings WHERE enterprise_id = 'E1'",
    );
    expect(rows[0]).toEqual({ dingtalk_secret: SECRET, wecom_key: null });
  });

  it('answers another enterprise’s settings 404, to its responsible person 403, and to a duty officer 403', async () => {
    for (const method of ['GET', 'PUT'] as const) {
      const r = await call('sm1', method, settingsUrl('E2'), method === 'PUT' ? { grades: ['red'] } : undefined);
      expect(r.status).toBe(404);
      expect((r.body.error as { message: string }).message).toBe('企业 E2 不存在 / enterprise E2 not found');
    }
    expect((await call('rp1', 'GET', settingsUrl('E1'))).status).toBe(403);
    expect((await call('duty', 'GET', settingsUrl('E1'))).status).toBe(403);
    expect((await call('sm1', 'GET', settingsUrl('NOPE'))).status).toBe(404);
  });

  it.each([
    [{ dingtalk: { webhook: 'http://oapi.dingtalk.com/robot/send?access_token=x' } }, 'dingtalk.webhook'],
    // the platform must not be made to POST anywhere else (its own loopback services, another host)
    [{ dingtalk: { webhook: 'https://127.0.0.1:18086/write?db=safety' } }, 'dingtalk.webhook'],
    [{ dingtalk: { webhook: 'https://robot.example.org/robot/send?access_token=x' } }, 'dingtalk.webhook'],
    // E2 has no robot yet: a secret alone is not one
    [{ dingtalk: { secret: 'x' } }, 'dingtalk.webhook', 'E2'],
    [{ sms: { enabled: true, userIds: ['rp2'] } }, 'sms.userIds.0'],
    [{ sms: { enabled: true, userIds: ['sm1', 'nobody'] } }, 'sms.userIds.1'],
    [{ sms: { enabled: true } }, 'sms.phones'],
    [{ sms: { enabled: true, phones: ['abc'] } }, 'sms.phones.0'],
    [{ wecom: { key: 'no spaces allowed' } }, 'wecom.key'],
    [{ grades: [] }, 'grades'],
    [{ grades: ['purple'] }, 'grades.0'],
    [{ unknown: 1 }, '(value)'],
  ])('refuses %j with a 400 naming %s', async (body, field, enterprise = 'E1') => {
    const r = await call('admin', 'PUT', settingsUrl(enterprise), body);
    expect(r.status).toBe(400);
    expect((r.body.error as { message: string }).message).toContain(field);
  });

  it('refuses SMS to a user without a phone on record', async () => {
    const r = await call('sm2', 'PUT', settingsUrl('E2'), { sms: { enabled: true, userIds: ['sm2'] } });
    expect(r.status).toBe(400);
    expect((r.body.error as { message: string }).message).toMatch(/sms\.userIds\.0.*no phone on record/);
  });
});

describe("an alarm's deliveries", () => {
  it('lists them to whoever may see the alarm, 404 to another enterprise', async () => {
    const store = new AlertStore(db);
    const f = gasFinding('GT-D1', 'raise', Date.now());
    const applied = await applyCommand(store, { fingerprint: fingerprintOf(f) }, { type: 'finding', finding: f });
    const id = applied.alert!.id;
    const fired = (await store.events(id)).find((e) => e.type === 'fired')!;
    await recordPending(
      db,
      [{ jobId: 'j-1', alertId: id, enterpriseId: 'E1', eventSeq: fired.seq, eventKey: 'k', channel: 'dingtalk', recipients: ['138****1111'] }],
      Date.now(),
    );
    for (const who of ['sm1', 'rp1', 'duty', 'admin']) {
      const r = await call(who, 'GET', `/api/v1/alerts/${id}/deliveries`);
      expect({ who, status: r.status }).toEqual({ who, status: 200 });
      expect(r.body.deliveries).toEqual([
        expect.objectContaining({ jobId: 'j-1', channel: 'dingtalk', status: 'pending', attempts: 0, recipients: ['138****1111'] }),
      ]);
    }
    expect((await call('sm2', 'GET', `/api/v1/alerts/${id}/deliveries`)).status).toBe(404);
  });
});
