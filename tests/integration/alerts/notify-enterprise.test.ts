/**
 * The enterprise's own channels (issue #18, domain rule 13) on real Redis
 * (BullMQ), PGlite and one local HTTP server standing in for Aliyun SMS, the
 * DingTalk robot and the WeCom robot. Each request is checked exactly (method,
 * path, query, headers, body) and its signature recomputed here, independently
 * of the adapters: delivery, retry after a rate limit or a 500 (attempts
 * recorded), idempotency (an event dispatched twice calls each provider once),
 * a provider's refusal recorded as failed with its code.
 *
 * One database and one Redis for the file; each test has its own Redis prefix,
 * its own provider server (the enterprise's settings point at it) and starts
 * its notifier at the current end of `alert_events`.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisAnnouncer } from '../../../alerts/bus.ts';
import { DEFAULT_RESPONSE_POLICY } from '../../../alerts/response/policy.ts';
import { ResponseService } from '../../../alerts/response/service.ts';
import { deliveriesOf, EnterpriseSettingsStore, NOTIFY_QUEUE, notifySettingsInput, buildNotifier, type DeliveryRecord } from '../../../alerts/notify/index.ts';
import type { NotifyJobData } from '../../../alerts/notify/jobs.ts';
import { notificationJobId } from '../../../alerts/state/index.ts';
import { AlertStore, type StoredAlertEvent } from '../../../alerts/store.ts';
import { systemClock } from '../../../core/clock.ts';
import { platformConfigSchema } from '../../../core/config.ts';
import { openRedisConnections } from '../../../core/connections.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import { bullPrefix, notifyCursorKey } from '../../../core/redis-keys.ts';
import type { ServiceHandle } from '../../../platform/local-services.ts';
import { AlertDriver, seedAuthorities } from '../../../testkit/notify.ts';
import { startTestRedis } from '../../../testkit/services.ts';
import {
  aliyunParams as checkedAliyunParams,
  checkDingSign as checkDing,
  OK,
  shanghai,
  startProviders as startStandIn,
  type Providers,
  type Seen,
} from '../../../testkit/channel-providers.ts';

const ACCESS_KEY_SECRET = 'aliyun-secret-0123';
const DING_SECRET = 'SEC0123456789abcdef0123456789';
const DING_TOKEN = 'ding-token-0123456789';
const WECOM_KEY = 'wecom-key-0123456789';
const PHONES = ['13800001111', '13900002222'];
const SMS_GATEWAY_SECRET = 'sms-gateway-secret-0123';
const POLL = { timeout: 10_000, interval: 20 };

let dir: string;
let redisSvc: ServiceHandle;
let redis: Redis;
let db: Db;
let store: AlertStore;
let tests = 0;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nss-notify-ent-'));
  [redisSvc, db] = await Promise.all([startTestRedis(join(dir, 'redis')), openDb({ pgliteDir: 'memory://', logger: createLogger({ level: 'silent' }) })]);
  redis = new Redis(redisSvc.url, { maxRetriesPerRequest: null });
  store = new AlertStore(db);
  await seedAuthorities(db);
  // the enterprise's safety manager, with a phone (an SMS recipient by user id)
  await db.query(`INSERT INTO officers (id, name, enterprise_id, role, phone, token_hash) VALUES ('sm1', '安全经理', 'E1', 'safety_manager', $1, 'h-sm1')`, [
    PHONES[0],
  ]);
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(async () => {
  await redis?.quit();
  await db?.close();
  await redisSvc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The providers' stand-in, closed after the test. */
async function startProviders(respond?: Parameters<typeof startStandIn>[0]): Promise<Providers> {
  const p = await startStandIn(respond);
  cleanups.push(() => p.close());
  return p;
}

const maxSeq = async (): Promise<number> => Number((await db.query<{ n: string | null }>('SELECT max(seq) AS n FROM alert_events')).rows[0]?.n ?? 0);

