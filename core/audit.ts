/**
 * The audit trail (执法留痕; domain rule 8): append-only records of every
 * action on the ledger, inspections, rules and officers, each with its actor
 * and time, each hashing the previous one. A correction is a new record,
 * never an edit. `verify()` re-computes the chain and points at the first
 * record whose content or link does not hold. (Alert transitions have their
 * own chain of the same construction in `alert_events`, alerts/store.ts; both
 * use core/hash-chain.ts.)
 */
import { AppError } from './errors.ts';
import type { Queryable } from './db/db.ts';
import { chainHash, GENESIS_HASH, verifyChain, type ChainVerification } from './hash-chain.ts';
import { ADVISORY_LOCKS } from './db/locks.ts';

export const AUDIT_GENESIS = GENESIS_HASH;
/** Advisory lock serialising appends (one writer extends the chain at a time). */
const AUDIT_LOCK = ADVISORY_LOCKS.audit;

export interface AuditInput {
  /** `user:<id>`, `system:<part>`. */
  actor: string;
  /** What was done, e.g. `enterprise.created`, `inspection.recorded`, `ledger.updated`. */
  action: string;
  /** What it was done to: `enterprise`, `gateway`, `sensor`, `inspection`, `rule_override`, `officer`, `authority`. */
  subjectType: string;
  subjectId: string;
  /** The change itself (new values, the refused reason, …); canonical JSON is hashed. */
  data: Record<string, unknown>;
  /** Epoch ms. */
  at: number;
}

export interface AuditRecord extends AuditInput {
  seq: number;
  prevHash: string;
  hash: string;
}

interface Row {
  seq: string | number;
  at: Date;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  data: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

const hashOf = (prevHash: string, r: AuditInput): string =>
  chainHash(prevHash, { at: r.at, actor: r.actor, action: r.action, subjectType: r.subjectType, subjectId: r.subjectId, data: r.data });

const fromRow = (r: Row): AuditRecord => ({
  seq: Number(r.seq),
  at: new Date(r.at).getTime(),
  actor: r.actor,
  action: r.action,
  subjectType: r.subject_type,
  subjectId: r.subject_id,
  data: r.data,
  prevHash: r.prev_hash,
  hash: r.hash,
});

export type AuditVerification = ChainVerification;

/** Appends one record inside the caller's transaction (so the action and its record commit together). */
export async function appendAudit(tx: Queryable, input: AuditInput): Promise<AuditRecord> {
  if (!input.actor) throw new AppError('BAD_REQUEST', 'an audit record needs an actor');
  await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
  const last = await tx.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const prevHash = last.rows[0]?.hash ?? AUDIT_GENESIS;
  // round-trip the data through JSON so the hash covers exactly what is stored (jsonb keeps no undefined)
  const data = JSON.parse(JSON.stringify(input.data)) as Record<string, unknown>;
  const hash = hashOf(prevHash, { ...input, data });
  const { rows } = await tx.query<{ seq: string | number }>(
    'INSERT INTO audit_log (at, actor, action, subject_type, subject_id, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8) RETURNING seq',
    [new Date(input.at), input.actor, input.action, input.subjectType, input.subjectId, JSON.stringify(data), prevHash, hash],
  );
  return { ...input, data, seq: Number(rows[0]!.seq), prevHash, hash };
}

export class AuditTrail {
  constructor(private readonly db: Queryable) {}

  /** Records about one subject (or all), oldest first. */
  /**
   * The records matching every filter given: subject, action, actor, time range (`from`/`to`, epoch ms, inclusive),
   * `before` a sequence number (paging newest first); oldest first unless `order` is `desc`; at most `limit` (default 1000).
   */
  async list(
    filter: {
      subjectType?: string;
      subjectId?: string;
      action?: string;
      actor?: string;
      from?: number;
      to?: number;
      before?: number;
      order?: 'asc' | 'desc';
      limit?: number;
    } = {},
  ): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.subjectType !== undefined) where.push(`subject_type = $${params.push(filter.subjectType)}`);
    if (filter.subjectId !== undefined) where.push(`subject_id = $${params.push(filter.subjectId)}`);
    if (filter.action !== undefined) where.push(`action = $${params.push(filter.action)}`);
    if (filter.actor !== undefined) where.push(`actor = $${params.push(filter.actor)}`);
    if (filter.from !== undefined) where.push(`at >= $${params.push(new Date(filter.from))}`);
    if (filter.to !== undefined) where.push(`at <= $${params.push(new Date(filter.to))}`);
    if (filter.before !== undefined) where.push(`seq < $${params.push(filter.before)}`);
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${filter.order === 'desc' ? 'DESC' : ''} LIMIT $${params.push(filter.limit ?? 1000)}`,
      params,
    );
    return rows.map(fromRow);
  }

  /** Re-computes the chain in batches (core/hash-chain.ts); the first record whose link or content does not hold. */
  verify(batch = 5000): Promise<AuditVerification> {
    return verifyChain<AuditRecord>({
      read: async (after, limit) =>
        (await this.db.query<Row>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [after, limit])).rows.map(fromRow),
      rehash: (r) => hashOf(r.prevHash, r),
      reasons: {
        link: 'prev_hash does not match the previous record (a record was removed or inserted)',
        content: 'the record does not match its hash (it was edited)',
      },
      batch,
    });
  }
}

/**
 * Runs `fn` and appends the audit record it describes, in one transaction
 * when `db` offers transactions (a `Db`), else on the same connection in turn.
 */
export async function withAudit<T>(
  db: Queryable & { transaction?: <R>(fn: (tx: Queryable) => Promise<R>) => Promise<R> },
  fn: (tx: Queryable) => Promise<T>,
  record: (result: T) => AuditInput,
): Promise<T> {
  const run = async (tx: Queryable) => {
    const out = await fn(tx);
    await appendAudit(tx, record(out));
    return out;
  };
  return db.transaction ? db.transaction(run) : run(db);
}
