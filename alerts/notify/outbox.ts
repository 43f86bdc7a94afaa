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

/** An event as the dispatcher sees it: the stored fields notifications need. */
export interface OutboxEvent extends Pick<
  AlertEvent,
  'alertId' | 'enterpriseId' | 'type' | 'at' | 'actor' | 'from' | 'to' | 'severity' | 'reason' | 'detail' | 'note' | 'escalation'
> {
  seq: number;
  /** When the row was written (database clock), ms. */
  recordedAt: number;
}

interface Row {
  seq: string | number;
  alert_id: string;
  enterprise_id: string;
  type: AlertEvent['type'];
  at: Date | string;
  actor: AlertEvent['actor'];
  from_state: AlertEvent['from'];
  to_state: AlertEvent['to'];
  severity: AlertEvent['severity'];
  reason: AlertEvent['reason'];
  detail: string;
  note: string | null;
  extra: { escalation?: AlertEvent['escalation'] } | null;
  recorded_at: Date | string;
}

const ms = (d: Date | string): number => new Date(d).getTime();

/** Up to `limit` events with `seq > after`, in seq order. */
export async function readEventsAfter(db: Queryable, after: number, limit: number): Promise<OutboxEvent[]> {
  const { rows } = await db.query<Row>(
    `SELECT seq, alert_id, enterprise_id, type, at, actor, from_state, to_state, severity, reason, detail, note, extra, recorded_at
       FROM alert_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
    [after, limit],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    alertId: r.alert_id,
    enterpriseId: r.enterprise_id,
    type: r.type,
    at: ms(r.at),
    actor: r.actor,
    from: r.from_state,
    to: r.to_state,
    severity: r.severity,
    reason: r.reason,
    detail: r.detail,
    ...(r.note !== null && { note: r.note }),
    ...(r.extra?.escalation !== undefined && { escalation: r.extra.escalation }),
    recordedAt: ms(r.recorded_at),
  }));
}

/** The alerts with these ids, as they are now. */
export async function readAlerts(db: Queryable, ids: readonly string[]): Promise<Map<string, Alert>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ data: Alert }>('SELECT data FROM alerts WHERE id = ANY($1::text[])', [[...ids]]);
  return new Map(rows.map((r) => [r.data.id, r.data]));
}
