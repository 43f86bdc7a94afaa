/**
 * What a channel is given (alerts/notify/notification.ts): the payload built
 * from one stored event, its alert and the enterprise's authorities, as plain
 * JSON; and the one-line summaries for SMS/IM channels.
 */
import { describe, expect, it } from 'vitest';
import type { Authority, EnterpriseAuthorities } from '../../../alerts/notify/authorities.ts';
import { buildNotification, NOTIFICATION_VERSION, summaryOf, type Notification } from '../../../alerts/notify/notification.ts';
import type { OutboxEvent } from '../../../alerts/notify/outbox.ts';
import { transition, type Alert, type AlertEvent, type Command } from '../../../alerts/state/index.ts';

const T0 = Date.UTC(2026, 2, 1, 2, 0, 0);
const MIN = 60_000;

const prov: Authority = { id: 'prov', name: '示例省应急管理厅', level: 'province', parentId: null };
const city: Authority = { id: 'city', name: '示例市应急管理局', level: 'city', parentId: 'prov' };
const county: Authority = { id: 'county', name: '示例县应急管理局', level: 'county', parentId: 'city' };
const ent: EnterpriseAuthorities = { enterpriseId: 'E1', enterpriseName: '示例化工厂', chain: [county, city, prov] };

const raise = (min: number, severity: 'orange' | 'red'): Command => ({
  type: 'finding',
  finding: {
    ruleId: 'gas.combustible',
    ruleVersion: 2,
    enterpriseId: 'E1',
    subject: 'GT-101',
    condition: 'raise',
    severity,
    at: T0 + min * MIN,
    message: { zh: '可燃气体一级报警', en: 'Combustible gas level-1 alarm' },
    evidence: [],
  },
});

/** Runs the commands from no alert; returns the alert and every event, numbered from seq 100 as stored. */
function run(cmds: Command[]): { alert: Alert; events: OutboxEvent[] } {
  let alert: Alert | undefined;
  const events: AlertEvent[] = [];
  for (const cmd of cmds) {
    const r = transition(alert, cmd, { forMs: 0, newId: () => 'A1' });
    if (r.error) throw new Error(r.error.code);
    alert = r.alert;
    events.push(...r.events);
  }
  return {
    alert: alert as Alert,
    events: events.map(({ evidence: _e, fingerprint: _f, ruleId: _r, suppressedBy: _s, ...e }, i) => ({ ...e, seq: 100 + i, recordedAt: e.at })),
  };
}

