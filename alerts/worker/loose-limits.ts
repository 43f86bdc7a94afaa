/**
 * Registered limits looser than the standard allows (issue #3 point 1), as
 * alerts of their own: rule `common.loose_limit`, orange, one alert per
 * registered override (enterprise + sensor + rule) whatever number of its
 * parameters are loose. The standard's limit is what the rules use meanwhile
 * (resolve.ts clamps it); the alert tells the authority that the enterprise
 * registered something it may not.
 *
 * Subject: `limit:<ruleId>@<sensorId>` (`limit:gas.combustible@GT-101`), or
 * `limit:<ruleId>@*` for a registration covering every point of the enterprise.
 *
 * Pure: `planLooseLimits` compares what is loose now with the rule's alerts
 * and returns the findings that bring them in line, so the worker can run it
 * at start and after every change, and a restart neither loses nor doubles one:
 *
 * - loose, no active alert → raise at `now` (one registration, one episode);
 * - loose, an active alert → nothing (still the same registered problem);
 * - loose, its last alert disposed (处置) after the registration → nothing: an
 *   officer has dealt with it; registering the override again raises anew;
 * - an active alert, nothing loose any more (corrected, deleted, or the
 *   standard changed) → clear at `now`.
 */
import type { LooseOverride } from '../rules/overrides.ts';
import { episodeEndOf, isActive, type Alert } from '../state/index.ts';
import { fingerprintOf, type Finding } from '../types.ts';

/** Rule id of the alert raised when a registered limit is looser than the standard allows (登记报警值宽于标准). */
export const LOOSE_LIMIT_RULE_ID = 'common.loose_limit';

/** `limit:gas.combustible@GT-101`; `limit:gas.combustible@*` when registered for every point of the enterprise. */
export const looseLimitSubject = (o: { ruleId: string; sensorId: string | null | undefined }): string => `limit:${o.ruleId}@${o.sensorId ?? '*'}`;

/** One registered override's loose parameters, with what the alert says about them. */
export interface LooseGroup {
  enterpriseId: string;
  sensorId: string | null;
  ruleId: string;
  subject: string;
  fingerprint: string;
  /** When the override was registered (ms); a disposal after it silences the alert until it is registered again. */
  registeredAt: number;
  limits: LooseOverride[];
  message: { zh: string; en: string };
}

/** What the message needs besides the loose limits. */
export interface LooseContext {
  /** When the override was last registered (ms). */
  registeredAt(l: LooseOverride): number;
  /** The rule's name, when the catalogue has it. */
  ruleName(ruleId: string): { zh: string; en: string } | undefined;
  /** The unit of the point(s) the override is registered for ('' when unknown or mixed). */
  pointUnit(l: LooseOverride): string;
}

/** The unit a parameter is in: thresholds and deadbands are in the point's unit, `…Ms` durations in ms, anything else unitless. */
export function paramUnit(param: string, pointUnit: string): string {
  const last = param.split('.').at(-1) ?? param;
  if (last === 'threshold' || last === 'deadband') return pointUnit;
  return last.endsWith('Ms') ? 'ms' : '';
}

const withUnit = (v: number, unit: string): string => (unit ? `${v} ${unit}` : String(v));

