/**
 * Root-cause suppression: a gateway offline alert suppresses the silence
 * alerts of its sensors (one root-cause alert, not fifty); red is never
 * suppressed; when the root cause resolves, sensors still silent alert.
 */
import { describe, expect, it } from 'vitest';
import { isDataSilenceRule, suppressionFor, type SuppressionOptions } from '../../../alerts/state/suppression.ts';
import { transition } from '../../../alerts/state/transition.ts';
import type { Alert, AlertEvent, Command, TransitionPolicy } from '../../../alerts/state/model.ts';
import { fingerprintOf, type Finding, type Severity } from '../../../alerts/types.ts';

const T0 = Date.UTC(2026, 2, 1, 3, 0, 0);
const MIN = 60_000;
const m = (min: number): number => T0 + min * MIN;

const mk = (over: Partial<Finding> & Pick<Finding, 'subject'>): Finding => ({
  ruleId: 'data.silence',
  ruleVersion: 1,
  enterpriseId: 'E1',
  condition: 'raise',
  severity: 'orange',
  at: m(0),
  message: { zh: '数据中断', en: 'data interrupted' },
  evidence: [],
  ...over,
});
const silence = (sensor: string, min: number, severity: Severity = 'orange'): Finding => mk({ subject: sensor, at: m(min), severity });
const sensorBack = (sensor: string, min: number): Finding => mk({ subject: sensor, at: m(min), condition: 'clear' });
const offline = (gateway: string, min: number): Finding => mk({ ruleId: 'gateway.offline', subject: `gateway:${gateway}`, at: m(min) });

/** GT-1xx report through G1, GT-2xx through G2 (in every enterprise). */
const gatewayOf: SuppressionOptions['gatewayOf'] = (_enterprise, subject) =>
  subject.startsWith('GT-1') ? 'G1' : subject.startsWith('GT-2') ? 'G2' : undefined;
const opts: SuppressionOptions = { gatewayOf };

function open(f: Finding, forMs = 0, suppressedBy?: string): Alert {
  const r = transition(undefined, { type: 'finding', finding: f, suppressedBy }, { forMs, newId: () => `A-${f.subject}` });
  if (!r.alert) throw new Error('no alert');
  return r.alert;
}
const G1_FP = fingerprintOf(offline('G1', 0));

describe('suppressionFor', () => {
  const g1 = open(offline('G1', 0));
  const g1Pending = open(offline('G1', 0), 10 * MIN);
  const g1Acked = transition(g1, { type: 'acknowledge', actor: 'user:duty', at: m(2) }, { forMs: 0, newId: () => 'X' }).alert as Alert;
  const g1Resolved = transition(g1, { type: 'finding', finding: { ...offline('G1', 9), condition: 'clear' } }, { forMs: 0, newId: () => 'X' }).alert as Alert;
  const g1OtherEnterprise = open({ ...offline('G1', 0), enterpriseId: 'E2' });
  const g1Heartbeat = open({ ...offline('G1', -5), ruleId: 'gateway.heartbeat' });

  it.each([
    { name: 'silence under a firing gateway-offline alert', f: silence('GT-101', 1), active: [g1], want: { suppressedBy: G1_FP } },
    { name: 'silence under a pending gateway-offline alert', f: silence('GT-101', 1), active: [g1Pending], want: { suppressedBy: G1_FP } },
    { name: 'silence under an acknowledged gateway-offline alert', f: silence('GT-101', 1), active: [g1Acked], want: { suppressedBy: G1_FP } },
    { name: 'gateway alert already resolved', f: silence('GT-101', 10), active: [g1Resolved], want: undefined },
    { name: 'red silence is never suppressed', f: silence('GT-101', 1, 'red'), active: [g1], want: undefined },
    { name: 'a clear is never suppressed', f: sensorBack('GT-101', 1), active: [g1], want: undefined },
    {
      name: 'a non-silence rule (gas level) is not suppressed',
      f: { ...silence('GT-101', 1), ruleId: 'gas.combustible.level' },
      active: [g1],
      want: undefined,
    },
    { name: 'a sensor of another gateway', f: silence('GT-201', 1), active: [g1], want: undefined },
    { name: 'the same gateway id in another enterprise', f: silence('GT-101', 1), active: [g1OtherEnterprise], want: undefined },
    { name: 'a sensor whose gateway is unknown', f: silence('XX-1', 1), active: [g1], want: undefined },
    { name: 'no active alerts', f: silence('GT-101', 1), active: [], want: undefined },
    { name: "the gateway's own silence", f: mk({ subject: 'gateway:G1', ruleId: 'data.silence.gateway' }), active: [g1], want: undefined },
    {
      name: 'two root causes: the earliest started wins',
      f: silence('GT-101', 1),
      active: [g1, g1Heartbeat],
      want: { suppressedBy: fingerprintOf(g1Heartbeat) },
    },
  ])('$name', ({ f, active, want }) => {
    expect(suppressionFor(f, active, opts)).toEqual(want);
  });

  it('lets the rule catalogue choose which rules are suppressible', () => {
    const frozen = { ...silence('GT-101', 1), ruleId: 'sensor.frozen' };
    expect(suppressionFor(frozen, [g1], opts)).toBeUndefined();
    expect(suppressionFor(frozen, [g1], { ...opts, suppressible: (id) => id === 'sensor.frozen' || isDataSilenceRule(id) })).toEqual({ suppressedBy: G1_FP });
  });

  it('does not chain: an alert that is itself suppressed is no root cause', () => {
    const suppressedGatewayAlert = open(offline('G1', 0), 0, 'something-else');
    expect(suppressedGatewayAlert.suppressedBy).toBe('something-else');
    expect(suppressionFor(silence('GT-101', 1), [suppressedGatewayAlert], opts)).toBeUndefined();
  });
});

