/**
 * Enterprise self-inspection reports (issue #18 item 5, domain rule 11, 应急〔2025〕11号 §十):
 *
 *   POST /api/v1/enterprises/:id/self-inspections                               { period: '2026-Q4', summary, hazards: [...] }   self_inspection.report
 *   GET  /api/v1/enterprises/:id/self-inspections?period=&limit=                the reports (newest first, `current` the one that counts) and the standing   self_inspection.read
 *   POST /api/v1/enterprises/:id/self-reported-hazards/:hazardId/rectified      { note }   the hazard rectified (once)   self_inspection.report
 *   GET  /api/v1/self-inspections/overdue                                       the enterprises of the caller's scope late with the last quarter now due   self_inspection.read
 *
 * Only the enterprise's own people submit (its safety manager or responsible person): any other
 * enterprise answers 404, as one outside an officer's jurisdiction does when read. A correction is a new
 * report for the same quarter (201, `corrects` naming the one it replaces). A bad field answers 400 naming
 * it, in Chinese and English (`error.field`, `error.reason`). The due dates are the bureau's setting
 * (`inspections/self-inspection-policy.ts`; the platform's default 15 days after the quarter).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import type { Db } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { enterpriseInScope } from '../core/jurisdiction.ts';
import type { SelfInspectionPolicy } from '../inspections/self-inspection-policy.ts';
import { rectifiedInput, reportInput, SelfInspections } from '../inspections/self-inspections.ts';
import type { Authenticator, Principal } from './auth.ts';

export interface SelfInspectionApiDeps {
  db: Db;
  clock: { now(): number };
  /** When reports are due (the bureau's setting); default: the platform's. */
  selfInspectionPolicy?: SelfInspectionPolicy | undefined;
}

const enterprisePath = z.strictObject({ id: idSchema });
const hazardPath = z.strictObject({ id: idSchema, hazardId: z.string().min(1).max(100) });
const listQuery = z.strictObject({
  period: z
    .string()
    .regex(/^\d{4}-Q[1-4]$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(20),
});
const overdueQuery = z.strictObject({});

/** Parses with the schema's own bilingual messages; 400 naming the field (`where.path`). */
function parseField<T extends z.ZodType>(schema: T, input: unknown, where: string): z.output<T> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = [where, ...issue.path].join('.');
  const [zh, en] = issue.message.includes(' / ') ? issue.message.split(' / ', 2) : [`格式不正确：${issue.message}`, issue.message];
  throw new AppError('BAD_REQUEST', `${field}: ${zh} / ${en}`, { expose: { field, reason: { zh: `${field}：${zh}`, en: `${field}: ${en}` } } });
}

export function selfInspectionApi(config: { auth: Authenticator }, deps: SelfInspectionApiDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    const { auth } = config;
    const store = new SelfInspections(deps.db, deps.selfInspectionPolicy);

    /** 404 alike for a missing enterprise and one outside the caller's scope. */
    const inScope = async (who: Principal, enterpriseId: string): Promise<void> => {
      if (!(await enterpriseInScope(deps.db, who.scope, enterpriseId)))
        throw new AppError('NOT_FOUND', `企业 ${enterpriseId} 不存在 / enterprise ${enterpriseId} not found`);
    };
    /** Only the enterprise's own people report for it: another enterprise is 404, as if it did not exist. */
    const ownEnterprise = (who: Principal, enterpriseId: string): void => {
      if (who.kind !== 'enterprise' || who.enterpriseId !== enterpriseId)
        throw new AppError('NOT_FOUND', `企业 ${enterpriseId} 不存在 / enterprise ${enterpriseId} not found`);
    };

    app.post('/api/v1/enterprises/:id/self-inspections', { schema: { params: enterprisePath, body: reportInput } }, async (req, reply) => {
      const who = await auth.authorize(req, 'self_inspection.report');
      const { id } = parseField(enterprisePath, req.params, 'path');
      ownEnterprise(who, id);
      const body = parseField(reportInput, req.body, 'body');
      const report = await store.submit(id, body, who.actor, deps.clock.now());
      req.log.info(
        { enterpriseId: id, reportId: report.id, period: report.period, hazards: report.hazardCount, corrects: report.corrects, actor: who.actor },
        report.corrects ? 'self-inspection report corrected' : 'self-inspection report submitted',
      );
      return reply.status(201).send({ report });
    });

    app.get('/api/v1/enterprises/:id/self-inspections', { schema: { params: enterprisePath, querystring: listQuery } }, async (req) => {
      const who = await auth.authorize(req, 'self_inspection.read');
      const { id } = parseField(enterprisePath, req.params, 'path');
      const q = parseField(listQuery, req.query, 'query');
      await inScope(who, id);
      const now = deps.clock.now();
      const [reports, status] = await Promise.all([store.list(id, q), store.statusOf(id, now)]);
      return { enterpriseId: id, status, reports };
    });

    app.post('/api/v1/enterprises/:id/self-reported-hazards/:hazardId/rectified', { schema: { params: hazardPath, body: rectifiedInput } }, async (req) => {
      const who = await auth.authorize(req, 'self_inspection.report');
      const { id, hazardId } = parseField(hazardPath, req.params, 'path');
      ownEnterprise(who, id);
      const { note } = parseField(rectifiedInput, req.body, 'body');
      const hazard = await store.rectify(id, hazardId, note, who.actor, deps.clock.now());
      req.log.info({ enterpriseId: id, hazardId, actor: who.actor }, 'self-reported hazard rectified');
      return { hazard };
    });

    app.get('/api/v1/self-inspections/overdue', { schema: { querystring: overdueQuery } }, async (req) => {
      const who = await auth.authorize(req, 'self_inspection.read');
      parseField(overdueQuery, req.query, 'query');
      return store.overdue(who.scope, deps.clock.now());
    });
  };
}
