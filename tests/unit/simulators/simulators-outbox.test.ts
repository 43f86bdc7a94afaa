/**
 * The simulated gateway's store-and-forward buffer: ordering, waiting for
 * acknowledgements across retries, release after an outage, and the backlog
 * cap dropping the oldest readings.
 */
import { describe, expect, it } from 'vitest';
import type { ReadingOut } from '../../../core/contract.ts';
import type { OutMessage } from '../../../simulators/messages.ts';
import { Outbox } from '../../../simulators/outbox.ts';

const reading = (ts: number): ReadingOut => ({ sensor: 'GT-101', value: 1, unit: '%LEL', quality: 'good', ts });
const msg = (from: number, n: number): OutMessage => ({ channel: 'readings', readings: Array.from({ length: n }, (_, i) => reading(from + i)) });
const sig = (ts: number): OutMessage => ({ channel: 'signals', signals: [{ point: 'P-RUN', kind: 'production', state: 'running', ts }] });

/** Whether a promise has settled, checked after the microtask queue drains. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('Outbox', () => {
  it('hands messages out oldest first and waits for every earlier one, whatever the ack order', async () => {
    const box = new Outbox(1000);
    const last = box.enqueue([msg(0, 2), msg(2, 2), msg(4, 2)], true);
    expect(last).toBe(3);
    expect(box.backlogReadings).toBe(6);
    const [a, b, c] = [box.next()!, box.next()!, box.next()!];
    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
    expect(box.next()).toBeUndefined();
    expect(box.backlogReadings).toBe(0);
    const upTo2 = box.waitFor(2);
    const all = box.waitFor(3);
    box.done(3);
    box.done(2);
    expect(await settled(upTo2)).toBe(false);
    box.done(1);
    expect(await settled(upTo2)).toBe(true);
    expect(await settled(all)).toBe(true);
    expect(box.unfinishedCount).toBe(0);
  });

  it('sends a failed message again before newer ones', () => {
    const box = new Outbox(1000);
    box.enqueue([msg(0, 1), msg(1, 1), msg(2, 1), msg(3, 1)], true);
    const first = box.next()!;
    const second = box.next()!;
    box.retry(second);
    box.retry(first);
    expect([box.next()!.seq, box.next()!.seq, box.next()!.seq]).toEqual([1, 2, 3]);
    expect(first.attempts).toBe(2);
  });

  it('keeps messages queued while offline until released, and drain-style waits cover only released ones', async () => {
    const box = new Outbox(1000);
    box.enqueue([msg(0, 1)], true);
    box.next();
    box.enqueue([msg(1, 1), msg(2, 1)], false);
    expect(box.releasedUpTo).toBe(1);
    expect(box.next()).toBeUndefined();
    const drained = box.waitFor(box.releasedUpTo);
    box.done(1);
    expect(await settled(drained)).toBe(true);
    expect(box.release()).toBe(3);
    expect(box.next()!.seq).toBe(2);
  });

  it('drops the oldest readings beyond its capacity, trimming the last message it touches, and counts them', async () => {
    const box = new Outbox(25);
    const waitFirst = box.waitFor(1);
    box.enqueue([sig(0), msg(0, 10), msg(10, 10), msg(20, 10)], false);
    expect(box.backlogReadings).toBe(25);
    expect(box.droppedReadings).toBe(5);
    expect(box.droppedSignals).toBe(1); // the oldest item went first
    expect(await settled(waitFirst)).toBe(true); // a dropped message is finished
    const waitSecond = box.waitFor(2);
    box.enqueue([msg(30, 10)], false);
    expect(box.droppedReadings).toBe(15);
    expect(await settled(waitSecond)).toBe(true);
    box.release();
    const out: number[] = [];
    for (let e = box.next(); e; e = box.next()) if (e.msg.channel === 'readings') out.push(...e.msg.readings.map((r) => r.ts as number));
    expect(out).toEqual(Array.from({ length: 25 }, (_, i) => 15 + i));
  });

  it('rejects pending waits when failed', async () => {
    const box = new Outbox(10);
    box.enqueue([msg(0, 1)], true);
    const w = box.waitFor(1);
    box.failAll(new Error('closed'));
    await expect(w).rejects.toThrow('closed');
  });
});
