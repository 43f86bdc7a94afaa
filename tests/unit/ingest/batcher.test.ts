/**
 * Group commit: batching by size and delay, acknowledgement only after the
 * write, bounded concurrency, retries, bisection of rejected batches,
 * backpressure and shutdown. The write is a fake and time is vitest's fake
 * clock, so every step is driven explicitly.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../core/errors.ts';
import { createLogger } from '../../../core/logger.ts';
import { createMetrics, type Metrics } from '../../../core/metrics.ts';
import { GroupCommitBatcher, type BatcherOptions } from '../../../ingest/batcher.ts';

const logger = createLogger({ level: 'silent' });

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A write whose every call waits until the test settles it. */
class ManualWrite {
  readonly calls: { body: string; d: Deferred }[] = [];
  inflight = 0;
  maxInflight = 0;
  readonly write = (body: string): Promise<void> => {
    const d = deferred();
    this.calls.push({ body, d });
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    return d.promise.finally(() => this.inflight--);
  };
  call(i: number): { body: string; d: Deferred } {
    const c = this.calls[i];
    if (!c) throw new Error(`no write call #${i} (have ${this.calls.length})`);
    return c;
  }
}

type Outcome = { state: 'pending' } | { state: 'resolved' } | { state: 'rejected'; error: unknown };
function track(p: Promise<void>): { readonly outcome: Outcome } {
  const t: { outcome: Outcome } = { outcome: { state: 'pending' } };
  p.then(
    () => (t.outcome = { state: 'resolved' }),
    (error: unknown) => (t.outcome = { state: 'rejected', error }),
  );
  return t;
}
const codeOf = (o: Outcome): string | undefined => (o.state === 'rejected' && o.error instanceof AppError ? o.error.code : undefined);

