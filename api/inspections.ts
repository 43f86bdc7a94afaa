/**
 * The enterprise ledger's supervision facts and inspections against the
 * yearly caps (issue #4, first part; admin token for now — roles and
 * jurisdiction scoping of callers come with the task API):
 *
 *   GET   /api/v1/enterprises/:id/ledger                  the ledger entry
 *   PATCH /api/v1/enterprises/:id/ledger                  { highRisk?, grade?, riskFactors?, keyEnterprise? }
 *   POST  /api/v1/inspections                             { enterpriseId, authorityId, origin, at?, note? }
 *   GET   /api/v1/enterprises/:id/inspection-summary?year  "扫码入企": counts by origin, cap, remaining
 *   POST  /api/v1/enterprises/import                      text/csv: a bureau's enterprise list (inspections/csv.ts)
 *
 * A planned inspection beyond the cap answers 409 with `error.refusal:
 * 'CAP_REACHED'`, `error.reason: { zh, en }` and `error.counts`; an authority
 * that does not supervise the enterprise (nor is above its authority) 403.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import type { Db } from '../core/db/db.ts';
import { yearOf } from '../inspections/caps.ts';
import { importRows, parseCsv } from '../inspections/csv.ts';
import { EnterpriseLedger, inspectionInput, ledgerPatch } from '../inspections/ledger.ts';
import { AppError } from '../core/errors.ts';
import { Authenticator } from './auth.ts';
import { Officers } from './officers.ts';
import { parse } from './parse.ts';

export interface InspectionRouteDeps {
  db: Db;
  clock: { now(): number };
}

const enterprisePath = z.strictObject({ id: idSchema });
const summaryQuery = z.strictObject({ year: z.coerce.number().int().min(2000).max(2100).optional() });

export function inspectionApi(config: { adminToken: string }, deps: InspectionRouteDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    const auth = new Authenticator(config.adminToken, new Officers(deps.db));
    const ledger = new EnterpriseLedger(deps.db);

    app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 }, (_req, body, done) => done(null, body));

    app.post('/api/v1/enterprises/import', async (req) => {
      const who = await auth.requireAdmin(req);
      if (typeof req.body !== 'string') throw new AppError('BAD_REQUEST', 'send the list as text/csv (UTF-8), a header line first');
      let table: string[][];
      try {
        table = parseCsv(req.body);
      } catch (err) {
        throw new AppError('BAD_REQUEST', `the list is not valid CSV: ${(err as Error).message}`, { expose: { errors: [(err as Error).message] } });
      }
      const parsed = importRows(table);
      if (!parsed.ok) {
        req.log.warn({ errors: parsed.errors.slice(0, 20), count: parsed.errors.length }, 'enterprise list refused');
        throw new AppError('BAD_REQUEST', `the list was not imported: ${parsed.errors.length} problem(s)`, { expose: { errors: parsed.errors } });
      }
      const r = await ledger.importEnterprises(parsed.rows, who.actor, deps.clock.now());
      req.log.info({ ...r, actor: who.actor }, 'enterprise list imported');
      return { ...r, enterprises: parsed.rows.length };
    });

    app.get('/api/v1/enterprises/:id/ledger', async (req) => {
      await auth.requireAdmin(req);
      return ledger.get(parse(enterprisePath, req.params, 'path').id);
    });

    app.patch('/api/v1/enterprises/:id/ledger', async (req) => {
      const who = await auth.requireAdmin(req);
      const { id } = parse(enterprisePath, req.params, 'path');
      const patch = parse(ledgerPatch, req.body, 'body');
      const entry = await ledger.update(id, patch, who.actor, deps.clock.now());
      req.log.info({ enterpriseId: id, patch, actor: who.actor }, 'enterprise ledger updated');
      return entry;
    });

    app.post('/api/v1/inspections', async (req, reply) => {
      const who = await auth.requireAdmin(req);
      const input = parse(inspectionInput, req.body, 'body');
      try {
        const r = await ledger.recordInspection(input, who.actor, deps.clock.now());
        req.log.info(
          { inspectionId: r.inspection.id, enterpriseId: input.enterpriseId, origin: input.origin, exempt: r.inspection.exempt },
          'inspection recorded',
        );
        return reply.status(201).send(r);
      } catch (err) {
        req.log.warn({ err, enterpriseId: input.enterpriseId, authorityId: input.authorityId, origin: input.origin }, 'inspection refused');
        throw err;
      }
    });

    app.get('/api/v1/enterprises/:id/inspection-summary', async (req) => {
      await auth.requireAdmin(req);
      const { id } = parse(enterprisePath, req.params, 'path');
      const q = parse(summaryQuery, req.query, 'query');
      return ledger.summary(id, q.year ?? yearOf(deps.clock.now()));
    });
  };
}
