/**
 * Shelving (搁置, ISA-18.2 / EEMUA 191) on the alert state machine: who may
 * shelve what and for how long, what ends a shelve (an officer, its expiry, a
 * raise to red, a clear, a disposal), escalation while shelved and after, and
 * idempotent replays.
 */
import { describe, expect, it } from 'vitest';
import { transition } from '../../../alerts/state/transition.ts';
import { escalationDue, nextEscalation } from '../../../alerts/state/escalation.ts';
import { DEFAULT_MAX_SHELVE_MS, type Alert, type Command, type TransitionErrorCode, type TransitionOutcome } from '../../../alerts/state/model.ts';
import { REASONS } from '../../../alerts/state/reasons.ts';
import { notifyDecision, schedulesEscalation } from '../../../alerts/notify/policy.ts';
import { configInputFromEnv, parseConfig } from '../../../core/config.ts';
import type { Finding, Severity } from '../../../alerts/types.ts';

const T0 = Date.UTC(2026, 2, 1, 0, 0, 0);
const MIN = 60_000;
const m = (min: number): number => T0 + min * MIN;
const LIMITS = { red: 5 * MIN, orange: 15 * MIN, yellow: undefined, blue: undefined };

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
const ack = (actor: string, min: number): Command => ({ type: 'acknowledge', actor, at: m(min) });
const shelve = (min: number, forMin: number, o: { actor?: string; reason?: string; safetyCritical?: boolean; maxMs?: number } = {}): Command => ({
  type: 'shelve',
  actor: o.actor ?? 'user:li',
  at: m(min),
  until: m(min + forMin),
  reason: o.reason ?? '液位计检修中，误报',
  safetyCritical: o.safetyCritical ?? false,
  maxMs: o.maxMs ?? DEFAULT_MAX_SHELVE_MS,
});
const unshelve = (actor: string, min: number, reason?: string): Command => ({ type: 'unshelve', actor, at: m(min), reason });
const escalate = (level: number, min: number, actor?: string): Command => ({ type: 'escalate', level, at: m(min), to: 'city-bureau', actor });

/** Folds commands from nothing (hold 5 min); throws on a rejected step. */
function after(...steps: Command[]): Alert {
  let n = 0;
  let alert: Alert | undefined;
  for (const cmd of steps) {
    const r = transition(alert, cmd, { forMs: 5 * MIN, newId: () => `A${++n}` });
    if (r.error) throw new Error(`setup: ${r.error.code} ${r.error.message}`);
    alert = r.alert;
  }
  if (!alert) throw new Error('setup produced no alert');
  return Object.freeze(alert);
}

const states = {
  pending: () => after(raise(0)),
  firing: () => after(raise(0), raise(5)),
  'firing yellow': () => after(raise(0, 'yellow'), raise(5, 'yellow')),
  acknowledged: () => after(raise(0), raise(5), ack('user:li', 7)),
  'firing red': () => after(raise(0, 'red'), raise(5, 'red')),
  resolved: () => after(raise(0), raise(5), clear(9)),
  disposed: () => after(raise(0), raise(5), { type: 'dispose', actor: 'user:li', at: m(8), text: '已通知企业' }),
  'shelved (firing, until 70)': () => after(raise(0), raise(5), shelve(10, 60)),
  'shelved (acknowledged, until 70)': () => after(raise(0), raise(5), ack('user:li', 7), shelve(10, 60)),
  none: () => undefined,
} satisfies Record<string, () => Alert | undefined>;
type From = keyof typeof states;

interface Row {
  name: string;
  from: From;
  cmd: Command;
  outcome: TransitionOutcome;
  error?: TransitionErrorCode;
  /** A substring of the refusal message (Chinese and English). */
  says?: string[];
  want?: Partial<Alert>;
  events?: { type: string; reason: string }[];
}

