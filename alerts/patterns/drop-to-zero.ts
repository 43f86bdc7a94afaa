/**
 * `drop_to_zero`: a reading at (or below) `zeroAtMost` right after a usable
 * reading of at least `fromAtLeast` no more than `withinMs` earlier (data
 * time) — a cut cable, a switched-off transmitter, or a real loss (cooling
 * flow). A slow decline through intermediate values does not count. Cleared
 * when a reading is above `zeroAtMost + deadband`.
 */
import { z } from 'zod';
import { clearFinding, finding, fmt, isAnchorReading, unchanged, usable, type Pattern, type ReadingObs } from './pattern.ts';

export const dropToZeroParamsShape = <L extends z.ZodType>(limit: L) =>
  z.strictObject({
    /** The previous reading must have been at least this. */
    fromAtLeast: limit,
    /** What counts as zero. Default 0. */
    zeroAtMost: z.number().default(0),
    /** Longest gap between the two readings, ms. Default 60 000. */
    withinMs: z.number().int().positive().default(60_000),
    /** Above zeroAtMost + deadband to clear. Default 0. */
    deadband: z.number().nonnegative().default(0),
  });
export const dropToZeroParamsSchema = dropToZeroParamsShape(z.number());
export type DropToZeroParams = z.output<typeof dropToZeroParamsSchema>;

export interface DropToZeroState {
  prev: ReadingObs | null;
  active: boolean;
}

export const dropToZero: Pattern<DropToZeroParams, DropToZeroState> = {
  name: 'drop_to_zero',
  scope: 'point',
  init: () => ({ prev: null, active: false }),
  accepts: (input, _p, ctx) => isAnchorReading(input, ctx),
  step(state, input, params, ctx) {
    if (!isAnchorReading(input, ctx) || !usable(input) || (state.prev !== null && input.ts <= state.prev.ts)) return unchanged(state);
    const v = input.value;
    if (state.active) {
      const over = v > params.zeroAtMost + params.deadband;
      return { state: { prev: input, active: !over }, findings: over ? [clearFinding(ctx, ctx.severity, input.ts, [input])] : [] };
    }
    const p = state.prev;
    const dropped = p !== null && v <= params.zeroAtMost && p.value >= params.fromAtLeast && input.ts - p.ts <= params.withinMs;
    if (!dropped) return { state: { prev: input, active: false }, findings: [] };
    const u = input.point.unit;
    const message = {
      zh: `${ctx.name.zh}：${input.point.id} 读数由 ${fmt(p.value)}${u} 突降为 ${fmt(v)}${u}`,
      en: `${ctx.name.en}: ${input.point.id} dropped from ${fmt(p.value)} ${u} to ${fmt(v)} ${u}`,
    };
    return { state: { prev: input, active: true }, findings: [finding(ctx, 'raise', ctx.severity, input.ts, message, [p, input])] };
  },
};
