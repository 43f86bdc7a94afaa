/**
 * `GET /api/v1/stats?authorityId=&from=&to=` (stats.read): the figures of
 * `inspections/stats.ts` for an authority's subtree and a period. An
 * officer's authority is the default and the limit (another subtree: 404);
 * the admin's default is everything. The period defaults to the last 30
 * days and never runs past now (the future is not offline time).
 * `enterpriseTier`: the enterprise tier's figures over the subtree and period
 * (issue #18 item 6; inspections/response-kpis.ts, docs/kpis.md): the alarms
 * handed to the enterprises in the period, judged as of now.
 *
 * Leaders' statistics (issue #20 §10):
 * - the period as China Standard Time days, `fromDate=2026-11-01&toDate=2026-11-30` (both inclusive), instead of
 *   `from`/`to` (epoch ms or ISO date-times, `to` exclusive); at most `MAX_PERIOD_DAYS` days (the platform's default);
 * - `yearOnYear` (同比): the headline figures and the counts by origin of the same period one year earlier
 *   (`yearEarlier`: the same CST calendar days), cut at the same point when this period runs up to now;
 * - `byOrigin`: inspections and tasks (cases) by origin with the hazards and major hazards they found;
 * - `format=xlsx` (`lang=zh|en`, Chinese by default): what the screen shows, as a workbook
 *   (inspections/stats-workbook.ts), named by the scope and the period.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { cstDay } from '../alerts/quality.ts';
import { idSchema } from '../core/contract.ts';
import type { Db } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { loadResponseFacts } from '../inspections/kpi-source.ts';
import { responseKpis, sumResponseFacts } from '../inspections/response-kpis.ts';
import type { SelfInspectionPolicy } from '../inspections/self-inspection-policy.ts';
import { Statistics, yearEarlier } from '../inspections/stats.ts';
import { statsWorkbook } from '../inspections/stats-workbook.ts';
import { timeParam } from './alert-params.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';
import { XLSX_TYPE } from './registry-import.ts';
import { attachment, reportRoot } from './report-scope.ts';

const DAY = 86_400_000;
const CST_MS = 8 * 3_600_000;
/** Longest period one request may cover: 1098 days (three years of 366; the platform's default). */
export const MAX_PERIOD_DAYS = 3 * 366;
const MAX_PERIOD_MS = MAX_PERIOD_DAYS * DAY;

const refuse = (zh: string, en: string): AppError => new AppError('BAD_REQUEST', `${zh} / ${en}`, { expose: { reason: { zh, en } } });

const dateParam = z
  .string()
  .max(32)
  .meta({ description: '北京时间的日期（含当日）YYYY-MM-DD / a day in China Standard Time, inclusive, YYYY-MM-DD', example: '2026-11-01' });

const statsQuery = z.strictObject({
  authorityId: idSchema.optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
  fromDate: dateParam.optional(),
  toDate: dateParam.optional(),
  format: z.enum(['json', 'xlsx'], { error: 'format 可选 json、xlsx / format must be json or xlsx' }).default('json'),
  lang: z.enum(['zh', 'en'], { error: 'lang 可选 zh、en / lang must be zh or en' }).default('zh'),
});

/** The start (CST midnight) of a `YYYY-MM-DD` day from 2000 on, or undefined if it is no such day. */
function cstDate(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 2000 || mo < 1 || mo > 12 || d < 1) return undefined;
  const ms = Date.UTC(y, mo - 1, d);
  if (new Date(ms).getUTCDate() !== d) return undefined; // 2026-02-30
  return ms - CST_MS;
}

const dayOf = (ms: number): string => cstDay(ms).date;
/** The CST days of [from, to), inclusive: the last is the day of the last millisecond. */
const daysOf = (from: number, to: number) => ({ fromDate: dayOf(from), toDate: dayOf(to - 1) });

