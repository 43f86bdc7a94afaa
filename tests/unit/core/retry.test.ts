/** Retrying and waiting (core/retry.ts): the capped exponential backoff and the poll-until-ready loop. */
import { describe, expect, it } from 'vitest';
import { backoffDelay, pollUntil } from '../../../core/retry.ts';

describe('backoffDelay', () => {
  it.each([
    { attempt: 0, want: 100 },
    { attempt: 1, want: 200 },
    { attempt: 5, want: 3200 },
    { attempt: 6, want: 5000 }, // capped
    { attempt: 1000, want: 5000 }, // the exponent is capped too: no Infinity
  ])('attempt $attempt waits $want ms (base 100, max 5,000)', ({ attempt, want }) => {
    expect(backoffDelay(attempt, { baseMs: 100, maxMs: 5000 })).toBe(want);
  });
});

describe('pollUntil', () => {
  it('probes until ready, telling each wait', async () => {
    let n = 0;
    const waits: number[] = [];
    await pollUntil('thing', async () => ++n >= 3, { timeoutMs: 1000, intervalMs: 1, onWait: (i) => waits.push(i) });
    expect(n).toBe(3);
    expect(waits).toEqual([0, 1]);
  });

  it('names what did not become ready once the time is up', async () => {
    await expect(pollUntil('InfluxDB', async () => false, { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow('InfluxDB did not become ready within 20 ms');
  });
});
