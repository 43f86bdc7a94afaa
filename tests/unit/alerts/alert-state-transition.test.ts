/**
 * Alert state machine, findings and ticks: raise → hold → fire, clear during
 * the hold, flaps, severity increases, out-of-order and replayed findings.
 * Each scenario is a timeline in minutes after T0; time comes only from the
 * commands (and a FakeClock in the restart test).
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../core/clock.ts';
import { transition } from '../../../alerts/state/transition.ts';
import type { Alert, AlertEvent, Command, TransitionOutcome } from '../../../alerts/state/model.ts';
import { fingerprintOf, type Finding, type Observation, type Severity } from '../../../alerts/types.ts';

const T0 = Date.UTC(2026, 2, 1, 0, 0, 0);
const MIN = 60_000;
const m = (min: number): number => T0 + min * MIN;

const reading = (value: number, ts: number): Observation => ({
  type: 'reading',
  point: { enterpriseId: 'E1', gatewayId: 'G1', id: 'GT-101', kind: 'combustible_gas', unit: '%LEL', periodS: 5 },
  value,
  quality: 'good',
  ts,
});
/** A finding on GT-101; its evidence is one reading whose value tags the finding (for evidence assertions). */
const finding = (condition: Finding['condition'], min: number, severity: Severity = 'yellow', value = 30): Finding => ({
  ruleId: 'gas.combustible.level',
  ruleVersion: 1,
  enterpriseId: 'E1',
  subject: 'GT-101',
  condition,
  severity,
  at: m(min),
  message: { zh: `可燃气体 ${value}%LEL`, en: `combustible gas ${value} %LEL` },
  evidence: [reading(value, m(min))],
});
const raise = (min: number, severity?: Severity, value?: number): Command => ({ type: 'finding', finding: finding('raise', min, severity, value) });
const clear = (min: number): Command => ({ type: 'finding', finding: finding('clear', min) });
const tick = (min: number): Command => ({ type: 'tick', now: m(min) });

const NO_OPS = new Set<TransitionOutcome>(['duplicate', 'stale', 'no_active_alert', 'not_pending', 'hold_not_elapsed', 'still_suppressed', 'not_suppressed']);

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** Applies commands in order, as the worker would for one fingerprint; inputs are frozen, so any mutation throws. */
function run(steps: readonly Command[], forMs: number, start?: { current: Alert | undefined; nextId: number }) {
  let n = start?.nextId ?? 0;
  const policy = { forMs, newId: () => `A${++n}` };
  let current = start?.current;
  const alerts = new Map<string, Alert>();
  const events: AlertEvent[] = [];
  const outcomes: TransitionOutcome[] = [];
  for (const cmd of steps) {
    const r = transition(deepFreeze(current), deepFreeze(cmd), policy);
    if (r.error) throw new Error(`${r.error.code}: ${r.error.message}`);
    if (NO_OPS.has(r.outcome))
      expect(r.alert).toBe(current); // a no-op hands back the very same object
    else expect(r.alert).not.toBe(current);
    current = r.alert;
    if (current) alerts.set(current.id, current);
    events.push(...r.events);
    outcomes.push(r.outcome);
  }
  return { current, alerts: [...alerts.values()], events, outcomes, nextId: n };
}
const timeline = (events: AlertEvent[]): string[] => events.map((e) => `${e.alertId}:${e.type}@${(e.at - T0) / MIN}`);

interface Scenario {
  name: string;
  forMin: number;
  steps: Command[];
  events: string[];
  alerts: Partial<Alert>[];
  outcomes?: TransitionOutcome[];
  /** Properties the last alert must not have. */
  absent?: (keyof Alert)[];
}

