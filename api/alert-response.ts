/**
 * The enterprise's response to its alarm and the bureau's supervision of it (issue #18 §3–4):
 *
 *   GET  /api/v1/alerts/:id/response        the response record, what is owed and the time left, its steps   alerts.read
 *   POST /api/v1/alerts/:id/sign             { note? }                                 签收                   alerts.respond
 *   POST /api/v1/alerts/:id/feedback         { cause, measures, attachmentIds? }        反馈原因与措施          alerts.respond
 *   POST /api/v1/alerts/:id/clear-request    {}                                        申请消警                alerts.respond
 *   POST /api/v1/alerts/:id/review           { decision: accept | reject, reason }     审核企业反馈（橙、红）   alerts.review
 *   POST /api/v1/alerts/:id/verifications    { method, outcome, note }                 网络巡查记录            alerts.review
 *   GET  /api/v1/response-policy                                                       时限及其来源            alerts.read
 *
 * Every route finds the alarm in the caller's scope first (404 alike for a missing alarm and another
 * enterprise's or jurisdiction's). An enterprise user sees its own response record but not the bureau's
 * remote verification notes. A remote verification also completes the alarm's open remote-verification
 * task (the cap rules' 网络巡查, 2025 §七) when the platform gives `verifyTask`.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AlertQueries } from '../alerts/query.ts';
import {
  owed,
  RESPONSE_STATE_NAMES,
  REVIEW_DECISIONS,
  VERIFICATION_METHOD_NAMES,
  VERIFICATION_METHODS,
  VERIFICATION_OUTCOME_NAMES,
  VERIFICATION_OUTCOMES,
  type AlarmResponse,
  type VerificationMethod,
} from '../alerts/response/lifecycle.ts';
import { ALARM_KIND_NAMES, CAUSE_NAMES, RESPONSE_CAUSES, RESPONSE_POLICY_SOURCES, type ResponsePolicy } from '../alerts/response/policy.ts';
import type { ResponseService } from '../alerts/response/service.ts';
import { AppError } from '../core/errors.ts';
import { alertPath } from './alert-params.ts';
import type { Authenticator, Principal } from './auth.ts';
import { parse } from './parse.ts';

const text = (max: number) => z.string().max(max);
export const signBody = z.strictObject({ note: text(500).optional() });
export const feedbackBody = z.strictObject({
  cause: z.enum(RESPONSE_CAUSES),
  measures: text(2000),
  attachmentIds: z.array(z.string().min(1).max(100)).max(20).default([]),
});
export const clearBody = z.strictObject({});
export const reviewBody = z.strictObject({ decision: z.enum(REVIEW_DECISIONS), reason: text(2000).default('') });
export const verificationBody = z.strictObject({ method: z.enum(VERIFICATION_METHODS), outcome: z.enum(VERIFICATION_OUTCOMES), note: text(2000) });

/** What is owed next and the time left (negative: overdue), for the console. */
export function responseView(r: AlarmResponse, now: number) {
  const next = owed(r);
  return {
    ...r,
    stateName: RESPONSE_STATE_NAMES[r.state],
    kindName: ALARM_KIND_NAMES[r.kind],
    ...(r.feedback && { causeName: CAUSE_NAMES[r.feedback.cause] }),
    owed: next ? { ...next, leftMs: next.dueAt - now, overdue: now >= next.dueAt } : null,
  };
}

export interface ResponseRouteDeps {
  auth: Authenticator;
  queries: AlertQueries;
  responses: ResponseService;
  policy: ResponsePolicy;
  clock: { now(): number };
  /** Completes the alarm's open remote-verification task with the officer's record (inspections' tasks); whether there was one. */
  verifyTask?: ((alertId: string, who: Principal, method: VerificationMethod, note: string) => Promise<string | undefined>) | undefined;
}

