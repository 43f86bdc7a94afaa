/**
 * The platform on one machine: gateway (MQTT broker) + ingest + API in one
 * process, built from the parts' factories. Each part can also run alone; this
 * is the composition `npm start` uses.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { buildApi } from '../api/server.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { topics } from '../core/contract.ts';
import type { PlatformConfig } from '../core/config.ts';
import { openDb, type Db } from '../core/db/db.ts';
import { InfluxClient } from '../core/influx/client.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { createMetrics } from '../core/metrics.ts';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../core/private-fs.ts';
import { AppError } from '../core/errors.ts';
import { adminTokenWeakness, generateAdminToken, weakAdminTokenMessage } from '../core/secrets.ts';
import { Registry } from '../ledger/registry.ts';
import { buildBroker } from '../gateway/broker.ts';
import { acknowledgeRevocation, announceRevocation, parseRevocation } from '../gateway/revocation.ts';
import { alertEventsChannel, bullPrefix, registryChangedChannel, revocationChannel } from '../core/redis-keys.ts';
import { Provisioning } from '../ledger/provisioning.ts';
import { Officers } from '../ledger/officers.ts';
import { EnterpriseFacts } from '../ledger/enterprise-facts.ts';
import { concernsGateway, GatewayStatusTracker } from '../gateway/status.ts';
import { buildIngest } from '../ingest/ingest.ts';
import { redisAnnouncer, type Announce } from '../alerts/bus.ts';
import { buildNotifier, type Notifier } from '../alerts/notify/index.ts';
import { jobOptions } from '../alerts/notify/jobs.ts';
import { TASKS_QUEUE, TaskJobs, type TaskJobData } from '../inspections/tasks/scheduler.ts';
import { AlertStore } from '../alerts/store.ts';
import { FeedWriter } from '../core/feed.ts';
import { defaultCatalogue, type Catalogue } from '../alerts/rules/index.ts';
import { OVERRIDES_CHANGED } from '../alerts/rules/override-store.ts';
import { RulesWorker, loadCatalogueFile } from '../alerts/worker/worker.ts';

export interface PlatformDeps {
  logger?: Logger;
  clock?: Clock;
}

/**
 * The admin token: from config (checked by the schema), else the one stored under the data dir (refused when weak,
 * like a configured one), else a new one stored there.
 */
