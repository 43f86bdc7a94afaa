/**
 * Each enterprise-channel delivery's outcome, on the alarm (`alert_deliveries`,
 * migration 20): one row per job (alert event × channel), written `pending`
 * when the dispatcher enqueues it (a replayed event finds its row and leaves
 * it), then by the send stage after every attempt: `delivered`, `retrying`
 * (the attempt failed, BullMQ will try again) or `failed` (for good), with
 * the attempts made and the provider's code and message. Recipients are kept
 * masked (`138****1234`).
 */
import type { Queryable } from '../../core/db/db.ts';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'retrying', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const ENTERPRISE_CHANNEL_KINDS = ['sms', 'dingtalk', 'wecom'] as const;
export type EnterpriseChannelKind = (typeof ENTERPRISE_CHANNEL_KINDS)[number];

export interface PendingDelivery {
  jobId: string;
  alertId: string;
  enterpriseId: string;
  eventSeq: number;
  eventKey: string;
  channel: EnterpriseChannelKind;
  /** Masked. */
  recipients: string[];
}

export interface DeliveryRecord extends PendingDelivery {
  status: DeliveryStatus;
  attempts: number;
  providerCode?: string | undefined;
  providerMessage?: string | undefined;
  createdAt: string;
  lastAttemptAt?: string | undefined;
  deliveredAt?: string | undefined;
}

interface Row {
  job_id: string;
  alert_id: string;
  enterprise_id: string;
  event_seq: string | number;
  event_key: string;
  channel: EnterpriseChannelKind;
  recipients: string[];
  status: DeliveryStatus;
  attempts: number;
  provider_code: string | null;
  provider_message: string | null;
  created_at: Date | string;
  last_attempt_at: Date | string | null;
  delivered_at: Date | string | null;
}

const iso = (t: Date | string | null): string | undefined => (t === null ? undefined : new Date(t).toISOString());

/** Records the deliveries as pending; one already recorded (a replayed event) is left as it is. */
export async function recordPending(q: Queryable, rows: readonly PendingDelivery[], at: number): Promise<void> {
  for (const d of rows)
    await q.query(
      `INSERT INTO alert_deliveries (job_id, alert_id, enterprise_id, event_seq, event_key, channel, recipients, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) ON CONFLICT (job_id) DO NOTHING`,
      [d.jobId, d.alertId, d.enterpriseId, d.eventSeq, d.eventKey, d.channel, d.recipients, new Date(at)],
    );
}

/** The outcome of one attempt (`attempts`: the attempts made so far, this one included). */
export async function recordAttempt(
  q: Queryable,
  jobId: string,
  o: { status: Exclude<DeliveryStatus, 'pending'>; attempts: number; at: number; providerCode?: string | undefined; providerMessage?: string | undefined },
): Promise<void> {
  await q.query(
    `UPDATE alert_deliveries SET status = $2, attempts = GREATEST(attempts, $3), last_attempt_at = $4,
       provider_code = $5, provider_message = $6, delivered_at = CASE WHEN $2 = 'delivered' THEN $4 ELSE delivered_at END
     WHERE job_id = $1 AND status <> 'delivered'`,
    [jobId, o.status, o.attempts, new Date(o.at), o.providerCode ?? null, o.providerMessage?.slice(0, 500) ?? null],
  );
}

/** The deliveries of an alert, in event order then channel. */
export async function deliveriesOf(q: Queryable, alertId: string): Promise<DeliveryRecord[]> {
  const { rows } = await q.query<Row>('SELECT * FROM alert_deliveries WHERE alert_id = $1 ORDER BY event_seq, channel', [alertId]);
  return rows.map((r) => ({
    jobId: r.job_id,
    alertId: r.alert_id,
    enterpriseId: r.enterprise_id,
    eventSeq: Number(r.event_seq),
    eventKey: r.event_key,
    channel: r.channel,
    recipients: [...r.recipients],
    status: r.status,
    attempts: r.attempts,
    providerCode: r.provider_code ?? undefined,
    providerMessage: r.provider_message ?? undefined,
    createdAt: iso(r.created_at) as string,
    lastAttemptAt: iso(r.last_attempt_at),
    deliveredAt: iso(r.delivered_at),
  }));
}
