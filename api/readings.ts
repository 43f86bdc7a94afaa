/**
 * A sensor's history (`GET …/sensors/:sensorId/readings`): `monitoring.read` — the officers of the jurisdiction,
 * and an enterprise's own users (issue #18) for their enterprise only (another's is 404).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { idSchema } from '../core/contract.ts';
import type { Db } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import type { InfluxClient } from '../core/influx/client.ts';
import { enterpriseInScope } from '../core/jurisdiction.ts';
import type { Provisioning } from '../ledger/provisioning.ts';
import type { Authenticator } from './auth.ts';
import { ROLLUP_FRESH_MS, historyQuerySchema, historyRange, latestOf, planHistory, runHistory } from './history.ts';
import { parse } from './parse.ts';

/** `rawRetentionMs`: how long raw readings are kept when the rollups are kept too (absent: no rollups, raw only). */
export function historyApi(
  config: { auth: Authenticator; rawRetentionMs?: number | undefined },
  deps: { db: Db; influx: InfluxClient; provisioning: Provisioning; clock: Pick<Clock, 'now'> },
) {
  const { auth } = config;
  return async (app: FastifyInstance): Promise<void> => {
    const readingsPath = z.object({ enterpriseId: idSchema, sensorId: idSchema });
    app.get(
      '/api/v1/enterprises/:enterpriseId/sensors/:sensorId/readings',
      { schema: { params: readingsPath, querystring: historyQuerySchema } },
      async (req) => {
        const who = await auth.authorize(req, 'monitoring.read');
        const { enterpriseId, sensorId } = parse(readingsPath, req.params, 'path');
        if (!(await enterpriseInScope(deps.db, who.scope, enterpriseId)))
          throw new AppError('NOT_FOUND', `企业 ${enterpriseId} 不存在 / enterprise ${enterpriseId} not found`);
        const q = parse(historyQuerySchema, req.query, 'query');
        const sensor = await deps.provisioning.getSensor(enterpriseId, sensorId);
        if (!sensor) throw new AppError('NOT_FOUND', `sensor ${sensorId} of enterprise ${enterpriseId} not found`);
        const { from, to } = historyRange(q, deps.clock.now());
        const now = deps.clock.now();
        const rollup = config.rawRetentionMs === undefined ? undefined : { rawSinceMs: now - config.rawRetentionMs, freshSinceMs: now - ROLLUP_FRESH_MS };
        const plan = planHistory({ enterpriseId, sensorId, from, to, points: q.points, periodMs: sensor.periodS * 1000, rollup });
        const points = await runHistory(deps.influx, plan);
        // the current value: the last reading measured in the range, not the last bucket's mean
        const latest = await latestOf(deps.influx, plan, points);
        return { sensor, from, to, mode: plan.mode, source: plan.source, intervalMs: plan.intervalMs, points, latest };
      },
    );
  };
}
