/**
 * `gateway_offline` (gateway scope): the gateway reported (or its last will
 * reported) `offline`, or nothing at all came from it for `heartbeatMs` on
 * the injected clock ("last heard" as in `data_silence`). An `offline` status
 * is overridden by a later `online` status or by data stamped after it.
 * Raised at the status time, or at the data time of the last data for a
 * missed heartbeat; cleared by an `online` status or fresh data. This is the
 * root cause the alert state machine uses to suppress its sensors' silence.
 */
import { z } from 'zod';
import type { Observation } from '../types.ts';
import { clearFinding, finding, fmt, unchanged, type Pattern, type PatternContext, type PatternInput } from './pattern.ts';

export const gatewayOfflineParamsSchema = z.strictObject({
  /** Nothing heard from the gateway for this long raises, ms. Default 180 000 (3 × the 60 s signal period). */
  heartbeatMs: z.number().int().positive().default(180_000),
});
export type GatewayOfflineParams = z.output<typeof gatewayOfflineParamsSchema>;

type GatewayObs = Extract<Observation, { type: 'gateway' }>;
export interface GatewayOfflineState {
  status: GatewayObs | null;
  heardAt: number | null;
  last: Observation | null;
  clock: number | null;
  active: 'status' | 'heartbeat' | null;
}

const isStatus = (input: PatternInput, ctx: PatternContext): input is GatewayObs =>
  input.type === 'gateway' && input.enterpriseId === ctx.anchor.enterpriseId && input.gatewayId === ctx.anchor.gatewayId;
const isData = (input: PatternInput, ctx: PatternContext): input is Extract<Observation, { type: 'reading' | 'signal' }> =>
  (input.type === 'reading' || input.type === 'signal') &&
  input.point.enterpriseId === ctx.anchor.enterpriseId &&
  input.point.gatewayId === ctx.anchor.gatewayId;

export const gatewayOffline: Pattern<GatewayOfflineParams, GatewayOfflineState> = {
  name: 'gateway_offline',
  scope: 'gateway',
  init: () => ({ status: null, heardAt: null, last: null, clock: null, active: null }),
  accepts: (input, _p, ctx) => input.type === 'tick' || isStatus(input, ctx) || isData(input, ctx),
  step(state, input, params, ctx) {
    let s = state;
    if (isStatus(input, ctx)) {
      if (s.status && input.ts < s.status.ts) return unchanged(state);
      s = { ...s, status: input, heardAt: input.state === 'online' ? Math.max(s.heardAt ?? input.ts, input.ts, s.clock ?? input.ts) : s.heardAt };
    } else if (isData(input, ctx)) {
      const last = s.last && s.last.ts >= input.ts ? s.last : input;
      s = { ...s, last, heardAt: Math.max(s.heardAt ?? input.ts, input.ts, s.clock ?? input.ts) };
    } else if (input.type === 'tick') {
      if (s.clock !== null && input.now <= s.clock) return unchanged(state);
      // The watch begins at the first tick: whatever came before it (a backlog, a replay) was heard no earlier.
      s = { ...s, clock: input.now, heardAt: s.clock === null ? input.now : (s.heardAt ?? input.now) };
    } else return unchanged(state);

    const byStatus = s.status?.state === 'offline' && !(s.last !== null && s.last.ts > s.status.ts);
    const byHeartbeat = s.clock !== null && s.heardAt !== null && s.clock - s.heardAt > params.heartbeatMs;
    const reason = byStatus ? 'status' : byHeartbeat ? 'heartbeat' : null;
    if ((reason === null) === (state.active === null))
      return { state: { ...s, active: state.active === null ? null : (reason ?? state.active) }, findings: [] };
    if (reason === null) {
      const at = input.type === 'tick' ? input.now : input.ts;
      return { state: { ...s, active: null }, findings: [clearFinding(ctx, ctx.severity, at, input.type === 'tick' ? [] : [input])] };
    }
    const gw = ctx.anchor.gatewayId;
    const evidence: Observation[] = [s.last, byStatus ? s.status : null].filter((o): o is Observation => o !== null);
    const message =
      reason === 'status'
        ? { zh: `${ctx.name.zh}：网关 ${gw} 离线（${s.status?.reason ?? ''}）`, en: `${ctx.name.en}: gateway ${gw} is offline (${s.status?.reason ?? ''})` }
        : {
            zh: `${ctx.name.zh}：网关 ${gw} 已 ${fmt((s.clock! - s.heardAt!) / 60_000)} 分钟无任何数据`,
            en: `${ctx.name.en}: nothing from gateway ${gw} for ${fmt((s.clock! - s.heardAt!) / 60_000)} min`,
          };
    const at = reason === 'status' ? s.status!.ts : (s.last?.ts ?? s.heardAt!);
    return { state: { ...s, active: reason }, findings: [finding(ctx, 'raise', ctx.severity, at, message, evidence)] };
  },
};