const scenarios: Scenario[] = [
  {
    name: 'raise → hold → fire by tick (firedAt = startedAt + for, not the tick time)',
    forMin: 5,
    steps: [raise(0), tick(4), tick(7)],
    events: ['A1:pending@0', 'A1:fired@5'],
    alerts: [{ id: 'A1', state: 'firing', startedAt: m(0), firedAt: m(5), occurrences: 1 }],
    outcomes: ['opened', 'hold_not_elapsed', 'fired'],
  },
  {
    name: 'a tick exactly at the end of the hold fires',
    forMin: 5,
    steps: [raise(0), tick(5)],
    events: ['A1:pending@0', 'A1:fired@5'],
    alerts: [{ id: 'A1', state: 'firing', firedAt: m(5) }],
  },
  {
    name: 'no hold time: the first raise fires',
    forMin: 0,
    steps: [raise(0)],
    events: ['A1:fired@0'],
    alerts: [{ id: 'A1', state: 'firing', startedAt: m(0), firedAt: m(0) }],
  },
  {
    name: 'a later raise past the hold fires it without a tick',
    forMin: 5,
    steps: [raise(0), raise(3), raise(6)],
    events: ['A1:pending@0', 'A1:fired@5'],
    alerts: [{ id: 'A1', state: 'firing', firedAt: m(5), lastFindingAt: m(6), occurrences: 3 }],
    outcomes: ['opened', 'merged', 'fired'],
  },
  {
    name: 'clear during the hold: discarded, never fired',
    forMin: 5,
    steps: [raise(0), clear(2), tick(10)],
    events: ['A1:pending@0', 'A1:discarded@2'],
    alerts: [{ id: 'A1', state: 'resolved', resolution: 'cleared_before_hold', resolvedAt: m(2) }],
    absent: ['firedAt'],
    outcomes: ['opened', 'discarded', 'no_active_alert'],
  },
  {
    name: 'clear after firing resolves it at the clear time',
    forMin: 5,
    steps: [raise(0), tick(5), clear(20)],
    events: ['A1:pending@0', 'A1:fired@5', 'A1:resolved@20'],
    alerts: [{ id: 'A1', state: 'resolved', resolution: 'cleared', firedAt: m(5), resolvedAt: m(20) }],
  },
  {
    name: 'flap within the hold: three episodes, only the one that holds fires',
    forMin: 5,
    steps: [raise(0), clear(1), raise(2), clear(3), raise(4), tick(8), tick(9)],
    events: ['A1:pending@0', 'A1:discarded@1', 'A2:pending@2', 'A2:discarded@3', 'A3:pending@4', 'A3:fired@9'],
    alerts: [
      { id: 'A1', state: 'resolved', resolution: 'cleared_before_hold' },
      { id: 'A2', state: 'resolved', resolution: 'cleared_before_hold', previousEpisodeEndAt: m(1) },
      { id: 'A3', state: 'firing', startedAt: m(4), firedAt: m(9), previousEpisodeEndAt: m(3) },
    ],
  },
  {
    name: 'flap without hold: raise, clear, raise within minutes is two alerts',
    forMin: 0,
    steps: [raise(0), clear(1), raise(2)],
    events: ['A1:fired@0', 'A1:resolved@1', 'A2:fired@2'],
    alerts: [
      { id: 'A1', state: 'resolved', resolution: 'cleared' },
      { id: 'A2', state: 'firing', startedAt: m(2) },
    ],
  },
  {
    name: 'severity rises within one alert and is never lowered',
    forMin: 0,
    steps: [raise(0, 'yellow'), raise(1, 'orange'), raise(2, 'red'), raise(3, 'orange')],
    events: ['A1:fired@0', 'A1:severity_raised@1', 'A1:severity_raised@2'],
    alerts: [{ id: 'A1', state: 'firing', severity: 'red', severitySince: m(2), occurrences: 4, lastFindingAt: m(3), startedAt: m(0) }],
    outcomes: ['opened', 'merged', 'merged', 'merged'],
  },
  {
    name: 'severity rises during the hold; it fires at the higher grade',
    forMin: 5,
    steps: [raise(0, 'blue'), raise(2, 'orange'), tick(5)],
    events: ['A1:pending@0', 'A1:severity_raised@2', 'A1:fired@5'],
    alerts: [{ id: 'A1', state: 'firing', severity: 'orange', firedAt: m(5) }],
  },
  {
    name: 'a raise after resolution opens a new alert',
    forMin: 0,
    steps: [raise(0), clear(5), raise(10)],
    events: ['A1:fired@0', 'A1:resolved@5', 'A2:fired@10'],
    alerts: [
      { id: 'A1', state: 'resolved' },
      { id: 'A2', state: 'firing', startedAt: m(10), previousEpisodeEndAt: m(5), occurrences: 1 },
    ],
  },
  {
    name: 'at-least-once: the same raise twice is one occurrence',
    forMin: 0,
    steps: [raise(0), raise(0)],
    events: ['A1:fired@0'],
    alerts: [{ id: 'A1', occurrences: 1 }],
    outcomes: ['opened', 'duplicate'],
  },
  {
    name: 'out of order: a late raise moves the start earlier, the hold counts from it',
    forMin: 5,
    steps: [raise(10), raise(7), tick(11), tick(12)],
    events: ['A1:pending@10', 'A1:updated@7', 'A1:fired@12'],
    alerts: [{ id: 'A1', state: 'firing', startedAt: m(7), lastFindingAt: m(10), firedAt: m(12), occurrences: 2 }],
    outcomes: ['opened', 'merged', 'hold_not_elapsed', 'fired'],
  },
  {
    name: 'out of order: a late raise that completes the hold fires it',
    forMin: 5,
    steps: [raise(10), raise(3)],
    events: ['A1:pending@10', 'A1:updated@3', 'A1:fired@8'],
    alerts: [{ id: 'A1', state: 'firing', startedAt: m(3), firedAt: m(8) }],
  },
  {
    name: 'out of order: a late raise never moves the start later',
    forMin: 0,
    steps: [raise(2), raise(6), raise(4)],
    events: ['A1:fired@2'],
    alerts: [{ id: 'A1', startedAt: m(2), lastFindingAt: m(6), occurrences: 2 }],
    outcomes: ['opened', 'merged', 'duplicate'],
  },
  {
    name: 'out of order: a clear older than the latest raise is ignored',
    forMin: 0,
    steps: [raise(0), raise(10), clear(5)],
    events: ['A1:fired@0'],
    alerts: [{ id: 'A1', state: 'firing' }],
    outcomes: ['opened', 'merged', 'stale'],
  },
  {
    name: 'a late raise from a closed episode does not reopen it',
    forMin: 0,
    steps: [raise(0), clear(5), raise(3)],
    events: ['A1:fired@0', 'A1:resolved@5'],
    alerts: [{ id: 'A1', state: 'resolved' }],
    outcomes: ['opened', 'resolved', 'stale'],
  },
  {
    name: "a late raise from the previous episode does not move the new alert's start",
    forMin: 0,
    steps: [raise(0), clear(5), raise(10), raise(2)],
    events: ['A1:fired@0', 'A1:resolved@5', 'A2:fired@10'],
    alerts: [{ id: 'A1' }, { id: 'A2', startedAt: m(10), occurrences: 1 }],
    outcomes: ['opened', 'resolved', 'opened', 'stale'],
  },
];

