/** Request validation shared by the API's route files: zod, failures as 400 BAD_REQUEST naming the field. */
import type { z } from 'zod';
import { AppError } from '../core/errors.ts';

/** Parses `input` (missing → `{}`) with `schema`; `where` ('query', 'path', 'body') prefixes the message. */
export function parse<T extends z.ZodType>(schema: T, input: unknown, where: string): z.output<T> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw new AppError('BAD_REQUEST', `${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ')}`);
  return r.data;
}
