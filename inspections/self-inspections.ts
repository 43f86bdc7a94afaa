/**
 * Enterprise self-inspection reports (企业隐患自查自纠报告; domain rule 11, 应急〔2025〕11号 §十) in
 * PostgreSQL (migration 22). The policy — quarters, due dates, who must report, the shield — is pure:
 * `self-inspection-policy.ts`.
 *
 * - A report is a record (domain rule 8): once submitted it is never edited. A correction is a new report
 *   for the same quarter; the latest counts (`current`), the one it replaces is kept and named (`corrects`).
 * - Each self-reported hazard (自查隐患): description, the checklist item it concerns when it is one of the
 *   items a task at the enterprise's sector may carry (tasks/checklist.ts `checklistItemsOfSector`), major
 *   or not (an item the criteria mark major makes it major), the major hazard source it is at (one the
 *   enterprise has registered at the time: checked here, not by a foreign key, so a record keeps what was
 *   registered then), the rectification measures and deadline. Its rectification is appended once
 *   (rectified at / by / note), audited; only a hazard of the current report may be marked.
 * - Overdue (逾期未报): the enterprises that must report (policy `obligationOf`) without a report for the
 *   last quarter now due, with the days overdue; the enterprise file shows the same flag.
 * - The shield: `shieldingHazards` gives the task store the hazards an inspection's findings are matched
 *   against (the reports that were the latest of their quarter when the inspection began).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { withAudit } from '../core/audit.ts';
import type { Db, Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { Params, scopeSql, whereAll, type Scope } from '../core/jurisdiction.ts';
import { isHighRiskSector } from '../ledger/enterprise-facts.ts';
import {
  DAY_MS,
  DEFAULT_SELF_INSPECTION_POLICY,
  lastDuePeriod,
  obligationOf,
  parsePeriod,
  periodOf,
  periodRange,
  periodsDueIn,
  periodStatus,
  periodText,
  type Obligation,
  type PeriodStatus,
  type ReportedHazard,
  type ReportingRate,
  reportingRateOf,
  type SelfInspectionPolicy,
} from './self-inspection-policy.ts';
import { checklistItemsOfSector } from './tasks/checklist.ts';

/** The platform's bounds on a report: no period before 2000 (the platform's first year of records). */
const EARLIEST_YEAR = 2000;
/** Latest time the API takes (as the other routes: 9999-12-31). */
const MAX_TIME_MS = 253_402_300_799_000;

const text = (zh: string, en: string, max: number) =>
  z
    .string({ error: `${zh}必填 / ${en} is required` })
    .trim()
    .min(1, { error: `${zh}必填 / ${en} is required` })
    .max(max, { error: `${zh}不超过 ${max} 字 / ${en}: at most ${max} characters` });

export const hazardInput = z.strictObject({
  /** What was found (隐患描述). */
  description: text('隐患描述', 'description', 2000),
  /** The checklist item it concerns (检查事项), when it is one of the sector's items. */
  checklistItemId: z.string().min(1).max(100).optional(),
  /** A major accident hazard (重大事故隐患) under the sector's criteria. */
  major: z.boolean({ error: '是否重大事故隐患必填（true/false） / major is required (true or false)' }),
  /** The registered major hazard source (重大危险源) it is at. */
  hazardSourceCode: z.string().min(1).max(64).optional(),
  /** Rectification measures (整改措施). */
  measures: text('整改措施', 'measures', 2000),
  /** Rectification deadline (整改期限), epoch ms. */
  deadline: z
    .number({ error: '整改期限必填（毫秒时间戳） / deadline is required (epoch ms)' })
    .int({ error: '整改期限应为毫秒时间戳 / deadline must be epoch ms' })
    .positive({ error: '整改期限应为毫秒时间戳 / deadline must be epoch ms' })
    .max(MAX_TIME_MS, { error: '整改期限超出范围 / deadline is out of range' }),
});

