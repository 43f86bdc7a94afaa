/**
 * Yearly inspection caps (应急〔2025〕11号 §三, domain rule 3): every sector ×
 * grade, the exempt origins and the basis their exemption must rest on,
 * China Standard Time year boundaries, and the dates an inspection may have.
 */
import { describe, expect, it } from 'vitest';
import {
  CAP_EXEMPT,
  capOf,
  decideInspection,
  EARLIEST_INSPECTION_AT,
  exemptionOf,
  inspectionTimeProblem,
  isSeriousViolation,
  type BasisAlert,
  type CountedInspection,
  GRADES,
  HIGH_RISK_SECTORS,
  isHighRiskSector,
  ORIGINS,
  yearCounts,
  yearOf,
  yearRange,
  type Grade,
  type Origin,
} from '../../../inspections/caps.ts';

const SECTORS = [...HIGH_RISK_SECTORS, 'other'] as const;
/** Noon CST on a day of 2026. */
const day = (month: number, d: number) => Date.UTC(2026, month - 1, d, 4);

const EXPECTED: Record<'high' | 'other', Record<Grade, number>> = {
  high: { '1': 2, '2': 4, '3': 8, ungraded: 12 },
  other: { '1': 1, '2': 2, '3': 4, ungraded: 6 },
};

describe('caps by sector and standardization grade', () => {
  const cases = SECTORS.flatMap((sector) => GRADES.map((grade) => ({ sector, grade, cap: EXPECTED[sector === 'other' ? 'other' : 'high'][grade] })));

  it.each(cases)('$sector, grade $grade: at most $cap planned inspections a year, the next one refused', ({ sector, grade, cap }) => {
    const e = { highRisk: isHighRiskSector(sector), grade };
    expect(capOf(e)).toBe(cap);
    const done: CountedInspection[] = [];
    for (let i = 0; i < cap; i++) {
      const d = decideInspection(e, done, i % 2 === 0 ? 'annual_plan' : 'random', day(1 + i, 10), false);
      expect(d, `inspection ${i + 1}`).toMatchObject({ allowed: true, exempt: false });
      done.push({ origin: 'annual_plan', at: day(1 + i, 10), exempt: false });
    }
    for (const origin of ['annual_plan', 'random', 'dynamic'] as const) {
      const refused = decideInspection(e, done, origin, day(12, 30), false);
      expect(refused).toMatchObject({ allowed: false, code: 'CAP_REACHED', counts: { counted: cap, cap, remaining: 0 } });
      if (!refused.allowed) {
        expect(refused.reason.zh).toContain(`每年不超过${cap}次`);
        expect(refused.reason.en).toContain(`at most ${cap} times a year`);
      }
    }
  });

  it('every high-risk sector of the notice is high-risk; "other" is not', () => {
    expect([...HIGH_RISK_SECTORS].sort()).toEqual(['explosive_dust', 'fireworks', 'hazardous_chemicals', 'metal_smelting', 'mine']);
    expect(isHighRiskSector('other')).toBe(false);
  });
});

describe('exempt origins', () => {
  const e = { highRisk: true, grade: '1' as const }; // cap 2
  const full: CountedInspection[] = [
    { origin: 'annual_plan', at: day(2, 1), exempt: false },
    { origin: 'random', at: day(3, 1), exempt: false },
  ];
  const red: BasisAlert = { id: 'A-red', enterpriseId: 'E', severity: 'red', fired: true, seriousRule: false };
  /** The basis each exempt origin must name (the alerts of a serious violation, a complaint or referral number). */
  const basisOf = (origin: Origin) =>
    origin === 'data_monitoring'
      ? { alertIds: ['A-red'], alerts: [red] }
      : { alertIds: [], alerts: [], ref: origin === 'complaint' || origin === 'referral' || origin === 'recheck' ? 'TS-2026-001' : undefined };

  it.each(ORIGINS.map((origin) => ({ origin, exempt: CAP_EXEMPT.has(origin) })))(
    '$origin with its basis beyond the cap: allowed = $exempt',
    ({ origin, exempt }) => {
      const ex = exemptionOf(origin, 'E', basisOf(origin), 'refuse');
      expect(ex).toMatchObject({ ok: true, exempt });
      const d = decideInspection(e, full, origin, day(6, 1), ex.ok && ex.exempt);
      expect(d.allowed).toBe(exempt);
      if (d.allowed) expect(d.exempt).toBe(true);
    },
  );

  it('exactly complaints, referrals, data monitoring and re-checks are exempt', () => {
    expect([...CAP_EXEMPT].sort()).toEqual(['complaint', 'data_monitoring', 'recheck', 'referral']);
  });

  it('exempt inspections are counted and shown, but do not use up the cap', () => {
    const history: CountedInspection[] = [
      { origin: 'data_monitoring', at: day(1, 5), exempt: true },
      { origin: 'complaint', at: day(1, 6), exempt: true },
      { origin: 'recheck', at: day(1, 7), exempt: true },
      { origin: 'referral', at: day(1, 8), exempt: true },
      { origin: 'annual_plan', at: day(2, 1), exempt: false },
    ];
    const c = yearCounts(e, history, 2026);
    expect(c).toMatchObject({ year: 2026, cap: 2, counted: 1, exempt: 4, total: 5, remaining: 1 });
    expect(c.byOrigin).toMatchObject({ data_monitoring: 1, complaint: 1, recheck: 1, referral: 1, annual_plan: 1, random: 0, dynamic: 0 });
    expect(decideInspection(e, history, 'random', day(3, 1), false)).toMatchObject({ allowed: true, exempt: false });
  });

  it('a data-monitoring inspection counted against the cap (no serious alert, through a task) uses up the cap like a planned one', () => {
    const c = yearCounts(e, [{ origin: 'data_monitoring', at: day(1, 5), exempt: false }], 2026);
    expect(c).toMatchObject({ counted: 1, exempt: 0, remaining: 1, byOrigin: { data_monitoring: 1 } });
  });
});

