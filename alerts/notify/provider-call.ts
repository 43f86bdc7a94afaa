/**
 * One HTTP call to an enterprise channel's provider (SMS gateway, Aliyun SMS,
 * DingTalk or WeCom robot), and how its answer is classified. Shared by the
 * adapters (`sms-http.ts`, `sms-aliyun.ts`, `dingtalk.ts`, `wecom.ts`):
 *
 * - delivered: 2xx and the provider's own code says so (errcode 0, Code "OK");
 * - retried with backoff (a plain `ProviderError`): timeouts, connection
 *   errors, HTTP 408, 429 and 5xx, and the provider's rate-limit codes;
 * - failed at once (`ProviderRejection`, an `UnrecoverableError`): any other
 *   answer (3xx, other 4xx, another provider code), since a retry sends the same
 *   request and gets the same refusal.
 *
 * Both errors carry the provider's code and message, which the send stage
 * records on the alarm's delivery (`deliveries.ts`).
 */
import { UnrecoverableError } from 'bullmq';
import { isRetryableStatus } from './channels.ts';

/** The provider's answer to a failed call, as kept on the delivery record. */
export interface ProviderFailure {
  /** The provider's code (`errcode`, Aliyun's `Code`) or `HTTP <status>`, `TIMEOUT`, `NETWORK`. */
  readonly providerCode: string;
  readonly providerMessage: string;
}

/** A failure worth retrying (BullMQ retries it with backoff). */
export class ProviderError extends Error implements ProviderFailure {
  constructor(
    message: string,
    readonly providerCode: string,
    readonly providerMessage: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A refusal a retry cannot change: the job fails at once. */
export class ProviderRejection extends UnrecoverableError implements ProviderFailure {
  constructor(
    message: string,
    readonly providerCode: string,
    readonly providerMessage: string,
  ) {
    super(message);
  }
}

/** The provider's code and message of `err`, if it is one of the errors above (or carries their fields). */
export function providerFailureOf(err: unknown): ProviderFailure | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as Partial<ProviderFailure>;
  return typeof e.providerCode === 'string' ? { providerCode: e.providerCode, providerMessage: String(e.providerMessage ?? '') } : undefined;
}

export interface ProviderAnswer {
  status: number;
  /** The body as text (read within the timeout). */
  text: string;
}

/**
 * Sends one request; resolves the answer whatever its status (the caller
 * classifies it), throws a retryable `ProviderError` on a timeout or a
 * connection error. Redirects are not followed.
 */
export async function callProvider(
  doFetch: typeof fetch,
  name: string,
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
  timeoutMs: number,
): Promise<ProviderAnswer> {
  try {
    const res = await doFetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const code = timedOut ? 'TIMEOUT' : 'NETWORK';
    const message = timedOut ? `no answer within ${timeoutMs} ms` : 'request failed';
    throw new ProviderError(`${name}: ${message}`, code, message, { cause: err });
  }
}

/** A non-2xx answer as an error: retried for 408, 429 and 5xx, failed at once otherwise. */
export function httpFailure(name: string, a: ProviderAnswer): ProviderError | ProviderRejection {
  const code = `HTTP ${a.status}`;
  const message = a.text.slice(0, 200);
  const msg = `${name} answered ${code}`;
  return isRetryableStatus(a.status) ? new ProviderError(msg, code, message) : new ProviderRejection(msg, code, message);
}

/** Parses a JSON answer; a 2xx answer that is not JSON is a rejection (the URL is not the provider's). */
export function jsonOf(name: string, a: ProviderAnswer): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(a.text);
    if (typeof v === 'object' && v !== null) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ProviderRejection(`${name}: the answer is not the provider's JSON`, 'BAD_ANSWER', a.text.slice(0, 200));
}

/** The answer of an IM robot (`{ errcode, errmsg }`): errcode 0 delivered; `rateLimited` codes retried; any other rejected. */
export function robotOutcome(name: string, a: ProviderAnswer, rateLimited: readonly number[]): void {
  if (a.status < 200 || a.status >= 300) throw httpFailure(name, a);
  const body = jsonOf(name, a);
  const errcode = Number(body.errcode);
  const errmsg = typeof body.errmsg === 'string' ? body.errmsg : '';
  if (errcode === 0) return;
  const code = Number.isFinite(errcode) ? String(errcode) : 'BAD_ANSWER';
  const msg = `${name}: errcode ${code} ${errmsg}`;
  if (rateLimited.includes(errcode)) throw new ProviderError(msg, code, errmsg);
  throw new ProviderRejection(msg, code, errmsg);
}

/** `138****1234`: a phone number as it may appear in logs and on the delivery record. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/^\+?86/, '');
  return digits.length >= 7 ? `${digits.slice(0, 3)}****${digits.slice(-4)}` : '****';
}

/** The hosts of the robots' documented endpoints (DingTalk 自定义机器人, WeCom 群机器人). */
export const ROBOT_HOSTS: readonly string[] = ['oapi.dingtalk.com', 'qyapi.weixin.qq.com'];

/**
 * Whether the platform may POST an alarm to this URL: https, and for a URL an enterprise's own user set (the
 * DingTalk webhook: pass `ROBOT_HOSTS`) only to a robot provider's host, so that the platform cannot be made
 * to call anything else (its own loopback services, an intranet address). The bureau's own URLs (config:
 * the SMS gateway, the WeCom endpoint) may be any https host. With `allowInsecure` (config
 * `notify.allowInsecureChannelUrls`, tests and development only) any http(s) URL is taken.
 */
export function channelUrlAllowed(url: string, allowInsecure: boolean, hosts?: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return false;
  if (allowInsecure) return true;
  // a provider's host on its standard port only (no other service on that host)
  return u.protocol === 'https:' && (hosts === undefined || (hosts.includes(u.hostname.toLowerCase()) && u.port === ''));
}