/** The worker loop for one enterprise: alerts by fingerprint, suppression evaluated per raise. */
function worker(forMs: number) {
  const alerts = new Map<string, Alert>();
  const events: AlertEvent[] = [];
  const policy: TransitionPolicy = { forMs, newId: () => `A${alerts.size + 1}` };
  const apply = (fp: string, cmd: Command) => {
    const r = transition(alerts.get(fp), cmd, policy);
    if (r.error) throw new Error(r.error.code);
    if (r.alert) alerts.set(fp, r.alert);
    events.push(...r.events);
    return r;
  };
  return {
    alerts,
    events,
    finding(f: Finding) {
      return apply(fingerprintOf(f), { type: 'finding', finding: f, ...suppressionFor(f, [...alerts.values()], opts) });
    },
    tick(min: number) {
      for (const fp of [...alerts.keys()]) apply(fp, { type: 'tick', now: m(min) });
    },
    /** The root cause resolved: lift the suppression it caused. */
    unsuppress(rootFp: string, at: number) {
      for (const [fp, a] of [...alerts]) if (a.suppressedBy === rootFp) apply(fp, { type: 'unsuppress', at });
    },
    get: (f: Finding) => alerts.get(fingerprintOf(f)),
  };
}
const sensors = Array.from({ length: 50 }, (_, i) => `GT-1${String(i).padStart(2, '0')}`);

