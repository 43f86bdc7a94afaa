/**
 * Risk warnings (预警), apart from point alarms (报警) — issue #17 item 3. A point alarm is a reading
 * crossing a threshold (the rules worker's alerts); a risk warning is the judgement about an enterprise or
 * one of its major hazard sources, graded 红橙黄蓝 (重大/较大/一般/低 = red/orange/yellow/blue), drawn from
 * (../shared/domain.md, "How the national system works"):
 *
 * - **live alarms**: each standing alarm by its grade; longer than a time it rises a grade; a point alarming
 *   again and again within a day; compound patterns (an interlock that did not act, a safety device off while
 *   producing, the signs of tampering: frozen or dropped readings);
 * - **data quality**: a gateway offline, points gone silent;
 * - **the ledger's dynamic risk factors** (一企一档: an overdue major hazard, a fatal accident within three
 *   years, …);
 * - **inherent risk**: a 一级/二级 major hazard source (GB 18218-2018) or a sector the bureau names lifts a
 *   warning of yellow or above one grade.
 *
 * The factors are then aggregated the way tailings-dam monitoring practice rolls points up into an item
 * and items up into the dam (domain.md: 4 blue make a yellow, 3 yellow an orange, 2 orange a red); an
 * enterprise's warning takes its hazard sources' warnings as factors. Everything is pure: the same inputs
 * and policy give the same level and the same explanation (the factors, each with its reason, and the
 * promotions). The policy is data, versioned and checked (zod); every number in it carries its source or
 * says it is the platform's default for the bureau to set (`POLICY_SOURCES`).
 */
import { z } from 'zod';
import type { Severity } from '../types.ts';

export const WARNING_LEVELS = ['blue', 'yellow', 'orange', 'red'] as const;
export type WarningLevel = (typeof WARNING_LEVELS)[number];
/** `none`: no factor stands. */
export type WarningResult = WarningLevel | 'none';
export const WARNING_NAMES: Record<WarningResult, { zh: string; en: string }> = {
  none: { zh: '无预警', en: 'no warning' },
  blue: { zh: '蓝色预警（低风险）', en: 'blue warning (low)' },
  yellow: { zh: '黄色预警（一般风险）', en: 'yellow warning (moderate)' },
  orange: { zh: '橙色预警（较大风险）', en: 'orange warning (considerable)' },
  red: { zh: '红色预警（重大风险）', en: 'red warning (major)' },
};

export const rankOf = (l: WarningResult): number => (l === 'none' ? -1 : WARNING_LEVELS.indexOf(l));
const higher = (a: WarningResult, b: WarningResult): WarningResult => (rankOf(a) >= rankOf(b) ? a : b);
const lift = (l: WarningLevel, by = 1): WarningLevel => WARNING_LEVELS[Math.min(WARNING_LEVELS.length - 1, rankOf(l) + by)]!;

const level = z.enum(WARNING_LEVELS);
const ms = z.number().int().positive();

export const riskPolicySchema = z.strictObject({
  /** Raised on every change of the policy; each warning and event records the version it was judged by. */
  version: z.number().int().positive(),
  alarms: z.strictObject({
    /** The factor a standing alarm gives, by the alarm's grade. */
    byGrade: z.strictObject({ blue: level, yellow: level, orange: level, red: level }),
    /** An alarm of at least this grade standing longer than `standingMs` gives a factor one grade higher. */
    standingFrom: level,
    standingMs: ms,
    /** A point that alarmed `repeats` times or more within `repeatWindowMs` (this alarm included) gives a factor of `repeatLevel`. */
    repeats: z.number().int().min(2),
    repeatWindowMs: ms,
    repeatLevel: level,
    /** Patterns that give a factor of their own level whatever the alarm's grade. */
    patterns: z.record(z.string(), level),
  }),
  dataQuality: z.strictObject({
    /** A gateway offline longer than each limit gives that level (longest limit reached counts). */
    offline: z.array(z.strictObject({ afterMs: ms, level })).min(1),
    /** Points silent: any gives `anyLevel`; a share at least `share` of the subject's points gives `shareLevel`. */
    silentAnyLevel: level,
    silentShare: z.number().gt(0).max(1),
    silentShareLevel: level,
  }),
  /** The ledger's dynamic risk factors (ledger/enterprise-facts.ts RISK_FACTORS) and the level each gives; unlisted: none. */
  ledgerFactors: z.record(z.string(), level),
  inherent: z.strictObject({
    /** Major hazard levels (1–4) that lift a warning of at least `liftFrom` one grade. */
    hazardLevels: z.array(z.number().int().min(1).max(4)),
    /** Sectors whose enterprises' warnings of at least `liftFrom` rise one grade (none by default). */
    sectors: z.array(z.string()),
    liftFrom: level,
  }),
  /** How many factors of a level make one of the next (tailings-dam practice): blue → yellow, yellow → orange, orange → red. */
  aggregate: z.strictObject({ blue: z.number().int().min(2), yellow: z.number().int().min(2), orange: z.number().int().min(2) }),
});
export type RiskPolicy = z.output<typeof riskPolicySchema>;

