/**
 * Absence of data: `data_silence` (a point silent for 3 × its period) and
 * `gateway_offline` (last will / status, missed heartbeat), judged on an
 * injected clock through `tick`s. Each case runs on frozen states and through
 * a JSON round trip after every step; both runs must agree.
 */
import { describe, expect, it } from 'vitest';
import { dataSilence, dataSilenceParamsSchema } from '../../../alerts/patterns/data-silence.ts';
import { gatewayOffline, gatewayOfflineParamsSchema } from '../../../alerts/patterns/gateway-offline.ts';
import type { PatternInput } from '../../../alerts/patterns/pattern.ts';
import type { Observation, PointInfo } from '../../../alerts/types.ts';
import type { SignalKind } from '../../../core/contract.ts';
import { at, brief, drive, patternContext, tick } from '../../../testkit/patterns.ts';

const GT: PointInfo = { enterpriseId: 'E-1', gatewayId: 'GW-1', id: 'GT-101', kind: 'combustible_gas', unit: '%LEL', periodS: 5, zone: 'tank-farm' };
const DET: PointInfo & { kind: SignalKind } = { ...GT, id: 'D-GT-101', kind: 'detector', unit: '', periodS: 60 };
const rd = (s: number, point: PointInfo = GT): Observation => ({ type: 'reading', point, value: 1, quality: 'good', ts: at(s) });
const sg = (state: string, s: number, point: PointInfo & { kind: SignalKind } = DET): Observation => ({ type: 'signal', point, state, ts: at(s) });
const gw = (state: 'online' | 'offline', s: number, gatewayId = 'GW-1'): Observation => ({
  type: 'gateway',
  enterpriseId: 'E-1',
  gatewayId,
  state,
  reason: state === 'offline' ? 'last will' : 'connected',
  ts: at(s),
});
const ticks = (from: number, to: number, step = 1) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => tick(from + i * step));
const ctxFor = (anchor: PointInfo, subject: string) => patternContext(anchor, { subject });

describe('data_silence (period 5 s, factor 3)', () => {
  const params = dataSilenceParamsSchema.parse({});
  const cases: { name: string; inputs: PatternInput[]; want: string[] }[] = [
    {
      name: 'regular data: nothing',
      inputs: [tick(0), rd(0), tick(5), rd(5), tick(10), rd(10), tick(15), rd(15), tick(20), rd(20), ...ticks(21, 30)],
      want: [],
    },
    { name: 'silent for more than 15 s: raised at the last data time', inputs: [tick(0), rd(0), ...ticks(1, 16)], want: ['raise:yellow@0'] },
    { name: 'exactly 15 s is not yet more than 3 periods', inputs: [tick(0), rd(0), ...ticks(1, 15)], want: [] },
    { name: 'raised once however long it lasts', inputs: [tick(0), rd(0), ...ticks(1, 600, 7)], want: ['raise:yellow@0'] },
    { name: 'cleared by the next reading', inputs: [tick(0), rd(0), ...ticks(1, 20), rd(21), tick(22)], want: ['raise:yellow@0', 'clear:yellow@21'] },
    { name: 'a point never heard counts from the first tick', inputs: ticks(100, 116), want: ['raise:yellow@100'] },
    {
      name: 'old data received before the first tick is heard at that tick (the watch begins there)',
      inputs: [rd(0), tick(100), ...ticks(101, 115)],
      want: [],
    },
    { name: '… and silence after it still counts from there', inputs: [rd(0), tick(100), ...ticks(101, 116)], want: ['raise:yellow@0'] },
    {
      name: 'a gateway clock 60 s behind is not silence',
      inputs: [tick(60), rd(0), tick(65), rd(5), tick(70), rd(10), tick(75), rd(15), tick(80), rd(20), tick(85), rd(25), tick(90)],
      want: [],
    },
    {
      name: 'a backlog flushed after an outage clears it, at the data time of its first reading',
      inputs: [tick(0), rd(0), ...ticks(1, 60, 5), rd(5), rd(10), rd(55), tick(62)],
      want: ['raise:yellow@0', 'clear:yellow@5'],
    },
    { name: 'silence explained by the detector reported off is not raised here', inputs: [tick(0), rd(0), sg('off', 1), ...ticks(1, 60)], want: [] },
    { name: 'a powered detector does not explain silence', inputs: [tick(0), rd(0), sg('powered', 1), ...ticks(1, 20)], want: ['raise:yellow@0'] },
    { name: "another point's data does not count", inputs: [tick(0), rd(0), rd(10, { ...GT, id: 'GT-102' }), ...ticks(1, 16)], want: ['raise:yellow@0'] },
    { name: 'the clock going back is ignored', inputs: [tick(0), rd(0), tick(30), tick(10), rd(31), tick(31)], want: ['raise:yellow@0', 'clear:yellow@31'] },
  ];
  it.each(cases)('$name', ({ inputs, want }) => {
    expect(brief(drive(dataSilence, params, ctxFor(GT, 'GT-101'), inputs).findings)).toEqual(want);
  });

  it('applies to signal points with their own period', () => {
    const P_RUN: PointInfo & { kind: SignalKind } = { ...GT, id: 'P-RUN', kind: 'production', unit: '', periodS: 60 };
    const inputs = [tick(0), sg('running', 0, P_RUN), ...ticks(1, 180, 10), tick(181)];
    expect(brief(drive(dataSilence, params, ctxFor(P_RUN, 'P-RUN'), inputs).findings)).toEqual(['raise:yellow@0']);
  });

  it('the finding names the point and the silent time, with the last reading as evidence', () => {
    const { findings } = drive(dataSilence, params, ctxFor(GT, 'GT-101'), [tick(0), rd(0), tick(120)]);
    expect(findings[0]!.message.en).toContain('GT-101');
    expect(findings[0]!.message.zh).toContain('2 分钟');
    expect(findings[0]!.evidence).toEqual([rd(0)]);
  });
});

