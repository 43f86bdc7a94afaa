/**
 * An enterprise's notification settings (issue #18, domain rule 13: the
 * enterprise answers first): whom its alarms are texted to (SMS on/off, its
 * users and extra phones), its DingTalk robot (webhook with access_token, 加签
 * secret), its WeCom robot (key), and the grades pushed (default all four).
 * Table `enterprise_notify_settings` (migration 20); every change is audited
 * (`notify_settings.updated`, core/audit.ts) with the secrets left out.
 *
 * The API never returns a secret: `maskedSettings` shows whether each is set
 * and its last 4 characters. An update is a merge: a field left out keeps its
 * value (so a client that shows masked secrets need not send them back),
 * `null` removes a robot or a secret.
 */
import { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import type { Queryable } from '../../core/db/db.ts';
import { withAudit } from '../../core/audit.ts';
import { AppError } from '../../core/errors.ts';
import { phoneSchema } from '../../ledger/officers.ts';
import { SEVERITIES, type Severity } from '../types.ts';
import { channelUrlAllowed, ROBOT_HOSTS } from './provider-call.ts';

/** The grades pushed when the enterprise did not choose: all four. */
export const DEFAULT_PUSHED_GRADES: readonly Severity[] = SEVERITIES;

/** The settings as stored, secrets included: for the send stage only. */
export interface EnterpriseNotifySettings {
  enterpriseId: string;
  sms: { enabled: boolean; userIds: string[]; phones: string[] };
  dingtalk?: { webhook: string; secret?: string | undefined } | undefined;
  wecom?: { key: string } | undefined;
  grades: Severity[];
  updatedBy: string;
  updatedAt: number;
}

interface Row {
  enterprise_id: string;
  sms_enabled: boolean;
  sms_user_ids: string[];
  sms_phones: string[];
  dingtalk_webhook: string | null;
  dingtalk_secret: string | null;
  wecom_key: string | null;
  grades: string[];
  updated_by: string;
  updated_at: Date | string;
}

const fromRow = (r: Row): EnterpriseNotifySettings => ({
  enterpriseId: r.enterprise_id,
  sms: { enabled: r.sms_enabled, userIds: [...r.sms_user_ids], phones: [...r.sms_phones] },
  dingtalk: r.dingtalk_webhook === null ? undefined : { webhook: r.dingtalk_webhook, secret: r.dingtalk_secret ?? undefined },
  wecom: r.wecom_key === null ? undefined : { key: r.wecom_key },
  grades: r.grades as Severity[],
  updatedBy: r.updated_by,
  updatedAt: new Date(r.updated_at).getTime(),
});

/** `****abcd`: whether a secret is set, and enough of it to tell two apart. */
export const maskSecret = (s: string): string => `****${s.length > 8 ? s.slice(-4) : ''}`;

/** A webhook URL with its query values (access_token) masked. */
export function maskUrl(url: string): string {
  const u = new URL(url);
  for (const [k, v] of [...u.searchParams]) u.searchParams.set(k, maskSecret(v));
  return u.toString();
}

/** The settings as the API shows them: no secret, only whether it is set and its last characters. */
export function maskedSettings(s: EnterpriseNotifySettings | undefined, enterpriseId: string) {
  return {
    enterpriseId,
    /** false: nothing stored yet; the values shown are the defaults (no channel). */
    configured: s !== undefined,
    sms: s?.sms ?? { enabled: false, userIds: [], phones: [] },
    dingtalk: s?.dingtalk ? { webhook: maskUrl(s.dingtalk.webhook), secret: s.dingtalk.secret === undefined ? null : maskSecret(s.dingtalk.secret) } : null,
    wecom: s?.wecom ? { key: maskSecret(s.wecom.key) } : null,
    grades: s?.grades ?? [...DEFAULT_PUSHED_GRADES],
    updatedBy: s?.updatedBy ?? null,
    updatedAt: s ? new Date(s.updatedAt).toISOString() : null,
  };
}

const msg = (zh: string, en: string) => ({ message: `${zh} / ${en}` });
const urlString = z.string().trim().max(2000);

/** The body of `PUT /api/v1/enterprises/:id/notify-settings`; every field optional (left out: unchanged). */
export const notifySettingsInput = z.strictObject({
  sms: z
    .strictObject({
      enabled: z.boolean(),
      /** Users (officers) of this enterprise with a phone on record. */
      userIds: z.array(z.string().min(1).max(100)).max(50).default([]),
      /** Further phones. */
      phones: z.array(phoneSchema).max(50).default([]),
    })
    .optional(),
  /** null: no DingTalk robot. */
  dingtalk: z
    .strictObject({
      webhook: urlString.optional(),
      /** The robot's 加签 secret; null: unsigned robot; left out: unchanged. */
      secret: z.string().trim().min(1).max(200).nullable().optional(),
    })
    .nullable()
    .optional(),
  /** null: no WeCom robot. */
  wecom: z
    .strictObject({
      key: z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9-]{8,100}$/, msg('机器人 key 格式不对', 'not a robot key')),
    })
    .nullable()
    .optional(),
  grades: z.array(z.enum(SEVERITIES)).min(1, msg('至少一个等级', 'at least one grade')).optional(),
});
export type NotifySettingsInput = z.input<typeof notifySettingsInput>;

