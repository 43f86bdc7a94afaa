/**
 * `out_of_range`: a reading outside the instrument's physical range
 * [min, max] — a faulty, disconnected or tampered instrument (a real
 * over-range concentration is also caught by the threshold rules). Every
 * reading counts, bad quality included. Hold = the rule's `forMs`; cleared
 * when a reading is back inside by `deadband`.
 */
import { z } from 'zod';
import type { Observation } from '../types.ts';
import { evalCondition, initCond, type CondTrack } from './condition.ts';
import { clearFinding, finding, fmt, isAnchorReading, unchanged, withEvidence, type Pattern } from './pattern.ts';

export const outOfRangeParamsShape = <L extends z.ZodType>(limit: L) =>
  z
    .strictObject({
      min: limit.optional(),
      max: limit.optional(),
      /** Back inside by this much to clear. Default 0. */
      deadband: z.number().nonnegative().default(0),
    })
    .refine((p) => p.min !== undefined || p.max !== undefined, 'min or max (or both)');
export const outOfRangeParamsSchema = outOfRangeParamsShape(z.number());
export type OutOfRangeParams = z.output<typeof outOfRangeParamsSchema>;

export interface OutOfRangeState {
  lastTs: number | null;
  cond: CondTrack;
  evidence: Observation[];
}

export const outOfRange: Pattern<OutOfRangeParams, OutOfRangeState> = {
  name: 'out_of_range',
  scope: 'point',
  init: () => ({ lastTs: null, cond: initCond(), evidence: [] }),
  accepts: (input, _p, ctx) => isAnchorReading(input, ctx),
  step(state, input, params, ctx) {
    if (!isAnchorReading(input, ctx) || (state.lastTs !== null && input.ts <= state.lastTs)) return unchanged(state);
    const v = input.value;
    const d = state.cond.active ? params.deadband : 0;
    const out = (params.min !== undefined && v < params.min + d) || (params.max !== undefined && v > params.max - d);
    const { track, change } = evalCondition(state.cond, out, input.ts, ctx.forMs);
    const evidence = track.since === null ? [] : withEvidence(state.evidence, input);
    const next: OutOfRangeState = { lastTs: input.ts, cond: track, evidence };
    if (change?.kind === 'clear') return { state: next, findings: [clearFinding(ctx, ctx.severity, change.at, [input])] };
    if (change?.kind !== 'raise') return { state: next, findings: [] };
    const u = input.point.unit;
    const range = `${params.min === undefined ? '−∞' : fmt(params.min)}–${params.max === undefined ? '∞' : fmt(params.max)}`;
    const message = {
      zh: `${ctx.name.zh}：${input.point.id} 读数 ${fmt(v)}${u} 超出仪表量程 ${range}${u}`,
      en: `${ctx.name.en}: ${input.point.id} reads ${fmt(v)} ${u}, outside the instrument's range ${range} ${u}`,
    };
    return { state: next, findings: [finding(ctx, 'raise', ctx.severity, change.at, message, evidence)] };
  },
};
