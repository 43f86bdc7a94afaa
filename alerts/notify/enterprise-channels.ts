/**
 * The enterprise channels at send time: for a job's target, the adapter built
 * from the enterprise's settings as they are now (secrets are read from the
 * database here, never put in the job) and the platform's provider config.
 * A channel removed, or an SMS provider unset, since the job was enqueued
 * fails the job at once (nothing to send to).
 */
import type { PlatformConfig } from '../../core/config.ts';
import { UnrecoverableError } from 'bullmq';
import type { NotificationChannel } from './channels.ts';
import { DingTalkChannel } from './dingtalk.ts';
import type { EnterpriseSettingsStore } from './enterprise-settings.ts';
import type { EnterpriseTarget } from './jobs.ts';
import { channelUrlAllowed, ROBOT_HOSTS } from './provider-call.ts';
import { AliyunSmsChannel } from './sms-aliyun.ts';
import { HttpSmsChannel } from './sms-http.ts';
import { WeComChannel } from './wecom.ts';

export type EnterpriseChannelConfig = Pick<PlatformConfig['notify'], 'channelTimeoutMs' | 'allowInsecureChannelUrls' | 'wecomUrl' | 'sms'>;

export interface EnterpriseChannelDeps {
  settings: EnterpriseSettingsStore;
  now: () => number;
  /** Default the global `fetch`. */
  fetch?: typeof fetch | undefined;
  /** Aliyun's SignatureNonce. Default `crypto.randomUUID`. */
  nonce?: (() => string) | undefined;
}

/** Whether SMS can be sent at all (a provider configured). */
export const smsAvailable = (c: EnterpriseChannelConfig): boolean => c.sms.provider !== 'none';

export class EnterpriseChannels {
  constructor(
    private readonly config: EnterpriseChannelConfig,
    private readonly deps: EnterpriseChannelDeps,
  ) {}

  /** The adapter for `target`, or an `UnrecoverableError` when there is none any more. */
  async channelFor(target: EnterpriseTarget): Promise<NotificationChannel> {
    const c = this.config;
    const s = await this.deps.settings.get(target.enterpriseId);
    const gone = (what: string) => new UnrecoverableError(`enterprise ${target.enterpriseId}: ${what} (settings changed?)`);
    const common = { timeoutMs: c.channelTimeoutMs, fetch: this.deps.fetch };
    const checked = (url: string, what: string, hosts?: readonly string[]): string => {
      if (!channelUrlAllowed(url, c.allowInsecureChannelUrls, hosts)) throw gone(`${what} is not an https URL${hosts ? ` of ${hosts.join(' or ')}` : ''}`);
      return url;
    };
    switch (target.kind) {
      case 'dingtalk':
        if (!s?.dingtalk) throw gone('no DingTalk robot');
        return new DingTalkChannel({
          ...common,
          webhook: checked(s.dingtalk.webhook, 'the DingTalk webhook', ROBOT_HOSTS),
          secret: s.dingtalk.secret,
          atMobiles: target.phones,
          now: this.deps.now,
        });
      case 'wecom':
        if (!s?.wecom) throw gone('no WeCom robot');
        return new WeComChannel({ ...common, url: checked(c.wecomUrl, 'notify.wecomUrl'), key: s.wecom.key, mentionedMobiles: target.phones });
      case 'sms': {
        if (!s?.sms.enabled) throw gone('SMS is off');
        const sms = c.sms;
        if (sms.provider === 'http' && sms.url !== undefined)
          return new HttpSmsChannel({ ...common, url: checked(sms.url, 'notify.sms.url'), secret: sms.secret, phones: target.phones });
        const a = sms.aliyun;
        if (sms.provider === 'aliyun' && a.accessKeyId && a.accessKeySecret && a.signName && a.templateCode)
          return new AliyunSmsChannel({
            ...common,
            endpoint: checked(a.endpoint, 'notify.sms.aliyun.endpoint'),
            accessKeyId: a.accessKeyId,
            accessKeySecret: a.accessKeySecret,
            signName: a.signName,
            templateCode: a.templateCode,
            regionId: a.regionId,
            phones: target.phones,
            now: this.deps.now,
            nonce: this.deps.nonce,
          });
        throw gone('no SMS provider configured');
      }
    }
  }
}