export function registerResponseRoutes(app: FastifyInstance, deps: ResponseRouteDeps): void {
  const { auth, queries, responses } = deps;
  const visible = async (who: Principal, id: string) => {
    const alert = await queries.get(who.scope, id);
    if (!alert) throw new AppError('NOT_FOUND', `alert ${id} not found`);
    return alert;
  };

  app.get('/api/v1/response-policy', async (req) => {
    await auth.authorize(req, 'alerts.read');
    return {
      policy: deps.policy,
      sources: RESPONSE_POLICY_SOURCES,
      causes: RESPONSE_CAUSES.map((id) => ({ id, ...CAUSE_NAMES[id] })),
      kinds: Object.entries(ALARM_KIND_NAMES).map(([id, n]) => ({ id, ...n })),
      methods: VERIFICATION_METHODS.map((id) => ({ id, ...VERIFICATION_METHOD_NAMES[id] })),
      outcomes: VERIFICATION_OUTCOMES.map((id) => ({ id, ...VERIFICATION_OUTCOME_NAMES[id] })),
    };
  });

  app.get('/api/v1/alerts/:id/response', { schema: { params: alertPath } }, async (req) => {
    const who = await auth.authorize(req, 'alerts.read');
    const { id } = parse(alertPath, req.params, 'path');
    const alert = await visible(who, id);
    const stored = await responses.store.get(alert.id);
    const bureau = who.kind !== 'enterprise';
    return {
      response: stored ? responseView(stored.response, deps.clock.now()) : null,
      events: stored ? await responses.store.events(alert.id) : [],
      // the bureau's own notes of its remote verification are not the enterprise's to read
      verifications: bureau ? await responses.verifications(alert.id) : [],
    };
  });

  const step = (path: string, build: (body: unknown) => Parameters<ResponseService['respond']>[1], bodySchema: z.ZodType) =>
    app.post(`/api/v1/alerts/:id/${path}`, { schema: { params: alertPath, body: bodySchema } }, async (req) => {
      const permission = path === 'review' ? 'alerts.review' : 'alerts.respond';
      const who = await auth.authorize(req, permission);
      const { id } = parse(alertPath, req.params, 'path');
      const cmd = build(req.body ?? {});
      await visible(who, id);
      const after = await responses.respond(id, cmd, who.actor);
      req.log.info({ alertId: id, actor: who.actor, step: cmd.type, state: after.state }, 'alarm response step');
      return { response: responseView(after, deps.clock.now()) };
    });

  step('sign', (b) => ({ type: 'sign', ...parse(signBody, b, 'body') }), signBody);
  step('feedback', (b) => ({ type: 'feedback', ...parse(feedbackBody, b, 'body') }), feedbackBody);
  step('clear-request', (b) => (parse(clearBody, b, 'body'), { type: 'request_clear' }), clearBody);
  step('review', (b) => ({ type: 'review', ...parse(reviewBody, b, 'body') }), reviewBody);

  app.post('/api/v1/alerts/:id/verifications', { schema: { params: alertPath, body: verificationBody } }, async (req, reply) => {
    const who = await auth.authorize(req, 'alerts.review');
    const { id } = parse(alertPath, req.params, 'path');
    const body = parse(verificationBody, req.body ?? {}, 'body');
    const alert = await visible(who, id);
    const verification = await responses.verify(alert, body, who.actor);
    const note = `${VERIFICATION_OUTCOME_NAMES[body.outcome].zh}：${body.note.trim()}`;
    // only a verification that settles the matter closes the remote-verification task; a confirmed hazard or
    // an inconclusive check leaves it open, to be converted to an on-site inspection (2025 §七: on site when remote does not suffice)
    const settles = body.outcome === 'false_alarm' || body.outcome === 'handled';
    const taskId = settles && deps.verifyTask ? await deps.verifyTask(alert.id, who, body.method, note) : undefined;
    req.log.info({ alertId: id, actor: who.actor, method: body.method, outcome: body.outcome, taskId }, 'remote verification recorded');
    return reply.status(201).send({ verification, taskId: taskId ?? null });
  });
}
