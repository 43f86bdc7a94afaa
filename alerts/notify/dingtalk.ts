/**
 * DingTalk group robot (钉钉自定义机器人), DingTalk's documented format:
 * `POST <webhook>&timestamp=<ms>&sign=<urlencode(base64(HMAC-SHA256(secret, timestamp + "\n" + secret)))>`
 * (the webhook is `https://oapi.dingtalk.com/robot/send?access_token=…`; the
 * signature only when the robot's security setting is 加签), JSON body
 * `{ msgtype: 'text', text: { content }, at: { atMobiles, isAtAll: false } }`.
 * Answer `{ errcode, errmsg }`: 0 delivered; 130101 (sent too fast: the robot's
 * per-minute limit) retried with backoff, like HTTP 429/5xx and timeouts; any
 * other errcode (bad token, bad signature, keyword not matched, …) failed at once.
 */
import { createHmac } from 'node:crypto';
import type { NotificationChannel } from './channels.ts';
import { channelText } from './channel-text.ts';
import type { Notification } from './notification.ts';
import { callProvider, robotOutcome } from './provider-call.ts';

/** DingTalk's rate-limit errcode (send too fast), retried. */
export const DINGTALK_RATE_LIMITED = [130101] as const;

/** `base64(HMAC-SHA256(secret, timestamp + "\n" + secret))`: the `sign` parameter before URL encoding. */
export const dingtalkSign = (secret: string, timestamp: number | string): string =>
  createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');

/** The request URL: the webhook with `timestamp` and `sign` (URL-encoded) added when there is a secret. */
export function dingtalkUrl(webhook: string, secret: string | undefined, timestamp: number): string {
  const u = new URL(webhook);
  if (secret !== undefined) {
    u.searchParams.set('timestamp', String(timestamp));
    u.searchParams.set('sign', dingtalkSign(secret, timestamp));
  }
  return u.toString();
}

export interface DingTalkOptions {
  /** The robot's webhook URL with its access_token. */
  webhook: string;
  /** The robot's 加签 secret (`SEC…`); unsigned without it. */
  secret?: string | undefined;
  /** Phones to @-mention (the enterprise's recipients). */
  atMobiles?: readonly string[] | undefined;
  timeoutMs: number;
  now: () => number;
  fetch?: typeof fetch | undefined;
}

export class DingTalkChannel implements NotificationChannel {
  readonly name = 'enterprise:dingtalk';
  constructor(private readonly opts: DingTalkOptions) {}

  async send(n: Notification): Promise<void> {
    const o = this.opts;
    const body = JSON.stringify({ msgtype: 'text', text: { content: channelText(n) }, at: { atMobiles: [...(o.atMobiles ?? [])], isAtAll: false } });
    const answer = await callProvider(
      o.fetch ?? fetch,
      'DingTalk robot',
      dingtalkUrl(o.webhook, o.secret, o.now()),
      { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body },
      o.timeoutMs,
    );
    robotOutcome('DingTalk robot', answer, DINGTALK_RATE_LIMITED);
  }
}
