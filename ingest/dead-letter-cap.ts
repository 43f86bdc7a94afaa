/**
 * The cap on dead letters per gateway and time window (issue #15 item 6).
 * Pure: no I/O, time passed in. One gateway sending garbage must not fill
 * PostgreSQL (one 228 KB publish of 1,000 bad items was 1,000 rows): within
 * a fixed window (aligned to multiples of `windowMs` since the epoch) at
 * most `rows` dead letters of a gateway are stored; the excess is counted,
 * by reason, and reported once when the window is over (`closed`).
 *
 * Platform defaults (no ministry source; the bureau may change them):
 * 100 rows per gateway per minute (`ingest.deadLetterCapPerGateway`,
 * `ingest.deadLetterCapWindowMs`) — enough to diagnose a misconfigured
 * gateway, at most 144,000 rows a day from one that sends nothing valid.
 */

export interface DeadLetterCapOptions {
  /** Dead letters stored per gateway per window. */
  rows: number;
  /** Window length, ms. */
  windowMs: number;
}

/** What a window dropped for one gateway. */
export interface DroppedSummary {
  key: string;
  windowStart: number;
  windowEnd: number;
  stored: number;
  dropped: number;
  byReason: Record<string, number>;
}

interface WindowState {
  windowStart: number;
  stored: number;
  dropped: number;
  byReason: Record<string, number>;
}

export type CapVerdict = { store: true } | { store: false; firstDropInWindow: boolean };

export class DeadLetterCap {
  private readonly windows = new Map<string, WindowState>();

  constructor(readonly opts: DeadLetterCapOptions) {
    if (!Number.isInteger(opts.rows) || opts.rows < 0) throw new RangeError(`dead-letter cap rows must be an integer ≥ 0, got ${opts.rows}`);
    if (!(opts.windowMs > 0)) throw new RangeError(`dead-letter cap windowMs must be > 0, got ${opts.windowMs}`);
  }

  private windowOf(now: number): number {
    return Math.floor(now / this.opts.windowMs) * this.opts.windowMs;
  }

  /**
   * Whether one more dead letter of `key` (the gateway, or the client id when
   * there is none) may be stored at `now`. Returns the summaries of windows
   * that ended (for `key`) with something dropped, so the caller can report them.
   */
  admit(key: string, reasonCode: string, now: number): { verdict: CapVerdict; closed: DroppedSummary[] } {
    const start = this.windowOf(now);
    const closed: DroppedSummary[] = [];
    let w = this.windows.get(key);
    if (!w || w.windowStart !== start) {
      if (w) {
        const s = this.summaryOf(key, w);
        if (s) closed.push(s);
      }
      w = { windowStart: start, stored: 0, dropped: 0, byReason: {} };
      this.windows.set(key, w);
    }
    if (w.stored < this.opts.rows) {
      w.stored++;
      return { verdict: { store: true }, closed };
    }
    w.dropped++;
    w.byReason[reasonCode] = (w.byReason[reasonCode] ?? 0) + 1;
    return { verdict: { store: false, firstDropInWindow: w.dropped === 1 }, closed };
  }

  /** Ends the windows that are over at `now` (all of them with `all`), returning those that dropped something; forgets them. */
  sweep(now: number, all = false): DroppedSummary[] {
    const start = this.windowOf(now);
    const out: DroppedSummary[] = [];
    for (const [key, w] of this.windows) {
      if (!all && w.windowStart === start) continue;
      const s = this.summaryOf(key, w);
      if (s) out.push(s);
      this.windows.delete(key);
    }
    return out;
  }

  private summaryOf(key: string, w: WindowState): DroppedSummary | undefined {
    if (w.dropped === 0) return undefined;
    return { key, windowStart: w.windowStart, windowEnd: w.windowStart + this.opts.windowMs, stored: w.stored, dropped: w.dropped, byReason: { ...w.byReason } };
  }
}
