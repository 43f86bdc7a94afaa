/**
 * Escalation timing (逐级督办) and the job ids that keep retried BullMQ jobs
 * from notifying twice. Alerts are built through `transition`; time is explicit.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ESCALATION_LIMITS, escalationDue, nextEscalation, type EscalationLimits } from '../../../alerts/state/escalation.ts';
import { escalationJobId, eventKey, notificationJobId } from '../../../alerts/state/job-ids.ts';
import { transition } from '../../../alerts/state/transition.ts';
import type { Alert, AlertEvent, Command } from '../../../alerts/state/model.ts';
import type { Finding, Severity } from '../../../alerts/types.ts';

const F = Date.UTC(2026, 2, 1, 2, 0, 0); // when the alert fires (no hold)
const MIN = 60_000;
const f = (min: number): number => F + min * MIN;

const finding = (condition: Finding['condition'], min: number, severity: Severity): Command => ({
  type: 'finding',
  finding: {
    ruleId: 'mine.methane.working_face',
    ruleVersion: 1,
    enterpriseId: 'E7',
    subject: 'CH4-3',
    condition,
    severity,
    at: f(min),
    message: { zh: '工作面甲烷超限', en: 'working-face methane over limit' },
    evidence: [],
  },
});
const raise = (min: number, severity: Severity): Command => finding('raise', min, severity);
const clear = (min: number): Command => finding('clear', min, 'red');
const ack = (min: number): Command => ({ type: 'acknowledge', actor: 'user:duty', at: f(min) });
const escalate = (level: number, at: number): Command => ({ type: 'escalate', level, at, to: `authority-${level}` });

function after(steps: Command[], forMs = 0, start?: Alert): Alert {
  let alert = start;
  for (const cmd of steps) {
    const r = transition(alert, cmd, { forMs, newId: () => 'A1' });
    if (r.error) throw new Error(`setup: ${r.error.code}`);
    alert = r.alert;
  }
  if (!alert) throw new Error('no alert');
  return alert;
}

const limits = DEFAULT_ESCALATION_LIMITS; // red 5 min, orange 15 min, yellow/blue never

describe('escalationDue', () => {
  it.each([
    { name: 'red, just before its limit', steps: [raise(0, 'red')], now: f(5) - 1, want: undefined },
    { name: 'red, at its limit: level 1', steps: [raise(0, 'red')], now: f(5), want: { level: 1, dueAt: f(5) } },
    { name: 'red, level 1 done at its due time: level 2 not yet', steps: [raise(0, 'red'), escalate(1, f(5))], now: f(10) - 1, want: undefined },
    {
      name: 'red, level 1 done at its due time: level 2 at firedAt + 2·limit',
      steps: [raise(0, 'red'), escalate(1, f(5))],
      now: f(10),
      want: { level: 2, dueAt: f(10) },
    },
    { name: 'orange, at 15 min', steps: [raise(0, 'orange')], now: f(15), want: { level: 1, dueAt: f(15) } },
    { name: 'orange, at 14 min', steps: [raise(0, 'orange')], now: f(14), want: undefined },
    { name: 'yellow never escalates', steps: [raise(0, 'yellow')], now: f(24 * 60), want: undefined },
    { name: 'blue never escalates', steps: [raise(0, 'blue')], now: f(24 * 60), want: undefined },
    { name: 'acknowledged in time: never', steps: [raise(0, 'red'), ack(4)], now: f(60), want: undefined },
    { name: 'acknowledged late, after level 1: no more', steps: [raise(0, 'red'), escalate(1, f(5)), ack(7)], now: f(60), want: undefined },
    { name: 'resolved: never', steps: [raise(0, 'red'), clear(3)], now: f(60), want: undefined },
    { name: 'pending (not yet fired): never', steps: [raise(0, 'red')], forMs: 10 * MIN, now: f(60), want: undefined },
    {
      name: 'held 10 min: measured from firedAt',
      steps: [raise(0, 'red'), { type: 'tick', now: f(30) } as const],
      forMs: 10 * MIN,
      now: f(15),
      want: { level: 1, dueAt: f(15) },
    },
    { name: 'yellow for 2 h, then red: the red limit runs from the increase', steps: [raise(0, 'yellow'), raise(120, 'red')], now: f(124), want: undefined },
    {
      name: 'yellow for 2 h, then red: due 5 min after the increase',
      steps: [raise(0, 'yellow'), raise(120, 'red')],
      now: f(125),
      want: { level: 1, dueAt: f(125) },
    },
    {
      name: 'orange escalated once, then red: level 2 five minutes after the increase',
      steps: [raise(0, 'orange'), escalate(1, f(15)), raise(20, 'red')],
      now: f(25),
      want: { level: 2, dueAt: f(25) },
    },
    {
      name: 'orange acknowledged, then red: re-armed, due 5 min after the increase',
      steps: [raise(0, 'orange'), ack(3), raise(30, 'red')],
      now: f(35),
      want: { level: 1, dueAt: f(35) },
    },
  ])('$name', ({ steps, now, want, forMs }) => {
    expect(escalationDue(after(steps, forMs), now, limits)).toEqual(want);
  });

  it('after an outage, levels come due one at a time, each a limit after the previous', () => {
    let alert = after([raise(0, 'red')]);
    const dueAts: number[] = [];
    for (let due = escalationDue(alert, f(21), limits); due; due = escalationDue(alert, f(21), limits)) {
      dueAts.push(due.dueAt);
      alert = after([escalate(due.level, due.dueAt)], 0, alert);
    }
    expect(dueAts).toEqual([f(5), f(10), f(15), f(20)]);
    expect(alert.escalations).toBe(4);
  });

  it('stops at maxLevel (the top of the authority chain)', () => {
    const alert = after([raise(0, 'red'), escalate(1, f(5)), escalate(2, f(10))]);
    expect(escalationDue(alert, f(60), limits, { maxLevel: 2 })).toBeUndefined();
    expect(escalationDue(alert, f(60), limits, { maxLevel: 3 })).toEqual({ level: 3, dueAt: f(15) });
  });

  it.each([
    { name: 'no limit for the grade', red: undefined },
    { name: 'a zero limit', red: 0 },
    { name: 'a negative limit', red: -1 },
  ])('treats $name as "never"', ({ red }) => {
    const custom: EscalationLimits = { ...limits, red };
    expect(escalationDue(after([raise(0, 'red')]), f(600), custom)).toBeUndefined();
  });

  it('gives a late-arriving alert (data buffered through an outage) its full limit from when the platform learned of it', () => {
    // fired in data time f(0), received 30 min later: level 1 at f(35), level 2 at f(40), not at once
    const late = (cmd: Command, receivedMin: number): Command => ({ ...(cmd as Extract<Command, { type: 'finding' }>), receivedAt: f(receivedMin) });
    let alert = after([late(raise(0, 'red'), 30)]);
    expect(alert).toMatchObject({ firedAt: f(0), dutyClockSince: f(30) });
    expect(escalationDue(alert, f(34), limits)).toBeUndefined();
    expect(escalationDue(alert, f(35), limits)).toEqual({ level: 1, dueAt: f(35) });
    alert = after([escalate(1, f(35))], 0, alert);
    expect(nextEscalation(alert, limits)).toEqual({ level: 2, dueAt: f(40) });
    // live data (received as it happens) keeps the data-time clock
    expect(nextEscalation(after([late(raise(0, 'red'), 0)]), limits)).toEqual({ level: 1, dueAt: f(5) });
    // a higher grade arriving late restarts the clock from its arrival
    const orange = after([raise(0, 'orange')]);
    expect(nextEscalation(after([late(raise(10, 'red'), 12)], 0, orange), limits)).toEqual({ level: 1, dueAt: f(17) });
  });

  it('nextEscalation tells when to schedule the delayed job, before it is due', () => {
    expect(nextEscalation(after([raise(0, 'orange')]), limits)).toEqual({ level: 1, dueAt: f(15) });
    expect(nextEscalation(after([raise(0, 'yellow')]), limits)).toBeUndefined();
  });
});

describe('job ids', () => {
  const ev = (over: Partial<AlertEvent>): AlertEvent => ({
    alertId: 'a-1',
    fingerprint: 'fp',
    enterpriseId: 'E7',
    ruleId: 'r',
    type: 'fired',
    at: F,
    actor: 'system',
    from: 'pending',
    to: 'firing',
    severity: 'orange',
    reason: 'hold_elapsed',
    detail: '',
    ...over,
  });
  const events = [
    ev({}),
    ev({ type: 'severity_raised', at: f(1), severity: 'orange' }),
    ev({ type: 'severity_raised', at: f(2), severity: 'red' }),
    ev({ type: 'escalated', at: f(7), severity: 'red', escalation: { level: 1, to: 'city' } }),
    ev({ type: 'escalated', at: f(12), severity: 'red', escalation: { level: 2, to: 'province' } }),
    ev({ alertId: 'a-2' }),
  ];

  it('are deterministic, so a retried job has the same id', () => {
    expect(escalationJobId({ id: 'a-1' }, 2)).toBe(escalationJobId({ id: 'a-1' }, 2));
    expect(notificationJobId(ev({}), 'webhook')).toBe(notificationJobId(ev({ detail: 'other text' }), 'webhook'));
    expect(escalationJobId({ id: 'a-1' }, 2)).toBe('escalate|a-1|2');
  });

  it('differ per alert, level, event and channel', () => {
    const ids = [
      ...events.flatMap((e) => ['webhook', 'sms'].map((c) => notificationJobId(e, c))),
      ...['a-1', 'a-2'].flatMap((id) => [1, 2, 3].map((level) => escalationJobId({ id }, level))),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(events.map(eventKey)).size).toBe(events.length - 1); // same key for the same event type/time on two alerts
  });

  it.each([
    { name: 'alert id with colons', id: 'urn:alert:1', channel: 'webhook' },
    { name: 'channel URL', id: 'a-1', channel: 'https://hooks.example.cn:8443/x' },
    { name: 'separator inside parts', id: 'a|1', channel: 'im|dingtalk' },
  ])('contain no ":" and cannot be confused — $name', ({ id, channel }) => {
    const n = notificationJobId(ev({ alertId: id }), channel);
    const e = escalationJobId({ id }, 1);
    expect(n).not.toContain(':');
    expect(e).not.toContain(':');
    expect(n.split('|')).toHaveLength(6); // notify, alert, type, at, severity, channel
    expect(e.split('|')).toHaveLength(3);
    expect(decodeURIComponent(e.split('|')[1] ?? '')).toBe(id);
  });

  it('are never bare integers (BullMQ refuses those)', () => {
    expect(escalationJobId({ id: '42' }, 1)).not.toMatch(/^\d+$/);
    expect(notificationJobId(ev({ alertId: '42' }), '1')).not.toMatch(/^\d+$/);
  });
});

describe('an officer referring an open alert upward', () => {
  const refer = (level: number, at: number, actor = 'user:duty', note?: string): Command => ({
    type: 'escalate',
    level,
    at,
    to: `authority-${level}`,
    actor,
    note,
  });

  it.each([
    { name: 'firing', steps: [raise(0, 'orange')] },
    { name: 'acknowledged', steps: [raise(0, 'orange'), ack(1)] },
  ])('escalates a $name alert one level, as the officer, with the note, keeping its state', ({ steps }) => {
    const before = after(steps);
    const r = transition(before, refer(1, f(2), 'user:duty', ' 企业无法处置，请上级协调 '), { forMs: 0, newId: () => 'A1' });
    expect(r.error).toBeUndefined();
    expect(r.alert).toMatchObject({ state: before.state, escalations: 1, lastEscalatedAt: f(2) });
    expect(r.events).toMatchObject([
      {
        type: 'escalated',
        actor: 'user:duty',
        from: before.state,
        to: before.state,
        reason: 'escalated_by_officer',
        note: '企业无法处置，请上级协调',
        escalation: { level: 1, to: 'authority-1' },
      },
    ]);
  });

  it.each([
    { name: 'a resolved alert', steps: [raise(0, 'orange'), clear(1)], cmd: refer(1, f(2)), code: 'INVALID_TRANSITION' },
    { name: 'a system actor posing as an officer', steps: [raise(0, 'orange')], cmd: refer(1, f(2), 'system:x'), code: 'INVALID_ACTOR' },
    { name: 'skipping a level', steps: [raise(0, 'orange')], cmd: refer(2, f(2)), code: 'INVALID_ESCALATION' },
  ])('refuses $name', ({ steps, cmd, code }) => {
    expect(transition(after(steps), cmd, { forMs: 0, newId: () => 'A1' }).error?.code).toBe(code);
  });

  it('leaves the time-driven escalation of an acknowledged alert refused, as before', () => {
    expect(transition(after([raise(0, 'orange'), ack(1)]), escalate(1, f(20)), { forMs: 0, newId: () => 'A1' }).error?.code).toBe('INVALID_TRANSITION');
  });
});
