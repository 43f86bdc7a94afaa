/**
 * `rate_of_rise`: the value rose by more than `rise` within `windowMs` (data
 * time): current value − the lowest value of the window > rise. Stays raised
 * while the rise within the window is at least `rise − deadband`, so it clears
 * by itself once the value levels off for a window. Keeps a monotonic deque of
 * the window's candidate minima (bounded by `maxSamples`).
 */
import { z } from 'zod';
import type { Quality } from '../../core/contract.ts';
import type { Observation } from '../types.ts';
import { evalCondition, initCond, type CondTrack } from './condition.ts';
import { clearFinding, finding, fmt, isAnchorReading, unchanged, usable, withEvidence, type Pattern, type ReadingObs } from './pattern.ts';

export const rateOfRiseParamsShape = <L extends z.ZodType>(limit: L) =>
  z.strictObject({
    /** Rise that raises, in the point's unit per window. */
    rise: limit,
    /** Window length, ms of data time. */
    windowMs: z.number().int().positive(),
    /** The rise must fall below `rise − deadband` to clear. Default 0. */
    deadband: limit.optional(),
    /** Most samples kept for the window (oldest dropped first). Default 1000. */
    maxSamples: z.number().int().min(2).max(10_000).default(1000),
  });
export const rateOfRiseParamsSchema = rateOfRiseParamsShape(z.number());
export type RateOfRiseParams = z.output<typeof rateOfRiseParamsSchema>;

interface Sample {
  ts: number;
  v: number;
  q: Quality;
}
export interface RateOfRiseState {
  lastTs: number | null;
  /** Increasing values: window[0] is the window's minimum. */
  window: Sample[];
  cond: CondTrack;
  evidence: Observation[];
}

const asReading = (r: ReadingObs, s: Sample): ReadingObs => ({ type: 'reading', point: r.point, value: s.v, quality: s.q, ts: s.ts });

export const rateOfRise: Pattern<RateOfRiseParams, RateOfRiseState> = {
  name: 'rate_of_rise',
  scope: 'point',
  init: () => ({ lastTs: null, window: [], cond: initCond(), evidence: [] }),
  accepts: (input, _p, ctx) => isAnchorReading(input, ctx),
  step(state, input, params, ctx) {
    if (!isAnchorReading(input, ctx) || !usable(input)) return unchanged(state);
    if (state.lastTs !== null && input.ts <= state.lastTs) return unchanged(state);
    const window = state.window.filter((s) => s.ts >= input.ts - params.windowMs && s.v < input.value);
    window.push({ ts: input.ts, v: input.value, q: input.quality });
    while (window.length > params.maxSamples) window.shift();
    const min = window[0]!;
    const rise = input.value - min.v;
    const cond = state.cond.active ? rise >= params.rise - (params.deadband ?? 0) : rise > params.rise;
    const { track, change } = evalCondition(state.cond, cond, input.ts, ctx.forMs);
    const evidence = track.since === null ? [] : state.evidence.length === 0 ? [asReading(input, min), input] : withEvidence(state.evidence, input);
    const next: RateOfRiseState = { lastTs: input.ts, window, cond: track, evidence };
    if (change?.kind === 'raise') {
      const u = input.point.unit;
      const message = {
        zh: `${ctx.name.zh}：${input.point.id} 在 ${fmt(params.windowMs / 60_000)} 分钟内上升 ${fmt(rise)}${u}（${fmt(min.v)} → ${fmt(input.value)}）`,
        en: `${ctx.name.en}: ${input.point.id} rose ${fmt(rise)} ${u} within ${fmt(params.windowMs / 60_000)} min (${fmt(min.v)} → ${fmt(input.value)})`,
      };
      return { state: next, findings: [finding(ctx, 'raise', ctx.severity, change.at, message, evidence)] };
    }
    if (change?.kind === 'clear') return { state: next, findings: [clearFinding(ctx, ctx.severity, change.at, withEvidence(state.evidence, input))] };
    return { state: next, findings: [] };
  },
};
