/**
 * Group commit to InfluxDB. Every message's lines join the open batch; the
 * batch is written when it holds `maxPoints` or has waited `maxDelayMs`, with
 * at most `maxInflight` writes at once. A submission's promise settles only
 * when the write holding it succeeded, which is what lets the broker send a
 * PUBACK that means "durably stored" while still writing 5,000-point batches.
 *
 * Retryable failures (InfluxDB down, slow, 5xx) are retried with capped
 * exponential backoff and jitter, forever until `close()`: the gateways are
 * still waiting for their acknowledgements and will re-send if we give up. A
 * batch InfluxDB rejects (4xx) is split in halves until the submissions at
 * fault are isolated; only those are rejected, the rest are written.
 */
import { AppError, isRetryable } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import { backoffDelay } from '../core/retry.ts';

export interface BatcherOptions {
  write: (body: string) => Promise<void>;
  maxPoints: number;
  maxDelayMs: number;
  maxInflight: number;
  /**
   * Write at once when no write is in flight, instead of waiting `maxDelayMs` for company: at low load a
   * point then waits only for its own write; under load, batches still form while writes are in flight.
   */
  writeWhenIdle?: boolean;
  /** Above this many buffered points `admit()` waits, so callers stop reading sockets. */
  maxBufferedPoints: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  logger: Logger;
  metrics?: Metrics;
  /** Random source for jitter; injectable for tests. */
  random?: () => number;
}

interface Part {
  lines: string[];
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Batch {
  parts: Part[];
  points: number;
  /** Set once the batch's submissions are resolved or rejected; later outcomes are ignored. */
  settled?: boolean;
}

export class GroupCommitBatcher {
  private open: Batch = { parts: [], points: 0 };
  private timer: NodeJS.Timeout | undefined;
  private readonly ready: Batch[] = [];
  private readonly writing = new Set<Batch>();
  private inflight = 0;
  private buffered = 0;
  private closing = false;
  private readonly admitWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(private readonly opts: BatcherOptions) {}

  /** Points accepted and not yet written. */
  get depth(): number {
    return this.buffered;
  }

  /** Resolves when the buffer has room; callers await it before decoding more from a socket. */
  admit(): Promise<void> {
    if (this.buffered < this.opts.maxBufferedPoints || this.closing) return Promise.resolve();
    return new Promise((resolve) => this.admitWaiters.push(resolve));
  }

  /** Resolves when every line is durably written; rejects if InfluxDB refuses them or the batcher closes first. */
  submit(lines: string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    if (this.closing) return Promise.reject(new AppError('SHUTTING_DOWN', 'ingest is shutting down'));
    return new Promise<void>((resolve, reject) => {
      this.open.parts.push({ lines, resolve, reject });
      this.open.points += lines.length;
      this.setBuffered(this.buffered + lines.length);
      if (this.open.points >= this.opts.maxPoints || (this.opts.writeWhenIdle && this.inflight === 0)) this.seal();
      else this.timer ??= setTimeout(() => this.seal(), this.opts.maxDelayMs);
    });
  }

  /** Writes what is buffered now, without waiting for the batch to fill. */
  flushNow(): void {
    this.seal();
  }

