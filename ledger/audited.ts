/**
 * What every master-data change shares: its input parsed strictly (400 naming
 * the field), the change and its audit record in one transaction, and
 * PostgreSQL constraint violations mapped onto the error catalogue.
 */
import type { z } from 'zod';
import { appendAudit } from '../core/audit.ts';
import type { Clock } from '../core/clock.ts';
import type { Db, Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';

/** Where a ledger change runs and when it happened (its audit record's time). */
export interface LedgerContext {
  db: Db;
  clock: Clock;
}

export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) {
    throw new AppError('BAD_REQUEST', r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '), { details: r.error.issues });
  }
  return r.data;
}

/** Maps PostgreSQL constraint violations onto the error catalogue. */
export function mapDbError(err: unknown, what: string): never {
  const code = (err as { code?: string }).code;
  if (code === '23505') throw new AppError('CONFLICT', `${what} already exists`);
  if (code === '23503') throw new AppError('NOT_FOUND', `${what} refers to something that does not exist`, { cause: err });
  throw err;
}

/** Runs a ledger change and its audit record in one transaction (domain rule 8: every action recorded). */
export function audited<T>(
  ctx: LedgerContext,
  actor: string,
  action: string,
  subject: { type: string; id: string },
  data: Record<string, unknown>,
  fn: (tx: Queryable) => Promise<T>,
): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    const out = await fn(tx);
    await appendAudit(tx, { actor, action, subjectType: subject.type, subjectId: subject.id, data, at: ctx.clock.now() });
    return out;
  });
}
