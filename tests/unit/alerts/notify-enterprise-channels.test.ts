/**
 * The enterprise channels' pure parts (issue #18): Aliyun SMS's RPC signature
 * v1 against the examples Aliyun publishes, DingTalk's robot signature and its
 * URL encoding, the Chinese text, how providers' answers are classified
 * (delivered / retried / failed at once), which URLs are accepted, masking,
 * and the enterprise routing stage (events, grades, channels, job ids).
 */
import { createHmac } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { channelFields, channelText, shanghaiTime } from '../../../alerts/notify/channel-text.ts';
import { DINGTALK_RATE_LIMITED, dingtalkSign, dingtalkUrl } from '../../../alerts/notify/dingtalk.ts';
import { enterpriseChannelName, routeToEnterprises, type EnterpriseRouting } from '../../../alerts/notify/enterprise-route.ts';
import { maskedSettings, maskUrl, type EnterpriseNotifySettings } from '../../../alerts/notify/enterprise-settings.ts';
import type { OutboxEvent } from '../../../alerts/notify/outbox.ts';
import { channelUrlAllowed, ROBOT_HOSTS, maskPhone, ProviderError, robotOutcome, type ProviderRejection } from '../../../alerts/notify/provider-call.ts';
import { aliyunRetryable, aliyunSignature, aliyunStringToSign, AliyunSmsChannel, percentEncode } from '../../../alerts/notify/sms-aliyun.ts';
import { HttpSmsChannel } from '../../../alerts/notify/sms-http.ts';
import { WECOM_RATE_LIMITED, wecomUrl } from '../../../alerts/notify/wecom.ts';
import { notificationJobId, transition, type Alert } from '../../../alerts/state/index.ts';
import { configInputFromEnv, platformConfigSchema } from '../../../core/config.ts';
import { gasFinding, sampleNotification } from '../../../testkit/notify.ts';

