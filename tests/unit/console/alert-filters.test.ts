/** The alarm list's filters, sorting and grouping (console/alert-list.ts, issue #20 §3). */
import { describe, expect, it } from 'vitest';
import { applyFilters, bulkDisposable, groupByEnterprise, NO_FILTERS, type AlertFilters } from '../../../console/alert-list.ts';
import type { Alert } from '../../../console/types.ts';

const T0 = Date.parse('2026-12-05T08:00:00+08:00');
const alert = (id: string, o: Partial<Alert>): Alert => ({
  id,
  fingerprint: id,
  ruleId: 'gas.combustible',
  ruleVersion: 1,
  enterpriseId: 'E1',
  subject: 'GT-101',
  severity: 'orange',
  severitySince: T0,
  state: 'firing',
  startedAt: T0,
  firedAt: T0,
  lastFindingAt: T0,
  occurrences: 1,
  message: { zh: '可燃气体报警', en: 'Combustible gas alarm' },
  escalations: 0,
  ...o,
});

const alerts = [
  alert('A1', { severity: 'red', enterpriseId: 'E2', startedAt: T0 + 1000, firedAt: T0 + 1000 }),
  alert('A2', { severity: 'orange', state: 'acknowledged' }),
  alert('A3', { severity: 'yellow', state: 'resolved', ruleId: 'common.frozen', subject: 'TT-201', message: { zh: '数据冻结', en: 'Frozen data' } }),
  alert('A4', { severity: 'blue', state: 'disposed', startedAt: T0 - 3_600_000, firedAt: T0 - 3_600_000 }),
  alert('A5', { severity: 'red', state: 'pending', firedAt: undefined }),
];
const names: Record<string, string> = { E1: '乙化工', E2: '甲化工' };
const ctx = { authorityOf: (id: string) => (id === 'E1' ? 'K1' : 'K2'), nameOf: (id: string) => names[id] ?? id };
const ids = (f: Partial<AlertFilters>) => applyFilters(alerts, { ...NO_FILTERS, ...f }, ctx).map((a) => a.id);

describe('the alarm list', () => {
  it('shows by default what needs an officer, the most urgent first; an unfired one never', () => {
    expect(ids({})).toEqual(['A1', 'A2', 'A3']);
    expect(ids({ state: 'all' })).toEqual(['A1', 'A2', 'A3', 'A4']);
    expect(ids({ state: 'disposed' })).toEqual(['A4']);
  });

  it('filters by grade, enterprise, authority, rule family and time', () => {
    expect(ids({ grades: ['red', 'yellow'] })).toEqual(['A1', 'A3']);
    expect(ids({ enterpriseId: 'E2' })).toEqual(['A1']);
    expect(ids({ authorityId: 'K1' })).toEqual(['A2', 'A3']);
    expect(ids({ family: 'common' })).toEqual(['A3']);
    expect(ids({ state: 'all', to: '2026-12-05T07:30' })).toEqual(['A4']);
    expect(ids({ state: 'all', from: '2026-12-05T08:00' })).toEqual(['A1', 'A2', 'A3']);
  });

  it('searches the enterprise’s name, the point and the alarm’s text in either language', () => {
    expect(ids({ q: '甲化工' })).toEqual(['A1']);
    expect(ids({ q: 'tt-201' })).toEqual(['A3']);
    expect(ids({ q: 'frozen' })).toEqual(['A3']);
  });

  it('sorts by time or by enterprise name, and groups by enterprise', () => {
    expect(ids({ sort: 'newest' })).toEqual(['A1', 'A2', 'A3']);
    expect(ids({ sort: 'oldest' })).toEqual(['A2', 'A3', 'A1']);
    expect(ids({ sort: 'enterprise' })).toEqual(['A1', 'A2', 'A3']); // 甲 before 乙
    const groups = groupByEnterprise(applyFilters(alerts, NO_FILTERS, ctx));
    expect(groups.map(([e, g]) => [e, g.map((a) => a.id)])).toEqual([
      ['E2', ['A1']],
      ['E1', ['A2', 'A3']],
    ]);
  });

  it('lets only resolved non-red alarms be disposed together', () => {
    expect(alerts.filter(bulkDisposable).map((a) => a.id)).toEqual(['A3']);
    expect(bulkDisposable(alert('R', { severity: 'red', state: 'resolved' }))).toBe(false);
  });
});
