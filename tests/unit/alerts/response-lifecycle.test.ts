/** The enterprise's response to one alarm (issue #18 §3–4): pure lifecycle and time-limit policy. */
import { describe, expect, it } from 'vitest';
import { applyResponse, openResponse, overdueAt, owed, type AlarmResponse, type ResponseCommand } from '../../../alerts/response/lifecycle.ts';
import { alarmKindOf, deadlinesFor, DEFAULT_RESPONSE_POLICY as P, responsePolicy, RESPONSE_POLICY_SOURCES } from '../../../alerts/response/policy.ts';

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const MIN = 60_000;
const open = (severity: 'red' | 'orange' | 'yellow' | 'blue' = 'red', kind: 'process' | 'instrument' = 'process'): AlarmResponse =>
  openResponse({ alertId: 'A1', enterpriseId: 'E1', ruleId: 'gas.combustible', subject: 'GT-1', severity, kind }, T, deadlinesFor(severity, kind, T, P));
const ok = (r: AlarmResponse, cmd: ResponseCommand): AlarmResponse => {
  const res = applyResponse(r, cmd, P);
  if (!res.ok) throw new Error(`${res.code}: ${res.en}`);
  return res.response;
};
const feedback = (at: number, cause: 'genuine_hazard' | 'false_alarm' = 'genuine_hazard', priorFalseAlarms = 0): ResponseCommand => ({
  type: 'feedback',
  actor: 'user:m',
  at,
  cause,
  measures: '已关阀',
  attachmentIds: [],
  priorFalseAlarms,
});

describe('time limits', () => {
  it('come by grade, with the kind replacing the feedback limit where the policy says, never shorter than the sign-for', () => {
    expect(deadlinesFor('red', 'process', T, P)).toEqual({ signDueAt: T + 5 * MIN, feedbackDueAt: T + 30 * MIN, review: true });
    expect(deadlinesFor('red', 'instrument', T, P)).toEqual({ signDueAt: T + 5 * MIN, feedbackDueAt: T + 240 * MIN, review: true });
    expect(deadlinesFor('blue', 'process', T, P)).toMatchObject({ signDueAt: T + 60 * MIN, review: false });
    const odd = responsePolicy({ signMs: { red: 60 * MIN }, feedbackMs: { red: 10 * MIN } });
    expect(deadlinesFor('red', 'process', T, odd).feedbackDueAt).toBe(T + 60 * MIN);
  });

  it('take the bureau overrides per grade and refuse bad ones', () => {
    expect(responsePolicy({ signMs: { red: 3000 } }).signMs).toEqual({ ...P.signMs, red: 3000 });
    expect(() => responsePolicy({ signMs: { red: -1 } })).toThrow();
    // the config section's other keys (the sweep's interval) are not the policy's
    expect(responsePolicy({ sweepMs: 10_000, refeedbackMs: 5 * MIN }).refeedbackMs).toBe(5 * MIN);
    for (const k of Object.keys(P)) expect(RESPONSE_POLICY_SOURCES[k as keyof typeof P].zh.length).toBeGreaterThan(0);
  });

  it('classify alarms by their rule pattern', () => {
    expect(alarmKindOf('interlock_failure')).toBe('safety_system');
    expect(alarmKindOf('frozen')).toBe('instrument');
    expect(alarmKindOf('gateway_offline')).toBe('connectivity');
    expect(alarmKindOf(undefined)).toBe('process');
  });
});

