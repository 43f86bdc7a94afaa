/**
 * Read side of the alerts for the API: listing with filters and keyset
 * pagination, single alerts and the event feed, all limited to a
 * jurisdiction. Writes go through `apply.ts` / `store.ts`.
 *
 * Jurisdiction: `core/jurisdiction.ts`.
 *
 * The event feed relies on `AlertStore.appendEvents` taking an advisory lock
 * before its inserts: event seqs are then assigned and committed in order, so
 * once seq N is visible every lower seq that will ever commit is visible too,
 * and a reader that advances its cursor to the highest visible seq skips nothing.
 */
import type { Queryable } from '../core/db/db.ts';
import { Params, scopeSql, whereAll as where, type Scope } from '../core/jurisdiction.ts';
import { ACTIVE_STATES, type Alert, type AlertState } from './state/index.ts';
import { eventColumns, eventFromRow, type EventRow, type StoredAlertEvent } from './store.ts';
import type { Severity } from './types.ts';

export type { Scope } from '../core/jurisdiction.ts';

/** Keyset position: alerts are ordered by `startedAt` desc, then `id` desc. */
export interface AlertCursor {
  startedAt: number;
  id: string;
}

export interface AlertFilter {
  states?: AlertState[] | undefined;
  severities?: Severity[] | undefined;
  enterpriseId?: string | undefined;
  ruleId?: string | undefined;
  /** true: pending/firing/acknowledged only; false: resolved/disposed only. */
  active?: boolean | undefined;
  /**
   * Include alerts that never fired (pending, or cleared within their hold).
   * Default false: lists for duty officers show only alerts with a `firedAt` (alerts/state/README.md).
   */
  includeUnfired?: boolean | undefined;
  /** true: only shelved (搁置, `shelvedUntil` set) alarms; false: only the others; absent: both. */
  shelved?: boolean | undefined;
  /** `startedAt >= from` (epoch ms). */
  from?: number | undefined;
  /** `startedAt < to` (epoch ms). */
  to?: number | undefined;
  /** Only alerts after this position (the previous page's `next`). */
  before?: AlertCursor | undefined;
  limit: number;
}

export interface AlertPage {
  alerts: Alert[];
  /** Position to pass as `before` for the next page; absent on the last page. */
  next?: AlertCursor | undefined;
}

/** An alert without its evidence observations: what lists and the live stream carry. */
export type AlertSummary = Omit<Alert, 'evidence'>;
export const summaryOf = (a: Alert): AlertSummary => {
  const { evidence: _evidence, ...rest } = a;
  void _evidence;
  return rest;
};

/** One event of the feed with its alert as it is now. */
export interface FeedEvent extends StoredAlertEvent {
  alert: Alert;
}

/** Events an officer's feed leaves out unless asked: the phase before an alert fires (not notified). */
const UNFIRED_EVENT = `(e.to_state = 'pending' OR e.type = 'discarded')`;

export class AlertQueries {
  constructor(private readonly db: Queryable) {}

  /** One page of alerts in `scope`, newest `startedAt` first. */
  async list(scope: Scope, f: AlertFilter): Promise<AlertPage> {
    const p = new Params();
    const s = scopeSql(scope, p, 'a.enterprise_id');
    const active = `a.state IN (${ACTIVE_STATES.map((x) => `'${x}'`).join(', ')})`;
    const conds = [
      s.cond,
      f.states?.length ? `a.state = ANY(${p.add(f.states)}::text[])` : undefined,
      f.severities?.length ? `a.severity = ANY(${p.add(f.severities)}::text[])` : undefined,
      f.enterpriseId !== undefined ? `a.enterprise_id = ${p.add(f.enterpriseId)}` : undefined,
      f.ruleId !== undefined ? `a.rule_id = ${p.add(f.ruleId)}` : undefined,
      f.active === undefined ? undefined : f.active ? active : `NOT ${active}`,
      f.includeUnfired ? undefined : 'a.fired_at IS NOT NULL',
      f.shelved === undefined ? undefined : f.shelved ? `a.data ? 'shelvedUntil'` : `NOT a.data ? 'shelvedUntil'`,
      f.from !== undefined ? `a.started_at >= ${p.add(new Date(f.from))}` : undefined,
      f.to !== undefined ? `a.started_at < ${p.add(new Date(f.to))}` : undefined,
      f.before ? `(a.started_at, a.id) < (${p.add(new Date(f.before.startedAt))}::timestamptz, ${p.add(f.before.id)}::text)` : undefined,
    ];
    const { rows } = await this.db.query<{ data: Alert }>(
      `${s.cte}SELECT a.data FROM alerts a ${where(conds)} ORDER BY a.started_at DESC, a.id DESC LIMIT ${p.add(f.limit + 1)}`,
      p.values,
    );
    const alerts = rows.slice(0, f.limit).map((r) => r.data);
    const last = alerts[alerts.length - 1];
    return { alerts, next: rows.length > f.limit && last ? { startedAt: last.startedAt, id: last.id } : undefined };
  }

  /** The alert if it exists and is in `scope`; undefined otherwise (the caller cannot tell which). */
  async get(scope: Scope, id: string): Promise<Alert | undefined> {
    const p = new Params();
    const s = scopeSql(scope, p, 'a.enterprise_id');
    const { rows } = await this.db.query<{ data: Alert }>(`${s.cte}SELECT a.data FROM alerts a ${where([`a.id = ${p.add(id)}`, s.cond])}`, p.values);
    return rows[0]?.data;
  }

  /** The highest event seq committed so far (0 when there is none). */
  async lastSeq(): Promise<number> {
    const { rows } = await this.db.query<{ seq: string | number | null }>('SELECT max(seq) AS seq FROM alert_events');
    return Number(rows[0]?.seq ?? 0);
  }

  /**
   * Events in `scope` with `after < seq <= upTo`, oldest first, at most
   * `limit`, each with its alert's current record. Pass `upTo = lastSeq()`
   * read beforehand: when fewer than `limit` come back, everything up to
   * `upTo` has been seen and the cursor may move there.
   */
  async eventsAfter(scope: Scope, after: number, upTo: number, opts: { limit: number; includeUnfired?: boolean | undefined }): Promise<FeedEvent[]> {
    const p = new Params();
    const s = scopeSql(scope, p, 'e.enterprise_id');
    const conds = [`e.seq > ${p.add(after)}`, `e.seq <= ${p.add(upTo)}`, s.cond, opts.includeUnfired ? undefined : `NOT ${UNFIRED_EVENT}`];
    const { rows } = await this.db.query<FeedRow>(
      `${s.cte}SELECT ${eventColumns('e.')}, a.data AS alert
         FROM alert_events e JOIN alerts a ON a.id = e.alert_id ${where(conds)} ORDER BY e.seq LIMIT ${p.add(opts.limit)}`,
      p.values,
    );
    return rows.map(fromRow);
  }
}

interface FeedRow extends EventRow {
  alert: Alert;
}

/** The store's mapping (`eventFromRow`), plus the joined alert. */
const fromRow = (r: FeedRow): FeedEvent => ({ ...eventFromRow(r), alert: r.alert });
