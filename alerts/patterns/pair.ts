/**
 * Pairs a point with its partner (inlet with outlet of the same zone) and
 * yields their difference at aligned data times; used by `difference` and by
 * the `difference` trigger of `interlock_failure`.
 */
import { z } from 'zod';
import { POINT_RELATION_IDS } from '../../core/vocabulary.ts';
import { related, usable, type PatternContext, type PatternInput, type ReadingObs } from './pattern.ts';

export const selectorSchema = z.strictObject({
  kinds: z.array(z.string().min(1)).min(1).optional(),
  roles: z.array(z.string().min(1)).min(1).optional(),
  ids: z.array(z.string().min(1)).min(1).optional(),
  /** A registered relation (core/vocabulary.ts POINT_RELATIONS): the anchor's links of it, when it has any, decide (pattern.ts `related`). */
  link: z.enum(POINT_RELATION_IDS).optional(),
});

export const pairShape = z.strictObject({
  /** The partner point, in the anchor's zone (or plant-wide): e.g. `{ kinds: ['flow'], roles: ['cooling_outlet'] }`. */
  partner: selectorSchema,
  /** Greatest gap between the two readings' times for their difference to count, ms. Default 15 000. */
  maxSkewMs: z.number().int().positive().default(15_000),
});
export type PairParams = z.output<typeof pairShape>;

export interface PairState {
  /** Latest usable reading of the anchor and of the partner (the first matching point heard). */
  a: ReadingObs | null;
  b: ReadingObs | null;
}
export const initPair = (): PairState => ({ a: null, b: null });

export const isPartnerReading = (input: PatternInput, pair: PairParams, ctx: PatternContext): input is ReadingObs =>
  input.type === 'reading' && input.point.id !== ctx.anchor.id && related(pair.partner, input.point, ctx.anchor);

/**
 * Takes a reading of the anchor or its partner (late and duplicate readings of
 * either side are dropped: null). Returns the new pair state and, when both
 * sides are within `maxSkewMs` of each other, the difference anchor − partner
 * at `ts` = the later of the two (two readings of the same instant give two
 * evaluations at that ts, the second with both fresh).
 */
export function stepPair(
  st: PairState,
  input: PatternInput,
  pair: PairParams,
  ctx: PatternContext,
): { pair: PairState; diff: { value: number; ts: number; a: ReadingObs; b: ReadingObs } | null } | null {
  if (input.type !== 'reading' || !usable(input)) return null;
  let { a, b } = st;
  if (input.point.enterpriseId === ctx.anchor.enterpriseId && input.point.id === ctx.anchor.id) {
    if (a && input.ts <= a.ts) return null;
    a = input;
  } else if (isPartnerReading(input, pair, ctx) && (b === null || b.point.id === input.point.id)) {
    if (b && input.ts <= b.ts) return null;
    b = input;
  } else return null;
  if (!a || !b || Math.abs(a.ts - b.ts) > pair.maxSkewMs) return { pair: { a, b }, diff: null };
  return { pair: { a, b }, diff: { value: a.value - b.value, ts: Math.max(a.ts, b.ts), a, b } };
}
