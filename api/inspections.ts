/**
 * The enterprise ledger's supervision facts, inspections against the yearly
 * caps, and the inspection tasks (`tasks.ts`), each route checked for the
 * caller's role (`roles.ts`) and jurisdiction (an enterprise outside the
 * caller's authority subtree answers 404):
 *
 *   GET   /api/v1/enterprises/:id/ledger                  the ledger entry                                ledger.read
 *   PATCH /api/v1/enterprises/:id/ledger                  { highRisk?, grade?, riskFactors?, keyEnterprise? }   ledger.write
 *   POST  /api/v1/inspections                             { enterpriseId, authorityId?, origin, at?, note?, alertIds?, basisRef? }    inspections.record
 *   GET   /api/v1/enterprises?sector&status&q&limit         the board: link status, open alerts, online rate (24 h)   ledger.read
 *   GET   /api/v1/enterprises/:id/hazard-sources           major hazard sources (重大危险源)   ledger.read
 *   GET   /api/v1/enterprises/:id/file?limit               一企一档: ledger, major hazard sources, gateways, sensors, registered limits, self-inspection flag, recent alerts, inspections, tasks,
 *                                                           the enterprise tier's figures of the last 90 days (docs/kpis.md)   ledger.read
 *   GET   /api/v1/enterprises/:id/inspection-summary?year  "扫码入企": counts by origin, cap, open tasks   ledger.read
 *   (POST /api/v1/enterprises/import, the CSV list: enterprise-import.ts)
 *
 * An officer records inspections for their own authority (`authorityId`
 * defaults to it; another is 403); the admin names the authority, by
 * default the enterprise's own.
 *
 * A planned inspection beyond the cap answers 409 with `error.refusal:
 * 'CAP_REACHED'`, `error.reason: { zh, en }` and `error.counts`; an authority
 * that does not supervise the enterprise (nor is above its authority) 403.
 *
 * The exemption is earned (应急〔2025〕11号 §三; inspections/caps.ts
 * `exemptionOf`): origin `complaint` / `referral` without its number
 * (`basisRef`), `recheck` without the rectification order it checks
 * (`basisRef`), or `data_monitoring` without the alerts it rests on
 * (`alertIds`), answers 400 with `error.refusal: 'BASIS_REQUIRED'`; alerts
 * that are not fired alerts of the enterprise 409 `BASIS_UNKNOWN_ALERT`;
 * alerts none of which is a serious violation 409 `BASIS_NOT_SERIOUS`
 * (verify them remotely, or record a capped inspection). `at` before
 * 2000-01-01 (CST) or more than 5 minutes after now answers 400.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import type { Db } from '../core/db/db.ts';
import { yearOf } from '../inspections/caps.ts';
import { InspectionRecords, inspectionInput, type SeriousRules } from '../inspections/inspection-records.ts';
import { EnterpriseFacts, ledgerPatch } from '../ledger/enterprise-facts.ts';
import { AppError } from '../core/errors.ts';
import { enterpriseInScope } from '../core/jurisdiction.ts';
import { AlertQueries, summaryOf } from '../alerts/query.ts';
import { OverrideStore } from '../alerts/rules/override-store.ts';
import type { Provisioning } from '../ledger/provisioning.ts';
import { EnterpriseBoard } from '../inspections/board.ts';
import { TaskStore, type TaskJobEffect } from '../inspections/tasks/store.ts';
import { SelfInspections } from '../inspections/self-inspections.ts';
import { loadResponseFacts } from '../inspections/kpi-source.ts';
import { responseKpis, sumResponseFacts } from '../inspections/response-kpis.ts';
import type { SelfInspectionPolicy } from '../inspections/self-inspection-policy.ts';
import type { Authenticator, Principal } from './auth.ts';
import { parse } from './parse.ts';
import { registerStatsRoutes } from './stats.ts';
import { registerTaskRoutes, view as taskView } from './tasks.ts';

export interface InspectionRouteDeps {
  db: Db;
  /** The enterprises' supervision facts; default: one of its own. */
  enterpriseFacts?: EnterpriseFacts | undefined;
  /** The ledger's gateways and sensors (the enterprise's file), the platform's one instance. */
  provisioning: Pick<Provisioning, 'listGateways' | 'listSensors' | 'listHazardSources'>;
  clock: { now(): number };
  /** Schedules the tasks' re-check and overdue jobs (BullMQ). */
  taskJobs?: { schedule(effects: readonly TaskJobEffect[]): Promise<void> } | undefined;
  /** The rule catalogue's serious rules, for the exemption's basis. Default: the shipped catalogue's. */
  seriousRules?: SeriousRules | undefined;
  /** When self-inspection reports are due (the bureau's setting); default: the platform's. */
  selfInspectionPolicy?: SelfInspectionPolicy | undefined;
}

