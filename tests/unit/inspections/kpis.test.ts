/** The KPI arithmetic (inspections/kpis.ts, docs/kpis.md) against figures computed by hand. */
import { describe, expect, it } from 'vitest';
import {
  bucketCap,
  cappedReceived,
  compositeScore,
  cstMonth,
  expectedReadings,
  gatewayKpi,
  inUseIntervals,
  kpiReport,
  median,
  pointKpi,
  sumKpis,
  type EnterpriseKpiFacts,
  type PointFacts,
} from '../../../inspections/kpis.ts';
import { receivedQueries, rollupUntil } from '../../../inspections/kpi-source.ts';

const H = 3_600_000;
const DAY = 24 * H;
/** November 2026 in China Standard Time: 1 Nov 00:00 +08:00 to 1 Dec 00:00 +08:00. */
const NOV = { from: Date.UTC(2026, 9, 31, 16), to: Date.UTC(2026, 10, 30, 16) };
/** A day of November at a CST hour. */
const nov = (day: number, hour = 0) => NOV.from + (day - 1) * DAY + hour * H;

const point = (p: Partial<PointFacts> = {}): PointFacts => ({
  enterpriseId: 'E1',
  pointId: 'P1',
  tagNo: 'PT-1',
  name: '',
  periodS: 60,
  inUseMs: NOV.to - NOV.from,
  counts: { total: 0, overSum: 0, overBuckets: 0 },
  ...p,
});

describe('cstMonth', () => {
  it('is the calendar month in China Standard Time', () => {
    expect(cstMonth('2026-11')).toEqual(NOV);
    expect(new Date(cstMonth('2026-11')!.from).toISOString()).toBe('2026-10-31T16:00:00.000Z');
    // December runs into the next year
    expect(cstMonth('2026-12')).toEqual({ from: Date.UTC(2026, 10, 30, 16), to: Date.UTC(2026, 11, 31, 16) });
  });
  it.each(['2026-13', '2026-00', '2026-1', '26-11', '2026-11-01', '', '1999-12'])('refuses %j', (m) => {
    expect(cstMonth(m)).toBeUndefined();
  });
});

describe('expected readings', () => {
  it('a point with a 60 s period registered for the whole of November 2026 (CST) expects 43,200', () => {
    const inUse = inUseIntervals(NOV.from - 90 * DAY, false, [], NOV.from, NOV.to);
    expect(inUse).toEqual([[NOV.from, NOV.to]]);
    expect(expectedReadings(NOV.to - NOV.from, 60)).toBe(43_200); // 30 days × 1,440 minutes
  });

  it('a point stopped for 10 days (11th to 21st) expects 20 days: 28,800', () => {
    const inUse = inUseIntervals(
      NOV.from - DAY,
      false,
      [
        { at: nov(11), stopped: true },
        { at: nov(21), stopped: false },
      ],
      NOV.from,
      NOV.to,
    );
    expect(inUse).toEqual([
      [NOV.from, nov(11)],
      [nov(21), NOV.to],
    ]);
    expect(pointKpi(point({ inUseMs: 20 * DAY })).expected).toBe(28_800);
  });

  it('stopped since before the month and resumed on the 21st: 10 days; registered on the 16th at noon: 14.5 days', () => {
    expect(inUseIntervals(0, true, [{ at: nov(21), stopped: false }], NOV.from, NOV.to)).toEqual([[nov(21), NOV.to]]);
    const registered = inUseIntervals(nov(16, 12), false, [], NOV.from, NOV.to);
    expect(registered).toEqual([[nov(16, 12), NOV.to]]);
    expect(expectedReadings(registered[0]![1] - registered[0]![0], 60)).toBe(20_880); // 14.5 × 1,440
    // registered after the period, or stopped all along: nothing expected
    expect(inUseIntervals(NOV.to, false, [], NOV.from, NOV.to)).toEqual([]);
    expect(inUseIntervals(0, true, [], NOV.from, NOV.to)).toEqual([]);
  });

  it('counts whole periods only', () => {
    expect(expectedReadings(119_000, 60)).toBe(1);
    expect(expectedReadings(120_000, 60)).toBe(2);
    expect(expectedReadings(DAY, 7)).toBe(12_342); // 86,400 ÷ 7 = 12,342.86
  });
});

