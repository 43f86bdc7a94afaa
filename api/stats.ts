/**
 * `GET /api/v1/stats?authorityId=&from=&to=` (stats.read): the figures of
 * `inspections/stats.ts` for an authority's subtree and a period. An
 * officer's authority is the default and the limit (another subtree: 404);
 * the admin's default is everything. The period defaults to the last 30
 * days and never runs past now (the future is not offline time).
 * `enterpriseTier`: the enterprise tier's figures over the subtree and period
 * (issue #18 item 6; inspections/response-kpis.ts, docs/kpis.md): the alarms
 * handed to the enterprises in the period, judged as of now.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import type { Db } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { loadResponseFacts } from '../inspections/kpi-source.ts';
import { responseKpis, sumResponseFacts } from '../inspections/response-kpis.ts';
import type { SelfInspectionPolicy } from '../inspections/self-inspection-policy.ts';
import { Statistics } from '../inspections/stats.ts';
import { timeParam } from './alert-params.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';
import { reportRoot } from './report-scope.ts';

const DAY = 86_400_000;
/** Longest period one request may cover. */
const MAX_PERIOD_MS = 3 * 366 * DAY;

const statsQuery = z.strictObject({ authorityId: idSchema.optional(), from: timeParam.optional(), to: timeParam.optional() });

export function registerStatsRoutes(app: FastifyInstance, deps: { db: Db; clock: { now(): number }; auth: Authenticator; selfInspectionPolicy?: SelfInspectionPolicy | undefined }): void {
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
    const scope = root.id === null ? ({ kind: 'all' } as const) : ({ kind: 'authority', authorityId: root.id } as const);
    const [report, tiers] = await Promise.all([stats.report(root.id, from, to), loadResponseFacts(deps.db, scope, { from, to }, now, deps.selfInspectionPolicy)]);
    return { ...report, enterpriseTier: responseKpis(sumResponseFacts([...tiers.values()])) };
  });
}
