/**
 * The effective rules for a point: the catalogue's rules that match it, with
 * the enterprise's overrides applied (enterprise-wide first, then the
 * sensor's own), limit references resolved against the point's registered
 * marks / range / resolution, limits the standard sets enforced, and the
 * params validated for evaluation. Pure.
 */
import { PATTERNS, type ParamsOf, type PatternContext, type PatternInput, type PatternName, type Scope, type StepResult } from '../patterns/index.ts';
import type { Pattern } from '../patterns/pattern.ts';
import { fingerprintOf, type PointInfo, type Severity } from '../types.ts';
import { resolveLimits, type RulePoint } from './limits.ts';
import { applyOverride, getPath, isLoose, setPath, type Override } from './overrides.ts';
import { formatIssues, type Catalogue, type Rule, type RuleMatch } from './schema.ts';

interface ResolvedBase {
  id: string;
  version: number;
  name: { zh: string; en: string };
  severity: Severity;
  forMs: number;
  suppressibleByGatewayOffline: boolean;
  standard: string | undefined;
  /** Set when the rule stands in with default limits for something the point has not registered (schema.ts `fallback`). */
  fallback: { zh: string; en: string } | undefined;
  scope: Scope;
  /** `Finding.subject` of this instance: the point id, `zone:<zone>` or `gateway:<id>`. */
  subject: string;
  /** Key of the instance's state: `fingerprintOf({ ruleId, enterpriseId, subject })`. */
  key: string;
  /** The point it was resolved for. */
  anchor: PointInfo;
  /** Overrides applied, in order. */
  overrides: Override[];
  /** Parameters set back to the standard's limit because the registered value was looser. */
  clamped: string[];
}
export type ResolvedRule = { [N in PatternName]: ResolvedBase & { pattern: N; params: ParamsOf<N> } }[PatternName];
export type Resolution = { ok: true; rule: ResolvedRule } | { ok: false; ruleId: string; reason: string };

const has = (list: readonly string[] | undefined, v: string | undefined): boolean => list === undefined || (v !== undefined && list.includes(v));

export function matches(rule: Pick<Rule, 'pack' | 'match'>, p: RulePoint): boolean {
  const m: RuleMatch = rule.match;
  if (rule.pack !== 'common' && p.sector !== rule.pack) return false;
  return (
    has(m.kinds, p.kind) &&
    has(m.roles, p.role) &&
    !(m.excludeRoles !== undefined && p.role !== undefined && m.excludeRoles.includes(p.role)) &&
    has(m.zones, p.zone) &&
    has(m.sensorIds, p.id) &&
    has(m.units, p.unit) &&
    has(m.sectors, p.sector)
  );
}

function subjectOf(scope: Scope, p: PointInfo): string | undefined {
  switch (scope) {
    case 'point':
      return p.id;
    case 'zone':
      return p.zone === undefined ? undefined : `zone:${p.zone}`;
    case 'gateway':
      return `gateway:${p.gatewayId}`;
  }
}

/** Resolves one rule for one point (which the rule is assumed to match). */
export function resolveRule(rule: Rule, overrides: readonly Override[], p: RulePoint): Resolution {
  const fail = (reason: string): Resolution => ({ ok: false, ruleId: rule.id, reason });
  const scope = PATTERNS[rule.pattern].pattern.scope;
  const subject = subjectOf(scope, p);
  if (subject === undefined) return fail(`a ${scope}-scope rule needs the point's ${scope}`);
  // Enterprise-wide overrides, then the sensor's own (for point-scope rules only). An invalid override is skipped.
  const mine = overrides.filter(
    (o) => o.ruleId === rule.id && o.enterpriseId === p.enterpriseId && (o.sensorId === undefined || (scope === 'point' && o.sensorId === p.id)),
  );
  const ordered = [...mine.filter((o) => o.sensorId === undefined), ...mine.filter((o) => o.sensorId !== undefined)];
  let effective = rule;
  const applied: Override[] = [];
  for (const o of ordered) {
    const r = applyOverride(effective, o);
    if (r.ok) {
      effective = r.value;
      applied.push(o);
    }
  }
  let params = resolveLimits(effective.params, p);
  const clamped: string[] = [];
  for (const l of rule.standardLimits) {
    const v = getPath(params, l.param);
    // a registered reference that resolves to nothing for this point (e.g. marks it has not registered) must not drop the level
    const unresolved = typeof v !== 'number' && applied.some((o) => getPath(o.params, l.param) !== undefined);
    if ((typeof v === 'number' && isLoose(v, l)) || unresolved) {
      params = setPath(params, l.param, l.atMost ?? l.atLeast);
      clamped.push(l.param);
    }
  }
  const parsed = PATTERNS[rule.pattern].params.safeParse(params);
  if (!parsed.success) return fail(`not applicable to ${p.id}: ${formatIssues(parsed.error.issues, 'params').join('; ')}`);
  const resolved = {
    id: rule.id,
    version: rule.version,
    name: rule.name,
    severity: rule.severity,
    forMs: rule.forMs,
    suppressibleByGatewayOffline: rule.suppressibleByGatewayOffline,
    standard: rule.standard,
    fallback: rule.fallback,
    scope,
    subject,
    key: fingerprintOf({ ruleId: rule.id, enterpriseId: p.enterpriseId, subject }),
    anchor: p,
    overrides: applied,
    clamped,
    pattern: rule.pattern,
    params: parsed.data,
  } as ResolvedRule; // params were validated by this pattern's own schema just above
  return { ok: true, rule: resolved };
}