/** Lets pending promise callbacks run without moving the fake clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

function make(write: BatcherOptions['write'], over: Partial<BatcherOptions> = {}): GroupCommitBatcher {
  return new GroupCommitBatcher({
    write,
    maxPoints: 100,
    maxDelayMs: 50,
    maxInflight: 1,
    maxBufferedPoints: 10_000,
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 1000,
    logger,
    random: () => 0,
    ...over,
  });
}

const counterValue = async (metrics: Metrics, kind: string): Promise<number> =>
  (await metrics.writeFailures.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('GroupCommitBatcher: batching', () => {
  it('writes as soon as the open batch reaches maxPoints, without waiting for the delay', async () => {
    const w = new ManualWrite();
    const b = make(w.write, { maxPoints: 3, maxDelayMs: 10_000 });
    const first = track(b.submit(['a', 'b']));
    await settle();
    expect(w.calls).toHaveLength(0);
    const second = track(b.submit(['c']));
    await settle();
    expect(w.calls.map((c) => c.body)).toEqual(['a\nb\nc']);
    expect(first.outcome.state).toBe('pending');
    w.call(0).d.resolve();
    await settle();
    expect(first.outcome.state).toBe('resolved');
    expect(second.outcome.state).toBe('resolved');
  });

  it('writes a partial batch once maxDelayMs has passed since its first submission', async () => {
    const w = new ManualWrite();
    const b = make(w.write, { maxPoints: 100, maxDelayMs: 50 });
    track(b.submit(['a']));
    await vi.advanceTimersByTimeAsync(30);
    track(b.submit(['b']));
    await vi.advanceTimersByTimeAsync(19);
    expect(w.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.calls.map((c) => c.body)).toEqual(['a\nb']);
  });

  it('starts a fresh delay for the batch opened after a size flush', async () => {
    const w = new ManualWrite();
    const b = make(w.write, { maxPoints: 2, maxDelayMs: 50, maxInflight: 2 });
    track(b.submit(['a']));
    await vi.advanceTimersByTimeAsync(40);
    track(b.submit(['b'])); // fills the batch: written now
    track(b.submit(['c'])); // opens the next batch at t=40
    await vi.advanceTimersByTimeAsync(49);
    expect(w.calls.map((c) => c.body)).toEqual(['a\nb']);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.calls.map((c) => c.body)).toEqual(['a\nb', 'c']);
  });

  it('writeWhenIdle: writes at once while no write is in flight, batches what comes during one and writes it when it ends', async () => {
    const w = new ManualWrite();
    const b = make(w.write, { maxPoints: 100, maxDelayMs: 50, maxInflight: 2, writeWhenIdle: true });
    const first = track(b.submit(['a']));
    await settle();
    expect(w.calls.map((c) => c.body)).toEqual(['a']); // no 50 ms wait when idle
    const second = track(b.submit(['b']));
    const third = track(b.submit(['c']));
    await vi.advanceTimersByTimeAsync(10);
    expect(w.calls).toHaveLength(1); // batched behind the write in flight
    w.call(0).d.resolve();
    await settle();
    expect(first.outcome.state).toBe('resolved');
    expect(w.calls.map((c) => c.body)).toEqual(['a', 'b\nc']); // at the end of the first write, not at the timer
    expect(second.outcome.state).toBe('pending');
    w.call(1).d.resolve();
    await settle();
    expect(third.outcome.state).toBe('resolved');
  });

  it('writeWhenIdle: a batch still goes at its delay while a long write is in flight (using the spare write slot)', async () => {
    const w = new ManualWrite();
    const b = make(w.write, { maxPoints: 100, maxDelayMs: 50, maxInflight: 2, writeWhenIdle: true });
    track(b.submit(['a']));
    await settle();
    track(b.submit(['b']));
    await vi.advanceTimersByTimeAsync(49);
    expect(w.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.calls.map((c) => c.body)).toEqual(['a', 'b']);
  });

  it('resolves an empty submission at once without writing', async () => {
    const w = new ManualWrite();
    const b = make(w.write);
    await expect(b.submit([])).resolves.toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect(w.calls).toHaveLength(0);
  });

  it('settles a submission only after the write holding it resolved', async () => {
    const events: string[] = [];
    const w = new ManualWrite();
    const b = make(w.write);
    const p = b.submit(['a']).then(() => events.push('submission resolved'));
    b.flushNow();
    await settle();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toEqual([]);
    expect(b.depth).toBe(1);
    events.push('write resolved');
    w.call(0).d.resolve();
    await p;
    expect(events).toEqual(['write resolved', 'submission resolved']);
    expect(b.depth).toBe(0);
  });
});

describe('GroupCommitBatcher: concurrency', () => {
  it.each([1, 2, 3])('keeps at most maxInflight=%i writes in flight', async (maxInflight) => {
    const w = new ManualWrite();
    const b = make(w.write, { maxPoints: 1, maxInflight });
    const subs = Array.from({ length: 6 }, (_, i) => track(b.submit([`p${i}`])));
    await settle();
    expect(w.calls).toHaveLength(maxInflight);
    // Complete writes one at a time, oldest first; each completion lets the next batch start.
    for (let done = 0; done < 6; done++) {
      w.call(done).d.resolve();
      await settle();
      expect(w.calls).toHaveLength(Math.min(6, maxInflight + done + 1));
    }
    expect(w.maxInflight).toBe(maxInflight);
    expect(w.calls.map((c) => c.body)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
    expect(subs.map((s) => s.outcome.state)).toEqual(Array(6).fill('resolved'));
  });
});

describe('GroupCommitBatcher: retryable failures', () => {
  const errors: { name: string; make: () => Error }[] = [
    { name: "AppError('INFLUX_UNAVAILABLE')", make: () => new AppError('INFLUX_UNAVAILABLE') },
    { name: 'a plain network error', make: () => new Error('ECONNRESET') },
  ];
  it.each(errors)('retries $name with backoff until the write succeeds, then resolves', async ({ make: makeError }) => {
    const metrics = createMetrics({ defaultMetrics: false });
    const w = new ManualWrite();
    const b = make(w.write, { metrics, retryBaseDelayMs: 100, retryMaxDelayMs: 1000, random: () => 0 });
    const sub = track(b.submit(['a', 'b']));
    b.flushNow();
    await settle();

    w.call(0).d.reject(makeError());
    await settle();
    // random() = 0 → half the exponential delay: 50 ms after the first failure, 100 ms after the second.
    await vi.advanceTimersByTimeAsync(49);
    expect(w.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.calls).toHaveLength(2);

    w.call(1).d.reject(makeError());
    await settle();
    await vi.advanceTimersByTimeAsync(99);
    expect(w.calls).toHaveLength(2);
    expect(sub.outcome.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(w.calls).toHaveLength(3);
    expect(w.call(2).body).toBe('a\nb');

    w.call(2).d.resolve();
    await settle();
    expect(sub.outcome.state).toBe('resolved');
    expect(await counterValue(metrics, 'retryable')).toBe(2);
    expect(await counterValue(metrics, 'rejected')).toBe(0);
    expect((await metrics.pointsWritten.get()).values[0]?.value).toBe(2);
    expect(b.depth).toBe(0);
  });

  it('caps the retry delay at retryMaxDelayMs', async () => {
    const w = new ManualWrite();
    const b = make(w.write, { retryBaseDelayMs: 100, retryMaxDelayMs: 300, random: () => 0 });
    track(b.submit(['a']));
    b.flushNow();
    await settle();
    // Delays before jitter double from 100 and stop at 300; random() = 0 halves each.
    for (const [i, wait] of [50, 100, 150, 150, 150].entries()) {
      w.call(i).d.reject(new AppError('INFLUX_UNAVAILABLE'));
      await settle();
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(w.calls).toHaveLength(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(w.calls).toHaveLength(i + 2);
    }
  });
});

describe('GroupCommitBatcher: rejected batches are bisected', () => {
  const BAD = 'BAD';
  /** InfluxDB stand-in: refuses any body holding a BAD line, accepts the rest. */
  function rejectingInflux() {
    const accepted: string[] = [];
    const bodies: string[] = [];
    const write = async (body: string): Promise<void> => {
      bodies.push(body);
      if (body.split('\n').some((l) => l.startsWith(BAD))) throw new AppError('INFLUX_REJECTED', 'partial write: unable to parse');
      accepted.push(...body.split('\n'));
    };
    return { write, accepted, bodies };
  }

  const cases: { name: string; parts: number; bad: number[] }[] = [
    { name: 'no bad part', parts: 5, bad: [] },
    { name: 'one bad part in the middle', parts: 5, bad: [2] },
    { name: 'bad first and last parts', parts: 5, bad: [0, 4] },
    { name: 'two adjacent bad parts', parts: 8, bad: [3, 4] },
    { name: 'every part bad', parts: 4, bad: [0, 1, 2, 3] },
    { name: 'a single bad part alone', parts: 1, bad: [0] },
  ];
  it.each(cases)('$name: only the bad submissions reject, the others are written once', async ({ parts, bad }) => {
    const metrics = createMetrics({ defaultMetrics: false });
    const influx = rejectingInflux();
    const b = make(influx.write, { maxPoints: 1000, metrics });
    const lines = (i: number) => (bad.includes(i) ? [`${BAD}-${i}`, `ok-${i}b`] : [`ok-${i}a`, `ok-${i}b`]);
    const subs = Array.from({ length: parts }, (_, i) => track(b.submit(lines(i))));
    b.flushNow();
    await settle();

    expect(subs.map((s) => s.outcome.state)).toEqual(Array.from({ length: parts }, (_, i) => (bad.includes(i) ? 'rejected' : 'resolved')));
    for (const i of bad) expect(codeOf(subs[i]!.outcome)).toBe('INFLUX_REJECTED');
    const good = Array.from({ length: parts }, (_, i) => i).filter((i) => !bad.includes(i));
    expect([...influx.accepted].sort()).toEqual(good.flatMap(lines).sort());
    expect(b.depth).toBe(0);
    expect(await counterValue(metrics, 'rejected')).toBeGreaterThanOrEqual(bad.length);
    if (bad.length === 0) expect(influx.bodies).toHaveLength(1);
  });

  it('retries a retryable failure met while bisecting, then resolves the good half', async () => {
    let unavailableOnce = true;
    const accepted: string[] = [];
    const b = make(
      async (body) => {
        if (body.includes(BAD)) throw new AppError('INFLUX_REJECTED');
        if (unavailableOnce) {
          unavailableOnce = false;
          throw new AppError('INFLUX_UNAVAILABLE');
        }
        accepted.push(body);
      },
      { maxPoints: 1000, retryBaseDelayMs: 100, random: () => 0 },
    );
    const good = track(b.submit(['g1']));
    const badSub = track(b.submit([BAD]));
    b.flushNow();
    await settle();
    expect(good.outcome.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(50);
    expect(good.outcome.state).toBe('resolved');
    expect(codeOf(badSub.outcome)).toBe('INFLUX_REJECTED');
    expect(accepted).toEqual(['g1']);
  });
});

