/**
 * The MQTT broker enterprises' gateways connect to (aedes, MQTT 3.1.1).
 *
 * - Authentication per gateway: client id = username = gateway id, password =
 *   the gateway's secret (scrypt-hashed in the ledger) (authenticate.ts).
 * - Topic ACL from the contract: publish only under its own enterprise and
 *   gateway; subscribe only to its own `cmd/` topics (refused with SUBACK 0x80)
 *   (authorize.ts).
 * - Packet size limit enforced on the raw stream, before a body is buffered.
 * - The publish hook hands uplinks to ingest and completes — so aedes sends
 *   the PUBACK — only when they are durably stored.
 * - Sessions (subscriptions, queued QoS 1 messages, wills) persist in Redis.
 * - Several nodes are one broker (cluster.ts, owners.ts): aedes' messages
 *   between brokers and the commands go over Redis; a gateway that connects
 *   to another node takes its session over there (the old connection is
 *   closed without its will and without an offline).
 *
 * - Floods: a connection must send its CONNECT within `connectTimeoutMs`;
 *   at most `maxPendingConnections` may be unauthenticated at once and
 *   `maxConnections` open; a client that does not read what it is sent is
 *   closed past `maxWriteBufferBytes` (listener.ts, connection.ts).
 *
 * - TLS (8883) beside or instead of plain 1883, optionally mutual: a
 *   verified client certificate's CN is the gateway (listener.ts).
 *
 * Every refusal is logged with the client id and reason, and counted (a
 * flood's refusals are logged at most once a second per reason, with the
 * number left out) (refusals.ts).
 */
import { Aedes } from 'aedes';
import redisPersistence from 'aedes-persistence-redis';
import type { PlatformConfig } from '../core/config.ts';
import type { RedisConnections } from '../core/connections.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import { brokerKeyPrefix, mqttClusterChannelPrefix, PACKET_BLOCKS_KEY } from '../core/redis-keys.ts';
import type { Registry } from '../ledger/registry.ts';
import { authenticationHooks } from './authenticate.ts';
import { authorizationHooks, type UplinkHandler } from './authorize.ts';
import { BrokerClients, trackPresence } from './clients.ts';
import { clusterEmitter } from './cluster.ts';
import { redisVerifiedSecrets } from './verified-secrets.ts';
import { moveLegacyBrokerKeys } from './legacy-keys.ts';
import { buildListener } from './listener.ts';
import type { ConnectionOwners } from './owners.ts';
import { allocatePacketIds } from './packet-ids.ts';
import { createRefusals } from './refusals.ts';
import { startRevalidation } from './revalidation.ts';
import { correctSessionHandling } from './session-state.ts';
import type { GatewayStatusTracker } from './status.ts';
import { decideStoredWill, guardStoredWills } from './wills.ts';

export interface BrokerDeps {
  registry: Registry;
  status: GatewayStatusTracker;
  logger: Logger;
  metrics: Metrics;
  /**
   * The process's Redis connections: the broker takes a dedicated one (`broker`, under its key prefix) for its
   * persistence, closed by `stop()`, and uses the shared command connection once at start (legacy keys).
   */
  redis: RedisConnections;
  /** Stores an uplink; the PUBACK waits for the promise. */
  handleUplink: UplinkHandler;
  /** Each gateway's live connection across the cluster. */
  owners: ConnectionOwners;
}

export type Broker = Awaited<ReturnType<typeof buildBroker>>;