const rows: Row[] = [
  // allowed
  {
    name: 'a firing orange alarm, 60 min, with a reason',
    from: 'firing',
    cmd: shelve(10, 60),
    outcome: 'shelved',
    want: { state: 'firing', shelvedUntil: m(70), shelvedBy: 'user:li', shelveReason: '液位计检修中，误报' },
    events: [{ type: 'shelved', reason: 'shelved_by_officer' }],
  },
  { name: 'an acknowledged alarm', from: 'acknowledged', cmd: shelve(10, 30), outcome: 'shelved', want: { state: 'acknowledged', shelvedUntil: m(40) } },
  { name: 'a yellow alarm', from: 'firing yellow', cmd: shelve(10, 30), outcome: 'shelved', want: { severity: 'yellow', shelvedUntil: m(40) } },
  { name: 'exactly the longest (8 h)', from: 'firing', cmd: shelve(10, 8 * 60), outcome: 'shelved', want: { shelvedUntil: m(10 + 480) } },
  { name: 'the reason is trimmed', from: 'firing', cmd: shelve(10, 30, { reason: '  检修  ' }), outcome: 'shelved', want: { shelveReason: '检修' } },
  {
    name: 'shelving again extends it (from now, by the same rules)',
    from: 'shelved (firing, until 70)',
    cmd: shelve(60, 120, { actor: 'user:wang', reason: '仍在检修' }),
    outcome: 'shelved',
    want: { shelvedUntil: m(180), shelvedBy: 'user:wang', shelveReason: '仍在检修' },
    events: [{ type: 'shelved', reason: 'shelved_by_officer' }],
  },
  { name: 'the identical request again is a no-op', from: 'shelved (firing, until 70)', cmd: shelve(10, 60), outcome: 'already_shelved' },
  // refused
  {
    name: 'red',
    from: 'firing red',
    cmd: shelve(10, 30),
    outcome: 'rejected',
    error: 'SHELVE_NOT_ALLOWED',
    says: ['红色报警不得搁置', 'red alarm is never shelved'],
  },
  {
    name: 'a safety-critical rule',
    from: 'firing',
    cmd: shelve(10, 30, { safetyCritical: true }),
    outcome: 'rejected',
    error: 'SHELVE_NOT_ALLOWED',
    says: ['不得搁置', 'safety-critical'],
  },
  { name: 'no reason', from: 'firing', cmd: shelve(10, 30, { reason: '   ' }), outcome: 'rejected', error: 'SHELVE_REASON_REQUIRED', says: ['原因', 'reason'] },
  {
    name: 'a reason over 500',
    from: 'firing',
    cmd: shelve(10, 30, { reason: '误'.repeat(501) }),
    outcome: 'rejected',
    error: 'SHELVE_REASON_REQUIRED',
    says: ['500'],
  },
  { name: 'zero minutes', from: 'firing', cmd: shelve(10, 0), outcome: 'rejected', error: 'SHELVE_DURATION_INVALID', says: ['大于 0'] },
  { name: 'an end in the past', from: 'firing', cmd: shelve(10, -5), outcome: 'rejected', error: 'SHELVE_DURATION_INVALID' },
  {
    name: 'longer than the longest (8 h + 1 min)',
    from: 'firing',
    cmd: shelve(10, 8 * 60 + 1),
    outcome: 'rejected',
    error: 'SHELVE_DURATION_INVALID',
    says: ['8 小时', '8 h', "bureau's setting"],
  },
  {
    name: "longer than the bureau's 2 h",
    from: 'firing',
    cmd: shelve(10, 121, { maxMs: 2 * 3_600_000 }),
    outcome: 'rejected',
    error: 'SHELVE_DURATION_INVALID',
    says: ['2 小时'],
  },
  {
    name: 'an extension that would shorten it',
    from: 'shelved (firing, until 70)',
    cmd: shelve(20, 30),
    outcome: 'rejected',
    error: 'SHELVE_DURATION_INVALID',
    says: ['只能延长', 'only extends'],
  },
  { name: 'an extension beyond the longest', from: 'shelved (firing, until 70)', cmd: shelve(60, 481), outcome: 'rejected', error: 'SHELVE_DURATION_INVALID' },
  {
    name: 'pending (not fired)',
    from: 'pending',
    cmd: shelve(2, 30),
    outcome: 'rejected',
    error: 'INVALID_TRANSITION',
    says: ['只能搁置', 'firing or acknowledged'],
  },
  { name: 'resolved', from: 'resolved', cmd: shelve(10, 30), outcome: 'rejected', error: 'INVALID_TRANSITION' },
  { name: 'disposed', from: 'disposed', cmd: shelve(10, 30), outcome: 'rejected', error: 'INVALID_TRANSITION' },
  { name: 'no alert', from: 'none', cmd: shelve(10, 30), outcome: 'rejected', error: 'NO_ACTIVE_ALERT' },
  { name: 'by the system', from: 'firing', cmd: shelve(10, 30, { actor: 'system' }), outcome: 'rejected', error: 'INVALID_ACTOR' },
  // unshelve
  {
    name: 'an officer unshelves early',
    from: 'shelved (firing, until 70)',
    cmd: unshelve('user:wang', 30, '检修结束'),
    outcome: 'unshelved',
    want: { state: 'firing', shelvedUntil: undefined, shelvedBy: undefined, shelveReason: undefined, dutyClockSince: m(30) },
    events: [{ type: 'unshelved', reason: 'unshelved_by_officer' }],
  },
  {
    name: 'the system at the expiry',
    from: 'shelved (acknowledged, until 70)',
    cmd: unshelve('system', 70),
    outcome: 'unshelved',
    want: { state: 'acknowledged', shelvedUntil: undefined, dutyClockSince: m(70) },
    events: [{ type: 'unshelved', reason: 'shelve_expired' }],
  },
  { name: 'the system before the expiry: nothing', from: 'shelved (firing, until 70)', cmd: unshelve('system', 69), outcome: 'shelve_not_expired' },
  { name: 'not shelved: nothing (a retried request)', from: 'firing', cmd: unshelve('user:li', 30), outcome: 'not_shelved' },
  { name: 'by an unknown actor', from: 'shelved (firing, until 70)', cmd: unshelve('robot', 30), outcome: 'rejected', error: 'INVALID_ACTOR' },
  // escalation while shelved
  {
    name: 'the escalation job while shelved',
    from: 'shelved (firing, until 70)',
    cmd: escalate(1, 20),
    outcome: 'rejected',
    error: 'ALARM_SHELVED',
    says: ['搁置期间不督办', 'not escalated'],
  },
  {
    name: 'an officer refers a shelved alarm upward',
    from: 'shelved (firing, until 70)',
    cmd: escalate(1, 20, 'user:li'),
    outcome: 'rejected',
    error: 'ALARM_SHELVED',
  },
  // what else ends a shelve
  {
    name: 'a raise to red unshelves at once (and re-arms the acknowledged alarm)',
    from: 'shelved (acknowledged, until 70)',
    cmd: raise(20, 'red'),
    outcome: 'merged',
    want: { state: 'firing', severity: 'red', shelvedUntil: undefined, shelvedBy: undefined },
    events: [
      { type: 'severity_raised', reason: 'severity_increased' },
      { type: 'unshelved', reason: 'red_never_shelved' },
    ],
  },
  {
    name: 'a repeat raise while shelved merges silently and stays shelved',
    from: 'shelved (firing, until 70)',
    cmd: raise(20),
    outcome: 'merged',
    want: { shelvedUntil: m(70) },
    events: [],
  },
  {
    name: 'a clear resolves it normally and ends the shelve',
    from: 'shelved (firing, until 70)',
    cmd: clear(30),
    outcome: 'resolved',
    want: { state: 'resolved', resolution: 'cleared', shelvedUntil: undefined, shelvedBy: undefined },
    events: [{ type: 'resolved', reason: 'condition_cleared' }],
  },
  {
    name: 'disposal ends the shelve',
    from: 'shelved (firing, until 70)',
    cmd: { type: 'dispose', actor: 'user:li', at: m(30), text: '已处置' },
    outcome: 'disposed',
    want: { state: 'disposed', shelvedUntil: undefined },
  },
  {
    name: 'acknowledging a shelved alarm keeps the shelve',
    from: 'shelved (firing, until 70)',
    cmd: ack('user:li', 20),
    outcome: 'acknowledged',
    want: { state: 'acknowledged', shelvedUntil: m(70) },
  },
];

