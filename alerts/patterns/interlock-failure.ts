/**
 * `interlock_failure`: a trip condition was reached and the actuator that must
 * act did not report its safe state within `responseMs`:
 *   - tank level ≥ high-high and the inlet valve not reported `closed` within 30 s;
 *   - methane ≥ the power-off limit and the feed still `energised` 40 s later;
 *   - cooling-water inlet − outlet flow too high and the furnace interlock not `tripped`.
 * The trigger is the anchor's value (`threshold`) or anchor − partner
 * (`difference`), with the rule's `forMs` as hold. The deadline is judged in
 * data time (an observation at or after deadline + grace) or, for absence of
 * any report, on the injected clock: `graceMs` after the deadline counted from
 * the clock reading when the trigger was seen. An actuator is OK when every
 * matching actuator heard (at least one) reports a safe state that began no
 * later than the deadline. Raised at the deadline; cleared when the actuators
 * reach a safe state or the trigger clears. An actuator leaving its safe state
 * while the trigger holds starts a new deadline.
 */
import { z } from 'zod';
import type { Observation } from '../types.ts';
import { beyondLimit, evalCondition, initCond, type CondTrack } from './condition.ts';
import { directionSchema } from './levels.ts';
import { initPair, isPartnerReading, pairShape, selectorSchema, stepPair, type PairState } from './pair.ts';
import {
  clearFinding,
  finding,
  fmt,
  isAnchorReading,
  related,
  unchanged,
  usable,
  withEvidence,
  type Pattern,
  type PatternContext,
  type PatternInput,
  type SignalObs,
} from './pattern.ts';

const limitFields = <L extends z.ZodType>(limit: L) => ({
  direction: directionSchema.default('high'),
  threshold: limit,
  strict: z.boolean().default(false),
  deadband: limit.optional(),
});
export const interlockParamsShape = <L extends z.ZodType>(limit: L) =>
  z.strictObject({
    trigger: z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('threshold'), ...limitFields(limit) }),
      pairShape.extend({ type: z.literal('difference'), ...limitFields(limit) }),
    ]),
    /** The actuators that must act: signal points in the anchor's zone or plant-wide. */
    actuator: selectorSchema,
    /** States that count as "acted", e.g. ['closed'], ['de-energised'], ['tripped']. */
    safeStates: z.array(z.string().min(1)).min(1),
    /** Time allowed to act, ms. */
    responseMs: z.number().int().positive(),
    /** Allowance for a report still in flight before the deadline is judged, ms. Default 5000. */
    graceMs: z.number().int().nonnegative().default(5000),
  });
export const interlockParamsSchema = interlockParamsShape(z.number());
export type InterlockParams = z.output<typeof interlockParamsSchema>;

interface ActuatorSt {
  obs: SignalObs;
  /** Data time since which it has continuously reported a safe state, or null. */
  safeSince: number | null;
}
export interface InterlockState {
  lastTs: number | null;
  pair: PairState;
  trigger: CondTrack;
  actuators: Record<string, ActuatorSt>;
  /** Newest data time seen by this instance, and the latest clock reading. */
  maxTs: number | null;
  clock: number | null;
  phase: 'idle' | 'watching' | 'failed' | 'acted';
  deadline: number | null;
  /** Clock reading by which absence of any safe report counts as failure. */
  clockDeadline: number | null;
  evidence: Observation[];
}

const isActuator = (input: PatternInput, p: InterlockParams, ctx: PatternContext): input is SignalObs =>
  input.type === 'signal' && related(p.actuator, input.point, ctx.anchor);

/** The trigger's value after this reading, if the reading moved it forward; null if the reading is not for the trigger. */
function triggerValue(state: InterlockState, input: PatternInput, p: InterlockParams, ctx: PatternContext) {
  if (p.trigger.type === 'threshold') {
    if (!isAnchorReading(input, ctx) || !usable(input) || (state.lastTs !== null && input.ts <= state.lastTs)) return null;
    return { pair: state.pair, ts: input.ts, value: { v: input.value, obs: [input] as Observation[] } };
  }
  const r = stepPair(state.pair, input, p.trigger, ctx);
  if (!r) return null;
  const ts = (input as Observation).ts;
  return { pair: r.pair, ts, value: r.diff ? { v: r.diff.value, obs: [r.diff.b, r.diff.a] as Observation[] } : null };
}