describe('suppression through the lifecycle', () => {
  it('a gateway going offline gives one alert, not fifty', () => {
    const w = worker(0);
    w.finding(offline('G1', 0));
    for (const s of sensors) w.finding(silence(s, 1));
    w.tick(30);
    const firing = [...w.alerts.values()].filter((a) => a.state === 'firing');
    expect(firing.map((a) => a.subject)).toEqual(['gateway:G1']);
    expect(w.events.filter((e) => e.type === 'fired')).toHaveLength(1);
    expect(w.events.filter((e) => e.type === 'suppressed')).toHaveLength(50); // recorded, not notified
    expect([...w.alerts.values()].filter((a) => a.suppressedBy === G1_FP && a.state === 'pending')).toHaveLength(50);
  });

  it('a red silence alerts even under an offline gateway', () => {
    const w = worker(0);
    w.finding(offline('G1', 0));
    w.finding(silence('GT-100', 1, 'red'));
    expect(w.get(silence('GT-100', 1))).toMatchObject({ state: 'firing', severity: 'red' });
    expect(w.get(silence('GT-100', 1))).not.toHaveProperty('suppressedBy');
  });

  it('a suppressed alert that rises to red is released and fires', () => {
    const w = worker(0);
    w.finding(offline('G1', 0));
    w.finding(silence('GT-100', 1));
    const r = w.finding(silence('GT-100', 4, 'red'));
    expect(r.events.map((e) => `${e.type}:${e.reason}`)).toEqual([
      'severity_raised:severity_increased',
      'unsuppressed:red_never_suppressed',
      'fired:raised_without_hold',
    ]);
    expect(r.alert).toMatchObject({ state: 'firing', firedAt: m(4) });
  });

  it('root cause resolves while the sensor is still silent: it fires then, not back-dated', () => {
    const w = worker(5 * MIN);
    w.finding(offline('G1', 0));
    w.finding(silence('GT-100', 1));
    w.tick(20);
    expect(w.get(silence('GT-100', 1))?.state).toBe('pending');
    w.unsuppress(G1_FP, m(30));
    expect(w.get(silence('GT-100', 1))).toMatchObject({ state: 'firing', firedAt: m(30), startedAt: m(1) });
    expect(w.events.filter((e) => e.alertId === w.get(silence('GT-100', 1))?.id).map((e) => e.type)).toEqual(['suppressed', 'unsuppressed', 'fired']);
  });

  it('root cause resolves before the hold elapsed: the hold still counts from the start', () => {
    const w = worker(5 * MIN);
    w.finding(offline('G1', 0));
    w.finding(silence('GT-100', 1));
    w.unsuppress(G1_FP, m(3));
    expect(w.get(silence('GT-100', 1))?.state).toBe('pending');
    w.tick(5);
    expect(w.get(silence('GT-100', 1))?.state).toBe('pending');
    w.tick(6);
    expect(w.get(silence('GT-100', 1))).toMatchObject({ state: 'firing', firedAt: m(6) });
  });

  it('sensor comes back with its gateway: the suppressed alert is discarded, never notified', () => {
    const w = worker(0);
    w.finding(offline('G1', 0));
    w.finding(silence('GT-100', 1));
    w.finding(sensorBack('GT-100', 8));
    expect(w.get(silence('GT-100', 1))).toMatchObject({ state: 'resolved', resolution: 'cleared_before_hold', suppressedBy: G1_FP });
    expect(w.events.some((e) => e.type === 'fired' && e.alertId !== w.get(offline('G1', 0))?.id)).toBe(false);
  });

  it('a newer raise without suppression (root cause gone) releases the alert', () => {
    const w = worker(0);
    w.finding(offline('G1', 0));
    w.finding(silence('GT-100', 1));
    w.finding({ ...offline('G1', 2), condition: 'clear' });
    const r = w.finding(silence('GT-100', 3));
    expect(r.events.map((e) => `${e.type}:${e.reason}`)).toEqual(['unsuppressed:root_cause_cleared', 'fired:raised_without_hold']);
    expect(r.alert).toMatchObject({ state: 'firing', firedAt: m(3) });
  });

  it('a pending alert is suppressed when its gateway goes offline; a firing one is never muted afterwards', () => {
    const w = worker(5 * MIN);
    w.finding(silence('GT-100', 0));
    w.finding(silence('GT-101', -10));
    w.tick(-4); // GT-101 fires; GT-100 still pending
    w.finding(offline('G1', 1));
    const pending = w.finding(silence('GT-100', 2));
    const firing = w.finding(silence('GT-101', 2));
    expect(pending.events.map((e) => e.type)).toEqual(['suppressed']);
    expect(firing.events).toEqual([]);
    expect(firing.alert).not.toHaveProperty('suppressedBy');
    w.tick(60);
    expect(w.get(silence('GT-100', 0))?.state).toBe('pending');
  });

  it.each([
    { name: 'unsuppress of an alert that is not suppressed', setup: () => open(silence('GT-100', 0), 5 * MIN) },
    {
      name: 'unsuppress twice (a replay)',
      setup: () => transition(open(silence('GT-100', 0), 5 * MIN, G1_FP), { type: 'unsuppress', at: m(1) }, { forMs: 5 * MIN, newId: () => 'X' }).alert,
    },
    { name: 'unsuppress with no alert', setup: () => undefined },
  ])('$name is a no-op', ({ setup }) => {
    const a = setup();
    const r = transition(a, { type: 'unsuppress', at: m(2) }, { forMs: 5 * MIN, newId: () => 'X' });
    expect(r).toEqual({ alert: a, events: [], outcome: 'not_suppressed' });
  });

  it('a red finding passed with suppressedBy (a caller slip) is still not suppressed', () => {
    const a = open(silence('GT-100', 0, 'red'), 0, G1_FP);
    expect(a).toMatchObject({ state: 'firing' });
    expect(a).not.toHaveProperty('suppressedBy');
  });
});