describe('bursts and duplicates are capped per 5-minute bucket', () => {
  it('caps a bucket at its expected count, rounded up, at least 1', () => {
    expect(bucketCap(60)).toBe(5);
    expect(bucketCap(1)).toBe(300);
    expect(bucketCap(7)).toBe(43); // 300 ÷ 7 = 42.9
    expect(bucketCap(300)).toBe(1);
    expect(bucketCap(600)).toBe(1);
  });

  it('a point silent half the month whose other half came in bursts is not complete', () => {
    // 4,320 buckets of 5 readings (15 days) and 360 bursts of 60: 43,200 stored, as many as expected
    const counts = { total: 4_320 * 5 + 360 * 60, overSum: 360 * 60, overBuckets: 360 };
    expect(counts.total).toBe(43_200);
    expect(cappedReceived(counts, 5)).toBe(21_600 + 1_800);
    const k = pointKpi(point({ counts }));
    expect(k).toMatchObject({ expected: 43_200, received: 23_400, receivedRaw: 43_200, integrity: 0.5417 }); // 23,400 ÷ 43,200
  });

  it('never exceeds 1, even with more readings than expected in normal buckets', () => {
    // a stopped point keeps reporting: its readings are received but not expected
    const k = pointKpi(point({ inUseMs: 20 * DAY, counts: { total: 43_200, overSum: 0, overBuckets: 0 } }));
    expect(k).toMatchObject({ expected: 28_800, received: 28_800, integrity: 1 });
    expect(pointKpi(point({ inUseMs: 0 })).integrity).toBeNull();
  });
});

describe('gateways: online time and offline count', () => {
  it('an enterprise with two gateways, one offline twice for 3 h: 2 times, 6 hours, 1,434 of 1,440 gateway-hours online', () => {
    const g1 = gatewayKpi('online', [], NOV.from, NOV.to, NOV.from - DAY);
    const g2 = gatewayKpi(
      'online',
      [
        { state: 'offline', at: nov(5, 10) },
        { state: 'online', at: nov(5, 13) },
        { state: 'offline', at: nov(20, 22) },
        { state: 'online', at: nov(21, 1) },
      ],
      NOV.from,
      NOV.to,
      NOV.from - DAY,
    );
    expect(g1).toEqual({ online: 720 * H, observed: 720 * H, offlineCount: 0 });
    expect(g2).toEqual({ online: 714 * H, observed: 720 * H, offlineCount: 2 });
    const e: EnterpriseKpiFacts = {
      enterpriseId: 'E1',
      name: '甲厂',
      authorityId: 'K1',
      onlineMs: g1.online + g2.online,
      observedMs: g1.observed + g2.observed,
      offlineCount: g1.offlineCount + g2.offlineCount,
      points: [],
      fired: 0,
      disposed: 0,
      clearMs: [],
    };
    const k = sumKpis([e]);
    expect(k).toMatchObject({ offlineCount: 2, offlineHours: 6, onlineRate: 0.9958 }); // 1,434 ÷ 1,440 = 0.99583
  });

  it('an offline state carried in, a repeated offline, or never_seen after offline are not new offline counts', () => {
    expect(gatewayKpi('offline', [{ state: 'online', at: 2 * H }], 0, 10 * H).offlineCount).toBe(0);
    expect(
      gatewayKpi(
        'online',
        [
          { state: 'offline', at: 2 * H },
          { state: 'never_seen', at: 3 * H },
          { state: 'offline', at: 4 * H },
        ],
        0,
        10 * H,
      ),
    ).toEqual({ online: 2 * H, observed: 10 * H, offlineCount: 1 });
    // a change at the end of the period belongs to the next one
    expect(gatewayKpi('online', [{ state: 'offline', at: 10 * H }], 0, 10 * H).offlineCount).toBe(0);
  });
});

