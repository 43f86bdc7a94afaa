/**
 * The risk warnings on record (migration 17): per enterprise (`hazardSourceCode` '') and per major hazard
 * source, the current level with the factors that make it, and every change of level as an event listing
 * the factors that caused it (the explanation a duty officer reads).
 */
import type { Db, Queryable } from '../../core/db/db.ts';
import type { Factor, WarningResult } from './policy.ts';

export interface RiskWarning {
  enterpriseId: string;
  /** '' for the enterprise as a whole. */
  hazardSourceCode: string;
  level: WarningResult;
  /** Since when the level stands (ISO). */
  since: string;
  factors: Factor[];
  policyVersion: number;
  evaluatedAt: string;
}

export interface RiskWarningEvent {
  id: number;
  enterpriseId: string;
  hazardSourceCode: string;
  from: WarningResult;
  to: WarningResult;
  at: string;
  factors: Factor[];
  policyVersion: number;
}

interface WarningRow {
  enterprise_id: string;
  hazard_source_code: string;
  level: WarningResult;
  since: Date | string;
  factors: Factor[];
  policy_version: number;
  evaluated_at: Date | string;
}
interface EventRow {
  id: string | number;
  enterprise_id: string;
  hazard_source_code: string;
  from_level: WarningResult;
  to_level: WarningResult;
  at: Date | string;
  factors: Factor[];
  policy_version: number;
}

const iso = (v: Date | string) => (v instanceof Date ? v : new Date(v)).toISOString();
const toWarning = (r: WarningRow): RiskWarning => ({
  enterpriseId: r.enterprise_id,
  hazardSourceCode: r.hazard_source_code,
  level: r.level,
  since: iso(r.since),
  factors: r.factors,
  policyVersion: Number(r.policy_version),
  evaluatedAt: iso(r.evaluated_at),
});
const toEvent = (r: EventRow): RiskWarningEvent => ({
  id: Number(r.id),
  enterpriseId: r.enterprise_id,
  hazardSourceCode: r.hazard_source_code,
  from: r.from_level,
  to: r.to_level,
  at: iso(r.at),
  factors: r.factors,
  policyVersion: Number(r.policy_version),
});

/** A judgement to record for one subject. */
export interface Judged {
  hazardSourceCode: string;
  level: WarningResult;
  factors: Factor[];
  policyVersion: number;
}

export class RiskWarningStore {
  constructor(private readonly db: Db) {}

  /** The enterprise's warnings on record (the enterprise's own first, then its hazard sources by code). */
  async ofEnterprise(enterpriseId: string, q: Queryable = this.db): Promise<RiskWarning[]> {
    const { rows } = await q.query<WarningRow>('SELECT * FROM risk_warnings WHERE enterprise_id = $1 ORDER BY hazard_source_code', [enterpriseId]);
    return rows.map(toWarning);
  }

  /** The enterprises' own warnings (not their hazard sources'), for a list of enterprises; those never judged are left out. */
  async ofEnterprises(enterpriseIds: readonly string[]): Promise<RiskWarning[]> {
    const { rows } = await this.db.query<WarningRow>(
      `SELECT * FROM risk_warnings WHERE hazard_source_code = '' AND enterprise_id = ANY($1) ORDER BY enterprise_id`,
      [enterpriseIds],
    );
    return rows.map(toWarning);
  }

  /** The enterprise's changes of level, newest first. */
  async events(enterpriseId: string, limit = 100): Promise<RiskWarningEvent[]> {
    const { rows } = await this.db.query<EventRow>('SELECT * FROM risk_warning_events WHERE enterprise_id = $1 ORDER BY id DESC LIMIT $2', [
      enterpriseId,
      limit,
    ]);
    return rows.map(toEvent);
  }

  /** Enterprises whose warning on record is above none (the sweep re-judges them as time passes). */
  async standing(): Promise<string[]> {
    const { rows } = await this.db.query<{ enterprise_id: string }>(`SELECT DISTINCT enterprise_id FROM risk_warnings WHERE level <> 'none'`);
    return rows.map((r) => r.enterprise_id);
  }

  /**
   * Records the judgements of one enterprise at `now`, in one transaction: a subject whose level changed gets
   * an event and a new `since`; one whose level held keeps its `since` and takes the new factors; a subject on
   * record that was not judged (a deleted hazard source) goes to none. Returns the events written.
   */
  async record(enterpriseId: string, judged: readonly Judged[], now: number): Promise<RiskWarningEvent[]> {
    return this.db.transaction(async (tx) => {
      const before = new Map((await this.ofEnterprise(enterpriseId, tx)).map((w) => [w.hazardSourceCode, w]));
      const all = [...judged];
      for (const [code, w] of before)
        if (w.level !== 'none' && !judged.some((j) => j.hazardSourceCode === code))
          all.push({ hazardSourceCode: code, level: 'none', factors: [], policyVersion: w.policyVersion });
      const at = new Date(now);
      const events: RiskWarningEvent[] = [];
      for (const j of all) {
        const prev = before.get(j.hazardSourceCode);
        const from: WarningResult = prev?.level ?? 'none';
        const changed = from !== j.level;
        if (!prev && j.level === 'none') continue;
        await tx.query(
          `INSERT INTO risk_warnings (enterprise_id, hazard_source_code, level, since, factors, policy_version, evaluated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $4)
           ON CONFLICT (enterprise_id, hazard_source_code) DO UPDATE SET level = $3, since = CASE WHEN risk_warnings.level = $3 THEN risk_warnings.since ELSE $4 END,
             factors = $5, policy_version = $6, evaluated_at = $4`,
          [enterpriseId, j.hazardSourceCode, j.level, at, JSON.stringify(j.factors), j.policyVersion],
        );
        if (changed) {
          const { rows } = await tx.query<EventRow>(
            `INSERT INTO risk_warning_events (enterprise_id, hazard_source_code, from_level, to_level, at, factors, policy_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
            [enterpriseId, j.hazardSourceCode, from, j.level, at, JSON.stringify(j.factors), j.policyVersion],
          );
          events.push(toEvent(rows[0]!));
        }
      }
      return events;
    });
  }
}
