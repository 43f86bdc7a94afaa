/**
 * The inspections recorded against the yearly caps (domain rules 1–3, 10),
 * on the enterprise's supervision facts (ledger/enterprise-facts.ts).
 * PostgreSQL (or PGlite) through `Db`; the decisions are the pure ones of
 * `caps.ts`.
 *
 * - An inspection is done by the enterprise's own authority, or by an
 *   authority above it as a joint inspection (联合检查); a lower or unrelated
 *   authority is refused (一家企业对应一个层级的执法主体).
 * - A capped inspection beyond the year's cap is refused (CAP_REACHED); the
 *   check and the insert run in one transaction with the enterprise row
 *   locked, so two concurrent requests cannot both take the last place.
 * - An exempt origin must rest on its basis (`caps.ts` `exemptionOf`): the
 *   alerts of a serious violation of this enterprise (their rules' flag read
 *   from the rule catalogue in force), or a complaint or referral number.
 *   The basis is stored with the inspection and on the audit trail.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import type { Db, Queryable } from '../core/db/db.ts';
import { appendAudit } from '../core/audit.ts';
import { AppError } from '../core/errors.ts';
import { authorityChain } from '../core/jurisdiction.ts';
import { defaultCatalogue, seriousRule } from '../alerts/rules/index.ts';
import { EnterpriseFacts, type LedgerEntry } from '../ledger/enterprise-facts.ts';
import {
  decideInspection,
  EARLIEST_INSPECTION_AT,
  exemptionOf,
  inspectionTimeProblem,
  ORIGINS,
  yearCounts,
  yearOf,
  type BasisAlert,
  type CountedInspection,
  type Origin,
  type Severity,
  type YearCounts,
} from './caps.ts';

/** The rule catalogue in force, as far as the exemption needs it: whether a rule is marked `seriousViolation`. */
export type SeriousRules = () => Promise<(ruleId: string) => boolean>;

let shipped: ((ruleId: string) => boolean) | undefined;
/** The shipped catalogue's serious rules (a process that runs no catalogue file). */
export const shippedSeriousRules: SeriousRules = () => Promise.resolve((shipped ??= seriousRule(defaultCatalogue())));

export const inspectionInput = z.strictObject({
  enterpriseId: idSchema,
  authorityId: idSchema,
  origin: z.enum(ORIGINS),
  /** When it took place (epoch ms), from 2000-01-01 (CST) to 5 minutes after now (caps.ts `inspectionTimeProblem`); default now. */
  at: z.number().int().min(EARLIEST_INSPECTION_AT, 'not before 2000-01-01 (CST), the earliest date the platform records an inspection for').optional(),
  note: z.string().max(2000).optional(),
  /** Origin `data_monitoring`: the alert(s) of this enterprise it rests on; exempt from the cap only if one is a serious violation. */
  alertIds: z
    .array(z.string().min(1).max(100))
    .min(1)
    .max(50)
    .refine((a) => new Set(a).size === a.length, 'each alert at most once')
    .optional(),
  /** Origin `complaint` / `referral`: the complaint or referral number (投诉举报 / 转办交办编号). */
  basisRef: z.string().trim().min(1).max(100).optional(),
});
export type InspectionInput = z.input<typeof inspectionInput>;

export interface Inspection {
  id: string;
  enterpriseId: string;
  authorityId: string;
  origin: Origin;
  joint: boolean;
  exempt: boolean;
  at: number;
  year: number;
  note: string;
  createdBy: string;
  /** The alerts it rests on (origin `data_monitoring`). */
  alertIds: string[];
  /** The complaint or referral number (origins `complaint`, `referral`). */
  basisRef: string | null;
}

export interface InspectionRow {
  id: string;
  enterprise_id: string;
  authority_id: string;
  origin: Origin;
  joint: boolean;
  exempt: boolean;
  at: Date;
  year: number;
  note: string;
  created_by: string;
  basis_alert_ids: string[] | null;
  basis_ref: string | null;
}

export const toInspection = (r: InspectionRow): Inspection => ({
  id: r.id,
  enterpriseId: r.enterprise_id,
  authorityId: r.authority_id,
  origin: r.origin,
  joint: r.joint,
  exempt: r.exempt,
  at: new Date(r.at).getTime(),
  year: r.year,
  note: r.note,
  createdBy: r.created_by,
  alertIds: r.basis_alert_ids ?? [],
  basisRef: r.basis_ref,
});

