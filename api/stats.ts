/**
 * `GET /api/v1/stats?authorityId=&from=&to=` (stats.read): the figures of
 * `inspections/stats.ts` for an authority's subtree and a period. An
 * officer's authority is the default and the limit (another subtree: 404);
 * the admin's default is everything. The period defaults to the last 30
 * days and never runs past now (the future is not offline time).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import type { Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { Statistics } from '../inspections/stats.ts';
import { timeParam } from './alert-params.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';
import { reportRoot } from './report-scope.ts';

const DAY = 86_400_000;
/** Longest period one request may cover. */
const MAX_PERIOD_MS = 3 * 366 * DAY;

const statsQuery = z.strictObject({ authorityId: idSchema.optional(), from: timeParam.optional(), to: timeParam.optional() });

export function registerStatsRoutes(app: FastifyInstance, deps: { db: Queryable; clock: { now(): number }; auth: Authenticator }): void {
  const stats = new Statistics(deps.db);
  app.get('/api/v1/stats', { schema: { querystring: statsQuery } }, async (req) => {
    const who = await deps.auth.authorize(req, 'stats.read');
    const q = parse(statsQuery, req.query, 'query');
    const now = deps.clock.now();
    // `to` is exclusive: now + 1 ms takes in what happened at this very moment
    const to = Math.min(q.to ?? now + 1, now + 1);
    const from = q.from ?? to - 30 * DAY;
    if (!(from < to)) throw new AppError('BAD_REQUEST', 'query: from must be before to (and before now)');
    if (to - from > MAX_PERIOD_MS) throw new AppError('BAD_REQUEST', 'query: the period may cover at most three years');
    const root = await reportRoot(deps.db, who, q.authorityId);
    return stats.report(root.id, from, to);
  });
}