export interface SettingsStoreOptions {
  /** config `notify.allowInsecureChannelUrls`: http:// accepted for robot webhooks (tests, development). */
  allowInsecureUrls: boolean;
}

const bad = (field: string, zh: string, en: string) =>
  new AppError('BAD_REQUEST', `${field}：${zh} / ${field}: ${en}`, { details: [{ path: field.split('.'), message: en }] });

export class EnterpriseSettingsStore {
  constructor(
    private readonly db: Queryable & { transaction?: <R>(fn: (tx: Queryable) => Promise<R>) => Promise<R> },
    private readonly clock: Clock | { now(): number },
    private readonly opts: SettingsStoreOptions = { allowInsecureUrls: false },
  ) {}

  async get(enterpriseId: string): Promise<EnterpriseNotifySettings | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM enterprise_notify_settings WHERE enterprise_id = $1', [enterpriseId]);
    return rows[0] && fromRow(rows[0]);
  }

  /** The settings of these enterprises (those that have any). */
  async getMany(enterpriseIds: readonly string[]): Promise<Map<string, EnterpriseNotifySettings>> {
    if (enterpriseIds.length === 0) return new Map();
    const { rows } = await this.db.query<Row>('SELECT * FROM enterprise_notify_settings WHERE enterprise_id = ANY($1::text[])', [[...enterpriseIds]]);
    return new Map(rows.map((r) => [r.enterprise_id, fromRow(r)]));
  }

  /**
   * The phones an alarm of the enterprise is texted to (and @-mentioned in the
   * robots' messages): the chosen users' phones (enabled users of this
   * enterprise with a phone) and the extra phones, once each, in that order.
   */
  async recipients(s: EnterpriseNotifySettings): Promise<string[]> {
    const phones: string[] = [];
    if (s.sms.userIds.length > 0) {
      const { rows } = await this.db.query<{ id: string; phone: string }>(
        'SELECT id, phone FROM officers WHERE id = ANY($1::text[]) AND enterprise_id = $2 AND NOT disabled AND phone IS NOT NULL',
        [s.sms.userIds, s.enterpriseId],
      );
      const byId = new Map(rows.map((r) => [r.id, r.phone]));
      for (const id of s.sms.userIds) {
        const p = byId.get(id);
        if (p !== undefined) phones.push(p);
      }
    }
    phones.push(...s.sms.phones);
    return [...new Set(phones)];
  }

  /** Validates and merges `input` into the stored settings (audited); returns the settings now. 400 naming the field. */
  async update(enterpriseId: string, input: z.output<typeof notifySettingsInput>, actor: string): Promise<EnterpriseNotifySettings> {
    const current = await this.get(enterpriseId);
    const next: EnterpriseNotifySettings = {
      enterpriseId,
      sms: input.sms ?? current?.sms ?? { enabled: false, userIds: [], phones: [] },
      dingtalk: current?.dingtalk,
      wecom: input.wecom === null ? undefined : (input.wecom ?? current?.wecom),
      grades: input.grades ? [...new Set(input.grades)] : (current?.grades ?? [...DEFAULT_PUSHED_GRADES]),
      updatedBy: actor,
      updatedAt: this.clock.now(),
    };
    if (input.dingtalk === null) next.dingtalk = undefined;
    else if (input.dingtalk !== undefined) {
      const webhook = input.dingtalk.webhook ?? current?.dingtalk?.webhook;
      if (webhook === undefined) throw bad('dingtalk.webhook', '必填', 'required');
      const secret = input.dingtalk.secret === null ? undefined : (input.dingtalk.secret ?? current?.dingtalk?.secret);
      next.dingtalk = { webhook, secret };
    }
    if (next.dingtalk && !channelUrlAllowed(next.dingtalk.webhook, this.opts.allowInsecureUrls, ROBOT_HOSTS))
      throw bad(
        'dingtalk.webhook',
        '须为钉钉机器人的 https 地址（https://oapi.dingtalk.com/robot/send?access_token=…）',
        'must be the DingTalk robot https URL (https://oapi.dingtalk.com/robot/send?access_token=…)',
      );
    if (next.sms.userIds.length > 0) {
      const { rows } = await this.db.query<{ id: string; phone: string | null }>(
        'SELECT id, phone FROM officers WHERE id = ANY($1::text[]) AND enterprise_id = $2 AND NOT disabled',
        [next.sms.userIds, enterpriseId],
      );
      const found = new Map(rows.map((r) => [r.id, r.phone]));
      next.sms.userIds.forEach((id, i) => {
        if (!found.has(id)) throw bad(`sms.userIds.${i}`, `${id} 不是本企业的在用人员`, `${id} is not an enabled user of this enterprise`);
        if (found.get(id) === null) throw bad(`sms.userIds.${i}`, `${id} 没有登记手机号`, `${id} has no phone on record`);
      });
    }
    if (next.sms.enabled && next.sms.userIds.length + next.sms.phones.length === 0)
      throw bad('sms.phones', '开启短信须至少一个接收人', 'SMS on needs at least one recipient');
    await withAudit(
      this.db,
      async (tx) => {
        await tx.query(
          `INSERT INTO enterprise_notify_settings
             (enterprise_id, sms_enabled, sms_user_ids, sms_phones, dingtalk_webhook, dingtalk_secret, wecom_key, grades, updated_by, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (enterprise_id) DO UPDATE SET
             sms_enabled = EXCLUDED.sms_enabled, sms_user_ids = EXCLUDED.sms_user_ids, sms_phones = EXCLUDED.sms_phones,
             dingtalk_webhook = EXCLUDED.dingtalk_webhook, dingtalk_secret = EXCLUDED.dingtalk_secret, wecom_key = EXCLUDED.wecom_key,
             grades = EXCLUDED.grades, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
          [
            enterpriseId,
            next.sms.enabled,
            next.sms.userIds,
            next.sms.phones,
            next.dingtalk?.webhook ?? null,
            next.dingtalk?.secret ?? null,
            next.wecom?.key ?? null,
            next.grades,
            actor,
            new Date(next.updatedAt),
          ],
        );
      },
      () => ({
        actor,
        action: 'notify_settings.updated',
        subjectType: 'enterprise',
        subjectId: enterpriseId,
        // the change without its secrets (the audit trail is read by admins and kept for good)
        data: maskedSettings(next, enterpriseId),
        at: next.updatedAt,
      }),
    );
    return next;
  }
}
