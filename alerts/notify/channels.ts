/**
 * Where notifications go. A channel sends one notification and either
 * resolves (delivered) or throws: a plain error makes BullMQ retry the job
 * with exponential backoff; an `UnrecoverableError` (from `bullmq`) fails it
 * at once (a request the receiver will never accept).
 *
 * Adding a channel (SMS gateway, DingTalk/WeCom robot, …):
 * 1. implement `NotificationChannel` in a file of its own under this folder,
 *    e.g. `sms.ts` with `class SmsChannel { name = 'sms'; async send(n) {…} }`;
 *    use `summaryOf(n)` (notification.ts) for short text, route by
 *    `n.enterprise.authority` / `n.escalation.authority`, and send
 *    `n.idempotencyKey` along if the provider dedupes;
 * 2. throw on failure, `UnrecoverableError` when retrying cannot help
 *    (bad number, rejected template); never swallow a failure;
 * 3. give it a stable, unique `name`: it is part of the job id
 *    (`notificationJobId(event, name)`), so renaming it re-sends events still
 *    in the dispatcher's replay window;
 * 4. pass it in `buildNotifier(…, { channels: [...] })` (or add it to the
 *    defaults in `index.ts` with its config).
 */
import { createHmac, createHash, timingSafeEqual } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import type { Logger } from '../../core/logger.ts';
import type { Notification } from './notification.ts';

export interface NotificationChannel {
  /** Stable and unique among the channels: part of the notification job ids. */
  readonly name: string;
  /** Delivers `n`; throws to have the job retried (`UnrecoverableError`: not retried). */
  send(n: Notification): Promise<void>;
}

/** `hex(HMAC-SHA256(secret, body))`, as sent in `X-NSS-Signature: sha256=<hex>`. */
export const signBody = (secret: string, body: string): string => createHmac('sha256', secret).update(body, 'utf8').digest('hex');

/** For receivers (and tests): whether `header` is the valid `sha256=<hex>` signature of `body`; constant-time. */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  const m = /^sha256=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  return timingSafeEqual(Buffer.from(m[1] as string, 'hex'), Buffer.from(signBody(secret, body), 'hex'));
}

/** Whether a non-2xx answer may succeed later: 408, 429 and 5xx. Any other answer (4xx, 3xx) will not. */
export const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/**
 * The channel name of a webhook: `webhook:<host>#<8 hex of the URL's SHA-256>`.
 * Stable for a URL, and shows no path or query (which may hold a token) in logs.
 */
export function webhookName(url: string): string {
  const host = new URL(url).host;
  return `webhook:${host}#${createHash('sha256').update(url).digest('hex').slice(0, 8)}`;
}

export interface WebhookOptions {
  url: string;
  /** HMAC-SHA256 key; when set, each request carries `X-NSS-Signature: sha256=<hex of the body's HMAC>`. */
  secret?: string | undefined;
  /** Time a request may take, ms, answer included. Default 5,000. */
  timeoutMs?: number;
  /** Default {@link webhookName}(url). */
  name?: string;
  /** Default the global `fetch`. */
  fetch?: typeof fetch;
}

/**
 * POSTs the notification as JSON. Headers: `X-NSS-Idempotency-Key` (the job
 * id, the same on every retry) and, with a secret, `X-NSS-Signature`.
 * Redirects are not followed (a 3xx is a misconfigured URL: not retried).
 */
export class WebhookChannel implements NotificationChannel {
  readonly name: string;
  private readonly url: string;
  private readonly secret: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(opts: WebhookOptions) {
    this.url = opts.url;
    this.secret = opts.secret;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.name = opts.name ?? webhookName(opts.url);
    this.fetch = opts.fetch ?? fetch;
  }

  async send(n: Notification): Promise<void> {
    const body = JSON.stringify(n);
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'nss-notify/1',
      'x-nss-idempotency-key': n.idempotencyKey,
    };
    if (this.secret !== undefined) headers['x-nss-signature'] = `sha256=${signBody(this.secret, body)}`;
    let res: Response;
    try {
      res = await this.fetch(this.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
      // read the answer within the timeout too, and free the connection
      await res.arrayBuffer();
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw new Error(timedOut ? `${this.name}: no answer within ${this.timeoutMs} ms` : `${this.name}: request failed`, { cause: err });
    }
    if (res.ok) return;
    const msg = `${this.name} answered HTTP ${res.status}`;
    throw isRetryableStatus(res.status) ? new Error(msg) : new UnrecoverableError(msg);
  }
}

/** Writes each notification to the log (info): the record that a notification was due, whatever else is configured. */
export class LogChannel implements NotificationChannel {
  readonly name = 'log';
  constructor(private readonly logger: Logger) {}

  async send(n: Notification): Promise<void> {
    this.logger.info(
      {
        alertId: n.alert.id,
        enterpriseId: n.enterprise.id,
        event: n.event.type,
        seq: n.event.seq,
        severity: n.event.severity,
        escalation: n.escalation,
        message: n.alert.message.zh,
      },
      'alert notification',
    );
  }
}