describe('GroupCommitBatcher: backpressure', () => {
  it('admit() resolves at once while the buffer has room', async () => {
    const w = new ManualWrite();
    const b = make(w.write, { maxBufferedPoints: 3 });
    track(b.submit(['a', 'b']));
    const admitted = track(b.admit());
    await settle();
    expect(admitted.outcome.state).toBe('resolved');
  });

  it('admit() waits while buffered >= maxBufferedPoints and is released once writes complete', async () => {
    const w = new ManualWrite();
    const b = make(w.write, { maxPoints: 100, maxBufferedPoints: 3 });
    track(b.submit(['a', 'b', 'c']));
    expect(b.depth).toBe(3);
    const admitted = track(b.admit());
    await vi.advanceTimersByTimeAsync(50); // delay flush: the write starts but does not finish
    expect(w.calls).toHaveLength(1);
    expect(admitted.outcome.state).toBe('pending');
    w.call(0).d.resolve();
    await settle();
    expect(admitted.outcome.state).toBe('resolved');
    expect(b.depth).toBe(0);
  });

  it('admit() is released when the batcher closes', async () => {
    const w = new ManualWrite();
    const b = make(w.write, { maxBufferedPoints: 1 });
    track(b.submit(['a']));
    const admitted = track(b.admit());
    await settle();
    expect(admitted.outcome.state).toBe('pending');
    const closed = track(b.close(1000));
    await settle();
    expect(admitted.outcome.state).toBe('resolved');
    w.call(0).d.resolve();
    await settle();
    expect(closed.outcome.state).toBe('resolved');
  });
});