describe('the exemption is earned: the basis an exempt origin must name (2025 §三)', () => {
  const A = (id: string, over: Partial<BasisAlert> = {}): BasisAlert => ({
    id,
    enterpriseId: 'E',
    severity: 'yellow',
    fired: true,
    seriousRule: false,
    ...over,
  });
  const alerts = [
    A('red', { severity: 'red' }),
    A('detector-off', { severity: 'orange', seriousRule: true }),
    A('chattering'),
    A('frozen'),
    A('offline', { severity: 'orange' }),
    A('other-enterprise', { enterpriseId: 'F', severity: 'red' }),
    A('pending', { severity: 'red', fired: false }),
  ];
  const cases: {
    name: string;
    origin: Origin;
    alertIds?: string[];
    ref?: string;
    mode?: 'refuse' | 'count';
    want: { ok: true; exempt: boolean } | { ok: false; code: string };
  }[] = [
    { name: 'annual plan needs no basis and is capped', origin: 'annual_plan', want: { ok: true, exempt: false } },
    { name: 'dynamic needs no basis and is capped', origin: 'dynamic', want: { ok: true, exempt: false } },
    {
      name: 're-check naming its order is exempt (closes the loop of a counted inspection)',
      origin: 'recheck',
      ref: 'task-42',
      want: { ok: true, exempt: true },
    },
    { name: 'a re-check recorded directly without its order is refused', origin: 'recheck', want: { ok: false, code: 'BASIS_REQUIRED' } },
    { name: 'a task’s re-check visit rests on the task', origin: 'recheck', mode: 'count', want: { ok: true, exempt: true } },
    { name: 'complaint with its number is exempt', origin: 'complaint', ref: '12345-2026-0042', want: { ok: true, exempt: true } },
    { name: 'complaint without a number is refused', origin: 'complaint', want: { ok: false, code: 'BASIS_REQUIRED' } },
    { name: 'complaint with a blank number is refused', origin: 'complaint', ref: '   ', want: { ok: false, code: 'BASIS_REQUIRED' } },
    { name: 'referral with its number is exempt', origin: 'referral', ref: '转办〔2026〕7号', want: { ok: true, exempt: true } },
    { name: 'referral without a number is refused', origin: 'referral', want: { ok: false, code: 'BASIS_REQUIRED' } },
    { name: 'data monitoring without alerts is refused', origin: 'data_monitoring', want: { ok: false, code: 'BASIS_REQUIRED' } },
    { name: 'data monitoring of a red alert is exempt', origin: 'data_monitoring', alertIds: ['red'], want: { ok: true, exempt: true } },
    {
      name: 'data monitoring of a serious rule (detector off) is exempt',
      origin: 'data_monitoring',
      alertIds: ['detector-off'],
      want: { ok: true, exempt: true },
    },
    { name: 'one serious alert among others is enough', origin: 'data_monitoring', alertIds: ['chattering', 'red'], want: { ok: true, exempt: true } },
    { name: 'chattering alone is not serious: refused', origin: 'data_monitoring', alertIds: ['chattering'], want: { ok: false, code: 'BASIS_NOT_SERIOUS' } },
    {
      name: 'frozen data and a long offline are not serious: refused',
      origin: 'data_monitoring',
      alertIds: ['frozen', 'offline'],
      want: { ok: false, code: 'BASIS_NOT_SERIOUS' },
    },
    {
      name: 'non-serious alerts of a task visit are counted, not refused',
      origin: 'data_monitoring',
      alertIds: ['chattering'],
      mode: 'count',
      want: { ok: true, exempt: false },
    },
    {
      name: 'an alert of another enterprise is refused',
      origin: 'data_monitoring',
      alertIds: ['other-enterprise'],
      want: { ok: false, code: 'BASIS_UNKNOWN_ALERT' },
    },
    { name: 'an unknown alert is refused', origin: 'data_monitoring', alertIds: ['red', 'nope'], want: { ok: false, code: 'BASIS_UNKNOWN_ALERT' } },
    { name: 'a pending (not fired) alert is refused', origin: 'data_monitoring', alertIds: ['pending'], want: { ok: false, code: 'BASIS_UNKNOWN_ALERT' } },
    { name: 'a task visit whose alert is gone is counted', origin: 'data_monitoring', alertIds: ['gone'], mode: 'count', want: { ok: true, exempt: false } },
    {
      name: 'a task visit never borrows another enterprise’s red alert',
      origin: 'data_monitoring',
      alertIds: ['other-enterprise'],
      mode: 'count',
      want: { ok: true, exempt: false },
    },
  ];
  it.each(cases)('$name', ({ origin, alertIds = [], ref, mode = 'refuse', want }) => {
    const d = exemptionOf(origin, 'E', { alertIds, alerts, ref }, mode);
    expect(d).toMatchObject(want);
    if (!d.ok) {
      expect(d.reason.zh.length).toBeGreaterThan(5);
      expect(d.reason.en.length).toBeGreaterThan(5);
    }
  });

  it('names the serious alerts it rests on', () => {
    expect(exemptionOf('data_monitoring', 'E', { alertIds: ['chattering', 'red', 'detector-off'], alerts }, 'refuse')).toEqual({
      ok: true,
      exempt: true,
      seriousAlertIds: ['red', 'detector-off'],
    });
  });

  it.each([
    { severity: 'red' as const, seriousRule: false, want: true },
    { severity: 'orange' as const, seriousRule: true, want: true },
    { severity: 'orange' as const, seriousRule: false, want: false },
    { severity: 'yellow' as const, seriousRule: false, want: false },
    { severity: 'blue' as const, seriousRule: false, want: false },
  ])('a $severity alert of a rule serious=$seriousRule is a serious violation: $want', ({ severity, seriousRule, want }) => {
    expect(isSeriousViolation({ severity, seriousRule })).toBe(want);
  });
});