const PLATFORM = '平台默认值，由监管部门设定 / platform default, for the bureau to set';

/** The default policy. Where each number comes from: `POLICY_SOURCES`. */
export const DEFAULT_RISK_POLICY: RiskPolicy = {
  version: 1,
  alarms: {
    byGrade: { blue: 'blue', yellow: 'blue', orange: 'yellow', red: 'orange' },
    standingFrom: 'orange',
    standingMs: 30 * 60_000,
    repeats: 3,
    repeatWindowMs: 24 * 3_600_000,
    repeatLevel: 'yellow',
    patterns: { interlock_failure: 'red', safety_off_in_production: 'orange', frozen: 'orange', drop_to_zero: 'orange' },
  },
  dataQuality: {
    offline: [
      { afterMs: 3_600_000, level: 'blue' },
      { afterMs: 24 * 3_600_000, level: 'yellow' },
    ],
    silentAnyLevel: 'blue',
    silentShare: 0.2,
    silentShareLevel: 'yellow',
  },
  ledgerFactors: {
    overdue_major_hazard: 'yellow',
    fatal_accident_3y: 'blue',
    major_hazard_penalty_1y: 'blue',
    dishonesty_list: 'blue',
    suspended_for_rectification: 'blue',
    renovation_or_construction: 'blue',
    closing_down: 'blue',
    weak_red_line_awareness: 'blue',
  },
  inherent: { hazardLevels: [1, 2], sectors: [], liftFrom: 'yellow' },
  aggregate: { blue: 4, yellow: 3, orange: 2 },
};

/** Where each number of the default policy comes from (docs/risk-warnings.md prints it). */
export const POLICY_SOURCES: Record<string, string> = {
  'alarms.byGrade': `${PLATFORM}：一处报警本身不构成重大风险，红色报警计为橙色因素 / one alarm alone is not a major risk: a red alarm counts as an orange factor`,
  'alarms.standingMs': `${PLATFORM}（30 分钟）`,
  'alarms.repeats': `${PLATFORM}（24 小时内 3 次）；ISA-18.2 / EEMUA 191 将反复报警视为需处理的不良报警 / repeating alarms are bad actors to be dealt with`,
  'alarms.patterns': `${PLATFORM}：联锁失效为红色（正在发生的失控），安全设施在生产中关闭、数据冻结或归零为橙色（规避监测的迹象）`,
  'dataQuality.offline': `${PLATFORM}（1 小时蓝色，24 小时黄色；24 小时与任务规则的长时间离线一致）`,
  'dataQuality.silent': `${PLATFORM}（任一测点中断为蓝色，20% 以上为黄色）`,
  ledgerFactors: `${PLATFORM}；动态风险因素见 2021 年执法意见 §(二)（ledger/enterprise-facts.ts）`,
  'inherent.hazardLevels': 'GB 18218-2018 重大危险源分级（一级、二级风险最高）；提升一级为平台默认值 / lifting one grade is the platform default',
  aggregate: '尾矿库在线监测预警做法：4 个蓝色为黄色，3 个黄色为橙色，2 个橙色为红色（../shared/domain.md）/ tailings-dam practice',
};

/** A live alarm as the policy reads it. */
export interface AlarmInput {
  id: string;
  ruleId: string;
  /** The rule's pattern (from the catalogue). */
  pattern: string;
  severity: Severity;
  /** Point id, `zone:<zone>` or `gateway:<id>`. */
  subject: string;
  /** When it fired (data or duty time; the standing time runs from here). */
  firedAt: number;
  /** Alarms of the same rule and subject within the policy's repeat window, this one included. */
  repeats: number;
  /** The rule's name (the catalogue's), for the explanation; the id when absent. */
  ruleName?: { zh: string; en: string } | undefined;
}

/** What a subject (an enterprise or one of its major hazard sources) is judged on. */
export interface RiskInputs {
  /** The subject's major hazard level (for an enterprise, its highest: the smallest number), if any. */
  hazardLevel?: number | undefined;
  sector: string;
  /** Standing alarms of the subject (firing or acknowledged), integrity alarms (offline, silence) excluded. */
  alarms: readonly AlarmInput[];
  /** Gateways offline, since when. */
  offline: readonly { gatewayId: string; since: number }[];
  /** Points of the subject silent now, and how many points it has. */
  silentPoints: number;
  points: number;
  /** The ledger's dynamic risk factors (enterprise only). */
  ledgerFactors: readonly string[];
  /** For an enterprise: its major hazard sources' current warnings. */
  children: readonly { code: string; name: string; level: WarningResult }[];
}

