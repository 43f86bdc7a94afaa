/**
 * The audit trail over HTTP (admin): verification of both hash chains — the
 * audit log (ledger, inspections, rules, officers) and the alert events —
 * pointing at the first broken record, and the records of a subject.
 *
 *   GET /api/v1/audit/verify
 *   GET /api/v1/audit?subjectType=&subjectId=&action=&actor=&from=&to=&before=&order=&limit=
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AuditTrail } from '../core/audit.ts';
import type { Db } from '../core/db/db.ts';
import { AlertStore } from '../alerts/store.ts';
import type { Authenticator } from './auth.ts';
import { verifyRecords } from '../inspections/records-check.ts';
import { AUDIT_ACTION_NAMES, AUDIT_SUBJECT_NAMES, SYSTEM_ACTORS, namedAuditRecords } from './audit-names.ts';
import { parse } from './parse.ts';

/** A time as epoch milliseconds or an ISO 8601 date-time (2026-12-05T18:43:03+08:00). */
const instant = (field: string) =>
  z
    .string()
    .max(40)
    .transform((s, ctx) => {
      const ms = /^\d{1,15}$/.test(s) ? Number(s) : Date.parse(s);
      if (!Number.isFinite(ms)) {
        ctx.addIssue({ code: 'custom', message: `${field} 不是有效时间（毫秒数或 ISO 8601）/ ${field} is not a time (epoch ms or ISO 8601)` });
        return z.NEVER;
      }
      return ms;
    });

const listQuery = z
  .strictObject({
    subjectType: z.string().min(1).max(64).optional(),
    subjectId: z.string().min(1).max(200).optional(),
    // an action of the trail by its code (api/audit-names.ts lists them, with their names)
    action: z
      .string()
      .max(64)
      .refine((a) => a in AUDIT_ACTION_NAMES, { message: '未知的操作 / unknown action' })
      .optional(),
    // who acted: `user:{officer id}`, `system`, `system:tasks` …
    actor: z.string().min(1).max(200).optional(),
    from: instant('from').optional(),
    to: instant('to').optional(),
    // paging newest first: the records before this sequence number
    before: z.coerce.number().int().min(1).optional(),
    order: z.enum(['asc', 'desc'], { message: "只能是 asc 或 desc / must be 'asc' or 'desc'" }).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: '起始时间晚于结束时间 / from is after to',
    path: ['from'],
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
      const records = await namedAuditRecords(deps.db, await trail.list(parse(listQuery, req.query, 'query')));
      // and what the filters offer, by name: the actions, the subject types, the system's actors
      const list = (m: Readonly<Record<string, { zh: string; en: string }>>) => Object.entries(m).map(([id, n]) => ({ id, ...n }));
      return { records, actions: list(AUDIT_ACTION_NAMES), subjectTypes: list(AUDIT_SUBJECT_NAMES), systemActors: list(SYSTEM_ACTORS) };
    });
  };
}
