/**
 * Which alert events are notified, and which start or move the escalation
 * clock (alerts/notify/policy.ts): one row per event type and state change,
 * each with its named reason.
 */
import { describe, expect, it } from 'vitest';
import { notifyDecision, schedulesEscalation, type NotifyDecision } from '../../../alerts/notify/policy.ts';
import { ALERT_EVENT_TYPES, type AlertEventType, type AlertState } from '../../../alerts/state/index.ts';

describe('notifyDecision', () => {
  it.each<{ type: AlertEventType; from: AlertState | null; to: AlertState; want: NotifyDecision }>([
    { type: 'fired', from: 'pending', to: 'firing', want: { notify: true, reason: 'fired' } },
    { type: 'fired', from: null, to: 'firing', want: { notify: true, reason: 'fired' } },
    { type: 'severity_raised', from: 'firing', to: 'firing', want: { notify: true, reason: 'severity_raised' } },
    // a higher grade re-arms an acknowledged alert: it needs its own 签收
    { type: 'severity_raised', from: 'acknowledged', to: 'firing', want: { notify: true, reason: 'severity_raised' } },
    // still holding: its 'fired' event will carry the higher grade
    { type: 'severity_raised', from: 'pending', to: 'pending', want: { notify: false, reason: 'not_fired_yet' } },
    { type: 'escalated', from: 'firing', to: 'firing', want: { notify: true, reason: 'escalated' } },
    { type: 'resolved', from: 'firing', to: 'resolved', want: { notify: true, reason: 'resolved' } },
    { type: 'resolved', from: 'acknowledged', to: 'resolved', want: { notify: true, reason: 'resolved' } },
    { type: 'resolved', from: 'pending', to: 'resolved', want: { notify: false, reason: 'never_fired' } },
    { type: 'resolved', from: null, to: 'resolved', want: { notify: false, reason: 'never_fired' } },
    { type: 'disposed', from: 'resolved', to: 'disposed', want: { notify: true, reason: 'disposed' } },
    { type: 'disposed', from: 'firing', to: 'disposed', want: { notify: true, reason: 'disposed' } },
    { type: 'pending', from: null, to: 'pending', want: { notify: false, reason: 'not_fired_yet' } },
    { type: 'suppressed', from: null, to: 'pending', want: { notify: false, reason: 'not_fired_yet' } },
    { type: 'unsuppressed', from: 'pending', to: 'pending', want: { notify: false, reason: 'not_fired_yet' } },
    { type: 'discarded', from: 'pending', to: 'resolved', want: { notify: false, reason: 'never_fired' } },
    { type: 'updated', from: 'firing', to: 'firing', want: { notify: false, reason: 'bookkeeping' } },
    { type: 'acknowledged', from: 'firing', to: 'acknowledged', want: { notify: false, reason: 'officer_action' } },
  ])('$type $from → $to: $want.reason', ({ type, from, to, want }) => {
    expect(notifyDecision({ type, from, to })).toEqual(want);
  });

  it('has an answer for every event type', () => {
    for (const type of ALERT_EVENT_TYPES) expect(notifyDecision({ type, from: 'firing', to: 'firing' }).reason).toBeTypeOf('string');
  });
});

describe('schedulesEscalation', () => {
  it('is true for the events that start or restart the clock (fired, severity_raised, unshelved, supervised) or reach a level (escalated), only', () => {
    const yes = ALERT_EVENT_TYPES.filter(schedulesEscalation);
    expect(yes).toEqual(['fired', 'severity_raised', 'escalated', 'unshelved', 'supervised']);
  });
});
