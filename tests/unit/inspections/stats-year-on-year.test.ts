/** Year-on-year arithmetic of the leaders' statistics (issue #20 §10, inspections/stats.ts): the period a year earlier and the change. */
import { describe, expect, it } from 'vitest';
import { change, emptyOrigins, yearEarlier } from '../../../inspections/stats.ts';

const H = 3_600_000;
const cst = (y: number, m: number, d: number, hour = 0, min = 0) => Date.UTC(y, m - 1, d, hour, min) - 8 * H;

describe('yearEarlier', () => {
  it.each([
    ['a CST midnight', cst(2026, 11, 1), cst(2025, 11, 1)],
    ['the first of January (the UTC day before, CST)', cst(2026, 1, 1), cst(2025, 1, 1)],
    ['a time of day', cst(2026, 12, 5, 12, 30) + 1, cst(2025, 12, 5, 12, 30) + 1],
    ['29 February: the 28th', cst(2028, 2, 29, 9), cst(2027, 2, 28, 9)],
    ['1 March after a leap day', cst(2028, 3, 1), cst(2027, 3, 1)],
  ])('%s', (_name, at, want) => {
    expect(yearEarlier(at)).toBe(want);
  });
});

describe('change', () => {
  it.each([
    [4, 2, 1],
    [1, 2, -0.5],
    [2, 2, 0],
    [0.75, 0.5, 0.5],
    [1, 3, -0.6667],
    [3, 0, null],
    [null, 0.5, null],
    [0.5, null, null],
  ] as const)('%s now against %s a year earlier', (now, earlier, want) => {
    expect(change(now, earlier)).toBe(want);
  });
});

it('lists every origin, in order, at zero', () => {
  expect(emptyOrigins().map((o) => [o.origin, o.inspections + o.tasks + o.hazards + o.majorHazards])).toEqual([
    ['annual_plan', 0],
    ['random', 0],
    ['dynamic', 0],
    ['complaint', 0],
    ['referral', 0],
    ['data_monitoring', 0],
    ['recheck', 0],
  ]);
});
