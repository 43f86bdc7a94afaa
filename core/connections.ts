/**
 * The process's Redis connections, made once by the composition root
 * (`platform/`) and handed to every part — the way BullMQ takes a
 * `connection` — instead of each part opening its own. A part never calls
 * `new Redis(url)`: it is given
 *
 * - `command`: the shared connection for ordinary commands and BullMQ queues
 *   (no retry limit: a command waits for Redis to come back);
 * - `channels`: one subscriber connection for every channel of the process;
 * - `dedicated(role, options)`: a connection of its own, for what cannot
 *   share one — a blocking read (XREAD BLOCK), a key prefix
 *   (aedes-persistence-redis), a different failure behaviour (the rules feed
 *   fails after 2 retries, the sign-in limits without an offline queue).
 *
 * Every connection is named (`CLIENT LIST` shows `nss-<role>`), logs its
 * errors, and is closed by `close()`.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.ts';

/** One subscriber connection shared by every listener in the process. */
export class ChannelHub {
  private readonly handlers = new Map<string, Set<(message: string) => void>>();

  constructor(private readonly redis: Redis) {
    redis.on('message', (channel: string, message: string) => {
      for (const h of this.handlers.get(channel) ?? []) h(message);
    });
  }

  /**
   * Resolves once every message published before this call has been handed to its listeners: Redis answers a
   * PING on the subscriber connection in order, after the messages it sent before.
   */
  async barrier(): Promise<void> {
    await this.redis.ping();
  }

  /** Calls `onMessage` for each message on `channel`; resolves once Redis confirms the subscription. Returns the unsubscribe. */
  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(onMessage);
    await this.redis.subscribe(channel);
    return async () => {
      set.delete(onMessage);
      if (set.size === 0 && this.handlers.get(channel) === set) {
        this.handlers.delete(channel);
        await this.redis.unsubscribe(channel).catch(() => undefined);
      }
    };
  }
}

export interface RedisConnections {
  readonly command: Redis;
  readonly channels: ChannelHub;
  /** A connection of the caller's own (closed with the others by `close()`). */
  dedicated(role: string, options?: RedisOptions): Redis;
  close(): void;
}

/** Opens the shared connections to `url` (lazily connected by ioredis on first use). */
export function openRedisConnections(url: string, logger: Logger): RedisConnections {
  const opened: Redis[] = [];
  const open = (role: string, options: RedisOptions): Redis => {
    const r = new Redis(url, { ...options, connectionName: `nss-${role}` });
    r.on('error', (err: Error) => logger.error({ err: err.message, role }, 'redis error'));
    opened.push(r);
    return r;
  };
  const command = open('command', { maxRetriesPerRequest: null });
  const channels = new ChannelHub(open('channels', { maxRetriesPerRequest: null }));
  return {
    command,
    channels,
    dedicated: (role, options = {}) => open(role, options),
    close: () => {
      for (const r of opened.splice(0)) r.disconnect();
    },
  };
}
