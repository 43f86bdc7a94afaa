/**
 * Silence that means something (issue #15 item 13): a point just provisioned
 * has a grace period before its first data; a connected gateway whose points
 * all stop at once raises one gateway-level alert (`gateway_points_silent`),
 * before the points' own silence, which the state machine then suppresses.
 */
import { describe, expect, it } from 'vitest';
import { dataSilence, dataSilenceParamsSchema } from '../../../alerts/patterns/data-silence.ts';
import { gatewayPointsSilent, gatewayPointsSilentParamsSchema } from '../../../alerts/patterns/gateway-points-silent.ts';
import type { PatternInput } from '../../../alerts/patterns/pattern.ts';
import type { RulePoint } from '../../../alerts/rules/limits.ts';
import { defaultCatalogue } from '../../../alerts/rules/packs/index.ts';
import { suppressibleByGatewayOffline } from '../../../alerts/rules/resolve.ts';
import type { Alert } from '../../../alerts/state/model.ts';
import { suppressionFor } from '../../../alerts/state/suppression.ts';
import type { Observation, PointInfo } from '../../../alerts/types.ts';
import { RulesEngine, rootCausesFirst } from '../../../alerts/worker/engine.ts';
import { at, brief, drive, patternContext, tick } from '../../../testkit/patterns.ts';

const GT: PointInfo = { enterpriseId: 'E-1', gatewayId: 'GW-1', id: 'GT-101', kind: 'combustible_gas', unit: '%LEL', periodS: 5 };
const SLOW: PointInfo = { ...GT, id: 'TT-301', kind: 'temperature', unit: '°C', periodS: 60 };
const rd = (s: number, point: PointInfo = GT): Observation => ({ type: 'reading', point, value: 1, quality: 'good', ts: at(s) });
const gw = (state: 'online' | 'offline', s: number): Observation => ({
  type: 'gateway',
  enterpriseId: 'E-1',
  gatewayId: 'GW-1',
  state,
  reason: state,
  ts: at(s),
});
const ticks = (from: number, to: number, step = 1) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => tick(from + i * step));

describe('data_silence: grace for a point never heard (first-data grace 300 s)', () => {
  const params = dataSilenceParamsSchema.parse({ factor: 3, firstDataGraceMs: 300_000 });
  const ctx = patternContext(GT, { subject: 'GT-101' });
  it.each([
    { name: 'regression: a point just provisioned is not silent after 3 periods (was "no data for 0.267 min")', inputs: ticks(0, 60), want: [] },
    { name: 'never reported within the grace: raised once the grace is over', inputs: ticks(0, 301, 7).concat(ticks(302, 302)), want: ['raise:yellow@0'] },
    { name: 'its first reading ends the grace: then 3 periods apply', inputs: [tick(0), rd(10), ...ticks(11, 26)], want: ['raise:yellow@10'] },
    { name: 'a first reading within the grace: nothing', inputs: [...ticks(0, 200, 10), rd(200), tick(201)], want: [] },
  ] satisfies { name: string; inputs: PatternInput[]; want: string[] }[])('$name', ({ inputs, want }) => {
    expect(brief(drive(dataSilence, params, ctx, inputs).findings)).toEqual(want);
  });

  it('says the point has not reported since it was registered', () => {
    const { findings } = drive(dataSilence, params, ctx, [tick(0), tick(400)]);
    expect(findings[0]!.message.zh).toContain('接入后');
  });

  it('the default catalogue gives the grace (5 min, the platform default)', () => {
    const r = defaultCatalogue().rules.find((x) => x.id === 'common.data_silence')!;
    expect(r.pattern === 'data_silence' && r.params.firstDataGraceMs).toBe(300_000);
  });
});

