/** Supervising authorities (执法主体): province, city and county bureaus, each under its parent. */
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import { audited, mapDbError, parseInput, type LedgerContext } from './audited.ts';

export const authorityInput = z.strictObject({
  id: idSchema,
  name: z.string().min(1).max(200),
  level: z.enum(['province', 'city', 'county']),
  parentId: idSchema.optional(),
});
export type AuthorityInput = z.input<typeof authorityInput>;

export async function createAuthority(ctx: LedgerContext, input: unknown, actor: string) {
  const a = parseInput(authorityInput, input);
  await audited(ctx, actor, 'authority.created', { type: 'authority', id: a.id }, a, (tx) =>
    tx.query('INSERT INTO authorities (id, name, level, parent_id) VALUES ($1, $2, $3, $4)', [a.id, a.name, a.level, a.parentId ?? null]),
  ).catch((e) => mapDbError(e, `authority ${a.id}`));
  return a;
}
