/**
 * The gateway part: the MQTT broker and the ingest behind it. Every stored
 * message is appended to the rules feed before its PUBACK; every gateway
 * status change is handed to the feed first, then persisted.
 */
import { FeedWriter } from '../core/feed.ts';
import { buildBroker, type Broker } from '../gateway/broker.ts';
import { concernsGateway, GatewayStatusTracker } from '../gateway/status.ts';
import { buildIngest } from '../ingest/ingest.ts';
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
  // The rules worker's feed: appended before the PUBACK (auto-pipelined: one round trip per burst; fails after 2 retries).
  const feed = new FeedWriter(ctx.redis.dedicated('feed', { maxRetriesPerRequest: 2, enableAutoPipelining: true }), config.redisPrefix);
  const ingest = buildIngest(config, {
    influx: ctx.influx,
    db,
    registry,
    clock,
    logger,
    metrics,
    onStored: (src, items) => feed.data(src.enterpriseId, src.gatewayId, items),
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
  const reset = await status.resetAfterRestart();
  if (reset > 0) logger.info({ gateways: reset }, 'gateways marked offline after restart');
  const broker = await buildBroker(config, { registry, status, logger, metrics, redis: ctx.redis, handleUplink: ingest.handleUplink });
  return {
    broker,
    ingest,
    start: () => broker.start(),
    stopSteps: [
      { name: 'mqtt listener', run: async () => broker.stopAccepting() },
      { name: 'ingest flush', run: () => ingest.drain(5000) },
      // closing the connections records each gateway offline (platform_shutdown), through ingest: it stops after
      { name: 'broker', run: () => broker.stop() },
      { name: 'ingest', run: () => ingest.stop(5000) },
    ],
  };
}