describe('gateway_offline (heartbeat 180 s)', () => {
  const params = gatewayOfflineParamsSchema.parse({});
  const cases: { name: string; inputs: PatternInput[]; want: string[] }[] = [
    { name: 'steady data: nothing', inputs: [tick(0), rd(0), tick(100), rd(100), tick(200), rd(200), tick(300)], want: [] },
    { name: 'last will: raised at the status time', inputs: [tick(0), rd(0), gw('offline', 10), tick(11)], want: ['raise:yellow@10'] },
    { name: 'back online: cleared', inputs: [rd(0), gw('offline', 10), gw('online', 70)], want: ['raise:yellow@10', 'clear:yellow@70'] },
    {
      name: 'data stamped after the offline status means it is back',
      inputs: [rd(0), gw('offline', 10), rd(70)],
      want: ['raise:yellow@10', 'clear:yellow@70'],
    },
    { name: 'a backlog stamped before the offline status does not clear it', inputs: [rd(0), gw('offline', 10), rd(5), rd(9)], want: ['raise:yellow@10'] },
    { name: 'a late offline status older than a newer online one is ignored', inputs: [gw('online', 20), gw('offline', 10), tick(21)], want: [] },
    { name: 'missed heartbeat: nothing for 180 s', inputs: [tick(0), rd(0), tick(100), tick(180), tick(181)], want: ['raise:yellow@0'] },
    { name: 'heartbeat then last will: one alert', inputs: [tick(0), rd(0), tick(181), gw('offline', 182)], want: ['raise:yellow@0'] },
    { name: 'a backlog received before the first tick is heard at that tick', inputs: [rd(0), rd(10), tick(1000), tick(1180)], want: [] },
    { name: '… and nothing for 180 s after it is a missed heartbeat', inputs: [rd(0), rd(10), tick(1000), tick(1181)], want: ['raise:yellow@10'] },
    { name: 'status messages count as heard', inputs: [tick(0), gw('online', 0), tick(100), gw('online', 100), tick(200)], want: [] },
    {
      name: "another gateway's messages are ignored",
      inputs: [tick(0), rd(0), gw('offline', 10, 'GW-2'), rd(100, { ...GT, gatewayId: 'GW-2' }), tick(181)],
      want: ['raise:yellow@0'],
    },
  ];
  it.each(cases)('$name', ({ inputs, want }) => {
    expect(brief(drive(gatewayOffline, params, ctxFor(GT, 'gateway:GW-1'), inputs).findings)).toEqual(want);
  });

  it('the finding is about the gateway and carries the status as evidence', () => {
    const { findings } = drive(gatewayOffline, params, ctxFor(GT, 'gateway:GW-1'), [rd(0), gw('offline', 10)]);
    expect(findings[0]).toMatchObject({ subject: 'gateway:GW-1', enterpriseId: 'E-1' });
    expect(findings[0]!.message.zh).toContain('GW-1');
    expect(findings[0]!.evidence).toContainEqual(gw('offline', 10));
  });
});
