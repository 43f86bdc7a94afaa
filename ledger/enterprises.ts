/** Enterprises as provisioned: id, name, sector (行业) and supervising authority. Their supervision facts: `enterprise-facts.ts`. */
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import { SECTORS, type Sector, SECTOR_NAMES, enumDescriptions } from '../core/vocabulary.ts';
import { audited, mapDbError, parseInput, type LedgerContext } from './audited.ts';

const sectorList = SECTORS.map((s) => `${s}（${SECTOR_NAMES[s].zh}）`).join(', ');

export const enterpriseInput = z.strictObject({
  id: idSchema,
  name: z.string().min(1).max(200),
  sector: z
    .enum(SECTORS, { error: `must be one of: ${sectorList}` })
    .meta({ description: `Sector (行业): ${sectorList}`, 'x-enum-descriptions': enumDescriptions(SECTORS, (s) => SECTOR_NAMES[s as Sector]) }),
  authorityId: idSchema.optional(),
});
export type EnterpriseInput = z.input<typeof enterpriseInput>;

export async function createEnterprise(ctx: LedgerContext, input: unknown, actor: string) {
  const e = parseInput(enterpriseInput, input);
  await audited(ctx, actor, 'enterprise.created', { type: 'enterprise', id: e.id }, e, (tx) =>
    tx.query('INSERT INTO enterprises (id, name, sector, authority_id) VALUES ($1, $2, $3, $4)', [e.id, e.name, e.sector, e.authorityId ?? null]),
  ).catch((err) => mapDbError(err, `enterprise ${e.id}`));
  return e;
}
