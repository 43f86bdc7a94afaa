/**
 * Enterprises as provisioned: id, name, sector (行业), supervising authority and identity on record (unified
 * social credit code, address, coordinates, safety manager: `enterprise-identity.ts`). Their supervision
 * facts: `enterprise-facts.ts`.
 */
import { z } from 'zod';
import { appendAudit } from '../core/audit.ts';
import { idSchema } from '../core/contract.ts';
import type { Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { SECTORS, type Sector, SECTOR_NAMES, enumDescriptions } from '../core/vocabulary.ts';
import { audited, mapDbError, parseInput, type LedgerContext } from './audited.ts';
import {
  BOTH_OR_NEITHER,
  bothOrNeither,
  identityFields,
  identityOf,
  identityPatch,
  IDENTITY_COLUMNS,
  type EnterpriseIdentity,
  type IdentityRow,
} from './enterprise-identity.ts';

const sectorList = SECTORS.map((s) => `${s}（${SECTOR_NAMES[s].zh}）`).join(', ');

export const enterpriseInput = z
  .strictObject({
    id: idSchema,
    name: z.string().min(1).max(200),
    sector: z
      .enum(SECTORS, { error: `must be one of: ${sectorList}` })
      .meta({ description: `Sector (行业): ${sectorList}`, 'x-enum-descriptions': enumDescriptions(SECTORS, (s) => SECTOR_NAMES[s as Sector]) }),
    authorityId: idSchema.optional(),
    ...identityFields,
  })
  .refine(bothOrNeither, BOTH_OR_NEITHER);
export type EnterpriseInput = z.input<typeof enterpriseInput>;

export { identityPatch, type EnterpriseIdentity, type IdentityPatch } from './enterprise-identity.ts';

const IDENTITY_KEYS = Object.keys(IDENTITY_COLUMNS) as (keyof EnterpriseIdentity)[];

/** A duplicate credit code is a conflict that names the code (not "the enterprise already exists"). */
function mapIdentityError(err: unknown, enterpriseId: string, creditCode: string | null | undefined): never {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e.code === '23505' && (e.constraint === 'enterprises_credit_code_key' || e.message?.includes('enterprises_credit_code_key')))
    throw new AppError(
      'CONFLICT',
      `统一社会信用代码 ${creditCode} 已属于另一家企业 / the unified social credit code ${creditCode} is already another enterprise's`,
    );
  return mapDbError(err, `enterprise ${enterpriseId}`);
}

export async function createEnterprise(ctx: LedgerContext, input: unknown, actor: string) {
  const e = parseInput(enterpriseInput, input);
  const identity = Object.fromEntries(IDENTITY_KEYS.map((k) => [k, e[k] ?? null])) as unknown as EnterpriseIdentity;
  await audited(ctx, actor, 'enterprise.created', { type: 'enterprise', id: e.id }, e, (tx) =>
    tx.query(
      `INSERT INTO enterprises (id, name, sector, authority_id, ${IDENTITY_KEYS.map((k) => IDENTITY_COLUMNS[k]).join(', ')})
       VALUES ($1, $2, $3, $4, ${IDENTITY_KEYS.map((_, i) => `$${i + 5}`).join(', ')})`,
      [e.id, e.name, e.sector, e.authorityId ?? null, ...IDENTITY_KEYS.map((k) => identity[k])],
    ),
  ).catch((err) => mapIdentityError(err, e.id, e.creditCode));
  return { id: e.id, name: e.name, sector: e.sector, ...(e.authorityId === undefined ? {} : { authorityId: e.authorityId }), ...identity };
}

async function readIdentity(q: Queryable, enterpriseId: string, lock: boolean): Promise<EnterpriseIdentity> {
  const { rows } = await q.query<IdentityRow>(
    `SELECT ${Object.values(IDENTITY_COLUMNS).join(', ')} FROM enterprises WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [enterpriseId],
  );
  if (!rows[0]) throw new AppError('NOT_FOUND', `enterprise ${enterpriseId} not found`);
  return identityOf(rows[0]);
}

/**
 * Sets or clears (`null`) an enterprise's identity fields; absent fields stay as they are. Audited as
 * `enterprise.identity_updated` with the fields before and after.
 */
export async function updateEnterpriseIdentity(ctx: LedgerContext, enterpriseId: string, input: unknown, actor: string): Promise<EnterpriseIdentity> {
  const patch = parseInput(identityPatch, input);
  const keys = IDENTITY_KEYS.filter((k) => patch[k] !== undefined);
  return ctx.db
    .transaction(async (tx) => {
      const before = await readIdentity(tx, enterpriseId, true);
      if (keys.length === 0) return before;
      await tx.query(`UPDATE enterprises SET ${keys.map((k, i) => `${IDENTITY_COLUMNS[k]} = $${i + 2}`).join(', ')} WHERE id = $1`, [
        enterpriseId,
        ...keys.map((k) => patch[k]),
      ]);
      const after = await readIdentity(tx, enterpriseId, false);
      await appendAudit(tx, {
        actor,
        action: 'enterprise.identity_updated',
        subjectType: 'enterprise',
        subjectId: enterpriseId,
        data: { patch, before, after },
        at: ctx.clock.now(),
      });
      return after;
    })
    .catch((err) => mapIdentityError(err, enterpriseId, patch.creditCode));
}