describe('GroupCommitBatcher: close', () => {
  it('writes what is buffered at once and resolves its submissions', async () => {
    const w = new ManualWrite();
    const b = make(w.write, { maxPoints: 100, maxDelayMs: 60_000 });
    const subs = [track(b.submit(['a'])), track(b.submit(['b']))];
    const closed = track(b.close(5000));
    await settle();
    expect(w.calls.map((c) => c.body)).toEqual(['a\nb']);
    expect(closed.outcome.state).toBe('pending');
    w.call(0).d.resolve();
    await settle();
    expect(subs.map((s) => s.outcome.state)).toEqual(['resolved', 'resolved']);
    expect(closed.outcome.state).toBe('resolved');
  });

  it('rejects, after the timeout, what a failing InfluxDB could not take; queued batches with SHUTTING_DOWN', async () => {
    const b = make(async () => Promise.reject(new AppError('INFLUX_UNAVAILABLE')), {
      maxPoints: 1,
      maxInflight: 1,
      retryBaseDelayMs: 60_000,
      retryMaxDelayMs: 60_000,
    });
    const retrying = track(b.submit(['a'])); // written, fails, sleeps before its retry
    const queued = track(b.submit(['b'])); // waits behind it for the one inflight slot
    await settle();
    const closed = track(b.close(1000));
    await vi.advanceTimersByTimeAsync(999);
    expect(closed.outcome.state).toBe('pending');
    expect(retrying.outcome.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(closed.outcome.state).toBe('resolved');
    expect(codeOf(queued.outcome)).toBe('SHUTTING_DOWN');
    // Whatever the code, a submission that was never written must reject with a retryable error (so it is not acknowledged nor dead-lettered).
    expect(retrying.outcome.state).toBe('rejected');
    expect(retrying.outcome.state === 'rejected' && retrying.outcome.error instanceof AppError && retrying.outcome.error.retryable).toBe(true);
    expect(b.depth).toBe(0);
  });

  it('rejects submissions whose write is still in flight when the timeout expires', async () => {
    const w = new ManualWrite(); // never settled: InfluxDB hangs
    const b = make(w.write);
    const sub = track(b.submit(['a']));
    b.flushNow();
    await settle();
    const closed = track(b.close(1000));
    await vi.advanceTimersByTimeAsync(1000);
    expect(closed.outcome.state).toBe('resolved');
    expect(sub.outcome.state).toBe('rejected');
  });

  it('rejects a submission made after close with SHUTTING_DOWN and writes nothing', async () => {
    const w = new ManualWrite();
    const b = make(w.write);
    await b.close();
    const late = track(b.submit(['late']));
    await vi.advanceTimersByTimeAsync(1000);
    expect(codeOf(late.outcome)).toBe('SHUTTING_DOWN');
    expect(w.calls).toHaveLength(0);
  });

  it('is idempotent', async () => {
    const w = new ManualWrite();
    const b = make(w.write);
    const sub = track(b.submit(['a']));
    const first = track(b.close(1000));
    const second = track(b.close(1000));
    await settle();
    expect(w.calls).toHaveLength(1);
    w.call(0).d.resolve();
    await settle();
    expect([first.outcome.state, second.outcome.state, sub.outcome.state]).toEqual(['resolved', 'resolved', 'resolved']);
    await expect(b.close(1000)).resolves.toBeUndefined();
  });
});
