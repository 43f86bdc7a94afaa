/**
 * The audit trail over HTTP (admin): verification of both hash chains — the
 * audit log (ledger, inspections, rules, officers) and the alert events —
 * pointing at the first broken record, and the records of a subject.
 *
 *   GET /api/v1/audit/verify
 *   GET /api/v1/audit?subjectType=&subjectId=&limit=
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AuditTrail } from '../core/audit.ts';
import type { Db } from '../core/db/db.ts';
import { AlertStore } from '../alerts/store.ts';
import type { Authenticator } from './auth.ts';
import { verifyRecords } from '../inspections/records-check.ts';
import { namedAuditRecords } from './audit-names.ts';
import { parse } from './parse.ts';

const listQuery = z.strictObject({
  subjectType: z.string().min(1).max(64).optional(),
  subjectId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export function auditApi(config: { auth: Authenticator }, deps: { db: Db }) {
  return async (app: FastifyInstance): Promise<void> => {
    const { auth } = config;
    const trail = new AuditTrail(deps.db);
    const alertStore = new AlertStore(deps.db);

    app.get('/api/v1/audit/verify', async (req) => {
      await auth.authorize(req, 'audit.read');
      const [audit, alertEvents, records] = await Promise.all([trail.verify(), alertStore.verifyChain(), verifyRecords(deps.db)]);
      const ok = audit.ok && alertEvents.ok && records.ok;
      if (!ok) req.log.error({ audit, alertEvents, records }, 'audit chain verification FAILED');
      return { ok, audit, alertEvents, records };
    });

    app.get('/api/v1/audit', { schema: { querystring: listQuery } }, async (req) => {
      await auth.authorize(req, 'audit.read');
      // with the names people read: the action, the subject's type, who acted (api/audit-names.ts)
      return { records: await namedAuditRecords(deps.db, await trail.list(parse(listQuery, req.query, 'query'))) };
    });
  };
}
