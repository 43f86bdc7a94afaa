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
import { partitionOf } from './partitions.ts';
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
  /**
   * Replicas that must confirm a data entry (Redis `WAIT`) before `data()` resolves (config `redisReplicasToAck`).
   * 0 (default): resolves once the master has it.
   */
  replicasToAck?: number;
  /** How long `data()` waits for them before it rejects with `FeedReplicationError` (config `redisAckTimeoutMs`). Default 1000 ms. */
  ackTimeoutMs?: number;
  /** Called with the seconds from an append to its replicas' confirmation. */
  onReplicated?: (seconds: number) => void;
  /** Partitions of the enterprises (config `rules.partitions`): each entry goes to its enterprise's stream. Default 1. */
  partitions?: number;
}

/**
 * A data entry the master took but not enough replicas confirmed in time (`timeout`), or whose connection dropped
 * between the append and the confirmation (`reconnected`: a `WAIT` on a new connection, perhaps to a new master,
 * says nothing about the entry). A failover could lose it, so the message is not acknowledged; the gateway
 * re-sends it (a duplicate in the feed is harmless: at-least-once).
 */
export class FeedReplicationError extends Error {
  constructor(
    readonly reason: 'timeout' | 'reconnected',
    message: string,
  ) {
    super(message);
    this.name = 'FeedReplicationError';
  }
}

/**
 * Appends to the feed. `data()` resolves once Redis has the entry (AOF persistence is the Redis server's
 * configuration) and, with `replicasToAck`, once that many replicas have it too: Redis replicates
 * asynchronously, so without it a failover right after the append could lose an entry whose message the
 * gateway was told is stored.
 *
 * `WAIT` covers every write its connection made before it, and it blocks that connection (the appends behind it
 * queue in Redis), so the waits are grouped: one `WAIT` in flight at a time, and every append that completes
 * meanwhile shares the next one — a round trip to the replicas per group, not per message.
 */
export class FeedWriter {
  private readonly keys: string[];
  private readonly maxLen: number;
  private readonly replicas: number;
  private readonly ackTimeoutMs: number;
  /** Counts the connection's closes: an append and its WAIT must have seen the same connection. */
  private connection = 0;
  private inflight: Promise<number> | undefined;
  private next: Promise<number> | undefined;

  constructor(
    private readonly redis: Redis,
    redisPrefix: string,
    private readonly opts: FeedWriterOptions = {},
  ) {
    this.keys = Array.from({ length: opts.partitions ?? 1 }, (_, p) => feedKey(redisPrefix, p));
    this.maxLen = opts.maxLen ?? 1_000_000;
    this.replicas = opts.replicasToAck ?? 0;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 1000;
    if (this.replicas > 0) redis.on('close', () => this.connection++);
  }

  async data(enterpriseId: string, gatewayId: string, items: readonly FeedItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.append(enterpriseId, encodeData(enterpriseId, gatewayId, items));
  }

  /**
   * A gateway's online/offline transition; with `replicasToAck`, confirmed by the replicas like a data entry (the
   * status tracker retries a rejected one: at-least-once, a repeated transition changes nothing for the rules).
   */
  async status(enterpriseId: string, gatewayId: string, state: 'online' | 'offline', reason: string, at: number): Promise<void> {
    await this.append(enterpriseId, encodeStatus(enterpriseId, gatewayId, state, reason, at));
  }

  private async append(enterpriseId: string, entry: string): Promise<void> {
    const connection = this.connection;
    const started = performance.now();
    await this.redis.xadd(this.keyOf(enterpriseId), 'MAXLEN', '~', this.maxLen, '*', 'm', entry);
    if (this.replicas === 0) return;
    // sent after the XADD's reply: on the same connection it covers the entry
    const acked = await this.waitForReplicas();
    if (this.connection !== connection) {
      throw new FeedReplicationError('reconnected', 'the Redis connection dropped before the replicas confirmed the rules-feed entry; not acknowledged');
    }
    if (acked < this.replicas) {
      throw new FeedReplicationError(
        'timeout',
        `only ${acked} of ${this.replicas} Redis replicas (redisReplicasToAck) confirmed the rules-feed entry within ${this.ackTimeoutMs} ms (redisAckTimeoutMs); not acknowledged`,
      );
    }
    this.opts.onReplicated?.((performance.now() - started) / 1000);
  }

  private keyOf(enterpriseId: string): string {
    return this.keys[partitionOf(enterpriseId, this.keys.length)]!;
  }

  /** A WAIT sent after this call: the one not yet sent if there is one, else a new one (after the one in flight). */
  private waitForReplicas(): Promise<number> {
    if (!this.inflight) return this.sendWait();
    this.next ??= this.inflight
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.sendWait();
      });
    return this.next;
  }

  private sendWait(): Promise<number> {
    const sent = this.redis.wait(this.replicas, this.ackTimeoutMs);
    this.inflight = sent;
    const done = () => {
      if (this.inflight === sent) this.inflight = undefined;
    };
    sent.then(done, done);
    return sent;
  }
}