describe('the response lifecycle', () => {
  it('owes a sign-for, then a feedback; is overdue once each, at its time', () => {
    let r = open('red');
    expect(owed(r)).toEqual({ what: 'sign', dueAt: T + 5 * MIN });
    expect(overdueAt(r, T + 5 * MIN - 1)).toEqual([]);
    expect(overdueAt(r, T + 5 * MIN)).toEqual(['sign_overdue']);
    expect(overdueAt(r, T + 30 * MIN)).toEqual(['sign_overdue', 'feedback_overdue']);
    r = ok(r, { type: 'supervise', at: T + 5 * MIN, reason: 'sign_overdue' });
    expect(overdueAt(r, T + 6 * MIN)).toEqual([]);
    r = ok(r, { type: 'sign', actor: 'user:m', at: T + 7 * MIN });
    expect(owed(r)).toEqual({ what: 'feedback', dueAt: T + 30 * MIN });
    expect(overdueAt(r, T + 30 * MIN)).toEqual(['feedback_overdue']);
  });

  it('signs by feedback if nobody had, and reviews orange/red only', () => {
    const red = ok(open('red'), feedback(T + MIN));
    expect(red).toMatchObject({ state: 'awaiting_review', signedAt: T + MIN, signedBy: 'user:m', feedbackRounds: 1 });
    const yellow = ok(open('yellow'), feedback(T + MIN));
    expect(yellow.state).toBe('fed_back');
    const refused = applyResponse(yellow, { type: 'review', actor: 'user:d', at: T + 2 * MIN, decision: 'accept', reason: '', alarmCleared: false }, P);
    expect(refused).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
  });

  it('sends a rejected feedback back with a new limit and counts it; an acceptance with a pending clear request clears', () => {
    let r = ok(open('red'), feedback(T + MIN));
    expect(applyResponse(r, { type: 'review', actor: 'user:d', at: T + 2 * MIN, decision: 'reject', reason: ' ', alarmCleared: false }, P)).toMatchObject({
      ok: false,
      code: 'INVALID',
    });
    r = ok(r, { type: 'review', actor: 'user:d', at: T + 2 * MIN, decision: 'reject', reason: '原因不清', alarmCleared: false });
    expect(r).toMatchObject({ state: 'awaiting_feedback', rejections: 1, feedbackDueAt: T + 2 * MIN + P.refeedbackMs });
    r = ok(r, feedback(T + 3 * MIN));
    r = ok(r, { type: 'request_clear', actor: 'user:m', at: T + 4 * MIN, alarmCleared: true });
    expect(r).toMatchObject({ state: 'awaiting_review', clearRequestedAt: T + 4 * MIN });
    r = ok(r, { type: 'review', actor: 'user:d', at: T + 5 * MIN, decision: 'accept', reason: '', alarmCleared: true });
    expect(r).toMatchObject({ state: 'cleared', clearedAt: T + 5 * MIN, clearedBy: 'user:d' });
    expect(applyResponse(r, { type: 'sign', actor: 'user:m', at: T + 6 * MIN }, P)).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
  });

  it('flags a false alarm explained as often as the policy counts as repeated', () => {
    expect(ok(open('yellow'), feedback(T, 'false_alarm', P.falseAlarmRepeats - 2)).feedback?.repeatedFalseAlarm).toBe(false);
    expect(ok(open('yellow'), feedback(T, 'false_alarm', P.falseAlarmRepeats - 1)).feedback?.repeatedFalseAlarm).toBe(true);
    expect(ok(open('yellow'), feedback(T, 'genuine_hazard', 9)).feedback?.repeatedFalseAlarm).toBe(false);
  });

  it('tightens the limits on a higher grade while the enterprise still owes', () => {
    let r = ok(open('yellow'), { type: 'sign', actor: 'user:m', at: T + MIN });
    r = ok(r, { type: 'regrade', at: T + 2 * MIN, severity: 'red', ...deadlinesFor('red', 'process', T + 2 * MIN, P) });
    expect(r).toMatchObject({ severity: 'red', review: true, state: 'awaiting_feedback', feedbackDueAt: T + 32 * MIN });
  });

  it.each(['fed_back', 'awaiting_review', 'accepted'] as const)('reopens a feedback that stood (%s) when the alarm rises above its grade', (state) => {
    let r = ok(open(state === 'fed_back' ? 'yellow' : 'orange'), feedback(T + MIN));
    if (state === 'accepted') r = ok(r, { type: 'review', actor: 'user:d', at: T + 2 * MIN, decision: 'accept', reason: '', alarmCleared: false });
    expect(r.state).toBe(state);
    r = ok(r, { type: 'regrade', at: T + 3 * MIN, severity: 'red', ...deadlinesFor('red', 'process', T + 3 * MIN, P) });
    expect(r).toMatchObject({ severity: 'red', state: 'awaiting_feedback', review: true, feedbackDueAt: T + 33 * MIN, reviewDueAt: undefined });
    expect(overdueAt(r, T + 33 * MIN)).toEqual(['feedback_overdue']);
  });

  it("puts an officer's review under a limit too: overdue, it is supervised", () => {
    const r = ok(open('red'), feedback(T + MIN));
    expect(owed(r)).toEqual({ what: 'review', dueAt: T + MIN + P.reviewMs.red });
    expect(overdueAt(r, T + MIN + P.reviewMs.red - 1)).toEqual([]);
    expect(overdueAt(r, T + MIN + P.reviewMs.red)).toEqual(['review_overdue']);
    const accepted = ok(r, { type: 'review', actor: 'user:d', at: T + 2 * MIN, decision: 'accept', reason: '', alarmCleared: false });
    expect(overdueAt(accepted, T + 999 * MIN)).toEqual([]);
  });

  it('does not supervise a record answered since the sweep looked (judged again on the record saved)', () => {
    const signed = ok(open('red'), { type: 'sign', actor: 'user:m', at: T + 4 * MIN });
    const res = applyResponse(signed, { type: 'supervise', at: T + 5 * MIN, reason: 'sign_overdue' }, P);
    expect(res).toEqual({ ok: true, response: signed });
  });
});
