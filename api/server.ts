/**
 * The HTTP API (fastify), composed: admission (who may call a route is
 * checked before its body is read), error bodies, body limits, the OpenAPI
 * document, and the route plugins — root (health, metrics, vocabulary),
 * provisioning, history, officers and sessions, alerts, inspections and
 * tasks, imports, audit, rule overrides, coverage, the console.
 */
import type http from 'node:http';
import https from 'node:https';
import type { Redis } from 'ioredis';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import type { Db } from '../core/db/db.ts';
import { AppError, ERRORS, type ErrorCode } from '../core/errors.ts';
import type { InfluxClient } from '../core/influx/client.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Provisioning } from '../ledger/provisioning.ts';
import type { EnterpriseFacts } from '../ledger/enterprise-facts.ts';
import { alertApi, type AlertApiDeps } from './alerts.ts';
import { provisioningApi } from './provisioning.ts';
import { historyApi } from './readings.ts';
import { rootRoutes } from './root.ts';
import { auditApi } from './audit.ts';
import { namesApi } from './names.ts';
import { consoleRoutes } from './console.ts';
import { accessOf, passThroughValidator, swaggerOptions, swaggerUiOptions } from './openapi.ts';
import { Authenticator } from './auth.ts';
import { Officers, registerOfficerRoutes, type SessionPolicy } from './officers.ts';
import { registerSessionRoutes } from './sessions.ts';
import { SignInLimits, type SignInLimitPolicy } from './sign-in-limits.ts';
import { jsonDepth, refuseNul } from './parse.ts';
import { enterpriseImportApi } from './enterprise-import.ts';
import { registryImportApi } from './registry-import.ts';
import { inspectionApi } from './inspections.ts';
import { remoteVerificationOfAlert } from './tasks.ts';
import type { TaskJobEffect } from '../inspections/tasks/store.ts';
import { ruleOverrideApi, type RuleOverrideApiDeps } from './rule-overrides.ts';
import { seriousRule, defaultCatalogue, type Catalogue } from '../alerts/rules/index.ts';
import { coverageApi, type CoverageDeps } from './coverage.ts';
import { riskWarningApi } from './risk-warnings.ts';
import { alarmQualityApi } from './alarm-quality.ts';
import { stopApi, type StopApiDeps } from './stops.ts';
import { kpiApi } from './kpis.ts';
import { areaMapApi } from './area-map.ts';
import { attachmentApi, taskAttachmentApi } from './attachments.ts';
import { AttachmentStore } from '../ledger/attachments.ts';
import { selfInspectionApi } from './self-inspections.ts';
import type { SelfInspectionPolicy } from '../inspections/self-inspection-policy.ts';
import { notifySettingsApi } from './notify-settings.ts';

export interface ApiDeps {
  db: Db;
  influx: InfluxClient;
  provisioning: Provisioning;
  /** The broker's listeners (the provisioning answer's connection instructions); absent: not known to the API. */
  mqttListeners?: () => { plainPort?: number; tlsPort?: number } | undefined;
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
  /** Tells the rules worker that planned stops changed (api/stops.ts); without it the worker's poll catches up. */
  plannedStops?: StopApiDeps | undefined;
  /** Alarm attachments (api/attachments.ts, with the alerts): the largest file, bytes — the bureau's `attachments.maxBytes`; default 10 MiB. */
  attachments?: { maxBytes?: number | undefined } | undefined;
  /** When enterprises' self-inspection reports are due (the bureau's setting); default: the platform's (inspections/self-inspection-policy.ts). */
  selfInspectionPolicy?: SelfInspectionPolicy | undefined;
  /** Enterprise notification settings (api/notify-settings.ts): config `notify.allowInsecureChannelUrls`. Default: https to the robot providers’ hosts only. */
  notifySettings?: { allowInsecureUrls: boolean } | undefined;
}

/** Request body limits (the platform's defaults): any JSON route, and the deepest JSON nesting any route takes. */
export const BODY_LIMITS = {
  /** Bytes of a request body unless the route sets its own (sign-in 4 KiB, the CSV import 10 MiB). */
  defaultBytes: 256 * 1024,
  /** Nesting of arrays and objects in a JSON body; no route's schema goes deeper than a few levels. */
  jsonDepth: 32,
} as const;

/** Strict-Transport-Security on secure requests: a year (the platform's default, the usual value; not configurable). */
export const HSTS_MAX_AGE_S = 31_536_000;

