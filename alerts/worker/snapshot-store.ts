/**
 * The rules worker's snapshot in Redis (ADR 0005): its feed position and every
 * pattern state, saved together under `snapshotKey`, and the feed trimmed
 * only behind it (`XTRIM MINID`), so a restart restores the snapshot and
 * replays the rest of the feed.
 */
import type { Redis } from 'ioredis';
import { feedKey, snapshotKey } from '../../core/redis-keys.ts';
import type { EngineSnapshot } from './engine.ts';

/** The stored format (JSON); kept as it is so a snapshot survives an upgrade. */
export interface Snapshot {
  v: 1;
  /** Last feed entry reflected in `engine`. */
  lastId: string;
  catalogueVersion: number;
  savedAt: number;
  engine: EngineSnapshot;
}

/** The lease a holder saves under (alerts/worker/lease.ts): a save or trim after it lost the lease is refused. */
export interface SnapshotLease {
  key: string;
  holder: string;
}

/** Saves the snapshot and trims the feed behind it, only while the lease is the holder's; the feed's length, or -1. */
const SAVE_FENCED = `
if redis.call('GET', KEYS[3]) ~= ARGV[3] then return -1 end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[2] ~= '0-0' then redis.call('XTRIM', KEYS[2], 'MINID', ARGV[2]) end
return redis.call('XLEN', KEYS[2])`;

export type LoadedSnapshot = { ok: true; snapshot: Snapshot } | { ok: false; err: unknown };

export class SnapshotStore {
  private readonly key: string;
  private readonly feed: string;

  constructor(
    private readonly redis: Redis,
    redisPrefix: string,
    private readonly lease?: SnapshotLease,
    partition = 0,
  ) {
    this.key = snapshotKey(redisPrefix, partition);
    this.feed = feedKey(redisPrefix, partition);
  }

  /** The saved snapshot; undefined when there is none, `ok: false` when it cannot be parsed. */
  async load(): Promise<LoadedSnapshot | undefined> {
    const text = await this.redis.get(this.key);
    if (!text) return undefined;
    try {
      return { ok: true, snapshot: JSON.parse(text) as Snapshot };
    } catch (err) {
      return { ok: false, err };
    }
  }

  /**
   * Saves the snapshot, then drops the feed entries up to its position (reflected in it); returns the feed's length.
   * Under a lease, both happen only while it is the holder's (one script), else `SnapshotFencedError`.
   */
  async save(snapshot: Snapshot): Promise<number> {
    const text = JSON.stringify(snapshot);
    if (this.lease) {
      const len = Number(await this.redis.eval(SAVE_FENCED, 3, this.key, this.feed, this.lease.key, text, snapshot.lastId, this.lease.holder));
      if (len < 0) throw new SnapshotFencedError();
      return len;
    }
    await this.redis.set(this.key, text);
    if (snapshot.lastId !== '0-0') await this.redis.xtrim(this.feed, 'MINID', snapshot.lastId);
    return this.redis.xlen(this.feed);
  }
}

/** A snapshot save refused: the lease is no longer this holder's. */
export class SnapshotFencedError extends Error {
  constructor() {
    super('the rules lease is no longer this node’s: snapshot not saved, feed not trimmed');
    this.name = 'SnapshotFencedError';
  }
}
