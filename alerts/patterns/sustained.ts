/**
 * `sustained`: a value beyond one limit, graded by how long it has stayed
 * there. Raised with the rule's severity once the condition has held for the
 * rule's `forMs`; raised again with each escalation step's grade when the
 * episode (counted from its start, data time) reaches the step's `afterMs`;
 * cleared when the value is back beyond the limit by the deadband.
 */
import { z } from 'zod';
import { maxSeverity, type Observation, type Severity } from '../types.ts';
import { beyondLimit, evalCondition, initCond, type CondTrack } from './condition.ts';
import { directionSchema, severitySchema } from './levels.ts';
import { clearFinding, finding, fmt, isAnchorReading, unchanged, usable, withEvidence, type Pattern } from './pattern.ts';

export const sustainedParamsShape = <L extends z.ZodType>(limit: L) =>
  z.strictObject({
    direction: directionSchema,
    threshold: limit,
    /** Strict comparison (above / below, not at). Default false. */
    strict: z.boolean().default(false),
    /** Back beyond `threshold ∓ deadband` to clear. Default 0. */
    deadband: limit.optional(),
    /** Escalation: the grade once the episode has lasted `afterMs`. The onset grade is the rule's severity. */
    steps: z
      .array(z.strictObject({ afterMs: z.number().int().positive(), severity: severitySchema }))
      .min(1)
      .max(8),
  });
export const sustainedParamsSchema = sustainedParamsShape(z.number());
export type SustainedParams = z.output<typeof sustainedParamsSchema>;

export interface SustainedState {
  lastTs: number | null;
  cond: CondTrack;
  /** Grade currently raised, or null. */
  grade: Severity | null;
  evidence: Observation[];
}

/** The grade of an episode that has lasted `elapsed`, and when that grade began (offset from the start). */
export function gradeAfter(params: SustainedParams, onset: Severity, elapsed: number): { grade: Severity; from: number } {
  let grade = onset;
  let from = 0;
  for (const s of [...params.steps].sort((a, b) => a.afterMs - b.afterMs)) {
    if (elapsed >= s.afterMs) {
      grade = maxSeverity(grade, s.severity);
      from = s.afterMs;
    }
  }
  return { grade, from };
}

export const sustained: Pattern<SustainedParams, SustainedState> = {
  name: 'sustained',
  scope: 'point',
  init: () => ({ lastTs: null, cond: initCond(), grade: null, evidence: [] }),
  accepts: (input, _p, ctx) => isAnchorReading(input, ctx),
  step(state, input, params, ctx) {
    if (!isAnchorReading(input, ctx) || !usable(input)) return unchanged(state);
    if (state.lastTs !== null && input.ts <= state.lastTs) return unchanged(state);
    const t = params.threshold;
    const v = input.value;
    const high = params.direction === 'high';
    const cond = beyondLimit(params, state.cond.active, v);
    const { track, change } = evalCondition(state.cond, cond, input.ts, ctx.forMs);
    const evidence = track.since === null ? [] : withEvidence(state.evidence, input);
    if (change?.kind === 'clear') {
      return {
        state: { lastTs: input.ts, cond: track, grade: null, evidence },
        findings: [clearFinding(ctx, state.grade ?? ctx.severity, change.at, withEvidence(state.evidence, input))],
      };
    }
    if (!track.active || track.since === null) return { state: { lastTs: input.ts, cond: track, grade: null, evidence }, findings: [] };
    const { grade, from } = gradeAfter(params, ctx.severity, input.ts - track.since);
    const next: SustainedState = { lastTs: input.ts, cond: track, grade, evidence };
    if (grade === state.grade) return { state: next, findings: [] };
    const u = input.point.unit;
    const minutes = fmt((input.ts - track.since) / 60_000);
    const message = {
      zh: `${ctx.name.zh}：${input.point.id} 读数 ${fmt(v)}${u}，已持续 ${minutes} 分钟${high ? '超过' : '低于'} ${fmt(t)}${u}`,
      en: `${ctx.name.en}: ${input.point.id} reads ${fmt(v)} ${u}, ${high ? 'above' : 'below'} ${fmt(t)} ${u} for ${minutes} min`,
    };
    const at = state.grade === null ? track.since : track.since + from;
    return { state: next, findings: [finding(ctx, 'raise', grade, at, message, evidence)] };
  },
};
