/**
 * The gateway part: the MQTT broker and the ingest behind it. Every stored
 * message is appended to the rules feed before its PUBACK; every gateway
 * status change is handed to the feed first, then persisted.
 */
import { redisReplicasToAck } from '../core/config.ts';
import { FeedReplicationError, FeedWriter } from '../core/feed.ts';
import { agreePartitions } from '../core/partitions.ts';
import { buildBroker, type Broker } from '../gateway/broker.ts';
import { ConnectionOwners } from '../gateway/owners.ts';
import { concernsGateway, GatewayStatusTracker, NODE_LOST } from '../gateway/status.ts';
import { buildIngest } from '../ingest/ingest.ts';
import { LateRollups } from '../ingest/late-rollups.ts';
import type { PlatformContext, StopStep } from './context.ts';

export type Ingest = ReturnType<typeof buildIngest>;

export interface GatewayPart {
  broker: Broker;
  ingest: Ingest;
  start(): Promise<void>;
  /** In order: stop accepting, flush what is buffered (so the messages waiting on it are acknowledged), close the connections, stop ingest. */
  stopSteps: StopStep[];
}

export async function buildGatewayPart(ctx: PlatformContext): Promise<GatewayPart> {
  const { config, db, clock, logger, metrics, registry } = ctx;
  // every node must split the feed alike: refused at start otherwise
  await agreePartitions(ctx.redis.command, config.redisPrefix, config.rules.partitions);
  // The rules worker's feed: appended before the PUBACK (auto-pipelined: one round trip per burst; fails after 2 retries),
  // and confirmed by redisReplicasToAck replicas (Redis WAIT) so that a failover cannot lose what was acknowledged.
  const feed = new FeedWriter(ctx.redis.dedicated('feed', { maxRetriesPerRequest: 2, enableAutoPipelining: true }), config.redisPrefix, {
    replicasToAck: redisReplicasToAck(config),
    ackTimeoutMs: config.redisAckTimeoutMs,
    onReplicated: (seconds) => metrics.feedReplicationSeconds.observe(seconds),
    partitions: config.rules.partitions,
  });
  const appendData = async (enterpriseId: string, gatewayId: string, items: Parameters<FeedWriter['data']>[2]): Promise<void> => {
    try {
      await feed.data(enterpriseId, gatewayId, items);
    } catch (err) {
      // logged and counted as an append failure by ingest, which does not acknowledge the message
      if (err instanceof FeedReplicationError) metrics.feedReplicationShortfalls.inc({ reason: err.reason });
      throw err;
    }
  };
  // readings stored too late for the rollup CQ's re-computation are rolled up again (docs/adr/0008; 1.x, which the platform manages)
  const late = config.influx.retention.manage && config.influx.retention.readRollups ? new LateRollups() : undefined;
  const lateLog = logger.child({ part: 'ingest', component: 'late-rollups' });
  const rerollLate = async (): Promise<void> => {
    if (!late || late.pending === 0) return;
    const buckets = late.pending;
    try {
      const statements = await late.flush(ctx.influx);
      lateLog.info({ buckets, statements }, 'late readings rolled up again');
    } catch (err) {
      lateLog.error({ err, buckets }, 'late readings could not be rolled up again');
    }
  };
  let lateTimer: NodeJS.Timeout | undefined;
  let orphanTimer: NodeJS.Timeout | undefined;
  const ingest = buildIngest(config, {
    influx: ctx.influx,
    db,
    registry,
    clock,
    logger,
    metrics,
    onStored: (src, items) => {
      late?.note(src.enterpriseId, items, clock.now());
      return appendData(src.enterpriseId, src.gatewayId, items);
    },
  });
  const status = new GatewayStatusTracker({
    db,
    clock,
    logger: logger.child({ part: 'gateway', component: 'status' }),
    metrics,
    record: (enterpriseId, gatewayId, state, reason, at) => ingest.recordStatus(enterpriseId, gatewayId, state, reason, at),
    // the rules get it first: before data the gateway sends afterwards (fed once stored), PostgreSQL up or not
    announce: async (enterpriseId, gatewayId, state, reason, at) => {
      if (concernsGateway(reason)) await feed.status(enterpriseId, gatewayId, state, reason, at);
    },
  });
  // each gateway's live connection across the cluster: a node that starts resets only the gateways no other node holds
  const owners = new ConnectionOwners(ctx.redis.command, config.redisPrefix, config.mqtt.brokerId);
  const reset = await status.resetAfterRestart(config.mqtt.brokerId, (ids) => owners.brokersOf(ids));
  if (reset > 0) logger.info({ gateways: reset }, 'gateways marked offline after restart');
  const broker = await buildBroker(config, { registry, status, logger, metrics, redis: ctx.redis, handleUplink: ingest.handleUplink, owners });
  // the gateways left online by a node that died, which neither came back nor left a will: recorded offline by one node,
  // as often as aedes sweeps the dead brokers' wills (every 4 heartbeats)
  const sweepOrphans = async (): Promise<void> => {
    const { rows } = await db.query<{ id: string; enterprise_id: string }>("SELECT id, enterprise_id FROM gateways WHERE status = 'online'");
    const taken = new Set(await owners.takeOrphans(rows.map((r) => r.id)));
    for (const r of rows) {
      if (!taken.has(r.id)) continue;
      logger.warn({ gatewayId: r.id }, 'gateway of a node that died has not come back: recorded offline');
      status.forget(r.id);
      void status.set(r.enterprise_id, r.id, 'offline', NODE_LOST);
    }
  };
  return {
    broker,
    ingest,
    start: async () => {
      await broker.start();
      orphanTimer = setInterval(
        () => void sweepOrphans().catch((err: unknown) => logger.warn({ err }, 'sweep of the gateways of dead nodes failed')),
        4 * config.mqtt.heartbeatIntervalMs,
      );
      orphanTimer.unref();
      if (late) lateTimer = setInterval(() => void rerollLate(), config.influx.retention.lateRerollIntervalMs);
    },
    stopSteps: [
      { name: 'orphan sweep', run: async () => clearInterval(orphanTimer) },
      { name: 'mqtt listener', run: async () => broker.stopAccepting() },
      { name: 'ingest flush', run: () => ingest.drain(5000) },
      // closing the connections records each gateway offline (platform_shutdown), through ingest: it stops after
      { name: 'broker', run: () => broker.stop() },
      { name: 'ingest', run: () => ingest.stop(5000) },
      {
        name: 'late rollups',
        run: async () => {
          clearInterval(lateTimer);
          await rerollLate();
        },
      },
    ],
  };
}
