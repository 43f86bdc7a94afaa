/**
 * One live node runs the rules of a partition at a time (issue #19 §3): it
 * holds a lease in Redis, and a fencing token from PostgreSQL.
 *
 * - The lease (`{prefix}rules:lease:{p}` = the holder's id, with an expiry of
 *   `leaseMs`) is taken with SET NX, renewed every third of it while the value
 *   is still the holder's, and given up on a clean stop. A node that dies
 *   stops renewing; another takes the lease once it lapses.
 * - The fencing token is the partition's row in `rule_partition_owners`,
 *   incremented by each new holder. Every alert write of the rules checks, in
 *   its own transaction, that its token is still the current one (`fence`),
 *   and the snapshot is saved only while the lease is still the holder's: an
 *   old holder that was paused past its lease (a stalled VM, a long GC) and
 *   resumes cannot write after the new holder took over. The token lives in
 *   PostgreSQL, so a Redis failover that loses the lease cannot hand out an
 *   old token again.
 */
import type { Redis } from 'ioredis';
import type { Db, Queryable } from '../../core/db/db.ts';
import { rulesLeaseKey } from '../../core/redis-keys.ts';

/** Thrown by a write of a holder that lost its partition: nothing it does is stored any more. */
export class FencedError extends Error {
  constructor(partition: number, token: number | undefined) {
    super(`rules partition ${partition}: token ${token ?? 'none'} is no longer current; this node lost the lease`);
    this.name = 'FencedError';
  }
}

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class PartitionLease {
  private current: number | undefined;
  private readonly key: string;

  /** `holder`: this node's id, unique to the process (a restarted node is a new holder), e.g. `{brokerId}/{random}`. */
  constructor(
    private readonly deps: { redis: Redis; db: Db; redisPrefix: string; leaseMs: number },
    readonly partition: number,
    readonly holder: string,
  ) {
    this.key = rulesLeaseKey(deps.redisPrefix, partition);
  }

  /** The fencing token of the current term (undefined when not held). */
  get token(): number | undefined {
    return this.current;
  }

  /** The Redis key of the lease, for writes that check it (the snapshot). */
  get leaseKey(): string {
    return this.key;
  }

  /** Takes the lease if it is free, then the next fencing token; false if another node holds it. */
  async tryAcquire(): Promise<boolean> {
    const ok = await this.deps.redis.set(this.key, this.holder, 'PX', this.deps.leaseMs, 'NX');
    if (ok !== 'OK') return false;
    try {
      const { rows } = await this.deps.db.query<{ token: string | number }>(
        `INSERT INTO rule_partition_owners (partition, token, owner, acquired_at) VALUES ($1, 1, $2, now())
         ON CONFLICT (partition) DO UPDATE SET token = rule_partition_owners.token + 1, owner = EXCLUDED.owner, acquired_at = EXCLUDED.acquired_at
         RETURNING token`,
        [this.partition, this.holder],
      );
      this.current = Number(rows[0]!.token);
      return true;
    } catch (err) {
      await this.release(); // no token, no term: let another node (or this one, later) try
      throw err;
    }
  }

  /** Extends the lease; false if it is no longer this holder's (it lapsed, and perhaps another node took it). */
  async renew(): Promise<boolean> {
    return (await this.deps.redis.eval(RENEW, 1, this.key, this.holder, this.deps.leaseMs)) === 1;
  }

  /** Gives the lease up (if still held), so that another node need not wait for it to lapse. */
  async release(): Promise<void> {
    this.current = undefined;
    await this.deps.redis.eval(RELEASE, 1, this.key, this.holder);
  }

  /** Forgets the term without touching Redis (the lease was lost). */
  lost(): void {
    this.current = undefined;
  }

  /**
   * The fence of the term that begins now: checks, in the caller's transaction, that the partition's current token is
   * still this term's — not after the lease was lost, nor for a later term of this node; a FOR SHARE lock, so that a
   * new holder's token cannot be written until that transaction ends. Throws `FencedError` otherwise.
   */
  fenceOfTerm(): (tx: Queryable) => Promise<void> {
    const token = this.current;
    return (tx) => this.check(tx, this.current === token ? token : undefined);
  }

  private async check(tx: Queryable, mine: number | undefined): Promise<void> {
    const { rows } = await tx.query<{ token: string | number }>('SELECT token FROM rule_partition_owners WHERE partition = $1 FOR SHARE', [this.partition]);
    const token = rows[0] === undefined ? undefined : Number(rows[0].token);
    if (mine === undefined || token !== mine) throw new FencedError(this.partition, mine);
  }
}
