/**
 * `safety_off_in_production`: a safety point — a gas detector's power/health
 * (`detector`: off / faulted) or an interlock (`interlock`: bypassed) — in an
 * unsafe state while a production point of its zone (or plant-wide) reports
 * running (domain rule 7). Raised at the data time both became true (with the
 * rule's `forMs` as hold, in data time); cleared when the point is back in a
 * safe state or production stops.
 */
import { z } from 'zod';
import { selectorSchema } from './pair.ts';
import { clearFinding, finding, isAnchorSignal, related, unchanged, type Pattern, type PatternContext, type PatternInput, type SignalObs } from './pattern.ts';

export const safetyOffParamsSchema = z.strictObject({
  /** States of the anchor point that count as "off", e.g. ['off', 'faulted'] or ['bypassed']. */
  unsafeStates: z.array(z.string().min(1)).min(1),
  /** Default `{ kinds: ['production'] }`. */
  production: selectorSchema.default({ kinds: ['production'], link: 'production' }),
  /** Default ['running']. */
  runningStates: z.array(z.string().min(1)).min(1).default(['running']),
});
export type SafetyOffParams = z.output<typeof safetyOffParamsSchema>;

interface Tracked {
  obs: SignalObs;
  /** Data time since which it has continuously reported the state that matters (unsafe / running), or null. */
  since: number | null;
}
export interface SafetyOffState {
  point: Tracked | null;
  production: Record<string, Tracked>;
  /** Newest data time seen. */
  maxTs: number | null;
  active: boolean;
}

const isProduction = (input: PatternInput, p: SafetyOffParams, ctx: PatternContext): input is SignalObs =>
  input.type === 'signal' && input.point.id !== ctx.anchor.id && related(p.production, input.point, ctx.anchor);

const track = (prev: Tracked | null | undefined, obs: SignalObs, matters: boolean): Tracked => ({ obs, since: matters ? (prev?.since ?? obs.ts) : null });

export const safetyOffInProduction: Pattern<SafetyOffParams, SafetyOffState> = {
  name: 'safety_off_in_production',
  scope: 'point',
  init: () => ({ point: null, production: {}, maxTs: null, active: false }),
  accepts: (input, p, ctx) => isAnchorSignal(input, ctx) || isProduction(input, p, ctx),
  step(state, input, params, ctx) {
    let s = state;
    if (input.type === 'signal' && isAnchorSignal(input, ctx)) {
      if (s.point && input.ts <= s.point.obs.ts) return unchanged(state);
      s = { ...s, point: track(s.point, input, params.unsafeStates.includes(input.state)) };
    } else if (isProduction(input, params, ctx)) {
      const prev = s.production[input.point.id];
      if (prev && input.ts <= prev.obs.ts) return unchanged(state);
      s = { ...s, production: { ...s.production, [input.point.id]: track(prev, input, params.runningStates.includes(input.state)) } };
    } else return unchanged(state);
    s = { ...s, maxTs: Math.max(s.maxTs ?? input.ts, input.ts) };
    const running = Object.values(s.production).filter((p) => p.since !== null);
    const unsafeSince = s.point?.since ?? null;
    // Both true since the later of: the point turned unsafe, production (earliest running point) started.
    const start = unsafeSince === null || running.length === 0 ? null : Math.max(unsafeSince, Math.min(...running.map((p) => p.since!)));
    const on = start !== null && (s.active || s.maxTs! - start >= ctx.forMs);
    if (on === s.active) return { state: s, findings: [] };
    if (!on) return { state: { ...s, active: false }, findings: [clearFinding(ctx, ctx.severity, input.ts, [input])] };
    const pt = s.point!.obs;
    const message = {
      zh: `${ctx.name.zh}：${pt.point.id} 状态为 ${pt.state}，生产运行中（${running.map((p) => p.obs.point.id).join('、')}）`,
      en: `${ctx.name.en}: ${pt.point.id} is ${pt.state} while production runs (${running.map((p) => p.obs.point.id).join(', ')})`,
    };
    return { state: { ...s, active: true }, findings: [finding(ctx, 'raise', ctx.severity, start, message, [pt, ...running.map((p) => p.obs)])] };
  },
};
