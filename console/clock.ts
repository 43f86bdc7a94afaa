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

/** The platform's time, re-rendering the component every `everyMs` (default 1 s). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(platformNow);
  useEffect(() => {
    const timer = setInterval(() => setNow(platformNow()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
