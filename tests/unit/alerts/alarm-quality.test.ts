/**
 * Alarm quality (alerts/quality.ts) against hand-computed figures: raised and held back per enterprise and
 * China Standard Time day, standing (> 24 h at a day's end), chattering (≥ 3 in 60 s), fleeting (< 60 s),
 * floods (> 10 in 10 min per jurisdiction) and bad actors.
 */
import { describe, expect, it } from 'vitest';
import { cstDay, floodsOf, qualityOf, type QualityAlarm } from '../../../alerts/quality.ts';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
// 2026-12-01 00:00 China Standard Time
const D1 = Date.UTC(2026, 10, 30, 16);
let n = 0;
const alarm = (over: Partial<QualityAlarm>): QualityAlarm => {
  n++;
  return {
    id: `A${n}`,
    fingerprint: `gas.combustible|E1|GT-${n}`,
    ruleId: 'gas.combustible',
    enterpriseId: 'E1',
    authorityId: 'county-1',
    subject: `GT-${n}`,
    severity: 'orange',
    startedAt: D1 + H,
    firedAt: D1 + H,
    endedAt: D1 + 2 * H,
    suppressed: false,
    ...over,
  };
};

describe('days are China Standard Time days', () => {
  it.each([
    { t: D1, date: '2026-12-01' },
    { t: D1 - 1, date: '2026-11-30' },
    { t: D1 + 24 * H - 1, date: '2026-12-01' },
  ])('$date', ({ t, date }) => {
    expect(cstDay(t).date).toBe(date);
  });
});

describe('per enterprise and day', () => {
  it('counts raised, held back, fleeting and standing by hand', () => {
    const alarms = [
      alarm({}), // raised 12-01, lasted 1 h
      alarm({ firedAt: D1 + 3 * H, startedAt: D1 + 3 * H, endedAt: D1 + 3 * H + 30 * S }), // fleeting (30 s)
      alarm({ firedAt: D1 + 4 * H, startedAt: D1 + 4 * H, endedAt: D1 + 4 * H + 60 * S }), // exactly 60 s: not fleeting
      alarm({ firedAt: undefined, suppressed: true, startedAt: D1 + 5 * H, endedAt: D1 + 6 * H }), // held back
      alarm({ firedAt: undefined, suppressed: false, startedAt: D1 + 5 * H, endedAt: D1 + 5 * H + 10 * S }), // cleared within its hold: not counted
      // fired 12-01 01:00, still active at the end of 12-02 (47 h) and of 12-03: standing at those two day ends
      alarm({ endedAt: undefined }),
      alarm({ enterpriseId: 'E2', firedAt: D1 + 25 * H, startedAt: D1 + 25 * H, endedAt: D1 + 26 * H }), // E2, 12-02
    ];
    const q = qualityOf(alarms, D1, D1 + 3 * 24 * H);
    const e1 = q.enterprises.find((e) => e.enterpriseId === 'E1')!;
    expect(e1.days).toEqual([
      { date: '2026-12-01', raised: 4, suppressed: 1, standing: 0, chattering: 0, fleeting: 1 },
      { date: '2026-12-02', raised: 0, suppressed: 0, standing: 1, chattering: 0, fleeting: 0 },
      { date: '2026-12-03', raised: 0, suppressed: 0, standing: 1, chattering: 0, fleeting: 0 },
    ]);
    expect(e1.totals).toEqual({ raised: 4, suppressed: 1, standing: 2, chattering: 0, fleeting: 1 });
    expect(q.enterprises.map((e) => e.enterpriseId)).toEqual(['E1', 'E2']); // most alarms first
    // 5 alarms over 3 days = 432 ten-minute windows
    expect(q.totals).toMatchObject({ raised: 5, floods: 0, perTenMinutes: Math.round((5 / 432) * 1000) / 1000 });
  });

  it('a source firing 3 times within 60 s chatters (counted once); twice does not', () => {
    const fp = 'common.instrument_fault|E1|TT-1';
    const at = (s: number) => alarm({ fingerprint: fp, firedAt: D1 + H + s * S, startedAt: D1 + H + s * S, endedAt: D1 + H + s * S + 5 * S });
    const q = qualityOf(
      [
        at(0),
        at(20),
        at(50),
        at(55),
        alarm({ fingerprint: 'x|E1|P', firedAt: D1 + 2 * H, endedAt: D1 + 3 * H }),
        alarm({ fingerprint: 'x|E1|P', firedAt: D1 + 2 * H + 30 * S, endedAt: D1 + 3 * H }),
      ],
      D1,
      D1 + 24 * H,
    );
    expect(q.enterprises[0]!.days[0]).toMatchObject({ raised: 6, chattering: 1, fleeting: 4 });
    expect(q.badActors[0]).toEqual({
      fingerprint: fp,
      ruleId: 'common.instrument_fault',
      enterpriseId: 'E1',
      subject: `GT-${n - 5}`, // the first of the six alarms made above
      raised: 4,
      share: 0.6667,
    });
  });

  it('alarms before the period count only as standing', () => {
    const q = qualityOf([alarm({ firedAt: D1 - 30 * H, startedAt: D1 - 30 * H, endedAt: undefined })], D1, D1 + 24 * H);
    expect(q.enterprises[0]!.days).toEqual([{ date: '2026-12-01', raised: 0, suppressed: 0, standing: 1, chattering: 0, fleeting: 0 }]);
  });
});

describe('floods: more than 10 alarms within 10 minutes in one jurisdiction', () => {
  const every = (count: number, stepMs: number, start = D1) => Array.from({ length: count }, (_, i) => start + i * stepMs);

  it.each([
    { name: '10 alarms in 5 minutes: not a flood', ts: every(10, 30 * S), episodes: [] },
    { name: '11 alarms in 5 minutes: one flood', ts: every(11, 30 * S), episodes: [{ startedAt: D1, endedAt: D1 + 300 * S, peak: 11, alarms: 11 }] },
    { name: '11 alarms spread over 11 minutes: none', ts: every(11, 66 * S), episodes: [] },
    {
      name: 'two bursts an hour apart: two floods',
      ts: [...every(12, 10 * S), ...every(15, 10 * S, D1 + H)],
      episodes: [
        { startedAt: D1, endedAt: D1 + 110 * S, peak: 12, alarms: 12 },
        { startedAt: D1 + H, endedAt: D1 + H + 140 * S, peak: 15, alarms: 15 },
      ],
    },
  ])('$name', ({ ts, episodes }) => {
    expect(floodsOf(ts, 'county-1')).toEqual(episodes.map((e) => ({ authorityId: 'county-1', ...e })));
  });

  it('are counted per jurisdiction: 6 + 6 in two counties at once is no flood', () => {
    const a = Array.from({ length: 6 }, (_, i) => alarm({ authorityId: 'county-1', firedAt: D1 + i * S }));
    const b = Array.from({ length: 6 }, (_, i) => alarm({ authorityId: 'county-2', firedAt: D1 + i * S }));
    expect(qualityOf([...a, ...b], D1, D1 + H).floods).toEqual([]);
    const c = Array.from({ length: 6 }, (_, i) => alarm({ authorityId: 'county-1', firedAt: D1 + (10 + i) * S }));
    expect(qualityOf([...a, ...c], D1, D1 + H).floods).toMatchObject([{ authorityId: 'county-1', peak: 12 }]);
  });
});
