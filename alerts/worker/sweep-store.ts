/**
 * The alert rows the rules worker's sweeps read (sweeps.ts): recent firings of
 * one point (chattering), the pending alerts held back by a suppression and the
 * shelved alarms whose shelve has run out.
 * Reads only; every change goes through `applyCommand`.
 */
import type { Queryable } from '../../core/db/db.ts';

/** A pending alert kept behind another one (`data.suppressedBy`, the root cause's fingerprint). */
export interface SuppressedRow {
  id: string;
  fingerprint: string;
  enterprise_id: string;
  subject: string;
  root: string;
}

export class SweepStore {
  constructor(private readonly db: Queryable) {}

  /** When the alerts of one point, other than `exceptRuleId`'s, fired after `since` (ms). */
  async firedSince(enterpriseId: string, subject: string, exceptRuleId: string, since: Date): Promise<number[]> {
    const { rows } = await this.db.query<{ fired_at: Date }>(
      'SELECT fired_at FROM alerts WHERE enterprise_id = $1 AND subject = $2 AND rule_id <> $3 AND fired_at > $4',
      [enterpriseId, subject, exceptRuleId, since],
    );
    return rows.map((r) => new Date(r.fired_at).getTime());
  }

  /** Every pending alert held back by a suppression. */
  async suppressed(): Promise<SuppressedRow[]> {
    const { rows } = await this.db.query<SuppressedRow>(
      `SELECT id, fingerprint, enterprise_id, subject, data->>'suppressedBy' AS root FROM alerts WHERE state = 'pending' AND data ? 'suppressedBy'`,
    );
    return rows;
  }

  /** Active alarms whose shelve (搁置) ended at or before `now` (ms), with its end. */
  async shelveExpired(now: number): Promise<ShelvedRow[]> {
    const { rows } = await this.db.query<ShelvedRow & { until: string | number }>(
      `SELECT id, enterprise_id, subject, rule_id, (data->>'shelvedUntil')::bigint AS until FROM alerts
        WHERE state IN ('firing', 'acknowledged') AND data ? 'shelvedUntil' AND (data->>'shelvedUntil')::bigint <= $1`,
      [now],
    );
    return rows.map((r) => ({ ...r, until: Number(r.until) }));
  }
}

/** A shelved alarm due to be unshelved. */
export interface ShelvedRow {
  id: string;
  enterprise_id: string;
  subject: string;
  rule_id: string;
  /** `shelvedUntil`, ms. */
  until: number;
}
