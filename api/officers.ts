/**
 * Officers (duty officers 值班员, inspectors 执法人员, leaders; roles.ts) and their API tokens: the ledger (`officers` table,
 * migration 4) and the admin routes that manage it. A token is returned once,
 * at creation; only its SHA-256 is stored.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import type { Queryable } from '../core/db/db.ts';
import { withAudit } from '../core/audit.ts';
import { AppError } from '../core/errors.ts';
import { ADMIN_ID, newToken, tokenHash, type Authenticator, type OfficerIdentity, type OfficerLookup } from './auth.ts';
import { parse } from './parse.ts';
import { OFFICER_ROLES, type OfficerRole } from './roles.ts';

export const officerInput = z.strictObject({
  id: idSchema.refine((id) => id !== ADMIN_ID, { message: `'${ADMIN_ID}' is reserved for the admin token` }),
  name: z.string().trim().min(1).max(200),
  authorityId: idSchema,
  /** Default: duty officer. */
  role: z.enum(OFFICER_ROLES).default('duty_officer'),
});

export class Officers implements OfficerLookup {
  constructor(private readonly db: Queryable) {}

  /** Creates an enabled officer; returns it with its bearer token (shown this once). */
  async create(input: unknown, actor = 'user:admin'): Promise<OfficerIdentity & { token: string }> {
    const o = parse(officerInput, input, 'body');
    const token = newToken();
    try {
      await withAudit(
        this.db,
        (tx) =>
          tx.query('INSERT INTO officers (id, name, authority_id, role, token_hash) VALUES ($1, $2, $3, $4, $5)', [
            o.id,
            o.name,
            o.authorityId,
            o.role,
            tokenHash(token),
          ]),
        () => ({ actor, action: 'officer.created', subjectType: 'officer', subjectId: o.id, data: { ...o }, at: Date.now() }),
      );
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === '23505') throw new AppError('CONFLICT', `officer ${o.id} already exists`);
      if (code === '23503') throw new AppError('NOT_FOUND', `authority ${o.authorityId} not found`);
      throw err;
    }
    return { ...o, token };
  }

  /** Disables the officer: its token stops working at once, its open streams at their next heartbeat. */
  async disable(id: string, actor = 'user:admin'): Promise<void> {
    await withAudit(
      this.db,
      async (tx) => {
        const { rows } = await tx.query('UPDATE officers SET disabled = true WHERE id = $1 RETURNING id', [id]);
        if (rows.length === 0) throw new AppError('NOT_FOUND', `officer ${id} not found`);
      },
      () => ({ actor, action: 'officer.disabled', subjectType: 'officer', subjectId: id, data: {}, at: Date.now() }),
    );
  }

  async byTokenHash(hash: string): Promise<OfficerIdentity | undefined> {
    return this.find('token_hash', hash);
  }

  /** The enabled officer with this id. */
  async byId(id: string): Promise<OfficerIdentity | undefined> {
    return this.find('id', id);
  }

  private async find(column: 'id' | 'token_hash', value: string): Promise<OfficerIdentity | undefined> {
    const { rows } = await this.db.query<{ id: string; name: string; authority_id: string; role: OfficerRole }>(
      `SELECT id, name, authority_id, role FROM officers WHERE ${column} = $1 AND NOT disabled`,
      [value],
    );
    const r = rows[0];
    return r ? { id: r.id, name: r.name, role: r.role, authorityId: r.authority_id } : undefined;
  }

  async isEnabled(id: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM officers WHERE id = $1 AND NOT disabled', [id]);
    return rows.length > 0;
  }
}

/** `POST /api/v1/officers` and `POST /api/v1/officers/:id/disable`, admin token only. */
export function registerOfficerRoutes(app: FastifyInstance, auth: Authenticator, officers: Officers): void {
  app.post('/api/v1/officers', async (req, reply) => {
    await auth.requireAdmin(req);
    const created = await officers.create(req.body);
    req.log.info({ officerId: created.id, authorityId: created.authorityId, role: created.role }, 'officer created');
    return reply.status(201).header('cache-control', 'no-store').send(created);
  });
  app.post('/api/v1/officers/:id/disable', async (req, reply) => {
    await auth.requireAdmin(req);
    const { id } = parse(z.object({ id: idSchema }), req.params, 'path');
    await officers.disable(id);
    req.log.info({ officerId: id }, 'officer disabled');
    return reply.status(204).send();
  });
}