  /** Writes what is buffered and waits up to `timeoutMs` for everything to be written; keeps accepting. */
  async drain(timeoutMs = 10_000): Promise<void> {
    this.seal();
    if (this.buffered === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  /**
   * Stops accepting, writes what is buffered, and waits up to `timeoutMs` for
   * it; whatever is still unwritten then is rejected (never acknowledged), so
   * the gateways re-send it to the next process. Idempotent.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closing = true;
    for (const w of this.admitWaiters.splice(0)) w();
    await this.drain(timeoutMs);
    const err = new AppError('SHUTTING_DOWN', 'ingest stopped before the write completed');
    for (const b of this.ready.splice(0)) this.fail(b, err);
    // a write that has not answered by now may still land; its submissions are not acknowledged, the gateways re-send
    for (const b of this.writing) this.fail(b, err);
    for (const s of this.sleeps) {
      clearTimeout(s.timer);
      s.resolve();
    }
  }

  private seal(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.open.points === 0) return;
    this.ready.push(this.open);
    this.open = { parts: [], points: 0 };
    this.pump();
  }

  private pump(): void {
    while (this.inflight < this.opts.maxInflight && this.ready.length > 0) {
      const batch = this.ready.shift() as Batch;
      this.inflight++;
      this.opts.metrics?.inflightWrites.set(this.inflight);
      void this.send(batch).finally(() => {
        this.inflight--;
        this.opts.metrics?.inflightWrites.set(this.inflight);
        // what came in during the last write goes now rather than at its timer
        if (this.opts.writeWhenIdle && this.inflight === 0 && this.ready.length === 0) this.seal();
        this.pump();
        if (this.buffered === 0 && this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  /** Writes one batch until it succeeds, is rejected (then bisected), or the batcher closes. */
  private async send(batch: Batch): Promise<void> {
    this.writing.add(batch);
    try {
      await this.attempt(batch);
    } finally {
      this.writing.delete(batch);
    }
  }

  private async attempt(batch: Batch): Promise<void> {
    const body = batch.parts.map((p) => p.lines.join('\n')).join('\n');
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      try {
        await this.opts.write(body);
        this.opts.metrics?.writeLatency.observe((performance.now() - started) / 1000);
        this.opts.metrics?.batchSize.observe(batch.points);
        this.opts.metrics?.pointsWritten.inc(batch.points);
        if (batch.settled) return;
        batch.settled = true;
        this.setBuffered(this.buffered - batch.points);
        for (const p of batch.parts) p.resolve();
        return;
      } catch (err) {
        if (!isRetryable(err)) {
          this.opts.metrics?.writeFailures.inc({ kind: 'rejected' });
          await this.bisect(batch, err as Error);
          return;
        }
        this.opts.metrics?.writeFailures.inc({ kind: 'retryable' });
        if (this.closing || batch.settled) {
          this.fail(batch, err as Error);
          return;
        }
        const delay = backoffDelay(attempt, { baseMs: this.opts.retryBaseDelayMs, maxMs: this.opts.retryMaxDelayMs });
        const jittered = delay / 2 + (this.opts.random ?? Math.random)() * (delay / 2);
        this.opts.logger.warn(
          { err: (err as Error).message, attempt: attempt + 1, points: batch.points, retryInMs: Math.round(jittered) },
          'InfluxDB write failed; retrying',
        );
        await this.sleep(jittered);
        if (this.closing) {
          this.fail(batch, err as Error);
          return;
        }
      }
    }
  }

  private async bisect(batch: Batch, err: Error): Promise<void> {
    if (batch.parts.length === 1) {
      this.opts.logger.error({ err: err.message, points: batch.points }, 'InfluxDB rejected a message; it will be dead-lettered');
      this.fail(batch, err);
      return;
    }
    if (batch.settled) return;
    batch.settled = true; // its halves now answer for its submissions (and its buffered points)
    const mid = Math.floor(batch.parts.length / 2);
    const halves = [batch.parts.slice(0, mid), batch.parts.slice(mid)].map((parts) => ({ parts, points: parts.reduce((n, p) => n + p.lines.length, 0) }));
    for (const half of halves) await this.send(half);
  }

  private fail(batch: Batch, err: Error): void {
    if (batch.settled) return;
    batch.settled = true;
    this.setBuffered(this.buffered - batch.points);
    for (const p of batch.parts) p.reject(err);
  }

  private setBuffered(n: number): void {
    this.buffered = n;
    this.opts.metrics?.bufferedPoints.set(n);
    if (n < this.opts.maxBufferedPoints) {
      while (this.admitWaiters.length > 0 && this.buffered < this.opts.maxBufferedPoints) this.admitWaiters.shift()?.();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.sleeps.add(entry);
    });
  }
}
