/**
 * Officer actions and escalation commands on the alert state machine:
 * acknowledge (签收), dispose (处置) and escalate (督办), from every state,
 * with their errors and idempotent retries.
 */
import { describe, expect, it } from 'vitest';
import { transition } from '../../../alerts/state/transition.ts';
import type { Alert, Command, TransitionErrorCode, TransitionOutcome } from '../../../alerts/state/model.ts';
import type { Finding, Severity } from '../../../alerts/types.ts';

const T0 = Date.UTC(2026, 2, 1, 0, 0, 0);
const MIN = 60_000;
const m = (min: number): number => T0 + min * MIN;

const finding = (condition: Finding['condition'], min: number, severity: Severity = 'orange'): Finding => ({
  ruleId: 'tank.level.high_high',
  ruleVersion: 3,
  enterpriseId: 'E1',
  subject: 'LT-201',
  condition,
  severity,
  at: m(min),
  message: { zh: '储罐液位高高', en: 'tank level high-high' },
  evidence: [],
});
const raise = (min: number, severity?: Severity): Command => ({ type: 'finding', finding: finding('raise', min, severity) });
const clear = (min: number): Command => ({ type: 'finding', finding: finding('clear', min) });
const ack = (actor: string, min: number, note?: string): Command => ({ type: 'acknowledge', actor, at: m(min), note });
const dispose = (actor: string, min: number, text: string): Command => ({ type: 'dispose', actor, at: m(min), text });
const escalate = (level: number, min: number, to = 'city-bureau'): Command => ({ type: 'escalate', level, at: m(min), to });

/** Folds commands from nothing (hold 5 min); throws on a rejected step, so setups cannot silently go wrong. */
function after(...steps: Command[]): Alert {
  let n = 0;
  let alert: Alert | undefined;
  for (const cmd of steps) {
    const r = transition(alert, cmd, { forMs: 5 * MIN, newId: () => `A${++n}` });
    if (r.error) throw new Error(`setup: ${r.error.code}`);
    alert = r.alert;
  }
  if (!alert) throw new Error('setup produced no alert');
  return Object.freeze(alert);
}

const states = {
  pending: () => after(raise(0)),
  firing: () => after(raise(0), raise(5)),
  acknowledged: () => after(raise(0), raise(5), ack('user:li', 7)),
  resolved: () => after(raise(0), raise(5), clear(9)),
  'discarded (cleared before hold)': () => after(raise(0), clear(2)),
  disposed: () => after(raise(0), raise(5), dispose('user:li', 8, '已通知企业停止进料')),
  none: () => undefined,
} satisfies Record<string, () => Alert | undefined>;
type From = keyof typeof states;

interface Row {
  from: From;
  cmd: Command;
  outcome: TransitionOutcome;
  error?: TransitionErrorCode;
  want?: Partial<Alert>;
}

function check({ from, cmd, outcome, error, want }: Row) {
  const alert = states[from]();
  const r = transition(alert, cmd, { forMs: 5 * MIN, newId: () => 'NEW' });
  expect(r.outcome).toBe(outcome);
  expect(r.error?.code).toBe(error);
  if (outcome === 'rejected' || outcome.startsWith('already_')) {
    expect(r.alert).toBe(alert);
    expect(r.events).toEqual([]);
  } else {
    expect(r.alert).not.toBe(alert);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]?.to).toBe(r.alert?.state);
  }
  if (want) expect(r.alert).toMatchObject(want);
  return r;
}

