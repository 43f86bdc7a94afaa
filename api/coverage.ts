/**
 * What watches each point (issue #15 items 11 and 14), resolved by the same
 * resolver and from the same ledger rows as the rules worker
 * (alerts/rules/coverage.ts, alerts/worker/directory.ts):
 *
 *   GET /api/v1/coverage?enterpriseId=   points, their effective rules, unmonitored points with reasons   monitoring.read (scoped; an enterprise user: its own)
 *
 * and the effective rules and warnings of a sensor just provisioned (the
 * `POST /api/v1/sensors` answer).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { coverageOf, pointCoverage, type Catalogue, type Coverage, type PointCoverage } from '../alerts/rules/index.ts';
import { OverrideStore, overrideOf } from '../alerts/rules/override-store.ts';
import { PointDirectory } from '../alerts/worker/directory.ts';
import { idSchema } from '../core/contract.ts';
import type { Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { enterpriseInScope } from '../core/jurisdiction.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';

export interface CoverageDeps {
  db: Queryable;
  /** The catalogue the rules worker evaluates. */
  catalogue: () => Promise<Catalogue>;
}

async function inputs(deps: CoverageDeps) {
  const [catalogue, overrides] = await Promise.all([deps.catalogue(), new OverrideStore(deps.db).list()]);
  return { catalogue, overrides: overrides.map(overrideOf) };
}

export async function enterpriseCoverage(deps: CoverageDeps, enterpriseId: string): Promise<Coverage & { catalogueVersion: number }> {
  const [{ catalogue, overrides }, points] = await Promise.all([inputs(deps), new PointDirectory(deps.db).ofEnterprise(enterpriseId)]);
  return { catalogueVersion: catalogue.version, ...coverageOf(catalogue, overrides, points) };
}

export interface Warning {
  code: 'unmonitored' | 'default_limits' | 'rule_not_applied' | 'link_by_zone' | 'stopped';
  zh: string;
  en: string;
}

/** What a provisioning answer warns about: a point no hazard rule watches, default limits standing in, a matching rule that cannot apply. */
export function warningsOf(c: PointCoverage): Warning[] {
  const out: Warning[] = [];
  if (c.status === 'unmonitored')
    out.push({
      code: 'unmonitored',
      zh: `测点 ${c.pointId} 未受任何报警规则监测：${c.reasons.map((r) => r.zh).join('；')}`,
      en: `point ${c.pointId} is not watched by any hazard rule: ${c.reasons.map((r) => r.en).join('; ')}`,
    });
  if (c.status === 'default')
    for (const r of c.reasons) out.push({ code: 'default_limits', zh: `测点 ${c.pointId}：${r.zh}`, en: `point ${c.pointId}: ${r.en}` });
  if (c.status !== 'unmonitored')
    for (const n of c.notApplied)
      out.push({
        code: 'rule_not_applied',
        zh: `测点 ${c.pointId}：规则 ${n.ruleId} 不能生效（${n.zh}）`,
        en: `point ${c.pointId}: rule ${n.ruleId} cannot apply (${n.en})`,
      });
  for (const l of c.linksByZone)
    out.push({ code: 'link_by_zone', zh: `测点 ${c.pointId}：规则 ${l.ruleId} ${l.zh}`, en: `point ${c.pointId}: rule ${l.ruleId}: ${l.en}` });
  if (c.status === 'stopped')
    out.push({ code: 'stopped', zh: `测点 ${c.pointId} ${c.reasons[0]?.zh ?? '已停用'}，不受规则监测`, en: `point ${c.pointId} is ${c.reasons[0]?.en ?? 'stopped'}; no rule watches it` });
  return out;
}

/** The effective rules and warnings of one provisioned point. */
export async function sensorCoverage(deps: CoverageDeps, enterpriseId: string, sensorId: string): Promise<PointCoverage | undefined> {
  const [{ catalogue, overrides }, points] = await Promise.all([inputs(deps), new PointDirectory(deps.db).ofEnterprise(enterpriseId)]);
  const p = points.find((x) => x.id === sensorId);
  return p && pointCoverage(catalogue, overrides, p);
}

/** The route as a fastify plugin: `app.register(coverageApi({ auth }, deps))`. */
export function coverageApi(config: { auth: Authenticator }, deps: CoverageDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    const coverageQuery = z.strictObject({ enterpriseId: idSchema });
    app.get('/api/v1/coverage', { schema: { querystring: coverageQuery } }, async (req) => {
      const who = await config.auth.authorize(req, 'monitoring.read');
      const { enterpriseId } = parse(coverageQuery, req.query, 'query');
      if (!(await enterpriseInScope(deps.db, who.scope, enterpriseId))) throw new AppError('NOT_FOUND', `企业 ${enterpriseId} 不存在 / enterprise ${enterpriseId} not found`);
      return { enterpriseId, ...(await enterpriseCoverage(deps, enterpriseId)) };
    });
  };
}
