/**
 * Chattering (频繁报警): the same point alarming again and again within a day
 * is itself worth an alert (a faulty sensor, a limit set too tight, or a
 * process hovering at its limit). Pure: the caller passes the `firedAt` times
 * of the fingerprint's recent alerts.
 */

export interface ChatteringOptions {
  /** Fires within the window that make it chattering. Default 5. */
  count?: number;
  /** Window length, ms. Default 24 h. */
  windowMs?: number;
}

export const DEFAULT_CHATTERING = { count: 5, windowMs: 24 * 3_600_000 } as const;

/**
 * True when at least `count` distinct fire times lie in `(now − windowMs, now]`.
 * Repeated times count once (the same alert listed twice after a replay);
 * times after `now` are ignored. Throws `RangeError` on a nonsensical option.
 */
export function detectChattering(firedTimes: readonly number[], now: number, opts: ChatteringOptions = {}): boolean {
  const count = opts.count ?? DEFAULT_CHATTERING.count;
  const windowMs = opts.windowMs ?? DEFAULT_CHATTERING.windowMs;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`chattering count must be an integer ≥ 1, got ${count}`);
  if (!(windowMs > 0)) throw new RangeError(`chattering windowMs must be > 0, got ${windowMs}`);
  const inWindow = new Set(firedTimes.filter((t) => t > now - windowMs && t <= now));
  return inWindow.size >= count;
}