export class InspectionRecords {
  constructor(
    private readonly db: Db,
    private readonly seriousRules: SeriousRules = shippedSeriousRules,
    /** The enterprises' supervision facts the caps and the jurisdiction are read from. */
    private readonly facts: EnterpriseFacts = new EnterpriseFacts(db),
  ) {}

  /** Records an inspection if the jurisdiction and the year's cap allow it; a refusal is on the audit trail too. */
  async recordInspection(input: z.output<typeof inspectionInput>, actor: string, now: number): Promise<{ inspection: Inspection; counts: YearCounts }> {
    try {
      return await this.tryInspection(input, actor, now);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'CONFLICT' || err.code === 'FORBIDDEN')) {
        await this.db.transaction((tx) =>
          appendAudit(tx, {
            actor,
            action: 'inspection.refused',
            subjectType: 'enterprise',
            subjectId: input.enterpriseId,
            data: { request: input, code: err.code, message: err.message, ...err.expose },
            at: now,
          }),
        );
      }
      throw err;
    }
  }

  private async tryInspection(input: z.output<typeof inspectionInput>, actor: string, now: number): Promise<{ inspection: Inspection; counts: YearCounts }> {
    return this.db.transaction((tx) => this.recordIn(tx, input, actor, now));
  }

  /**
   * Records the inspection inside the caller's transaction (a task's visit
   * is recorded with the task's step): the date checked, the enterprise row
   * locked, the jurisdiction, the basis of an exemption and the cap checked,
   * the audit record appended. `onUnfounded`: what a data-monitoring
   * inspection of no serious alert gets — refused (recorded directly), or
   * counted against the cap (a task's visit).
   */
  async recordIn(
    tx: Queryable,
    input: z.output<typeof inspectionInput>,
    actor: string,
    now: number,
    opts: { taskId?: string | undefined; onUnfounded?: 'refuse' | 'count' } = {},
  ): Promise<{ inspection: Inspection; counts: YearCounts }> {
    const at = input.at ?? now;
    const problem = inspectionTimeProblem(at, now);
    if (problem) throw new AppError('BAD_REQUEST', `body: ${problem}`);
    const e = await this.facts.get(input.enterpriseId, tx, true);
    const { rows: auth } = await tx.query('SELECT 1 FROM authorities WHERE id = $1', [input.authorityId]);
    if (auth.length === 0) throw new AppError('NOT_FOUND', `authority ${input.authorityId} not found`);
    if (e.authorityId === null)
      throw new AppError('CONFLICT', `enterprise ${e.id} has no supervising authority in the ledger; assign one before inspecting it`, {
        expose: { reason: { zh: `企业 ${e.id} 尚未确定执法主体`, en: `enterprise ${e.id} has no supervising authority` } },
      });
    const chain = await authorityChain(tx, e.authorityId);
    const level = chain.indexOf(input.authorityId);
    if (level < 0)
      throw new AppError('FORBIDDEN', `authority ${input.authorityId} does not supervise enterprise ${e.id} (its authority is ${e.authorityId})`, {
        expose: {
          reason: {
            zh: `企业 ${e.id} 由 ${e.authorityId} 执法，${input.authorityId} 不是其执法主体或上级（一家企业对应一个层级的执法主体）`,
            en: `enterprise ${e.id} is supervised by ${e.authorityId}; ${input.authorityId} is neither that authority nor above it`,
          },
        },
      });
    const alertIds = input.alertIds ?? [];
    const exemption = exemptionOf(
      input.origin,
      e.id,
      { alertIds, alerts: await this.basisAlerts(tx, alertIds), ref: input.basisRef },
      opts.onUnfounded ?? 'refuse',
    );
    if (!exemption.ok)
      throw new AppError(exemption.code === 'BASIS_REQUIRED' ? 'BAD_REQUEST' : 'CONFLICT', exemption.reason.en, {
        expose: { refusal: exemption.code, reason: exemption.reason },
      });
    const year = yearOf(at);
    const done = await this.countedIn(tx, e.id, year);
    const decision = decideInspection(e, done, input.origin, at, exemption.exempt);
    if (!decision.allowed)
      throw new AppError('CONFLICT', decision.reason.en, { expose: { reason: decision.reason, counts: decision.counts, refusal: decision.code } });
    const inspection: Inspection = {
      id: randomUUID(),
      enterpriseId: e.id,
      authorityId: input.authorityId,
      origin: input.origin,
      joint: level > 0,
      exempt: decision.exempt,
      at,
      year,
      note: input.note ?? '',
      createdBy: actor,
      alertIds,
      basisRef: input.basisRef ?? null,
    };
    await tx.query(
      `INSERT INTO inspections (id, enterprise_id, authority_id, origin, joint, exempt, at, year, note, created_by, created_at, task_id, basis_alert_ids, basis_ref)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14)`,
      [
        inspection.id,
        e.id,
        inspection.authorityId,
        inspection.origin,
        inspection.joint,
        inspection.exempt,
        new Date(at),
        year,
        inspection.note,
        actor,
        new Date(now),
        opts.taskId ?? null,
        JSON.stringify(alertIds),
        inspection.basisRef,
      ],
    );
    const counts = yearCounts(e, [...done, { origin: input.origin, at, exempt: decision.exempt }], year);
    await appendAudit(tx, {
      actor,
      action: 'inspection.recorded',
      subjectType: 'inspection',
      subjectId: inspection.id,
      data: {
        ...inspection,
        ...(opts.taskId ? { taskId: opts.taskId } : {}),
        seriousAlertIds: exemption.seriousAlertIds,
        counts: { year: counts.year, counted: counts.counted, exempt: counts.exempt, cap: counts.cap },
      },
      at: now,
    });
    return { inspection, counts };
  }

  /** The enterprise's inspections of `year` as the cap counts them. */
  private async countedIn(q: Queryable, enterpriseId: string, year: number): Promise<CountedInspection[]> {
    const { rows } = await q.query<{ origin: Origin; at: Date; exempt: boolean }>(
      'SELECT origin, at, exempt FROM inspections WHERE enterprise_id = $1 AND year = $2',
      [enterpriseId, year],
    );
    return rows.map((d) => ({ origin: d.origin, at: new Date(d.at).getTime(), exempt: d.exempt }));
  }

  /** The alerts named as a basis, with their rules' `seriousViolation` flag from the catalogue in force. */
  private async basisAlerts(q: Queryable, ids: readonly string[]): Promise<BasisAlert[]> {
    if (ids.length === 0) return [];
    const { rows } = await q.query<{ id: string; enterprise_id: string; severity: Severity; fired_at: Date | null; rule_id: string }>(
      'SELECT id, enterprise_id, severity, fired_at, rule_id FROM alerts WHERE id = ANY($1::text[])',
      [ids],
    );
    const serious = await this.seriousRules();
    return rows.map((r) => ({ id: r.id, enterpriseId: r.enterprise_id, severity: r.severity, fired: r.fired_at !== null, seriousRule: serious(r.rule_id) }));
  }

  /**
   * Whether one more capped inspection of the enterprise is possible at `at`
   * (a remote verification turned into an on-site inspection): CAP_REACHED
   * otherwise. The caller's transaction; the enterprise row locked.
   */
  async checkCapped(tx: Queryable, enterpriseId: string, at: number): Promise<void> {
    const e = await this.facts.get(enterpriseId, tx, true);
    const decision = decideInspection(e, await this.countedIn(tx, e.id, yearOf(at)), 'data_monitoring', at, false);
    if (!decision.allowed)
      throw new AppError('CONFLICT', decision.reason.en, { expose: { reason: decision.reason, counts: decision.counts, refusal: decision.code } });
  }

  /** The enterprise's inspections, newest first. */
  async inspections(enterpriseId: string, limit: number): Promise<Inspection[]> {
    const { rows } = await this.db.query<InspectionRow>('SELECT * FROM inspections WHERE enterprise_id = $1 ORDER BY at DESC, id LIMIT $2', [
      enterpriseId,
      limit,
    ]);
    return rows.map(toInspection);
  }

  /** "扫码入企": the enterprise's ledger facts, this year's counts by origin against its cap, and its inspections of the year. */
  async summary(enterpriseId: string, year: number): Promise<{ enterprise: LedgerEntry; counts: YearCounts; inspections: Inspection[] }> {
    const enterprise = await this.facts.get(enterpriseId);
    const { rows } = await this.db.query<InspectionRow>('SELECT * FROM inspections WHERE enterprise_id = $1 AND year = $2 ORDER BY at', [enterpriseId, year]);
    const inspections = rows.map(toInspection);
    return { enterprise, counts: yearCounts(enterprise, inspections, year), inspections };
  }
}
