/** Statistics arithmetic (inspections/stats.ts): online time from status events, sums and rates, rankings. */
import { describe, expect, it } from 'vitest';
import { dailySeries, emptyFacts, onlineMs, report, summarise, type EnterpriseFacts } from '../../../inspections/stats.ts';

const H = 3_600_000;

describe('onlineMs', () => {
  it.each([
    { name: 'online all along', initial: 'online', events: [], want: { online: 10 * H, observed: 10 * H } },
    { name: 'offline all along', initial: 'offline', events: [], want: { online: 0, observed: 10 * H } },
    { name: 'comes online at 2 h', initial: 'offline', events: [{ state: 'online', at: 2 * H }], want: { online: 8 * H, observed: 10 * H } },
    {
      name: 'goes offline 3–5 h',
      initial: 'online',
      events: [
        { state: 'offline', at: 3 * H },
        { state: 'online', at: 5 * H },
      ],
      want: { online: 8 * H, observed: 10 * H },
    },
    { name: 'a repeated state changes nothing', initial: 'online', events: [{ state: 'online', at: 4 * H }], want: { online: 10 * H, observed: 10 * H } },
    { name: 'never_seen counts as offline', initial: 'online', events: [{ state: 'never_seen', at: 6 * H }], want: { online: 6 * H, observed: 10 * H } },
    {
      name: 'events at or after the end are ignored',
      initial: 'online',
      events: [{ state: 'offline', at: 10 * H }],
      want: { online: 10 * H, observed: 10 * H },
    },
  ] as const)('$name', ({ initial, events, want }) => {
    expect(onlineMs(initial, events, 0, 10 * H)).toEqual(want);
  });

  it('observes a gateway from its creation, and not at all if created after the period', () => {
    expect(onlineMs('offline', [{ state: 'online', at: 6 * H }], 0, 10 * H, 4 * H)).toEqual({ online: 4 * H, observed: 6 * H });
    expect(onlineMs('offline', [], 0, 10 * H, 11 * H)).toEqual({ online: 0, observed: 0 });
  });
});

const facts = (id: string, authorityId: string, f: Partial<EnterpriseFacts> = {}): EnterpriseFacts => ({ ...emptyFacts(id, id, authorityId), ...f });

describe('summarise', () => {
  it('sums, and takes rates over the sums (not the mean of rates)', () => {
    const m = summarise([
      facts('A', 'K1', {
        alerts: { red: 1, orange: 2, yellow: 0, blue: 0 },
        fired: 3,
        disposed: 3,
        ackMs: [60_000, 120_000],
        onlineMs: 9 * H,
        observedMs: 10 * H,
      }),
      facts('B', 'K1', {
        alerts: { red: 0, orange: 0, yellow: 1, blue: 0 },
        fired: 1,
        disposed: 0,
        ackMs: [600_000],
        onlineMs: 0,
        observedMs: 10 * H,
        rechecks: 2,
        rechecksPassed: 1,
      }),
    ]);
    expect(m.alerts).toEqual({ total: 4, byGrade: { red: 1, orange: 2, yellow: 1, blue: 0 }, fired: 4, disposed: 3, disposalRate: 0.75 });
    expect(m.acknowledge).toEqual({ count: 3, meanMs: 260_000, p50Ms: 120_000, p90Ms: 600_000 });
    expect(m.online).toEqual({ rate: 0.45, offlineHours: 11 });
    expect(m.rechecks).toEqual({ total: 2, passed: 1, passRate: 0.5 });
  });

  it('gives no rate (null) where there is nothing to divide by', () => {
    const m = summarise([]);
    expect([m.alerts.disposalRate, m.rechecks.passRate, m.online.rate, m.acknowledge.meanMs]).toEqual([null, null, null, null]);
  });
});

describe('report', () => {
  const tree = [
    { id: 'C', name: '市局', parentId: null },
    { id: 'K1', name: '甲县', parentId: 'C' },
    { id: 'K2', name: '乙县', parentId: 'C' },
    { id: 'T1', name: '甲县某镇', parentId: 'K1' },
  ];
  const all = [
    facts('E1', 'K1', { alerts: { red: 2, orange: 0, yellow: 0, blue: 0 }, fired: 2, disposed: 1, onlineMs: 5, observedMs: 10 }),
    facts('E2', 'T1', { alerts: { red: 0, orange: 1, yellow: 0, blue: 0 }, fired: 1, disposed: 1, onlineMs: 10, observedMs: 10 }),
    facts('E3', 'K2', { alerts: { red: 0, orange: 0, yellow: 0, blue: 1 }, fired: 1, disposed: 1, onlineMs: 10, observedMs: 10 }),
  ];

  it('ranks the authorities directly below over their subtrees, best disposal rate first', () => {
    const r = report('C', 0, 1, all, tree);
    expect(r.authorities.map((a) => [a.authorityId, a.enterprises, a.alerts.disposalRate])).toEqual([
      ['K2', 1, 1],
      ['K1', 2, 0.6667],
    ]);
    expect(r.totals.enterprises).toBe(3);
  });

  it('ranks the enterprises by alerts, then by the lowest online rate', () => {
    expect(report('C', 0, 1, all, tree).enterprises.map((e) => e.enterpriseId)).toEqual(['E1', 'E2', 'E3']);
    const tie = [facts('X', 'K1', { onlineMs: 9, observedMs: 10 }), facts('Y', 'K1', { onlineMs: 1, observedMs: 10 })];
    expect(report('K1', 0, 1, tie, tree).enterprises.map((e) => e.enterpriseId)).toEqual(['Y', 'X']);
  });

  it('ranks the top authorities when the root is everything', () => {
    expect(report(null, 0, 1, all, tree).authorities.map((a) => a.authorityId)).toEqual(['C']);
  });
});

describe('dailySeries', () => {
  const D = 86_400_000;
  // 1 June 2026 00:00 CST
  const day0 = Date.UTC(2026, 5, 1) - 8 * H;
  it('counts alerts per China Standard Time day, with every day of the period present', () => {
    const s = dailySeries(day0, day0 + 3 * D, [
      { at: day0 + 1000, severity: 'red' },
      { at: day0 + D - 1, severity: 'orange' }, // 23:59:59.999 CST, still 1 June
      { at: day0 + D, severity: 'orange' },
    ]);
    expect(s).toEqual([
      { day: '2026-06-01', red: 1, orange: 1, yellow: 0, blue: 0 },
      { day: '2026-06-02', red: 0, orange: 1, yellow: 0, blue: 0 },
      { day: '2026-06-03', red: 0, orange: 0, yellow: 0, blue: 0 },
    ]);
  });

  it('keeps to the last 366 days of a longer period', () => {
    expect(dailySeries(day0 - 1000 * D, day0, [])).toHaveLength(366);
  });
});