describe('gateway_points_silent (factor 3, lead 1 s)', () => {
  const params = gatewayPointsSilentParamsSchema.parse({});
  const ctx = patternContext(GT, { subject: 'gateway:GW-1', severity: 'orange' });
  const cases: { name: string; inputs: PatternInput[]; want: string[] }[] = [
    { name: 'regular data: nothing', inputs: [tick(0), gw('online', 0), ...[0, 5, 10, 15, 20].flatMap((s) => [rd(s), tick(s + 1)])], want: [] },
    {
      name: 'connected, every point stops: raised at the last data, a second before 3 periods of the fastest point',
      inputs: [tick(0), gw('online', 0), rd(0), rd(0, SLOW), ...ticks(1, 14.5, 0.5)],
      want: ['raise:orange@0'],
    },
    { name: 'exactly 3 periods less the lead: not yet', inputs: [tick(0), gw('online', 0), rd(0), rd(0, SLOW), ...ticks(1, 14, 0.5)], want: [] },
    {
      name: 'cleared by data from any of its points',
      inputs: [tick(0), rd(0), ...ticks(1, 20), rd(21, SLOW), tick(22)],
      want: ['raise:orange@0', 'clear:orange@21'],
    },
    { name: 'a gateway reported offline is the gateway-offline rule’s', inputs: [tick(0), rd(0), gw('offline', 1), ...ticks(2, 60)], want: [] },
    {
      // Known limit: while the only fast point stops alone, the gateway looks silent until a slow point speaks.
      name: 'a fast point that stopped alone: raised until a slow point speaks, then the slow points set the window',
      inputs: [
        tick(0),
        rd(0),
        rd(0, SLOW),
        ...ticks(1, 60, 5),
        rd(60, SLOW),
        ...ticks(61, 121, 10),
        rd(120, SLOW),
        ...ticks(131, 181, 10),
        rd(180, SLOW),
        tick(181),
      ],
      want: ['raise:orange@0', 'clear:orange@60'],
    },
    {
      name: '… and once only slow points are live, they raise it after 3 of their periods',
      inputs: [tick(0), rd(0), rd(0, SLOW), ...ticks(1, 60, 5), rd(60, SLOW), ...ticks(61, 121, 10), rd(120, SLOW), ...ticks(131, 311, 10)],
      want: ['raise:orange@0', 'clear:orange@60', 'raise:orange@120'],
    },
    { name: 'nothing heard since the watch began: left to the points’ grace', inputs: ticks(0, 600, 10), want: [] },
  ];
  it.each(cases)('$name', ({ inputs, want }) => {
    expect(brief(drive(gatewayPointsSilent, params, ctx, inputs).findings)).toEqual(want);
  });
});

describe('a connected gateway whose 26 points all stop (engine + suppression)', () => {
  const points: RulePoint[] = Array.from({ length: 26 }, (_, i) => ({
    enterpriseId: 'E-1',
    gatewayId: 'GW-1',
    id: `GT-${100 + i}`,
    kind: 'combustible_gas',
    unit: '%LEL',
    periodS: 5,
    sector: 'hazardous_chemicals',
  }));

  it('regression: one gateway-level alert; every per-point silence opens suppressed under it', () => {
    const catalogue = defaultCatalogue();
    const engine = new RulesEngine(catalogue);
    engine.setEnterprise('E-1', points);
    const raw = (s: number) =>
      points.map((p) => ({ type: 'reading' as const, enterpriseId: 'E-1', pointId: p.id, value: 1, quality: 'good' as const, ts: at(s) }));
    engine.tick(at(0));
    engine.observe({ type: 'gateway', enterpriseId: 'E-1', gatewayId: 'GW-1', state: 'online', reason: 'connected', ts: at(0) });
    for (let s = 0; s <= 30; s += 5) {
      for (const o of raw(s)) expect(engine.observe(o)).toEqual({ ok: true, findings: [] });
      expect(engine.tick(at(s + 1))).toEqual([]);
    }
    // the PLC link is lost at 30 s; the gateway stays connected; the worker ticks every second
    const findings = [];
    for (let s = 31; s <= 120; s++) findings.push(...engine.tick(at(s)));
    const raises = findings.filter((f) => f.condition === 'raise');
    expect(raises[0]).toMatchObject({ ruleId: 'common.gateway_points_silent', subject: 'gateway:GW-1', severity: 'orange' });
    expect(raises.filter((f) => f.subject.startsWith('gateway:'))).toHaveLength(1);
    expect(raises.filter((f) => f.ruleId === 'common.data_silence')).toHaveLength(26);
    // the state machine's view: the gateway alert is active when each silence raise comes
    const root = { fingerprint: 'fp-gw', enterpriseId: 'E-1', subject: 'gateway:GW-1', state: 'firing', startedAt: raises[0]!.at } as unknown as Alert;
    const opts = { gatewayOf: (_e: string, subject: string) => engine.point('E-1', subject)?.gatewayId, suppressible: suppressibleByGatewayOffline(catalogue) };
    for (const f of raises.slice(1)) expect(suppressionFor(f, [root], opts)).toEqual({ suppressedBy: 'fp-gw' });
  });

  it('rootCausesFirst: gateway findings of a tick go first, the rest keep their order', () => {
    const f = (subject: string, ruleId: string) => ({ subject, ruleId }) as never;
    const list = [f('GT-1', 'a'), f('gateway:GW-1', 'g'), f('GT-2', 'b')];
    expect(rootCausesFirst(list).map((x: { ruleId: string }) => x.ruleId)).toEqual(['g', 'a', 'b']);
  });
});