describe('shelve / unshelve', () => {
  it.each(rows)('$name', ({ from, cmd, outcome, error, says, want, events }) => {
    const alert = states[from]();
    const r = transition(alert, cmd, { forMs: 5 * MIN, newId: () => 'NEW' });
    expect(r.outcome).toBe(outcome);
    expect(r.error?.code).toBe(error);
    for (const s of says ?? []) expect(r.error?.message).toContain(s);
    if (outcome === 'rejected' || ['already_shelved', 'not_shelved', 'shelve_not_expired'].includes(outcome)) {
      expect(r.alert).toBe(alert);
      expect(r.events).toEqual([]);
      return;
    }
    for (const [k, v] of Object.entries(want ?? {})) {
      if (v === undefined) expect(r.alert, k).not.toHaveProperty(k);
      else expect(r.alert?.[k as keyof Alert], k).toEqual(v);
    }
    if (events) expect(r.events.map((e) => ({ type: e.type, reason: e.reason }))).toEqual(events);
    for (const e of r.events) expect(REASONS[e.reason].zh).toBeTruthy();
  });

  it('the shelved event carries the reason as its note and the officer as actor', () => {
    const r = transition(states.firing(), shelve(10, 60), { forMs: 5 * MIN, newId: () => 'NEW' });
    expect(r.events[0]).toMatchObject({ type: 'shelved', actor: 'user:li', from: 'firing', to: 'firing', note: '液位计检修中，误报', at: m(10) });
  });
});

