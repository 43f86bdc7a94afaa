/**
 * The common shape of a hazard pattern (issue #3 item 2): a pure evaluator
 * with explicit, JSON-serialisable state.
 *
 *   init()                             → the state of a fresh instance
 *   accepts(input, params, ctx)        → whether this instance cares about an input (routing)
 *   step(state, input, params, ctx)    → { state, findings }
 *
 * An *instance* is one rule watching one subject (a point, a zone or a
 * gateway); the worker keys its state by `fingerprintOf({ ruleId, enterpriseId, subject })`.
 * Inputs are observations, in arrival order, and `tick`s carrying the injected
 * clock's reading (only the patterns about absence of data use them). `step`
 * never mutates the state it is given and returns the very same object when
 * nothing changed, so the worker can skip writing a snapshot. States hold only
 * plain data (no `undefined`, `Infinity`, `Map`): `JSON.parse(JSON.stringify(s))`
 * continues identically.
 *
 * Time: `at` of a finding and every duration (hold, escalation, windows) are in
 * data time, the observations' `ts`; only silence and missed deadlines use
 * the clock's `now`, because they are about data that did not arrive.
 */
import type { Finding, Observation, PointInfo, Severity } from '../types.ts';

export const PATTERN_NAMES = [
  'threshold',
  'rate_of_rise',
  'sustained',
  'difference',
  'correlated_detectors',
  'interlock_failure',
  'data_silence',
  'gateway_offline',
  'gateway_points_silent',
  'frozen',
  'out_of_range',
  'drop_to_zero',
  'safety_off_in_production',
] as const;
export type PatternName = (typeof PATTERN_NAMES)[number];

/** What an instance watches: one point, every point of a zone, or a gateway. */
export type Scope = 'point' | 'zone' | 'gateway';

export interface Tick {
  type: 'tick';
  /** The injected clock's reading, epoch ms. */
  now: number;
}
export type PatternInput = Observation | Tick;
export type ReadingObs = Extract<Observation, { type: 'reading' }>;
export type SignalObs = Extract<Observation, { type: 'signal' }>;

/** Who is evaluating: the rule (id, version, grade, hold) and the subject of this instance. */
export interface PatternContext {
  ruleId: string;
  ruleVersion: number;
  name: { zh: string; en: string };
  /** Grade of the rule's findings unless the pattern grades them itself (levels, escalation steps). */
  severity: Severity;
  /** Hold time: the condition must be true continuously for this long (data time) before a raise. 0 = at once. */
  forMs: number;
  /** A point id, `zone:<zone>` or `gateway:<gatewayId>`; becomes `Finding.subject`. */
  subject: string;
  /** The point the instance was resolved for (for zone / gateway scope: any point of it; gives enterprise, gateway, zone). */
  anchor: PointInfo;
}

export interface StepResult<S> {
  state: S;
  findings: Finding[];
}

export interface Pattern<P, S> {
  readonly name: PatternName;
  readonly scope: Scope;
  init(): S;
  accepts(input: PatternInput, params: P, ctx: PatternContext): boolean;
  step(state: S, input: PatternInput, params: P, ctx: PatternContext): StepResult<S>;
}

/** Most observations a finding carries as evidence (and a state keeps for it). */
export const MAX_EVIDENCE = 12;

/** Which points a pattern reads besides its anchor: all given criteria must hold. */
export interface PointSelector {
  kinds?: string[] | undefined;
  roles?: string[] | undefined;
  ids?: string[] | undefined;
  /** A relation (core/vocabulary.ts POINT_RELATIONS): when the anchor registered links of it, only those points are read. */
  link?: string | undefined;
}

export const selects = (sel: PointSelector, p: PointInfo): boolean =>
  (sel.kinds === undefined || sel.kinds.includes(p.kind)) &&
  (sel.roles === undefined || (p.role !== undefined && sel.roles.includes(p.role))) &&
  (sel.ids === undefined || sel.ids.includes(p.id));

/** A point of the anchor's enterprise whose zone is the anchor's, or that has no zone (plant-wide, e.g. the main fan). */
export const sameArea = (p: PointInfo, anchor: PointInfo): boolean =>
  p.enterpriseId === anchor.enterpriseId && (p.zone === undefined || p.zone === anchor.zone);

/**
 * Whether `p` is a point the selector reads for this anchor. A selector naming a relation the anchor has
 * registered links of reads exactly the linked points (of the selected kinds; zone and role do not matter:
 * the link is the registration); otherwise the points of the anchor's area that the selector selects.
 */
export function related(sel: PointSelector, p: PointInfo, anchor: PointInfo): boolean {
  const linked = sel.link === undefined ? undefined : anchor.links?.[sel.link];
  if (linked !== undefined && linked.length > 0)
    return p.enterpriseId === anchor.enterpriseId && linked.includes(p.id) && (sel.kinds === undefined || sel.kinds.includes(p.kind));
  return sameArea(p, anchor) && selects(sel, p);
}

export const isAnchorReading = (input: PatternInput, ctx: PatternContext): input is ReadingObs =>
  input.type === 'reading' && input.point.enterpriseId === ctx.anchor.enterpriseId && input.point.id === ctx.anchor.id;

/** Whether a signal is the anchor's own. Not a type guard on purpose: a false result says nothing about the input's type. */
export const isAnchorSignal = (input: PatternInput, ctx: PatternContext): boolean =>
  input.type === 'signal' && input.point.enterpriseId === ctx.anchor.enterpriseId && input.point.id === ctx.anchor.id;

/** A reading a value pattern may use: instruments flag their own bad values. */
export const usable = (r: ReadingObs): boolean => r.quality !== 'bad';

/** Appends to a bounded evidence list, keeping the first item (the onset) and the most recent ones. */
export function withEvidence(list: readonly Observation[], obs: Observation, max = MAX_EVIDENCE): Observation[] {
  if (list.length < max) return [...list, obs];
  return [list[0]!, ...list.slice(list.length - max + 2), obs];
}

/** A number for a message: at most 3 decimals, no binary tails. */
export const fmt = (n: number): string => String(Number(n.toFixed(3)));

export function finding(
  ctx: PatternContext,
  condition: Finding['condition'],
  severity: Severity,
  at: number,
  message: Finding['message'],
  evidence: readonly Observation[],
): Finding {
  return {
    ruleId: ctx.ruleId,
    ruleVersion: ctx.ruleVersion,
    enterpriseId: ctx.anchor.enterpriseId,
    subject: ctx.subject,
    condition,
    severity,
    at,
    message,
    evidence: evidence.slice(-MAX_EVIDENCE),
  };
}

/** The standard "ended" finding: grade of the episode, time it ended. */
export const clearFinding = (ctx: PatternContext, severity: Severity, at: number, evidence: readonly Observation[]): Finding =>
  finding(ctx, 'clear', severity, at, { zh: `${ctx.name.zh}已恢复：${ctx.subject}`, en: `${ctx.name.en} is over: ${ctx.subject}` }, evidence);

export const unchanged = <S>(state: S): StepResult<S> => ({ state, findings: [] });