describe('buildNotification', () => {
  const { alert, events } = run([raise(0, 'orange'), raise(2, 'red'), { type: 'escalate', at: T0 + 7 * MIN, level: 1, to: 'city' }]);
  const [fired, raised, escalated] = events as [OutboxEvent, OutboxEvent, OutboxEvent];

  it('carries the event, the alert as read now, and the enterprise with its own authority, as JSON', () => {
    const n = buildNotification('notify|A1|key|webhook', fired, alert, ent);
    expect(n).toEqual({
      version: NOTIFICATION_VERSION,
      idempotencyKey: 'notify|A1|key|webhook',
      alert: {
        id: 'A1',
        ruleId: 'gas.combustible',
        ruleVersion: 2,
        enterpriseId: 'E1',
        subject: 'GT-101',
        // the alert has moved on since the event: red, escalated once
        severity: 'red',
        state: 'firing',
        message: { zh: '可燃气体一级报警', en: 'Combustible gas level-1 alarm' },
        startedAt: '2026-03-01T02:00:00.000Z',
        firedAt: '2026-03-01T02:00:00.000Z',
        acknowledgedAt: undefined,
        acknowledgedBy: undefined,
        resolvedAt: undefined,
        disposedAt: undefined,
        disposedBy: undefined,
        escalations: 1,
        occurrences: 2,
      },
      event: {
        seq: 100,
        type: 'fired',
        at: '2026-03-01T02:00:00.000Z',
        // the grade at the event
        severity: 'orange',
        from: null,
        to: 'firing',
        actor: 'system',
        reason: 'raised_without_hold',
        reasonLabel: { zh: '报警条件出现（无需持续时间确认）', en: 'Condition raised (no hold time)' },
        detail: 'no hold time',
        note: undefined,
      },
      enterprise: { id: 'E1', name: '示例化工厂', authority: { id: 'county', name: '示例县应急管理局', level: 'county' } },
      escalation: undefined,
    });
    // JSON round trip: what the webhook receives and BullMQ stores
    const json = JSON.parse(JSON.stringify(n)) as Notification;
    expect(json.alert).not.toHaveProperty('acknowledgedAt');
    expect(json).not.toHaveProperty('escalation');
    expect(json.event.severity).toBe('orange');
  });

  it('adds the level and the authority it goes to on an escalated event', () => {
    expect(raised.type).toBe('severity_raised');
    const n = buildNotification('k', escalated, alert, ent);
    expect(n.event).toMatchObject({ type: 'escalated', seq: 102, reason: 'ack_time_limit_exceeded', severity: 'red' });
    expect(n.escalation).toEqual({ level: 1, authority: { id: 'city', name: '示例市应急管理局', level: 'city' } });
  });

  it('keeps the recorded target when the authority is no longer in the chain (ledger changed since)', () => {
    const moved: EnterpriseAuthorities = { ...ent, chain: [county] };
    expect(buildNotification('k', escalated, alert, moved).escalation).toEqual({ level: 1, authority: { id: 'city' } });
  });

  it('has no authority and no name for an enterprise unknown to the ledger', () => {
    const n = buildNotification('k', fired, alert, { enterpriseId: 'E1', enterpriseName: undefined, chain: [] });
    expect(JSON.parse(JSON.stringify(n.enterprise))).toEqual({ id: 'E1' });
  });

  it("carries the officer's note and the acknowledgement", () => {
    const acked = run([raise(0, 'red'), { type: 'acknowledge', actor: 'user:duty-1', at: T0 + MIN, note: '已电话通知企业' }]);
    const n = buildNotification('k', acked.events[1]!, acked.alert, ent);
    expect(n.event).toMatchObject({ type: 'acknowledged', actor: 'user:duty-1', note: '已电话通知企业' });
    expect(n.alert).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'user:duty-1', acknowledgedAt: '2026-03-01T02:01:00.000Z' });
  });
});

describe('summaryOf', () => {
  const { alert, events } = run([raise(0, 'red'), { type: 'escalate', at: T0 + 5 * MIN, level: 1, to: 'city' }]);

  it.each([
    {
      name: 'fired',
      n: () => buildNotification('k', events[0]!, alert, ent),
      zh: '【红色报警】示例化工厂 GT-101：可燃气体一级报警',
      en: '[RED alarm] 示例化工厂 GT-101: Combustible gas level-1 alarm',
    },
    {
      name: 'escalated, with the level and the authority',
      n: () => buildNotification('k', events[1]!, alert, ent),
      zh: '【红色超时未签收督办】示例化工厂 GT-101：可燃气体一级报警（第1级，督办至示例市应急管理局）',
      en: '[RED escalated (not acknowledged)] 示例化工厂 GT-101: Combustible gas level-1 alarm (level 1, to 示例市应急管理局)',
    },
    {
      name: 'an enterprise without a name: its id; an event without a label: its type',
      n: () => buildNotification('k', { ...events[0]!, type: 'updated' }, alert, { enterpriseId: 'E1', enterpriseName: undefined, chain: [] }),
      zh: '【红色updated】E1 GT-101：可燃气体一级报警',
      en: '[RED updated] E1 GT-101: Combustible gas level-1 alarm',
    },
  ])('$name', ({ n, zh, en }) => {
    expect(summaryOf(n())).toEqual({ zh, en });
  });
});
