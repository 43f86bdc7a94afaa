/**
 * An enterprise's point registry as a spreadsheet (issue #17 item 2; layout: ledger/registry-sheet.ts):
 *
 *   POST /api/v1/enterprises/:enterpriseId/points/import[?dryRun=true]   text/csv (UTF-8 or GBK) or XLSX   ledger.write
 *   GET  /api/v1/enterprises/:enterpriseId/points/export?format=csv|xlsx&encoding=utf-8|gbk&headers=zh|en   ledger.write
 *
 * The import is all or nothing (ledger/registry-import.ts): the answer counts what was written, or a 400
 * lists every problem with its row and column (`error.errors`). The raw-body parsers are registered in this
 * plugin's own scope, so no other route takes a spreadsheet; the caller is checked before the body is read
 * (the server's `onRequest` hook). Like the enterprise list (api/enterprise-import.ts), `ledger.write`.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import { AppError } from '../core/errors.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Provisioning } from '../ledger/provisioning.ts';
import { attachment } from './report-scope.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';
import { SHEET_TYPES, XLSX_TYPE, acceptSheets, dryRunQuery, sheetBodySchema, sheetBytes } from './sheet-upload.ts';

/** The largest sheet (the platform's default, as the enterprise list's): 10,000 points at well under 1 KiB a row. */
export const REGISTRY_BODY_LIMIT = 10 * 1024 * 1024;

export { XLSX_TYPE };

const enterprisePath = z.object({ enterpriseId: idSchema });
const exportQuery = z.strictObject({
  format: z.enum(['csv', 'xlsx']).default('csv'),
  encoding: z.enum(['utf-8', 'gbk']).default('utf-8').meta({ description: 'CSV only: UTF-8 (with a BOM) or GBK' }),
  headers: z.enum(['zh', 'en']).default('zh').meta({ description: 'header row: Chinese names or the field codes' }),
});
/** `attachment` with an ASCII name and the Chinese one (RFC 5987 / RFC 6266 `filename*`). */

export function registryImportApi(config: { auth: Authenticator }, deps: { provisioning: Provisioning; metrics: Metrics }) {
  return async (app: FastifyInstance): Promise<void> => {
    const { auth } = config;
    acceptSheets(app);

    app.post(
      '/api/v1/enterprises/:enterpriseId/points/import',
      { bodyLimit: REGISTRY_BODY_LIMIT, schema: { params: enterprisePath, querystring: dryRunQuery, body: sheetBodySchema, consumes: SHEET_TYPES } },
      async (req) => {
        const who = await auth.authorize(req, 'ledger.write');
        const { enterpriseId } = parse(enterprisePath, req.params, 'path');
        const { dryRun } = parse(dryRunQuery, req.query, 'query');
        const bytes = sheetBytes(req.body, { zh: '测点登记表', en: 'registry' });
        try {
          const r = await deps.provisioning.importRegistry(enterpriseId, bytes, who.actor, { dryRun: dryRun === 'true' });
          deps.metrics.registryFiles.inc({ operation: 'import', outcome: r.dryRun ? 'checked' : 'imported' });
          req.log.info({ enterpriseId, ...r, bytes: bytes.length, actor: who.actor }, r.dryRun ? 'point registry checked' : 'point registry imported');
          return r;
        } catch (err) {
          if (err instanceof AppError && err.httpStatus < 500) {
            deps.metrics.registryFiles.inc({ operation: 'import', outcome: 'refused' });
            const errors = (err.expose?.errors as unknown[] | undefined) ?? [];
            req.log.warn({ enterpriseId, code: err.code, errors: errors.slice(0, 20), count: errors.length, actor: who.actor }, 'point registry refused');
          }
          throw err;
        }
      },
    );

    app.get('/api/v1/enterprises/:enterpriseId/points/export', { schema: { params: enterprisePath, querystring: exportQuery } }, async (req, reply) => {
      const who = await auth.authorize(req, 'ledger.write');
      const { enterpriseId } = parse(enterprisePath, req.params, 'path');
      const q = parse(exportQuery, req.query, 'query');
      const { bytes, points } = await deps.provisioning.exportRegistry(enterpriseId, q);
      deps.metrics.registryFiles.inc({ operation: 'export', outcome: q.format });
      req.log.info({ enterpriseId, ...q, points, actor: who.actor }, 'point registry exported');
      const ext = q.format;
      return reply
        .header('content-type', ext === 'xlsx' ? XLSX_TYPE : `text/csv; charset=${q.encoding === 'gbk' ? 'gbk' : 'utf-8'}`)
        .header('content-disposition', attachment(`point-registry-${enterpriseId}.${ext}`, `测点登记表-${enterpriseId}.${ext}`))
        .header('cache-control', 'no-store')
        .send(bytes);
    });
  };
}
