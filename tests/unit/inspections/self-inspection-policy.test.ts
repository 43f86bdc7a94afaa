/**
 * Self-inspection due dates and overdue flags (domain rule 11, 应急〔2025〕11号 §十 "每季度至少检查1次"):
 * quarters in China Standard Time, the grace the bureau sets, days overdue, who must report, the
 * reporting rate, and the shield a self-reported hazard gives a finding.
 */
import { describe, expect, it } from 'vitest';
import {
  daysOverdue,
  DEFAULT_SELF_INSPECTION_POLICY,
  dueAt,
  lastDuePeriod,
  obligationOf,
  parsePeriod,
  periodOf,
  periodRange,
  periodsDueIn,
  periodStatus,
  periodText,
  reportingRateOf,
  shieldOf,
  type ReportedHazard,
} from '../../../inspections/self-inspection-policy.ts';
import { checklistItemsOfSector } from '../../../inspections/tasks/checklist.ts';
import { forCaseHandling, type TaskFinding } from '../../../inspections/tasks/lifecycle.ts';

/** An instant given as CST wall time. */
const cst = (y: number, m: number, d: number, h = 0, min = 0, s = 0) => Date.UTC(y, m - 1, d, h - 8, min, s);
const P = DEFAULT_SELF_INSPECTION_POLICY;
const Q = (t: string) => parsePeriod(t)!;

describe('quarters in China Standard Time', () => {
  it.each([
    [cst(2026, 12, 31, 23, 59, 59), '2026-Q4'],
    [cst(2027, 1, 1, 0, 0, 0), '2027-Q1'], // 2026-12-31T16:00Z: still Q4 in UTC
    [cst(2026, 3, 31, 23, 59), '2026-Q1'],
    [cst(2026, 4, 1), '2026-Q2'],
    [cst(2026, 7, 1), '2026-Q3'],
    [cst(2026, 9, 30, 23, 59), '2026-Q3'],
    [cst(2026, 10, 1), '2026-Q4'],
  ])('%s is in %s', (at, period) => {
    expect(periodText(periodOf(at))).toBe(period);
  });

  it('a quarter runs from its first CST midnight to the next quarter’s', () => {
    expect(periodRange(Q('2026-Q4'))).toEqual({ from: Date.UTC(2026, 8, 30, 16), to: Date.UTC(2026, 11, 31, 16) });
    expect(periodRange(Q('2027-Q1')).from).toBe(periodRange(Q('2026-Q4')).to);
  });

  it.each(['2026-Q5', '2026-Q0', '26-Q1', '2026Q1', '2026-q1', ''])('%j is not a period', (t) => expect(parsePeriod(t)).toBeUndefined());
});

describe('due by the end of the quarter plus the bureau’s grace', () => {
  it('the platform default is 15 days, labelled as the bureau’s setting', () => {
    expect(P.graceDays).toBe(15);
    expect(P.source.zh).toContain('属地应急管理部门设定');
    expect(P.source.en).toContain("bureau's setting");
  });

  it('Q4 2026 is due at 2027-01-16 00:00 CST (reports through 15 January)', () => {
    expect(dueAt(Q('2026-Q4'), P)).toBe(cst(2027, 1, 16));
  });

  it('the last quarter due changes at the due instant', () => {
    expect(periodText(lastDuePeriod(cst(2027, 1, 15, 23, 59, 59), P))).toBe('2026-Q3');
    expect(periodText(lastDuePeriod(cst(2027, 1, 16), P))).toBe('2026-Q4');
    expect(periodText(lastDuePeriod(cst(2026, 12, 5, 12), P))).toBe('2026-Q3');
  });

  it('another grace moves it', () => {
    const none = { ...P, graceDays: 0 };
    expect(dueAt(Q('2026-Q4'), none)).toBe(cst(2027, 1, 1));
    expect(periodText(lastDuePeriod(cst(2027, 1, 1), none))).toBe('2026-Q4');
    expect(periodText(lastDuePeriod(cst(2027, 1, 1), { ...P, graceDays: 30 }))).toBe('2026-Q3');
  });

  it('the quarters falling due in a range', () => {
    expect(periodsDueIn(cst(2026, 1, 1), cst(2027, 1, 1), P).map(periodText)).toEqual(['2025-Q4', '2026-Q1', '2026-Q2', '2026-Q3']);
    expect(periodsDueIn(cst(2027, 1, 16), cst(2027, 1, 17), P).map(periodText)).toEqual(['2026-Q4']);
    expect(periodsDueIn(cst(2027, 1, 17), cst(2027, 4, 1), P)).toEqual([]);
  });

  it('days overdue are CST calendar days, the first after the grace counting 1', () => {
    const due = dueAt(Q('2026-Q4'), P);
    expect(daysOverdue(due - 1, due)).toBe(0);
    expect(daysOverdue(due, due)).toBe(1);
    expect(daysOverdue(cst(2027, 1, 16, 23, 59), due)).toBe(1);
    expect(daysOverdue(cst(2027, 1, 17, 0, 1), due)).toBe(2);
    expect(daysOverdue(cst(2027, 2, 15, 9), due)).toBe(31);
  });
});

