/**
 * `data_silence`: a point (sensor or signal) has sent nothing for more than
 * `factor` × its expected period (+ `graceMs`). Absence of data, so judged on
 * the injected clock at each `tick`: "last heard" is the later of the newest
 * data time and the clock reading when data last arrived, so a gateway whose
 * clock lags does not look silent. Raised at the data time of the last data
 * (when the silence began); cleared by the next observation. A silent
 * detector whose `detector` point (`D-<sensor id>`) reports it switched off
 * or faulted is not raised here: that is `safety_off_in_production`'s alert.
 */
import { z } from 'zod';
import type { Observation } from '../types.ts';
import {
  clearFinding,
  finding,
  fmt,
  isAnchorReading,
  isAnchorSignal,
  unchanged,
  type Pattern,
  type PatternContext,
  type PatternInput,
  type SignalObs,
} from './pattern.ts';

export const dataSilenceParamsSchema = z.strictObject({
  /** Silent for more than factor × the point's period raises. Default 3. */
  factor: z.number().positive().default(3),
  /** Extra allowance, ms. Default 0. */
  graceMs: z.number().int().nonnegative().default(0),
  /**
   * A point not heard since the watch began (just provisioned, never reported)
   * is silent only after max(factor × period + graceMs, firstDataGraceMs), ms. Default 0.
   */
  firstDataGraceMs: z.number().int().nonnegative().default(0),
  /** Prefix of the detector-health point of a sensor (`D-` + sensor id); null: none. Default 'D-'. */
  detectorPrefix: z.string().min(1).nullable().default('D-'),
  /** Detector states that explain the silence. Default ['off', 'faulted']. */
  offStates: z.array(z.string().min(1)).min(1).default(['off', 'faulted']),
});
export type DataSilenceParams = z.output<typeof dataSilenceParamsSchema>;

export interface DataSilenceState {
  /** When the point was last heard (see above), or when the watch began. */
  heardAt: number | null;
  /** The newest observation of the point. */
  last: Observation | null;
  clock: number | null;
  detector: SignalObs | null;
  active: boolean;
}

const isDetectorSignal = (input: PatternInput, p: DataSilenceParams, ctx: PatternContext): boolean =>
  input.type === 'signal' &&
  p.detectorPrefix !== null &&
  input.point.enterpriseId === ctx.anchor.enterpriseId &&
  input.point.id === p.detectorPrefix + ctx.anchor.id;

export const dataSilence: Pattern<DataSilenceParams, DataSilenceState> = {
  name: 'data_silence',
  scope: 'point',
  init: () => ({ heardAt: null, last: null, clock: null, detector: null, active: false }),
  accepts: (input, p, ctx) => input.type === 'tick' || isAnchorReading(input, ctx) || isAnchorSignal(input, ctx) || isDetectorSignal(input, p, ctx),
  step(state, input, params, ctx) {
    if (input.type === 'signal' && isDetectorSignal(input, params, ctx)) {
      if (state.detector && input.ts <= state.detector.ts) return unchanged(state);
      return { state: { ...state, detector: input }, findings: [] };
    }
    if (input.type === 'reading' || input.type === 'signal') {
      if (!isAnchorReading(input, ctx) && !isAnchorSignal(input, ctx)) return unchanged(state);
      const heardAt = Math.max(state.heardAt ?? input.ts, input.ts, state.clock ?? input.ts);
      const last = state.last && state.last.ts >= input.ts ? state.last : input;
      const next: DataSilenceState = { ...state, heardAt, last, active: false };
      if (!state.active) return { state: next, findings: [] };
      return { state: next, findings: [clearFinding(ctx, ctx.severity, Math.max(input.ts, state.last?.ts ?? input.ts), [input])] };
    }
    if (input.type !== 'tick' || (state.clock !== null && input.now <= state.clock)) return unchanged(state);
    // The watch begins at the first tick: whatever came before it (a backlog, a replay) was heard no earlier.
    const heardAt = state.clock === null ? input.now : (state.heardAt ?? input.now);
    const next: DataSilenceState = { ...state, clock: input.now, heardAt };
    const never = state.last === null;
    const limit = Math.max(params.factor * ctx.anchor.periodS * 1000 + params.graceMs, never ? params.firstDataGraceMs : 0);
    const explained = state.detector !== null && params.offStates.includes(state.detector.state);
    if (state.active || explained || input.now - heardAt <= limit) return { state: next, findings: [] };
    const minutes = fmt((input.now - heardAt) / 60_000);
    const message = never
      ? {
          zh: `${ctx.name.zh}：${ctx.anchor.id} 接入后 ${minutes} 分钟仍未上报数据（周期 ${ctx.anchor.periodS} 秒）`,
          en: `${ctx.name.en}: ${ctx.anchor.id} has not reported in the ${minutes} min since it was registered (period ${ctx.anchor.periodS} s)`,
        }
      : {
          zh: `${ctx.name.zh}：${ctx.anchor.id} 已 ${minutes} 分钟无数据（周期 ${ctx.anchor.periodS} 秒）`,
          en: `${ctx.name.en}: no data from ${ctx.anchor.id} for ${minutes} min (period ${ctx.anchor.periodS} s)`,
        };
    const evidence = state.last ? [state.last] : [];
    return { state: { ...next, active: true }, findings: [finding(ctx, 'raise', ctx.severity, state.last?.ts ?? heardAt, message, evidence)] };
  },
};
