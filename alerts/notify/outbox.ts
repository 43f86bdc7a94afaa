/**
 * `alert_events` read as an outbox: the events after a sequence number, in
 * order, and the alerts they belong to.
 *
 * Reading `seq > cursor` in order is gap-safe because `AlertStore` appends
 * under a transaction-scoped advisory lock: a writer draws its seqs only
 * after the previous writer committed, so a smaller seq never becomes
 * visible after a larger one (rolled-back transactions leave gaps, which are
 * harmless).
 */
import type { Queryable } from '../../core/db/db.ts';
import type { Alert, AlertEvent } from '../state/index.ts';
import { eventColumns, eventFromRow, type EventRow } from '../store.ts';

/** An event as the dispatcher sees it: the stored fields notifications need. */
export interface OutboxEvent extends Pick<
  AlertEvent,
  'alertId' | 'enterpriseId' | 'type' | 'at' | 'actor' | 'from' | 'to' | 'severity' | 'reason' | 'detail' | 'note' | 'escalation'
> {
  seq: number;
  /** When the row was written (database clock), ms. */
  recordedAt: number;
}

/** Up to `limit` events with `seq > after`, in seq order (mapped by the store's `eventFromRow`). */
export async function readEventsAfter(db: Queryable, after: number, limit: number): Promise<OutboxEvent[]> {
  const { rows } = await db.query<EventRow & { recorded_at: Date | string }>(
    `SELECT ${eventColumns()}, recorded_at FROM alert_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
    [after, limit],
  );
  return rows.map((r) => ({ ...eventFromRow(r), recordedAt: new Date(r.recorded_at).getTime() }));
}

/** The alerts with these ids, as they are now. */
export async function readAlerts(db: Queryable, ids: readonly string[]): Promise<Map<string, Alert>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ data: Alert }>('SELECT data FROM alerts WHERE id = ANY($1::text[])', [[...ids]]);
  return new Map(rows.map((r) => [r.data.id, r.data]));
}