describe('acknowledge (签收)', () => {
  const rows: Row[] = [
    {
      from: 'firing',
      cmd: ack('user:wang', 7, '  已电话核实 '),
      outcome: 'acknowledged',
      want: { state: 'acknowledged', acknowledgedAt: m(7), acknowledgedBy: 'user:wang', acknowledgeNote: '已电话核实' },
    },
    { from: 'acknowledged', cmd: ack('user:li', 8), outcome: 'already_acknowledged', want: { acknowledgedBy: 'user:li', acknowledgedAt: m(7) } },
    { from: 'acknowledged', cmd: ack('user:wang', 8), outcome: 'rejected', error: 'ALREADY_ACKNOWLEDGED' },
    { from: 'pending', cmd: ack('user:wang', 1), outcome: 'rejected', error: 'INVALID_TRANSITION' },
    { from: 'resolved', cmd: ack('user:wang', 10), outcome: 'rejected', error: 'INVALID_TRANSITION' },
    { from: 'discarded (cleared before hold)', cmd: ack('user:wang', 3), outcome: 'rejected', error: 'INVALID_TRANSITION' },
    { from: 'disposed', cmd: ack('user:wang', 9), outcome: 'rejected', error: 'INVALID_TRANSITION' },
    { from: 'none', cmd: ack('user:wang', 7), outcome: 'rejected', error: 'NO_ACTIVE_ALERT' },
    { from: 'firing', cmd: ack('system', 7), outcome: 'rejected', error: 'INVALID_ACTOR' },
    { from: 'firing', cmd: ack('user:', 7), outcome: 'rejected', error: 'INVALID_ACTOR' },
    { from: 'firing', cmd: ack('wang', 7), outcome: 'rejected', error: 'INVALID_ACTOR' },
  ];
  it.each(rows)('from $from: $cmd.actor → $outcome $error', (row) => void check(row));

  it('records the officer, the time and the note on the event', () => {
    const r = check({ from: 'firing', cmd: ack('user:wang', 7, '已电话核实'), outcome: 'acknowledged' });
    expect(r.events[0]).toMatchObject({
      type: 'acknowledged',
      actor: 'user:wang',
      at: m(7),
      from: 'firing',
      to: 'acknowledged',
      reason: 'acknowledged_by_officer',
      note: '已电话核实',
    });
  });

  it('keeps acknowledging through repeats of the same grade and resolves on clear', () => {
    const a = after(raise(0), raise(5), ack('user:li', 7), raise(8));
    expect(a).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'user:li', occurrences: 3 });
    const r = transition(a, clear(12), { forMs: 5 * MIN, newId: () => 'NEW' });
    expect(r.alert).toMatchObject({ state: 'resolved', resolvedAt: m(12), acknowledgedBy: 'user:li' });
    expect(r.events.map((e) => [e.type, e.from, e.to])).toEqual([['resolved', 'acknowledged', 'resolved']]);
  });

  it('a higher grade re-arms an acknowledged alert: firing again, needs a new 签收', () => {
    const a = after(raise(0), raise(5), ack('user:li', 7));
    const r = transition(a, raise(8, 'red'), { forMs: 5 * MIN, newId: () => 'NEW' });
    expect(r.alert).toMatchObject({ state: 'firing', severity: 'red', severitySince: m(8) });
    expect(r.alert).not.toHaveProperty('acknowledgedBy');
    expect(r.events.map((e) => [e.type, e.from, e.to, e.severity])).toEqual([['severity_raised', 'acknowledged', 'firing', 'red']]);
    const again = transition(r.alert, ack('user:li', 9), { forMs: 5 * MIN, newId: () => 'NEW' });
    expect(again.outcome).toBe('acknowledged');
  });
});

describe('dispose (处置)', () => {
  const rows: Row[] = [
    {
      from: 'firing',
      cmd: dispose('user:wang', 8, ' 已责令企业停产整改 '),
      outcome: 'disposed',
      want: { state: 'disposed', disposal: '已责令企业停产整改', disposedBy: 'user:wang', disposedAt: m(8) },
    },
    { from: 'acknowledged', cmd: dispose('user:li', 8, '现场核查后恢复正常'), outcome: 'disposed', want: { state: 'disposed', acknowledgedBy: 'user:li' } },
    {
      from: 'resolved',
      cmd: dispose('user:li', 30, '误报：检修标定'),
      outcome: 'disposed',
      want: { state: 'disposed', resolution: 'cleared', resolvedAt: m(9) },
    },
    { from: 'firing', cmd: dispose('user:wang', 8, ''), outcome: 'rejected', error: 'DISPOSAL_TEXT_REQUIRED' },
    { from: 'firing', cmd: dispose('user:wang', 8, ' \n\t '), outcome: 'rejected', error: 'DISPOSAL_TEXT_REQUIRED' },
    { from: 'pending', cmd: dispose('user:wang', 1, '处置'), outcome: 'rejected', error: 'INVALID_TRANSITION' },
    { from: 'discarded (cleared before hold)', cmd: dispose('user:wang', 3, '处置'), outcome: 'rejected', error: 'INVALID_TRANSITION' },
    { from: 'disposed', cmd: dispose('user:li', 9, '已通知企业停止进料'), outcome: 'already_disposed', want: { disposedAt: m(8) } },
    { from: 'disposed', cmd: dispose('user:li', 9, '改写处置情况'), outcome: 'rejected', error: 'ALREADY_DISPOSED' },
    { from: 'disposed', cmd: dispose('user:wang', 9, '已通知企业停止进料'), outcome: 'rejected', error: 'ALREADY_DISPOSED' },
    { from: 'none', cmd: dispose('user:wang', 8, '处置'), outcome: 'rejected', error: 'NO_ACTIVE_ALERT' },
    { from: 'firing', cmd: dispose('system', 8, '处置'), outcome: 'rejected', error: 'INVALID_ACTOR' },
  ];
  it.each(rows)('from $from: "$cmd.text" by $cmd.actor → $outcome $error', (row) => void check(row));

  it('records the disposal text on the event', () => {
    const r = check({ from: 'acknowledged', cmd: dispose('user:li', 8, '现场核查'), outcome: 'disposed' });
    expect(r.events[0]).toMatchObject({
      type: 'disposed',
      actor: 'user:li',
      from: 'acknowledged',
      to: 'disposed',
      reason: 'disposed_by_officer',
      note: '现场核查',
    });
  });

  it.each([
    { name: 'a new raise after the disposal opens a new alert', cmd: raise(10), outcome: 'opened', id: 'NEW' },
    { name: 'a replayed raise from before the disposal is stale', cmd: raise(5), outcome: 'stale', id: 'A1' },
    { name: 'a clear after the disposal has nothing to resolve', cmd: clear(12), outcome: 'no_active_alert', id: 'A1' },
    { name: 'a tick after the disposal has nothing to fire', cmd: { type: 'tick', now: m(60) } as const, outcome: 'no_active_alert', id: 'A1' },
  ])('disposed is terminal: $name', ({ cmd, outcome, id }) => {
    const r = transition(states.disposed(), cmd, { forMs: 0, newId: () => 'NEW' });
    expect(r.outcome).toBe(outcome);
    expect(r.alert?.id).toBe(id);
  });

  it('a new alert after a disposal remembers where the previous episode ended', () => {
    const r = transition(states.disposed(), raise(10), { forMs: 0, newId: () => 'NEW' });
    expect(r.alert).toMatchObject({ id: 'NEW', state: 'firing', startedAt: m(10), previousEpisodeEndAt: m(8), occurrences: 1, escalations: 0 });
  });
});