const recordBody = inspectionInput.extend({ authorityId: idSchema.optional() });

const enterprisePath = z.strictObject({ id: idSchema });
const boardQuery = z.strictObject({
  sector: z.string().min(1).max(64).optional(),
  status: z.enum(['online', 'partial', 'offline', 'no_gateway']).optional(),
  q: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(2000).default(500),
});
/** The period of the enterprise tier's figures in the enterprise file: the last 90 days (the platform's default). */
export const ENTERPRISE_TIER_DAYS = 90;
const fileQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) });
const summaryQuery = z.strictObject({ year: z.coerce.number().int().min(2000).max(2100).optional() });

export function inspectionApi(config: { auth: Authenticator }, deps: InspectionRouteDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    const { auth } = config;
    const facts = deps.enterpriseFacts ?? new EnterpriseFacts(deps.db);
    const records = new InspectionRecords(deps.db, deps.seriousRules, facts);
    const tasks = new TaskStore(deps.db, deps.seriousRules);
    const board = new EnterpriseBoard(deps.db);
    const overrideStore = new OverrideStore(deps.db);
    const alertQueries = new AlertQueries(deps.db);
    const selfInspections = new SelfInspections(deps.db, deps.selfInspectionPolicy);
    /** The enterprise tier's figures of the last `ENTERPRISE_TIER_DAYS` days, as of now (the file's own period). */
    const enterpriseTier = async (id: string, now: number) => {
      const from = now - ENTERPRISE_TIER_DAYS * 86_400_000;
      const tiers = await loadResponseFacts(deps.db, { kind: 'enterprises', ids: [id] }, { from, to: now + 1 }, now, deps.selfInspectionPolicy);
      return { from, to: now + 1, days: ENTERPRISE_TIER_DAYS, ...responseKpis(sumResponseFacts([...tiers.values()])) };
    };
    registerTaskRoutes(app, { ...deps, auth });
    registerStatsRoutes(app, { ...deps, auth });

    /** 404 alike for a missing enterprise and one outside the caller's jurisdiction. */
    const inScope = async (who: Principal, enterpriseId: string): Promise<void> => {
      if (!(await enterpriseInScope(deps.db, who.scope, enterpriseId))) throw new AppError('NOT_FOUND', `enterprise ${enterpriseId} not found`);
    };

    app.get('/api/v1/enterprises/:id/ledger', { schema: { params: enterprisePath } }, async (req) => {
      const who = await auth.authorize(req, 'ledger.read');
      const { id } = parse(enterprisePath, req.params, 'path');
      await inScope(who, id);
      return facts.get(id);
    });

    app.patch('/api/v1/enterprises/:id/ledger', { schema: { params: enterprisePath, body: ledgerPatch } }, async (req) => {
      const who = await auth.authorize(req, 'ledger.write');
      const { id } = parse(enterprisePath, req.params, 'path');
      const patch = parse(ledgerPatch, req.body, 'body');
      const entry = await facts.update(id, patch, who.actor, deps.clock.now());
      req.log.info({ enterpriseId: id, patch, actor: who.actor }, 'enterprise ledger updated');
      return entry;
    });

    app.post('/api/v1/inspections', { schema: { body: recordBody } }, async (req, reply) => {
      const who = await auth.authorize(req, 'inspections.record');
      const body = parse(recordBody, req.body, 'body');
      if (who.kind === 'officer' && body.authorityId !== undefined && body.authorityId !== who.authorityId)
        throw new AppError('FORBIDDEN', `an officer records inspections for their own authority (${who.authorityId}), not ${body.authorityId}`);
      await inScope(who, body.enterpriseId);
      // an officer inspects as their authority; the admin, unless told, as the enterprise's own
      const authorityId = body.authorityId ?? (who.kind === 'officer' ? who.authorityId : (await facts.get(body.enterpriseId)).authorityId);
      if (authorityId === null) throw new AppError('BAD_REQUEST', `body: authorityId: required (enterprise ${body.enterpriseId} has no supervising authority)`);
      const input = { ...body, authorityId };
      try {
        const r = await records.recordInspection(input, who.actor, deps.clock.now());
        req.log.info(
          {
            inspectionId: r.inspection.id,
            enterpriseId: input.enterpriseId,
            origin: input.origin,
            exempt: r.inspection.exempt,
            alertIds: r.inspection.alertIds,
            basisRef: r.inspection.basisRef,
          },
          'inspection recorded',
        );
        return reply.status(201).send(r);
      } catch (err) {
        req.log.warn({ err, enterpriseId: input.enterpriseId, authorityId: input.authorityId, origin: input.origin }, 'inspection refused');
        throw err;
      }
    });

    app.get('/api/v1/enterprises', { schema: { querystring: boardQuery } }, async (req) => {
      const who = await auth.authorize(req, 'ledger.read');
      const q = parse(boardQuery, req.query, 'query');
      return { enterprises: await board.list(who.scope, q, deps.clock.now()) };
    });

    app.get('/api/v1/enterprises/:id/file', { schema: { params: enterprisePath, querystring: fileQuery } }, async (req) => {
      const who = await auth.authorize(req, 'ledger.read');
      const { id } = parse(enterprisePath, req.params, 'path');
      const q = parse(fileQuery, req.query, 'query');
      await inScope(who, id);
      const { provisioning } = deps;
      const now = deps.clock.now();
      const [enterprise, hazardSources, gateways, sensors, overrides, alerts, inspections, recentTasks, selfInspection, tier] = await Promise.all([
        facts.get(id),
        provisioning.listHazardSources(id),
        provisioning.listGateways(id),
        provisioning.listSensors(id),
        overrideStore.list(id),
        alertQueries.list({ kind: 'all' }, { enterpriseId: id, limit: q.limit }),
        records.inspections(id, q.limit),
        tasks.list({ kind: 'all' }, { enterpriseId: id, limit: q.limit }),
        // the self-inspection flag (domain rule 11): the last quarter due, reported or overdue (and how many days)
        selfInspections.statusOf(id, now),
        // the enterprise tier (issue #18 item 6): its response to the alarms handed to it, its self-inspection reports
        enterpriseTier(id, now),
      ]);
      return {
        enterprise,
        hazardSources,
        gateways,
        sensors,
        registeredLimits: overrides,
        selfInspection,
        enterpriseTier: tier,
        history: { alerts: alerts.alerts.map(summaryOf), inspections, tasks: recentTasks.map(taskView) },
      };
    });

    app.get('/api/v1/enterprises/:id/hazard-sources', { schema: { params: enterprisePath } }, async (req) => {
      const who = await auth.authorize(req, 'monitoring.read');
      const { id } = parse(enterprisePath, req.params, 'path');
      await inScope(who, id);
      return { hazardSources: await deps.provisioning.listHazardSources(id) };
    });

    app.get('/api/v1/enterprises/:id/inspection-summary', { schema: { params: enterprisePath, querystring: summaryQuery } }, async (req) => {
      const who = await auth.authorize(req, 'ledger.read');
      const { id } = parse(enterprisePath, req.params, 'path');
      const q = parse(summaryQuery, req.query, 'query');
      await inScope(who, id);
      const [summary, openTasks] = await Promise.all([records.summary(id, q.year ?? yearOf(deps.clock.now())), tasks.open(id)]);
      return { ...summary, openTasks };
    });
  };
}