/** Every rule's resolution for a point, including the rules that match but cannot apply (and why). */
export function explainRules(catalogue: Catalogue, overrides: readonly Override[], p: RulePoint): Resolution[] {
  const matching = catalogue.rules.filter((r) => matches(r, p));
  // a point stopped on record (停用) is watched by no rule, its zone's and gateway's included
  if (p.stopped) return matching.map((r) => ({ ok: false, ruleId: r.id, reason: `the point is stopped on record since ${p.stopped!.at}` }));
  return matching.map((r) => resolveRule(r, overrides, p));
}

/** The effective rules for a point. Zone- and gateway-scope rules come back for every point of the zone / gateway: keep one instance per `key`. */
export function resolveRules(catalogue: Catalogue, overrides: readonly Override[], p: RulePoint): ResolvedRule[] {
  return explainRules(catalogue, overrides, p).flatMap((r) => (r.ok ? [r.rule] : []));
}

const contexts = new WeakMap<ResolvedRule, PatternContext>();

/** The context patterns see; one object per resolved rule (rules are never mutated: a change resolves a new one). */
export function contextOf(rule: ResolvedRule): PatternContext {
  let ctx = contexts.get(rule);
  if (!ctx) {
    ctx = {
      ruleId: rule.id,
      ruleVersion: rule.version,
      name: rule.name,
      severity: rule.severity,
      forMs: rule.forMs,
      subject: rule.subject,
      anchor: rule.anchor,
    };
    contexts.set(rule, ctx);
  }
  return ctx;
}

const patternOf = (rule: ResolvedRule) => PATTERNS[rule.pattern].pattern as unknown as Pattern<ResolvedRule['params'], unknown>;

/** A fresh state for a rule instance. */
export const initState = (rule: ResolvedRule): unknown => patternOf(rule).init();

/** Whether the instance wants this input (the worker may skip `stepRule` otherwise). */
export const acceptsInput = (rule: ResolvedRule, input: PatternInput): boolean => patternOf(rule).accepts(input, rule.params, contextOf(rule));

/** One step of a rule instance; `state` is what `initState` or a previous step returned (or its JSON round trip). */
export const stepRule = (rule: ResolvedRule, state: unknown, input: PatternInput): StepResult<unknown> =>
  patternOf(rule).step(state, input, rule.params, contextOf(rule));

/**
 * Whether an alert is a serious violation found by data monitoring (应急〔2025〕11号 §三): red, or of a rule the
 * catalogue marks `seriousViolation`. What makes an inspection exempt from the yearly cap (inspections/caps.ts).
 */
export const seriousRule =
  (catalogue: Catalogue) =>
  (ruleId: string): boolean =>
    catalogue.rules.some((r) => r.id === ruleId && r.seriousViolation);

/**
 * The predicate the alert state machine's `suppressionFor` takes (`suppressible`): the rules the catalogue marks
 * `suppressibleByGatewayOffline` (by default `common.data_silence`).
 */
/** The consolidation group of a rule in the catalogue, if it has one. */
export const groupOf =
  (catalogue: Catalogue) =>
  (ruleId: string): string | undefined =>
    catalogue.rules.find((r) => r.id === ruleId)?.group;

export const suppressibleByGatewayOffline =
  (catalogue: Catalogue) =>
  (ruleId: string): boolean =>
    catalogue.rules.some((r) => r.id === ruleId && r.suppressibleByGatewayOffline);
