/**
 * Consolidated alarms (issue #17 item 5; ISA-18.2 / EEMUA 191: one hazard episode on one point is one alarm):
 * the findings of the rules of one consolidation group on one subject make one alarm, carrying each rule's
 * fact, graded the highest, cleared only when every rule that raised in the episode has cleared.
 */
import { describe, expect, it } from 'vitest';
import type { Alert, Command } from '../../../alerts/state/model.ts';
import { transition } from '../../../alerts/state/transition.ts';
import { fingerprintOf, type Finding, type Severity } from '../../../alerts/types.ts';

const T0 = Date.UTC(2026, 11, 5, 2);
const MIN = 60_000;
const m = (min: number) => T0 + min * MIN;
const GROUP = 'gas.combustible';

const finding = (ruleId: string, condition: Finding['condition'], min: number, severity: Severity): Finding => ({
  ruleId,
  ruleVersion: 2,
  enterpriseId: 'E1',
  subject: 'GT-101',
  condition,
  severity,
  at: m(min),
  message: { zh: `${ruleId} ${severity}`, en: `${ruleId} ${severity}` },
  evidence: [],
  group: GROUP,
  // the group is named after the level rule: its alarms keep that rule's identity whichever rule opens them
  ...(ruleId === GROUP ? {} : { groupRule: { id: GROUP, version: 2 } }),
});
const level = (c: Finding['condition'], min: number, s: Severity = 'orange'): Command => ({ type: 'finding', finding: finding('gas.combustible', c, min, s) });
const rise = (c: Finding['condition'], min: number, s: Severity = 'yellow'): Command => ({
  type: 'finding',
  finding: finding('gas.combustible.rise', c, min, s),
});

function run(cmds: Command[]): { alert: Alert | undefined; events: string[]; ids: Set<string> } {
  let alert: Alert | undefined;
  const events: string[] = [];
  const ids = new Set<string>();
  let n = 0;
  for (const c of cmds) {
    const r = transition(alert, c, { forMs: 0, newId: () => `A${++n}` });
    alert = r.alert;
    if (alert) ids.add(alert.id);
    events.push(...r.events.map((e) => `${e.type}:${e.reason}:${e.severity}`));
  }
  return { alert, events, ids };
}