/** Settings of E1 pointing at `base`, a notifier on a fresh prefix (cursor at the end of `alert_events`). */
async function harness(base: string, sms: 'aliyun' | 'http' = 'aliyun', grades?: ('red' | 'orange' | 'yellow' | 'blue')[]) {
  const prefix = `notify-ent-${process.pid}-${++tests}:`;
  await redis.set(notifyCursorKey(prefix), String(await maxSeq()));
  await new EnterpriseSettingsStore(db, systemClock, { allowInsecureUrls: true }).update(
    'E1',
    notifySettingsInput.parse({
      sms: { enabled: true, userIds: ['sm1'], phones: [PHONES[1]] },
      dingtalk: { webhook: `${base}/robot/send?access_token=${DING_TOKEN}`, secret: DING_SECRET },
      wecom: { key: WECOM_KEY },
      grades,
    }),
    'user:sm1',
  );
  const notify = platformConfigSchema.shape.notify.parse({
    escalation: {},
    // the local stand-in providers are plain http on loopback (tests only)
    allowInsecureChannelUrls: true,
    channelTimeoutMs: 2000,
    wecomUrl: `${base}/cgi-bin/webhook/send`,
    sms:
      sms === 'aliyun'
        ? {
            provider: 'aliyun',
            aliyun: { endpoint: `${base}/aliyun/`, accessKeyId: 'AK-test', accessKeySecret: ACCESS_KEY_SECRET, signName: '应急管理', templateCode: 'SMS_100' },
          }
        : { provider: 'http', url: `${base}/aliyun-less/sms?tenant=t1`, secret: SMS_GATEWAY_SECRET },
  });
  const logger = createLogger({ level: 'silent' });
  const notifyQueue = new Queue<NotifyJobData>(NOTIFY_QUEUE, { connection: redis, prefix: bullPrefix(prefix) });
  cleanups.push(() => notifyQueue.close());
  const announce = redisAnnouncer(redis, prefix, () => undefined);
  return {
    prefix,
    notifyQueue,
    driver: new AlertDriver(store, announce),
    /** Starts the notifier; with `responses`, the enterprise answers first (its alarms handed to it as they fire). */
    async start(responses?: ResponseService) {
      const conns = openRedisConnections(redisSvc.url, logger);
      cleanups.push(async () => conns.close());
      const notifier = buildNotifier(
        { redisPrefix: prefix, notify },
        { db, store, clock: systemClock, logger, redis: conns, channels: [], responses },
        { pollMs: 60_000, backoffMs: 10 },
      );
      cleanups.push(() => notifier.stop());
      await notifier.start();
      return notifier;
    },
  };
}

const text = (subject: string, at: number): string =>
  `【红色报警】示例化工厂 ${subject}：可燃气体报警\n企业：示例化工厂\n测点：${subject}\n等级：红色\n时间：${shanghai(at)}（北京时间）`;

const aliyunParams = (s: Seen): Record<string, string> => checkedAliyunParams(s, ACCESS_KEY_SECRET);
const checkDingSign = (s: Seen): void => checkDing(s, DING_TOKEN, DING_SECRET);

const firedEvent = async (alertId: string): Promise<StoredAlertEvent> => (await store.events(alertId)).find((e) => e.type === 'fired') as StoredAlertEvent;

async function settled(alertId: string, n: number): Promise<DeliveryRecord[]> {
  return vi.waitFor(async () => {
    const ds = await deliveriesOf(db, alertId);
    expect(ds.map((d) => d.status).filter((s) => s === 'delivered' || s === 'failed')).toHaveLength(n);
    return ds;
  }, POLL);
}

describe('enterprise channels: delivery', () => {
  it('texts the recipients through Aliyun SMS and posts to the DingTalk and WeCom robots, each request exact and signed', async () => {
    const prov = await startProviders();
    const h = await harness(prov.base);
    await h.start();
    const at = Date.now() - 1000;
    const id = await h.driver.fire('GT-E1', { at });
    const ds = await settled(id, 3);
    const ev = await firedEvent(id);
    expect(prov.seen).toHaveLength(3);

    const [sms] = prov.of('aliyun');
    expect({ method: sms!.method, path: sms!.path, query: sms!.rawQuery, type: sms!.headers['content-type'] }).toEqual({
      method: 'POST',
      path: '/aliyun/',
      query: '',
      type: 'application/x-www-form-urlencoded; charset=utf-8',
    });
    const p = aliyunParams(sms!);
    expect(p).toEqual({
      AccessKeyId: 'AK-test',
      Action: 'SendSms',
      Format: 'JSON',
      OutId: notificationJobId(ev, 'enterprise:sms'),
      PhoneNumbers: PHONES.join(','),
      RegionId: 'cn-hangzhou',
      SignName: '应急管理',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      SignatureVersion: '1.0',
      TemplateCode: 'SMS_100',
      TemplateParam: JSON.stringify({ enterprise: '示例化工厂', point: 'GT-E1', grade: '红色', time: shanghai(at), signForBy: '' }),
      Timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as unknown,
      Version: '2017-05-25',
      Signature: expect.any(String) as unknown,
    });
    expect(Math.abs(Date.parse(p.Timestamp as string) - sms!.at)).toBeLessThan(5000);

    const [ding] = prov.of('dingtalk');
    expect({ method: ding!.method, path: ding!.path, type: ding!.headers['content-type'] }).toEqual({
      method: 'POST',
      path: '/robot/send',
      type: 'application/json; charset=utf-8',
    });
    checkDingSign(ding!);
    expect(JSON.parse(ding!.body)).toEqual({ msgtype: 'text', text: { content: text('GT-E1', at) }, at: { atMobiles: PHONES, isAtAll: false } });

    const [wecom] = prov.of('wecom');
    expect({ method: wecom!.method, path: wecom!.path, query: wecom!.rawQuery, type: wecom!.headers['content-type'] }).toEqual({
      method: 'POST',
      path: '/cgi-bin/webhook/send',
      query: `key=${WECOM_KEY}`,
      type: 'application/json; charset=utf-8',
    });
    expect(JSON.parse(wecom!.body)).toEqual({ msgtype: 'text', text: { content: text('GT-E1', at), mentioned_mobile_list: PHONES } });

    expect(ds.map((d) => ({ channel: d.channel, status: d.status, attempts: d.attempts, recipients: d.recipients, seq: d.eventSeq, job: d.jobId }))).toEqual(
      (['dingtalk', 'sms', 'wecom'] as const).map((channel) => ({
        channel,
        status: 'delivered',
        attempts: 1,
        recipients: ['138****1111', '139****2222'],
        seq: ev.seq,
        job: notificationJobId(ev, `enterprise:${channel}`),
      })),
    );
    expect(ds.every((d) => d.deliveredAt !== undefined)).toBe(true);
  });
});

