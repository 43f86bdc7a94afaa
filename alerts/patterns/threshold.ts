/**
 * `threshold`: a point's value against graded limits, with hold time (the
 * rule's `forMs`) and a deadband for clearing. Raises when the first level is
 * reached, raises again with the new grade when a higher level is reached or
 * the value falls back to a lower one, clears when it is back beyond the
 * lowest level's threshold by its deadband. Late and duplicate readings
 * (ts ≤ the newest seen) and bad-quality readings are ignored.
 */
import { z } from 'zod';
import type { Observation } from '../types.ts';
import { directionSchema, evalLevels, initLevelTrack, levelOf, levelSpec, levelsShape, type LevelTrack } from './levels.ts';
import {
  clearFinding,
  finding,
  fmt,
  isAnchorReading,
  unchanged,
  usable,
  withEvidence,
  type Pattern,
  type PatternContext,
  type PatternInput,
  type ReadingObs,
  type StepResult,
} from './pattern.ts';

export const thresholdParamsShape = <L extends z.ZodType>(limit: L) =>
  z.strictObject({
    /** `high`: alarm at or above the limits; `low`: at or below. */
    direction: directionSchema,
    /** Strict comparison (above / below, not at). Default false. */
    strict: z.boolean().default(false),
    /** Deadband of every level that names none, in the point's unit. Default 0. */
    deadband: limit.optional(),
    levels: levelsShape(limit),
  });
export const thresholdParamsSchema = thresholdParamsShape(z.number().optional());
export type ThresholdParams = z.output<typeof thresholdParamsSchema>;

export interface ThresholdState {
  lastTs: number | null;
  track: LevelTrack;
  /** The readings of the current episode (pending or raised), bounded. */
  evidence: Observation[];
}

export function thresholdMessage(ctx: PatternContext, r: ReadingObs, threshold: number, direction: 'high' | 'low'): { zh: string; en: string } {
  const u = r.point.unit;
  return direction === 'high'
    ? {
        zh: `${ctx.name.zh}：${r.point.id} 读数 ${fmt(r.value)}${u}，达到 ${fmt(threshold)}${u}`,
        en: `${ctx.name.en}: ${r.point.id} reads ${fmt(r.value)} ${u}, at or above ${fmt(threshold)} ${u}`,
      }
    : {
        zh: `${ctx.name.zh}：${r.point.id} 读数 ${fmt(r.value)}${u}，低于 ${fmt(threshold)}${u}`,
        en: `${ctx.name.en}: ${r.point.id} reads ${fmt(r.value)} ${u}, at or below ${fmt(threshold)} ${u}`,
      };
}

export const threshold: Pattern<ThresholdParams, ThresholdState> = {
  name: 'threshold',
  scope: 'point',
  init: () => ({ lastTs: null, track: initLevelTrack(), evidence: [] }),
  accepts: (input, _p, ctx) => isAnchorReading(input, ctx),
  step(state: ThresholdState, input: PatternInput, params: ThresholdParams, ctx: PatternContext): StepResult<ThresholdState> {
    if (!isAnchorReading(input, ctx) || !usable(input)) return unchanged(state);
    if (state.lastTs !== null && input.ts <= state.lastTs) return unchanged(state);
    const spec = levelSpec(params, ctx.severity);
    const { track, change } = evalLevels(state.track, spec, input.value, input.ts, ctx.forMs);
    const inEpisode = Object.keys(track.since).length > 0;
    const evidence = inEpisode ? withEvidence(state.evidence, input) : [];
    const next: ThresholdState = { lastTs: input.ts, track, evidence };
    if (!change) return { state: next, findings: [] };
    const to = levelOf(spec, change.to);
    if (!to) {
      const from = levelOf(spec, change.from);
      return { state: next, findings: [clearFinding(ctx, from?.severity ?? ctx.severity, change.at, withEvidence(state.evidence, input))] };
    }
    return { state: next, findings: [finding(ctx, 'raise', to.severity, change.at, thresholdMessage(ctx, input, to.threshold, spec.direction), evidence)] };
  },
};
