/**
 * The enterprise answers first (issue #18): handing an alarm to its enterprise stops the bureau's
 * acknowledgement clock; supervision (督办) starts it again from then. Pure; time is explicit.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ESCALATION_LIMITS, nextEscalation } from '../../../alerts/state/escalation.ts';
import type { Alert, Command } from '../../../alerts/state/model.ts';
import { transition } from '../../../alerts/state/transition.ts';
import { notifyDecision, schedulesEscalation } from '../../../alerts/notify/policy.ts';

const F = Date.UTC(2026, 11, 5, 2, 0, 0);
const MIN = 60_000;
const raise = (at: number, severity: 'red' | 'orange' = 'red', condition: 'raise' | 'clear' = 'raise'): Command => ({
  type: 'finding',
  finding: {
    ruleId: 'gas.combustible',
    ruleVersion: 1,
    enterpriseId: 'E1',
    subject: 'GT-1',
    condition,
    severity,
    at,
    message: { zh: '可燃气体报警', en: 'gas' },
    evidence: [],
  },
});

function run(steps: Command[], forMs = 0): { alert: Alert; last: ReturnType<typeof transition> } {
  let alert: Alert | undefined;
  let last!: ReturnType<typeof transition>;
  for (const cmd of steps) {
    last = transition(alert, cmd, { forMs, newId: () => 'A1' });
    alert = last.alert;
  }
  if (!alert) throw new Error('no alert');
  return { alert, last };
}

describe('hand_to_enterprise', () => {
  it('marks a firing alarm; it has no escalation level until supervised', () => {
    const { alert, last } = run([raise(F), { type: 'hand_to_enterprise', at: F + 1000 }]);
    expect(last.outcome).toBe('handed');
    expect(last.events).toMatchObject([{ type: 'handed_to_enterprise', reason: 'enterprise_answers_first', actor: 'system', from: 'firing', to: 'firing' }]);
    expect(alert).toMatchObject({ responder: 'enterprise', handedAt: F + 1000, state: 'firing' });
    expect(nextEscalation(alert, DEFAULT_ESCALATION_LIMITS)).toBeUndefined();
  });

  it('is a no-op the second time, and refused for a pending or disposed alarm', () => {
    const { alert } = run([raise(F), { type: 'hand_to_enterprise', at: F }]);
    const again = transition(alert, { type: 'hand_to_enterprise', at: F + 5 }, { forMs: 0, newId: () => 'A1' });
    expect(again.outcome).toBe('already_handed');
    expect(again.alert).toBe(alert);
    const pending = run([raise(F), { type: 'hand_to_enterprise', at: F }], 60 * MIN).last;
    expect(pending.error?.code).toBe('INVALID_TRANSITION');
    const disposed = run([raise(F), { type: 'dispose', actor: 'user:d', at: F + 1, text: '已处置' }, { type: 'hand_to_enterprise', at: F + 2 }]).last;
    expect(disposed.error?.code).toBe('INVALID_TRANSITION');
  });
});

describe('supervise (督办)', () => {
  it('starts the escalation clock at the supervision, one reason at a time', () => {
    const S = F + 5 * MIN;
    const { alert, last } = run([raise(F), { type: 'hand_to_enterprise', at: F }, { type: 'supervise', at: S, reason: 'sign_overdue' }]);
    expect(last.events).toMatchObject([{ type: 'supervised', reason: 'sign_overdue', actor: 'system' }]);
    expect(alert).toMatchObject({ supervisedAt: S, supervisions: ['sign_overdue'] });
    expect(nextEscalation(alert, DEFAULT_ESCALATION_LIMITS)).toEqual({ level: 1, dueAt: S + 5 * MIN });
    const again = transition(alert, { type: 'supervise', at: S + MIN, reason: 'sign_overdue' }, { forMs: 0, newId: () => 'A1' });
    expect(again.outcome).toBe('already_supervised');
    const second = transition(alert, { type: 'supervise', at: S + 25 * MIN, reason: 'feedback_overdue' }, { forMs: 0, newId: () => 'A1' });
    expect(second.alert).toMatchObject({ supervisedAt: S, supervisions: ['sign_overdue', 'feedback_overdue'] });
    expect(nextEscalation(second.alert!, DEFAULT_ESCALATION_LIMITS)).toEqual({ level: 1, dueAt: S + 5 * MIN });
  });

  it('is recorded on a resolved alarm but does not escalate it; an officer taking it stops the escalation', () => {
    const resolved = run([
      raise(F),
      { type: 'hand_to_enterprise', at: F },
      raise(F + MIN, 'red', 'clear'),
      { type: 'supervise', at: F + 5 * MIN, reason: 'sign_overdue' },
    ]);
    expect(resolved.last.outcome).toBe('supervised');
    expect(nextEscalation(resolved.alert, DEFAULT_ESCALATION_LIMITS)).toBeUndefined();
    const taken = run([
      raise(F),
      { type: 'hand_to_enterprise', at: F },
      { type: 'supervise', at: F + 5 * MIN, reason: 'sign_overdue' },
      { type: 'acknowledge', actor: 'user:duty', at: F + 6 * MIN },
    ]);
    expect(nextEscalation(taken.alert, DEFAULT_ESCALATION_LIMITS)).toBeUndefined();
  });

  it('records a step of the response on the alarm without changing it, by a person, not on a pending alarm', () => {
    const { alert } = run([raise(F), { type: 'hand_to_enterprise', at: F }]);
    const r = transition(
      alert,
      { type: 'record_response', at: F + MIN, actor: 'user:mgr', step: 'enterprise_signed', note: ' 已到现场 ' },
      { forMs: 0, newId: () => 'A1' },
    );
    expect(r.outcome).toBe('responded');
    expect(r.alert).toBe(alert);
    expect(r.events).toMatchObject([{ type: 'responded', reason: 'enterprise_signed', actor: 'user:mgr', from: 'firing', to: 'firing', note: '已到现场' }]);
    expect(transition(alert, { type: 'record_response', at: F, actor: 'system', step: 'enterprise_signed' }, { forMs: 0, newId: () => 'A1' }).error?.code).toBe(
      'INVALID_ACTOR',
    );
    const pending = run([raise(F)], 60 * MIN).alert;
    expect(
      transition(pending, { type: 'record_response', at: F, actor: 'user:m', step: 'enterprise_signed' }, { forMs: 0, newId: () => 'A1' }).error?.code,
    ).toBe('INVALID_TRANSITION');
    expect(notifyDecision({ type: 'responded', from: 'firing', to: 'firing' }).notify).toBe(false);
    expect(schedulesEscalation('responded')).toBe(false);
  });

  it('is notified and schedules the escalation; the hand-over is not notified', () => {
    expect(notifyDecision({ type: 'supervised', from: 'firing', to: 'firing' })).toEqual({ notify: true, reason: 'supervised' });
    expect(schedulesEscalation('supervised')).toBe(true);
    expect(notifyDecision({ type: 'handed_to_enterprise', from: 'firing', to: 'firing' }).notify).toBe(false);
  });
});
