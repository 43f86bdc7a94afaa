/**
 * The rules worker's side of the feed (`core/feed.ts`, ADR 0005): one reader
 * with `XREAD` from its own position (no consumer group: pattern state must
 * see a point's data in order), on a connection of its own since the read
 * blocks. Decodes entries into the engine's raw observations.
 */
import type { Redis } from 'ioredis';
import { decodeEntry, type FeedEntry } from '../../core/feed.ts';
import { feedKey } from '../../core/redis-keys.ts';
import type { RawObservation } from './engine.ts';

/** One stream entry as `XREAD` returns it: id and flat field/value list. */
export type StreamEntry = [id: string, fields: string[]];

/** Orders Redis stream ids (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

/** The feed entry in an entry's field `m`, or undefined when missing or malformed. */
export function decodeFields(fields: string[]): FeedEntry | undefined {
  const text = fields[fields.indexOf('m') + 1];
  return text === undefined ? undefined : decodeEntry(text);
}

/** The observations of one feed entry, as the engine takes them. */
export function toRaw(entry: FeedEntry): RawObservation[] {
  if (entry.k === 's') return [{ type: 'gateway', enterpriseId: entry.e, gatewayId: entry.g, state: entry.s, reason: entry.r, ts: entry.t }];
  return entry.i.map((it): RawObservation =>
    it[0] === 'r'
      ? { type: 'reading', enterpriseId: entry.e, pointId: it[1], value: it[2], quality: it[3], ts: it[4] }
      : { type: 'signal', enterpriseId: entry.e, pointId: it[1], state: it[2], ts: it[3] },
  );
}

export class FeedReader {
  private readonly key: string;

  /** `reader`: a dedicated connection (the read blocks it); `command`: the shared one, for the stream's info. */
  constructor(
    private readonly reader: Redis,
    private readonly command: Redis,
    redisPrefix: string,
    partition = 0,
  ) {
    this.key = feedKey(redisPrefix, partition);
  }

  /** Up to `count` entries after `lastId`, waiting up to `blockMs` when there are none. */
  async read(lastId: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    const res = await this.reader.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.key, lastId);
    return res?.[0]?.[1] ?? [];
  }

  /** The id of the last entry appended so far ('0-0' when there is no stream). */
  lastGeneratedId(): Promise<string> {
    return this.command.xinfo('STREAM', this.key).then(
      (info) => {
        const arr = info as unknown[];
        const i = arr.indexOf('last-generated-id');
        return String(arr[i + 1]);
      },
      () => '0-0',
    );
  }

  /** Closes the reader's connection, which interrupts a blocking read. */
  close(): void {
    this.reader.disconnect();
  }
}
