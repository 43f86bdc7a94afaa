/**
 * The platform on one machine: gateway (MQTT broker) + ingest, rules, API in
 * one process — the parts config `parts` names. The composition root: it
 * opens the database and the Redis connections, builds what the parts share
 * and every part from them, then starts them in order; it stops them in the
 * reverse of the data's path. Each part can also run alone; this is the
 * composition `npm start` and every deployment use.
 */
import { join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.ts';
import { topics } from '../core/contract.ts';
import { redisTarget, type PlatformConfig } from '../core/config.ts';
import { openRedisConnections } from '../core/connections.ts';
import { openDb, type Db } from '../core/db/db.ts';
import { InfluxClient } from '../core/influx/client.ts';
import { ensureRetention } from '../core/influx/retention.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { createMetrics } from '../core/metrics.ts';
import { ensurePrivateDir } from '../core/private-fs.ts';
import { pollUntil } from '../core/retry.ts';
import { Registry } from '../ledger/registry.ts';
import { redisAnnouncer } from '../alerts/bus.ts';
import { CatalogueSource } from '../alerts/rules/catalogue-source.ts';
import type { RiskWarnings } from '../alerts/warnings/evaluator.ts';
import { AlertStore } from '../alerts/store.ts';
import type { RulesWorker } from '../alerts/worker/worker.ts';
import { resolveAdminToken } from './admin-token.ts';
import { announcingProvisioning, listenForChanges } from './changes.ts';
import type { PlatformContext, StopStep } from './context.ts';
import { buildApiPart, readTls, type ApiPart } from './api-part.ts';
import { buildGatewayPart, type GatewayPart, type Ingest } from './gateway-part.ts';
import { buildRulesPart, type RulesPart } from './rules-part.ts';

export { resolveAdminToken } from './admin-token.ts';

export interface PlatformDeps {
  logger?: Logger;
  clock?: Clock;
}

/** What a started platform holds. */
interface Running {
  ctx: PlatformContext;
  gateway: GatewayPart | undefined;
  rules: RulesPart | undefined;
  api: ApiPart | undefined;
  httpPort: number;
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, logger: Logger): Promise<void> {
  await pollUntil(what, probe, {
    timeoutMs,
    intervalMs: 200,
    onWait: (i) => {
      if (i % 10 === 0) logger.info(`waiting for ${what}`);
    },
  });
}

/** Opens the stores and connections and builds what every part shares (the ledger cache, provisioning, the alert store, the catalogue). */
async function buildContext(
  config: PlatformConfig,
  base: Pick<PlatformContext, 'logger' | 'clock' | 'metrics' | 'adminToken' | 'influx'>,
  onDb: (db: Db) => void,
) {
  const { logger, influx } = base;
  // PGlite lives under the data dir, which holds nothing for others to read (0700)
  if (!config.databaseUrl) ensurePrivateDir(config.dataDir);
  const db = await openDb({ databaseUrl: config.databaseUrl, pgliteDir: join(config.dataDir, 'pglite'), logger });
  onDb(db);
  await waitFor('InfluxDB', () => influx.ping(), 30_000, logger);
  if (config.influx.createDatabase) await influx.createDatabase();
  if (config.influx.retention.manage) {
    const r = await ensureRetention(influx, config.influx.retention, base.clock.now()).catch((err: unknown) => {
      throw new Error(
        `setting up InfluxDB retention and rollups failed (on InfluxDB 2.x/3.x set INFLUX_MANAGE_RETENTION=false and follow docs/adr/0008): ${(err as Error).message}`,
        { cause: err },
      );
    });
    logger.info({ ...r, rawDays: config.influx.retention.rawDays, rollupDays: config.influx.retention.rollupDays }, 'InfluxDB retention and rollups set');
  }
  const redis = openRedisConnections(redisTarget(config), logger);
  const registry = new Registry(db, base.clock);
  const changes = { redis, redisPrefix: config.redisPrefix, brokerId: config.mqtt.brokerId, registry, logger };
  return { db, redis, registry, changes, provisioning: announcingProvisioning(db, base.clock, changes) };
}

export async function buildPlatform(config: PlatformConfig, deps: PlatformDeps = {}) {
  const logger = deps.logger ?? createLogger({ level: config.logLevel });
  const clock = deps.clock ?? systemClock;
  const metrics = createMetrics();
  const adminToken = resolveAdminToken(config);
  const influx = new InfluxClient({ ...config.influx, timeoutMs: config.ingest.writeTimeoutMs });

  let running: Running | undefined;
  /** Cleanup of a start that got only part of the way (the database, the connections). */
  const opened: StopStep[] = [];
  let stopping: Promise<void> | undefined;

  const started = (): Running => {
    if (!running) throw new Error('platform not started');
    return running;
  };

  return {
    logger,
    metrics,
    adminToken,
    influx,
    get db(): Db {
      return started().ctx.db;
    },
    get ingest(): Ingest {
      const g = started().gateway;
      if (!g) throw new Error('this process runs no gateway part');
      return g.ingest;
    },
    get mqttPort(): number {
      return running?.gateway?.broker.port ?? config.mqtt.port;
    },
    /** The MQTT over TLS port (undefined without `mqtt.tls`). */
    get mqttTlsPort(): number | undefined {
      return running?.gateway?.broker.tlsPort ?? config.mqtt.tls?.port;
    },
    get httpPort(): number {
      return running?.httpPort ?? config.http.port;
    },
    get rules(): RulesWorker {
      const r = started().rules;
      if (!r) throw new Error('this process runs no rules part');
      return r.rules;
    },
    get alerts() {
      return started().ctx.alertStore;
    },
    get warnings(): RiskWarnings {
      const r = started().rules;
      if (!r) throw new Error('this process runs no rules part');
      return r.warnings;
    },

    /**
     * Sends a command to a gateway on `v1/{ent}/{gw}/cmd/{name}` (QoS 1). A
     * gateway with a persistent session gets it when it next connects, even
     * across a platform restart (sessions live in Redis).
     */
    sendCommand(enterpriseId: string, gatewayId: string, name: string, payload: unknown): Promise<void> {
      const b = running?.gateway?.broker;
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
      // the API's certificate is checked before anything is opened: a bad one stops the start with nothing left running
      if (config.parts.includes('api')) readTls(config.http.tls);
      const base = { logger, clock, metrics, adminToken, influx };
      const shared = await buildContext(config, base, (db) => opened.push({ name: 'db', run: () => db.close() }));
      opened.unshift({ name: 'redis', run: async () => shared.redis.close() });
      let gateway: GatewayPart | undefined = undefined; // the broker the change listener re-checks connections on, once built
      const subscribeAlertEvents = await listenForChanges(shared.changes, () => gateway?.broker, config.parts.includes('gateway'));
      const ctx: PlatformContext = {
        ...base,
        config,
        db: shared.db,
        redis: shared.redis,
        registry: shared.registry,
        provisioning: shared.provisioning,
        alertStore: new AlertStore(shared.db),
        announce: redisAnnouncer(shared.redis.command, config.redisPrefix, (err) => logger.warn({ err }, 'alert event announcement failed')),
        catalogues: new CatalogueSource(config.rules.catalogueFile),
        subscribeAlertEvents,
      };
      // built first, then started in the data's order: the broker, the rules, the API
      gateway = config.parts.includes('gateway') ? await buildGatewayPart(ctx) : undefined;
      const rules = config.parts.includes('rules') ? buildRulesPart(ctx) : undefined;
      const api = config.parts.includes('api') ? buildApiPart(ctx, gateway) : undefined;
      running = { ctx, gateway, rules, api, httpPort: config.http.port };
      await gateway?.start();
      await rules?.start();
      if (api) running.httpPort = await api.start();
      logger.info({ parts: config.parts, mqttPort: gateway?.broker.port, ...(api ? { httpPort: running.httpPort } : {}) }, 'platform started');
    },

    /** Stops everything, running every step even if one fails. Idempotent. */
    stop(): Promise<void> {
      stopping ??= (async () => {
        const steps: StopStep[] = [...(running?.api?.stopSteps ?? []), ...(running?.gateway?.stopSteps ?? []), ...(running?.rules?.stopSteps ?? []), ...opened];
        for (const step of steps) {
          try {
            await step.run();
          } catch (err) {
            logger.error({ err, step: step.name }, 'error while stopping');
          }
        }
      })();
      return stopping;
    },
  };
}

export type Platform = Awaited<ReturnType<typeof buildPlatform>>;
