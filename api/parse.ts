/** Request validation shared by the API's route files: zod, failures as 400 BAD_REQUEST naming the field. */
import type { z } from 'zod';
import { AppError } from '../core/errors.ts';

/** Parses `input` (missing → `{}`) with `schema`; `where` ('query', 'path', 'body') prefixes the message. */
export function parse<T extends z.ZodType>(schema: T, input: unknown, where: string): z.output<T> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw new AppError('BAD_REQUEST', `${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/**
 * Where the first NUL character (U+0000) is in a request's path parameters,
 * query or parsed body — keys and values, however deep — as `where.path`
 * (`body.username`, `query.q`, `body` for a text body with its line); undefined if there is none.
 * No input of the platform may hold one, and PostgreSQL refuses it in text (a 500 otherwise).
 */
export function findNul(value: unknown, where: string): string | undefined {
  if (typeof value === 'string') {
    const i = value.indexOf('\u0000');
    if (i < 0) return undefined;
    const line = value.slice(0, i).split('\n').length;
    return line > 1 ? `${where} (line ${line})` : where;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const at = `${where}.${k}`;
    if (k.includes('\u0000')) return at;
    const found = findNul(v, at);
    if (found) return found;
  }
  return undefined;
}

/** Refuses a NUL character anywhere in the request's path, query or body: 400 naming where. */
export function refuseNul(req: { params?: unknown; query?: unknown; body?: unknown }): void {
  const at = findNul(req.params, 'path') ?? findNul(req.query, 'query') ?? findNul(req.body, 'body');
  if (at !== undefined)
    throw new AppError('BAD_REQUEST', `${at}: a NUL character (U+0000) is not allowed`, {
      expose: { reason: { zh: `${at} 含有空字符（U+0000），不予受理`, en: `${at}: a NUL character (U+0000) is not allowed` } },
    });
}

/**
 * The deepest nesting of arrays and objects in JSON text, counting only
 * brackets outside strings; stops as soon as it exceeds `limit` (then
 * returns `limit + 1`). A cheap scan before `JSON.parse`, so deep input is
 * refused without building it.
 */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return max;
}
