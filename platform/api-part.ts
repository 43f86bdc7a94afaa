/** The API part: fastify with the console, the live alert stream and the tasks' deadline jobs. */
import { escalationLimitsOf } from '../alerts/notify/index.ts';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { Queue } from 'bullmq';
import { buildApi } from '../api/server.ts';
import { jobOptions } from '../alerts/notify/jobs.ts';
import { responsePolicy } from '../alerts/response/policy.ts';
import { OVERRIDES_CHANGED } from '../alerts/rules/override-store.ts';
import { STOPS_CHANGED } from '../alerts/worker/stop-watch.ts';
import type { PlatformConfig } from '../core/config.ts';
import { AppError } from '../core/errors.ts';
import { bullPrefix, registryChangedChannel } from '../core/redis-keys.ts';
import { EnterpriseFacts } from '../ledger/enterprise-facts.ts';
import { Officers } from '../ledger/officers.ts';
import { TASKS_QUEUE, TaskJobs, type TaskJobData } from '../inspections/tasks/scheduler.ts';
import type { PlatformContext, StopStep } from './context.ts';
import type { GatewayPart } from './gateway-part.ts';

export interface ApiPart {
  /** Listens; resolves with the port it got (config port 0 picks a free one). */
  start(): Promise<number>;
  stopSteps: StopStep[];
}

/**
 * The certificate and key of `http.tls`, read and checked together at start: a file that cannot be read, is not
 * PEM, or a key that is not the certificate's refuses to start, naming the key of the configuration.
 */
export function readTls(tls: PlatformConfig['http']['tls']): { cert: Buffer; key: Buffer } | undefined {
  if (!tls) return undefined;
  const refuse = (path: string, message: string): never => {
    throw new AppError('CONFIG_INVALID', `Invalid configuration:\n  ${path}: ${message}`, { details: [{ path: path.split('.'), message }] });
  };
  const read = (path: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      return refuse(path, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const cert = read('http.tls.certFile', tls.certFile);
  const key = read('http.tls.keyFile', tls.keyFile);
  if (!cert.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) refuse('http.tls.certFile', `${tls.certFile} holds no PEM certificate`);
  try {
    createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  } catch (err) {
    refuse('http.tls.keyFile', `${tls.keyFile} is not the private key of ${tls.certFile} (${(err as Error).message})`);
  }
  return { cert, key };
}

export function buildApiPart(ctx: PlatformContext, gateway: GatewayPart | undefined): ApiPart {
  const { config, db, clock, logger, metrics, redis } = ctx;
  // before anything is opened: a bad certificate or key refuses to start
  const tls = readTls(config.http.tls);
  // the API shows the catalogue file as it stands (or the shipped one)
  const catalogue = () => ctx.catalogues.latest();
  // the API schedules the tasks' deadline jobs; the task worker (PARTS=rules) runs them
  const tasksQueue = new Queue<TaskJobData>(TASKS_QUEUE, { connection: redis.command, prefix: bullPrefix(config.redisPrefix) });
  tasksQueue.on('error', (err: Error) => logger.error({ err, queue: TASKS_QUEUE }, 'queue error'));
  const taskJobs = new TaskJobs(tasksQueue, jobOptions(), clock, config.tasks.recheckGraceMs);
  // sign-in failure counts, shared by every API process: no offline queue, so that while Redis is away
  // the limiter counts in memory at once (its insurance) instead of holding sign-ins until it is back
  const limits = redis.dedicated('sign-in-limits', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const api = buildApi(
    {
      adminToken: ctx.adminToken,
      signInLimits: config.http.signIn,
      tls,
      trustProxy: config.http.trustProxy,
      mapAreaFile: config.map.areaFile,
      rawRetentionMs: config.influx.retention.readRollups ? config.influx.retention.rawDays * 86_400_000 : undefined,
    },
    {
      db,
      influx: ctx.influx,
      provisioning: ctx.provisioning,
      // the broker's listeners: as it runs them in this process (ports picked at start), else as configured
      mqttListeners: () => ({
        plainPort: config.mqtt.plain === false ? undefined : (gateway?.broker.port ?? config.mqtt.port),
        tlsPort: gateway ? gateway.broker.tlsPort : config.mqtt.tls?.port,
      }),
      officers: new Officers(db, clock),
      enterpriseFacts: new EnterpriseFacts(db),
      metrics,
      logger,
      clock,
      taskJobs,
      redis: { client: limits, prefix: config.redisPrefix },
      health: () => (gateway ? { ingest: { bufferedPoints: gateway.ingest.batcher.depth }, mqtt: { connections: gateway.broker.aedes.connectedClients } } : {}),
      ruleOverrides: {
        catalogue,
        announce: async () => {
          await redis.command.publish(registryChangedChannel(config.redisPrefix), OVERRIDES_CHANGED);
        },
      },
      alerts: {
        db,
        catalogue,
        announce: ctx.announce,
        subscribeAlertEvents: ctx.subscribeAlertEvents,
        maxShelveMs: config.notify.maxShelveMs,
        escalationLimits: escalationLimitsOf(config.notify),
        responsePolicy: responsePolicy(config.response),
      },
      attachments: { maxBytes: config.attachments.maxBytes },
      notifySettings: { allowInsecureUrls: config.notify.allowInsecureChannelUrls },
      plannedStops: {
        announce: async () => {
          await redis.command.publish(registryChangedChannel(config.redisPrefix), STOPS_CHANGED);
        },
      },
    },
  );
  return {
    start: async () => {
      await api.listen({ host: config.http.host, port: config.http.port });
      const addr = api.server.address();
      return addr && typeof addr === 'object' ? addr.port : config.http.port;
    },
    stopSteps: [
      { name: 'api', run: () => api.close() },
      { name: 'tasks queue', run: () => tasksQueue.close() },
    ],
  };
}
