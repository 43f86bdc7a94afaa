/**
 * Retrying and waiting, written once: the capped exponential backoff that
 * the ingest batcher, the gateway status tracker and the rules worker each
 * computed their own way, and the poll-until-ready loop of the platform's
 * start (InfluxDB) and the test kit. BullMQ jobs retry through their own
 * options (`backoff: { type: 'exponential' }`, alerts/notify/jobs.ts).
 */

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));

export interface Backoff {
  /** Delay before the first retry, ms. */
  baseMs: number;
  /** Longest delay, ms. */
  maxMs: number;
}

/** Delay before retry number `attempt` (0 for the first): `baseMs · 2^attempt`, at most `maxMs` (the exponent is capped at 20, so it never overflows). */
export const backoffDelay = (attempt: number, b: Backoff): number => Math.min(b.maxMs, b.baseMs * 2 ** Math.min(attempt, 20));

export interface PollOptions {
  /** Give up (throw) once this long has passed, ms. */
  timeoutMs: number;
  /** Between probes, ms. */
  intervalMs: number;
  /** Called before each wait with the number of probes so far minus one (e.g. to log every tenth). */
  onWait?: ((attempt: number) => void) | undefined;
}

/** Probes until `probe` resolves true; throws `<what> did not become ready within <timeoutMs> ms` once the time is up. */
export async function pollUntil(what: string, probe: () => Promise<boolean>, opts: PollOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (let i = 0; ; i++) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`${what} did not become ready within ${opts.timeoutMs} ms`);
    opts.onWait?.(i);
    await sleep(opts.intervalMs);
  }
}
