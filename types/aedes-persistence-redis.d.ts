declare module 'aedes-persistence-redis' {
  import type { Redis, RedisOptions } from 'ioredis';
  interface Options extends RedisOptions {
    conn?: Redis;
    maxSessionDelivery?: number;
    packetTTL?: (packet: unknown) => number;
  }
  /** Returns an aedes persistence backed by Redis. */
  export default function persistence(opts?: Options): unknown;
}