export const interlockFailure: Pattern<InterlockParams, InterlockState> = {
  name: 'interlock_failure',
  scope: 'point',
  init: () => ({
    lastTs: null,
    pair: initPair(),
    trigger: initCond(),
    actuators: {},
    maxTs: null,
    clock: null,
    phase: 'idle',
    deadline: null,
    clockDeadline: null,
    evidence: [],
  }),
  accepts: (input, p, ctx) =>
    input.type === 'tick' ||
    isAnchorReading(input, ctx) ||
    isActuator(input, p, ctx) ||
    (p.trigger.type === 'difference' && isPartnerReading(input, p.trigger, ctx)),
  step(state, input, params, ctx) {
    let s: InterlockState = state;
    let triggerChange: ReturnType<typeof evalCondition>['change'] = null;
    if (input.type === 'tick') {
      if (s.clock !== null && input.now <= s.clock) return unchanged(state);
      s = { ...s, clock: input.now };
    } else if (isActuator(input, params, ctx)) {
      const prev = s.actuators[input.point.id];
      if (prev && input.ts <= prev.obs.ts) return unchanged(state);
      const safe = params.safeStates.includes(input.state);
      const safeSince = safe ? (prev?.safeSince ?? input.ts) : null;
      s = { ...s, actuators: { ...s.actuators, [input.point.id]: { obs: input, safeSince } }, maxTs: Math.max(s.maxTs ?? input.ts, input.ts) };
      if (s.phase !== 'idle') s = { ...s, evidence: withEvidence(s.evidence, input) };
    } else {
      const t = triggerValue(s, input, params, ctx);
      if (!t) return unchanged(state);
      s = { ...s, pair: t.pair, lastTs: isAnchorReading(input, ctx) ? t.ts : s.lastTs, maxTs: Math.max(s.maxTs ?? t.ts, t.ts) };
      if (t.value) {
        const cond = beyondLimit(params.trigger, s.trigger.active, t.value.v);
        const r = evalCondition(s.trigger, cond, t.ts, ctx.forMs);
        triggerChange = r.change;
        s = { ...s, trigger: r.track, evidence: r.track.since === null ? [] : t.value.obs.reduce<Observation[]>((l, o) => withEvidence(l, o), s.evidence) };
      }
    }
    return judge(s, triggerChange, params, ctx);
  },
};

/** Decides the failure from the updated state: watch from the trigger's onset, judge at the deadline, clear when safe. */
function judge(s: InterlockState, change: ReturnType<typeof evalCondition>['change'], p: InterlockParams, ctx: PatternContext) {
  const acts = Object.values(s.actuators);
  const safeBy = (t: number) => acts.length > 0 && acts.every((a) => a.safeSince !== null && a.safeSince <= t);
  const allSafe = acts.length > 0 && acts.every((a) => a.safeSince !== null);
  const safeAt = Math.max(...acts.map((a) => a.safeSince ?? 0));
  const watch = (from: number): InterlockState => ({
    ...s,
    phase: 'watching',
    deadline: from + p.responseMs,
    clockDeadline: s.clock === null ? null : s.clock + p.responseMs + p.graceMs,
  });
  if (change?.kind === 'clear') {
    const idle: InterlockState = { ...s, phase: 'idle', deadline: null, clockDeadline: null, evidence: [] };
    return { state: idle, findings: s.phase === 'failed' ? [clearFinding(ctx, ctx.severity, change.at, s.evidence)] : [] };
  }
  if (change?.kind === 'raise') s = watch(change.at);
  if (s.phase === 'acted' && s.trigger.active && !allSafe) s = watch(Math.max(...acts.filter((a) => a.safeSince === null).map((a) => a.obs.ts)));
  if (s.phase === 'watching' && s.deadline !== null) {
    if (safeBy(s.deadline)) s = { ...s, phase: 'acted' };
    else if ((s.maxTs !== null && s.maxTs >= s.deadline + p.graceMs) || (s.clock !== null && s.clockDeadline !== null && s.clock >= s.clockDeadline)) {
      const states = acts.map((a) => `${a.obs.point.id}: ${a.obs.state}`).join(', ');
      const secs = fmt(p.responseMs / 1000);
      const message = {
        zh: `${ctx.name.zh}：${ctx.anchor.id} 达到联锁条件后 ${secs} 秒内执行机构未动作（${states || '无状态上报'}）`,
        en: `${ctx.name.en}: ${ctx.anchor.id} reached its trip condition and the actuator did not act within ${secs} s (${states || 'no report'})`,
      };
      const raised = finding(ctx, 'raise', ctx.severity, s.deadline, message, s.evidence);
      if (allSafe) return { state: { ...s, phase: 'acted' as const }, findings: [raised, clearFinding(ctx, ctx.severity, safeAt, s.evidence)] };
      return { state: { ...s, phase: 'failed' as const }, findings: [raised] };
    }
  }
  if (s.phase === 'failed' && allSafe) {
    // A report that was in flight may show it acted before the deadline; the clear never precedes the raise.
    return { state: { ...s, phase: 'acted' as const }, findings: [clearFinding(ctx, ctx.severity, Math.max(safeAt, s.deadline ?? safeAt), s.evidence)] };
  }
  return { state: s, findings: [] };
}