describe('enterprise channels: the sign-for limit', () => {
  it('tells the enterprise by when to sign for an alarm handed to it (the response opened before the messages go out)', async () => {
    const prov = await startProviders();
    const h = await harness(prov.base);
    const responses = new ResponseService({
      db,
      alerts: store,
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      policy: DEFAULT_RESPONSE_POLICY,
      patternOf: () => 'threshold',
    });
    await h.start(responses);
    const at = Date.now() - 1000;
    const id = await h.driver.fire('GT-E1-SIGN', { at });
    await settled(id, 3);
    const due = (await responses.store.get(id))!.response.signDueAt;
    const [ding] = prov.of('dingtalk');
    checkDingSign(ding!);
    expect((JSON.parse(ding!.body) as { text: { content: string } }).text.content).toBe(`${text('GT-E1-SIGN', at)}\n请于 ${shanghai(due)} 前签收`);
    const p = aliyunParams(prov.of('aliyun')[0]!);
    expect((JSON.parse(p.TemplateParam!) as { signForBy: string }).signForBy).toBe(shanghai(due));
  });
});

describe('enterprise channels: retries and refusals', () => {
  it('retries a rate limit (DingTalk 130101, Aliyun flow control) and a WeCom 500, then delivers once; the attempts are recorded', async () => {
    const prov = await startProviders((p, attempt) => {
      if (attempt > 1) return OK[p];
      if (p === 'dingtalk') return { status: 200, body: { errcode: 130101, errmsg: 'send too fast' } };
      if (p === 'aliyun') return { status: 200, body: { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: '触发分钟级流控', RequestId: 'R0' } };
      return { status: 500, body: '' };
    });
    const h = await harness(prov.base);
    await h.start();
    const id = await h.driver.fire('GT-E2');
    const ds = await settled(id, 3);
    expect(ds.map((d) => [d.channel, d.status, d.attempts])).toEqual([
      ['dingtalk', 'delivered', 2],
      ['sms', 'delivered', 2],
      ['wecom', 'delivered', 2],
    ]);
    expect(prov.seen).toHaveLength(6);
    // each DingTalk try is signed afresh; an SMS retry keeps its OutId and draws a new nonce
    for (const d of prov.of('dingtalk')) checkDingSign(d);
    const [s1, s2] = prov.of('aliyun').map(aliyunParams);
    expect(s2!.OutId).toBe(s1!.OutId);
    expect(s2!.SignatureNonce).not.toBe(s1!.SignatureNonce);
    const [w1, w2] = prov.of('wecom');
    expect(w2!.body).toBe(w1!.body);
  });

  it("records a provider's refusal as failed at once with its code (WeCom 93000, Aliyun isv.MOBILE_NUMBER_ILLEGAL)", async () => {
    const prov = await startProviders((p) =>
      p === 'wecom'
        ? { status: 200, body: { errcode: 93000, errmsg: 'invalid webhook url' } }
        : p === 'aliyun'
          ? { status: 200, body: { Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: '非法手机号', RequestId: 'R2' } }
          : OK[p],
    );
    const h = await harness(prov.base);
    await h.start();
    const id = await h.driver.fire('GT-E3');
    const ds = await settled(id, 3);
    expect(ds.map((d) => [d.channel, d.status, d.attempts, d.providerCode ?? null, d.providerMessage ?? null])).toEqual([
      ['dingtalk', 'delivered', 1, null, null],
      ['sms', 'failed', 1, 'isv.MOBILE_NUMBER_ILLEGAL', '非法手机号'],
      ['wecom', 'failed', 1, '93000', 'invalid webhook url'],
    ]);
    expect(prov.seen).toHaveLength(3);
    const job = await h.notifyQueue.getJob(ds.find((d) => d.channel === 'wecom')!.jobId);
    expect(await job?.getState()).toBe('failed');
  });
});

