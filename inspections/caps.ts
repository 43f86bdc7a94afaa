/**
 * Inspection counts and the yearly frequency caps (应急〔2025〕11号 §三; domain
 * rule 3). Pure: no I/O, time passed in.
 *
 * - Every inspection of an enterprise in a calendar year (China Standard
 *   Time) is counted, by origin.
 * - The cap depends on the sector (high-risk or not) and the safety
 *   standardization grade: high-risk 2/4/8/12, others 1/2/4/6 for grade
 *   1/2/3/ungraded.
 * - Inspections triggered by complaints or reports, referrals, or serious
 *   violations found by data monitoring are exempt from the cap ("可以不受频次
 *   上限限制") but counted and shown. Re-checks of a rectification order are
 *   exempt too: they close the loop of an inspection already counted (2025 §八
 *   "及时复核"), and a cap must never stop a hazard being verified as fixed.
 * - The exemption is earned, not chosen (`exemptionOf`): a complaint or a
 *   referral names its number (`basisRef`), a re-check recorded outside its
 *   task the rectification order it checks; an inspection found by data
 *   monitoring names the alert(s) it rests on, of the same enterprise, and at
 *   least one must be a serious violation (`isSeriousViolation`: red, or of a
 *   rule the catalogue marks `seriousViolation` — tampering, safety devices
 *   switched off, interlock failures). Only "数据监测监控发现的严重违法行为"
 *   is exempt; other alerts are verified remotely first (2025 §七).
 * - Any other inspection (annual plan, random sampling, dynamic, or data
 *   monitoring of no serious violation reached through a task) beyond the
 *   cap is refused with a clear reason.
 * - An inspection is dated between 2000-01-01 (CST) and a few minutes after
 *   now (`inspectionTimeProblem`).
 */

// the sectors' classification and the grades are the enterprise's ledger facts
import { GRADES, HIGH_RISK_SECTORS, isHighRiskSector, type Grade } from '../ledger/enterprise-facts.ts';
export { GRADES, HIGH_RISK_SECTORS, isHighRiskSector, type Grade };

/** Why an inspection happens. */
export const ORIGINS = ['annual_plan', 'random', 'dynamic', 'complaint', 'referral', 'data_monitoring', 'recheck'] as const;
export type Origin = (typeof ORIGINS)[number];

export const ORIGIN_NAMES: Record<Origin, { zh: string; en: string }> = {
  annual_plan: { zh: '年度计划', en: 'annual plan' },
  random: { zh: '双随机抽查', en: 'random sampling' },
  dynamic: { zh: '动态检查', en: 'dynamic (risk factors)' },
  complaint: { zh: '投诉举报', en: 'complaint or report' },
  referral: { zh: '转办交办', en: 'referral' },
  data_monitoring: { zh: '数据监测监控发现', en: 'found by data monitoring' },
  recheck: { zh: '整改复查', en: 're-check of a rectification' },
};

/** Origins the cap may not limit, given their basis (`exemptionOf`); they are still counted. */
export const CAP_EXEMPT: ReadonlySet<Origin> = new Set<Origin>(['complaint', 'referral', 'data_monitoring', 'recheck']);

/** Origins that must name a complaint or referral number (`basisRef`). */
export const REF_ORIGINS: ReadonlySet<Origin> = new Set<Origin>(['complaint', 'referral']);

export type Severity = 'blue' | 'yellow' | 'orange' | 'red';

/** An alert an inspection names as its basis, as the ledger finds it. */
export interface BasisAlert {
  id: string;
  enterpriseId: string;
  /** The highest grade the alert reached. */
  severity: Severity;
  /** Whether it fired (a pending alert is no finding yet). */
  fired: boolean;
  /** Whether its rule is marked `seriousViolation` in the rule catalogue in force. */
  seriousRule: boolean;
}

/** A serious violation found by data monitoring (2025 §三): a red alert, or one of a rule the catalogue marks serious. */
export const isSeriousViolation = (a: Pick<BasisAlert, 'severity' | 'seriousRule'>): boolean => a.severity === 'red' || a.seriousRule;

export type BasisRefusal = 'BASIS_REQUIRED' | 'BASIS_UNKNOWN_ALERT' | 'BASIS_NOT_SERIOUS';

export type ExemptionDecision =
  { ok: true; exempt: boolean; seriousAlertIds: string[] } | { ok: false; code: BasisRefusal; reason: { zh: string; en: string } };

/**
 * Whether an inspection of `origin` is exempt from the cap, given the basis
 * it names: `alertIds` as requested and the `alerts` found of them;
 * `ref`, a complaint or referral number. A data-monitoring inspection of
 * alerts none of which is serious is refused (`onUnfounded: 'refuse'`, an
 * inspection recorded directly) or counted against the cap like a planned
 * one (`'count'`, the visit of a task opened by such alerts, or converted
 * from a remote verification).
 */