describe('escalate (督办)', () => {
  const escalated = () => after(raise(0), raise(5), escalate(1, 10));
  const rows: (Row & { setup?: () => Alert })[] = [
    { from: 'firing', cmd: escalate(1, 10), outcome: 'escalated', want: { state: 'firing', escalations: 1, lastEscalatedAt: m(10) } },
    { from: 'firing', cmd: escalate(0, 10), outcome: 'rejected', error: 'INVALID_ESCALATION' },
    { from: 'firing', cmd: escalate(1.5, 10), outcome: 'rejected', error: 'INVALID_ESCALATION' },
    { from: 'firing', cmd: escalate(2, 10), outcome: 'rejected', error: 'INVALID_ESCALATION' },
    { from: 'firing', cmd: escalate(1, 10, '  '), outcome: 'rejected', error: 'INVALID_ESCALATION' },
    { from: 'pending', cmd: escalate(1, 10), outcome: 'rejected', error: 'INVALID_TRANSITION' },
    { from: 'acknowledged', cmd: escalate(1, 10), outcome: 'rejected', error: 'INVALID_TRANSITION' },
    { from: 'resolved', cmd: escalate(1, 10), outcome: 'rejected', error: 'INVALID_TRANSITION' },
    { from: 'disposed', cmd: escalate(1, 10), outcome: 'rejected', error: 'INVALID_TRANSITION' },
    { from: 'none', cmd: escalate(1, 10), outcome: 'rejected', error: 'NO_ACTIVE_ALERT' },
  ];
  it.each(rows)('from $from: level $cmd.level → $outcome $error', (row) => void check(row));

  it('records level and target authority on a system event', () => {
    const r = check({ from: 'firing', cmd: escalate(1, 10, 'city-bureau'), outcome: 'escalated' });
    expect(r.events[0]).toMatchObject({
      type: 'escalated',
      actor: 'system',
      at: m(10),
      from: 'firing',
      to: 'firing',
      reason: 'ack_time_limit_exceeded',
      escalation: { level: 1, to: 'city-bureau' },
    });
  });

  it.each([
    { name: 'the same level again (a retried job)', alert: escalated, cmd: escalate(1, 11), outcome: 'already_escalated' },
    {
      name: 'a retried job after the officer acknowledged',
      alert: () => after(raise(0), raise(5), escalate(1, 10), ack('user:li', 12)),
      cmd: escalate(1, 13),
      outcome: 'already_escalated',
    },
    { name: 'the next level', alert: escalated, cmd: escalate(2, 15, 'province'), outcome: 'escalated' },
  ])('$name → $outcome', ({ alert, cmd, outcome }) => {
    const a = alert();
    const r = transition(a, cmd, { forMs: 0, newId: () => 'NEW' });
    expect(r.outcome).toBe(outcome);
    if (outcome === 'already_escalated') expect(r.alert).toBe(a);
    else expect(r.alert).toMatchObject({ escalations: 2, lastEscalatedAt: m(15) });
  });
});
