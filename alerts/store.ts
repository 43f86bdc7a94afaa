/**
 * Persistence of the alert lifecycle in PostgreSQL (PGlite or a server).
 *
 * - `alerts`: one row per alert (episode), the full record as JSON plus
 *   indexed columns; a partial unique index keeps one active alert per
 *   fingerprint, and a revision number makes concurrent writers fail loudly
 *   instead of overwriting each other.
 * - `alert_events`: append-only (a trigger refuses UPDATE/DELETE); each row
 *   carries the hash of the previous one, so any edit of the history breaks
 *   the chain (`verifyChain`).
 * - `alert_evidence`: the observations that raised an alert, stored once by
 *   the SHA-256 of their canonical JSON, and append-only: the evidence survives
 *   even if the time series is overwritten later (domain rule 7).
 *
 * `save` writes an alert and its events in one transaction.
 */
import { canonicalJson, contentHash } from '../core/canonical-json.ts';
import { chainHash, GENESIS_HASH as CHAIN_GENESIS, verifyChain } from '../core/hash-chain.ts';
import type { Db, Queryable } from '../core/db/db.ts';
import { ADVISORY_LOCKS } from '../core/db/locks.ts';
import { AppError } from '../core/errors.ts';
import type { Alert, AlertEvent, TransitionResult } from './state/index.ts';

/** The hash the first event of the chain refers to. */
export const GENESIS_HASH = CHAIN_GENESIS;

export interface StoredAlertEvent extends Omit<AlertEvent, 'evidence'> {
  seq: number;
  evidenceHash?: string | undefined;
  prevHash: string;
  hash: string;
}

interface AlertRow {
  data: Alert;
  rev: number;
}

/** What an event's hash covers: every field of the record except its own hash, plus the previous hash (core/hash-chain.ts). */
const eventHash = (prevHash: string, record: Record<string, unknown>): string => chainHash(prevHash, record);

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms));

export class AlertStore {
  /** Revisions of the alerts this store last read or wrote, for optimistic concurrency. */
  private readonly revs = new Map<string, number>();

  /**
   * `fence`: run first in every write's transaction; it throws to refuse the write (the rules' store: their lease's
   * fencing token must still be current, alerts/worker/lease.ts).
   */
  constructor(
    private readonly db: Db,
    private readonly fence?: (tx: Queryable) => Promise<void>,
  ) {}

  /** The fingerprint's active alert, else its most recent one, else undefined. */
  async current(fingerprint: string): Promise<Alert | undefined> {
    const { rows } = await this.db.query<AlertRow & { id: string }>(
      `SELECT id, data, rev FROM alerts WHERE fingerprint = $1
        ORDER BY (state IN ('pending', 'firing', 'acknowledged')) DESC, started_at DESC LIMIT 1`,
      [fingerprint],
    );
    const r = rows[0];
    if (!r) return undefined;
    this.revs.set(r.id, r.rev);
    return r.data;
  }

  async get(id: string): Promise<Alert | undefined> {
    const { rows } = await this.db.query<AlertRow>('SELECT data, rev FROM alerts WHERE id = $1', [id]);
    const r = rows[0];
    if (!r) return undefined;
    this.revs.set(id, r.rev);
    return r.data;
  }

  /** Active alerts (pending, firing, acknowledged), optionally of one enterprise. */
  async active(enterpriseId?: string): Promise<Alert[]> {
    return this.activeWhere(enterpriseId ? 'enterprise_id' : undefined, enterpriseId);
  }

  /** Active alerts of one rule (e.g. the worker's own `common.loose_limit`). */
  async activeOfRule(ruleId: string): Promise<Alert[]> {
    return this.activeWhere('rule_id', ruleId);
  }

  private async activeWhere(column: 'enterprise_id' | 'rule_id' | undefined, value: string | undefined): Promise<Alert[]> {
    const { rows } = await this.db.query<AlertRow & { id: string }>(
      `SELECT id, data, rev FROM alerts WHERE state IN ('pending', 'firing', 'acknowledged') ${column ? `AND ${column} = $1` : ''} ORDER BY started_at`,
      column ? [value] : [],
    );
    for (const r of rows) this.revs.set(r.id, r.rev);
    return rows.map((r) => r.data);
  }