export const reportInput = z.strictObject({
  /** The quarter, `2026-Q4` (China Standard Time). */
  period: z.string({ error: '报告期必填（如 2026-Q4） / period is required (e.g. 2026-Q4)' }).regex(/^\d{4}-Q[1-4]$/, {
    error: '报告期格式应为 2026-Q4 / period must look like 2026-Q4',
  }),
  /** What was inspected, by whom, and the outcome (检查情况). */
  summary: text('检查情况', 'summary', 8000),
  /** The hazards found; none is a report too (no major hazard found this quarter). */
  hazards: z.array(hazardInput).max(200, { error: '隐患不超过 200 条 / at most 200 hazards' }).default([]),
});
export type ReportInput = z.output<typeof reportInput>;

export const rectifiedInput = z.strictObject({
  /** How it was rectified (整改情况). */
  note: text('整改情况', 'note', 4000),
});

export interface SelfReportedHazard {
  id: string;
  reportId: string;
  enterpriseId: string;
  description: string;
  checklistItemId: string | null;
  major: boolean;
  hazardSourceCode: string | null;
  measures: string;
  deadline: number;
  rectifiedAt: number | null;
  rectifiedBy: string | null;
  rectifiedNote: string | null;
}

export interface SelfInspectionReport {
  id: string;
  enterpriseId: string;
  period: string;
  submittedAt: number;
  submittedBy: string;
  summary: string;
  hazardCount: number;
  /** The report of the same quarter this one replaces (a correction). */
  corrects: string | null;
  /** The latest report of its quarter: the one that counts. */
  current: boolean;
  hazards: SelfReportedHazard[];
}

/** An enterprise's standing: the last quarter now due, and whether its report is in. */
export interface SelfInspectionStatus extends PeriodStatus {
  /** The last quarter whose report is due (`period`, repeated under the name the file uses). */
  lastPeriod: string;
  mustReport: boolean;
  reason: Obligation['reason'];
  /** The latest quarter the enterprise has reported for, if any. */
  lastReportedPeriod: string | null;
  policy: SelfInspectionPolicy;
}

export interface OverdueEnterprise {
  enterpriseId: string;
  name: string;
  sector: string;
  authorityId: string | null;
  reason: Obligation['reason'];
  period: string;
  dueAt: number;
  daysOverdue: number;
  lastReportedPeriod: string | null;
}

interface ReportRow {
  id: string;
  enterprise_id: string;
  period: string;
  submitted_at: Date;
  submitted_by: string;
  summary: string;
  hazard_count: number;
  corrects: string | null;
  seq: string | number;
}

interface HazardRow {
  id: string;
  report_id: string;
  enterprise_id: string;
  description: string;
  checklist_item_id: string | null;
  major: boolean;
  hazard_source_code: string | null;
  measures: string;
  deadline: Date;
  rectified_at: Date | null;
  rectified_by: string | null;
  rectified_note: string | null;
}

const ms = (d: Date | null): number | null => (d === null ? null : new Date(d).getTime());

const hazardOf = (r: HazardRow): SelfReportedHazard => ({
  id: r.id,
  reportId: r.report_id,
  enterpriseId: r.enterprise_id,
  description: r.description,
  checklistItemId: r.checklist_item_id,
  major: r.major,
  hazardSourceCode: r.hazard_source_code,
  measures: r.measures,
  deadline: new Date(r.deadline).getTime(),
  rectifiedAt: ms(r.rectified_at),
  rectifiedBy: r.rectified_by,
  rectifiedNote: r.rectified_note,
});

/** 400 naming the field, in Chinese and English. */
const bad = (field: string, zh: string, en: string): AppError =>
  new AppError('BAD_REQUEST', `${field}: ${zh} / ${en}`, { expose: { field, reason: { zh: `${field}：${zh}`, en: `${field}: ${en}` } } });

interface EnterpriseRow {
  id: string;
  name: string;
  sector: string;
  authority_id: string | null;
  high_risk: boolean | null;
  created_at: Date;
  sources: string | number;
}

const ENTERPRISE_SELECT = `SELECT e.id, e.name, e.sector, e.authority_id, e.high_risk, e.created_at,
  (SELECT count(*) FROM major_hazard_sources h WHERE h.enterprise_id = e.id) AS sources FROM enterprises e`;

