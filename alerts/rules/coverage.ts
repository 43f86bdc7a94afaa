/**
 * Coverage: what watches each point (issue #15 items 11 and 14). For every
 * point, the effective rules — resolved by the same `explainRules` the rules
 * worker uses — with their limits in the point's unit, and a status:
 *
 * - `monitored`: at least one hazard rule applies with the standard's limits;
 * - `default`: hazard rules apply, but one stands in with default limits for
 *   something the point has not registered (a methane sensor's location, a
 *   toxic detector's gas: the rule's `fallback`); listed until it is registered;
 * - `context`: a process signal (production, valve, power) that no rule
 *   grades by itself but that other points' rules read;
 * - `unmonitored`: no hazard rule applies; `reasons` say why (no rule for the
 *   kind in the sector, or the rules need marks the point has not registered).
 *
 * Hazard rules are the point-scope rules of any pattern but the
 * data-integrity ones (silence, gateway offline / points silent, frozen, out
 * of range, drop to zero), which watch every point but say nothing about the
 * hazard itself. Pure.
 */
import { POINT_RELATIONS } from '../../core/vocabulary.ts';
import { PATTERNS, type PatternName } from '../patterns/index.ts';
import type { Severity } from '../types.ts';
import { limitsOf } from './explain.ts';
import { resolveRef, type LimitRef, type RulePoint } from './limits.ts';
import type { Override } from './overrides.ts';
import { explainRules, matches } from './resolve.ts';
import type { Catalogue } from './schema.ts';

export const DATA_INTEGRITY_PATTERNS: readonly string[] = [
  'data_silence',
  'gateway_offline',
  'gateway_points_silent',
  'frozen',
  'out_of_range',
  'drop_to_zero',
];
/** Process signals read by other points' rules (production for the in-production rules, the valve of an overfill interlock, the feed cut on methane). */
export const CONTEXT_SIGNAL_KINDS: readonly string[] = ['production', 'valve', 'power'];

/** `stopped`: stopped on record (停用): no rule watches it, and that is registered, not a gap. */
export type CoverageStatus = 'monitored' | 'default' | 'context' | 'unmonitored' | 'stopped';

export interface EffectiveRule {
  id: string;
  name: { zh: string; en: string };
  pattern: string;
  severity: Severity;
  scope: string;
  standard: string | undefined;
  /** Whether it watches the hazard (else data integrity). */
  hazard: boolean;
  /** Set when it stands in with default limits for something not registered. */
  fallback: { zh: string; en: string } | undefined;
  /** Thresholds in the point's unit. */
  limits: { label: string; value: number; severity: Severity }[];
}

export interface PointCoverage {
  pointId: string;
  gatewayId: string;
  kind: string;
  role: string | undefined;
  status: CoverageStatus;
  rules: EffectiveRule[];
  /** Rules that match the point but cannot apply, and why. */
  notApplied: { ruleId: string; zh: string; en: string }[];
  /** Why the point is not (fully) monitored; empty when `monitored`. */
  reasons: { zh: string; en: string }[];
  /** Rules that follow a relation (core/vocabulary.ts POINT_RELATIONS) the point has no registered link of: they read its zone instead. */
  linksByZone: { ruleId: string; relation: string; zh: string; en: string }[];
}

/** The expected relations (core/vocabulary.ts) a rule's params follow: selectors' `link`, unless the selector names its points (`ids`). */
function relationsOf(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) relationsOf(v, out);
  else if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    const rel = (POINT_RELATIONS as Record<string, { expected: boolean }>)[o.link as string];
    if (rel?.expected && o.ids === undefined) out.add(o.link as string);
    for (const v of Object.values(o)) relationsOf(v, out);
  }
  return out;
}

/**
 * A rule that watches the point's own hazard: not a data-integrity pattern, and
 * of point scope (a zone's correlated-detectors rule combines the points'
 * own alarms; it does not stand in for them).
 */
const isHazard = (pattern: string): boolean => !DATA_INTEGRITY_PATTERNS.includes(pattern) && PATTERNS[pattern as PatternName].pattern.scope === 'point';

const isRef = (v: unknown): v is LimitRef => typeof v === 'object' && v !== null && !Array.isArray(v) && 'ref' in v;

/** The references (marks, range, resolution) a rule's params need and the point has not registered. */
function missingRefs(value: unknown, p: RulePoint, out = new Set<string>()): Set<string> {
  if (isRef(value)) {
    if (resolveRef(value, p) === undefined) out.add(value.ref);
  } else if (Array.isArray(value)) for (const v of value) missingRefs(v, p, out);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) missingRefs(v, p, out);
  return out;
}