export function exemptionOf(
  origin: Origin,
  enterpriseId: string,
  basis: { alertIds: readonly string[]; alerts: readonly BasisAlert[]; ref?: string | undefined },
  onUnfounded: 'refuse' | 'count',
): ExemptionDecision {
  if (origin === 'recheck') {
    // a task's re-check visit rests on the task (its rectification order); one recorded directly names the order
    if (onUnfounded === 'refuse' && (basis.ref === undefined || basis.ref.trim() === ''))
      return {
        ok: false,
        code: 'BASIS_REQUIRED',
        reason: {
          zh: '整改复查须填写所复查的整改指令（basisRef：任务编号或责令整改文书编号），方可不受频次上限限制',
          en: 'a re-check must name the rectification order it checks (basisRef: the task id or the order number) to be exempt from the cap',
        },
      };
    return { ok: true, exempt: true, seriousAlertIds: [] };
  }
  if (REF_ORIGINS.has(origin)) {
    if (basis.ref === undefined || basis.ref.trim() === '')
      return {
        ok: false,
        code: 'BASIS_REQUIRED',
        reason: {
          zh: `${ORIGIN_NAMES[origin].zh}检查须填写${origin === 'complaint' ? '投诉举报' : '转办交办'}编号（basisRef），方可不受频次上限限制（应急〔2025〕11号 三）`,
          en: `a ${ORIGIN_NAMES[origin].en} inspection must give the ${origin === 'complaint' ? 'complaint' : 'referral'} number (basisRef) to be exempt from the cap`,
        },
      };
    return { ok: true, exempt: true, seriousAlertIds: [] };
  }
  if (origin !== 'data_monitoring') return { ok: true, exempt: false, seriousAlertIds: [] };
  if (basis.alertIds.length === 0)
    return {
      ok: false,
      code: 'BASIS_REQUIRED',
      reason: {
        zh: '数据监测监控发现的检查须列明所依据的报警（alertIds）：仅严重违法行为不受频次上限限制（应急〔2025〕11号 三）',
        en: 'an inspection found by data monitoring must name the alert(s) it rests on (alertIds): only serious violations are exempt from the cap',
      },
    };
  const found = new Map(basis.alerts.map((a) => [a.id, a]));
  const unknown = basis.alertIds.filter((id) => {
    const a = found.get(id);
    return !a || a.enterpriseId !== enterpriseId || !a.fired;
  });
  // a task's own alerts are the system's references: one no longer found is simply not a serious violation
  if (unknown.length > 0 && onUnfounded === 'refuse')
    return {
      ok: false,
      code: 'BASIS_UNKNOWN_ALERT',
      reason: {
        zh: `所列报警不是企业 ${enterpriseId} 已发出的报警：${unknown.join('、')}`,
        en: `not a fired alert of enterprise ${enterpriseId}: ${unknown.join(', ')}`,
      },
    };
  const serious = basis.alertIds.filter((id) => {
    const a = found.get(id);
    return a !== undefined && a.enterpriseId === enterpriseId && a.fired && isSeriousViolation(a);
  });
  if (serious.length > 0) return { ok: true, exempt: true, seriousAlertIds: serious };
  if (onUnfounded === 'count') return { ok: true, exempt: false, seriousAlertIds: [] };
  return {
    ok: false,
    code: 'BASIS_NOT_SERIOUS',
    reason: {
      zh: `所列报警均不属于严重违法行为（红色报警、篡改数据、关闭安全设施、联锁失效），应先远程核查；确需现场检查的，按计划内检查计入频次上限：${basis.alertIds.join('、')}`,
      en: `none of the alerts is a serious violation (red, tampering, safety devices off, interlock failure); verify them remotely first, or inspect on site as a capped inspection: ${basis.alertIds.join(', ')}`,
    },
  };
}

/**
 * Earliest date of an inspection: 2000-01-01 00:00 CST. The platform's bound:
 * the first year the inspection summary answers for (api/inspections.ts),
 * long before any supervision record the platform holds; a date in 1970 is
 * a missing value, not an inspection.
 */
export const EARLIEST_INSPECTION_AT = Date.UTC(1999, 11, 31, 16);

/**
 * How far after the platform clock an inspection may be dated: 5 minutes,
 * the platform's default allowance for the clock of an inspector's phone.
 * An inspection is recorded when it has taken place, never ahead.
 */
export const INSPECTION_FUTURE_SKEW_MS = 5 * 60_000;

