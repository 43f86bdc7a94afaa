/**
 * Query, path and body schemas of the alerts API, and the opaque keyset
 * cursor. Pure; tested through the API in tests/integration/api/alerts-api.test.ts.
 */
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import type { AlertCursor, AlertFilter } from '../alerts/query.ts';
import { ALERT_STATES } from '../alerts/state/index.ts';
import { SEVERITIES } from '../alerts/types.ts';

export const MAX_PAGE = 500;

/** The last epoch ms a `Date` can hold (±100,000,000 days); later values become Invalid Date and fail in the query. */
export const MAX_TIME_MS = 8.64e15;

/** The cursor handed out as `next` and taken back as `before`: base64url of `[startedAt, id]`. */
export const encodeCursor = (c: AlertCursor): string => Buffer.from(JSON.stringify([c.startedAt, c.id])).toString('base64url');

const cursorTuple = z.tuple([z.number().int().nonnegative().max(MAX_TIME_MS), z.string().min(1).max(200)]);
export function decodeCursor(s: string): AlertCursor | undefined {
  try {
    const r = cursorTuple.safeParse(JSON.parse(Buffer.from(s, 'base64url').toString('utf8')));
    return r.success ? { startedAt: r.data[0], id: r.data[1] } : undefined;
  } catch {
    return undefined;
  }
}

/** `a,b` or repeated `x=a&x=b`, each a member of `values`. */
export const list = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess(
    (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : [v]).flatMap((x) => (typeof x === 'string' ? x.split(',').map((s) => s.trim()) : [x])),
    z.array(z.enum(values)).min(1),
  );

/** An ISO 8601 date-time with seconds and a zone; zod checks the calendar (no 30 February). */
const isoDateTime = z.iso.datetime({ offset: true });

/**
 * Epoch ms, or an ISO 8601 date-time with its zone (`2026-01-31T08:00:00+08:00`,
 * `…Z`). Checked before `Date.parse`, which alone takes almost anything
 * (`-5`, `12.5`, `abc 12` are dates in 2001 to V8) and reads a time without
 * a zone in the server's.
 */
export const timeParam = z.string().transform((s, ctx) => {
  const n = /^\d+$/.test(s) ? Number(s) : isoDateTime.safeParse(s).success ? Date.parse(s) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_TIME_MS) {
    ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 date-time with a zone, e.g. 2026-01-31T08:00:00+08:00' });
    return z.NEVER;
  }
  return n;
});

export const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

export const cursorParam = z.string().transform((s, ctx) => {
  const c = decodeCursor(s);
  if (!c) {
    ctx.addIssue({ code: 'custom', message: 'not a cursor this API handed out (use `next` of the previous page)' });
    return z.NEVER;
  }
  return c;
});

/** `GET /api/v1/alerts` query. */
export const listQuery = z
  .strictObject({
    state: list(ALERT_STATES).optional(),
    severity: list(SEVERITIES).optional(),
    enterpriseId: idSchema.optional(),
    ruleId: z.string().min(1).max(200).optional(),
    active: bool.optional(),
    /** Also alerts that never fired (pending, or cleared within their hold). Default false. */
    includeUnfired: bool.optional(),
    /** true: only shelved (搁置) alarms; false: only those not shelved. Default: both (nothing silently disappears). */
    shelved: bool.optional(),
    from: timeParam.optional(),
    to: timeParam.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
    before: cursorParam.optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { message: '`from` must be before `to`', path: ['from'] })
  .refine((q) => q.includeUnfired === true || !q.state?.includes('pending'), {
    message: 'a pending alert has not fired yet; add includeUnfired=true to list pending alerts',
    path: ['state'],
  });

export function toFilter(q: z.output<typeof listQuery>): AlertFilter {
  return {
    states: q.state,
    severities: q.severity,
    enterpriseId: q.enterpriseId,
    ruleId: q.ruleId,
    active: q.active,
    includeUnfired: q.includeUnfired,
    shelved: q.shelved,
    from: q.from,
    to: q.to,
    before: q.before,
    limit: q.limit,
  };
}

/** Alert ids are UUIDs (or test ids): the ledger's id shape. */
export const alertPath = z.strictObject({ id: idSchema });

/** `GET /api/v1/alerts/:id` query: point budget of the readings around the alert (default 500). */
export const detailQuery = z.strictObject({ points: z.coerce.number().int().min(1).max(10_000).default(500) });

export const acknowledgeBody = z.strictObject({ note: z.string().max(2000).optional() });
/** Blank text passes here and is refused by the state machine as DISPOSAL_TEXT_REQUIRED. */
export const disposeBody = z.strictObject({ text: z.string().max(4000) });

/**
 * `POST /api/v1/alerts/:id/shelve`: minutes (the console offers 30 min to 8 h) and the reason. The longest
 * shelve (`notify.maxShelveMs`) and the blank reason are the state machine's refusals, in Chinese and English.
 */
export const shelveBody = z.strictObject({
  minutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60),
  reason: z.string().max(2000),
});
/** `POST /api/v1/alerts/:id/unshelve`: the officer's optional reason. */
export const unshelveBody = z.strictObject({ reason: z.string().max(2000).optional() });

/** A `Last-Event-ID` header or `since` value: an alert_events seq. */
export const seqParam = z
  .string()
  .regex(/^\d{1,15}$/, 'must be an alert event id (a non-negative integer)')
  .transform((s) => Number(s));

export const streamQuery = z.strictObject({ since: seqParam.optional(), includeUnfired: bool.optional() });
