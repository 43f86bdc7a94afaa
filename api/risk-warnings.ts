/**
 * Risk warnings (预警, alerts/warnings/): apart from the point alarms, the judgement about each enterprise and
 * each of its major hazard sources, with the factors that make it and its history of changes.
 *
 *   GET /api/v1/risk-warnings                          the enterprises in the caller's jurisdiction with a warning (above none), highest first   alerts.read
 *   GET /api/v1/enterprises/:enterpriseId/risk-warnings the enterprise's and its hazard sources' warnings, and the changes of level (newest first)  alerts.read
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import type { Db } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { enterpriseInScope, Params, scopeSql, whereAll } from '../core/jurisdiction.ts';
import { DEFAULT_RISK_POLICY, POLICY_SOURCES, WARNING_NAMES, rankOf, type WarningResult } from '../alerts/warnings/policy.ts';
import { RiskWarningStore } from '../alerts/warnings/store.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';

const LEVELS = ['blue', 'yellow', 'orange', 'red'] as const;

export function riskWarningApi(config: { auth: Authenticator }, deps: { db: Db }) {
  return async (app: FastifyInstance): Promise<void> => {
    const store = new RiskWarningStore(deps.db);
    const listQuery = z.strictObject({ minLevel: z.enum(LEVELS).default('blue') });
    const path = z.object({ enterpriseId: idSchema });
    const eventsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

    app.get('/api/v1/risk-warnings', { schema: { querystring: listQuery } }, async (req) => {
      const who = await config.auth.authorize(req, 'alerts.read');
      const q = parse(listQuery, req.query, 'query');
      const params = new Params();
      const { cte, cond } = scopeSql(who.scope, params, 'w.enterprise_id');
      const levels = params.add(LEVELS.filter((l) => rankOf(l) >= rankOf(q.minLevel)));
      const { rows } = await deps.db.query<{
        enterprise_id: string;
        name: string;
        authority_id: string | null;
        level: WarningResult;
        since: Date;
        factors: unknown;
      }>(
        `${cte}SELECT w.enterprise_id, e.name, e.authority_id, w.level, w.since, w.factors FROM risk_warnings w JOIN enterprises e ON e.id = w.enterprise_id
         ${whereAll([`w.hazard_source_code = ''`, `w.level = ANY(${levels})`, cond])}`,
        params.values,
      );
      const warnings = rows
        .map((r) => ({
          enterpriseId: r.enterprise_id,
          enterpriseName: r.name,
          authorityId: r.authority_id,
          level: r.level,
          name: WARNING_NAMES[r.level],
          since: new Date(r.since).toISOString(),
          factors: r.factors,
        }))
        .sort((a, b) => rankOf(b.level) - rankOf(a.level) || a.since.localeCompare(b.since));
      return { policyVersion: DEFAULT_RISK_POLICY.version, warnings };
    });

    app.get('/api/v1/enterprises/:enterpriseId/risk-warnings', { schema: { params: path, querystring: eventsQuery } }, async (req) => {
      const who = await config.auth.authorize(req, 'alerts.read');
      const { enterpriseId } = parse(path, req.params, 'path');
      const { limit } = parse(eventsQuery, req.query, 'query');
      if (!(await enterpriseInScope(deps.db, who.scope, enterpriseId))) throw new AppError('NOT_FOUND', `enterprise ${enterpriseId} not found`);
      const [current, events] = await Promise.all([store.ofEnterprise(enterpriseId), store.events(enterpriseId, limit)]);
      const named = <T extends { level: WarningResult }>(w: T) => ({ ...w, name: WARNING_NAMES[w.level] });
      return {
        enterpriseId,
        enterprise: named(
          current.find((w) => w.hazardSourceCode === '') ?? { enterpriseId, hazardSourceCode: '', level: 'none' as WarningResult, factors: [] },
        ),
        hazardSources: current.filter((w) => w.hazardSourceCode !== '').map(named),
        events: events.map((e) => ({ ...e, fromName: WARNING_NAMES[e.from], toName: WARNING_NAMES[e.to] })),
        policy: { version: DEFAULT_RISK_POLICY.version, sources: POLICY_SOURCES },
      };
    });
  };
}
