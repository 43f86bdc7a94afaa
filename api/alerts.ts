/**
 * The alerts API (issue #3): officers' list, detail, acknowledge (签收) and
 * dispose (处置), the live stream, and the officer admin routes; every alert
 * route limited to the caller's jurisdiction (`alerts/query.ts`).
 *
 *   GET  /api/v1/alerts                    list, newest `startedAt` first, keyset pages
 *   GET  /api/v1/alerts/stream             Server-Sent Events (`alert-stream.ts`)
 *   GET  /api/v1/alerts/:id                alert, events, evidence, readings around it
 *   POST /api/v1/alerts/:id/acknowledge    { note? }
 *   POST /api/v1/alerts/:id/dispose        { text }
 *   POST /api/v1/alerts/:id/shelve         { minutes, reason }  搁置 a nuisance alarm (ISA-18.2 / EEMUA 191)
 *   POST /api/v1/alerts/:id/unshelve       { reason? }          取消搁置
 *   POST /api/v1/officers                  admin: { id, name, authorityId } → token, once
 *   POST /api/v1/officers/:id/disable      admin
 *
 * An alert outside the caller's jurisdiction is answered 404 exactly like a
 * missing one, and left out of lists and the stream.
 *
 * Shelving is `alerts.act`, like acknowledge and dispose: duty officers and
 * leaders (带班领导, who may do all a duty officer may) and the admin;
 * inspectors may not. The route says whether the alarm is safety-critical (its
 * rule, or a consolidated member's, is `seriousViolation` in the catalogue in
 * force) and passes the bureau's longest shelve; the state machine refuses red,
 * safety-critical, blank reasons and too long a shelve. The 'shelved' and
 * 'unshelved' events are the audit record (hash-chained with every alert event).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../core/db/db.ts';
import type { InfluxClient } from '../core/influx/client.ts';
import { AppError, type ErrorCode } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { applyCommand } from '../alerts/apply.ts';
import type { Announce } from '../alerts/bus.ts';
import { AlertQueries, summaryOf } from '../alerts/query.ts';
import { authorityChain } from '../core/jurisdiction.ts';
import { ruleFacts } from '../alerts/rules/explain.ts';
import { OverrideStore, overrideOf } from '../alerts/rules/override-store.ts';
import { defaultCatalogue, seriousRule } from '../alerts/rules/index.ts';
import type { Catalogue } from '../alerts/rules/schema.ts';
import type { RulePoint } from '../alerts/rules/limits.ts';
import { DEFAULT_MAX_SHELVE_MS, type Command, type TransitionErrorCode } from '../alerts/state/index.ts';
import type { EscalationLimits } from '../alerts/state/escalation.ts';
import { escalationLevelsOf } from '../alerts/notify/authorities.ts';
import { AlertStore } from '../alerts/store.ts';
import { enterpriseAlertView, enterpriseEvents, enterpriseEvidence, readingsAround, resolveEvidence, type DetailDeps } from './alert-detail.ts';
import { acknowledgeBody, alertPath, detailQuery, disposeBody, encodeCursor, listQuery, shelveBody, toFilter, unshelveBody } from './alert-params.ts';
import { registerAlertStream, type SubscribeAlertEvents } from './alert-stream.ts';
import { registerResponseRoutes, responseView, type ResponseRouteDeps } from './alert-response.ts';
import { DEFAULT_RESPONSE_POLICY, type ResponsePolicy } from '../alerts/response/policy.ts';
import { ResponseService } from '../alerts/response/service.ts';
import type { Authenticator } from './auth.ts';
import { type Principal } from './auth.ts';
import { enterpriseContacts } from './enterprise-contacts.ts';
import { namesOf, officerOfActor } from './names.ts';
import { parse } from './parse.ts';
import { tasksOfAlert } from './tasks.ts';

/** What the platform passes (as `ApiDeps.alerts`) to switch the alerts API on. */
export interface AlertApiDeps {
  /**
   * The database, with transactions. Every acknowledge/dispose uses a fresh
   * `AlertStore`: its revision cache must not be shared between concurrent
   * requests, or the second writer would pass the revision check with a stale alert.
   */
  db: Db;
  /** Told the seqs of events an officer's action saved (`redisAnnouncer` from alerts/bus.ts). */
  announce?: Announce | undefined;
  /** Wakes the live streams when events exist (Redis subscriber on `alertEventsChannel`); without it they poll at each heartbeat. */
  subscribeAlertEvents?: SubscribeAlertEvents | undefined;
  /** The rule catalogue in force (the alert detail shows the rule and its limits). */
  catalogue?: (() => Promise<Catalogue>) | undefined;
  /** Stream heartbeat, safety poll and token re-check interval, ms. Default 15,000. */
  heartbeatMs?: number | undefined;
  /**
   * Time allowed to acknowledge before escalation, per grade, ms (config `notify.escalation`; platform default red 5 min,
   * orange 15 min): the console shows each alarm's time left before it is escalated (issue #20 §4).
   */
  escalationLimits?: EscalationLimits | undefined;
  /** Longest shelve (搁置), ms: the bureau's setting (`notify.maxShelveMs`). Default `DEFAULT_MAX_SHELVE_MS`, 8 h (one duty shift). */
  maxShelveMs?: number | undefined;
  /** The enterprise's response time limits (config `response`). Default `DEFAULT_RESPONSE_POLICY`. */
  responsePolicy?: ResponsePolicy | undefined;
  /** Of these attachment ids, those that are not the alarm's (the attachment store); without it feedback takes no attachments. */
  foreignAttachments?: ((alertId: string, ids: readonly string[]) => Promise<string[]>) | undefined;
  /** Completes the alarm's open remote-verification task with an officer's remote verification (api/tasks.ts). */
  verifyTask?: ResponseRouteDeps['verifyTask'];
}

