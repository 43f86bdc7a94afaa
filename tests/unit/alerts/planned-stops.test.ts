/**
 * Planned stops (停产/检修) as the rules see them, pure with explicit time: what a stop's scope covers,
 * which findings it holds back (silence and offline below red, never a hazard), when it overruns, what a
 * production signal during it means, how the state machine records a stop's hold and lift, and the
 * registration's validation.
 */
import { describe, expect, it } from 'vitest';
import {
  coversPoint,
  coversSubject,
  inForce,
  overrunDecision,
  overrunFinding,
  productionDecision,
  stopCovering,
  stopRoot,
  stopSuppressionFor,
  type StopPoint,
  type StopWindow,
} from '../../../alerts/worker/planned-stops.ts';
import { transition } from '../../../alerts/state/index.ts';
import type { Finding } from '../../../alerts/types.ts';
import { MAX_STOP_DAYS, stopInput, stopStatus } from '../../../ledger/stops.ts';
import { matterOf } from '../../../inspections/tasks/matters.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const points: StopPoint[] = [
  { id: 'GT-1', gatewayId: 'G1', zone: 'tankfarm', hazardSourceCode: 'MH-1' },
  { id: 'GT-2', gatewayId: 'G1', zone: 'tankfarm' },
  { id: 'GT-3', gatewayId: 'G2', zone: 'reactor', hazardSourceCode: 'MH-2' },
  { id: 'PROD-1', gatewayId: 'G2', zone: 'reactor' },
];
const stop = (over: Partial<StopWindow> = {}): StopWindow => ({
  id: 's1',
  enterpriseId: 'E1',
  scope: 'gateway',
  targets: ['G1'],
  kind: 'maintenance',
  reason: '年度检修',
  person: { name: '张三', phone: '13800000000' },
  startsAt: T0,
  expectedEndAt: T0 + 8 * H,
  ...over,
});
const patterns: Record<string, string> = {
  'common.data_silence': 'data_silence',
  'common.gateway_offline': 'gateway_offline',
  'common.gateway_points_silent': 'gateway_points_silent',
  'gas.combustible': 'threshold',
  'common.frozen': 'frozen',
};
const patternOf = (id: string) => patterns[id];
const finding = (over: Partial<Finding> = {}): Finding => ({
  ruleId: 'common.data_silence',
  ruleVersion: 1,
  enterpriseId: 'E1',
  subject: 'GT-1',
  condition: 'raise',
  severity: 'yellow',
  at: T0 + H,
  message: { zh: '数据中断', en: 'silence' },
  evidence: [],
  ...over,
});

describe('scope', () => {
  it.each([
    ['enterprise', [], ['GT-1', 'GT-2', 'GT-3', 'PROD-1']],
    ['zone', ['tankfarm'], ['GT-1', 'GT-2']],
    ['hazard_source', ['MH-2'], ['GT-3']],
    ['gateway', ['G2'], ['GT-3', 'PROD-1']],
    ['points', ['GT-2', 'PROD-1'], ['GT-2', 'PROD-1']],
  ] as const)('a %s stop of %j covers %j', (scope, targets, covered) => {
    expect(points.filter((p) => coversPoint({ scope, targets }, p)).map((p) => p.id)).toEqual(covered);
  });

  it('a gateway subject: named, the whole enterprise, or every point on it covered', () => {
    expect(coversSubject(stop(), 'E1', 'gateway:G1', points)).toBe(true);
    expect(coversSubject(stop(), 'E1', 'gateway:G2', points)).toBe(false);
    expect(coversSubject(stop({ scope: 'enterprise', targets: [] }), 'E1', 'gateway:G2', points)).toBe(true);
    // G1 carries only tank-farm points: a stop of the tank farm covers the gateway
    expect(coversSubject(stop({ scope: 'zone', targets: ['tankfarm'] }), 'E1', 'gateway:G1', points)).toBe(true);
    // MH-1 is one of G1's two points: the gateway still serves GT-2
    expect(coversSubject(stop({ scope: 'hazard_source', targets: ['MH-1'] }), 'E1', 'gateway:G1', points)).toBe(false);
    expect(coversSubject(stop({ scope: 'points', targets: ['GT-1', 'GT-2'] }), 'E1', 'gateway:G1', points)).toBe(true);
    // a gateway without points is covered only when named or by an enterprise stop
    expect(coversSubject(stop({ scope: 'zone', targets: ['tankfarm'] }), 'E1', 'gateway:G9', points)).toBe(false);
  });

  it('another enterprise is never covered', () => {
    expect(coversSubject(stop({ scope: 'enterprise', targets: [] }), 'E2', 'GT-1', points)).toBe(false);
  });

  it('in force from its start (inclusive) until it is ended (exclusive); a cancelled stop never', () => {
    const s = stop({ endedAt: T0 + 2 * H });
    expect([T0 - 1, T0, T0 + 2 * H - 1, T0 + 2 * H].map((t) => inForce(s, t))).toEqual([false, true, true, false]);
    expect(inForce(stop({ cancelledAt: T0 + H }), T0 + 1)).toBe(false);
    // open and past its expected end: still in force (it overruns; the overrun alert says so)
    expect(inForce(stop(), T0 + 100 * H)).toBe(true);
  });

  it('several stops cover a subject: the earliest begun answers', () => {
    const a = stop({ id: 'b', startsAt: T0 + H });
    const b = stop({ id: 'a', scope: 'enterprise', targets: [], startsAt: T0 });
    expect(stopCovering([a, b], 'E1', 'GT-1', T0 + 2 * H, points)?.id).toBe('a');
  });
});

