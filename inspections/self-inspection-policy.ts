/**
 * Enterprise self-inspection (企业隐患自查自纠报告; domain rule 11, 应急〔2025〕11号 §十): pure policy.
 *
 * - **Period**: the calendar quarter in China Standard Time (UTC+8, no daylight saving), written
 *   `2026-Q4` — §十 asks each enterprise to inspect its major hazards "每季度至少检查1次" and report to
 *   the bureau of its jurisdiction.
 * - **Due**: the end of the quarter plus a grace the bureau sets (`graceDays`; the platform's default is
 *   15 days, labelled as the bureau's setting: §十 names no reporting deadline). Q4 2026 ends
 *   2027-01-01 00:00 CST; with 15 days it is due by 2027-01-16 00:00 CST (reports through 15 January).
 * - **Who must report** (flagged when late): an enterprise that is high-risk (the ledger's `highRisk`,
 *   else its sector: mines, hazardous chemicals, fireworks, metal smelting, explosive dust — as the
 *   yearly caps) or has a registered major hazard source (重大危险源), for each quarter that ended after
 *   it was entered in the ledger. §十 addresses every enterprise; the platform flags those whose major
 *   hazards the bureau watches most closely. Other enterprises may report; they are not flagged.
 * - **Days overdue**: CST calendar days from the day after the last grace day, that day counting 1.
 * - **Shield** (不予处罚): a non-compliant finding on a checklist item matches a self-reported hazard of
 *   the same item reported before the inspection began (the arrival on site), in the report that was
 *   then the latest for its quarter, not rectified by then (a hazard found failing after it was declared
 *   fixed is not being fixed), and whose rectification deadline had not passed (a missed deadline no
 *   longer shields it).
 */

export const CST_OFFSET_MS = 8 * 3600_000;
export const DAY_MS = 86_400_000;

/** How self-inspection reports are due; the bureau's setting. */
export interface SelfInspectionPolicy {
  /** Days after the end of the quarter within which its report is due. */
  graceDays: number;
  /**
   * Longest rectification deadline a self-reported hazard may give, days after the report (a hazard shields a
   * later inspection's finding only until its deadline: no deadline may make the shield permanent).
   */
  maxDeadlineDays: number;
  /** Oldest quarter that may still be reported (or corrected), in quarters before the current one. */
  maxPastQuarters: number;
  /** Where the number comes from. */
  source: { zh: string; en: string };
}

export const DEFAULT_SELF_INSPECTION_POLICY: SelfInspectionPolicy = {
  graceDays: 15,
  maxDeadlineDays: 365,
  maxPastQuarters: 4,
  source: {
    zh: '报送期限：季度结束后 15 天（属地应急管理部门设定；平台默认值，应急〔2025〕11号 §十 要求每季度至少检查并报告1次，未规定报送期限）；整改期限不超过报告后 365 天，可报告或更正最近 4 个季度（平台默认值）',
    en: "due 15 days after the end of the quarter (the bureau's setting; the platform's default — 应急〔2025〕11号 §十 asks for a check and report at least quarterly and sets no reporting deadline); a rectification deadline at most 365 days after the report and a quarter at most 4 back (the platform's defaults)",
  },
};

export interface Period {
  year: number;
  quarter: 1 | 2 | 3 | 4;
}

const PERIOD_RE = /^(\d{4})-Q([1-4])$/;

/** `2026-Q4` → { year: 2026, quarter: 4 }; undefined for anything else. */
export function parsePeriod(text: string): Period | undefined {
  const m = PERIOD_RE.exec(text);
  if (!m) return undefined;
  return { year: Number(m[1]), quarter: Number(m[2]) as Period['quarter'] };
}

export const periodText = (p: Period): string => `${p.year}-Q${p.quarter}`;

/** The quarter (CST) holding the instant. */
export function periodOf(ms: number): Period {
  const d = new Date(ms + CST_OFFSET_MS);
  return { year: d.getUTCFullYear(), quarter: (Math.floor(d.getUTCMonth() / 3) + 1) as Period['quarter'] };
}

/** The quarter's instants [from, to), epoch ms: 2026-Q4 is 2026-09-30T16:00Z to 2026-12-31T16:00Z. */
export function periodRange(p: Period): { from: number; to: number } {
  const startMonth = (p.quarter - 1) * 3;
  return { from: Date.UTC(p.year, startMonth, 1) - CST_OFFSET_MS, to: Date.UTC(p.year, startMonth + 3, 1) - CST_OFFSET_MS };
}

export const previousPeriod = (p: Period): Period =>
  p.quarter === 1 ? { year: p.year - 1, quarter: 4 } : { year: p.year, quarter: (p.quarter - 1) as Period['quarter'] };
export const nextPeriod = (p: Period): Period =>
  p.quarter === 4 ? { year: p.year + 1, quarter: 1 } : { year: p.year, quarter: (p.quarter + 1) as Period['quarter'] };

/** When the quarter's report is due: its end plus the grace (a report at or before this instant is on time). */
export const dueAt = (p: Period, policy: SelfInspectionPolicy): number => periodRange(p).to + policy.graceDays * DAY_MS;

/** The latest quarter whose report is due by `now` (its due instant at or before now). */
export function lastDuePeriod(now: number, policy: SelfInspectionPolicy): Period {
  let p = periodOf(now);
  while (dueAt(p, policy) > now) p = previousPeriod(p);
  return p;
}

