/**
 * The dead-letter store: every refused message or item, with its reason, in
 * PostgreSQL. A dead letter is stored before the message is acknowledged, so
 * "acknowledged" still means "nothing lost": valid items are in InfluxDB,
 * invalid ones are here. Inserts are grouped (one multi-row INSERT per tick)
 * so a flood of bad messages costs few round trips.
 *
 * Bounded (issue #15 item 6): at most `cap.rows` dead letters per gateway
 * and window are stored (`dead-letter-cap.ts`); the excess is counted in
 * `nss_ingest_dead_letters_dropped_total{reason}` and reported in one log
 * line per gateway and window ('dead letters dropped over the cap'). A
 * dropped dead letter still lets its message be acknowledged: its item was
 * refused either way, and the stored ones of the window say why. Rows older
 * than the retention are deleted by `expire` (the ingest part runs it).
 */
import type { Queryable } from '../core/db/db.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import { DeadLetterCap, type DeadLetterCapOptions, type DroppedSummary } from './dead-letter-cap.ts';

export interface DeadLetter {
  receivedAt: number;
  clientId: string;
  enterpriseId?: string | undefined;
  gatewayId?: string | undefined;
  topic: string;
  reasonCode: string;
  reason: string;
  itemIndex?: number | undefined;
  /** The whole payload (whole-message rejections) or the offending item. */
  payload: unknown;
}

/** Stores a payload as text: UTF-8 when it is, `base64:` otherwise (PostgreSQL text cannot hold NUL). */
export function payloadText(payload: unknown, maxBytes: number): string {
  if (payload instanceof Uint8Array) {
    const buf = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, maxBytes));
    const text = buf.toString('utf8');
    if (!text.includes('\uFFFD') && !text.includes('\0')) return text;
    return `base64:${buf.toString('base64')}`;
  }
  const json = Buffer.from(JSON.stringify(payload) ?? 'undefined', 'utf8');
  if (json.length <= maxBytes) return json.toString('utf8');
  // cut at a character boundary so the text stays valid UTF-8 and within maxBytes
  let end = maxBytes;
  while (end > 0 && ((json[end] as number) & 0xc0) === 0x80) end--;
  return json.subarray(0, end).toString('utf8');
}

export interface DeadLetterStoreOptions {
  maxPayloadBytes: number;
  maxRowsPerInsert?: number | undefined;
  /** Per-gateway cap; absent: unbounded (unit tests of the insert path only). */
  cap?: DeadLetterCapOptions | undefined;
}

/** A stored dead letter as the API lists it (`GET /api/v1/dead-letters`): the row's columns under their API names. */
export interface StoredDeadLetter {
  id: string | number;
  receivedAt: Date;
  clientId: string;
  enterpriseId: string | null;
  gatewayId: string | null;
  topic: string;
  reasonCode: string;
  reason: string;
  itemIndex: number | null;
  payload: string;
}

/** The newest dead letters first, `limit` of them, of one gateway if given. */
export async function listDeadLetters(db: Queryable, q: { gatewayId?: string | undefined; limit: number }): Promise<StoredDeadLetter[]> {
  const { rows } = await db.query<StoredDeadLetter>(
    `SELECT id, received_at AS "receivedAt", client_id AS "clientId", enterprise_id AS "enterpriseId", gateway_id AS "gatewayId",
            topic, reason_code AS "reasonCode", reason, item_index AS "itemIndex", payload
       FROM dead_letters ${q.gatewayId ? 'WHERE gateway_id = $2' : ''} ORDER BY id DESC LIMIT $1`,
    q.gatewayId ? [q.limit, q.gatewayId] : [q.limit],
  );
  return rows;
}

/** Rows deleted per statement when expiring, so one expiry never holds a long lock. */
const EXPIRE_BATCH = 5000;

export class DeadLetterStore {
  private queue: { dl: DeadLetter; resolve: () => void; reject: (e: Error) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private readonly cap: DeadLetterCap | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly logger: Logger,
    private readonly opts: DeadLetterStoreOptions = { maxPayloadBytes: 256 * 1024 },
    private readonly metrics?: Pick<Metrics, 'deadLettersDropped'>,
  ) {
    this.cap = opts.cap ? new DeadLetterCap(opts.cap) : undefined;
  }

  /** Stores the dead letter (resolves `'stored'` once it is in PostgreSQL), or counts it as `'dropped'` over the gateway's cap. */
  add(dl: DeadLetter): Promise<'stored' | 'dropped'> {
    if (this.cap) {
      const key = dl.gatewayId ?? `client:${dl.clientId}`;
      const { verdict, closed } = this.cap.admit(key, dl.reasonCode, dl.receivedAt);
      this.report(closed);
      if (!verdict.store) {
        this.metrics?.deadLettersDropped.inc({ reason: dl.reasonCode });
        if (verdict.firstDropInWindow)
          this.logger.warn(
            { clientId: dl.clientId, enterpriseId: dl.enterpriseId, gatewayId: dl.gatewayId, cap: this.cap.opts.rows, windowMs: this.cap.opts.windowMs },
            'dead-letter cap reached: further dead letters of this gateway in this window are counted, not stored',
          );
        return Promise.resolve('dropped');
      }
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ dl, resolve: () => resolve('stored'), reject });
      this.flushing ??= Promise.resolve().then(() => this.drain());
    });
  }

  /** Logs the windows that are over at `now` and dropped something (`all`: every window, e.g. at shutdown). */
  reportDropped(now: number, all = false): DroppedSummary[] {
    const closed = this.cap?.sweep(now, all) ?? [];
    this.report(closed);
    return closed;
  }

  private report(closed: readonly DroppedSummary[]): void {
    for (const s of closed)
      this.logger.warn(
        {
          gatewayId: s.key,
          windowStart: new Date(s.windowStart).toISOString(),
          windowEnd: new Date(s.windowEnd).toISOString(),
          stored: s.stored,
          dropped: s.dropped,
          byReason: s.byReason,
        },
        'dead letters dropped over the cap',
      );
  }

  /** Deletes dead letters received before `before` (epoch ms), in batches; returns how many. */
  async expire(before: number): Promise<number> {
    let total = 0;
    for (;;) {
      const { rows } = await this.db.query<{ id: string }>(
        `DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE received_at < $1 ORDER BY received_at LIMIT ${EXPIRE_BATCH}) RETURNING id`,
        [new Date(before)],
      );
      total += rows.length;
      if (rows.length < EXPIRE_BATCH) return total;
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const chunk = this.queue.splice(0, this.opts.maxRowsPerInsert ?? 200);
        const params: unknown[] = [];
        const rows = chunk.map(({ dl }, i) => {
          params.push(
            new Date(dl.receivedAt),
            dl.clientId,
            dl.enterpriseId ?? null,
            dl.gatewayId ?? null,
            dl.topic,
            dl.reasonCode,
            dl.reason,
            dl.itemIndex ?? null,
            payloadText(dl.payload, this.opts.maxPayloadBytes),
          );
          const b = i * 9;
          return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}, $${b + 9})`;
        });
        try {
          await this.db.query(
            `INSERT INTO dead_letters (received_at, client_id, enterprise_id, gateway_id, topic, reason_code, reason, item_index, payload) VALUES ${rows.join(', ')}`,
            params,
          );
          for (const c of chunk) c.resolve();
        } catch (err) {
          this.logger.error({ err }, 'could not store dead letters');
          for (const c of chunk) c.reject(err as Error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
