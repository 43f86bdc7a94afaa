/**
 * The HTTP API (fastify): health, Prometheus metrics, provisioning of the
 * ledger (admin token), sensor history and dead letters.
 */
import type { Redis } from 'ioredis';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import { vocabulary } from '../core/vocabulary.ts';
import type { Db } from '../core/db/db.ts';
import { AppError, ERRORS, type ErrorCode } from '../core/errors.ts';
import type { InfluxClient } from '../core/influx/client.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Provisioning } from '../ledger/provisioning.ts';
import { authorityInput, enterpriseInput, gatewayInput, sensorInput } from '../ledger/provisioning.ts';
import { listDeadLetters } from '../ingest/dead-letters.ts';
import type { EnterpriseFacts } from '../ledger/enterprise-facts.ts';
import { alertApi, type AlertApiDeps } from './alerts.ts';
import { auditApi } from './audit.ts';
import { consoleRoutes } from './console.ts';
import { accessOf, passThroughValidator, swaggerOptions, swaggerUiOptions } from './openapi.ts';
import { Authenticator } from './auth.ts';
import { enterpriseInScope } from '../core/jurisdiction.ts';
import { Officers, registerOfficerRoutes, type SessionPolicy } from './officers.ts';
import { registerSessionRoutes } from './sessions.ts';
import { SignInLimits, type SignInLimitPolicy } from './sign-in-limits.ts';
import { jsonDepth, parse, refuseNul } from './parse.ts';
import { enterpriseImportApi } from './enterprise-import.ts';
import { inspectionApi } from './inspections.ts';
import type { TaskJobEffect } from '../inspections/tasks/store.ts';
import { historyQuerySchema, historyRange, planHistory, runHistory } from './history.ts';
import { ruleOverrideApi, type RuleOverrideApiDeps } from './rule-overrides.ts';
import { seriousRule, defaultCatalogue, type Catalogue } from '../alerts/rules/index.ts';
import { coverageApi, sensorCoverage, warningsOf, type CoverageDeps } from './coverage.ts';

export interface ApiDeps {
  db: Db;
  influx: InfluxClient;
  provisioning: Provisioning;
  /** The officer ledger and its sessions, the platform's one instance. Default: one of its own, with `config.sessions`. */
  officers?: Officers | undefined;
  /** The enterprises' supervision facts (一企一档), the platform's one instance. Default: one of its own. */
  enterpriseFacts?: EnterpriseFacts | undefined;
  metrics: Metrics;
  logger: Logger;
  clock: { now(): number };
  /** Extra health facts from the running parts (ingest buffer, broker connections). */
  health?: () => Record<string, unknown>;
  /** Officers, alerts and their live stream (api/alerts.ts); without it those routes do not exist. */
  alerts?: AlertApiDeps;
  /** Schedules inspection tasks' deadline jobs (re-check, overdue) in BullMQ. */
  taskJobs?: { schedule(effects: readonly TaskJobEffect[]): Promise<void> } | undefined;
  /**
   * Redis shared by every API process, with the platform's key prefix (REDIS_PREFIX): sign-in failure
   * counts (sign-in-limits.ts). Without it they are counted in this process only (tests on `app.inject`).
   */
  redis?: { client: Redis; prefix: string } | undefined;
  /** The catalogue and the change announcement for the rule overrides routes (api/rule-overrides.ts); without it those routes do not exist. */
  ruleOverrides?: RuleOverrideApiDeps;
}

/** Request body limits (the platform's defaults): any JSON route, and the deepest JSON nesting any route takes. */
export const BODY_LIMITS = {
  /** Bytes of a request body unless the route sets its own (sign-in 4 KiB, the CSV import 10 MiB). */
  defaultBytes: 256 * 1024,
  /** Nesting of arrays and objects in a JSON body; no route's schema goes deeper than a few levels. */
  jsonDepth: 32,
} as const;