export type FactorKind = 'alarm' | 'standing' | 'repeats' | 'pattern' | 'offline' | 'silent' | 'ledger' | 'hazard_source' | 'inherent' | 'aggregate';

/** One reason for the warning: what it is, the level it gives, in words. */
export interface Factor {
  kind: FactorKind;
  level: WarningLevel;
  zh: string;
  en: string;
  /** The alarm, gateway, hazard source or ledger factor it is about. */
  ref?: string;
}

export interface Judgement {
  level: WarningResult;
  /** Every factor that stands, highest first; `inherent` and `aggregate` entries say how the level was lifted. */
  factors: Factor[];
  policyVersion: number;
}

const minutes = (msv: number) => Math.round(msv / 60_000);
const hoursText = (msv: number) => Math.round((msv / 3_600_000) * 10) / 10;

/** The factors of the inputs, before lifting and aggregation. */
function factorsOf(x: RiskInputs, p: RiskPolicy, now: number): Factor[] {
  const out: Factor[] = [];
  for (const a of x.alarms) {
    const base = p.alarms.byGrade[a.severity];
    out.push({
      kind: 'alarm',
      level: base,
      ref: a.id,
      zh: `${a.subject} ${severityZh[a.severity]}报警（${a.ruleName?.zh ?? a.ruleId}）`,
      en: `${a.severity} alarm on ${a.subject} (${a.ruleName?.en ?? a.ruleId})`,
    });
    const standing = now - a.firedAt;
    if (rankOf(a.severity) >= rankOf(p.alarms.standingFrom) && standing > p.alarms.standingMs)
      out.push({
        kind: 'standing',
        level: lift(base),
        ref: a.id,
        zh: `${a.subject} ${severityZh[a.severity]}报警已持续 ${minutes(standing)} 分钟（超过 ${minutes(p.alarms.standingMs)} 分钟）`,
        en: `${a.severity} alarm on ${a.subject} standing ${minutes(standing)} min (over ${minutes(p.alarms.standingMs)} min)`,
      });
    if (a.repeats >= p.alarms.repeats)
      out.push({
        kind: 'repeats',
        level: p.alarms.repeatLevel,
        ref: a.id,
        zh: `${a.subject} ${hoursText(p.alarms.repeatWindowMs)} 小时内报警 ${a.repeats} 次（${a.ruleName?.zh ?? a.ruleId}）`,
        en: `${a.subject} alarmed ${a.repeats} times within ${hoursText(p.alarms.repeatWindowMs)} h (${a.ruleName?.en ?? a.ruleId})`,
      });
    const patternLevel = p.alarms.patterns[a.pattern];
    if (patternLevel)
      out.push({
        kind: 'pattern',
        level: patternLevel,
        ref: a.id,
        zh: `${a.subject} ${PATTERN_ZH[a.pattern] ?? a.pattern}（${a.ruleName?.zh ?? a.ruleId}）`,
        en: `${a.subject}: ${PATTERN_EN[a.pattern] ?? a.pattern} (${a.ruleName?.en ?? a.ruleId})`,
      });
  }
  for (const g of x.offline) {
    const lasted = now - g.since;
    const reached = [...p.dataQuality.offline].sort((a, b) => b.afterMs - a.afterMs).find((o) => lasted > o.afterMs);
    if (reached)
      out.push({
        kind: 'offline',
        level: reached.level,
        ref: `gateway:${g.gatewayId}`,
        zh: `网关 ${g.gatewayId} 离线 ${hoursText(lasted)} 小时`,
        en: `gateway ${g.gatewayId} offline for ${hoursText(lasted)} h`,
      });
  }
  if (x.silentPoints > 0) {
    const share = x.points > 0 ? x.silentPoints / x.points : 1;
    const lvl = share >= p.dataQuality.silentShare ? p.dataQuality.silentShareLevel : p.dataQuality.silentAnyLevel;
    out.push({
      kind: 'silent',
      level: lvl,
      zh: `${x.silentPoints}/${x.points} 个测点数据中断`,
      en: `${x.silentPoints} of ${x.points} points silent`,
    });
  }
  for (const f of x.ledgerFactors) {
    const lvl = p.ledgerFactors[f];
    if (lvl)
      out.push({ kind: 'ledger', level: lvl, ref: f, zh: `动态风险因素：${LEDGER_FACTOR_ZH[f] ?? f}`, en: `dynamic risk factor: ${f.replace(/_/g, ' ')}` });
  }
  for (const c of x.children)
    if (c.level !== 'none')
      out.push({
        kind: 'hazard_source',
        level: c.level,
        ref: c.code,
        zh: `重大危险源 ${c.name}（${c.code}）${WARNING_NAMES[c.level].zh}`,
        en: `major hazard source ${c.code}: ${WARNING_NAMES[c.level].en}`,
      });
  return out;
}

