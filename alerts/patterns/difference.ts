/**
 * `difference`: graded limits on anchor − partner (e.g. cooling-water inlet
 * flow − outlet flow of a water-cooled element: water lost into the furnace).
 * Same hold / deadband semantics as `threshold`, evaluated whenever either
 * reading moves the pair forward in data time.
 */
import { z } from 'zod';
import type { Observation } from '../types.ts';
import { directionSchema, evalLevels, initLevelTrack, levelOf, levelSpec, levelsShape, type LevelTrack } from './levels.ts';
import { initPair, isPartnerReading, pairShape, stepPair, type PairState } from './pair.ts';
import { clearFinding, finding, fmt, isAnchorReading, unchanged, withEvidence, type Pattern } from './pattern.ts';

export const differenceParamsShape = <L extends z.ZodType>(limit: L) =>
  pairShape.extend({
    direction: directionSchema.default('high'),
    strict: z.boolean().default(false),
    deadband: limit.optional(),
    levels: levelsShape(limit),
  });
export const differenceParamsSchema = differenceParamsShape(z.number().optional());
export type DifferenceParams = z.output<typeof differenceParamsSchema>;

export interface DifferenceState {
  pair: PairState;
  track: LevelTrack;
  evidence: Observation[];
}

export const difference: Pattern<DifferenceParams, DifferenceState> = {
  name: 'difference',
  scope: 'point',
  init: () => ({ pair: initPair(), track: initLevelTrack(), evidence: [] }),
  accepts: (input, p, ctx) => isAnchorReading(input, ctx) || isPartnerReading(input, p, ctx),
  step(state, input, params, ctx) {
    const r = stepPair(state.pair, input, params, ctx);
    if (!r) return unchanged(state);
    if (!r.diff) return { state: { ...state, pair: r.pair }, findings: [] };
    const { diff } = r;
    const spec = levelSpec(params, ctx.severity);
    const { track, change } = evalLevels(state.track, spec, diff.value, diff.ts, ctx.forMs);
    // The episode's evidence: both readings of the first pair, then each reading that moved the pair.
    const other = diff.a === input ? diff.b : diff.a;
    const pairEvidence = (list: readonly Observation[]) => (list.length === 0 ? [other, input as Observation] : withEvidence(list, input as Observation));
    const evidence = Object.keys(track.since).length > 0 ? pairEvidence(state.evidence) : [];
    const next: DifferenceState = { pair: r.pair, track, evidence };
    if (!change) return { state: next, findings: [] };
    const to = levelOf(spec, change.to);
    if (!to)
      return { state: next, findings: [clearFinding(ctx, levelOf(spec, change.from)?.severity ?? ctx.severity, change.at, pairEvidence(state.evidence))] };
    const u = diff.a.point.unit;
    const message = {
      zh: `${ctx.name.zh}：${diff.a.point.id} 与 ${diff.b.point.id} 之差 ${fmt(diff.value)}${u}（${fmt(diff.a.value)} − ${fmt(diff.b.value)}），限值 ${fmt(to.threshold)}${u}`,
      en: `${ctx.name.en}: ${diff.a.point.id} − ${diff.b.point.id} = ${fmt(diff.value)} ${u} (${fmt(diff.a.value)} − ${fmt(diff.b.value)}), limit ${fmt(to.threshold)} ${u}`,
    };
    return { state: next, findings: [finding(ctx, 'raise', to.severity, change.at, message, evidence)] };
  },
};