/** `GT-101 可燃气体浓度报警（gas.combustible）：levels.level1.threshold 登记报警值 30 %LEL 宽于标准上限 25 %LEL（GB/T 50493-2019…），按标准值执行` */
export function looseLimitMessage(limits: readonly LooseOverride[], ctx: Pick<LooseContext, 'ruleName' | 'pointUnit'>): { zh: string; en: string } {
  const first = limits[0]!;
  const name = ctx.ruleName(first.ruleId);
  const where = { zh: first.sensorId ?? '全部测点', en: first.sensorId ?? 'every point' };
  const zh = limits.map((l) => {
    const u = paramUnit(l.param, ctx.pointUnit(l));
    const bound = l.registered > l.standardLimit ? '上限' : '下限';
    return `${l.param} 登记报警值 ${withUnit(l.registered, u)} 宽于标准${bound} ${withUnit(l.standardLimit, u)}（${l.standard}）`;
  });
  const en = limits.map((l) => {
    const u = paramUnit(l.param, ctx.pointUnit(l));
    const bound = l.registered > l.standardLimit ? 'maximum' : 'minimum';
    return `registered ${l.param} ${withUnit(l.registered, u)} is looser than the standard's ${bound} ${withUnit(l.standardLimit, u)} (${l.standard})`;
  });
  return {
    zh: `${where.zh} ${name ? `${name.zh}（${first.ruleId}）` : first.ruleId}：${zh.join('；')}，按标准值执行`,
    en: `${where.en} ${name ? `${name.en} (${first.ruleId})` : first.ruleId}: ${en.join('; ')}; the standard's value applies`,
  };
}

/** Groups `findLooseOverrides`' answer by registered override (one alert each), in its order. */
export function groupLoose(loose: readonly LooseOverride[], ctx: LooseContext): LooseGroup[] {
  const by = new Map<string, LooseOverride[]>();
  for (const l of loose) {
    const fp = fingerprintOf({ ruleId: LOOSE_LIMIT_RULE_ID, enterpriseId: l.enterpriseId, subject: looseLimitSubject(l) });
    by.set(fp, [...(by.get(fp) ?? []), l]);
  }
  return [...by].map(([fingerprint, limits]) => {
    const l = limits[0]!;
    return {
      enterpriseId: l.enterpriseId,
      sensorId: l.sensorId,
      ruleId: l.ruleId,
      subject: looseLimitSubject(l),
      fingerprint,
      registeredAt: ctx.registeredAt(l),
      limits,
      message: looseLimitMessage(limits, ctx),
    };
  });
}

/**
 * The findings that make the rule's alerts match `loose`. `alerts`: the
 * rule's active alerts, plus the latest alert of each loose fingerprint that
 * has no active one (when there is such an alert).
 */
export function planLooseLimits(loose: readonly LooseGroup[], alerts: readonly Alert[], now: number): Finding[] {
  const current = new Map<string, Alert>();
  for (const a of alerts) if (a.ruleId === LOOSE_LIMIT_RULE_ID && (isActive(a) || !current.has(a.fingerprint))) current.set(a.fingerprint, a);
  const wanted = new Set(loose.map((g) => g.fingerprint));
  const out: Finding[] = [];
  for (const g of loose) {
    const a = current.get(g.fingerprint);
    if (isActive(a)) continue;
    if (a?.state === 'disposed' && a.disposedAt !== undefined && g.registeredAt <= a.disposedAt) continue;
    // A raise must be newer than the previous episode's end, or the state machine calls it stale.
    const at = a === undefined ? now : Math.max(now, episodeEndOf(a) + 1);
    out.push({
      ruleId: LOOSE_LIMIT_RULE_ID,
      ruleVersion: 1,
      enterpriseId: g.enterpriseId,
      subject: g.subject,
      condition: 'raise',
      severity: 'orange',
      at,
      message: g.message,
      evidence: [],
    });
  }
  for (const a of current.values()) {
    if (!isActive(a) || wanted.has(a.fingerprint)) continue;
    out.push({
      ruleId: LOOSE_LIMIT_RULE_ID,
      ruleVersion: a.ruleVersion,
      enterpriseId: a.enterpriseId,
      subject: a.subject,
      condition: 'clear',
      severity: a.severity,
      // A clear older than the alert's latest raise is ignored as late.
      at: Math.max(now, a.lastFindingAt),
      message: {
        zh: `${a.subject}：登记报警值已改正或撤销，不再宽于标准`,
        en: `${a.subject}: the registered limit was corrected or withdrawn; no longer looser than the standard`,
      },
      evidence: [],
    });
  }
  return out;
}