export async function buildBroker(config: Pick<PlatformConfig, 'mqtt' | 'redisPrefix'>, deps: BrokerDeps) {
  const log = deps.logger.child({ part: 'gateway', component: 'broker' });
  const clients = new BrokerClients();
  const refusals = createRefusals(log, deps.metrics);
  // The broker's keys in the shared Redis: sessions, queued messages, retained messages, wills and the packet-id
  // blocks, all under the platform's prefix, so that platforms with different prefixes on one server never see each
  // other's.
  const prefix = brokerKeyPrefix(config.redisPrefix);
  const redis = deps.redis.dedicated('broker', { maxRetriesPerRequest: null, keyPrefix: prefix });
  // the command connection has no key prefix, as moving the unprefixed layout needs
  const moved = await moveLegacyBrokerKeys(deps.redis.command, prefix);
  if (moved > 0) log.warn({ moved, prefix }, 'moved broker sessions of the unprefixed layout under the prefix');

  const concurrency = 100; // aedes' default
  const broker = await Aedes.createBroker({
    // a stable id: see config `mqtt.brokerId`
    id: config.mqtt.brokerId,
    persistence: redisPersistence({ conn: redis }),
    mq: clusterEmitter({
      // no ready check: INFO is refused on a connection in subscriber mode, which it is again as soon as it reconnects
      sub: deps.redis.dedicated('broker-cluster-sub', { maxRetriesPerRequest: null, enableReadyCheck: false }),
      pub: deps.redis.dedicated('broker-cluster-pub', { maxRetriesPerRequest: null }),
      channelPrefix: mqttClusterChannelPrefix(config.redisPrefix),
      concurrency,
      onError: (err) => log.warn({ err: err.message }, 'broker cluster emitter: Redis error'),
      brokerId: config.mqtt.brokerId,
      newestHere: async (clientId) => {
        const c = clients.authenticated(clientId);
        const connectionId = c && !c.closed ? clients.connectionIds.get(c) : undefined;
        return connectionId !== undefined && (await deps.owners.holds(clientId, connectionId));
      },
      onStale: (clientId) => {
        deps.metrics.mqttStaleAnnouncements.inc();
        log.info({ clientId }, "another broker's late announcement of the gateway ignored: its newest connection is here");
      },
    }),
    concurrency,
    // aedes refuses a keepalive beyond its limit with return code 6, which MQTT 3.1.1 reserves: `authenticate` checks it instead
    keepaliveLimit: 0,
    heartbeatInterval: config.mqtt.heartbeatIntervalMs,
    connectTimeout: config.mqtt.connectTimeoutMs,
    maxClientsIdLength: 64,
    maxTopicLevels: 16,
    queueLimit: 42,
    ...authenticationHooks(config.mqtt, {
      registry: deps.registry,
      metrics: deps.metrics,
      log,
      clients,
      refusals,
      // the markers exist once the broker does; a CONNECT is only authenticated after that
      sessionConnecting: (clientId, persistent) => sessionMarkers.connecting(clientId, persistent),
      claim: (client, gatewayId) => clients.claim(client, gatewayId, deps.owners),
      sharedSecrets: redisVerifiedSecrets(deps.redis.command, config.redisPrefix),
    }),
    ...authorizationHooks({ registry: deps.registry, status: deps.status, log, clients, refusals, handleUplink: deps.handleUplink, owners: deps.owners }),
  });
  // aedes emits errors of its will sweep here; unhandled, they would end the process
  (broker as unknown as NodeJS.EventEmitter).on('error', (err: Error) => log.warn({ err: err.message }, 'broker error'));
  clients.attach(broker);

  const sessionMarkers = correctSessionHandling(broker, (err, clientId) => log.warn({ err: err.message, clientId }, 'could not record the persistent session'));
  guardStoredWills(
    broker,
    (will) =>
      decideStoredWill(
        will,
        (gw) => deps.registry.gateway(gw),
        (gw) => clients.connectedHere(gw),
        (gw, brokerId) => deps.owners.takeStoredWill(gw, brokerId),
      ),
    (will, reason) => refusals.refuse('will', reason, { clientId: will.clientId, brokerId: will.brokerId, topic: will.topic }),
    (err) => log.warn({ err: err.message }, 'stored will not checked; kept for the next sweep'),
  );
  const packetIds = await allocatePacketIds(broker, redis, PACKET_BLOCKS_KEY, {
    onError: (err) => log.error({ err: err.message }, 'could not reserve a new block of packet ids'),
  });
  log.info({ brokerId: config.mqtt.brokerId, packetIdBlock: packetIds.block }, 'broker packet ids reserved');

  // the listener's `clientReady` (pending count, idle limit) runs before the presence one (online), as it always has
  const listener = buildListener(broker, config.mqtt, { clients, metrics: deps.metrics, log, refusals });
  // alive from now: the other nodes leave the wills this broker stores to it
  await deps.owners.keepAlive(config.mqtt.heartbeatIntervalMs, (err) => log.warn({ err: err.message }, 'could not say the broker is alive'));
  const presence = trackPresence(broker, clients, { ...deps, log, reassertMs: config.mqtt.heartbeatIntervalMs });
  const revalidation = startRevalidation({ clients, registry: deps.registry, refusals, log });

  return {
    aedes: broker,
    get port(): number {
      return listener.port;
    },
    /** The MQTT over TLS port once started (undefined without `mqtt.tls`). */
    get tlsPort(): number | undefined {
      return listener.tlsPort;
    },
    /**
     * Checks this broker's connection of a gateway against the ledger as it is now (call after the ledger changed,
     * with the registry's entry invalidated): a disabled, deleted or re-keyed gateway's connection is closed at once,
     * and anything it still sends is refused. Resolves when that is done.
     */
    revalidate: (gatewayId: string): Promise<void> => revalidation.revalidate(gatewayId),
    start: (): Promise<void> => listener.start(),
    /** Stops accepting new connections; connected gateways keep being served until `stop()`. */
    stopAccepting: (): void => listener.stopAccepting(),
    /** Stops accepting, drops connections (unacknowledged messages will be re-sent elsewhere), closes the broker. Idempotent. */
    async stop(): Promise<void> {
      if (clients.stopped) return;
      clients.stopped = true;
      await listener.stop();
      packetIds.stop();
      revalidation.stop();
      presence.stop();
      await deps.owners.stopAlive();
      await deps.status.settle();
      redis.disconnect();
    },
  };
}