describe('the date of an inspection (inspections dated in 1970 or the far future are refused)', () => {
  const now = day(3, 1);
  it.each([
    { name: 'now', at: now, ok: true },
    { name: 'last year', at: day(3, 1) - 365 * 86_400_000, ok: true },
    { name: '2000-01-01 00:00 CST, the earliest', at: EARLIEST_INSPECTION_AT, ok: true },
    { name: 'a millisecond before 2000-01-01 CST', at: EARLIEST_INSPECTION_AT - 1, ok: false },
    { name: '1970 (epoch 1)', at: 1, ok: false },
    { name: '5 minutes ahead (a phone clock running fast)', at: now + 5 * 60_000, ok: true },
    { name: '5 minutes and a millisecond ahead', at: now + 5 * 60_000 + 1, ok: false },
    { name: 'next year', at: now + 365 * 86_400_000, ok: false },
    { name: 'not an integer', at: 1.5e12 + 0.5, ok: false },
  ])('$name: accepted = $ok', ({ at, ok }) => {
    const problem = inspectionTimeProblem(at, now);
    expect(problem === undefined).toBe(ok);
    if (problem) expect(problem).toMatch(/^at: /);
  });
});

describe('year boundaries (China Standard Time)', () => {
  const e = { highRisk: false, grade: '1' as const }; // cap 1

  it.each([
    { name: '2026-12-31 23:59 CST', at: Date.UTC(2026, 11, 31, 15, 59), year: 2026 },
    { name: '2027-01-01 00:00 CST (still 2026-12-31 in UTC)', at: Date.UTC(2026, 11, 31, 16, 0), year: 2027 },
    { name: '2026-01-01 00:00 CST', at: Date.UTC(2025, 11, 31, 16, 0), year: 2026 },
    { name: '2025-12-31 23:59:59.999 CST', at: Date.UTC(2025, 11, 31, 15, 59, 59, 999), year: 2025 },
  ])('$name is in $year', ({ at, year }) => {
    expect(yearOf(at)).toBe(year);
    const { from, to } = yearRange(year);
    expect(at >= from && at < to).toBe(true);
  });

  it('last year’s inspections do not count against this year’s cap', () => {
    const lastYear: CountedInspection[] = [{ origin: 'annual_plan', at: Date.UTC(2026, 11, 31, 15, 0), exempt: false }]; // 23:00 CST on 31 Dec 2026
    expect(decideInspection(e, lastYear, 'annual_plan', Date.UTC(2026, 11, 31, 16, 30), false)).toMatchObject({
      allowed: true,
      counts: { year: 2027, counted: 0 },
    });
    expect(decideInspection(e, lastYear, 'annual_plan', Date.UTC(2026, 11, 31, 15, 30), false)).toMatchObject({
      allowed: false,
      counts: { year: 2026, counted: 1 },
    });
  });
});
