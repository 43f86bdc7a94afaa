/**
 * Failed sign-ins (and wrong current passwords at a password change),
 * counted with rate-limiter-flexible so that a guesser cannot lock others
 * out:
 *
 * - per **user and address** together: `perUserAddress` failures within
 *   `windowS` lock that user *from that address* for `lockS` — a wrong
 *   guess from address X never locks the user out from address Y;
 * - per **address**: `perAddress` failures within `windowS`, whatever the
 *   usernames, lock the address for `lockS`.
 *
 * An attempt is counted before its password is checked (and given back if
 * it succeeds), so that a burst of simultaneous guesses gets no further than
 * the limit. A successful sign-in clears its pair's count; the admin can
 * clear a user's locks from every address (`POST /api/v1/officers/:id/unlock`).
 *
 * With Redis (`RateLimiterRedis`, keys under `{REDIS_PREFIX}sign-in:`) every
 * API process shares the counts; should Redis fail, each process counts on
 * in its own memory (the library's insurance limiter) rather than letting
 * every guess through or refusing every sign-in. Without Redis (tests on
 * `app.inject`) the counts live in this process only.
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';
import { signInKeyPrefixes } from '../core/redis-keys.ts';

export interface SignInLimitPolicy {
  /** Seconds in which failures are counted, from the first. Default 900 (15 min). */
  windowS: number;
  /** Seconds a lock lasts from the failure that caused it. Default 900 (15 min). */
  lockS: number;
  /** Failures of one user from one address that lock that user from that address. Default 5. */
  perUserAddress: number;
  /** Failures from one address, whatever the usernames, that lock the address. Default 20. */
  perAddress: number;
}

/** The platform's defaults, for the bureau to set (`SIGN_IN_*`, README). */
export const DEFAULT_SIGN_IN_LIMITS: SignInLimitPolicy = { windowS: 15 * 60, lockS: 15 * 60, perUserAddress: 5, perAddress: 20 };

/** What is locked and for how long. */
export interface SignInLock {
  scope: 'user_address' | 'address';
  retryAfterMs: number;
}

/** An attempt counted by `SignInLimits.attempt`, to settle once the password has been checked. */
export interface SignInAttempt {
  /** The password was wrong: the lock this failure brought about, if any. */
  failed(): Promise<SignInLock | undefined>;
  /** The password was right. */
  succeeded(): Promise<void>;
}

/** A user's part of a pair key: base64url, so no user name can reach into another's keys (or a SCAN pattern). */
const userKey = (user: string): string => Buffer.from(user, 'utf8').toString('base64url');
const pairKey = (user: string, ip: string): string => `${userKey(user)}|${ip}`;
/** Escapes Redis glob characters (`*?[]\`). */
const globEscape = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&');

export class SignInLimits {
  private readonly pair: RateLimiterAbstract;
  private readonly address: RateLimiterAbstract;
  private readonly pairPrefix: string;

  /** `redis`: the connection and key prefix (REDIS_PREFIX) shared by every API process; without it, this process only. */
  constructor(
    readonly policy: SignInLimitPolicy = DEFAULT_SIGN_IN_LIMITS,
    private readonly redis?: { client: Redis; prefix: string },
  ) {
    const keys = signInKeyPrefixes(redis?.prefix ?? '');
    this.pairPrefix = keys.userAddress;
    const make = (keyPrefix: string, points: number): RateLimiterAbstract => {
      const opts = { keyPrefix, points, duration: policy.windowS };
      return redis
        ? new RateLimiterRedis({ ...opts, storeClient: redis.client, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(opts) })
        : new RateLimiterMemory(opts);
    };
    this.pair = make(this.pairPrefix, policy.perUserAddress);
    this.address = make(keys.address, policy.perAddress);
  }

  /**
   * Counts an attempt of `user` from `ip` *before* its password is checked,
   * so that attempts made at once cannot all pass a check that none of them
   * has counted yet: the lock that refuses it (the longer, if both), or the
   * attempt to settle — `failed()` (it stays counted; the failure that
   * reaches a limit locks for `lockS`) or `succeeded()` (the pair's count
   * starts again and the address gets its attempt back).
   */
  async attempt(user: string, ip: string): Promise<{ lock: SignInLock } | SignInAttempt> {
    const key = pairKey(user, ip);
    const [p, a] = await Promise.all([this.pair.penalty(key), this.address.penalty(ip)]);
    const over = (scope: SignInLock['scope'], res: RateLimiterRes, max: number): SignInLock[] =>
      res.consumedPoints > max ? [{ scope, retryAfterMs: Math.max(res.msBeforeNext, 1000) }] : [];
    const locks = [...over('address', a, this.policy.perAddress), ...over('user_address', p, this.policy.perUserAddress)];
    if (locks.length > 0) {
      // a refused attempt is no attempt: it neither extends a lock nor counts against the address
      await Promise.all([this.pair.reward(key), this.address.reward(ip)]);
      return { lock: locks.reduce((x, y) => (y.retryAfterMs > x.retryAfterMs ? y : x)) };
    }
    return {
      failed: async () => {
        let lock: SignInLock | undefined;
        if (a.consumedPoints === this.policy.perAddress) {
          await this.address.block(ip, this.policy.lockS);
          lock = { scope: 'address', retryAfterMs: this.policy.lockS * 1000 };
        }
        if (p.consumedPoints === this.policy.perUserAddress) {
          await this.pair.block(key, this.policy.lockS);
          lock ??= { scope: 'user_address', retryAfterMs: this.policy.lockS * 1000 };
        }
        return lock;
      },
      succeeded: async () => {
        await Promise.all([this.pair.delete(key), this.address.reward(ip)]);
      },
    };
  }

  /** Clears `user`'s counts and locks from every address; how many addresses had some. */
  async unlock(user: string): Promise<number> {
    const mine = `${userKey(user)}|`;
    const keys: string[] = [];
    if (this.redis) {
      const stream = this.redis.client.scanStream({ match: `${globEscape(`${this.pairPrefix}:${mine}`)}*`, count: 500 });
      for await (const batch of stream as AsyncIterable<string[]>) for (const k of batch) keys.push(k.slice(this.pairPrefix.length + 1));
    } else {
      for (const r of (this.pair as RateLimiterMemory).dump().storage) if (String(r.key).startsWith(mine)) keys.push(String(r.key));
    }
    const unique = [...new Set(keys)];
    await Promise.all(unique.map((k) => this.pair.delete(k)));
    return unique.length;
  }
}