/** The period asked for, as [from, to) epoch ms, refused with a reason in both languages when it is none. */
function periodOf(q: z.output<typeof statsQuery>, now: number): { from: number; to: number } {
  if ((q.fromDate !== undefined || q.toDate !== undefined) && (q.from !== undefined || q.to !== undefined))
    throw refuse('query：fromDate/toDate 与 from/to 不能同时使用', 'query: use either fromDate/toDate or from/to, not both');
  const day = (field: 'fromDate' | 'toDate', s: string): number => {
    const ms = cstDate(s);
    if (ms === undefined)
      throw refuse(
        `query.${field}：“${s}”不是日期，应为 2000 年以后的 YYYY-MM-DD（北京时间，如 2026-11-01）`,
        `query.${field}: "${s}" is not a date; use YYYY-MM-DD from 2000 on, China Standard Time (e.g. 2026-11-01)`,
      );
    return ms;
  };
  let from: number;
  let to: number;
  if (q.fromDate !== undefined || q.toDate !== undefined) {
    const end = q.toDate !== undefined ? day('toDate', q.toDate) + DAY : cstDay(now).start + DAY;
    const start = q.fromDate !== undefined ? day('fromDate', q.fromDate) : end - 30 * DAY;
    if (start >= end)
      throw refuse(
        `query：开始日期 ${q.fromDate ?? dayOf(start)} 晚于结束日期 ${q.toDate ?? dayOf(end - 1)}`,
        `query: the start date ${q.fromDate ?? dayOf(start)} is after the end date ${q.toDate ?? dayOf(end - 1)}`,
      );
    if (start > now) throw refuse(`query.fromDate：${dayOf(start)} 尚未开始`, `query.fromDate: ${dayOf(start)} has not begun yet`);
    from = start;
    // a period that reaches today is reported up to now (the future is not offline time)
    to = Math.min(end, now + 1);
    if (end - start > MAX_PERIOD_MS)
      throw refuse(
        `query：统计期最长 ${MAX_PERIOD_DAYS} 天（平台默认值），所选为 ${Math.round((end - start) / DAY)} 天`,
        `query: the period may cover at most ${MAX_PERIOD_DAYS} days (the platform's default); ${Math.round((end - start) / DAY)} were asked`,
      );
  } else {
    // `to` is exclusive: now + 1 ms takes in what happened at this very moment
    to = Math.min(q.to ?? now + 1, now + 1);
    from = q.from ?? to - 30 * DAY;
    if (!(from < to)) throw refuse('query.from 须早于 to（且早于当前时间）', 'query: from must be before to (and before now)');
    if (to - from > MAX_PERIOD_MS)
      throw refuse(
        `query：统计期最长 ${MAX_PERIOD_DAYS} 天（平台默认值）`,
        `query: the period may cover at most ${MAX_PERIOD_DAYS} days (the platform's default)`,
      );
  }
  return { from, to };
}

export function registerStatsRoutes(
  app: FastifyInstance,
  deps: { db: Db; clock: { now(): number }; auth: Authenticator; selfInspectionPolicy?: SelfInspectionPolicy | undefined },
): void {
  const stats = new Statistics(deps.db);
  app.get('/api/v1/stats', { schema: { querystring: statsQuery } }, async (req, reply) => {
    const who = await deps.auth.authorize(req, 'stats.read');
    const q = parse(statsQuery, req.query, 'query');
    const now = deps.clock.now();
    const { from, to } = periodOf(q, now);
    const root = await reportRoot(deps.db, who, q.authorityId);
    const scope = root.id === null ? ({ kind: 'all' } as const) : ({ kind: 'authority', authorityId: root.id } as const);
    const [earlierFrom, earlierTo] = [yearEarlier(from), yearEarlier(to)];
    const [report, tiers, byOrigin, previous, previousByOrigin, names] = await Promise.all([
      stats.report(root.id, from, to),
      loadResponseFacts(deps.db, scope, { from, to }, now, deps.selfInspectionPolicy),
      stats.byOrigin(root.id, from, to),
      stats.report(root.id, earlierFrom, earlierTo),
      stats.byOrigin(root.id, earlierFrom, earlierTo),
      deps.db.query<{ id: string; name: string }>('SELECT id, name FROM authorities'),
    ]);
    const authorityNames = new Map(names.rows.map((a) => [a.id, a.name]));
    const period = daysOf(from, to);
    const earlier = daysOf(earlierFrom, earlierTo);
    const body = {
      ...report,
      scopeName: root.id === null ? null : root.name,
      period,
      enterprises: report.enterprises.map((e) => ({ ...e, authorityName: e.authorityId === null ? null : (authorityNames.get(e.authorityId) ?? null) })),
      enterpriseTier: responseKpis(sumResponseFacts([...tiers.values()])),
      byOrigin,
      yearOnYear: { from: earlierFrom, to: earlierTo, ...earlier, totals: previous.totals, byOrigin: previousByOrigin },
    };
    if (q.format === 'json') return body;
    const bytes = await statsWorkbook(
      { scope: body.scopeName, period, earlier, report, byOrigin, previous: { totals: previous.totals, byOrigin: previousByOrigin }, authorityNames },
      q.lang,
    );
    req.log.info({ authorityId: root.id, ...period, actor: who.actor }, 'statistics exported');
    const slug = root.id ?? 'all';
    const name =
      q.lang === 'en'
        ? `statistics-${root.id === null ? 'all' : root.name}-${period.fromDate}-${period.toDate}.xlsx`
        : `统计报表-${root.name}-${period.fromDate}至${period.toDate}.xlsx`;
    return reply
      .header('content-type', XLSX_TYPE)
      .header('content-disposition', attachment(`statistics-${slug}-${period.fromDate}-${period.toDate}.xlsx`, name))
      .header('cache-control', 'no-store')
      .send(bytes);
  });
}