describe('notification and escalation while shelved', () => {
  it('a raise below red while shelved is recorded as raised_while_shelved and not notified; one to red is notified', () => {
    const shelvedYellow = after(raise(0, 'yellow'), raise(5, 'yellow'), shelve(10, 60));
    const orange = transition(shelvedYellow, raise(20, 'orange'), { forMs: 5 * MIN, newId: () => 'X' });
    expect(orange.events.map((e) => e.reason)).toEqual(['raised_while_shelved']);
    expect(orange.alert?.shelvedUntil).toBe(m(70));
    expect(notifyDecision(orange.events[0]!)).toEqual({ notify: false, reason: 'shelved' });
    const red = transition(orange.alert, raise(25, 'red'), { forMs: 5 * MIN, newId: () => 'X' });
    expect(notifyDecision(red.events[0]!)).toEqual({ notify: true, reason: 'severity_raised' });
    expect(red.events[1]).toMatchObject({ type: 'unshelved', reason: 'red_never_shelved' });
    expect(notifyDecision(red.events[1]!).notify).toBe(false);
  });

  it('a shelved alarm has no next escalation; after the expiry the clock runs a full limit from the unshelve', () => {
    const shelved = after(raise(0), raise(5), shelve(10, 60)); // fired at 5, orange limit 15 min: level 1 would be due at 20
    expect(nextEscalation(states.firing(), LIMITS)).toEqual({ level: 1, dueAt: m(20) });
    expect(nextEscalation(shelved, LIMITS)).toBeUndefined();
    expect(escalationDue(shelved, m(69), LIMITS)).toBeUndefined();
    const back = transition(shelved, unshelve('system', 70), { forMs: 5 * MIN, newId: () => 'X' });
    expect(schedulesEscalation('unshelved')).toBe(true);
    expect(nextEscalation(back.alert!, LIMITS)).toEqual({ level: 1, dueAt: m(85) });
    expect(escalationDue(back.alert!, m(84), LIMITS)).toBeUndefined();
    const esc = transition(back.alert, escalate(1, 85), { forMs: 5 * MIN, newId: () => 'X' });
    expect(esc.outcome).toBe('escalated');
    expect(nextEscalation(esc.alert!, LIMITS)).toEqual({ level: 2, dueAt: m(100) });
  });

  it('a level already reached before the shelve stays a no-op (a retried job)', () => {
    const shelved = after(raise(0), raise(5), escalate(1, 20), shelve(25, 60));
    expect(transition(shelved, escalate(1, 20), { forMs: 5 * MIN, newId: () => 'X' }).outcome).toBe('already_escalated');
    expect(transition(shelved, escalate(2, 35), { forMs: 5 * MIN, newId: () => 'X' }).error?.code).toBe('ALARM_SHELVED');
  });
});

describe('replay idempotence', () => {
  it('replaying the expiry unshelve, or findings already merged, changes nothing', () => {
    const back = after(raise(0), raise(5), shelve(10, 60), unshelve('system', 70));
    for (const cmd of [unshelve('system', 70), unshelve('system', 90), raise(5), raise(0)]) {
      const r = transition(back, cmd, { forMs: 5 * MIN, newId: () => 'X' });
      expect(r.alert, cmd.type).toBe(back);
      expect(r.events).toEqual([]);
    }
  });

  it('replaying the findings of a shelved alarm keeps the shelve and adds no events', () => {
    const shelved = after(raise(0), raise(5), raise(8), shelve(10, 60));
    for (const cmd of [raise(5), raise(8), raise(0)]) {
      const r = transition(shelved, cmd, { forMs: 5 * MIN, newId: () => 'X' });
      expect(r.outcome).toBe('duplicate');
      expect(r.alert).toBe(shelved);
    }
  });

  it('the same command sequence folds to the same alarm (pure)', () => {
    const seq = [raise(0), raise(5), shelve(10, 60), raise(20, 'orange'), ack('user:li', 30), unshelve('system', 70)];
    expect(after(...seq)).toEqual(after(...seq));
  });
});

describe('the longest shelve in the config', () => {
  const minimal = { redisUrl: 'redis://127.0.0.1:6379', influx: { url: 'http://127.0.0.1:8086' } };
  it("defaults to 8 h (one duty shift), the bureau's setting via notify.maxShelveMs / NOTIFY_MAX_SHELVE_MS, at most 24 h", () => {
    expect(parseConfig(minimal).notify.maxShelveMs).toBe(DEFAULT_MAX_SHELVE_MS);
    expect(DEFAULT_MAX_SHELVE_MS).toBe(8 * 3_600_000);
    expect(
      parseConfig(configInputFromEnv({ REDIS_URL: minimal.redisUrl, INFLUX_URL: minimal.influx.url, NOTIFY_MAX_SHELVE_MS: '7200000' })).notify.maxShelveMs,
    ).toBe(7_200_000);
    expect(() => parseConfig({ ...minimal, notify: { maxShelveMs: 25 * 3_600_000 } })).toThrow(/notify\.maxShelveMs/);
  });
});