describe('Aliyun SMS signature (RPC style, signature version 1.0)', () => {
  // Aliyun SMS's own worked example ("签名机制", help.aliyun.com document 56189): GET, AccessKeySecret testSecret.
  const SMS_DOC = {
    AccessKeyId: 'testId',
    Action: 'SendSms',
    Format: 'XML',
    OutId: '123',
    PhoneNumbers: '15300000001',
    RegionId: 'cn-hangzhou',
    SignName: '阿里云短信测试专用',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '45e25e9b-0a6f-4070-8c85-2956eda1b466',
    SignatureVersion: '1.0',
    TemplateCode: 'SMS_71390007',
    TemplateParam: '{"customer":"test"}',
    Timestamp: '2017-07-12T02:42:19Z',
    Version: '2017-05-25',
  };

  it("reproduces Aliyun SMS's published example: StringToSign and signature", () => {
    expect(aliyunStringToSign('GET', SMS_DOC)).toBe(
      'GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25',
    );
    expect(aliyunSignature('GET', SMS_DOC, 'testSecret')).toBe('zJDF+Lrzhj/ThnlvIToysFRq6t4=');
  });

  it("reproduces the RPC signature documentation's DescribeRegions example", () => {
    const p = {
      Format: 'XML',
      AccessKeyId: 'testid',
      Action: 'DescribeRegions',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      SignatureVersion: '1.0',
      Version: '2014-05-26',
      Timestamp: '2016-02-23T12:46:24Z',
    };
    expect(aliyunSignature('GET', p, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('leaves a Signature parameter out of what it signs, and signs POST with its own method', () => {
    expect(aliyunSignature('GET', { ...SMS_DOC, Signature: 'old' }, 'testSecret')).toBe('zJDF+Lrzhj/ThnlvIToysFRq6t4=');
    expect(aliyunStringToSign('POST', SMS_DOC).startsWith('POST&%2F&')).toBe(true);
    expect(aliyunSignature('POST', SMS_DOC, 'testSecret')).not.toBe('zJDF+Lrzhj/ThnlvIToysFRq6t4=');
  });

  it.each([
    ['a b', 'a%20b'],
    ['*', '%2A'],
    ['~-_.', '~-_.'],
    ["!'()", '%21%27%28%29'],
    ['/=&+', '%2F%3D%26%2B'],
    ['签', '%E7%AD%BE'],
  ])('percent-encodes %j as %s (RFC 3986, space %20, never +)', (s, want) => {
    expect(percentEncode(s)).toBe(want);
  });

  it('builds SendSms with the idempotency key as OutId, the phones comma-joined and the template variables as JSON', () => {
    const n = sampleNotification('enterprise:sms');
    const ch = new AliyunSmsChannel({
      endpoint: 'https://dysmsapi.aliyuncs.com/',
      accessKeyId: 'AK',
      accessKeySecret: 'SK',
      signName: '应急管理',
      templateCode: 'SMS_1',
      regionId: 'cn-hangzhou',
      phones: ['13800001111', '13900002222'],
      timeoutMs: 1000,
      now: () => Date.UTC(2026, 2, 1, 2, 0, 5, 123),
      nonce: () => 'nonce-1',
    });
    const { Signature, ...p } = ch.params(n);
    expect(p).toEqual({
      AccessKeyId: 'AK',
      Action: 'SendSms',
      Format: 'JSON',
      OutId: n.idempotencyKey,
      PhoneNumbers: '13800001111,13900002222',
      RegionId: 'cn-hangzhou',
      SignName: '应急管理',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: 'nonce-1',
      SignatureVersion: '1.0',
      TemplateCode: 'SMS_1',
      TemplateParam: JSON.stringify({ enterprise: '示例化工厂', point: 'GT-101', grade: '红色', time: '2026-03-01 10:00:00', signForBy: '' }),
      Timestamp: '2026-03-01T02:00:05Z',
      Version: '2017-05-25',
    });
    expect(Signature).toBe(aliyunSignature('POST', p, 'SK'));
  });

  it.each([
    ['isv.BUSINESS_LIMIT_CONTROL', true],
    ['Throttling.User', true],
    ['ServiceUnavailable', true],
    ['isv.MOBILE_NUMBER_ILLEGAL', false],
    ['SignatureDoesNotMatch', false],
    ['isv.SMS_TEMPLATE_ILLEGAL', false],
  ])('Aliyun code %s retried: %s', (code, want) => {
    expect(aliyunRetryable(code)).toBe(want);
  });
});

describe('DingTalk robot signature', () => {
  it('is base64(HMAC-SHA256(secret, timestamp + "\\n" + secret)), URL-encoded in the query', () => {
    const secret = 'SEC0123456789abcdef';
    // a timestamp whose signature has '+', '/' or '=' (which must be URL-encoded)
    let ts = 1_700_000_000_000;
    while (!/[+/]/.test(dingtalkSign(secret, ts))) ts++;
    const sign = createHmac('sha256', Buffer.from(secret, 'utf8'))
      .update(Buffer.from(`${ts}\n${secret}`, 'utf8'))
      .digest('base64');
    expect(dingtalkSign(secret, ts)).toBe(sign);
    const url = dingtalkUrl('https://oapi.dingtalk.com/robot/send?access_token=abc', secret, ts);
    const query = url.split('?')[1]!;
    expect(query).toBe(`access_token=abc&timestamp=${ts}&sign=${encodeURIComponent(sign)}`);
    expect(query).not.toMatch(/[+/]/);
  });

  it('adds nothing to an unsigned robot’s webhook', () => {
    expect(dingtalkUrl('https://oapi.dingtalk.com/robot/send?access_token=abc', undefined, 1)).toBe('https://oapi.dingtalk.com/robot/send?access_token=abc');
  });

  it('WeCom: the key is the query parameter `key`', () => {
    expect(wecomUrl('https://qyapi.weixin.qq.com/cgi-bin/webhook/send', 'k-1')).toBe('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-1');
  });
});

describe('the text', () => {
  it('has the summary, enterprise, point, grade and the time in Asia/Shanghai; the sign-for limit when given', () => {
    const n = sampleNotification('enterprise:dingtalk');
    expect(channelText(n)).toBe(
      ['【红色报警】示例化工厂 GT-101：可燃气体报警', '企业：示例化工厂', '测点：GT-101', '等级：红色', '时间：2026-03-01 10:00:00（北京时间）'].join('\n'),
    );
    const limited = { ...n, signForBy: '2026-03-01T02:30:00.000Z' };
    expect(channelText(limited).split('\n').at(-1)).toBe('请于 2026-03-01 10:30:00 前签收');
    expect(channelFields(limited).signForBy).toBe('2026-03-01 10:30:00');
  });

  it.each([
    ['2026-12-31T16:00:00.000Z', '2027-01-01 00:00:00'],
    ['2026-06-30T15:59:59.000Z', '2026-06-30 23:59:59'],
  ])('%s in Shanghai is %s', (t, want) => {
    expect(shanghaiTime(t)).toBe(want);
  });
});

describe('robot answers', () => {
  const answer = (status: number, body: unknown) => ({ status, text: typeof body === 'string' ? body : JSON.stringify(body) });
  const outcome = (status: number, body: unknown, limits: readonly number[] = DINGTALK_RATE_LIMITED): unknown => {
    try {
      robotOutcome('robot', answer(status, body), limits);
      return 'delivered';
    } catch (err) {
      return { retried: !(err instanceof UnrecoverableError), code: (err as ProviderError | ProviderRejection).providerCode };
    }
  };

  it.each([
    { name: 'errcode 0', status: 200, body: { errcode: 0, errmsg: 'ok' }, want: 'delivered' },
    { name: 'DingTalk 130101 (too fast)', status: 200, body: { errcode: 130101, errmsg: 'send too fast' }, want: { retried: true, code: '130101' } },
    { name: 'DingTalk 310000 (bad sign)', status: 200, body: { errcode: 310000, errmsg: 'sign not match' }, want: { retried: false, code: '310000' } },
    { name: 'HTTP 429', status: 429, body: '', want: { retried: true, code: 'HTTP 429' } },
    { name: 'HTTP 503', status: 503, body: '', want: { retried: true, code: 'HTTP 503' } },
    { name: 'HTTP 404', status: 404, body: '', want: { retried: false, code: 'HTTP 404' } },
    { name: 'a 200 that is not JSON', status: 200, body: '<html>', want: { retried: false, code: 'BAD_ANSWER' } },
  ])('$name', ({ status, body, want }) => {
    expect(outcome(status, body)).toEqual(want);
  });

  it('WeCom 45009 (frequency limit) is retried, 93000 is not', () => {
    expect(outcome(200, { errcode: 45009, errmsg: 'api freq out of limit' }, WECOM_RATE_LIMITED)).toEqual({ retried: true, code: '45009' });
    expect(outcome(200, { errcode: 93000, errmsg: 'invalid webhook url' }, WECOM_RATE_LIMITED)).toEqual({ retried: false, code: '93000' });
  });
});

describe('URLs and masking', () => {
  it.each([
    ['https://oapi.dingtalk.com/robot/send?access_token=x', false, true],
    ['http://oapi.dingtalk.com/robot/send?access_token=x', false, false],
    ['http://oapi.dingtalk.com/robot/send?access_token=x', true, true],
    ['https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k', false, true],
    // an enterprise's user sets the URL: not the platform's own loopback services, nor any other host
    ['http://127.0.0.1:8080/robot', false, false],
    ['https://127.0.0.1:18086/write', false, false],
    ['http://[::1]:8080/robot', false, false],
    ['https://evil.example.org/robot/send', false, false],
    ['https://oapi.dingtalk.com.evil.example.org/robot/send', false, false],
    ['https://oapi.dingtalk.com:1/robot/send?access_token=x', false, false],
    ['https://oapi.dingtalk.com:443/robot/send?access_token=x', false, true],
    ['http://127.0.0.1:8080/robot', true, true],
    ['ftp://example.org/', true, false],
    ['not a url', true, false],
  ])('%s (insecure allowed: %s) → %s', (url, insecure, want) => {
    expect(channelUrlAllowed(url, insecure, ROBOT_HOSTS)).toBe(want);
  });

  it("takes any https host for the bureau's own URLs (config), never plain http without the flag", () => {
    expect(channelUrlAllowed('https://sms.bureau.example.gov.cn/send', false)).toBe(true);
    expect(channelUrlAllowed('http://sms.bureau.example.gov.cn/send', false)).toBe(false);
  });

  it('masks phones, webhook tokens and secrets', () => {
    expect(maskPhone('13800001111')).toBe('138****1111');
    expect(maskPhone('+8613800001111')).toBe('138****1111');
    expect(maskUrl('https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef')).toBe('https://oapi.dingtalk.com/robot/send?access_token=****cdef');
    const s: EnterpriseNotifySettings = {
      enterpriseId: 'E1',
      sms: { enabled: true, userIds: [], phones: ['13800001111'] },
      dingtalk: { webhook: 'https://oapi.dingtalk.com/robot/send?access_token=tok-0123456789', secret: 'SECabcdefgh12345678' },
      wecom: { key: 'key-0123456789-xyz1' },
      grades: ['red'],
      updatedBy: 'user:sm',
      updatedAt: 0,
    };
    const shown = JSON.stringify(maskedSettings(s, 'E1'));
    for (const secret of ['tok-0123456789', 'SECabcdefgh12345678', 'key-0123456789-xyz1']) expect(shown).not.toContain(secret);
    expect(maskedSettings(s, 'E1')).toMatchObject({ dingtalk: { secret: '****5678' }, wecom: { key: '****xyz1' } });
  });
});

describe('routeToEnterprises', () => {
  const at = Date.UTC(2026, 2, 1, 2, 0, 0);
  const fired = transition(undefined, { type: 'finding', finding: gasFinding('GT-1', 'raise', at, 'yellow') }, { forMs: 0, newId: () => 'A1' });
  const alert = fired.alert as Alert;
  const ev = (e: (typeof fired.events)[number], seq: number): OutboxEvent => ({ ...e, seq, recordedAt: at });
  const events = fired.events.map((e, i) => ev(e, i + 1));
  const ack = transition(alert, { type: 'acknowledge', actor: 'user:o', at: at + 1000 }, { forMs: 0, newId: () => 'A1' });
  const settings = (over: Partial<EnterpriseNotifySettings> = {}): EnterpriseRouting => ({
    settings: {
      enterpriseId: 'E1',
      sms: { enabled: true, userIds: [], phones: ['13800001111'] },
      dingtalk: { webhook: 'https://x/robot', secret: 's' },
      wecom: { key: 'k' },
      grades: ['red', 'orange', 'yellow', 'blue'],
      updatedBy: 'user:sm',
      updatedAt: 0,
      ...over,
    },
    phones: ['13800001111'],
  });
  const route = (r: EnterpriseRouting | undefined, evs: OutboxEvent[] = events, smsAvailable = true) =>
    routeToEnterprises(evs, new Map([['A1', alert]]), new Map(r ? [['E1', r]] : []), { now: at, staleAfterMs: 60_000, smsAvailable });

  it('sends a fired alarm to each channel of the enterprise, with the deterministic job ids', () => {
    const out = route(settings());
    const firedEvent = events.find((e) => e.type === 'fired')!;
    expect(out.map((d) => [d.channel, d.jobId, d.target?.phones])).toEqual(
      (['sms', 'dingtalk', 'wecom'] as const).map((k) => [enterpriseChannelName(k), notificationJobId(firedEvent, enterpriseChannelName(k)), ['13800001111']]),
    );
    // the same events routed again: the same ids (BullMQ drops the re-add)
    expect(route(settings()).map((d) => d.jobId)).toEqual(out.map((d) => d.jobId));
  });

  it('sends nothing for a grade the enterprise did not choose, without settings, or for an event not pushed', () => {
    expect(route(settings({ grades: ['red', 'orange'] }))).toEqual([]);
    expect(route(undefined)).toEqual([]);
    expect(
      route(
        settings(),
        ack.events.map((e, i) => ev(e, 10 + i)),
      ),
    ).toEqual([]);
  });

  it('leaves SMS out when no SMS provider is configured or SMS is off', () => {
    expect(route(settings(), events, false).map((d) => d.channel)).toEqual(['enterprise:dingtalk', 'enterprise:wecom']);
    expect(route(settings({ sms: { enabled: false, userIds: [], phones: ['13800001111'] } })).map((d) => d.channel)).toEqual([
      'enterprise:dingtalk',
      'enterprise:wecom',
    ]);
  });

  it('leaves out stale events', () => {
    const old = events.map((e) => ({ ...e, recordedAt: at - 120_000 }));
    expect(route(settings(), old)).toEqual([]);
  });
});

describe('configuration of the enterprise channels', () => {
  it('defaults to no SMS, https only, the documented WeCom URL and a 5 s timeout', () => {
    const n = platformConfigSchema.shape.notify.parse({});
    expect({ sms: n.sms.provider, insecure: n.allowInsecureChannelUrls, wecom: n.wecomUrl, timeout: n.channelTimeoutMs }).toEqual({
      sms: 'none',
      insecure: false,
      wecom: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send',
      timeout: 5000,
    });
    expect(n.sms.aliyun.endpoint).toBe('https://dysmsapi.aliyuncs.com/');
  });

  it('names each missing key of the provider chosen', () => {
    const issues = (input: unknown) => platformConfigSchema.shape.notify.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ sms: { provider: 'aliyun', aliyun: { accessKeyId: 'AK' } } })).toEqual(
      ['accessKeySecret', 'signName', 'templateCode'].map((k) => `sms.aliyun.${k}: required for the aliyun SMS provider`),
    );
    expect(issues({ sms: { provider: 'http' } })).toEqual(['sms.url: required for the http SMS provider']);
  });

  it('reads the environment', () => {
    const input = configInputFromEnv({
      NOTIFY_SMS_PROVIDER: 'aliyun',
      ALIYUN_SMS_ACCESS_KEY_ID: 'AK',
      ALIYUN_SMS_ACCESS_KEY_SECRET: 'SK',
      ALIYUN_SMS_SIGN_NAME: '应急管理',
      ALIYUN_SMS_TEMPLATE_CODE: 'SMS_1',
      NOTIFY_CHANNEL_TIMEOUT_MS: '3000',
      NOTIFY_ALLOW_INSECURE_CHANNEL_URLS: 'true',
    });
    expect(input.notify).toEqual({
      channelTimeoutMs: 3000,
      allowInsecureChannelUrls: true,
      sms: { provider: 'aliyun', aliyun: { accessKeyId: 'AK', accessKeySecret: 'SK', signName: '应急管理', templateCode: 'SMS_1' } },
    });
  });
});

describe('a provider that does not answer', () => {
  it('is retried (code TIMEOUT) after the channel timeout; a refused connection too (code NETWORK)', async () => {
    const hanging: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject((init.signal as AbortSignal).reason as Error)));
    const n = sampleNotification('enterprise:sms');
    const send = (f: typeof fetch) => new HttpSmsChannel({ url: 'https://sms.example.org/send', phones: ['13800001111'], timeoutMs: 50, fetch: f }).send(n);
    const err = await send(hanging).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).not.toBeInstanceOf(UnrecoverableError);
    expect((err as ProviderError).providerCode).toBe('TIMEOUT');
    const refused = await send(() => Promise.reject(new TypeError('fetch failed'))).catch((e: unknown) => e);
    expect(refused).not.toBeInstanceOf(UnrecoverableError);
    expect((refused as ProviderError).providerCode).toBe('NETWORK');
  });
});
