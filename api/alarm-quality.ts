/**
 * `GET /api/v1/alarm-quality?authorityId=&from=&to=` (stats.read): the alarm-quality report (alerts/quality.ts)
 * of an authority's subtree — per enterprise and day: alarms raised, held back, standing, chattering and
 * fleeting; alarm floods per jurisdiction; the bad actors ranked — with the limits and where each comes from.
 * An officer's authority is the default and the limit (another subtree: 404). The period defaults to the last
 * 7 days, may cover at most 92, and never runs past now. `names` also carries the bad actors' rule (or group) names
 * (`rules`, from the catalogue in force) and point names (`points[enterpriseId][pointId]`: tag number and name).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { alarmQuality } from '../alerts/quality-report.ts';
import { QUALITY_LIMITS, type BadActor } from '../alerts/quality.ts';
import type { Catalogue } from '../alerts/rules/schema.ts';
import { idSchema } from '../core/contract.ts';
import type { Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import type { Scope } from '../core/jurisdiction.ts';
import { timeParam } from './alert-params.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';
import { reportRoot } from './report-scope.ts';

const DAY = 86_400_000;
/** Longest period one request may cover (a quarter; platform default). */
const MAX_PERIOD_MS = 92 * DAY;

/**
 * Names of consolidation groups that are no rule of their own (a group named after a rule takes the rule's name).
 * The console shows these instead of ids (issue #17 item 5).
 */
const GROUP_NAMES: Readonly<Record<string, { zh: string; en: string }>> = {
  'common.instrument_fault': { zh: '仪表故障（冻结/超量程/突降为零）', en: 'Instrument fault (frozen, out of range, dropped to zero)' },
};

/** The bad actors' rule (or group) names and point names (tag number and name), for people to read. */
async function actorNames(db: Queryable, catalogue: (() => Promise<Catalogue>) | undefined, actors: readonly BadActor[]) {
  const rules: Record<string, { zh: string; en: string }> = {};
  const cat = catalogue ? await catalogue().catch(() => undefined) : undefined;
  for (const a of actors) {
    const name = GROUP_NAMES[a.ruleId] ?? cat?.rules.find((r) => r.id === a.ruleId)?.name;
    if (name) rules[a.ruleId] = { zh: name.zh, en: name.en };
  }
  const points: Record<string, Record<string, string>> = {};
  if (actors.length > 0) {
    const { rows } = await db.query<{ enterprise_id: string; id: string; tag_no: string; name: string }>(
      'SELECT enterprise_id, id, tag_no, name FROM sensors WHERE enterprise_id = ANY($1) AND id = ANY($2)',
      [[...new Set(actors.map((a) => a.enterpriseId))], [...new Set(actors.map((a) => a.subject))]],
    );
    for (const r of rows) (points[r.enterprise_id] ??= {})[r.id] = [r.tag_no, r.name].filter((x) => x && x.trim()).join(' ');
  }
  return { rules, points };
}

const query = z.strictObject({ authorityId: idSchema.optional(), from: timeParam.optional(), to: timeParam.optional() });

export function alarmQualityApi(
  config: { auth: Authenticator },
  deps: { db: Queryable; clock: { now(): number }; catalogue?: (() => Promise<Catalogue>) | undefined },
) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/v1/alarm-quality', { schema: { querystring: query } }, async (req) => {
      const who = await config.auth.authorize(req, 'stats.read');
      const q = parse(query, req.query, 'query');
      const now = deps.clock.now();
      const to = Math.min(q.to ?? now + 1, now + 1);
      const from = q.from ?? to - 7 * DAY;
      if (!(from < to)) throw new AppError('BAD_REQUEST', 'query: 起始时间须早于结束时间（且早于当前） / from must be before to (and before now)');
      if (to - from > MAX_PERIOD_MS) throw new AppError('BAD_REQUEST', 'query: 一次最多统计 92 天 / the period may cover at most 92 days');
      const root = await reportRoot(deps.db, who, q.authorityId);
      const scope: Scope = root.id === null ? who.scope : { kind: 'authority', authorityId: root.id };
      const report = await alarmQuality(deps.db, scope, from, to);
      req.log.info({ from, to, authorityId: q.authorityId, raised: report.totals.raised, floods: report.totals.floods }, 'alarm-quality report');
      const named = await actorNames(deps.db, deps.catalogue, report.badActors);
      return {
        ...report,
        names: { ...report.names, ...named },
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        limits: QUALITY_LIMITS,
      };
    });
  };
}
