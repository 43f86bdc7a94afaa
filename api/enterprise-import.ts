/**
 * Importing a bureau's enterprise list (一企一档) as CSV:
 *
 *   POST /api/v1/enterprises/import    text/csv (UTF-8, a header line first; inspections/csv.ts)    ledger.write
 *
 * One of the two routes that take `text/csv` (the other: the point registry
 * import, api/registry-import.ts): its parser is registered in this plugin's
 * own scope, so every other route answers 415 to a CSV body (and reads none of it). The caller is checked before the body is read (the
 * server's `onRequest` hook); the list may be up to 10 MiB.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { importRows, parseCsv } from '../inspections/csv.ts';
import { EnterpriseFacts } from '../ledger/enterprise-facts.ts';
import type { Authenticator } from './auth.ts';

/** The largest list (the platform's default): some 50,000 enterprises of a province at ~200 bytes a row. */
export const IMPORT_BODY_LIMIT = 10 * 1024 * 1024;

/** The body as described (OpenAPI): the CSV text; the handler parses it (inspections/csv.ts). */
const csvBody = z.string().meta({ description: 'CSV (UTF-8), a header line first' });

export function enterpriseImportApi(
  config: { auth: Authenticator },
  deps: { db: Db; clock: { now(): number }; enterpriseFacts?: EnterpriseFacts | undefined },
) {
  return async (app: FastifyInstance): Promise<void> => {
    const { auth } = config;
    const facts = deps.enterpriseFacts ?? new EnterpriseFacts(deps.db);

    app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    app.post('/api/v1/enterprises/import', { bodyLimit: IMPORT_BODY_LIMIT, schema: { body: csvBody, consumes: ['text/csv'] } }, async (req) => {
      const who = await auth.authorize(req, 'ledger.write');
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
      const r = await facts.importEnterprises(parsed.rows, who.actor, deps.clock.now());
      req.log.info({ ...r, actor: who.actor }, 'enterprise list imported');
      return { ...r, enterprises: parsed.rows.length };
    });
  };
}
