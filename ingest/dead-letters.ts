/**
 * The dead-letter store: every refused message or item, with its reason, in
 * PostgreSQL. A dead letter is stored before the message is acknowledged, so
 * "acknowledged" still means "nothing lost": valid items are in InfluxDB,
 * invalid ones are here. Inserts are grouped (one multi-row INSERT per tick)
 * so a flood of bad messages costs few round trips.
 */
import type { Queryable } from '../core/db/db.ts';
import type { Logger } from '../core/logger.ts';

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

export class DeadLetterStore {
  private queue: { dl: DeadLetter; resolve: () => void; reject: (e: Error) => void }[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly logger: Logger,
    private readonly opts: { maxPayloadBytes: number; maxRowsPerInsert?: number } = { maxPayloadBytes: 256 * 1024 },
  ) {}

  add(dl: DeadLetter): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ dl, resolve, reject });
      this.flushing ??= Promise.resolve().then(() => this.drain());
    });
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
