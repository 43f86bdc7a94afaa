/**
 * A gateway's store-and-forward buffer: messages waiting to be handed to
 * MQTT (while offline, or while the in-flight window is full), oldest first,
 * and the bookkeeping of which messages are finished (acknowledged or
 * dropped). Pure state, no I/O: the gateway decides when to send.
 *
 * Every message gets a sequence number when queued. `waitFor(seq)` resolves
 * once every message up to `seq` is finished, however they were reordered by
 * retries. Messages queued while offline are not "released" until the gateway
 * comes back (`release()`); `releasedUpTo` is what `drain()` waits for.
 *
 * Capacity counts readings (signals are few and always kept unless they sit
 * at the head of the queue when readings must go). Beyond `maxBacklog`, the
 * oldest queued readings are dropped and counted.
 */
import type { OutMessage } from './messages.ts';

export interface OutboxEntry {
  readonly seq: number;
  msg: OutMessage;
  /** Times the entry was handed to MQTT. */
  attempts: number;
}

const readingCount = (m: OutMessage): number => (m.channel === 'readings' ? m.readings.length : 0);

export class Outbox {
  /** Entries never handed out yet, in seq order, from `head`. */
  private items: (OutboxEntry | undefined)[] = [];
  private head = 0;
  /** Entries handed out and given back (send failed), ascending seq; all older than `items`. */
  private retries: OutboxEntry[] = [];
  private queued = 0;
  private nextSeq = 1;
  /** Lowest seq not finished yet. */
  private low = 1;
  private readonly unfinished = new Set<number>();
  private released = 0;
  private waiters: { upTo: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  /** Readings dropped because the backlog was full. */
  droppedReadings = 0;
  /** Signals dropped along with them (they were at the head of the queue). */
  droppedSignals = 0;

  /** @param maxBacklog readings kept in the queue at most; older ones are dropped beyond it. */
  constructor(private readonly maxBacklog: number) {
    if (!(maxBacklog >= 0)) throw new RangeError('maxBacklog must be >= 0');
  }

  /** Readings queued and not yet handed to MQTT. */
  get backlogReadings(): number {
    return this.queued;
  }
  /** Messages queued and not yet handed to MQTT. */
  get queuedMessages(): number {
    return this.items.length - this.head + this.retries.length;
  }
  /** The highest seq that was published (released); `drain()` waits for everything up to it. */
  get releasedUpTo(): number {
    return this.released;
  }
  /** The highest seq given out so far (0 before the first message). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }
  /** Messages queued or handed out and not finished. */
  get unfinishedCount(): number {
    return this.unfinished.size;
  }

  /** Queues messages, oldest first; `release` says whether they count as published now. Returns the last seq. */
  enqueue(msgs: readonly OutMessage[], release: boolean): number {
    for (const msg of msgs) {
      const seq = this.nextSeq++;
      this.unfinished.add(seq);
      this.items.push({ seq, msg, attempts: 0 });
      this.queued += readingCount(msg);
    }
    if (release) this.released = this.lastSeq;
    this.enforceLimit();
    return this.lastSeq;
  }

  /** Marks everything queued so far as published (the gateway is back online). Returns the last seq. */
  release(): number {
    this.released = this.lastSeq;
    return this.released;
  }

  /** Takes the oldest released entry to hand to MQTT. */
  next(): OutboxEntry | undefined {
    let e = this.retries[0];
    if (e) {
      if (e.seq > this.released) return undefined;
      this.retries.shift();
    } else {
      e = this.items[this.head];
      if (!e || e.seq > this.released) return undefined;
      this.items[this.head++] = undefined;
      this.compact();
    }
    this.queued -= readingCount(e.msg);
    e.attempts++;
    return e;
  }

  /** Gives an entry back (its send failed before any acknowledgement); it goes out again before newer ones. */
  retry(e: OutboxEntry): void {
    if (!this.unfinished.has(e.seq)) return;
    let i = this.retries.length;
    while (i > 0 && this.retries[i - 1]!.seq > e.seq) i--;
    this.retries.splice(i, 0, e);
    this.queued += readingCount(e.msg);
    this.enforceLimit();
  }

  /** Marks a message finished (acknowledged). Idempotent. */
  done(seq: number): void {
    if (!this.unfinished.delete(seq)) return;
    if (seq !== this.low) return;
    while (this.low < this.nextSeq && !this.unfinished.has(this.low)) this.low++;
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.upTo < this.low);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.upTo >= this.low);
    for (const w of ready) w.resolve();
  }

  /** Resolves once every message up to `upTo` is finished. */
  waitFor(upTo: number): Promise<void> {
    if (upTo < this.low) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ upTo, resolve, reject }));
  }

  /** Rejects every pending `waitFor` (the gateway is closing). */
  failAll(err: Error): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(err);
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops the oldest queued readings beyond capacity (whole messages, the last one trimmed). */
  private enforceLimit(): void {
    while (this.queued > this.maxBacklog) {
      const fromRetries = this.retries.length > 0;
      const e = fromRetries ? this.retries[0]! : this.items[this.head]!;
      const excess = this.queued - this.maxBacklog;
      if (e.msg.channel === 'readings' && e.msg.readings.length > excess) {
        e.msg = { channel: 'readings', readings: e.msg.readings.slice(excess) };
        this.queued -= excess;
        this.droppedReadings += excess;
        return;
      }
      if (fromRetries) this.retries.shift();
      else {
        this.items[this.head++] = undefined;
        this.compact();
      }
      const n = readingCount(e.msg);
      this.queued -= n;
      this.droppedReadings += n;
      if (e.msg.channel === 'signals') this.droppedSignals += e.msg.signals.length;
      this.done(e.seq);
    }
  }
}
