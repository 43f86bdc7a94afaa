/**
 * Gateways: their credentials (a secret returned once, stored hashed),
 * disabling and enabling them, and their link status as recorded.
 */
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import { AppError } from '../core/errors.ts';
import { generateSecret, hashSecret } from './credentials.ts';
import { audited, mapDbError, parseInput, type LedgerContext } from './audited.ts';

export const gatewayInput = z.strictObject({ id: idSchema, enterpriseId: idSchema, name: z.string().max(200).optional() });
export type GatewayInput = z.input<typeof gatewayInput>;

/** What the rest of the platform is told when a gateway changes. */
export interface GatewayChangeHooks {
  /** Lets caches (the broker's registry, other processes via Redis) drop stale entries. */
  onGatewayChanged: (gatewayId: string) => void;
  /**
   * Called after a gateway's credentials changed (disabled, enabled, secret rotated), before the call returns: it
   * resolves once every broker has applied the change — closed the gateway's open connections if they are no
   * longer valid (gateway/revocation.ts).
   */
  onCredentialsChanged: (gatewayId: string) => Promise<void>;
}

/** Creates a gateway and returns its secret; the secret is not stored and cannot be shown again. */
export async function createGateway(
  ctx: LedgerContext,
  hooks: GatewayChangeHooks,
  input: unknown,
  actor: string,
): Promise<{ id: string; enterpriseId: string; username: string; clientId: string; secret: string }> {
  const g = parseInput(gatewayInput, input);
  const secret = generateSecret();
  const secretHash = await hashSecret(secret);
  // the audit record carries no secret, not even its hash
  await audited(ctx, actor, 'gateway.created', { type: 'gateway', id: g.id }, g, (tx) =>
    tx.query('INSERT INTO gateways (id, enterprise_id, name, secret_hash) VALUES ($1, $2, $3, $4)', [g.id, g.enterpriseId, g.name ?? '', secretHash]),
  ).catch((err) => mapDbError(err, `gateway ${g.id}`));
  hooks.onGatewayChanged(g.id);
  return { id: g.id, enterpriseId: g.enterpriseId, username: g.id, clientId: g.id, secret };
}

/** Issues a new secret; the old one stops working at once: connections opened with it are closed before this returns. */
export async function rotateGatewaySecret(
  ctx: LedgerContext,
  hooks: GatewayChangeHooks,
  gatewayId: string,
  actor: string,
): Promise<{ id: string; secret: string }> {
  const secret = generateSecret();
  const secretHash = await hashSecret(secret);
  await audited(ctx, actor, 'gateway.secret_rotated', { type: 'gateway', id: gatewayId }, {}, async (tx) => {
    const { rows } = await tx.query('UPDATE gateways SET secret_hash = $2 WHERE id = $1 RETURNING id', [gatewayId, secretHash]);
    if (rows.length === 0) throw new AppError('NOT_FOUND', `gateway ${gatewayId} not found`);
  });
  hooks.onGatewayChanged(gatewayId);
  await hooks.onCredentialsChanged(gatewayId);
  return { id: gatewayId, secret };
}

export async function setGatewayDisabled(ctx: LedgerContext, hooks: GatewayChangeHooks, gatewayId: string, disabled: boolean, actor: string): Promise<void> {
  await audited(ctx, actor, disabled ? 'gateway.disabled' : 'gateway.enabled', { type: 'gateway', id: gatewayId }, { disabled }, async (tx) => {
    const { rows } = await tx.query('UPDATE gateways SET disabled = $2 WHERE id = $1 RETURNING id', [gatewayId, disabled]);
    if (rows.length === 0) throw new AppError('NOT_FOUND', `gateway ${gatewayId} not found`);
  });
  hooks.onGatewayChanged(gatewayId);
  await hooks.onCredentialsChanged(gatewayId);
}

/** The gateways (of one enterprise, if given), by id. */
export async function listGateways(ctx: Pick<LedgerContext, 'db'>, enterpriseId?: string) {
  const { rows } = await ctx.db.query<{
    id: string;
    enterprise_id: string;
    name: string;
    status: string;
    status_changed_at: Date | null;
    disabled: boolean;
  }>(
    `SELECT id, enterprise_id, name, status, status_changed_at, disabled FROM gateways ${enterpriseId ? 'WHERE enterprise_id = $1' : ''} ORDER BY id`,
    enterpriseId ? [enterpriseId] : [],
  );
  return rows.map((r) => ({
    id: r.id,
    enterpriseId: r.enterprise_id,
    name: r.name,
    status: r.status,
    statusChangedAt: r.status_changed_at,
    disabled: r.disabled,
  }));
}