const subjectOf = (e: EnterpriseRow) => ({
  highRisk: e.high_risk ?? isHighRiskSector(e.sector),
  hazardSources: Number(e.sources),
  createdAt: new Date(e.created_at).getTime(),
});

export class SelfInspections {
  constructor(
    private readonly db: Db,
    /** When reports are due (the bureau's setting; default: the platform's). */
    readonly policy: SelfInspectionPolicy = DEFAULT_SELF_INSPECTION_POLICY,
  ) {}

  /** Submits a report (or a correction: a new report for a quarter already reported). 400 naming the field. */
  async submit(enterpriseId: string, input: ReportInput, actor: string, now: number): Promise<SelfInspectionReport> {
    const p = parsePeriod(input.period);
    if (!p || p.year < EARLIEST_YEAR) throw bad('body.period', `报告期应为 ${EARLIEST_YEAR} 年以后的季度`, `a quarter from ${EARLIEST_YEAR} on`);
    const range = periodRange(p);
    if (range.from > now) throw bad('body.period', `${input.period} 尚未开始`, `${input.period} has not begun`);
    const current = periodOf(now);
    const back = (current.year - p.year) * 4 + (current.quarter - p.quarter);
    if (back > this.policy.maxPastQuarters)
      throw bad(
        'body.period',
        `只能报告或更正最近 ${this.policy.maxPastQuarters} 个季度`,
        `only the last ${this.policy.maxPastQuarters} quarters may be reported or corrected`,
      );
    const latestDeadline = now + this.policy.maxDeadlineDays * DAY_MS;
    const id = randomUUID();
    return withAudit(
      this.db,
      async (tx) => {
        const ent = await tx.query<{ sector: string }>('SELECT sector FROM enterprises WHERE id = $1 FOR UPDATE', [enterpriseId]);
        const sector = ent.rows[0]?.sector;
        if (sector === undefined) throw new AppError('NOT_FOUND', `enterprise ${enterpriseId} not found`);
        const items = new Map(checklistItemsOfSector(sector).map((i) => [i.id, i]));
        const sources = new Set(
          (await tx.query<{ code: string }>('SELECT code FROM major_hazard_sources WHERE enterprise_id = $1', [enterpriseId])).rows.map((r) => r.code),
        );
        input.hazards.forEach((h, n) => {
          if (h.checklistItemId !== undefined && !items.has(h.checklistItemId))
            throw bad(
              `body.hazards.${n}.checklistItemId`,
              `'${h.checklistItemId}' 不是本行业（${sector}）的检查事项`,
              `'${h.checklistItemId}' is not a checklist item of the sector ${sector}`,
            );
          if (h.hazardSourceCode !== undefined && !sources.has(h.hazardSourceCode))
            throw bad(
              `body.hazards.${n}.hazardSourceCode`,
              `企业未登记重大危险源 '${h.hazardSourceCode}'`,
              `the enterprise has no registered major hazard source '${h.hazardSourceCode}'`,
            );
          if (h.deadline < range.from)
            throw bad(`body.hazards.${n}.deadline`, `整改期限早于报告期 ${input.period} 开始`, `the deadline is before ${input.period} began`);
          if (h.deadline > latestDeadline)
            throw bad(
              `body.hazards.${n}.deadline`,
              `整改期限不得晚于报告后 ${this.policy.maxDeadlineDays} 天`,
              `the deadline is at most ${this.policy.maxDeadlineDays} days after the report`,
            );
        });
        const prior = await tx.query<{ id: string }>(
          'SELECT id FROM self_inspection_reports WHERE enterprise_id = $1 AND period = $2 ORDER BY submitted_at DESC, seq DESC LIMIT 1',
          [enterpriseId, input.period],
        );
        const corrects = prior.rows[0]?.id ?? null;
        await tx.query(
          `INSERT INTO self_inspection_reports (id, enterprise_id, period, submitted_at, submitted_by, summary, hazard_count, corrects)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [id, enterpriseId, input.period, new Date(now), actor, input.summary, input.hazards.length, corrects],
        );
        for (const [n, h] of input.hazards.entries()) {
          // a failing item the criteria mark as major is a major hazard, whatever was entered (as a task's finding)
          const major = h.major || (h.checklistItemId !== undefined && items.get(h.checklistItemId)!.major);
          await tx.query(
            `INSERT INTO self_reported_hazards (id, report_id, enterprise_id, seq, description, checklist_item_id, major, hazard_source_code, measures, deadline)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
            [randomUUID(), id, enterpriseId, n, h.description, h.checklistItemId ?? null, major, h.hazardSourceCode ?? null, h.measures, new Date(h.deadline)],
          );
        }
        return (await this.reports(tx, enterpriseId, { id }))[0]!;
      },
      (report) => ({
        actor,
        action: report.corrects ? 'self_inspection.corrected' : 'self_inspection.reported',
        subjectType: 'self_inspection_report',
        subjectId: report.id,
        data: { enterpriseId, period: report.period, summary: report.summary, corrects: report.corrects, hazards: report.hazards },
        at: now,
      }),
    );
  }

  /** Reports of an enterprise, newest first, each with its hazards and whether it is the current one of its quarter. */
  list(enterpriseId: string, f: { period?: string | undefined; limit: number }): Promise<SelfInspectionReport[]> {
    return this.reports(this.db, enterpriseId, f);
  }

  private async reports(q: Queryable, enterpriseId: string, f: { id?: string; period?: string | undefined; limit?: number }): Promise<SelfInspectionReport[]> {
    const p = new Params();
    const conds = [
      `r.enterprise_id = ${p.add(enterpriseId)}`,
      f.id !== undefined ? `r.id = ${p.add(f.id)}` : undefined,
      f.period !== undefined ? `r.period = ${p.add(f.period)}` : undefined,
    ];
    const { rows } = await q.query<ReportRow & { latest: string }>(
      `SELECT r.*, (SELECT l.id FROM self_inspection_reports l WHERE l.enterprise_id = r.enterprise_id AND l.period = r.period
                    ORDER BY l.submitted_at DESC, l.seq DESC LIMIT 1) AS latest
         FROM self_inspection_reports r ${whereAll(conds)} ORDER BY r.submitted_at DESC, r.seq DESC LIMIT ${p.add(f.limit ?? 1)}`,
      p.values,
    );
    const ids = rows.map((r) => r.id);
    const hazards = (await q.query<HazardRow>('SELECT * FROM self_reported_hazards WHERE report_id = ANY($1::text[]) ORDER BY report_id, seq', [ids])).rows.map(
      hazardOf,
    );
    return rows.map((r) => ({
      id: r.id,
      enterpriseId: r.enterprise_id,
      period: r.period,
      submittedAt: new Date(r.submitted_at).getTime(),
      submittedBy: r.submitted_by,
      summary: r.summary,
      hazardCount: Number(r.hazard_count),
      corrects: r.corrects,
      current: r.latest === r.id,
      hazards: hazards.filter((h) => h.reportId === r.id),
    }));
  }

  /** Records a self-reported hazard as rectified (once; appended, audited). 404 if not the enterprise's; 409 if done, or of a replaced report. */
  async rectify(enterpriseId: string, hazardId: string, note: string, actor: string, now: number): Promise<SelfReportedHazard> {
    return withAudit(
      this.db,
      async (tx) => {
        const { rows } = await tx.query<HazardRow & { period: string }>(
          `SELECT h.*, r.period FROM self_reported_hazards h JOIN self_inspection_reports r ON r.id = h.report_id
            WHERE h.id = $1 AND h.enterprise_id = $2 FOR UPDATE OF h`,
          [hazardId, enterpriseId],
        );
        const h = rows[0];
        if (!h) throw new AppError('NOT_FOUND', `self-reported hazard ${hazardId} not found`);
        if (h.rectified_at !== null)
          throw new AppError('CONFLICT', `隐患已于 ${new Date(h.rectified_at).toISOString()} 整改完成 / the hazard was recorded as rectified already`, {
            expose: { refusal: 'ALREADY_RECTIFIED' },
          });
        const latest = await tx.query<{ id: string }>(
          'SELECT id FROM self_inspection_reports WHERE enterprise_id = $1 AND period = $2 ORDER BY submitted_at DESC, seq DESC LIMIT 1',
          [enterpriseId, h.period],
        );
        if (latest.rows[0]?.id !== h.report_id)
          throw new AppError(
            'CONFLICT',
            `该隐患所在报告已被更正报告 ${latest.rows[0]?.id} 取代，请在最新报告的隐患上登记 / the report was replaced by the correction ${latest.rows[0]?.id}: mark the hazard of the latest report`,
            { expose: { refusal: 'REPORT_REPLACED', current: latest.rows[0]?.id } },
          );
        const out = await tx.query<HazardRow>(
          'UPDATE self_reported_hazards SET rectified_at = $2, rectified_by = $3, rectified_note = $4 WHERE id = $1 AND rectified_at IS NULL RETURNING *',
          [hazardId, new Date(now), actor, note],
        );
        return hazardOf(out.rows[0]!);
      },
      (h) => ({
        actor,
        action: 'self_inspection.hazard_rectified',
        subjectType: 'self_reported_hazard',
        subjectId: h.id,
        data: { enterpriseId, reportId: h.reportId, note, deadline: h.deadline, late: now > h.deadline },
        at: now,
      }),
    );
  }

  /** The enterprise's standing for the last quarter now due (the enterprise file's flag). */
  async statusOf(enterpriseId: string, now: number, q: Queryable = this.db): Promise<SelfInspectionStatus> {
    const { rows } = await q.query<EnterpriseRow>(`${ENTERPRISE_SELECT} WHERE e.id = $1`, [enterpriseId]);
    const e = rows[0];
    if (!e) throw new AppError('NOT_FOUND', `enterprise ${enterpriseId} not found`);
    const p = lastDuePeriod(now, this.policy);
    const ob = obligationOf(subjectOf(e), p);
    const subs = await q.query<{ submitted_at: Date }>('SELECT submitted_at FROM self_inspection_reports WHERE enterprise_id = $1 AND period = $2', [
      enterpriseId,
      periodText(p),
    ]);
    const last = await q.query<{ period: string }>(
      'SELECT period FROM self_inspection_reports WHERE enterprise_id = $1 AND submitted_at <= $2 ORDER BY period DESC LIMIT 1',
      [enterpriseId, new Date(now)],
    );
    const s = periodStatus(
      p,
      subs.rows.map((r) => new Date(r.submitted_at).getTime()),
      ob.required,
      now,
      this.policy,
    );
    return { ...s, lastPeriod: s.period, mustReport: ob.required, reason: ob.reason, lastReportedPeriod: last.rows[0]?.period ?? null, policy: this.policy };
  }

  /** The enterprises in `scope` that must report and have no report for the last quarter now due, most overdue first (then by id). */
  async overdue(scope: Scope, now: number): Promise<{ period: string; dueAt: number; policy: SelfInspectionPolicy; enterprises: OverdueEnterprise[] }> {
    const p = lastDuePeriod(now, this.policy);
    const period = periodText(p);
    const params = new Params();
    const s = scopeSql(scope, params, 'e.id');
    const { rows } = await this.db.query<EnterpriseRow & { reported: boolean; last_period: string | null }>(
      `${s.cte}SELECT x.*,
          EXISTS (SELECT 1 FROM self_inspection_reports r WHERE r.enterprise_id = x.id AND r.period = ${params.add(period)} AND r.submitted_at <= ${params.add(new Date(now))}) AS reported,
          (SELECT max(r.period) FROM self_inspection_reports r WHERE r.enterprise_id = x.id AND r.submitted_at <= ${params.add(new Date(now))}) AS last_period
        FROM (${ENTERPRISE_SELECT} ${whereAll([s.cond])}) x ORDER BY x.id`,
      params.values,
    );
    const enterprises: OverdueEnterprise[] = [];
    for (const e of rows) {
      const ob = obligationOf(subjectOf(e), p);
      const st = periodStatus(p, e.reported ? [now] : [], ob.required, now, this.policy);
      if (!st.overdue) continue;
      enterprises.push({
        enterpriseId: e.id,
        name: e.name,
        sector: e.sector,
        authorityId: e.authority_id,
        reason: ob.reason,
        period,
        dueAt: st.dueAt,
        daysOverdue: st.daysOverdue,
        lastReportedPeriod: e.last_period,
      });
    }
    return { period, dueAt: periodStatus(p, [], false, now, this.policy).dueAt, policy: this.policy, enterprises };
  }

  /**
   * The reporting rate of a set of enterprises over [from, to) (for the KPIs): each quarter whose report
   * fell due in the period (and by `now`), for each enterprise that had to report it (policy
   * `obligationOf`), is one report due; it was made on time if a report for the quarter came by its due
   * instant. Enterprises not in the ledger are left out.
   */
  async reportingRate(
    enterpriseIds: readonly string[],
    range: { from: number; to: number },
    now: number,
  ): Promise<ReportingRate & { periods: string[]; items: { enterpriseId: string; period: string; reported: boolean; onTime: boolean }[] }> {
    const periods = periodsDueIn(range.from, Math.min(range.to, now + 1), this.policy);
    const names = periods.map(periodText);
    const ents = (await this.db.query<EnterpriseRow>(`${ENTERPRISE_SELECT} WHERE e.id = ANY($1::text[]) ORDER BY e.id`, [[...enterpriseIds]])).rows;
    const subs = (
      await this.db.query<{ enterprise_id: string; period: string; submitted_at: Date }>(
        'SELECT enterprise_id, period, submitted_at FROM self_inspection_reports WHERE enterprise_id = ANY($1::text[]) AND period = ANY($2::text[])',
        [[...enterpriseIds], names],
      )
    ).rows;
    const items: { enterpriseId: string; period: string; reported: boolean; onTime: boolean }[] = [];
    for (const e of ents)
      for (const p of periods) {
        if (!obligationOf(subjectOf(e), p).required) continue;
        const at = subs.filter((r) => r.enterprise_id === e.id && r.period === periodText(p)).map((r) => new Date(r.submitted_at).getTime());
        const st = periodStatus(p, at, true, now, this.policy);
        items.push({ enterpriseId: e.id, period: st.period, reported: st.reported, onTime: st.onTime });
      }
    return { ...reportingRateOf(items), periods: names, items };
  }
}

