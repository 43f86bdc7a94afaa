/**
 * Yearly inspection caps (应急〔2025〕11号 §三, domain rule 3): every sector ×
 * grade, the exempt origins, and China Standard Time year boundaries.
 */
import { describe, expect, it } from 'vitest';
import {
  CAP_EXEMPT,
  capOf,
  decideInspection,
  GRADES,
  HIGH_RISK_SECTORS,
  isHighRiskSector,
  ORIGINS,
  yearCounts,
  yearOf,
  yearRange,
  type Grade,
  type Origin,
} from '../../inspections/caps.ts';

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
    const done: { origin: Origin; at: number }[] = [];
    for (let i = 0; i < cap; i++) {
      const d = decideInspection(e, done, i % 2 === 0 ? 'annual_plan' : 'random', day(1 + i, 10));
      expect(d, `inspection ${i + 1}`).toMatchObject({ allowed: true, exempt: false });
      done.push({ origin: 'annual_plan', at: day(1 + i, 10) });
    }
    for (const origin of ['annual_plan', 'random', 'dynamic'] as const) {
      const refused = decideInspection(e, done, origin, day(12, 30));
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
  const full = [
    { origin: 'annual_plan' as const, at: day(2, 1) },
    { origin: 'random' as const, at: day(3, 1) },
  ];

  it.each(ORIGINS.map((origin) => ({ origin, exempt: CAP_EXEMPT.has(origin) })))('$origin beyond the cap: allowed = $exempt', ({ origin, exempt }) => {
    const d = decideInspection(e, full, origin, day(6, 1));
    expect(d.allowed).toBe(exempt);
    if (d.allowed) expect(d.exempt).toBe(true);
  });

  it('exactly complaints, referrals, data monitoring and re-checks are exempt', () => {
    expect([...CAP_EXEMPT].sort()).toEqual(['complaint', 'data_monitoring', 'recheck', 'referral']);
  });

  it('exempt inspections are counted and shown, but do not use up the cap', () => {
    const history = [
      { origin: 'data_monitoring' as const, at: day(1, 5) },
      { origin: 'complaint' as const, at: day(1, 6) },
      { origin: 'recheck' as const, at: day(1, 7) },
      { origin: 'referral' as const, at: day(1, 8) },
      { origin: 'annual_plan' as const, at: day(2, 1) },
    ];
    const c = yearCounts(e, history, 2026);
    expect(c).toMatchObject({ year: 2026, cap: 2, counted: 1, exempt: 4, total: 5, remaining: 1 });
    expect(c.byOrigin).toMatchObject({ data_monitoring: 1, complaint: 1, recheck: 1, referral: 1, annual_plan: 1, random: 0, dynamic: 0 });
    expect(decideInspection(e, history, 'random', day(3, 1))).toMatchObject({ allowed: true, exempt: false });
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
    const lastYear = [{ origin: 'annual_plan' as const, at: Date.UTC(2026, 11, 31, 15, 0) }]; // 23:00 CST on 31 Dec 2026
    expect(decideInspection(e, lastYear, 'annual_plan', Date.UTC(2026, 11, 31, 16, 30))).toMatchObject({ allowed: true, counts: { year: 2027, counted: 0 } });
    expect(decideInspection(e, lastYear, 'annual_plan', Date.UTC(2026, 11, 31, 15, 30))).toMatchObject({ allowed: false, counts: { year: 2026, counted: 1 } });
  });
});