/** The warning of one subject at `now`, with its explanation. Pure. */
export function judge(x: RiskInputs, policy: RiskPolicy = DEFAULT_RISK_POLICY, now: number): Judgement {
  const factors = factorsOf(x, policy, now);
  let top: WarningResult = factors.reduce<WarningResult>((m, f) => higher(m, f.level), 'none');
  const extra: Factor[] = [];
  // aggregation (tailings-dam practice): n factors of a level make one of the next, counted upwards; one
  // alarm (or gateway, or hazard source) counts once, at the highest level of its factors
  const counts: Record<WarningLevel, number> = { blue: 0, yellow: 0, orange: 0, red: 0 };
  const byRef = new Map<string, WarningLevel>();
  for (const f of factors) {
    const key = f.ref ?? f.kind;
    const seen = byRef.get(key);
    if (seen === undefined || rankOf(f.level) > rankOf(seen)) byRef.set(key, f.level);
  }
  for (const l of byRef.values()) counts[l]++;
  for (const [from, to] of [
    ['blue', 'yellow'],
    ['yellow', 'orange'],
    ['orange', 'red'],
  ] as const) {
    const need = policy.aggregate[from];
    if (counts[from] >= need) {
      const made = Math.floor(counts[from] / need);
      counts[to] += made;
      extra.push({
        kind: 'aggregate',
        level: to,
        zh: `${counts[from]} 个${LEVEL_ZH[from]}因素（每 ${need} 个计为 1 个${LEVEL_ZH[to]}）`,
        en: `${counts[from]} ${from} factors (every ${need} count as one ${to})`,
      });
      top = higher(top, to);
    }
  }
  // inherent risk: a 一级/二级 major hazard source or a named sector lifts a warning of at least `liftFrom`
  if (top !== 'none' && rankOf(top) >= rankOf(policy.inherent.liftFrom) && top !== 'red') {
    const byLevel = x.hazardLevel !== undefined && policy.inherent.hazardLevels.includes(x.hazardLevel);
    const bySector = policy.inherent.sectors.includes(x.sector);
    if (byLevel || bySector) {
      const lifted = lift(top);
      extra.push({
        kind: 'inherent',
        level: lifted,
        zh: byLevel ? `${HAZARD_LEVEL_ZH[x.hazardLevel!]}重大危险源，预警升一级` : `${x.sector} 行业，预警升一级`,
        en: byLevel ? `level ${x.hazardLevel} major hazard source: one grade up` : `sector ${x.sector}: one grade up`,
      });
      top = lifted;
    }
  }
  const all = [...factors, ...extra].sort((a, b) => rankOf(b.level) - rankOf(a.level));
  return { level: top, factors: all, policyVersion: policy.version };
}

const severityZh: Record<Severity, string> = { blue: '蓝色', yellow: '黄色', orange: '橙色', red: '红色' };
const LEVEL_ZH: Record<WarningLevel, string> = { blue: '蓝色', yellow: '黄色', orange: '橙色', red: '红色' };
const HAZARD_LEVEL_ZH: Record<number, string> = { 1: '一级', 2: '二级', 3: '三级', 4: '四级' };
const PATTERN_ZH: Record<string, string> = {
  interlock_failure: '联锁未动作',
  safety_off_in_production: '生产中安全设施关闭',
  frozen: '数据冻结（疑似篡改或仪表故障）',
  drop_to_zero: '数据突降为零（疑似篡改或仪表故障）',
};
const PATTERN_EN: Record<string, string> = {
  interlock_failure: 'interlock did not act',
  safety_off_in_production: 'safety device off while producing',
  frozen: 'readings frozen (tampering or a failed instrument)',
  drop_to_zero: 'readings dropped to zero (tampering or a failed instrument)',
};
const LEDGER_FACTOR_ZH: Record<string, string> = {
  fatal_accident_3y: '近三年发生过亡人事故',
  major_hazard_penalty_1y: '近一年因重大事故隐患受处罚',
  overdue_major_hazard: '重大事故隐患逾期未整改',
  dishonesty_list: '列入失信惩戒名单',
  suspended_for_rectification: '停产整顿',
  renovation_or_construction: '改扩建施工',
  closing_down: '关闭退出中',
  weak_red_line_awareness: '安全红线意识薄弱',
};
