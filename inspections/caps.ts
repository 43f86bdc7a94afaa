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
 * - Any other inspection (annual plan, random sampling, dynamic) beyond the
 *   cap is refused with a clear reason.
 */

/** High-risk sectors (2021 §(二)): mines, hazardous chemicals, fireworks, metal smelting, explosive dust. */
export const HIGH_RISK_SECTORS = ['mine', 'hazardous_chemicals', 'fireworks', 'metal_smelting', 'explosive_dust'] as const;

/** Safety standardization grade (安全生产标准化等级). */
export const GRADES = ['1', '2', '3', 'ungraded'] as const;
export type Grade = (typeof GRADES)[number];

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

/** Origins the cap does not limit; they are still counted. */
export const CAP_EXEMPT: ReadonlySet<Origin> = new Set<Origin>(['complaint', 'referral', 'data_monitoring', 'recheck']);

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

export const isHighRiskSector = (sector: string): boolean => (HIGH_RISK_SECTORS as readonly string[]).includes(sector);

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

/** This year's counts of an enterprise from its inspections (any years given; only `year` is counted). */
export function yearCounts(e: CapSubject, inspections: readonly { origin: Origin; at: number }[], year: number): YearCounts {
  const byOrigin = Object.fromEntries(ORIGINS.map((o) => [o, 0])) as Record<Origin, number>;
  for (const i of inspections) if (yearOf(i.at) === year) byOrigin[i.origin]++;
  const exempt = ORIGINS.filter((o) => CAP_EXEMPT.has(o)).reduce((n, o) => n + byOrigin[o], 0);
  const total = ORIGINS.reduce((n, o) => n + byOrigin[o], 0);
  const counted = total - exempt;
  const cap = capOf(e);
  return { year, cap, byOrigin, counted, exempt, total, remaining: Math.max(0, cap - counted) };
}

export type CapDecision =
  { allowed: true; exempt: boolean; counts: YearCounts } | { allowed: false; code: 'CAP_REACHED'; reason: { zh: string; en: string }; counts: YearCounts };

/** Whether one more inspection of `origin` at `at` may take place, given the enterprise's inspections so far. */
export function decideInspection(e: CapSubject, inspections: readonly { origin: Origin; at: number }[], origin: Origin, at: number): CapDecision {
  const counts = yearCounts(e, inspections, yearOf(at));
  if (CAP_EXEMPT.has(origin)) return { allowed: true, exempt: true, counts };
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
