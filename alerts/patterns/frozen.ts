/**
 * `frozen`: a reading that no longer varies beyond the instrument's resolution
 * over `windowMs` of data time while production runs — a stuck or replayed
 * value (tampering, domain rule 7). The "run" is the latest stretch of
 * readings whose spread (max − min) is below `tolerance` (the instrument's
 * resolution; without one, only identical values count); a reading outside
 * it starts a new run, so the check keeps O(1) state. Raised at the start of
 * the run once it spans the window with at least `minSamples` readings and a
 * production point of the zone (or plant-wide) reports running; cleared when
 * the value varies or production stops. A run at or below `floor` (a
 * detector at rest at zero) is not frozen.
 */
import { z } from 'zod';
import { selectorSchema } from './pair.ts';
import {
  clearFinding,
  finding,
  fmt,
  isAnchorReading,
  related,
  unchanged,
  usable,
  type Pattern,
  type PatternContext,
  type PatternInput,
  type ReadingObs,
  type SignalObs,
} from './pattern.ts';

export const frozenParamsShape = <L extends z.ZodType>(limit: L) =>
  z.strictObject({
    /** Default 30 minutes. */
    windowMs: z.number().int().positive().default(1_800_000),
    /** Spread below which the value counts as not varying: the instrument's resolution. Default: identical values only. */
    tolerance: limit.optional(),
    /** A run whose values all lie at or below this is an instrument at rest (a gas detector reading zero in clean air), not frozen. Default none. */
    floor: limit.optional(),
    /** Fewest readings in the run. Default 10. */
    minSamples: z.number().int().min(2).default(10),
    /** Production points. Default `{ kinds: ['production'] }`. */
    production: selectorSchema.default({ kinds: ['production'], link: 'production' }),
    /** Default ['running']. */
    runningStates: z.array(z.string().min(1)).min(1).default(['running']),
  });
export const frozenParamsSchema = frozenParamsShape(z.number());
export type FrozenParams = z.output<typeof frozenParamsSchema>;

export interface FrozenState {
  lastTs: number | null;
  run: { first: ReadingObs; last: ReadingObs; min: number; max: number; count: number } | null;
  production: Record<string, SignalObs>;
  active: boolean;
}

const isProduction = (input: PatternInput, p: FrozenParams, ctx: PatternContext): input is SignalObs =>
  input.type === 'signal' && related(p.production, input.point, ctx.anchor);

export const frozen: Pattern<FrozenParams, FrozenState> = {
  name: 'frozen',
  scope: 'point',
  init: () => ({ lastTs: null, run: null, production: {}, active: false }),
  accepts: (input, p, ctx) => isAnchorReading(input, ctx) || isProduction(input, p, ctx),
  step(state, input, params, ctx) {
    let s = state;
    if (isAnchorReading(input, ctx)) {
      if (!usable(input) || (s.lastTs !== null && input.ts <= s.lastTs)) return unchanged(state);
      const r = s.run;
      const min = Math.min(r?.min ?? input.value, input.value);
      const max = Math.max(r?.max ?? input.value, input.value);
      const still = r !== null && (params.tolerance === undefined ? max === min : max - min < params.tolerance);
      const run = still
        ? { first: r.first, last: input, min, max, count: r.count + 1 }
        : { first: input, last: input, min: input.value, max: input.value, count: 1 };
      s = { ...s, lastTs: input.ts, run };
    } else if (isProduction(input, params, ctx)) {
      const prev = s.production[input.point.id];
      if (prev && input.ts <= prev.ts) return unchanged(state);
      s = { ...s, production: { ...s.production, [input.point.id]: input } };
    } else return unchanged(state);

    const running = Object.values(s.production).filter((p) => params.runningStates.includes(p.state));
    const run = s.run;
    const atRest = run !== null && params.floor !== undefined && run.max <= params.floor;
    const isFrozen = run !== null && !atRest && running.length > 0 && run.count >= params.minSamples && run.last.ts - run.first.ts >= params.windowMs;
    if (isFrozen === s.active) return { state: s, findings: [] };
    if (!isFrozen) return { state: { ...s, active: false }, findings: [clearFinding(ctx, ctx.severity, input.ts, [input])] };
    const u = run.first.point.unit;
    const minutes = fmt((run.last.ts - run.first.ts) / 60_000);
    const message = {
      zh: `${ctx.name.zh}：${ctx.anchor.id} 生产运行中读数 ${minutes} 分钟无变化（${fmt(run.min)}–${fmt(run.max)}${u}，${run.count} 个读数）`,
      en: `${ctx.name.en}: ${ctx.anchor.id} has not varied for ${minutes} min while production runs (${fmt(run.min)}–${fmt(run.max)} ${u}, ${run.count} readings)`,
    };
    return { state: { ...s, active: true }, findings: [finding(ctx, 'raise', ctx.severity, run.first.ts, message, [run.first, run.last, ...running])] };
  },
};
