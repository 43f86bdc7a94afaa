/**
 * SMS through a provider-neutral HTTP gateway (the bureau's own SMS platform,
 * or a relay in front of a carrier): `POST` JSON to the configured URL,
 * signed like the webhooks (`X-NSS-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`,
 * `X-NSS-Idempotency-Key` the job id, the same on every retry). Body:
 * `{ version: 1, idempotencyKey, phones, text, alertId, enterpriseId, event: { seq, type, severity, at } }`.
 * 2xx delivered; 408, 429, 5xx, timeouts retried; any other answer failed at once.
 */
import type { NotificationChannel } from './channels.ts';
import { signBody } from './channels.ts';
import { channelText } from './channel-text.ts';
import type { Notification } from './notification.ts';
import { callProvider, httpFailure } from './provider-call.ts';

export interface HttpSmsOptions {
  url: string;
  secret?: string | undefined;
  phones: readonly string[];
  timeoutMs: number;
  fetch?: typeof fetch | undefined;
}

export class HttpSmsChannel implements NotificationChannel {
  readonly name = 'enterprise:sms';
  constructor(private readonly opts: HttpSmsOptions) {}

  async send(n: Notification): Promise<void> {
    const o = this.opts;
    const body = JSON.stringify({
      version: 1,
      idempotencyKey: n.idempotencyKey,
      phones: [...o.phones],
      text: channelText(n),
      alertId: n.alert.id,
      enterpriseId: n.enterprise.id,
      event: { seq: n.event.seq, type: n.event.type, severity: n.event.severity, at: n.event.at },
    });
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'nss-notify/1',
      'x-nss-idempotency-key': n.idempotencyKey,
    };
    if (o.secret !== undefined) headers['x-nss-signature'] = `sha256=${signBody(o.secret, body)}`;
    const answer = await callProvider(o.fetch ?? fetch, 'SMS gateway', o.url, { method: 'POST', headers, body }, o.timeoutMs);
    if (answer.status < 200 || answer.status >= 300) throw httpFailure('SMS gateway', answer);
  }
}