/** The error code of a fastify (or other non-`AppError`) error below 500. */
const clientErrorCode = (status: number): ErrorCode => (status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST');

export function buildApi(
  config: {
    adminToken: string;
    sessions?: SessionPolicy | undefined;
    signInLimits?: SignInLimitPolicy | undefined;
    /** How long raw readings are kept, ms, when the 5-minute rollups are kept too; absent: history reads raw readings only. */
    rawRetentionMs?: number | undefined;
    /** HTTPS only (TLS 1.2 or later) with this certificate chain and key, PEM (config `http.tls`, read by platform/api-part.ts); absent: plain HTTP. */
    tls?: { cert: string | Buffer; key: string | Buffer } | undefined;
    /** Which proxies' X-Forwarded-For / X-Forwarded-Proto to believe (config `http.trustProxy`, fastify's option). Default: none. */
    trustProxy?: boolean | readonly string[] | undefined;
    /** The bureau's area for the console's map (config `map.areaFile`, api/area-map.ts); absent: the bundled demo area. */
    mapAreaFile?: string | undefined;
  },
  deps: ApiDeps,
) {
  const { tls } = config;
  const options: FastifyHttpOptions<http.Server> = {
    loggerInstance: deps.logger.child({ part: 'api' }),
    bodyLimit: BODY_LIMITS.defaultBytes,
    trustProxy: typeof config.trustProxy === 'object' ? [...config.trustProxy] : (config.trustProxy ?? false),
  };
  // an https.Server is an http.Server to the routes; fastify's own `https` option would change the instance's type
  if (tls) options.serverFactory = (handler) => https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, handler);
  const app = Fastify(options);
  // a secure request (HTTPS here, or X-Forwarded-Proto https from a trusted proxy): browsers are to use HTTPS only from now on
  app.addHook('onRequest', async (req, reply) => {
    if (req.protocol === 'https') reply.header('strict-transport-security', `max-age=${HSTS_MAX_AGE_S}`);
  });
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
  app.register(rootRoutes(deps));
  app.register(
    provisioningApi({ auth }, { provisioning: deps.provisioning, mqttListeners: deps.mqttListeners, officers, db: deps.db, coverage: coverageDeps }),
  );
  app.register(consoleRoutes(deps.logger));
  app.register(historyApi({ auth, rawRetentionMs: config.rawRetentionMs }, deps));
  app.register(async (scope: FastifyInstance) => {
    registerOfficerRoutes(scope, auth, officers);
    registerSessionRoutes(scope, { auth, officers, metrics: deps.metrics, limits: new SignInLimits(config.signInLimits, deps.redis) });
  });
  // the exemption of an inspection rests on the serious rules of the catalogue in force (a catalogue file's, reloaded)
  const catalogue = deps.alerts?.catalogue ?? deps.ruleOverrides?.catalogue;
  const seriousRules = catalogue ? async () => seriousRule(await catalogue()) : undefined;
  if (deps.alerts) {
    // an officer's remote verification of an alarm completes its remote-verification task
    const verifyTask = deps.alerts.verifyTask ?? remoteVerificationOfAlert({ ...deps, seriousRules });
    // feedback names only the alarm's own attachments (uploaded to it first)
    const files = new AttachmentStore(deps.db, deps.clock);
    const foreignAttachments =
      deps.alerts.foreignAttachments ??
      (async (alertId: string, ids: readonly string[]) => {
        const own = new Set((await files.list({ kind: 'all' }, { type: 'alert', id: alertId })).map((a) => a.id));
        return ids.filter((id) => !own.has(id));
      });
    app.register(alertApi({ auth, rawRetentionMs: config.rawRetentionMs }, { ...deps, alerts: { ...deps.alerts, verifyTask, foreignAttachments } }));
  }
  app.register(inspectionApi({ auth }, { ...deps, seriousRules }));
  app.register(enterpriseImportApi({ auth }, deps));
  app.register(registryImportApi({ auth }, deps));
  app.register(auditApi({ auth }, deps));
  app.register(namesApi({ auth }, deps));
  app.register(areaMapApi({ auth, areaFile: config.mapAreaFile }));
  if (deps.ruleOverrides) app.register(ruleOverrideApi({ auth }, { ...deps, ruleOverrides: deps.ruleOverrides }));
  app.register(coverageApi({ auth }, coverageDeps));
  app.register(riskWarningApi({ auth }, deps));
  app.register(alarmQualityApi({ auth }, { ...deps, catalogue: catalogue ?? coverageDeps.catalogue }));
  app.register(stopApi({ auth }, deps));
  app.register(kpiApi({ auth, rollups: config.rawRetentionMs !== undefined }, deps));
  if (deps.alerts) app.register(attachmentApi({ auth, maxBytes: deps.attachments?.maxBytes }, deps));
  // the inspector's photo evidence (issue #20 §8), in the same store
  app.register(taskAttachmentApi({ auth, maxBytes: deps.attachments?.maxBytes }, deps));
  app.register(selfInspectionApi({ auth }, deps));
  app.register(notifySettingsApi({ auth }, deps));

  return Object.assign(app, { routes });
}
