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
import type { RedisTarget } from './config.ts';
import type { Logger } from './logger.ts';

type SentinelTarget = Extract<RedisTarget, { sentinels: unknown }>;

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

/** ioredis' options for a Sentinel target (the caller's options, such as `connectionName`, are laid over them). */
export function targetOptions(target: SentinelTarget): RedisOptions {
  return {
    sentinels: target.sentinels,
    name: target.masterName,
    // a master demoted under a connection answers writes READONLY: ask the Sentinels again (Sentinel also closes
    // the demoted master's connections; this covers one it missed). The failed command fails, its caller retries.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    ...(target.sentinelPassword !== undefined ? { sentinelPassword: target.sentinelPassword } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
  };
}

/**
 * Opens the shared connections to `target` (lazily connected by ioredis on first use): a URL, or the master a
 * group of Redis Sentinels names (`redisTarget(config)` in core/config.ts). Behind Sentinel every connection —
 * and every one BullMQ duplicates from `command` — asks the Sentinels for the master, and asks again after a
 * failover (ioredis' `sentinels` / `name`).
 */
export function openRedisConnections(target: string | RedisTarget, logger: Logger): RedisConnections {
  const opened: Redis[] = [];
  const url = typeof target === 'string' ? target : 'url' in target ? target.url : undefined;
  const open = (role: string, options: RedisOptions): Redis => {
    const connectionName = `nss-${role}`;
    const r =
      url !== undefined
        ? new Redis(url, { ...options, connectionName })
        : new Redis({ ...targetOptions(target as SentinelTarget), ...options, connectionName });
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