/** Why `at` cannot be an inspection's date at `now`, or `undefined` when it can. */
export function inspectionTimeProblem(at: number, now: number): string | undefined {
  if (!Number.isSafeInteger(at)) return 'at: an integer epoch time in milliseconds';
  if (at < EARLIEST_INSPECTION_AT)
    return `at: before 2000-01-01 (CST), the earliest date the platform records an inspection for (${new Date(at).toISOString()})`;
  if (at > now + INSPECTION_FUTURE_SKEW_MS)
    return `at: more than ${INSPECTION_FUTURE_SKEW_MS / 60_000} min after now (${new Date(at).toISOString()}); an inspection is recorded once it has taken place`;
  return undefined;
}

/** Yearly caps by sector class and grade (2025 §三). */
export const CAPS: Readonly<Record<'high_risk' | 'other', Readonly<Record<Grade, number>>>> = {
  high_risk: { '1': 2, '2': 4, '3': 8, ungraded: 12 },
  other: { '1': 1, '2': 2, '3': 4, ungraded: 6 },
};

export interface CapSubject {
  /** Whether the enterprise is in a high-risk sector (or is flagged as such in the ledger). */
  highRisk: boolean;
  grade: Grade;
}

export const capOf = (e: CapSubject): number => CAPS[e.highRisk ? 'high_risk' : 'other'][e.grade];

const CST_OFFSET_MS = 8 * 3_600_000;

/** The calendar year of a moment in China Standard Time (UTC+8, no daylight saving). */
export const yearOf = (ms: number): number => new Date(ms + CST_OFFSET_MS).getUTCFullYear();

/** [start, end) of a CST calendar year, epoch ms. */
export const yearRange = (year: number): { from: number; to: number } => ({
  from: Date.UTC(year, 0, 1) - CST_OFFSET_MS,
  to: Date.UTC(year + 1, 0, 1) - CST_OFFSET_MS,
});

export interface YearCounts {
  year: number;
  cap: number;
  byOrigin: Record<Origin, number>;
  /** Inspections the cap limits (not exempt). */
  counted: number;
  /** Exempt inspections (counted and shown, not limited). */
  exempt: number;
  total: number;
  /** Capped inspections still possible this year (0 when reached). */
  remaining: number;
}

/** An inspection as the cap sees it: its origin, date and whether it was recorded as exempt. */
export interface CountedInspection {
  origin: Origin;
  at: number;
  exempt: boolean;
}

/** This year's counts of an enterprise from its inspections (any years given; only `year` is counted). */
export function yearCounts(e: CapSubject, inspections: readonly CountedInspection[], year: number): YearCounts {
  const byOrigin = Object.fromEntries(ORIGINS.map((o) => [o, 0])) as Record<Origin, number>;
  let exempt = 0;
  for (const i of inspections)
    if (yearOf(i.at) === year) {
      byOrigin[i.origin]++;
      if (i.exempt) exempt++;
    }
  const total = ORIGINS.reduce((n, o) => n + byOrigin[o], 0);
  const counted = total - exempt;
  const cap = capOf(e);
  return { year, cap, byOrigin, counted, exempt, total, remaining: Math.max(0, cap - counted) };
}

export type CapDecision =
  { allowed: true; exempt: boolean; counts: YearCounts } | { allowed: false; code: 'CAP_REACHED'; reason: { zh: string; en: string }; counts: YearCounts };

/**
 * Whether one more inspection of `origin` at `at` may take place, given the
 * enterprise's inspections so far and whether its basis makes it exempt
 * (`exemptionOf`).
 */
export function decideInspection(e: CapSubject, inspections: readonly CountedInspection[], origin: Origin, at: number, exempt: boolean): CapDecision {
  const counts = yearCounts(e, inspections, yearOf(at));
  if (exempt) return { allowed: true, exempt: true, counts };
  if (counts.counted < counts.cap) return { allowed: true, exempt: false, counts };
  const cls = e.highRisk ? { zh: '高危行业', en: 'high-risk sector' } : { zh: '非高危行业', en: 'non-high-risk sector' };
  const grade =
    e.grade === 'ungraded' ? { zh: '未定级', en: 'ungraded' } : { zh: `标准化${'一二三'[Number(e.grade) - 1]}级`, en: `standardization grade ${e.grade}` };
  return {
    allowed: false,
    code: 'CAP_REACHED',
    reason: {
      zh: `${counts.year}年度执法检查已达上限：${cls.zh}${grade.zh}企业每年不超过${counts.cap}次，已检查${counts.counted}次（另有不受上限限制的${counts.exempt}次）。${ORIGIN_NAMES[origin].zh}检查不能再安排；投诉举报、转办交办、数据监测监控发现的严重违法行为不受此限。`,
      en: `the ${counts.year} inspection cap is reached: a ${cls.en} enterprise of ${grade.en} may be inspected at most ${counts.cap} times a year and has been inspected ${counts.counted} times (plus ${counts.exempt} exempt). No further ${ORIGIN_NAMES[origin].en} inspection can be scheduled; complaints, referrals and serious violations found by data monitoring are not limited.`,
    },
    counts,
  };
}
