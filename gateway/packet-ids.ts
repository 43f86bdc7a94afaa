/**
 * Collision-free identities for the messages a broker stores.
 *
 * aedes-persistence-redis keeps a message queued for an offline session under
 * `packet:{brokerId}:{brokerCounter}`, and aedes numbers its messages from 0 in
 * every new process. With a broker id that is stable across restarts (see
 * config `mqtt.brokerId`), a restarted broker reused the keys of messages still
 * queued from its previous life: a gateway then received a message queued for
 * another gateway, and that gateway lost it.
 *
 * Here every broker process numbers its messages in blocks of 2^32 that it
 * reserves from one Redis counter shared by every process on the store
 * (`INCR`): no two processes, and no two lives of one process, ever use the same
 * number, whatever their broker ids. A process moves to a fresh block (always a
 * higher one, so numbers keep rising, which aedes' duplicate check relies on)
 * when half of its block is used, long before it could run out (2^31 messages:
 * 6 hours at 100,000 messages/s; the check runs every second).
 */
import type { Aedes } from 'aedes';
import type { Redis } from 'ioredis';

/** Numbers per block. Blocks go up to 2^21 before numbers leave the safe-integer range: millions of restarts. */
export const BLOCK_SIZE = 2 ** 32;

export interface PacketIdAllocator {
  /** The block in use. */
  readonly block: number;
  stop(): void;
}

/**
 * Makes `broker` number its messages from a freshly reserved block, and keeps reserving new ones as it goes.
 * `key` is the shared counter's key (under the platform's Redis prefix).
 */
export async function allocatePacketIds(
  broker: Aedes,
  redis: Redis,
  key: string,
  opts: { checkEveryMs?: number; onError?: (err: Error) => void } = {},
): Promise<PacketIdAllocator> {
  const b = broker as Aedes & { counter: number };
  let block = 0;
  const reserve = async (): Promise<void> => {
    const next = await redis.incr(key);
    if (next * BLOCK_SIZE > Number.MAX_SAFE_INTEGER - BLOCK_SIZE) throw new Error(`packet id blocks exhausted (${key} = ${next})`);
    block = next;
    // only ever forward: a block handed out later is always higher than the numbers already used
    if (next * BLOCK_SIZE > b.counter) b.counter = next * BLOCK_SIZE;
  };
  await reserve();
  let reserving = false;
  const timer = setInterval(() => {
    if (reserving || b.counter - block * BLOCK_SIZE < BLOCK_SIZE / 2) return;
    reserving = true;
    reserve()
      .catch((err: unknown) => opts.onError?.(err as Error))
      .finally(() => (reserving = false));
  }, opts.checkEveryMs ?? 1000);
  timer.unref();
  return {
    get block() {
      return block;
    },
    stop: () => clearInterval(timer),
  };
}
