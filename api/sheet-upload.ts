/**
 * Spreadsheet uploads (CSV in UTF-8 or GBK, or XLSX), shared by the routes that import one — the point registry
 * (api/registry-import.ts) and enterprise users (api/enterprise-users.ts). A plugin calls `acceptSheets(app)`
 * in its own scope, so no other route takes a spreadsheet; the file is read by ledger/registry-sheet.ts.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../core/errors.ts';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** Media types an import takes; Windows browsers send a .csv as application/vnd.ms-excel when Excel is installed. */
export const SHEET_TYPES = ['text/csv', XLSX_TYPE, 'application/vnd.ms-excel'];

/**
 * The body as the handler gets it: the bytes kept out of sight (a private field) so the server's checks that walk
 * a parsed body (api/parse.ts `refuseNul`) do not walk 10 MiB byte by byte; the sheet's own check refuses NULs.
 */
export class SheetBody {
  readonly #bytes: Buffer;
  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }
  get bytes(): Buffer {
    return this.#bytes;
  }
}

/** Registers the raw-body parsers of `SHEET_TYPES` in `app`'s scope. */
export function acceptSheets(app: FastifyInstance): void {
  for (const type of SHEET_TYPES) app.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, body, done) => done(null, new SheetBody(body as Buffer)));
}

/** The uploaded file's bytes, or 400 (in both languages) naming what was expected. */
export function sheetBytes(body: unknown, what: { zh: string; en: string }): Buffer {
  if (!(body instanceof SheetBody))
    throw new AppError('BAD_REQUEST', `请以 text/csv 或 XLSX 上传${what.zh} / send the ${what.en} as text/csv or XLSX`, {
      expose: { errors: [{ row: 0, column: null, zh: '请求体不是表格文件', en: 'the body is not a spreadsheet' }] },
    });
  return body.bytes;
}

export const dryRunQuery = z.strictObject({
  dryRun: z.enum(['true', 'false']).optional().meta({ description: 'true: check only, write nothing' }),
});

/** The body as described (OpenAPI): the file's bytes. */
export const sheetBodySchema = z.string().meta({
  description: 'The sheet: CSV (UTF-8 with or without a BOM, or GBK/GB18030; a header row first) or an XLSX workbook (its first worksheet)',
});