describe('alarms, composite score, rankings', () => {
  const ent = (id: string, authorityId: string, f: Partial<EnterpriseKpiFacts>): EnterpriseKpiFacts => ({
    enterpriseId: id,
    name: id,
    authorityId,
    onlineMs: 10 * H,
    observedMs: 10 * H,
    offlineCount: 0,
    points: [],
    fired: 0,
    disposed: 0,
    clearMs: [],
    ...f,
  });

  it('disposal rate and time to clear: mean and median', () => {
    const k = sumKpis([ent('E1', 'K1', { fired: 4, disposed: 3, clearMs: [2 * H, 600_000, 1_800_000] })]);
    expect(k).toMatchObject({ alarms: 4, disposed: 3, disposalRate: 0.75, clear: { count: 3, meanMs: 3_200_000, medianMs: 1_800_000 } });
    expect(median([600_000, 1_800_000])).toBe(1_200_000);
    expect(median([])).toBeNull();
  });

  it('weights online, integrity and disposal 2 : 2 : 1 (32 %, 32 %, 16 %; the enterprise tier 20 %); a missing component is left out', () => {
    expect(compositeScore({ onlineRate: 0.9958, integrity: 0.5, disposalRate: 1 })).toBe(79.83); // 0.39832 + 0.2 + 0.2
    expect(compositeScore({ onlineRate: 0.9958, integrity: 0.5, disposalRate: null })).toBe(74.79); // (0.39832 + 0.2) ÷ 0.8
    expect(compositeScore({ onlineRate: null, integrity: null, disposalRate: null })).toBeNull();
    expect(compositeScore({ onlineRate: 1, integrity: 0, disposalRate: 0 }, { online: 1, integrity: 0, disposal: 0 })).toBe(100);
  });

  it('integrity of an enterprise is Σ received ÷ Σ expected over its points, each capped first', () => {
    const p1 = pointKpi(point({ pointId: 'P1', tagNo: 'PT-1', counts: { total: 50_000, overSum: 0, overBuckets: 0 } })); // 43,200 of 43,200
    const p2 = pointKpi(point({ pointId: 'P2', tagNo: 'PT-2', counts: { total: 21_600, overSum: 0, overBuckets: 0 } })); // 21,600 of 43,200
    const k = sumKpis([ent('E1', 'K1', { points: [p1, p2] })]);
    expect(k).toMatchObject({ points: 2, expected: 86_400, received: 64_800, integrity: 0.75 });
  });

  it('ranks enterprises worst first and the authorities below best first, naming the worst points', () => {
    const full = pointKpi(point({ counts: { total: 43_200, overSum: 0, overBuckets: 0 } }));
    const half = pointKpi(point({ pointId: 'P9', tagNo: 'PT-9', counts: { total: 21_600, overSum: 0, overBuckets: 0 } }));
    const facts = [
      ent('E1', 'K1', { points: [full] }), // 100
      ent('E2', 'K1', { points: [half], onlineMs: 5 * H }), // 0.4·0.5 + 0.4·0.5 over 0.8 = 50
      ent('E3', 'K2', { points: [full], fired: 2, disposed: 1 }), // 0.4 + 0.4 + 0.1 = 90
    ];
    const tree = [
      { id: 'C', name: '市局', parentId: null },
      { id: 'K1', name: '甲县', parentId: 'C' },
      { id: 'K2', name: '乙县', parentId: 'C' },
    ];
    const r = kpiReport('C', NOV.from, NOV.to, facts, tree, { rollupUntil: null, influxql: [] });
    expect(r.enterprises.map((e) => [e.rank, e.enterpriseId, e.score])).toEqual([
      [1, 'E2', 50],
      [2, 'E3', 90],
      [3, 'E1', 100],
    ]);
    expect(r.enterprises[0]!.worstPoints.map((p) => p.tagNo)).toEqual(['PT-9']);
    // K1: online 15 of 20 h, integrity 64,800 of 86,400 → (0.4·0.75 + 0.4·0.75) ÷ 0.8 = 75; K2: 90
    expect(r.authorities.map((a) => [a.rank, a.authorityId, a.score])).toEqual([
      [1, 'K2', 90],
      [2, 'K1', 75],
    ]);
    expect(r.authorityName).toBe('市局');
    expect(r.weights).toMatchObject({ online: 0.32, integrity: 0.32, disposal: 0.16, response: 0.2 });
    expect(r.worstPoints.map((p) => p.pointId)).toEqual(['P9']);
  });
});

describe('the InfluxQL issued', () => {
  it('reads settled buckets from the rollups and the last hour raw, with one over-cap statement per distinct cap', () => {
    const now = NOV.to + 10 * DAY;
    expect(rollupUntil(NOV.from + 2 * H + 7 * 60_000)).toBe(NOV.from + H + 5 * 60_000);
    const past = receivedQueries({ enterpriseIds: ['E1'], from: NOV.from, to: NOV.to, caps: [5, 5, 1], rollupUntil: rollupUntil(now) });
    expect(past.map((q) => [q.source, q.cap])).toEqual([
      ['rollup', null],
      ['rollup', 1],
      ['rollup', 5],
    ]);
    expect(past[0]!.influxql).toBe(
      `SELECT sum("count") AS "total" FROM "rollup"."reading_5m" WHERE ("ent" = 'E1') AND time >= ${NOV.from}ms AND time < ${NOV.to}ms GROUP BY "ent", "sensor"`,
    );
    const current = receivedQueries({ enterpriseIds: ['E1', "O'Brien"], from: NOV.from, to: nov(10), caps: [5], rollupUntil: nov(9, 23) });
    expect(current.map((q) => [q.source, q.cap])).toEqual([
      ['rollup', null],
      ['rollup', 5],
      ['raw', null],
      ['raw', 5],
    ]);
    expect(current[3]!.influxql).toBe(
      `SELECT sum("count") AS "over", count("count") AS "buckets" FROM (SELECT count("value") AS "count" FROM "reading" WHERE ("ent" = 'E1' OR "ent" = 'O\\'Brien') AND time >= ${nov(9, 23)}ms AND time < ${nov(10)}ms GROUP BY time(5m), "ent", "sensor") WHERE "count" > 5 GROUP BY "ent", "sensor"`,
    );
    expect(receivedQueries({ enterpriseIds: [], from: 0, to: 1, caps: [5], rollupUntil: null })).toEqual([]);
  });
});
