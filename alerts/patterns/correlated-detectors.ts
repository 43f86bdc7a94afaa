/**
 * `correlated_detectors` (zone scope): a leak confirmed by more than one
 * instrument, or a leak with the ventilation off. Raised when
 *   - at least `minDetectors` detectors of the zone were at level 1 within
 *     `windowMs` of the zone's newest data time (one still there), or
 *   - a detector of the zone is at level 1 while a ventilation point of the
 *     zone (or a plant-wide one: a point without a zone) reports a stopped state;
 * cleared when neither holds. A detector is at level 1 from the reading that
 * reaches its threshold until one falls below threshold − deadband. Level-1
 * thresholds are per detector type (first matching entry wins), since the
 * zone mixes combustible %LEL, toxic ppm and methane %CH4 detectors. Both
 * conditions need a detector still at level 1, so the alert clears when the
 * last detector of the zone is back below its level.
 */
import { z } from 'zod';
import type { Observation } from '../types.ts';
import { evalCondition, initCond, type CondTrack } from './condition.ts';
import { selectorSchema } from './pair.ts';
import {
  clearFinding,
  finding,
  related,
  selects,
  unchanged,
  type Pattern,
  type PatternContext,
  type PatternInput,
  type ReadingObs,
  type SignalObs,
} from './pattern.ts';

const detectorEntry = selectorSchema.extend({
  units: z.array(z.string().min(1)).min(1).optional(),
  /** Level-1 alarm value of this detector type. */
  threshold: z.number(),
  /** Falls below threshold − deadband to leave level 1. Default 0. */
  deadband: z.number().nonnegative().default(0),
});
export const correlatedParamsSchema = z.strictObject({
  detectors: z.array(detectorEntry).min(1),
  /** Detectors at level 1 within the window that raise. Default 2. */
  minDetectors: z.number().int().min(2).default(2),
  /** Default 5 minutes. */
  windowMs: z.number().int().positive().default(300_000),
  /** Ventilation points; null: ignore ventilation. Default `{ kinds: ['ventilation'] }`. */
  ventilation: selectorSchema.nullable().default({ kinds: ['ventilation'] }),
  /** Ventilation states that mean "off". Default ['stopped']. */
  stoppedStates: z.array(z.string().min(1)).min(1).default(['stopped']),
});
export type CorrelatedParams = z.output<typeof correlatedParamsSchema>;

interface DetectorSt {
  lastTs: number;
  alarming: boolean;
  /** Data time of its newest level-1 reading, and that reading. */
  level1Ts: number | null;
  level1: ReadingObs | null;
}
export interface CorrelatedState {
  detectors: Record<string, DetectorSt>;
  vent: Record<string, SignalObs>;
  /** Newest data time seen in the zone. */
  maxTs: number | null;
  cond: CondTrack;
}

const entryFor = (p: CorrelatedParams, r: ReadingObs) =>
  p.detectors.find((d) => selects(d, r.point) && (d.units === undefined || d.units.includes(r.point.unit)));
const isZoneDetector = (input: PatternInput, p: CorrelatedParams, ctx: PatternContext): input is ReadingObs =>
  input.type === 'reading' &&
  input.point.enterpriseId === ctx.anchor.enterpriseId &&
  input.point.zone !== undefined &&
  input.point.zone === ctx.anchor.zone &&
  entryFor(p, input) !== undefined;
const isVent = (input: PatternInput, p: CorrelatedParams, ctx: PatternContext): input is SignalObs =>
  input.type === 'signal' && p.ventilation !== null && related(p.ventilation, input.point, ctx.anchor);

export const correlatedDetectors: Pattern<CorrelatedParams, CorrelatedState> = {
  name: 'correlated_detectors',
  scope: 'zone',
  init: () => ({ detectors: {}, vent: {}, maxTs: null, cond: initCond() }),
  accepts: (input, p, ctx) => isZoneDetector(input, p, ctx) || isVent(input, p, ctx),
  step(state, input, params, ctx) {
    let { detectors, vent } = state;
    if (isZoneDetector(input, params, ctx)) {
      const prev = detectors[input.point.id];
      if (input.quality === 'bad' || (prev && input.ts <= prev.lastTs)) return unchanged(state);
      const e = entryFor(params, input)!;
      const alarming = prev?.alarming ? input.value >= e.threshold - e.deadband : input.value >= e.threshold;
      const d: DetectorSt = alarming
        ? { lastTs: input.ts, alarming, level1Ts: input.ts, level1: input }
        : { lastTs: input.ts, alarming, level1Ts: prev?.level1Ts ?? null, level1: prev?.level1 ?? null };
      detectors = { ...detectors, [input.point.id]: d };
    } else if (isVent(input, params, ctx)) {
      const prev = vent[input.point.id];
      if (prev && input.ts <= prev.ts) return unchanged(state);
      vent = { ...vent, [input.point.id]: input };
    } else return unchanged(state);
    const maxTs = Math.max(state.maxTs ?? input.ts, input.ts);
    const recent = Object.values(detectors).filter((d) => d.level1Ts !== null && d.level1Ts >= maxTs - params.windowMs);
    const alarmingNow = Object.values(detectors).filter((d) => d.alarming);
    const stopped = Object.values(vent).filter((s) => params.stoppedStates.includes(s.state));
    const correlated = recent.length >= params.minDetectors && alarmingNow.length > 0;
    const unventilated = alarmingNow.length > 0 && stopped.length > 0;
    const { track, change } = evalCondition(state.cond, correlated || unventilated, maxTs, ctx.forMs);
    const next: CorrelatedState = { detectors, vent, maxTs, cond: track };
    const level1s = recent.map((d) => d.level1!).sort((a, b) => a.ts - b.ts);
    const evidence: Observation[] = [...level1s, ...stopped];
    if (change?.kind === 'clear') return { state: next, findings: [clearFinding(ctx, ctx.severity, change.at, [input])] };
    if (change?.kind !== 'raise') return { state: next, findings: [] };
    const ids = level1s.map((r) => r.point.id).join('、');
    const zone = ctx.anchor.zone ?? '';
    const message = correlated
      ? {
          zh: `${ctx.name.zh}：${zone} 区域 ${recent.length} 个探测器 ${params.windowMs / 60_000} 分钟内达到一级报警（${ids}）`,
          en: `${ctx.name.en}: ${recent.length} detectors in ${zone} at level 1 within ${params.windowMs / 60_000} min (${ids})`,
        }
      : {
          zh: `${ctx.name.zh}：${zone} 区域探测器一级报警时通风停止（${stopped.map((s) => s.point.id).join('、')}）`,
          en: `${ctx.name.en}: detector at level 1 in ${zone} while ventilation is stopped (${stopped.map((s) => s.point.id).join(', ')})`,
        };
    return { state: next, findings: [finding(ctx, 'raise', ctx.severity, change.at, message, evidence)] };
  },
};
