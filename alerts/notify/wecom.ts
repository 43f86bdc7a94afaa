/**
 * WeCom group robot (企业微信群机器人), WeCom's documented format:
 * `POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>`, JSON body
 * `{ msgtype: 'text', text: { content, mentioned_mobile_list } }`.
 * WeCom robots have no request signature: the key in the URL is the whole
 * credential, so it is kept like a password (never returned by the API, never logged).
 * Answer `{ errcode, errmsg }`: 0 delivered; 45009 (API frequency limit) retried
 * with backoff, like HTTP 429/5xx and timeouts; any other errcode (invalid key, …) failed at once.
 */
import type { NotificationChannel } from './channels.ts';
import { channelText } from './channel-text.ts';
import type { Notification } from './notification.ts';
import { callProvider, robotOutcome } from './provider-call.ts';

/** WeCom's rate-limit errcode (api freq out of limit), retried. */
export const WECOM_RATE_LIMITED = [45009] as const;

export interface WeComOptions {
  /** The send URL (config `notify.wecomUrl`). */
  url: string;
  key: string;
  /** Phones to @-mention (the enterprise's recipients). */
  mentionedMobiles?: readonly string[] | undefined;
  timeoutMs: number;
  fetch?: typeof fetch | undefined;
}

export function wecomUrl(url: string, key: string): string {
  const u = new URL(url);
  u.searchParams.set('key', key);
  return u.toString();
}

export class WeComChannel implements NotificationChannel {
  readonly name = 'enterprise:wecom';
  constructor(private readonly opts: WeComOptions) {}

  async send(n: Notification): Promise<void> {
    const o = this.opts;
    const body = JSON.stringify({ msgtype: 'text', text: { content: channelText(n), mentioned_mobile_list: [...(o.mentionedMobiles ?? [])] } });
    const answer = await callProvider(
      o.fetch ?? fetch,
      'WeCom robot',
      wecomUrl(o.url, o.key),
      { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body },
      o.timeoutMs,
    );
    robotOutcome('WeCom robot', answer, WECOM_RATE_LIMITED);
  }
}
