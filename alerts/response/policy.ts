/**
 * The enterprise's response to its alarm (issue #18, domain rule 13): the time limits to sign for (签收) and
 * to feed back (反馈: cause, measures), which grades the bureau reviews, and when false-alarm explanations
 * count against the enterprise. Policy data, pure, checked with zod.
 *
 * Sources. The national practice (安委办〔2019〕11号 and the provinces' 预警信息处置管理办法, e.g. 吉林省
 * 《危险化学品安全生产风险监测预警管理运行机制（试行）》2020) sets the flow — pushed to the enterprise and its
 * responsible persons, signed for, cause found and fed back within limits, the bureau supervises — but the
 * minutes are each province's. None of the numbers below is taken from a published text: every one is the
 * platform's default for the bureau to set (`RESPONSE_POLICY_SOURCES`), in config `response.*`.
 */
import { z } from 'zod';
import type { PatternName } from '../patterns/pattern.ts';
import { SEVERITIES, type Severity } from '../types.ts';

/** The cause categories of an enterprise's feedback (issue #18 §3). */
export const RESPONSE_CAUSES = ['genuine_hazard', 'false_alarm', 'instrument_fault', 'maintenance', 'process_fluctuation', 'other'] as const;
export type ResponseCause = (typeof RESPONSE_CAUSES)[number];
export const CAUSE_NAMES: Readonly<Record<ResponseCause, { zh: string; en: string }>> = {
  genuine_hazard: { zh: '真实隐患', en: 'genuine hazard' },
  false_alarm: { zh: '误报', en: 'false alarm' },
  instrument_fault: { zh: '仪表故障', en: 'instrument fault' },
  maintenance: { zh: '检修作业', en: 'maintenance' },
  process_fluctuation: { zh: '工艺波动', en: 'process fluctuation' },
  other: { zh: '其他', en: 'other' },
};

/**
 * Kinds of alarm, for the time limits: a process value beyond its limit (超限), a safety system out of
 * action (联锁/安全设施), an instrument or its data gone wrong (仪表/数据异常), the link down (联网中断).
 */
export const ALARM_KINDS = ['process', 'safety_system', 'instrument', 'connectivity'] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];
export const ALARM_KIND_NAMES: Readonly<Record<AlarmKind, { zh: string; en: string }>> = {
  process: { zh: '工艺参数超限', en: 'process value beyond its limit' },
  safety_system: { zh: '联锁/安全设施失效', en: 'safety system out of action' },
  instrument: { zh: '仪表或数据异常', en: 'instrument or data fault' },
  connectivity: { zh: '联网中断', en: 'link down' },
};

const KIND_OF_PATTERN: Readonly<Record<PatternName, AlarmKind>> = {
  threshold: 'process',
  rate_of_rise: 'process',
  sustained: 'process',
  difference: 'process',
  correlated_detectors: 'process',
  interlock_failure: 'safety_system',
  safety_off_in_production: 'safety_system',
  frozen: 'instrument',
  out_of_range: 'instrument',
  drop_to_zero: 'instrument',
  data_silence: 'instrument',
  gateway_points_silent: 'instrument',
  gateway_offline: 'connectivity',
};
/** The kind of an alarm of a rule with this pattern (an unknown or missing pattern: a process alarm). */
export const alarmKindOf = (pattern: string | undefined): AlarmKind => KIND_OF_PATTERN[pattern as PatternName] ?? 'process';

const ms = z.number().int().positive();
const perGrade = z.strictObject({ red: ms, orange: ms, yellow: ms, blue: ms });

