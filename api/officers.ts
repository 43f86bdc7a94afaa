/**
 * The admin routes that manage officers (the ledger of officers and their
 * sessions: ledger/officers.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import { officerInput, type Officers } from '../ledger/officers.ts';
import { importEnterpriseUsers } from '../ledger/enterprise-users.ts';
import { AppError } from '../core/errors.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';
import { SHEET_TYPES, acceptSheets, dryRunQuery, sheetBodySchema, sheetBytes } from './sheet-upload.ts';

/** The largest user sheet (the platform's default): 2,000 users (ledger/enterprise-users.ts) at well under 1 KiB a row. */
export const USER_SHEET_BODY_LIMIT = 2 * 1024 * 1024;

export { DEFAULT_SESSION_POLICY, Officers, officerInput, passwordSchema, type SessionPolicy } from '../ledger/officers.ts';

/**
 * `POST /api/v1/officers`, `POST /api/v1/officers/:id/disable` and `POST /api/v1/enterprise-users/import`: the
 * admin (token or admin user). An officer is created with its authority; an enterprise user (安全管理负责人,
 * 包保责任人) with its enterprise (`enterpriseId`) and takes the enterprise's authority. The list is
 * api/provisioning.ts's (`GET /api/v1/officers[?enterpriseId=]`).
 */
export function registerOfficerRoutes(app: FastifyInstance, auth: Authenticator, officers: Officers): void {
  // the user sheet, in a scope of its own: no other route takes a spreadsheet
  app.register(async (scope: FastifyInstance) => {
    acceptSheets(scope);
    scope.post(
      '/api/v1/enterprise-users/import',
      { bodyLimit: USER_SHEET_BODY_LIMIT, schema: { querystring: dryRunQuery, body: sheetBodySchema, consumes: SHEET_TYPES } },
      async (req, reply) => {
        const who = await auth.requireAdmin(req);
        const { dryRun } = parse(dryRunQuery, req.query, 'query');
        const bytes = sheetBytes(req.body, { zh: '企业用户表', en: 'user sheet' });
        try {
          const r = await importEnterpriseUsers(officers.db, officers.clock, bytes, who.actor, { dryRun: dryRun === 'true' });
          req.log.info(
            { dryRun: r.dryRun, created: r.created, users: r.users.map((u) => ({ id: u.id, enterpriseId: u.enterpriseId, role: u.role })), actor: who.actor },
            r.dryRun ? 'enterprise users checked' : 'enterprise users imported',
          );
          return reply.status(r.dryRun ? 200 : 201).header('cache-control', 'no-store').send(r);
        } catch (err) {
          if (err instanceof AppError && err.httpStatus < 500) {
            const errors = (err.expose?.errors as unknown[] | undefined) ?? [];
            req.log.warn({ code: err.code, errors: errors.slice(0, 20), count: errors.length, actor: who.actor }, 'enterprise users refused');
          }
          throw err;
        }
      },
    );
  });

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
