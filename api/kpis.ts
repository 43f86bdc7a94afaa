/**
 * The KPIs bureaus are judged on and the monthly report (issue #17 item 6; inspections/kpis.ts, docs/kpis.md):
 *
 *   GET /api/v1/kpis?authorityId=&from=&to=                     per authority, enterprise and point, over a period   stats.read
 *   GET /api/v1/reports/monthly?authorityId=&month=2026-11[&format=json|xlsx]   the same over a calendar month (CST)   stats.read
 *
 * Scoped like the statistics (api/stats.ts): an officer's authority is the default and the limit (another
 * subtree: 404), the admin's default is everything. A period never runs past now (the future is neither offline
 * time nor missing data): the current month is reported up to now, a month still to come is refused.
 * Every figure set carries `enterpriseTier` (issue #18 item 6; inspections/response-kpis.ts): the enterprises'
 * response to the alarms handed to them in the period, judged as of now, and their self-inspection reports due.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import type { Db } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import type { InfluxClient } from '../core/influx/client.ts';
import { KpiSource } from '../inspections/kpi-source.ts';
import { cstMonth } from '../inspections/kpis.ts';
import { monthlyWorkbook } from '../inspections/monthly-report.ts';
import type { SelfInspectionPolicy } from '../inspections/self-inspection-policy.ts';
import { timeParam } from './alert-params.ts';
import type { Authenticator, Principal } from './auth.ts';
import { parse } from './parse.ts';
import { XLSX_TYPE } from './registry-import.ts';
import { attachment, reportRoot } from './report-scope.ts';

const DAY = 86_400_000;
/** Longest period one KPI request may cover: 400 days (the platform's default, as the history's: a year with room). */
const MAX_PERIOD_MS = 400 * DAY;

const refuse = (zh: string, en: string): AppError => new AppError('BAD_REQUEST', `${zh} / ${en}`, { expose: { reason: { zh, en } } });

const kpiQuery = z.strictObject({ authorityId: idSchema.optional(), from: timeParam.optional(), to: timeParam.optional() });
const monthlyQuery = z.strictObject({
  authorityId: idSchema.optional(),
  month: z
    .string({ error: '月份必填，格式 YYYY-MM / month is required, as YYYY-MM' })
    .max(16)
    .meta({ description: '自然月（北京时间）YYYY-MM / a calendar month in China Standard Time, YYYY-MM', example: '2026-11' }),
  format: z.enum(['json', 'xlsx'], { error: 'format 可选 json、xlsx / format must be json or xlsx' }).default('json'),
});

/** `attachment` with an ASCII name and the Chinese one (RFC 5987 / RFC 6266 `filename*`). */

export function kpiApi(config: { auth: Authenticator; rollups: boolean }, deps: { db: Db; influx: InfluxClient; clock: { now(): number }; selfInspectionPolicy?: SelfInspectionPolicy | undefined }) {
  return async (app: FastifyInstance): Promise<void> => {
    const source = new KpiSource(deps.db, deps.influx, { rollups: config.rollups, selfInspectionPolicy: deps.selfInspectionPolicy });

    const rootOf = (who: Principal, authorityId: string | undefined) => reportRoot(deps.db, who, authorityId);

    app.get('/api/v1/kpis', { schema: { querystring: kpiQuery } }, async (req) => {
      const who = await config.auth.authorize(req, 'stats.read');
      const q = parse(kpiQuery, req.query, 'query');
      const now = deps.clock.now();
      const to = Math.min(q.to ?? now, now);
      const from = q.from ?? to - 30 * DAY;
      if (!(from < to)) throw refuse('query.from 须早于 to（且早于当前时间）', 'query.from must be before to (and before now)');
      if (to - from > MAX_PERIOD_MS) throw refuse('query: 统计期最长 400 天', 'query: the period may cover at most 400 days');
      const root = await rootOf(who, q.authorityId);
      return source.report(root.id, from, to, now);
    });

    app.get('/api/v1/reports/monthly', { schema: { querystring: monthlyQuery } }, async (req, reply) => {
      const who = await config.auth.authorize(req, 'stats.read');
      const q = parse(monthlyQuery, req.query, 'query');
      const month = cstMonth(q.month);
      if (!month)
        throw refuse(
          `query.month：“${q.month}”不是月份，应为 2000 年以后的 YYYY-MM（如 2026-11）`,
          `query.month: "${q.month}" is not a month; use YYYY-MM from 2000 on, e.g. 2026-11`,
        );
      const now = deps.clock.now();
      if (month.from >= now) throw refuse(`query.month：${q.month} 尚未开始`, `query.month: ${q.month} has not begun yet`);
      const root = await rootOf(who, q.authorityId);
      const to = Math.min(month.to, now);
      const report = { month: q.month, complete: to === month.to, ...(await source.report(root.id, month.from, to, now)) };
      if (q.format === 'json') return report;
      const bytes = await monthlyWorkbook(report, q.month);
      req.log.info({ authorityId: root.id, month: q.month, enterprises: report.enterprises.length, actor: who.actor }, 'monthly report exported');
      const slug = root.id ?? 'all';
      return reply
        .header('content-type', XLSX_TYPE)
        .header('content-disposition', attachment(`monthly-report-${slug}-${q.month}.xlsx`, `月报-${root.name}-${q.month}.xlsx`))
        .header('cache-control', 'no-store')
        .send(bytes);
    });
  };
}