export const responsePolicySchema = z.strictObject({
  /** Time to sign for, from when the alarm reached the enterprise, by grade (ms). */
  signMs: perGrade,
  /** Time to feed back (cause, measures), from the same start, by grade (ms). */
  feedbackMs: perGrade,
  /** Per kind of alarm, feedback limits that replace the grade's where given (an instrument is not repaired in 30 minutes). */
  feedbackMsByKind: z.partialRecord(z.enum(ALARM_KINDS), perGrade.partial()).default({}),
  /** Grades whose feedback an officer reviews (accepts or rejects): issue #18 §4 names orange and red. */
  reviewGrades: z.array(z.enum(SEVERITIES)).default(['orange', 'red']),
  /**
   * Time an officer has to review the feedback on a reviewed grade (from the feedback), ms; past it the alarm
   * becomes a supervision item and escalates as an unacknowledged alarm would (the bureau's clock runs again).
   */
  reviewMs: z.strictObject({ red: ms, orange: ms, yellow: ms, blue: ms }),
  /** Time to feed back again after a rejection, ms. */
  refeedbackMs: ms,
  /** A point whose alarms were explained as false alarms this many times within `falseAlarmWindowMs` (this one included) is a repeated false alarm. */
  falseAlarmRepeats: z.number().int().min(2),
  falseAlarmWindowMs: ms,
});
export type ResponsePolicy = z.output<typeof responsePolicySchema>;

const MIN = 60_000;
const HOUR = 60 * MIN;

/** The platform's defaults; the bureau sets its own (config `response`). */
export const DEFAULT_RESPONSE_POLICY: ResponsePolicy = {
  signMs: { red: 5 * MIN, orange: 15 * MIN, yellow: 30 * MIN, blue: HOUR },
  feedbackMs: { red: 30 * MIN, orange: HOUR, yellow: 4 * HOUR, blue: 24 * HOUR },
  feedbackMsByKind: { instrument: { red: 4 * HOUR, orange: 4 * HOUR }, connectivity: { red: 2 * HOUR, orange: 2 * HOUR } },
  reviewGrades: ['orange', 'red'],
  reviewMs: { red: 30 * MIN, orange: HOUR, yellow: 4 * HOUR, blue: 24 * HOUR },
  refeedbackMs: HOUR,
  falseAlarmRepeats: 3,
  falseAlarmWindowMs: 30 * 24 * HOUR,
};

const BUREAU = { zh: '平台默认值，由监管部门按本省预警信息处置办法设定', en: "the platform's default, for the bureau to set by its province's rules" };
/** Where each number comes from (shown with the policy in the console and docs). */
export const RESPONSE_POLICY_SOURCES: Readonly<Record<keyof ResponsePolicy, { zh: string; en: string }>> = {
  signMs: BUREAU,
  feedbackMs: BUREAU,
  feedbackMsByKind: BUREAU,
  reviewGrades: { zh: '议题 #18 第4项：橙色、红色报警的企业反馈由值班员审核', en: 'issue #18 item 4: officers review the feedback on orange and red alarms' },
  reviewMs: BUREAU,
  refeedbackMs: BUREAU,
  falseAlarmRepeats: BUREAU,
  falseAlarmWindowMs: BUREAU,
};

/** The policy with the bureau's overrides (config), checked; a bad override is refused with its path. */
export function responsePolicy(overrides: Partial<Record<string, unknown>> = {}): ResponsePolicy {
  // only the policy's own keys (the config section also holds the sweep's interval)
  const known = Object.entries(overrides).filter(([k, v]) => v !== undefined && k in DEFAULT_RESPONSE_POLICY);
  const merged = { ...DEFAULT_RESPONSE_POLICY, ...Object.fromEntries(known) };
  for (const k of ['signMs', 'feedbackMs', 'reviewMs'] as const) {
    const o = overrides[k];
    if (o && typeof o === 'object') merged[k] = { ...DEFAULT_RESPONSE_POLICY[k], ...o };
  }
  return responsePolicySchema.parse(merged);
}

export interface Deadlines {
  signDueAt: number;
  feedbackDueAt: number;
  /** Whether an officer reviews the feedback. */
  review: boolean;
}

/** When the enterprise must sign for and feed back on an alarm of `severity` and `kind` that reached it at `from`. */
export function deadlinesFor(severity: Severity, kind: AlarmKind, from: number, policy: ResponsePolicy): Deadlines {
  const signMs = policy.signMs[severity];
  const feedbackMs = Math.max(policy.feedbackMsByKind[kind]?.[severity] ?? policy.feedbackMs[severity], signMs);
  return { signDueAt: from + signMs, feedbackDueAt: from + feedbackMs, review: policy.reviewGrades.includes(severity) };
}