/** The quarters whose due instant lies in [from, to), oldest first. */
export function periodsDueIn(from: number, to: number, policy: SelfInspectionPolicy): Period[] {
  const out: Period[] = [];
  if (!(to > from)) return out;
  let p = lastDuePeriod(to - 1, policy);
  while (dueAt(p, policy) >= from) {
    out.unshift(p);
    p = previousPeriod(p);
  }
  return out;
}

/** CST calendar days a report due at `due` is late at `now` (0 if not late): the first day after the grace counts 1. */
export function daysOverdue(now: number, due: number): number {
  if (now < due) return 0;
  const day = (ms: number) => Math.floor((ms + CST_OFFSET_MS) / DAY_MS);
  return day(now) - day(due) + 1;
}

export interface ObligationSubject {
  /** The ledger's high-risk classification (sector or set). */
  highRisk: boolean;
  /** Registered major hazard sources. */
  hazardSources: number;
  /** When the enterprise was entered in the ledger, epoch ms. */
  createdAt: number;
}

export type Obligation = { required: true; reason: { zh: string; en: string } } | { required: false; reason: { zh: string; en: string } };

/** Whether the enterprise must report for the quarter (and so is flagged when late). */
export function obligationOf(e: ObligationSubject, p: Period): Obligation {
  if (!e.highRisk && e.hazardSources === 0)
    return {
      required: false,
      reason: { zh: '非高危行业且无登记的重大危险源，不作逾期提醒', en: 'not high-risk and no registered major hazard source: not flagged' },
    };
  if (e.createdAt >= periodRange(p).to)
    return { required: false, reason: { zh: `${periodText(p)} 结束后才录入台账`, en: `entered in the ledger after ${periodText(p)} ended` } };
  return e.hazardSources > 0
    ? { required: true, reason: { zh: `有登记的重大危险源 ${e.hazardSources} 处`, en: `${e.hazardSources} registered major hazard source(s)` } }
    : { required: true, reason: { zh: '高危行业企业', en: 'high-risk sector' } };
}

export interface PeriodStatus {
  period: string;
  dueAt: number;
  /** A report for the quarter was submitted (at any time so far). */
  reported: boolean;
  /** The first report came at or before the due instant. */
  onTime: boolean;
  /** Required, due, and not reported. */
  overdue: boolean;
  daysOverdue: number;
}

/** The standing of one quarter for one enterprise, from the submission times of its reports for that quarter. */
export function periodStatus(p: Period, submittedAts: readonly number[], required: boolean, now: number, policy: SelfInspectionPolicy): PeriodStatus {
  const due = dueAt(p, policy);
  const reported = submittedAts.some((t) => t <= now);
  const onTime = submittedAts.some((t) => t <= due && t <= now);
  const overdue = required && !reported && now >= due;
  return { period: periodText(p), dueAt: due, reported, onTime, overdue, daysOverdue: overdue ? daysOverdue(now, due) : 0 };
}

/** A self-reported hazard as the shield decision needs it. */
export interface ReportedHazard {
  id: string;
  checklistItemId: string | null;
  /** When its report was submitted. */
  reportedAt: number;
  deadline: number;
  rectifiedAt: number | null;
}

export type ShieldDecision =
  | { shielded: true; hazardId: string }
  | { shielded: false; reason: 'no_report' | 'reported_after' | 'rectified' | 'deadline_passed'; hazardId?: string | undefined };

const WHY_NOT: Record<Exclude<ShieldDecision, { shielded: true }>['reason'], number> = { deadline_passed: 3, rectified: 2, reported_after: 1, no_report: 0 };

/**
 * Whether a non-compliant finding on `itemId`, at an inspection that began at `inspectionAt`, is a hazard
 * the enterprise reported itself and is fixing. `hazards` are those of the enterprise's current reports
 * (the latest for each quarter as of the inspection). Not shielded: the closest miss, for the record.
 */
export function shieldOf(itemId: string, hazards: readonly ReportedHazard[], inspectionAt: number): ShieldDecision {
  let miss: Exclude<ShieldDecision, { shielded: true }> = { shielded: false, reason: 'no_report' };
  for (const h of hazards.filter((x) => x.checklistItemId === itemId).sort((a, b) => a.reportedAt - b.reportedAt || a.id.localeCompare(b.id))) {
    const why =
      h.reportedAt > inspectionAt
        ? ('reported_after' as const)
        : h.rectifiedAt !== null && h.rectifiedAt <= inspectionAt
          ? ('rectified' as const)
          : h.deadline < inspectionAt
            ? ('deadline_passed' as const)
            : undefined;
    if (why === undefined) return { shielded: true, hazardId: h.id };
    if (WHY_NOT[why] > WHY_NOT[miss.reason]) miss = { shielded: false, reason: why, hazardId: h.id };
  }
  return miss;
}

/** Reporting rate over some enterprise × quarter obligations: reports due vs made on time. */
export interface ReportingRate {
  due: number;
  onTime: number;
  late: number;
  missing: number;
  /** onTime ÷ due, 4 decimals; null when nothing was due. */
  rate: number | null;
}

export function reportingRateOf(statuses: readonly Pick<PeriodStatus, 'reported' | 'onTime'>[]): ReportingRate {
  const due = statuses.length;
  const onTime = statuses.filter((s) => s.onTime).length;
  const late = statuses.filter((s) => s.reported && !s.onTime).length;
  return { due, onTime, late, missing: due - onTime - late, rate: due === 0 ? null : Math.round((onTime / due) * 10_000) / 10_000 };
}
