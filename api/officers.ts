/**
 * The admin routes that manage officers (the ledger of officers and their
 * sessions: ledger/officers.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import { officerInput, type Officers } from '../ledger/officers.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';

export { DEFAULT_SESSION_POLICY, Officers, officerInput, passwordSchema, type SessionPolicy } from '../ledger/officers.ts';

/** `POST /api/v1/officers` and `POST /api/v1/officers/:id/disable`: the admin (token or admin user). */
export function registerOfficerRoutes(app: FastifyInstance, auth: Authenticator, officers: Officers): void {
  app.post('/api/v1/officers', { schema: { body: officerInput } }, async (req, reply) => {
    const who = await auth.requireAdmin(req);
    const created = await officers.create(req.body, who.actor);
    req.log.info({ officerId: created.id, authorityId: created.authorityId, role: created.role }, 'officer created');
    return reply.status(201).header('cache-control', 'no-store').send(created);
  });
  const officerPath = z.object({ id: idSchema });
  app.post('/api/v1/officers/:id/disable', { schema: { params: officerPath } }, async (req, reply) => {
    const who = await auth.requireAdmin(req);
    const { id } = parse(officerPath, req.params, 'path');
    await officers.disable(id, who.actor);
    await officers.endSessions(id);
    req.log.info({ officerId: id, actor: who.actor }, 'officer disabled');
    return reply.status(204).send();
  });
}