describe('enterprise channels: idempotency', () => {
  it('calls each provider once for an event dispatched twice (a replay after a restart)', async () => {
    const prov = await startProviders();
    const h = await harness(prov.base);
    const before = await maxSeq();
    const first = await h.start();
    const id = await h.driver.fire('GT-E4');
    await settled(id, 3);
    expect(prov.seen).toHaveLength(3);
    await first.stop();

    // the cursor lost: the next notifier reads the same events again
    await redis.set(notifyCursorKey(h.prefix), String(before));
    await h.start();
    const ev = await firedEvent(id);
    const ids = (['sms', 'dingtalk', 'wecom'] as const).map((k) => notificationJobId(ev, `enterprise:${k}`));
    await vi.waitFor(async () => {
      expect(Number(await redis.get(notifyCursorKey(h.prefix)))).toBeGreaterThanOrEqual(await maxSeq());
      const entries = await redis.xrange(`${bullPrefix(h.prefix)}:${NOTIFY_QUEUE}:events`, '-', '+');
      const dup = entries.filter(([, f]) => f.includes('duplicated')).map(([, f]) => f[f.indexOf('jobId') + 1]);
      expect(new Set(dup)).toEqual(new Set(ids));
    }, POLL);
    expect(prov.seen).toHaveLength(3);
    const ds = await deliveriesOf(db, id);
    expect(ds.map((d) => [d.status, d.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 1],
      ['delivered', 1],
    ]);
  });
});

describe('enterprise channels: the provider-neutral SMS gateway', () => {
  it('POSTs JSON signed like the webhooks (HMAC-SHA256 of the raw body) with the idempotency key; a 503 is retried', async () => {
    const prov = await startProviders((p, attempt) => (p === 'aliyun' ? { status: attempt === 1 ? 503 : 204, body: '' } : OK[p]));
    const h = await harness(prov.base, 'http');
    await h.start();
    const at = Date.now() - 1000;
    const id = await h.driver.fire('GT-E5', { at });
    const ds = await settled(id, 3);
    const ev = await firedEvent(id);
    const key = notificationJobId(ev, 'enterprise:sms');
    const tries = prov.of('aliyun');
    expect(tries).toHaveLength(2);
    for (const s of tries) {
      expect({ method: s.method, path: s.path, query: s.rawQuery, type: s.headers['content-type'], key: s.headers['x-nss-idempotency-key'] }).toEqual({
        method: 'POST',
        path: '/aliyun-less/sms',
        query: 'tenant=t1',
        type: 'application/json; charset=utf-8',
        key,
      });
      expect(s.headers['x-nss-signature']).toBe(`sha256=${createHmac('sha256', SMS_GATEWAY_SECRET).update(s.body, 'utf8').digest('hex')}`);
      expect(JSON.parse(s.body)).toEqual({
        version: 1,
        idempotencyKey: key,
        phones: PHONES,
        text: text('GT-E5', at),
        alertId: id,
        enterpriseId: 'E1',
        event: { seq: ev.seq, type: 'fired', severity: 'red', at: new Date(at).toISOString() },
      });
    }
    expect(tries[1]!.body).toBe(tries[0]!.body);
    expect(ds.find((d) => d.channel === 'sms')).toMatchObject({ status: 'delivered', attempts: 2 });
  });
});

describe('enterprise channels: grades and raises', () => {
  it('pushes only the grades the enterprise chose: a yellow alarm nothing, its raise to red to every channel', async () => {
    const prov = await startProviders();
    const h = await harness(prov.base, 'aliyun', ['red']);
    await h.start();
    const t0 = Date.now() - 5000;
    const id = await h.driver.fire('GT-E6', { at: t0, severity: 'yellow' });
    await h.driver.fire('GT-E6', { at: t0 + 1000, severity: 'red', expect: 'raised' });
    const ds = await settled(id, 3);
    const raised = (await store.events(id)).find((e) => e.type === 'severity_raised')!;
    expect(ds.map((d) => [d.channel, d.status, d.eventSeq])).toEqual([
      ['dingtalk', 'delivered', raised.seq],
      ['sms', 'delivered', raised.seq],
      ['wecom', 'delivered', raised.seq],
    ]);
    expect(prov.seen).toHaveLength(3);
    expect(JSON.parse(prov.of('wecom')[0]!.body)).toMatchObject({ text: { content: expect.stringMatching(/^【红色报警升级】示例化工厂 GT-E6：/) as unknown } });
  });
});