describe('one alarm per point and episode for the rules of a group', () => {
  it('a rate-of-rise, then the level: one alarm, both facts, the higher grade', () => {
    const { alert, events, ids } = run([rise('raise', 0), level('raise', 2)]);
    expect(ids.size).toBe(1);
    expect(alert!.fingerprint).toBe(fingerprintOf({ ruleId: GROUP, enterpriseId: 'E1', subject: 'GT-101' }));
    expect(alert!.ruleId).toBe('gas.combustible');
    expect(alert!.severity).toBe('orange');
    expect(Object.keys(alert!.members!)).toEqual(['gas.combustible.rise', 'gas.combustible']);
    expect(alert!.members!['gas.combustible']).toMatchObject({ state: 'raised', severity: 'orange', since: m(2) });
    expect(events).toEqual(['fired:raised_without_hold:yellow', 'updated:consolidated:yellow', 'severity_raised:severity_increased:orange']);
  });

  it('the level first, then a lower-grade rate-of-rise: joins (an event says so), the grade stays', () => {
    const { alert, events } = run([level('raise', 0), rise('raise', 1)]);
    expect(alert!.severity).toBe('orange');
    expect(alert!.members!['gas.combustible.rise']).toMatchObject({ state: 'raised', severity: 'yellow' });
    expect(events).toEqual(['fired:raised_without_hold:orange', 'updated:consolidated:orange']);
  });

  it('stays open while one rule still stands; clears when the last one clears', () => {
    const r1 = run([rise('raise', 0), level('raise', 2), rise('clear', 3)]);
    expect(r1.alert!.state).toBe('firing');
    expect(r1.alert!.members!['gas.combustible.rise']!.state).toBe('cleared');
    expect(r1.events.at(-1)).toBe('updated:member_cleared:orange');
    const r2 = run([rise('raise', 0), level('raise', 2), rise('clear', 3), level('clear', 9)]);
    expect(r2.alert).toMatchObject({ state: 'resolved', resolvedAt: m(9) });
    expect(Object.values(r2.alert!.members!).map((x) => x.state)).toEqual(['cleared', 'cleared']);
    expect(r2.ids.size).toBe(1);
  });

  it('a rule that rises again within the episode rejoins; a clear of a rule that did not raise changes nothing', () => {
    const { alert } = run([level('raise', 0), rise('raise', 1), rise('clear', 2), rise('raise', 3)]);
    expect(alert!.members!['gas.combustible.rise']).toMatchObject({ state: 'raised', since: m(1) });
    const other = run([level('raise', 0), rise('clear', 1)]);
    expect(other.alert!.state).toBe('firing');
  });

  it('a replay of the episode after one rule cleared (a worker killed and restarted) adds nothing: the cleared rule is not revived', () => {
    const cmds = [rise('raise', 0), level('raise', 1), level('raise', 2, 'red'), level('clear', 3), rise('raise', 4)];
    const once = run(cmds);
    const twice = run([...cmds, ...cmds]);
    expect(twice.events).toEqual(once.events);
    expect(twice.alert).toEqual(once.alert);
    expect(once.alert!.members!['gas.combustible']).toMatchObject({ state: 'cleared', clearedAt: m(3) });
    // a raise after its clear does revive it
    expect(run([...cmds, level('raise', 5)]).alert!.members!['gas.combustible']).toMatchObject({ state: 'raised' });
  });

  it('replays change nothing (the worker restarts and re-applies the same findings)', () => {
    const cmds = [rise('raise', 0), level('raise', 2)];
    const once = run(cmds);
    const twice = run([...cmds, ...cmds]);
    expect(twice.alert).toEqual(once.alert);
    expect(twice.events).toEqual(once.events);
  });

  it('after the episode, the next raise opens a new alarm with only its own fact', () => {
    const { alert, ids } = run([rise('raise', 0), rise('clear', 1), level('raise', 5)]);
    expect(ids.size).toBe(2);
    expect(Object.keys(alert!.members!)).toEqual(['gas.combustible']);
  });

  it('a rule of the group that took no part in the last episode may raise with a time inside it: a new alarm, not a stale raise', () => {
    // a drop to zero fired and cleared (minutes 0–5); a frozen run that began at minute 3 is raised 30 min later, dated minute 3
    const fault = (ruleId: string, c: Finding['condition'], min: number): Command => ({
      type: 'finding',
      finding: { ...finding(ruleId, c, min, 'yellow'), group: 'common.instrument_fault', groupRule: undefined },
    });
    const { alert, ids, events } = run([
      fault('common.drop_to_zero', 'raise', 0),
      fault('common.drop_to_zero', 'clear', 5),
      fault('common.frozen', 'raise', 3),
    ]);
    expect(ids.size).toBe(2);
    expect(alert).toMatchObject({ state: 'firing', startedAt: m(3), ruleId: 'common.frozen' });
    expect(events.filter((e) => e.startsWith('fired'))).toHaveLength(2);
    // the drop-to-zero rule replaying its own old raise is still stale
    const replay = run([fault('common.drop_to_zero', 'raise', 0), fault('common.drop_to_zero', 'clear', 5), fault('common.drop_to_zero', 'raise', 0)]);
    expect(replay.ids.size).toBe(1);
  });

  it('upgrade: an alarm opened before the rules were grouped keeps its own condition; another rule of the group neither clears it alone nor is lost', () => {
    const old: Command = { type: 'finding', finding: { ...finding('gas.combustible', 'raise', 0, 'orange'), group: undefined } };
    // the rise's clear alone does not resolve it
    expect(run([old, rise('clear', 1)]).alert!.state).toBe('firing');
    // the rise joins: the alarm's own rule is seeded as a member, so the rise clearing leaves it standing
    const joined = run([old, rise('raise', 1), rise('clear', 2)]);
    expect(joined.alert!.state).toBe('firing');
    expect(joined.alert!.members).toMatchObject({ 'gas.combustible': { state: 'raised' }, 'gas.combustible.rise': { state: 'cleared' } });
    expect(run([old, rise('raise', 1), rise('clear', 2), level('clear', 3)]).alert!.state).toBe('resolved');
  });
});