describe('who must report', () => {
  const created = cst(2026, 1, 1);
  it.each([
    [{ highRisk: true, hazardSources: 0, createdAt: created }, true],
    [{ highRisk: false, hazardSources: 2, createdAt: created }, true],
    [{ highRisk: false, hazardSources: 0, createdAt: created }, false],
    // entered in the ledger after the quarter ended: not required for it
    [{ highRisk: true, hazardSources: 1, createdAt: cst(2027, 1, 1) }, false],
    [{ highRisk: true, hazardSources: 1, createdAt: cst(2026, 12, 31, 23) }, true],
  ])('%j → %s for 2026-Q4', (e, required) => {
    const o = obligationOf(e, Q('2026-Q4'));
    expect(o.required).toBe(required);
    expect(o.reason.zh.length).toBeGreaterThan(0);
  });

  it('a quarter reported late is no longer overdue but not on time; one missing is overdue with its days', () => {
    const p = Q('2026-Q4');
    const now = cst(2027, 1, 20, 10);
    expect(periodStatus(p, [], true, now, P)).toMatchObject({ reported: false, onTime: false, overdue: true, daysOverdue: 5 });
    expect(periodStatus(p, [cst(2027, 1, 18)], true, now, P)).toMatchObject({ reported: true, onTime: false, overdue: false, daysOverdue: 0 });
    expect(periodStatus(p, [cst(2027, 1, 15, 23, 59)], true, now, P)).toMatchObject({ reported: true, onTime: true, overdue: false });
    expect(periodStatus(p, [], false, now, P)).toMatchObject({ overdue: false, daysOverdue: 0 });
    expect(periodStatus(p, [], true, cst(2027, 1, 10), P)).toMatchObject({ overdue: false });
  });

  it('the reporting rate counts reports made on time against reports due', () => {
    expect(
      reportingRateOf([
        { reported: true, onTime: true },
        { reported: true, onTime: false },
        { reported: false, onTime: false },
      ]),
    ).toEqual({ due: 3, onTime: 1, late: 1, missing: 1, rate: 0.3333 });
    expect(reportingRateOf([])).toEqual({ due: 0, onTime: 0, late: 0, missing: 0, rate: null });
  });
});

describe('the shield of a self-reported hazard', () => {
  const at = cst(2026, 11, 20, 10);
  const h = (o: Partial<ReportedHazard>): ReportedHazard => ({
    id: 'H1',
    checklistItemId: 'gas.detectors',
    reportedAt: cst(2026, 11, 1),
    deadline: cst(2026, 12, 31),
    rectifiedAt: null,
    ...o,
  });

  it.each([
    ['open, reported before, deadline ahead', [h({})], { shielded: true, hazardId: 'H1' }],
    ['another item', [h({ checklistItemId: 'gas.settings' })], { shielded: false, reason: 'no_report' }],
    ['reported after the inspection began', [h({ reportedAt: at + 1 })], { shielded: false, reason: 'reported_after', hazardId: 'H1' }],
    ['rectified before the inspection', [h({ rectifiedAt: at - 1 })], { shielded: false, reason: 'rectified', hazardId: 'H1' }],
    ['rectified after the inspection began', [h({ rectifiedAt: at + 1 })], { shielded: true, hazardId: 'H1' }],
    ['deadline passed', [h({ deadline: at - 1 })], { shielded: false, reason: 'deadline_passed', hazardId: 'H1' }],
    ['deadline at the inspection', [h({ deadline: at })], { shielded: true, hazardId: 'H1' }],
    ['one lapsed, another open', [h({ deadline: at - 1 }), h({ id: 'H2' })], { shielded: true, hazardId: 'H2' }],
  ])('%s', (_name, hazards, expected) => {
    expect(shieldOf('gas.detectors', hazards, at)).toEqual(expected);
  });
});

describe('what a self-reported hazard may name, and what goes to case handling', () => {
  it('the checklist items of a sector: its matters and key matters, not another sector’s', () => {
    const chem = checklistItemsOfSector('hazardous_chemicals').map((i) => i.id);
    expect(chem).toEqual(expect.arrayContaining(['gas.detectors', 'tank.interlock', 'safety.tampering', 'data.tampering', 'chem.major_hazard_duty']));
    expect(chem).not.toContain('mine.ventilation');
    expect(chem).not.toContain('dust.collector_interlock');
    expect(chem).not.toContain('metal.molten_metal');
    expect(new Set(chem).size).toBe(chem.length);
    const mine = checklistItemsOfSector('mine').map((i) => i.id);
    expect(mine).toEqual(expect.arrayContaining(['mine.ventilation', 'mine.monitoring_system', 'gas.detectors']));
    expect(mine).not.toContain('tank.interlock');
  });

  it('a self-reported hazard is rectified like any other but not handed to case handling', () => {
    const f = (itemId: string, result: TaskFinding['result'], selfReported: boolean): TaskFinding => ({ itemId, result, note: '', evidence: [], selfReported });
    expect(
      forCaseHandling([f('a', 'ok', false), f('b', 'hazard', false), f('c', 'major_hazard', true), f('d', 'major_hazard', false)]).map((x) => x.itemId),
    ).toEqual(['b', 'd']);
  });
});
