/**
 * `gateway_points_silent` (gateway scope): the gateway is still connected (its
 * latest status is not `offline`) but nothing at all comes from any of its
 * points — the link between the gateway and its PLC / instruments is lost.
 * One root-cause alert for the gateway instead of one silence alert per point
 * (the alert state machine suppresses those under any active `gateway:<id>`
 * alert, alerts/state/suppression.ts).
 *
 * "Nothing at all": no reading or signal from any point of the gateway for
 * more than `factor` × the shortest period among the points that were live
 * when the gateway last sent data, less `leadMs` (a point is live if it had
 * been heard within `data_silence`'s 3 periods of that moment; a point
 * already silent on its own does not shorten the window). With the same
 * factor as `data_silence` (3) and a lead of a second, this alert comes when
 * the fastest point's own silence would, a little before it (the engine also
 * hands gateway findings first within a tick), so the per-point alerts open
 * suppressed — and it never fires where the points' silences would not have.
 * Periods are tracked per distinct period value, not per point (a few
 * entries, whatever the gateway's size).
 *
 * Absence of data, judged on the injected clock at each `tick`; "heard" as in
 * `data_silence` (the later of the data time and the clock when it arrived).
 * Raised at the data time of the last data; cleared by the next data from any
 * of its points. An `offline` status does not clear it (the gateway-offline
 * alert then stands beside it; the silence alerts stay suppressed).
 */
import { z } from 'zod';
import type { Observation } from '../types.ts';
import { clearFinding, finding, fmt, unchanged, type Pattern, type PatternContext, type PatternInput } from './pattern.ts';

export const gatewayPointsSilentParamsSchema = z.strictObject({
  /** Nothing from any point for more than factor × the shortest live period (less `leadMs`) raises. Default 3 (data_silence's). */
  factor: z.number().positive().default(3),
  /** How much earlier than the points' own silence it raises, ms. Default 1000 (platform default). */
  leadMs: z.number().int().nonnegative().default(1000),
  /** A point is live if heard within liveFactor × its period before the gateway's last data. Default 3 (data_silence's factor). */
  liveFactor: z.number().positive().default(3),
});
export type GatewayPointsSilentParams = z.output<typeof gatewayPointsSilentParamsSchema>;

type DataObs = Extract<Observation, { type: 'reading' | 'signal' }>;
type GatewayObs = Extract<Observation, { type: 'gateway' }>;

export interface GatewayPointsSilentState {
  /** When data from any point of the gateway was last heard. */
  heardAt: number | null;
  /** Period (s, as a string key) → when a point of that period was last heard. */
  periods: Record<string, number>;
  last: DataObs | null;
  status: GatewayObs | null;
  clock: number | null;
  active: boolean;
}

const isStatus = (input: PatternInput, ctx: PatternContext): input is GatewayObs =>
  input.type === 'gateway' && input.enterpriseId === ctx.anchor.enterpriseId && input.gatewayId === ctx.anchor.gatewayId;
const isData = (input: PatternInput, ctx: PatternContext): input is DataObs =>
  (input.type === 'reading' || input.type === 'signal') &&
  input.point.enterpriseId === ctx.anchor.enterpriseId &&
  input.point.gatewayId === ctx.anchor.gatewayId;

/** The shortest period (ms) among the points live at `heardAt`, or null when none is known. */
function shortestLiveMs(s: GatewayPointsSilentState, liveFactor: number): number | null {
  let best: number | null = null;
  for (const [period, at] of Object.entries(s.periods)) {
    const ms = Number(period) * 1000;
    if (s.heardAt !== null && s.heardAt - at <= liveFactor * ms && (best === null || ms < best)) best = ms;
  }
  return best;
}

export const gatewayPointsSilent: Pattern<GatewayPointsSilentParams, GatewayPointsSilentState> = {
  name: 'gateway_points_silent',
  scope: 'gateway',
  init: () => ({ heardAt: null, periods: {}, last: null, status: null, clock: null, active: false }),
  accepts: (input, _p, ctx) => input.type === 'tick' || isStatus(input, ctx) || isData(input, ctx),
  step(state, input, params, ctx) {
    if (isStatus(input, ctx)) {
      if (state.status && input.ts < state.status.ts) return unchanged(state);
      return { state: { ...state, status: input }, findings: [] };
    }
    if (isData(input, ctx)) {
      const heard = Math.max(input.ts, state.clock ?? input.ts);
      const heardAt = Math.max(state.heardAt ?? heard, heard);
      const key = String(input.point.periodS);
      const periods = (state.periods[key] ?? -Infinity) >= heard ? state.periods : { ...state.periods, [key]: heard };
      const last = state.last && state.last.ts >= input.ts ? state.last : input;
      const next: GatewayPointsSilentState = { ...state, heardAt, periods, last, active: false };
      if (!state.active) return { state: next, findings: [] };
      return { state: next, findings: [clearFinding(ctx, ctx.severity, Math.max(input.ts, state.last?.ts ?? input.ts), [input])] };
    }
    if (input.type !== 'tick' || (state.clock !== null && input.now <= state.clock)) return unchanged(state);
    const next: GatewayPointsSilentState = { ...state, clock: input.now };
    // Nothing known yet (no point ever heard since the watch began): the points' own grace applies.
    if (state.active || state.heardAt === null) return { state: next, findings: [] };
    if (state.status?.state === 'offline') return { state: next, findings: [] };
    const period = shortestLiveMs(state, params.liveFactor);
    if (period === null || input.now - state.heardAt <= params.factor * period - params.leadMs) return { state: next, findings: [] };
    const gw = ctx.anchor.gatewayId;
    const minutes = fmt((input.now - state.heardAt) / 60_000);
    const message = {
      zh: `${ctx.name.zh}：网关 ${gw} 在线，但其全部测点已 ${minutes} 分钟无数据（网关与 PLC/仪表的数据链路中断？）`,
      en: `${ctx.name.en}: gateway ${gw} is connected but none of its points has reported for ${minutes} min (link to the PLC / instruments lost?)`,
    };
    const evidence: Observation[] = [state.last, state.status].filter((o): o is Observation => o !== null);
    return { state: { ...next, active: true }, findings: [finding(ctx, 'raise', ctx.severity, state.last?.ts ?? state.heardAt, message, evidence)] };
  },
};