export interface AlertRouteDeps {
  influx: InfluxClient;
  /** A sensor as the ledger has it (the rule facts resolve its registered marks). */
  provisioning: {
    getSensor(enterpriseId: string, sensorId: string): Promise<{ id: string; kind: string; unit: string; periodS: number } | undefined>;
    getRulePoint(enterpriseId: string, sensorId: string): Promise<RulePoint | undefined>;
  };
  clock: { now(): number };
  logger: Logger;
  alerts: AlertApiDeps;
}

/** HTTP answer to a refused transition; the state machine's code goes out as `error.transition`. */
export function transitionHttpError(code: TransitionErrorCode): { status: number; code: ErrorCode | 'INTERNAL' } {
  switch (code) {
    case 'NO_ACTIVE_ALERT':
      return { status: 404, code: 'NOT_FOUND' };
    case 'INVALID_TRANSITION':
    case 'ALREADY_ACKNOWLEDGED':
    case 'ALREADY_DISPOSED':
    case 'SHELVE_NOT_ALLOWED':
    case 'ALARM_SHELVED':
      return { status: 409, code: 'CONFLICT' };
    case 'DISPOSAL_TEXT_REQUIRED':
    case 'INVALID_ACTOR':
    case 'INVALID_ESCALATION':
    case 'SHELVE_REASON_REQUIRED':
    case 'SHELVE_DURATION_INVALID':
      return { status: 400, code: 'BAD_REQUEST' };
    case 'FINGERPRINT_MISMATCH':
      // Only a finding can mismatch; the API never sends one. A bug, not the caller's fault.
      return { status: 500, code: 'INTERNAL' };
  }
}

