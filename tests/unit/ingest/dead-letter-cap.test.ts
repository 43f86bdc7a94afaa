/** The per-gateway dead-letter cap (issue #15 item 6): at most N stored per gateway and window, the excess counted by reason. */
import { describe, expect, it } from 'vitest';
import { DeadLetterCap } from '../../../ingest/dead-letter-cap.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);

describe('DeadLetterCap.admit', () => {
  const cases: { name: string; rows: number; sends: [key: string, reason: string, at: number][]; stored: number; dropped: number }[] = [
    { name: 'under the cap: all stored', rows: 3, sends: [['G1', 'bad_item', T0], ['G1', 'bad_item', T0 + 1]], stored: 2, dropped: 0 },
    { name: 'at the cap: the rest dropped', rows: 2, sends: [['G1', 'a', T0], ['G1', 'a', T0], ['G1', 'a', T0], ['G1', 'b', T0]], stored: 2, dropped: 2 },
    { name: 'another gateway has its own cap', rows: 1, sends: [['G1', 'a', T0], ['G1', 'a', T0], ['G2', 'a', T0]], stored: 2, dropped: 1 },
    { name: 'a new window starts afresh', rows: 1, sends: [['G1', 'a', T0], ['G1', 'a', T0 + MIN - 1], ['G1', 'a', T0 + MIN]], stored: 2, dropped: 1 },
  ];
  it.each(cases)('$name', ({ rows, sends, stored, dropped }) => {
    const cap = new DeadLetterCap({ rows, windowMs: MIN });
    const verdicts = sends.map(([k, r, at]) => cap.admit(k, r, at).verdict);
    expect(verdicts.filter((v) => v.store).length).toBe(stored);
    expect(verdicts.filter((v) => !v.store).length).toBe(dropped);
  });

  it('flags only the first drop of a window (one warning per gateway and window)', () => {
    const cap = new DeadLetterCap({ rows: 1, windowMs: MIN });
    const v = [0, 1, 2, 3].map(() => cap.admit('G1', 'bad_item', T0).verdict);
    expect(v).toEqual([{ store: true }, { store: false, firstDropInWindow: true }, { store: false, firstDropInWindow: false }, { store: false, firstDropInWindow: false }]);
  });

  it('sums up a window that dropped dead letters, by reason, once it is over', () => {
    const cap = new DeadLetterCap({ rows: 1, windowMs: MIN });
    for (const r of ['a', 'a', 'b', 'a']) cap.admit('G1', r, T0 + 5);
    cap.admit('G2', 'a', T0 + 5); // stored, nothing dropped: no summary
    expect(cap.sweep(T0 + MIN - 1)).toEqual([]); // the window is not over yet
    expect(cap.sweep(T0 + MIN)).toEqual([{ key: 'G1', windowStart: T0, windowEnd: T0 + MIN, stored: 1, dropped: 3, byReason: { a: 2, b: 1 } }]);
    expect(cap.sweep(T0 + 2 * MIN)).toEqual([]); // reported once
  });

  it('reports the previous window when the gateway sends again in a later one', () => {
    const cap = new DeadLetterCap({ rows: 0, windowMs: MIN });
    cap.admit('G1', 'a', T0);
    expect(cap.admit('G1', 'a', T0 + MIN).closed).toEqual([{ key: 'G1', windowStart: T0, windowEnd: T0 + MIN, stored: 0, dropped: 1, byReason: { a: 1 } }]);
  });

  it('refuses a nonsensical configuration', () => {
    expect(() => new DeadLetterCap({ rows: -1, windowMs: MIN })).toThrow(RangeError);
    expect(() => new DeadLetterCap({ rows: 1, windowMs: 0 })).toThrow(RangeError);
  });
});
