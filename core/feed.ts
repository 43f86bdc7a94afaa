/**
 * The ingest → rules contract (the rules worker's feed): a Redis stream that ingest appends every stored
 * message to *before* the gateway gets its PUBACK, and every gateway
 * online/offline transition. So what a gateway was told is stored is also
 * queued for the rules, in the order it was stored; the worker reads it from
 * the position of its last snapshot and trims it behind that snapshot.
 * At-least-once: a message re-sent after a lost PUBACK appears twice, which
 * the patterns ignore (a reading not newer than the last one seen changes nothing).
 *
 * Entry format (one field `m`, compact JSON):
 *   data:   { k: 'd', e, g, i: [['r', pointId, value, quality, ts] | ['s', pointId, state, ts], …] }
 *   status: { k: 's', e, g, s: 'online' | 'offline', r: reason, t: ts }
 */
import type { Redis } from 'ioredis';
import { QUALITIES as QUALITY_NAMES, type Quality } from './contract.ts';
import { feedKey } from './redis-keys.ts';

/** What ingest hands the feed for each stored item (ingest's decoded `Normalised` items fit it). */
export type FeedItem =
  | { type: 'reading'; point: { id: string }; value: number; quality: Quality; ts: number }
  | { type: 'signal'; point: { id: string }; state: string; ts: number };

export { feedKey };

type ReadingItem = ['r', string, number, Quality, number];
type SignalItem = ['s', string, string, number];
export type FeedEntry =
  { k: 'd'; e: string; g: string; i: (ReadingItem | SignalItem)[] } | { k: 's'; e: string; g: string; s: 'online' | 'offline'; r: string; t: number };

export function encodeData(enterpriseId: string, gatewayId: string, items: readonly FeedItem[]): string {
  const i = items.map((it): ReadingItem | SignalItem =>
    it.type === 'reading' ? ['r', it.point.id, it.value, it.quality, it.ts] : ['s', it.point.id, it.state, it.ts],
  );
  return JSON.stringify({ k: 'd', e: enterpriseId, g: gatewayId, i } satisfies FeedEntry);
}

export const encodeStatus = (enterpriseId: string, gatewayId: string, state: 'online' | 'offline', reason: string, at: number): string =>
  JSON.stringify({ k: 's', e: enterpriseId, g: gatewayId, s: state, r: reason, t: at } satisfies FeedEntry);

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const QUALITIES: readonly unknown[] = QUALITY_NAMES;

/** Parses an entry; `undefined` for anything malformed (logged and skipped by the worker, never thrown). */
export function decodeEntry(text: string): FeedEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (!isStr(o.e) || !isStr(o.g)) return undefined;
  if (o.k === 's') {
    return (o.s === 'online' || o.s === 'offline') && isStr(o.r) && isNum(o.t) ? { k: 's', e: o.e, g: o.g, s: o.s, r: o.r, t: o.t } : undefined;
  }
  if (o.k !== 'd' || !Array.isArray(o.i)) return undefined;
  const items: (ReadingItem | SignalItem)[] = [];
  for (const it of o.i as unknown[]) {
    if (!Array.isArray(it)) return undefined;
    if (it[0] === 'r' && it.length === 5 && isStr(it[1]) && isNum(it[2]) && QUALITIES.includes(it[3]) && isNum(it[4])) items.push(it as ReadingItem);
    else if (it[0] === 's' && it.length === 4 && isStr(it[1]) && isStr(it[2]) && isNum(it[3])) items.push(it as SignalItem);
    else return undefined;
  }
  return { k: 'd', e: o.e, g: o.g, i: items };
}

export interface FeedWriterOptions {
  /** Approximate cap on entries kept for a worker that is down (oldest dropped beyond it, and counted). Default 1,000,000. */
  maxLen?: number;
}

/** Appends to the feed. Resolves once Redis has the entry (AOF persistence is the Redis server's configuration). */
export class FeedWriter {
  private readonly key: string;
  private readonly maxLen: number;

  constructor(
    private readonly redis: Redis,
    redisPrefix: string,
    opts: FeedWriterOptions = {},
  ) {
    this.key = feedKey(redisPrefix);
    this.maxLen = opts.maxLen ?? 1_000_000;
  }

  async data(enterpriseId: string, gatewayId: string, items: readonly FeedItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.redis.xadd(this.key, 'MAXLEN', '~', this.maxLen, '*', 'm', encodeData(enterpriseId, gatewayId, items));
  }

  async status(enterpriseId: string, gatewayId: string, state: 'online' | 'offline', reason: string, at: number): Promise<void> {
    await this.redis.xadd(this.key, 'MAXLEN', '~', this.maxLen, '*', 'm', encodeStatus(enterpriseId, gatewayId, state, reason, at));
  }
}