  /**
   * Persists a transition: the new alert (insert or revision-checked update),
   * its events appended to the hash chain, their evidence snapshotted. A
   * no-op result (same object, no events) writes nothing.
   */
  async save(before: Alert | undefined, result: TransitionResult): Promise<{ seqs: number[] }> {
    const after = result.alert;
    if (!after || (after === before && result.events.length === 0)) return { seqs: [] };
    return this.db.transaction(async (tx) => {
      await this.fence?.(tx);
      await this.writeAlert(tx, before, after);
      return { seqs: result.events.length > 0 ? await this.appendEvents(tx, result.events) : [] };
    });
  }

  private async writeAlert(tx: Queryable, before: Alert | undefined, a: Alert): Promise<void> {
    const cols = [
      a.fingerprint,
      a.ruleId,
      a.ruleVersion,
      a.enterpriseId,
      a.subject,
      a.severity,
      a.state,
      iso(a.startedAt),
      iso(a.firedAt),
      iso(a.resolvedAt),
      JSON.stringify(a),
    ];
    const known = this.revs.get(a.id);
    if (!before || before.id !== a.id || known === undefined) {
      try {
        await tx.query(
          `INSERT INTO alerts (id, fingerprint, rule_id, rule_version, enterprise_id, subject, severity, state, started_at, fired_at, resolved_at, data, rev)
           VALUES ($12, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, 1)`,
          [...cols, a.id],
        );
      } catch (err) {
        if ((err as { code?: string }).code === '23505') {
          throw new AppError('CONFLICT', `another active alert already holds fingerprint ${a.fingerprint}`, { cause: err });
        }
        throw err;
      }
      this.revs.set(a.id, 1);
      return;
    }
    const { rows } = await tx.query<{ rev: number }>(
      `UPDATE alerts SET fingerprint = $1, rule_id = $2, rule_version = $3, enterprise_id = $4, subject = $5, severity = $6, state = $7,
              started_at = $8, fired_at = $9, resolved_at = $10, data = $11::jsonb, rev = rev + 1, updated_at = now()
        WHERE id = $12 AND rev = $13 RETURNING rev`,
      [...cols, a.id, known],
    );
    if (!rows[0]) throw new AppError('CONFLICT', `alert ${a.id} was changed by someone else; reload and retry`);
    this.revs.set(a.id, rows[0].rev);
  }

  /** Appends the events; returns their sequence numbers. */
  private async appendEvents(tx: Queryable, events: AlertEvent[]): Promise<number[]> {
    const seqs: number[] = [];
    // One writer at a time extends the chain.
    await tx.query(`SELECT pg_advisory_xact_lock(${ADVISORY_LOCKS.alertEvents})`);
    const last = await tx.query<{ hash: string }>('SELECT hash FROM alert_events ORDER BY seq DESC LIMIT 1');
    let prevHash = last.rows[0]?.hash ?? GENESIS_HASH;
    for (const e of events) {
      let evidenceHash: string | undefined;
      if (e.evidence && e.evidence.length > 0) {
        evidenceHash = contentHash(e.evidence);
        await tx.query('INSERT INTO alert_evidence (hash, content) VALUES ($1, $2::jsonb) ON CONFLICT (hash) DO NOTHING', [
          evidenceHash,
          canonicalJson(e.evidence),
        ]);
      }
      const record = eventRecord(e, evidenceHash);
      const hash = eventHash(prevHash, record);
      const { rows } = await tx.query<{ seq: string | number }>(
        `INSERT INTO alert_events (alert_id, fingerprint, enterprise_id, type, at, actor, from_state, to_state, severity, reason, detail, note, extra, evidence_hash, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16) RETURNING seq`,
        [
          e.alertId,
          e.fingerprint,
          e.enterpriseId,
          e.type,
          new Date(e.at),
          e.actor,
          e.from,
          e.to,
          e.severity,
          e.reason,
          e.detail,
          e.note ?? null,
          record.extra === undefined ? null : JSON.stringify(record.extra),
          evidenceHash ?? null,
          prevHash,
          hash,
        ],
      );
      seqs.push(Number(rows[0]!.seq));
      prevHash = hash;
    }
    return seqs;
  }