describe('transition: findings and ticks', () => {
  it.each(scenarios)('$name', ({ forMin, steps, events, alerts, outcomes, absent }) => {
    const r = run(steps, forMin * MIN);
    expect(timeline(r.events)).toEqual(events);
    expect(r.alerts).toHaveLength(alerts.length);
    alerts.forEach((want, i) => expect(r.alerts[i]).toMatchObject(want));
    if (outcomes) expect(r.outcomes).toEqual(outcomes);
    for (const key of absent ?? []) expect(r.current).not.toHaveProperty(key);
  });

  it.each(scenarios)('replaying the whole sequence afterwards changes nothing: $name', ({ forMin, steps }) => {
    const first = run(steps, forMin * MIN);
    const again = run(steps, forMin * MIN, first);
    expect(again.events).toEqual([]);
    expect(again.current).toBe(first.current);
  });

  it.each(scenarios)('every command delivered twice gives the same alerts and events: $name', ({ forMin, steps }) => {
    const once = run(steps, forMin * MIN);
    const twice = run(
      steps.flatMap((c) => [c, c]),
      forMin * MIN,
    );
    expect(twice.events).toEqual(once.events);
    expect(twice.alerts).toEqual(once.alerts);
  });

  it('is deterministic: the same inputs give equal alerts and events', () => {
    const steps = [raise(0), raise(2, 'orange'), tick(5), raise(7, 'red'), clear(9)];
    expect(run(steps, 5 * MIN)).toEqual(run(steps, 5 * MIN));
  });

  it('records who, when, why and what on every event', () => {
    const r = run([raise(0, 'yellow', 31), tick(5), raise(6, 'red', 80), clear(9)], 5 * MIN);
    const fp = fingerprintOf(finding('raise', 0));
    const common = { alertId: 'A1', fingerprint: fp, enterpriseId: 'E1', ruleId: 'gas.combustible.level', actor: 'system' };
    expect(r.events).toEqual([
      { ...common, type: 'pending', at: m(0), from: null, to: 'pending', severity: 'yellow', reason: 'condition_raised', detail: expect.any(String) as string },
      {
        ...common,
        type: 'fired',
        at: m(5),
        from: 'pending',
        to: 'firing',
        severity: 'yellow',
        reason: 'hold_elapsed',
        detail: expect.any(String) as string,
        evidence: [reading(31, m(0))],
      },
      {
        ...common,
        type: 'severity_raised',
        at: m(6),
        from: 'firing',
        to: 'firing',
        severity: 'red',
        reason: 'severity_increased',
        detail: 'yellow → red',
        evidence: [reading(80, m(6))],
      },
      {
        ...common,
        type: 'resolved',
        at: m(9),
        from: 'firing',
        to: 'resolved',
        severity: 'red',
        reason: 'condition_cleared',
        detail: expect.any(String) as string,
      },
    ]);
  });

  it.each([
    { name: 'fired by tick: the evidence of the raise that opened it', steps: [raise(0, 'yellow', 31), raise(2, 'yellow', 32), tick(5)], value: 31 },
    { name: 'fired by a raise: that raise’s evidence', steps: [raise(0, 'yellow', 31), raise(6, 'yellow', 36)], value: 36 },
    { name: 'a higher grade during the hold replaces it', steps: [raise(0, 'yellow', 31), raise(2, 'orange', 52), tick(5)], value: 52 },
    { name: 'frozen once fired (later raises do not change it)', steps: [raise(0, 'yellow', 31), tick(5), raise(6, 'red', 80)], value: 31 },
  ])('evidence kept with the alert — $name', ({ steps, value }) => {
    const { current } = run(steps, 5 * MIN);
    expect(current?.evidence.map((o) => (o.type === 'reading' ? o.value : NaN))).toEqual([value]);
  });

  it('keeps the message of the grade it is at, and the rule version that opened it', () => {
    const later: Command = { type: 'finding', finding: { ...finding('raise', 3, 'red', 90), ruleVersion: 2 } };
    const { current } = run([raise(0, 'yellow', 30), later, raise(4, 'orange', 60)], 0);
    expect(current).toMatchObject({ ruleVersion: 1, severity: 'red', message: { zh: '可燃气体 90%LEL', en: 'combustible gas 90 %LEL' } });
  });

  it('refuses a finding for another fingerprint than the alert given', () => {
    const { current } = run([raise(0)], 0);
    const other = { type: 'finding', finding: { ...finding('raise', 1), subject: 'GT-102' } } as const;
    const r = transition(current, other, { forMs: 0, newId: () => 'X' });
    expect(r).toMatchObject({ alert: current, events: [], outcome: 'rejected', error: { code: 'FINGERPRINT_MISMATCH' } });
  });

  it('asks for an id only when it opens an alert', () => {
    let calls = 0;
    const policy = { forMs: 0, newId: () => `A${++calls}` };
    const opened = transition(undefined, raise(0), policy);
    transition(opened.alert, raise(1), policy);
    transition(opened.alert, tick(2), policy);
    expect(calls).toBe(1);
  });
});

