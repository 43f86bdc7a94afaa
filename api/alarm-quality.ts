/**
 * `GET /api/v1/alarm-quality?authorityId=&from=&to=` (stats.read): the alarm-quality report (alerts/quality.ts)
 * of an authority's subtree — per enterprise and day: alarms raised, held back, standing, chattering and
 * fleeting; alarm floods per jurisdiction; the bad actors ranked — with the limits and where each comes from.
 * An officer's authority is the default and the limit (another subtree: 404). The period defaults to the last
 * 7 days, may cover at most 92, and never runs past now.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { alarmQuality } from '../alerts/quality-report.ts';
import { QUALITY_LIMITS } from '../alerts/quality.ts';
import { idSchema } from '../core/contract.ts';
import type { Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { authorityInScope, type Scope } from '../core/jurisdiction.ts';
import { timeParam } from './alert-params.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';

const DAY = 86_400_000;
/** Longest period one request may cover (a quarter; platform default). */
const MAX_PERIOD_MS = 92 * DAY;

const query = z.strictObject({ authorityId: idSchema.optional(), from: timeParam.optional(), to: timeParam.optional() });

export function alarmQualityApi(config: { auth: Authenticator }, deps: { db: Queryable; clock: { now(): number } }) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/v1/alarm-quality', { schema: { querystring: query } }, async (req) => {
      const who = await config.auth.authorize(req, 'stats.read');
      const q = parse(query, req.query, 'query');
      const now = deps.clock.now();
      const to = Math.min(q.to ?? now + 1, now + 1);
      const from = q.from ?? to - 7 * DAY;
      if (!(from < to)) throw new AppError('BAD_REQUEST', 'query: 起始时间须早于结束时间（且早于当前） / from must be before to (and before now)');
      if (to - from > MAX_PERIOD_MS) throw new AppError('BAD_REQUEST', 'query: 一次最多统计 92 天 / the period may cover at most 92 days');
      let scope: Scope = who.scope;
      if (q.authorityId !== undefined) {
        const { rows } = await deps.db.query('SELECT 1 FROM authorities WHERE id = $1', [q.authorityId]);
        if (rows.length === 0 || !(await authorityInScope(deps.db, who.scope, q.authorityId)))
          throw new AppError('NOT_FOUND', `authority ${q.authorityId} not found`);
        scope = { kind: 'authority', authorityId: q.authorityId };
      }
      const report = await alarmQuality(deps.db, scope, from, to);
      req.log.info({ from, to, authorityId: q.authorityId, raised: report.totals.raised, floods: report.totals.floods }, 'alarm-quality report');
      return { ...report, from: new Date(from).toISOString(), to: new Date(to).toISOString(), limits: QUALITY_LIMITS };
    });
  };
}
