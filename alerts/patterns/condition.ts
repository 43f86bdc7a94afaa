/**
 * A yes/no condition with hold time, in data time: raised once it has been
 * true continuously for `forMs`, cleared as soon as it is false. The caller
 * decides what "true" means while raised (its clear condition / deadband).
 */
export interface CondTrack {
  /** Data time since which the condition has been continuously true, or null. */
  since: number | null;
  active: boolean;
}

export const initCond = (): CondTrack => ({ since: null, active: false });

export type CondChange = { kind: 'raise' | 'clear'; at: number } | null;

export function evalCondition(t: CondTrack, cond: boolean, ts: number, forMs: number): { track: CondTrack; change: CondChange } {
  if (!cond) return t.active ? { track: initCond(), change: { kind: 'clear', at: ts } } : { track: initCond(), change: null };
  const since = t.since ?? ts;
  if (t.active) return { track: { since, active: true }, change: null };
  if (ts - since >= forMs) return { track: { since, active: true }, change: { kind: 'raise', at: since } };
  return { track: { since, active: false }, change: null };
}

/** One limit with a deadband: entered at the limit (beyond it when `strict`), left once back beyond limit ∓ deadband. */
export interface OneLimit {
  direction: 'high' | 'low';
  threshold: number;
  strict?: boolean | undefined;
  deadband?: number | undefined;
}

export function beyondLimit(l: OneLimit, active: boolean, v: number): boolean {
  const t = l.threshold;
  const db = l.deadband ?? 0;
  if (l.direction === 'high') return active ? v >= t - db : l.strict ? v > t : v >= t;
  return active ? v <= t + db : l.strict ? v < t : v <= t;
}