describe('which findings a stop holds back', () => {
  const stops = [stop()];
  it.each([
    ['a point silence of the stopped gateway', {}, stopRoot('s1')],
    ['the gateway offline', { ruleId: 'common.gateway_offline', subject: 'gateway:G1', severity: 'orange' }, stopRoot('s1')],
    ['all the gateway points silent', { ruleId: 'common.gateway_points_silent', subject: 'gateway:G1', severity: 'orange' }, stopRoot('s1')],
    ['a gas alarm on a stopped point (hazards are never held back)', { ruleId: 'gas.combustible', severity: 'orange' }, undefined],
    ['a frozen reading (not silence)', { ruleId: 'common.frozen' }, undefined],
    ['a red silence', { severity: 'red' }, undefined],
    ['a clear', { condition: 'clear' }, undefined],
    ['a silence of a point of another gateway', { subject: 'GT-3' }, undefined],
    ['a silence before the stop begins', { at: T0 - 1 }, undefined],
    ['a rule of no known pattern', { ruleId: 'x.unknown' }, undefined],
  ] as const)('%s', (_, over, expected) => {
    expect(stopSuppressionFor(finding(over as Partial<Finding>), stops, points, patternOf)).toBe(expected);
  });

  it('a silence that began just before the stop (its last data), judged during it, is held back', () => {
    const f = finding({ at: T0 - 2 * 1000 });
    expect(stopSuppressionFor(f, stops, points, patternOf)).toBeUndefined();
    expect(stopSuppressionFor(f, stops, points, patternOf, T0 + 15 * 1000)).toBe(stopRoot('s1'));
  });

  it('none after the stop is ended', () => {
    expect(stopSuppressionFor(finding({ at: T0 + 3 * H }), [stop({ endedAt: T0 + 2 * H })], points, patternOf)).toBeUndefined();
  });
});

describe('overrun, on an explicit clock', () => {
  it('nothing before the expected end, raise from it while open, clear once ended or cancelled', () => {
    const s = stop();
    expect(overrunDecision(s, T0 + 8 * H - 1)).toBe('none');
    expect(overrunDecision(s, T0 + 8 * H)).toBe('raise');
    expect(overrunDecision(stop({ endedAt: T0 + 9 * H }), T0 + 10 * H)).toBe('clear');
    expect(overrunDecision(stop({ cancelledAt: T0 + 9 * H }), T0 + 10 * H)).toBe('clear');
    // ended early: nothing to raise (a clear of no alert is a no-op)
    expect(overrunDecision(stop({ endedAt: T0 + H }), T0 + 10 * H)).toBe('clear');
  });

  it('the overrun alert: yellow, about the stop, raised at the expected end, named in Chinese and English', () => {
    const f = overrunFinding(stop(), 'raise', T0 + 8 * H);
    expect(f).toMatchObject({ ruleId: 'common.planned_stop_overrun', severity: 'yellow', subject: 'stop:s1', at: T0 + 8 * H, condition: 'raise' });
    expect(f.message.zh).toContain('计划停产超期未恢复');
    expect(f.message.zh).toContain('检修（网关 G1）');
    expect(f.message.en).toContain('Planned stop overran');
  });

  it('the ledger shows the same status', () => {
    const s = { startsAt: new Date(T0).toISOString(), expectedEndAt: new Date(T0 + 8 * H).toISOString(), endedAt: null, cancelledAt: null };
    expect([T0 - 1, T0, T0 + 8 * H].map((t) => stopStatus(s, t))).toEqual(['planned', 'active', 'overrunning']);
    expect(stopStatus({ ...s, endedAt: new Date(T0 + H).toISOString() }, T0 + 9 * H)).toBe('ended');
  });
});