/** The alerts API as a fastify plugin: `app.register(alertApi({ auth }, deps))`. */
export function alertApi(config: { auth: Authenticator; rawRetentionMs?: number | undefined }, deps: AlertRouteDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    const { db } = deps.alerts;
    const { auth } = config;
    // the stores, built once for the routes (they hold no per-request state)
    const queries = new AlertQueries(db);
    const store = new AlertStore(db);
    const overrideStore = new OverrideStore(db);
    const detailDeps: DetailDeps = {
      influx: deps.influx,
      getSensor: (e, s) => deps.provisioning.getSensor(e, s),
      now: () => deps.clock.now(),
      logger: deps.logger,
      rawRetentionMs: config.rawRetentionMs,
    };

    // the enterprise's response to its alarms and the bureau's review (issue #18)
    const policy = deps.alerts.responsePolicy ?? DEFAULT_RESPONSE_POLICY;
    const responses = new ResponseService({
      db,
      alerts: store,
      clock: deps.clock,
      logger: deps.logger,
      policy,
      patternOf: () => undefined,
      announce: deps.alerts.announce,
      foreignAttachments: deps.alerts.foreignAttachments,
    });
    registerResponseRoutes(app, { auth, queries, responses, policy, clock: deps.clock, verifyTask: deps.alerts.verifyTask });

    registerAlertStream(app, {
      queries,
      auth,
      subscribe: deps.alerts.subscribeAlertEvents,
      heartbeatMs: deps.alerts.heartbeatMs ?? 15_000,
      logger: deps.logger.child({ part: 'api' }),
    });

    /** The rule behind the alert with the limits in force for its point (null without a catalogue or for a rule no longer in it). */
    const ruleOf = async (alert: { ruleId: string; enterpriseId: string; subject: string }) => {
      const catalogue = deps.alerts.catalogue;
      if (!catalogue) return null;
      try {
        const [cat, overrides, sensor] = await Promise.all([
          catalogue(),
          overrideStore.list(alert.enterpriseId),
          deps.provisioning.getRulePoint(alert.enterpriseId, alert.subject),
        ]);
        return ruleFacts(cat, overrides.map(overrideOf), alert.ruleId, sensor) ?? null;
      } catch (err) {
        deps.logger.warn({ err, ruleId: alert.ruleId }, 'rule facts of an alert unavailable');
        return null;
      }
    };

    app.get('/api/v1/alerts', { schema: { querystring: listQuery } }, async (req) => {
      const who = await auth.authorize(req, 'alerts.read');
      const q = parse(listQuery, req.query, 'query');
      // shelving (搁置) is the duty officers' own (alert-detail.ts): an enterprise user may not sort alarms by it
      if (who.kind === 'enterprise' && q.shelved !== undefined)
        throw new AppError('BAD_REQUEST', 'query: shelved: 企业用户不可按搁置筛选 / not a filter for an enterprise user', {
          expose: { reason: { zh: '企业用户不可按搁置筛选', en: 'shelved is not a filter for an enterprise user' } },
        });
      // Read before the list: a client opening the stream with `since=lastEventSeq` misses nothing.
      const lastEventSeq = await queries.lastSeq();
      const page = await queries.list(who.scope, toFilter(q));
      const answers = await responses.store.many(page.alerts.map((a) => a.id));
      const now = deps.clock.now();
      const alerts = page.alerts.map((a) => {
        const r = answers.get(a.id);
        const summary = who.kind === 'enterprise' ? enterpriseAlertView(summaryOf(a)) : summaryOf(a);
        return { ...summary, response: r ? responseView(r, now) : null };
      });
      // the escalation limits, how far each enterprise's alarms can go up and the server's time: the console counts
      // down each alarm's time left from them (none once at the top authority)
      const escalationLevels = await escalationLevelsOf(db, [...new Set(page.alerts.map((a) => a.enterpriseId))]);
      return {
        alerts,
        next: page.next ? encodeCursor(page.next) : null,
        lastEventSeq,
        escalationLimits: deps.alerts.escalationLimits ?? {},
        escalationLevels,
        now,
      };
    });

    app.get('/api/v1/alerts/:id', { schema: { params: alertPath, querystring: detailQuery } }, async (req) => {
      const who = await auth.authorize(req, 'alerts.read');
      const { id } = parse(alertPath, req.params, 'path');
      const { points } = parse(detailQuery, req.query, 'query');
      const alert = await visibleAlert(queries, who, id);
      const events = await store.events(alert.id);
      const [evidence, readings, rule, names] = await Promise.all([
        resolveEvidence(store, events),
        readingsAround(alert, detailDeps, points),
        ruleOf(alert),
        // who acted, where it was escalated to, the enterprise: by name
        namesOf(db, {
          officers: [...events.map((e) => officerOfActor(e.actor)), officerOfActor(alert.shelvedBy)],
          authorities: events.map((e) => e.escalation?.to),
          enterprises: [alert.enterpriseId],
        }),
      ]);
      // an enterprise's own user: without the bureau's internal parts (alert-detail.ts)
      if (who.kind === 'enterprise') {
        const seen = enterpriseEvents(events);
        return { alert: enterpriseAlertView(alert), events: seen, evidence: enterpriseEvidence(evidence, seen), ...readings, rule, names };
      }
      // who to call, and what the enterprise has had before (the bureau's view: an enterprise user is the enterprise)
      const enterprise = await enterpriseContacts(db, alert.enterpriseId, alert);
      // the inspection tasks the alarm opened or joined (issue #20 §5): the bureau's own, never in an enterprise user's view
      const tasks = await tasksOfAlert(db, alert.id);
      const limits = {
        escalationLimits: deps.alerts.escalationLimits ?? {},
        escalationLevels: await escalationLevelsOf(db, [alert.enterpriseId]),
        now: deps.clock.now(),
      };
      return { alert, events, evidence, ...readings, rule, names, enterprise, tasks, ...limits };
    });

    const act = async (req: FastifyRequest, reply: FastifyReply, who: Principal, id: string, cmd: Command) => {
      await visibleAlert(queries, who, id);
      const applied = await applyCommand(store, { alertId: id }, cmd, { announce: deps.alerts.announce });
      const log = { alertId: id, actor: who.actor, command: cmd.type, outcome: applied.outcome, previous: applied.before?.state };
      if (applied.error) {
        const http = transitionHttpError(applied.error.code);
        req.log[http.status >= 500 ? 'error' : 'info']({ ...log, reason: applied.error.code }, 'alert command refused');
        return reply.status(http.status).send({ error: { code: http.code, message: applied.error.message, transition: applied.error.code } });
      }
      const alert = applied.alert;
      if (!alert) throw new AppError('NOT_FOUND', `alert ${id} not found`);
      // disposed by the bureau: the enterprise owes nothing more on it
      if (applied.outcome === 'disposed') await responses.alertDisposed(id);
      req.log.info({ ...log, next: alert.state, seqs: applied.seqs }, 'alert command applied');
      return reply.send({ alert: summaryOf(alert), outcome: applied.outcome });
    };

    app.post('/api/v1/alerts/:id/acknowledge', { schema: { params: alertPath, body: acknowledgeBody } }, async (req, reply) => {
      const who = await auth.authorize(req, 'alerts.act');
      const { id } = parse(alertPath, req.params, 'path');
      const { note } = parse(acknowledgeBody, req.body, 'body');
      return act(req, reply, who, id, { type: 'acknowledge', actor: who.actor, at: deps.clock.now(), note });
    });

    // 报请上级督办: the next authority above the enterprise's (level 1 is its authority's parent)
    app.post('/api/v1/alerts/:id/escalate', { schema: { params: alertPath, body: acknowledgeBody } }, async (req, reply) => {
      const who = await auth.authorize(req, 'alerts.act');
      const { id } = parse(alertPath, req.params, 'path');
      const { note } = parse(acknowledgeBody, req.body, 'body');
      const alert = await visibleAlert(queries, who, id);
      const { rows } = await db.query<{ authority_id: string | null }>('SELECT authority_id FROM enterprises WHERE id = $1', [alert.enterpriseId]);
      const chain = rows[0]?.authority_id ? await authorityChain(db, rows[0].authority_id) : [];
      const level = alert.escalations + 1;
      const to = chain[level];
      if (!to)
        throw new AppError('CONFLICT', `no authority above level ${alert.escalations} for enterprise ${alert.enterpriseId}`, {
          expose: { reason: { zh: '已无更上一级执法主体', en: 'there is no authority further up' } },
        });
      return act(req, reply, who, id, { type: 'escalate', actor: who.actor, at: deps.clock.now(), level, to, note });
    });

    app.post('/api/v1/alerts/:id/dispose', { schema: { params: alertPath, body: disposeBody } }, async (req, reply) => {
      const who = await auth.authorize(req, 'alerts.act');
      const { id } = parse(alertPath, req.params, 'path');
      const { text } = parse(disposeBody, req.body, 'body');
      return act(req, reply, who, id, { type: 'dispose', actor: who.actor, at: deps.clock.now(), text });
    });

    /** Whether the alarm's rule, or a consolidated member's, is safety-critical (`seriousViolation`) in the catalogue in force. */
    let shipped: Catalogue | undefined;
    const safetyCritical = async (alert: { ruleId: string; members?: Readonly<Record<string, unknown>> | undefined }): Promise<boolean> => {
      const serious = seriousRule(deps.alerts.catalogue ? await deps.alerts.catalogue() : (shipped ??= defaultCatalogue()));
      return [alert.ruleId, ...Object.keys(alert.members ?? {})].some(serious);
    };

    // 搁置: a nuisance alarm, for a limited time, with a reason; the rules worker unshelves it at the end
    app.post('/api/v1/alerts/:id/shelve', { schema: { params: alertPath, body: shelveBody } }, async (req, reply) => {
      const who = await auth.authorize(req, 'alerts.act');
      const { id } = parse(alertPath, req.params, 'path');
      const { minutes, reason } = parse(shelveBody, req.body, 'body');
      const alert = await visibleAlert(queries, who, id);
      const at = deps.clock.now();
      const maxMs = deps.alerts.maxShelveMs ?? DEFAULT_MAX_SHELVE_MS;
      return act(req, reply, who, id, {
        type: 'shelve',
        actor: who.actor,
        at,
        until: at + minutes * 60_000,
        reason,
        safetyCritical: await safetyCritical(alert),
        maxMs,
      });
    });

    app.post('/api/v1/alerts/:id/unshelve', { schema: { params: alertPath, body: unshelveBody } }, async (req, reply) => {
      const who = await auth.authorize(req, 'alerts.act');
      const { id } = parse(alertPath, req.params, 'path');
      const { reason } = parse(unshelveBody, req.body ?? {}, 'body');
      return act(req, reply, who, id, { type: 'unshelve', actor: who.actor, at: deps.clock.now(), reason });
    });
  };
}

/** The alert if the caller may see it; 404 alike for missing and out-of-jurisdiction alerts. */
async function visibleAlert(queries: AlertQueries, who: Principal, id: string) {
  const alert = await queries.get(who.scope, id);
  if (!alert) throw new AppError('NOT_FOUND', `alert ${id} not found`);
  return alert;
}
