/**
 * SMS through Aliyun SMS (阿里云短信服务, dysmsapi `SendSms`, API version
 * 2017-05-25), RPC style with signature version 1.0 as Aliyun documents it:
 *
 * 1. the parameters (common: AccessKeyId, Action, Format, RegionId,
 *    SignatureMethod=HMAC-SHA1, SignatureNonce, SignatureVersion=1.0,
 *    Timestamp (UTC `yyyy-MM-ddTHH:mm:ssZ`), Version; SendSms: PhoneNumbers
 *    (comma-separated), SignName, TemplateCode, TemplateParam (JSON), OutId),
 *    Signature excluded, sorted by name;
 * 2. each name and value percent-encoded in UTF-8 (RFC 3986: A–Z a–z 0–9 - _ . ~
 *    kept, space as %20, never +), joined `name=value` with `&`;
 * 3. StringToSign = `<HTTP method>&%2F&` + percentEncode(that string);
 * 4. Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).
 *
 * Sent as `POST` with the parameters form-encoded in the body. OutId is our
 * idempotency key (the job id), so a retried send can be matched in Aliyun's
 * records. Answer JSON `{ Code, Message, RequestId, BizId }`: Code "OK"
 * delivered (accepted by Aliyun); `isv.BUSINESS_LIMIT_CONTROL` (flow control)
 * and `Throttling*`/`ServiceUnavailable` retried, like HTTP 5xx and timeouts;
 * any other Code (bad number, template, signature, account) failed at once.
 *
 * The template's variables are `ChannelFields` (channel-text.ts): `enterprise`,
 * `point`, `grade`, `time`, `signForBy` — the approved template must use these names.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { NotificationChannel } from './channels.ts';
import { channelFields } from './channel-text.ts';
import type { Notification } from './notification.ts';
import { callProvider, httpFailure, jsonOf, ProviderError, ProviderRejection } from './provider-call.ts';

/** Aliyun's percent-encoding (RFC 3986 unreserved kept; `!'()*` encoded too, unlike encodeURIComponent). */
export const percentEncode = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The canonicalized query string: parameters (Signature excluded) sorted by name, encoded, `&`-joined. */
export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k] as string)}`)
    .join('&');
}

export const aliyunStringToSign = (method: 'GET' | 'POST', params: Readonly<Record<string, string>>): string =>
  `${method}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;

/** base64(HMAC-SHA1(accessKeySecret + "&", StringToSign)). */
export const aliyunSignature = (method: 'GET' | 'POST', params: Readonly<Record<string, string>>, accessKeySecret: string): string =>
  createHmac('sha1', `${accessKeySecret}&`).update(aliyunStringToSign(method, params), 'utf8').digest('base64');

/** Aliyun codes worth a retry (flow control, throttling, a service hiccup). */
export const aliyunRetryable = (code: string): boolean =>
  code === 'isv.BUSINESS_LIMIT_CONTROL' || code.startsWith('Throttling') || code === 'ServiceUnavailable' || code === 'InternalError';

/** UTC `yyyy-MM-ddTHH:mm:ssZ`. */
const aliyunTimestamp = (t: number): string => `${new Date(t).toISOString().slice(0, 19)}Z`;

export interface AliyunSmsOptions {
  /** Default https://dysmsapi.aliyuncs.com/ (config `notify.sms.aliyun.endpoint`). */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  templateCode: string;
  regionId: string;
  phones: readonly string[];
  timeoutMs: number;
  now: () => number;
  /** Default `crypto.randomUUID`. */
  nonce?: (() => string) | undefined;
  fetch?: typeof fetch | undefined;
}

export class AliyunSmsChannel implements NotificationChannel {
  readonly name = 'enterprise:sms';
  constructor(private readonly opts: AliyunSmsOptions) {}

  /** The signed parameters of the request for `n` (exposed for tests). */
  params(n: Notification): Record<string, string> {
    const o = this.opts;
    const p: Record<string, string> = {
      AccessKeyId: o.accessKeyId,
      Action: 'SendSms',
      Format: 'JSON',
      OutId: n.idempotencyKey,
      PhoneNumbers: o.phones.join(','),
      RegionId: o.regionId,
      SignName: o.signName,
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: (o.nonce ?? randomUUID)(),
      SignatureVersion: '1.0',
      TemplateCode: o.templateCode,
      TemplateParam: JSON.stringify(channelFields(n)),
      Timestamp: aliyunTimestamp(o.now()),
      Version: '2017-05-25',
    };
    return { ...p, Signature: aliyunSignature('POST', p, o.accessKeySecret) };
  }

  async send(n: Notification): Promise<void> {
    const o = this.opts;
    const params = this.params(n);
    const body = `${canonicalQuery(params)}&Signature=${percentEncode(params.Signature as string)}`;
    const answer = await callProvider(
      o.fetch ?? fetch,
      'Aliyun SMS',
      o.endpoint,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body },
      o.timeoutMs,
    );
    let json: Record<string, unknown> | undefined;
    try {
      json = jsonOf('Aliyun SMS', answer);
    } catch (err) {
      // not JSON: judge by the HTTP status alone
      if (answer.status < 200 || answer.status >= 300) throw httpFailure('Aliyun SMS', answer);
      throw err;
    }
    const code = typeof json.Code === 'string' ? json.Code : undefined;
    const message = typeof json.Message === 'string' ? json.Message : '';
    if (answer.status >= 200 && answer.status < 300 && code === 'OK') return;
    if (code === undefined) throw httpFailure('Aliyun SMS', answer);
    const msg = `Aliyun SMS: ${code} ${message}`;
    if (aliyunRetryable(code) || answer.status >= 500) throw new ProviderError(msg, code, message);
    throw new ProviderRejection(msg, code, message);
  }
}