  /** The alert's events in order. */
  async events(alertId: string): Promise<StoredAlertEvent[]> {
    const { rows } = await this.db.query<EventRow>(`${EVENT_SELECT} WHERE alert_id = $1 ORDER BY seq`, [alertId]);
    return rows.map(eventFromRow);
  }

  /** The snapshotted evidence with this hash, verified against it. */
  async evidence(hash: string): Promise<unknown[] | undefined> {
    const { rows } = await this.db.query<{ content: unknown[] }>('SELECT content FROM alert_evidence WHERE hash = $1', [hash]);
    const content = rows[0]?.content;
    if (content === undefined) return undefined;
    if (contentHash(content) !== hash) throw new AppError('CONFLICT', `evidence ${hash} does not match its hash`);
    return content;
  }

  /** Re-computes the event chain in batches (core/hash-chain.ts); reports the first record whose hash or link does not hold. */
  async verifyChain(batch = 5000): Promise<{ ok: true; events: number } | { ok: false; brokenAt: number; reason: string }> {
    const v = await verifyChain<StoredAlertEvent>({
      read: async (after, limit) =>
        (await this.db.query<EventRow>(`${EVENT_SELECT} WHERE seq > $1 ORDER BY seq LIMIT $2`, [after, limit])).rows.map(eventFromRow),
      rehash: (e) => {
        const { seq: _seq, hash: _hash, prevHash, ...rest } = e;
        return eventHash(prevHash, eventRecord({ ...rest, evidence: undefined }, rest.evidenceHash));
      },
      reasons: { link: 'prev_hash does not match the previous record', content: 'record does not match its hash' },
      batch,
    });
    return v.ok ? { ok: true, events: v.records } : { ok: false, brokenAt: v.brokenAt, reason: v.reason };
  }
}

/** The hashed content of an event: its fields, with evidence replaced by the evidence's hash. */
function eventRecord(e: AlertEvent, evidenceHash: string | undefined) {
  const extra = e.escalation || e.suppressedBy ? { escalation: e.escalation, suppressedBy: e.suppressedBy } : undefined;
  return {
    alertId: e.alertId,
    fingerprint: e.fingerprint,
    enterpriseId: e.enterpriseId,
    type: e.type,
    at: e.at,
    actor: e.actor,
    from: e.from,
    to: e.to,
    severity: e.severity,
    reason: e.reason,
    detail: e.detail,
    note: e.note ?? null,
    extra: extra === undefined ? undefined : (JSON.parse(canonicalJson(extra)) as unknown),
    evidenceHash: evidenceHash ?? null,
  };
}

/** The columns of an `alert_events` row that `eventFromRow` maps (prefix them for a join: `eventColumns('e.')`). */
export const eventColumns = (alias = ''): string =>
  [
    'seq',
    'alert_id',
    'fingerprint',
    'enterprise_id',
    'type',
    'at',
    'actor',
    'from_state',
    'to_state',
    'severity',
    'reason',
    'detail',
    'note',
    'extra',
    'evidence_hash',
    'prev_hash',
    'hash',
  ]
    .map((c) => alias + c)
    .join(', ');

const EVENT_SELECT = `SELECT ${eventColumns()} FROM alert_events`;

/** An `alert_events` row as selected by `eventColumns()`. */
export interface EventRow {
  seq: string | number;
  alert_id: string;
  fingerprint: string;
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
  extra: { escalation?: AlertEvent['escalation']; suppressedBy?: string } | null;
  evidence_hash: string | null;
  prev_hash: string;
  hash: string;
}

/** The one mapping of an `alert_events` row to an event (the store, the alert queries and the notifier's outbox use it). */
export function eventFromRow(r: EventRow): StoredAlertEvent {
  return {
    seq: Number(r.seq),
    alertId: r.alert_id,
    fingerprint: r.fingerprint,
    enterpriseId: r.enterprise_id,
    ruleId: r.fingerprint.split('|')[0] as string,
    type: r.type,
    at: new Date(r.at).getTime(),
    actor: r.actor,
    from: r.from_state,
    to: r.to_state,
    severity: r.severity,
    reason: r.reason,
    detail: r.detail,
    note: r.note ?? undefined,
    escalation: r.extra?.escalation,
    suppressedBy: r.extra?.suppressedBy,
    evidenceHash: r.evidence_hash ?? undefined,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