/**
 * The self-reported hazards of an enterprise an inspection that began at `inspectionAt` matches its findings
 * against (policy `shieldOf`): those of the reports that were then the latest of their quarter.
 */
export async function shieldingHazards(q: Queryable, enterpriseId: string, inspectionAt: number): Promise<ReportedHazard[]> {
  const { rows } = await q.query<{ id: string; checklist_item_id: string | null; submitted_at: Date; deadline: Date; rectified_at: Date | null }>(
    `WITH current AS (
       SELECT DISTINCT ON (period) id, submitted_at FROM self_inspection_reports
        WHERE enterprise_id = $1 AND submitted_at <= $2 ORDER BY period, submitted_at DESC, seq DESC
     )
     SELECT h.id, h.checklist_item_id, c.submitted_at, h.deadline, h.rectified_at
       FROM self_reported_hazards h JOIN current c ON c.id = h.report_id WHERE h.checklist_item_id IS NOT NULL`,
    [enterpriseId, new Date(inspectionAt)],
  );
  return rows.map((r) => ({
    id: r.id,
    checklistItemId: r.checklist_item_id,
    reportedAt: new Date(r.submitted_at).getTime(),
    deadline: new Date(r.deadline).getTime(),
    rectifiedAt: ms(r.rectified_at),
  }));
}

/**
 * For the KPI work: the self-inspection reporting rate of `enterpriseIds` over [from, to) — reports due
 * (each quarter falling due in the period, by `now`, for each enterprise that had to report it) against
 * those made on time. `SelfInspections.reportingRate` with the given policy (default: the platform's).
 */
export const selfInspectionReportingRate = (
  db: Db,
  enterpriseIds: readonly string[],
  range: { from: number; to: number },
  now: number,
  policy: SelfInspectionPolicy = DEFAULT_SELF_INSPECTION_POLICY,
) => new SelfInspections(db, policy).reportingRate(enterpriseIds, range, now);