export function resolveAdminToken(config: PlatformConfig): string {
  if (config.http.adminToken) return config.http.adminToken;
  ensurePrivateDir(config.dataDir);
  const file = join(config.dataDir, 'admin-token');
  if (existsSync(file)) {
    // a file written by hand (or before the data dir was kept private) may be readable by others
    if ((statSync(file).mode & 0o777) !== PRIVATE_FILE_MODE) chmodSync(file, PRIVATE_FILE_MODE);
    const stored = readFileSync(file, 'utf8').trim();
    const weakness = adminTokenWeakness(stored);
    if (weakness)
      throw new AppError('CONFIG_INVALID', `${weakAdminTokenMessage(weakness, `the admin token in ${file}`)} (or delete the file: a new one is generated)`);
    return stored;
  }
  const token = generateAdminToken();
  writeFileSync(file, `${token}\n`, { mode: PRIVATE_FILE_MODE });
  return token;
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
    if (i % 10 === 0) logger.info(`waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function buildPlatform(config: PlatformConfig, deps: PlatformDeps = {}) {
  const logger = deps.logger ?? createLogger({ level: config.logLevel });
  const clock = deps.clock ?? systemClock;
  const metrics = createMetrics();
  const adminToken = resolveAdminToken(config);
  const influx = new InfluxClient({ ...config.influx, timeoutMs: config.ingest.writeTimeoutMs });

  let db: Db | undefined;
  let broker: Awaited<ReturnType<typeof buildBroker>> | undefined;
  let api: ReturnType<typeof buildApi> | undefined;
  let ingest: ReturnType<typeof buildIngest> | undefined;
  let pub: Redis | undefined;
  let sub: Redis | undefined;
  let feedRedis: Redis | undefined;
  let limitsRedis: Redis | undefined;
  let rules: RulesWorker | undefined;
  let notifier: Notifier | undefined;
  let tasksQueue: Queue<TaskJobData> | undefined;
  let alertStore: AlertStore | undefined;
  let announce: Announce | undefined;
  let httpPort = config.http.port;
  let stopping: Promise<void> | undefined;

  const channel = registryChangedChannel(config.redisPrefix);

  return {
    logger,
    metrics,
    adminToken,
    influx,
    get db(): Db {
      if (!db) throw new Error('platform not started');
      return db;
    },
    get ingest() {
      if (!ingest) throw new Error('platform not started');
      return ingest;
    },
    get mqttPort(): number {
      return broker?.port ?? config.mqtt.port;
    },
    get httpPort(): number {
      return httpPort;
    },
    get rules(): RulesWorker {
      if (!rules) throw new Error('this process runs no rules part');
      return rules;
    },
    get alerts(): AlertStore {
      if (!alertStore) throw new Error('platform not started');
      return alertStore;
    },

    /**
     * Sends a command to a gateway on `v1/{ent}/{gw}/cmd/{name}` (QoS 1). A
     * gateway with a persistent session gets it when it next connects, even
     * across a platform restart (sessions live in Redis).
     */
    sendCommand(enterpriseId: string, gatewayId: string, name: string, payload: unknown): Promise<void> {
      const b = broker;
      if (!b) return Promise.reject(new Error('this process runs no gateway part'));
      return new Promise((resolve, reject) =>
        b.aedes.publish(
          {
            cmd: 'publish',
            topic: `${topics.commandPrefix(enterpriseId, gatewayId)}/${name}`,
            payload: Buffer.from(JSON.stringify(payload)),
            qos: 1,
            retain: false,
            dup: false,
          },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    },

    async start(): Promise<void> {
      // PGlite lives under the data dir, which holds nothing for others to read (0700)
      if (!config.databaseUrl) ensurePrivateDir(config.dataDir);
      db = await openDb({ databaseUrl: config.databaseUrl, pgliteDir: join(config.dataDir, 'pglite'), logger });
      await waitFor('InfluxDB', () => influx.ping(), 30_000, logger);
      if (config.influx.createDatabase) await influx.createDatabase();

      const registry = new Registry(db, clock);
      pub = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
      sub = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
      for (const r of [pub, sub]) r.on('error', (err) => logger.error({ err: err.message }, 'redis error'));
      // one subscriber for both: ledger changes (registry cache) and new alert events (live streams)
      const eventsChannel = alertEventsChannel(config.redisPrefix);
      const revokedChannel = revocationChannel(config.redisPrefix);
      const onAlertEvents = new Set<(seq: number) => void>();
      // only broker processes take part in revocations: the revoking call waits for each subscriber to confirm
      await sub.subscribe(channel, eventsChannel, ...(config.parts.includes('gateway') ? [revokedChannel] : []));
      sub.on('message', (ch: string, message: string) => {
        if (ch === channel) {
          registry.invalidate(message);
          void broker?.revalidate(message).catch((err: unknown) => logger.warn({ err, gatewayId: message }, 'could not re-check a gateway connection'));
        } else if (ch === eventsChannel) {
          const seq = Number(message);
          if (Number.isSafeInteger(seq)) for (const f of onAlertEvents) f(seq);
        } else if (ch === revokedChannel) {
          const m = parseRevocation(message);
          if (!m) return;
          registry.invalidate(m.gatewayId);
          const b = broker;
          void (b ? b.revalidate(m.gatewayId) : Promise.resolve())
            .then(() => acknowledgeRevocation(pub!, m, config.mqtt.brokerId))
            .catch((err: unknown) => logger.error({ err, gatewayId: m.gatewayId }, 'could not apply a gateway revocation'));
        }
      });
      const provisioning = new Provisioning(db, clock, {
        onGatewayChanged: (gatewayId) => {
          registry.invalidate(gatewayId);
          void pub?.publish(channel, gatewayId).catch(() => undefined);
        },
        onCredentialsChanged: async (gatewayId) => {
          const r = await announceRevocation(pub!, config.redisPrefix, gatewayId);
          if (r.applied.length < r.brokers) {
            logger.error({ gatewayId, brokers: r.brokers, applied: r.applied }, 'gateway credential change not confirmed by every broker within 1 s');
          } else logger.info({ gatewayId, brokers: r.applied }, 'gateway credential change applied by every broker');
        },
      });

      alertStore = new AlertStore(db);
      announce = redisAnnouncer(pub, config.redisPrefix, (err) => logger.warn({ err }, 'alert event announcement failed'));

      if (config.parts.includes('gateway')) {
        // The rules worker's feed: appended before the PUBACK (auto-pipelined: one round trip per burst).
        feedRedis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
        feedRedis.on('error', (err) => logger.error({ err: err.message }, 'redis (rules feed) error'));
        const feed = new FeedWriter(feedRedis, config.redisPrefix);
        const ing = buildIngest(config, {
          influx,
          db,
          registry,
          clock,
          logger,
          metrics,
          onStored: (src, items) => feed.data(src.enterpriseId, src.gatewayId, items),
        });
        ingest = ing;
        const status = new GatewayStatusTracker({
          db,
          clock,
          logger: logger.child({ part: 'gateway', component: 'status' }),
          metrics,
          record: (enterpriseId, gatewayId, state, reason, at) => ing.recordStatus(enterpriseId, gatewayId, state, reason, at),
          // the rules get it first: before data the gateway sends afterwards (fed once stored), PostgreSQL up or not
          announce: async (enterpriseId, gatewayId, state, reason, at) => {
            if (concernsGateway(reason)) await feed.status(enterpriseId, gatewayId, state, reason, at);
          },
        });
        const reset = await status.resetAfterRestart();
        if (reset > 0) logger.info({ gateways: reset }, 'gateways marked offline after restart');

        broker = await buildBroker(config, { registry, status, logger, metrics, handleUplink: ingest.handleUplink });
        await broker.start();
      }
      if (config.parts.includes('rules')) {
        rules = new RulesWorker(config, { db, store: alertStore, clock, logger, metrics, announce });
        await rules.start();
        const worker = rules;
        notifier = buildNotifier(config, {
          db,
          store: alertStore,
          clock,
          logger,
          metrics,
          announce,
          // the task policy reads a rule's pattern from the catalogue in force (a catalogue file's, reloaded)
          patternOf: (ruleId) => worker.catalogue?.rules.find((r) => r.id === ruleId)?.pattern,
          // and whether it is a serious violation (an on-site task, exempt from the cap; otherwise a remote verification)
          seriousOf: (ruleId) => worker.catalogue?.rules.find((r) => r.id === ruleId)?.seriousViolation ?? false,
        });
        await notifier.start();
      }
      if (!config.parts.includes('api')) {
        logger.info({ parts: config.parts, mqttPort: broker?.port }, 'platform started');
        return;
      }

      const ing = ingest;
      const brk = broker;
      let shipped: Catalogue | undefined;
      const catalogue = () => (config.rules.catalogueFile ? loadCatalogueFile(config.rules.catalogueFile) : Promise.resolve((shipped ??= defaultCatalogue())));
      // the API schedules the tasks' deadline jobs; the notifier's tasks worker (PARTS=rules) runs them
      tasksQueue = new Queue<TaskJobData>(TASKS_QUEUE, { connection: pub, prefix: bullPrefix(config.redisPrefix) });
      tasksQueue.on('error', (err: Error) => logger.error({ err, queue: TASKS_QUEUE }, 'queue error'));
      const taskJobs = new TaskJobs(tasksQueue, jobOptions(), clock, config.tasks.recheckGraceMs);
      // sign-in failure counts, shared by every API process: no offline queue, so that while Redis is away
      // the limiter counts in memory at once (its insurance) instead of holding sign-ins until it is back
      limitsRedis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      limitsRedis.on('error', (err) => logger.error({ err: err.message }, 'redis (sign-in limits) error'));
      api = buildApi(
        { adminToken, signInLimits: config.http.signIn },
        {
          db,
          influx,
          provisioning,
          officers: new Officers(db, clock),
          enterpriseFacts: new EnterpriseFacts(db),
          metrics,
          logger,
          clock,
          taskJobs,
          redis: { client: limitsRedis, prefix: config.redisPrefix },
          health: () => (ing && brk ? { ingest: { bufferedPoints: ing.batcher.depth }, mqtt: { connections: brk.aedes.connectedClients } } : {}),
          ruleOverrides: {
            catalogue,
            announce: async () => {
              await pub!.publish(channel, OVERRIDES_CHANGED);
            },
          },
          alerts: {
            db,
            catalogue,
            announce,
            subscribeAlertEvents: (onSeq) => {
              onAlertEvents.add(onSeq);
              return () => onAlertEvents.delete(onSeq);
            },
          },
        },
      );
      await api.listen({ host: config.http.host, port: config.http.port });
      const addr = api.server.address();
      if (addr && typeof addr === 'object') httpPort = addr.port;
      logger.info({ parts: config.parts, mqttPort: broker?.port, httpPort }, 'platform started');
    },

    /** Stops everything, running every step even if one fails. Idempotent. */
    stop(): Promise<void> {
      stopping ??= (async () => {
        const steps: [string, (() => Promise<unknown>) | undefined][] = [
          ['api', api && (() => api!.close())],
          ['mqtt listener', broker && (async () => broker!.stopAccepting())],
          // flush what is buffered so the messages waiting on it are acknowledged before connections close
          ['ingest flush', ingest && (() => ingest!.drain(5000))],
          // closing the connections records each gateway offline (platform_shutdown), through ingest: it stops after
          ['broker', broker && (() => broker!.stop())],
          ['ingest', ingest && (() => ingest!.stop(5000))],
          ['rules', rules && (() => rules!.stop())],
          ['notifier', notifier && (() => notifier!.stop())],
          ['tasks queue', tasksQueue && (() => tasksQueue!.close())],
          [
            'redis',
            async () => {
              sub?.disconnect();
              pub?.disconnect();
              feedRedis?.disconnect();
              limitsRedis?.disconnect();
            },
          ],
          ['db', db && (() => db!.close())],
        ];
        for (const [name, step] of steps) {
          if (!step) continue;
          try {
            await step();
          } catch (err) {
            logger.error({ err, step: name }, 'error while stopping');
          }
        }
      })();
      return stopping;
    },
  };
}

export type Platform = Awaited<ReturnType<typeof buildPlatform>>;
