/** Chattering: the same point alarming repeatedly within a window (default 5 fires in 24 h). */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHATTERING, detectChattering } from '../../../alerts/state/chattering.ts';

const NOW = Date.UTC(2026, 2, 2, 8, 0, 0);
const H = 3_600_000;
const ago = (...hours: number[]): number[] => hours.map((h) => NOW - h * H);

describe('detectChattering', () => {
  it.each([
    { name: 'five fires within the day', times: ago(1, 3, 6, 12, 23), want: true },
    { name: 'four fires within the day', times: ago(1, 3, 6, 12), want: false },
    { name: 'five fires, one of them exactly 24 h ago (outside)', times: ago(1, 3, 6, 12, 24), want: false },
    { name: 'five fires, the oldest 1 ms inside the window', times: [...ago(1, 3, 6, 12), NOW - 24 * H + 1], want: true },
    { name: 'five fires, one of them now', times: ago(0, 3, 6, 12, 23), want: true },
    { name: 'five fires spread over two days', times: ago(1, 10, 20, 30, 40), want: false },
    { name: 'the same fire listed twice counts once', times: ago(1, 1, 3, 6, 12), want: false },
    { name: 'fires after now are ignored', times: [...ago(1, 3, 6, 12), NOW + 1], want: false },
    { name: 'no fires', times: [], want: false },
    { name: 'ten fires in an hour', times: Array.from({ length: 10 }, (_, i) => NOW - i * 6 * 60_000), want: true },
  ])('$name → $want', ({ times, want }) => {
    expect(detectChattering(times, NOW)).toBe(want);
  });

  it.each([
    {
      name: 'count 3 in 1 h: three fires in the last hour',
      times: [NOW - 10 * 60_000, NOW - 30 * 60_000, NOW - 50 * 60_000],
      opts: { count: 3, windowMs: H },
      want: true,
    },
    {
      name: 'count 3 in 1 h: one of them 61 min ago',
      times: [NOW - 10 * 60_000, NOW - 30 * 60_000, NOW - 61 * 60_000],
      opts: { count: 3, windowMs: H },
      want: false,
    },
    { name: 'count only: 2 within the default day', times: ago(2, 20), opts: { count: 2 }, want: true },
    { name: 'window only: 5 within 2 h', times: ago(0.1, 0.5, 1, 1.5, 2.5), opts: { windowMs: 2 * H }, want: false },
  ])('options: $name → $want', ({ times, opts, want }) => {
    expect(detectChattering(times, NOW, opts)).toBe(want);
  });

  it('defaults to 5 fires in 24 h', () => {
    expect(DEFAULT_CHATTERING).toEqual({ count: 5, windowMs: 24 * H });
  });

  it.each([{ count: 0 }, { count: 2.5 }, { windowMs: 0 }, { windowMs: -H }, { windowMs: Number.NaN }])('refuses nonsensical options %o', (opts) => {
    expect(() => detectChattering(ago(1), NOW, opts)).toThrow(RangeError);
  });
});