describe('restart safety', () => {
  it('a worker killed during the hold and restarted an hour later fires at the real time, without a second alert', () => {
    const forMs = 5 * MIN;
    const clock = new FakeClock(m(0) + 10_000); // the worker's clock; findings carry data time
    const before = run([raise(0), { type: 'tick', now: clock.now() }], forMs);
    expect(before.current?.state).toBe('pending');

    clock.advance(60 * MIN); // killed, restarted; the broker redelivers the raise (at-least-once)
    const after = run([raise(0), { type: 'tick', now: clock.now() }], forMs, before);
    const uninterrupted = run([raise(0), tick(5)], forMs);

    expect(timeline(after.events)).toEqual(['A1:fired@5']);
    expect(after.alerts.map((a) => a.id)).toEqual(['A1']);
    expect(after.current).toEqual(uninterrupted.current);
    expect((after.current?.firedAt ?? 0) - (after.current?.startedAt ?? 0)).toBe(forMs);
  });

  it('a restart that lost the pending alert rebuilds it from the replayed finding with the original start', () => {
    const clock = new FakeClock(m(30));
    const rebuilt = run([raise(0), { type: 'tick', now: clock.now() }], 5 * MIN);
    expect(rebuilt.current).toMatchObject({ startedAt: m(0), firedAt: m(5), state: 'firing' });
  });
});
