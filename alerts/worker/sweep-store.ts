/**
 * The alert rows the rules worker's sweeps read (sweeps.ts): recent firings of
 * one point (chattering) and the pending alerts held back by a suppression.
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
}
