/**
 * The platform's time in the console: the server says its time with the alarm list (`now`), and the console counts
 * from it — a computer whose clock is off still shows the right time in state and time left (issue #20 §4).
 */
import { useEffect, useState } from 'preact/hooks';

let offset = 0;

/** Takes the server's time as it answered (its offset from this computer's clock is kept). */
export function syncClock(serverNow: number | undefined): void {
  if (typeof serverNow === 'number' && Number.isFinite(serverNow)) offset = serverNow - Date.now();
}

/** The platform's time now. */
export const platformNow = (): number => Date.now() + offset;

/** One timer per interval for every component that follows the clock (a list of 2,000 alarms has one, not 2,000). */
const tickers = new Map<number, { timer: ReturnType<typeof setInterval>; listeners: Set<() => void> }>();

function onTick(everyMs: number, listener: () => void): () => void {
  let t = tickers.get(everyMs);
  if (!t) {
    const listeners = new Set<() => void>();
    t = { timer: setInterval(() => listeners.forEach((l) => l()), everyMs), listeners };
    tickers.set(everyMs, t);
  }
  t.listeners.add(listener);
  const mine = t;
  return () => {
    mine.listeners.delete(listener);
    if (mine.listeners.size === 0) {
      clearInterval(mine.timer);
      tickers.delete(everyMs);
    }
  };
}

/** The platform's time, re-rendering the component every `everyMs` (default 1 s). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(platformNow);
  useEffect(() => onTick(everyMs, () => setNow(platformNow())), [everyMs]);
  return now;
}