export function pointCoverage(catalogue: Catalogue, overrides: readonly Override[], p: RulePoint): PointCoverage {
  const rules: EffectiveRule[] = [];
  const notApplied: PointCoverage['notApplied'] = [];
  for (const r of explainRules(catalogue, overrides, p)) {
    if (r.ok) {
      const x = r.rule;
      rules.push({
        id: x.id,
        name: x.name,
        pattern: x.pattern,
        severity: x.severity,
        scope: x.scope,
        standard: x.standard,
        hazard: isHazard(x.pattern),
        fallback: x.fallback,
        limits: limitsOf(x.params, x.severity),
      });
    } else {
      const rule = catalogue.rules.find((c) => c.id === r.ruleId);
      const missing = rule ? [...missingRefs(rule.params, p)] : [];
      const scope = /^a (zone|gateway)-scope rule needs/.exec(r.reason)?.[1];
      notApplied.push(
        missing.length > 0
          ? { ruleId: r.ruleId, zh: `需登记 ${missing.join('、')}`, en: `needs ${missing.join(', ')} registered` }
          : scope === 'zone'
            ? { ruleId: r.ruleId, zh: '需登记区域（zone）', en: "needs the point's zone" }
            : { ruleId: r.ruleId, zh: r.reason, en: r.reason },
      );
    }
  }
  const hazard = rules.filter((r) => r.hazard);
  const reasons: PointCoverage['reasons'] = [];
  let status: CoverageStatus;
  if (p.stopped) {
    status = 'stopped';
    notApplied.length = 0;
    reasons.push({
      zh: `已停用（${p.stopped.reason}；${p.stopped.by}，${p.stopped.at}）`,
      en: `stopped on record (${p.stopped.reason}; ${p.stopped.by}, ${p.stopped.at})`,
    });
  } else if (hazard.length > 0) {
    const fallbacks = hazard.filter((r) => r.fallback !== undefined);
    status = fallbacks.length > 0 ? 'default' : 'monitored';
    for (const f of fallbacks) reasons.push(f.fallback!);
  } else if (CONTEXT_SIGNAL_KINDS.includes(p.kind)) {
    status = 'context';
  } else {
    status = 'unmonitored';
    const hazardMatching = catalogue.rules.filter((r) => isHazard(r.pattern) && matches(r, p));
    if (hazardMatching.length === 0)
      reasons.push({
        zh: `规则目录中没有适用于 ${p.sector ?? '?'} 行业 ${p.kind}${p.role ? `（${p.role}）` : ''} 测点的报警规则`,
        en: `no hazard rule in the catalogue for a ${p.kind}${p.role ? ` (${p.role})` : ''} point in sector ${p.sector ?? '?'}`,
      });
    for (const n of notApplied.filter((x) => hazardMatching.some((r) => r.id === x.ruleId)))
      reasons.push({ zh: `${n.ruleId} 不能生效：${n.zh}`, en: `${n.ruleId} cannot apply: ${n.en}` });
  }
  const linksByZone: PointCoverage['linksByZone'] = [];
  for (const r of explainRules(catalogue, overrides, p))
    if (r.ok)
      for (const relation of relationsOf(r.rule.params))
        if (!(p.links?.[relation]?.length ?? 0)) {
          const name = (POINT_RELATIONS as Record<string, { zh: string; en: string }>)[relation] ?? { zh: relation, en: relation };
          linksByZone.push({
            ruleId: r.rule.id,
            relation,
            zh: `未登记“${name.zh}”关联，按区域${p.zone ?? '（全厂）'}匹配`,
            en: `no ${name.en} link registered: matched by zone ${p.zone ?? '(plant-wide)'}`,
          });
        }
  return { pointId: p.id, gatewayId: p.gatewayId, kind: p.kind, role: p.role, status, rules, notApplied, reasons, linksByZone };
}

export interface Coverage {
  points: PointCoverage[];
  /** The points with status `unmonitored` or `default`. */
  unmonitored: PointCoverage[];
  counts: Record<CoverageStatus, number>;
}

export function coverageOf(catalogue: Catalogue, overrides: readonly Override[], points: readonly RulePoint[]): Coverage {
  const all = points.map((p) => pointCoverage(catalogue, overrides, p));
  const counts: Record<CoverageStatus, number> = { monitored: 0, default: 0, context: 0, unmonitored: 0, stopped: 0 };
  for (const c of all) counts[c.status]++;
  return { points: all, unmonitored: all.filter((c) => c.status === 'unmonitored' || c.status === 'default'), counts };
}
