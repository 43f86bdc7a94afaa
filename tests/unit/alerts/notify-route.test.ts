/**
 * The decide and route stages of the notifier (alerts/notify/route.ts), pure:
 * which events of a batch go to which channel under which job id, which
 * alerts may have their escalation clock moved, what is skipped as stale or
 * orphaned.
 */
import { describe, expect, it } from 'vitest';
import type { OutboxEvent } from '../../../alerts/notify/outbox.ts';
import { routeEvents } from '../../../alerts/notify/route.ts';
import { notificationJobId, transition, type Alert } from '../../../alerts/state/index.ts';
import { gasFinding } from '../../../testkit/notify.ts';

const T = Date.UTC(2026, 2, 1, 2, 0, 0);
const fired = transition(undefined, { type: 'finding', finding: gasFinding('GT-101', 'raise', T) }, { forMs: 0, newId: () => 'A1' });
const alert = fired.alert as Alert;
const event = (seq: number, type: OutboxEvent['type'], recordedAt = T): OutboxEvent => ({ ...fired.events[0]!, type, seq, recordedAt });
const alerts = new Map([[alert.id, alert]]);

describe('routeEvents', () => {
  it('sends a notified event to every channel in order, under its deterministic job id', () => {
    const e = event(1, 'fired');
    const r = routeEvents([e], alerts, ['webhook:a', 'log'], T, 60_000);
    expect(r.deliveries.map((d) => [d.channel, d.jobId])).toEqual([
      ['webhook:a', notificationJobId(e, 'webhook:a')],
      ['log', notificationJobId(e, 'log')],
    ]);
    expect([...r.toSchedule.keys()]).toEqual(['A1']);
    expect(r).toMatchObject({ stale: 0, orphans: [] });
  });

  it('routes nothing for an event that is not notified, and moves no clock for one that does not schedule', () => {
    const r = routeEvents([event(1, 'acknowledged')], alerts, ['log'], T, 60_000);
    expect(r.deliveries).toEqual([]);
    expect(r.toSchedule.size).toBe(0);
  });

  it('counts a stale notified event instead of sending it, but still schedules its alert', () => {
    const r = routeEvents([event(1, 'fired', T - 60_001)], alerts, ['log'], T, 60_000);
    expect(r.deliveries).toEqual([]);
    expect(r.stale).toBe(1);
    expect([...r.toSchedule.keys()]).toEqual(['A1']);
  });

  it('skips an event whose alert is missing', () => {
    const orphan = { ...event(2, 'fired'), alertId: 'gone' };
    const r = routeEvents([orphan], alerts, ['log'], T, 60_000);
    expect(r.orphans).toEqual([orphan]);
    expect(r.deliveries).toEqual([]);
  });
});