describe('production during a stop', () => {
  const r = (state: string, ts = T0 + H) => ({ enterpriseId: 'E1', pointId: 'PROD-1', state, ts });
  it('running while a stop covers the production point raises, naming the stop; stopped clears', () => {
    const stops = [stop({ scope: 'zone', targets: ['reactor'] })];
    expect(productionDecision(r('running'), 'production', stops, points)).toEqual({ condition: 'raise', stop: stops[0] });
    expect(productionDecision(r('stopped'), 'production', stops, points)).toEqual({ condition: 'clear' });
  });
  it('running outside any stop, or another signal kind, raises nothing', () => {
    expect(productionDecision(r('running'), 'production', [stop()], points)).toEqual({ condition: 'clear' });
    expect(productionDecision(r('running', T0 - 1), 'production', [stop({ scope: 'enterprise', targets: [] })], points)).toEqual({ condition: 'clear' });
    expect(productionDecision(r('running'), 'ventilation', [stop({ scope: 'enterprise', targets: [] })], points)).toBeUndefined();
  });
});

describe('inspection matter', () => {
  it('a stop record that does not match the plant is a matter of monitoring integrity', () => {
    expect(matterOf('common.planned_stop_overrun')).toBe('monitoring_integrity');
    expect(matterOf('common.production_during_stop')).toBe('monitoring_integrity');
  });
});

describe('the state machine records a stop', () => {
  it('held back with its own reason, counted as suppressed; lifted when the stop is over with its own reason', () => {
    const policy = { forMs: 0, newId: () => 'a1' };
    const opened = transition(undefined, { type: 'finding', finding: finding(), suppressedBy: stopRoot('s1') }, policy);
    expect(opened.alert).toMatchObject({ state: 'pending', suppressedBy: 'stop:s1' });
    expect(opened.events.map((e) => [e.type, e.reason, e.suppressedBy])).toEqual([['suppressed', 'planned_stop_in_force', 'stop:s1']]);
    const lifted = transition(opened.alert, { type: 'unsuppress', at: T0 + 9 * H }, policy);
    expect(lifted.events.map((e) => [e.type, e.reason])).toEqual([
      ['unsuppressed', 'planned_stop_over'],
      ['fired', 'raised_without_hold'],
    ]);
  });
  it('a gateway root keeps its reasons', () => {
    const opened = transition(
      undefined,
      { type: 'finding', finding: finding(), suppressedBy: 'common.gateway_offline|E1|gateway:G1' },
      { forMs: 0, newId: () => 'a' },
    );
    expect(opened.events[0]?.reason).toBe('root_cause_active');
  });
});

describe('registration input', () => {
  const ok = {
    scope: 'gateway',
    targets: ['G1'],
    kind: 'maintenance',
    reason: '年度检修',
    person: { name: '张三', phone: '138 0000 0000' },
    startsAt: '2026-12-01T08:00:00+08:00',
    expectedEndAt: '2026-12-03T08:00:00+08:00',
  };
  const issues = (input: unknown) => {
    const r = stopInput.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  it('accepts a valid stop; the phone is kept as given', () => {
    expect(issues(ok)).toEqual([]);
    expect(stopInput.parse(ok).person.phone).toBe('138 0000 0000');
  });
  it.each([
    ['an end before the start', { expectedEndAt: '2026-12-01T07:00:00+08:00' }, 'expectedEndAt: 预计恢复时间须晚于开始时间'],
    ['an end equal to the start', { expectedEndAt: '2026-12-01T08:00:00+08:00' }, 'expectedEndAt: 预计恢复时间须晚于开始时间'],
    [`longer than ${MAX_STOP_DAYS} days`, { expectedEndAt: '2027-03-02T08:00:00+08:00' }, `expectedEndAt: 预计停产时长不超过 ${MAX_STOP_DAYS} 天`],
    ['a time that is not ISO 8601', { startsAt: '12/01/2026' }, 'startsAt: startsAt 须为带时区的 ISO 8601 时间'],
    ['a time without a zone', { startsAt: '2026-12-01T08:00:00' }, 'startsAt: startsAt 须带时区'],
    ['targets for the whole enterprise', { scope: 'enterprise' }, 'targets: 全厂停产不列对象'],
    ['no targets for a gateway stop', { targets: [] }, 'targets: 请列出停产的网关'],
    ['a target twice', { targets: ['G1', 'G1'] }, 'targets: 对象重复'],
    ['an unknown kind', { kind: 'holiday' }, 'kind: 类型可选'],
    ['no reason', { reason: ' ' }, 'reason: 停产/检修原因必填'],
    ['no phone', { person: { name: '张三' } }, 'person.phone: 负责人电话必填'],
    ['a phone that is no number', { person: { name: '张三', phone: 'ask the gate' } }, 'person.phone: 负责人电话须为电话号码'],
  ])('refuses %s, naming the field', (_, over, message) => {
    const found = issues({ ...ok, ...over });
    expect(
      found.some((m) => m.startsWith(message)),
      found.join('\n'),
    ).toBe(true);
  });
});
