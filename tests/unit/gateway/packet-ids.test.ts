/** Message numbers for the broker's store: blocks reserved from one shared counter, never reused (gateway/packet-ids.ts). */
import type { Aedes } from 'aedes';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BLOCK_SIZE, allocatePacketIds } from '../../../gateway/packet-ids.ts';

/** One shared counter, as Redis INCR gives every process on the store. */
function sharedCounter() {
  let n = 0;
  return { incr: async () => ++n } as unknown as Redis;
}

afterEach(() => vi.useRealTimers());

describe('allocatePacketIds', () => {
  it('gives two processes (or two lives of one) disjoint blocks, whatever their broker ids', async () => {
    const redis = sharedCounter();
    const first = { counter: 0 } as unknown as Aedes & { counter: number };
    const second = { counter: 0 } as unknown as Aedes & { counter: number };
    const a = await allocatePacketIds(first, redis, 'k');
    const b = await allocatePacketIds(second, redis, 'k');
    expect(first.counter).toBe(1 * BLOCK_SIZE);
    expect(second.counter).toBe(2 * BLOCK_SIZE);
    a.stop();
    b.stop();
  });

  it('moves to a fresh, higher block once half of its block is used, so numbers keep rising', async () => {
    vi.useFakeTimers();
    const redis = sharedCounter();
    const broker = { counter: 0 } as unknown as Aedes & { counter: number };
    const ids = await allocatePacketIds(broker, redis, 'k', { checkEveryMs: 1000 });
    broker.counter += BLOCK_SIZE / 2 - 1;
    await vi.advanceTimersByTimeAsync(1000);
    expect(ids.block).toBe(1); // not yet half used
    broker.counter += 2;
    const before = broker.counter;
    await vi.advanceTimersByTimeAsync(1000);
    expect(ids.block).toBe(2);
    expect(broker.counter).toBe(2 * BLOCK_SIZE);
    expect(broker.counter).toBeGreaterThan(before);
    ids.stop();
  });
});
