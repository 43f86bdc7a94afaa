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

export type LoadedSnapshot = { ok: true; snapshot: Snapshot } | { ok: false; err: unknown };

export class SnapshotStore {
  private readonly key: string;
  private readonly feed: string;

  constructor(
    private readonly redis: Redis,
    redisPrefix: string,
  ) {
    this.key = snapshotKey(redisPrefix);
    this.feed = feedKey(redisPrefix);
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

  async save(snapshot: Snapshot): Promise<void> {
    await this.redis.set(this.key, JSON.stringify(snapshot));
  }

  /** Drops the feed entries up to `lastId` (reflected in a saved snapshot) and returns the feed's length. */
  async trim(lastId: string): Promise<number> {
    if (lastId !== '0-0') await this.redis.xtrim(this.feed, 'MINID', lastId);
    return this.redis.xlen(this.feed);
  }
}