/** The error code of a fastify (or other non-`AppError`) error below 500. */
const clientErrorCode = (status: number): ErrorCode => (status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST');

export function buildApi(config: { adminToken: string; sessions?: SessionPolicy | undefined; signInLimits?: SignInLimitPolicy | undefined }, deps: ApiDeps) {
  const app = Fastify({ loggerInstance: deps.logger.child({ part: 'api' }), bodyLimit: BODY_LIMITS.defaultBytes });
  // every route, for the OpenAPI description's completeness check (api/openapi.ts)
  const routes: string[] = [];
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push(`${m} ${r.url}`);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof AppError) {
      if (err.httpStatus >= 500) {
        // what failed inside (an InfluxQL error, a database message) stays in the log
        req.log.error({ err }, 'request failed');
        return reply.status(err.httpStatus).send({ error: { code: err.code, message: ERRORS[err.code].message } });
      }
      deps.metrics.apiRefusals.inc({ code: err.code });
      return reply.status(err.httpStatus).send({ error: { ...err.expose, code: err.code, message: err.message } });
    }
    if (err.statusCode && err.statusCode < 500) {
      const code = clientErrorCode(err.statusCode);
      deps.metrics.apiRefusals.inc({ code });
      req.log.info({ url: req.url, ip: req.ip, code, fastifyCode: err.code, message: err.message }, 'request refused');
      return reply.status(err.statusCode).send({ error: { code, message: err.message } });
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  // the route schemas describe the API (openapi.ts); the handlers validate (parse.ts), so errors keep their shape
  app.setValidatorCompiler(passThroughValidator);
  app.register(fastifySwagger, swaggerOptions);
  app.register(fastifySwaggerUi, swaggerUiOptions);
  // the console's session cookie (auth.ts, sessions.ts)
  app.register(fastifyCookie);
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` } }));

  // JSON bodies: the nesting is bounded by a scan of the text before it is parsed (fastify's own parser then, with its prototype-poisoning checks)
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (jsonDepth(body as string, BODY_LIMITS.jsonDepth) > BODY_LIMITS.jsonDepth) {
      const message = `body: JSON nested deeper than ${BODY_LIMITS.jsonDepth} levels`;
      done(new AppError('BAD_REQUEST', message, { expose: { reason: { zh: `请求体 JSON 嵌套超过 ${BODY_LIMITS.jsonDepth} 层`, en: message } } }), undefined);
      return;
    }
    void parseJson(req, body as string, done);
  });

  let shipped: Catalogue | undefined;
  const coverageDeps: CoverageDeps = {
    db: deps.db,
    catalogue: deps.ruleOverrides?.catalogue ?? (() => Promise.resolve((shipped ??= defaultCatalogue()))),
  };
  const officers = deps.officers ?? new Officers(deps.db, deps.clock, config.sessions);
  const auth = new Authenticator(config.adminToken, officers);

  // Who may call a route is its entry in the OpenAPI description (openapi.ts ROUTES): checked as the
  // request arrives, before its body is read — a caller without the right gets 401/403 and no byte of
  // the body is parsed. Handlers that ask again get the same caller (looked up once per request).
  app.addHook('onRequest', async (req) => {
    const url = req.routeOptions.url;
    if (url === undefined) return; // no such route: 404
    const key = `${req.method === 'HEAD' ? 'GET' : req.method} ${url}`;
    const access = accessOf(key);
    // a route missing from the description is refused rather than open (a test keeps the list complete)
    if (!access) throw new AppError('FORBIDDEN', `route ${key} has no documented access`);
    await auth.admit(req, access);
  });
  // no input of the platform holds a NUL character (PostgreSQL refuses it in text): 400 naming where
  app.addHook('preValidation', async (req) => refuseNul(req));

  // a plugin of their own, loaded after @fastify/swagger (above), so that these routes are described too
  app.register(async (root) => {
    root.get('/health', async (_req, reply) => {
      const [influx, db] = await Promise.all([
        deps.influx.ping(),
        deps.db.query('SELECT 1').then(
          () => true,
          () => false,
        ),
      ]);
      const ok = influx && db;
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', checks: { influx, db }, ...(deps.health?.() ?? {}) });
    });

    // the names the rules depend on (kinds, roles per kind, sectors), with their Chinese and English names
    root.get('/api/v1/vocabulary', async () => vocabulary());
    // generated from the routes (@fastify/swagger); the page at /api/docs (@fastify/swagger-ui) shows the same document
    root.get('/api/v1/openapi.json', async (_req, reply) => reply.header('cache-control', 'no-cache').send(root.swagger()));

    root.get('/metrics', async (_req, reply) => {
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    });
  });

  app.register(async (admin) => {
    // the admin token or an admin user; the actor of each change is who it was
    const actors = new WeakMap<FastifyRequest, string>();
    admin.addHook('onRequest', async (req) => {
      actors.set(req, (await auth.requireAdmin(req)).actor);
    });
    const actor = (req: FastifyRequest): string => actors.get(req) ?? 'user:admin';
    const p = deps.provisioning;
    const gatewayPath = z.object({ id: idSchema });
    const gatewaysQuery = z.strictObject({ enterpriseId: idSchema.optional() });
    const sensorsPath = z.object({ enterpriseId: idSchema });
    const deadLettersQuery = z.strictObject({ gatewayId: idSchema.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });

    admin.post('/api/v1/authorities', { schema: { body: authorityInput } }, async (req, reply) =>
      reply.status(201).send(await p.createAuthority(req.body, actor(req))),
    );
    admin.post('/api/v1/enterprises', { schema: { body: enterpriseInput } }, async (req, reply) =>
      reply.status(201).send(await p.createEnterprise(req.body, actor(req))),
    );
    admin.post('/api/v1/gateways', { schema: { body: gatewayInput } }, async (req, reply) => {
      const created = await p.createGateway(req.body, actor(req));
      req.log.info({ gatewayId: created.id, enterpriseId: created.enterpriseId, actor: actor(req) }, 'gateway provisioned');
      return reply.status(201).header('cache-control', 'no-store').send(created);
    });
    admin.post('/api/v1/gateways/:id/rotate-secret', { schema: { params: gatewayPath } }, async (req, reply) => {
      const { id } = parse(gatewayPath, req.params, 'path');
      return reply.header('cache-control', 'no-store').send(await p.rotateGatewaySecret(id, actor(req)));
    });
    // revoke (the broker refuses it from the next connection on; its sessions are dropped) and restore
    for (const [path, disabled] of [
      ['disable', true],
      ['enable', false],
    ] as const)
      admin.post(`/api/v1/gateways/:id/${path}`, { schema: { params: gatewayPath } }, async (req, reply) => {
        const { id } = parse(gatewayPath, req.params, 'path');
        await p.setGatewayDisabled(id, disabled, actor(req));
        req.log.info({ gatewayId: id, disabled, actor: actor(req) }, disabled ? 'gateway disabled' : 'gateway enabled');
        return reply.status(204).send();
      });
    admin.get('/api/v1/gateways', { schema: { querystring: gatewaysQuery } }, async (req) => {
      const q = parse(gatewaysQuery, req.query, 'query');
      return { gateways: await p.listGateways(q.enterpriseId) };
    });
    // the answer shows the rules now watching the point (resolved as the rules worker does) and warns when none or only defaults do
    admin.post('/api/v1/sensors', { schema: { body: sensorInput } }, async (req, reply) => {
      const created = await p.createSensor(req.body, actor(req));
      const c = await sensorCoverage(coverageDeps, created.enterpriseId, created.id);
      const coverage = c ? { status: c.status, effectiveRules: c.rules, notApplied: c.notApplied } : undefined;
      return reply.status(201).send({ ...created, ...coverage, warnings: c ? warningsOf(c) : [] });
    });
    admin.get('/api/v1/enterprises/:enterpriseId/sensors', { schema: { params: sensorsPath } }, async (req) => {
      const { enterpriseId } = parse(sensorsPath, req.params, 'path');
      return { sensors: await p.listSensors(enterpriseId) };
    });
    admin.get('/api/v1/officers', async () => ({ officers: await officers.list() }));

    admin.get('/api/v1/dead-letters', { schema: { querystring: deadLettersQuery } }, async (req) => {
      const q = parse(deadLettersQuery, req.query, 'query');
      return { deadLetters: await listDeadLetters(deps.db, q) };
    });
  });

  app.register(consoleRoutes(deps.logger));
  app.register(async (scope: FastifyInstance) => {
    // a sensor's history: anyone who may read the enterprise's file (一企一档)
    const readingsPath = z.object({ enterpriseId: idSchema, sensorId: idSchema });
    scope.get(
      '/api/v1/enterprises/:enterpriseId/sensors/:sensorId/readings',
      { schema: { params: readingsPath, querystring: historyQuerySchema } },
      async (req) => {
        const who = await auth.authorize(req, 'ledger.read');
        const { enterpriseId, sensorId } = parse(readingsPath, req.params, 'path');
        if (!(await enterpriseInScope(deps.db, who.scope, enterpriseId))) throw new AppError('NOT_FOUND', `enterprise ${enterpriseId} not found`);
        const q = parse(historyQuerySchema, req.query, 'query');
        const sensor = await deps.provisioning.getSensor(enterpriseId, sensorId);
        if (!sensor) throw new AppError('NOT_FOUND', `sensor ${sensorId} of enterprise ${enterpriseId} not found`);
        const { from, to } = historyRange(q, deps.clock.now());
        const plan = planHistory({ enterpriseId, sensorId, from, to, points: q.points, periodMs: sensor.periodS * 1000 });
        const points = await runHistory(deps.influx, plan);
        return { sensor, from, to, mode: plan.mode, intervalMs: plan.intervalMs, points };
      },
    );
    registerOfficerRoutes(scope, auth, officers);
    registerSessionRoutes(scope, { auth, officers, metrics: deps.metrics, limits: new SignInLimits(config.signInLimits, deps.redis) });
  });
  if (deps.alerts) app.register(alertApi({ auth }, { ...deps, alerts: deps.alerts }));
  // the exemption of an inspection rests on the serious rules of the catalogue in force (a catalogue file's, reloaded)
  const catalogue = deps.alerts?.catalogue ?? deps.ruleOverrides?.catalogue;
  const seriousRules = catalogue ? async () => seriousRule(await catalogue()) : undefined;
  app.register(inspectionApi({ auth }, { ...deps, seriousRules }));
  app.register(enterpriseImportApi({ auth }, deps));
  app.register(auditApi({ auth }, deps));
  if (deps.ruleOverrides) app.register(ruleOverrideApi({ auth }, { ...deps, ruleOverrides: deps.ruleOverrides }));
  app.register(coverageApi({ auth }, coverageDeps));

  return Object.assign(app, { routes });
}
