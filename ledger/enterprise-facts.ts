/**
 * The enterprise's supervision facts (一企一档; domain rules 1–3, 10): its
 * high-risk classification, safety standardization grade, dynamic risk
 * factors and whether it is a key enterprise — what the yearly inspection
 * cap is computed from (inspections/caps.ts). Read and updated one
 * enterprise at a time, or imported as a bureau's list (inspections/csv.ts).
 */
import { z } from 'zod';
import { appendAudit } from '../core/audit.ts';
import type { Db, Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { identityOf, IDENTITY_COLUMNS, type EnterpriseIdentity, type IdentityRow } from './enterprise-identity.ts';

/** High-risk sectors (2021 §(二)): mines, hazardous chemicals, fireworks, metal smelting, explosive dust. */
export const HIGH_RISK_SECTORS = ['mine', 'hazardous_chemicals', 'fireworks', 'metal_smelting', 'explosive_dust'] as const;

export const isHighRiskSector = (sector: string): boolean => (HIGH_RISK_SECTORS as readonly string[]).includes(sector);

/** Safety standardization grade (安全生产标准化等级). */
export const GRADES = ['1', '2', '3', 'ungraded'] as const;
export type Grade = (typeof GRADES)[number];

/** Dynamic risk factors that add at least one inspection a year (2021 §(二)). */
export const RISK_FACTORS = [
  'fatal_accident_3y',
  'major_hazard_penalty_1y',
  'overdue_major_hazard',
  'dishonesty_list',
  'suspended_for_rectification',
  'renovation_or_construction',
  'closing_down',
  'weak_red_line_awareness',
] as const;
export type RiskFactor = (typeof RISK_FACTORS)[number];

/** One enterprise of an imported list (`csv.ts`), with the line it came from. */
export interface ImportRow {
  line: number;
  id: string;
  name: string;
  sector: string;
  authorityId: string | undefined;
  /** `undefined`: the column is absent or empty (keep the sector's classification). */
  highRisk: boolean | undefined;
  grade: Grade;
  keyEnterprise: boolean;
  riskFactors: RiskFactor[];
  /** 统一社会信用代码, checked; `undefined`: not given (an import keeps the code on record). */
  creditCode: string | undefined;
}

export const ledgerPatch = z.strictObject({
  /** Overrides the sector's high-risk classification; `null` goes back to the sector's. */
  highRisk: z.boolean().nullable().optional(),
  grade: z.enum(GRADES).optional(),
  riskFactors: z
    .array(z.enum(RISK_FACTORS))
    .refine((a) => new Set(a).size === a.length, 'each risk factor at most once')
    .optional(),
  keyEnterprise: z.boolean().optional(),
});
export type LedgerPatch = z.output<typeof ledgerPatch>;

/** The ledger entry: the enterprise's identity on record (null: not yet) and its supervision facts. */
export interface LedgerEntry extends EnterpriseIdentity {
  id: string;
  name: string;
  sector: string;
  authorityId: string | null;
  /** Effective: the ledger's flag if set, else the sector's classification. */
  highRisk: boolean;
  highRiskSource: 'sector' | 'ledger';
  grade: Grade;
  riskFactors: RiskFactor[];
  keyEnterprise: boolean;
}

interface EnterpriseRow extends IdentityRow {
  id: string;
  name: string;
  sector: string;
  authority_id: string | null;
  high_risk: boolean | null;
  standardization_grade: Grade;
  risk_factors: RiskFactor[];
  key_enterprise: boolean;
}

const toEntry = (r: EnterpriseRow): LedgerEntry => ({
  id: r.id,
  name: r.name,
  sector: r.sector,
  authorityId: r.authority_id,
  highRisk: r.high_risk ?? isHighRiskSector(r.sector),
  highRiskSource: r.high_risk === null ? 'sector' : 'ledger',
  grade: r.standardization_grade,
  riskFactors: r.risk_factors,
  keyEnterprise: r.key_enterprise,
  ...identityOf(r),
});

const ENTERPRISE_COLUMNS = `id, name, sector, authority_id, high_risk, standardization_grade, risk_factors, key_enterprise, ${Object.values(IDENTITY_COLUMNS).join(', ')}`;

export class EnterpriseFacts {
  constructor(private readonly db: Db) {}

  async get(enterpriseId: string, q: Queryable = this.db, lock = false): Promise<LedgerEntry> {
    const { rows } = await q.query<EnterpriseRow>(`SELECT ${ENTERPRISE_COLUMNS} FROM enterprises WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [enterpriseId]);
    if (!rows[0]) throw new AppError('NOT_FOUND', `enterprise ${enterpriseId} not found`);
    return toEntry(rows[0]);
  }

  async update(enterpriseId: string, patch: LedgerPatch, actor: string, now: number): Promise<LedgerEntry> {
    const sets: string[] = [];
    const params: unknown[] = [enterpriseId];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.highRisk !== undefined) set('high_risk', patch.highRisk);
    if (patch.grade !== undefined) set('standardization_grade', patch.grade);
    if (patch.riskFactors !== undefined) set('risk_factors', JSON.stringify(patch.riskFactors));
    if (patch.keyEnterprise !== undefined) set('key_enterprise', patch.keyEnterprise);
    return this.db.transaction(async (tx) => {
      const before = await this.get(enterpriseId, tx, true);
      if (sets.length === 0) return before;
      await tx.query(`UPDATE enterprises SET ${sets.join(', ')} WHERE id = $1`, params);
      const after = await this.get(enterpriseId, tx);
      await appendAudit(tx, { actor, action: 'ledger.updated', subjectType: 'enterprise', subjectId: enterpriseId, data: { patch, before, after }, at: now });
      return after;
    });
  }

  /**
   * Creates or updates the enterprises of an imported list in one transaction:
   * every row is written, or none (an unknown authority is reported with its
   * line). Ledger facts an import leaves empty are reset (high-risk back to
   * the sector's classification).
   */
  async importEnterprises(rows: readonly ImportRow[], actor: string, now: number): Promise<{ created: number; updated: number }> {
    return this.db.transaction(async (tx) => {
      const wanted = [...new Set(rows.flatMap((r) => (r.authorityId === undefined ? [] : [r.authorityId])))];
      const { rows: known } = await tx.query<{ id: string }>('SELECT id FROM authorities WHERE id = ANY($1)', [wanted]);
      const have = new Set(known.map((k) => k.id));
      const errors = rows
        .filter((r) => r.authorityId !== undefined && !have.has(r.authorityId))
        .map((r) => `line ${r.line}: authorityId: no authority '${r.authorityId}'`);
      if (errors.length > 0) throw new AppError('BAD_REQUEST', `the list was not imported: ${errors.length} problem(s)`, { expose: { errors } });
      let created = 0;
      // a credit code on record for another enterprise than the row's is a problem of that row
      const codes = rows.flatMap((r) => (r.creditCode === undefined ? [] : [r.creditCode]));
      const { rows: owners } = await tx.query<{ id: string; credit_code: string }>('SELECT id, credit_code FROM enterprises WHERE credit_code = ANY($1)', [
        codes,
      ]);
      const owner = new Map(owners.map((o) => [o.credit_code, o.id]));
      const taken = rows
        .filter((r) => r.creditCode !== undefined && owner.has(r.creditCode) && owner.get(r.creditCode) !== r.id)
        .map(
          (r) =>
            `line ${r.line}: creditCode: 统一社会信用代码 ${r.creditCode} 已属于企业 ${owner.get(r.creditCode!)} / already enterprise ${owner.get(r.creditCode!)}'s`,
        );
      if (taken.length > 0) throw new AppError('BAD_REQUEST', `the list was not imported: ${taken.length} problem(s)`, { expose: { errors: taken } });
      for (const r of rows) {
        const { rows: out } = await tx.query<{ inserted: boolean }>(
          `INSERT INTO enterprises (id, name, sector, authority_id, high_risk, standardization_grade, key_enterprise, risk_factors, credit_code)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, sector = EXCLUDED.sector, authority_id = EXCLUDED.authority_id,
             high_risk = EXCLUDED.high_risk, standardization_grade = EXCLUDED.standardization_grade,
             key_enterprise = EXCLUDED.key_enterprise, risk_factors = EXCLUDED.risk_factors,
             credit_code = COALESCE(EXCLUDED.credit_code, enterprises.credit_code)
           RETURNING (xmax = 0) AS inserted`,
          [r.id, r.name, r.sector, r.authorityId ?? null, r.highRisk ?? null, r.grade, r.keyEnterprise, JSON.stringify(r.riskFactors), r.creditCode ?? null],
        );
        if (out[0]?.inserted) created++;
        const { line, ...record } = r;
        await appendAudit(tx, {
          actor,
          action: out[0]?.inserted ? 'enterprise.imported' : 'enterprise.reimported',
          subjectType: 'enterprise',
          subjectId: r.id,
          data: { ...record, line },
          at: now,
        });
      }
      return { created, updated: rows.length - created };
    });
  }
}
