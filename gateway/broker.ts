/**
 * The MQTT broker enterprises' gateways connect to (aedes, MQTT 3.1.1).
 *
 * - Authentication per gateway: client id = username = gateway id, password =
 *   the gateway's secret (scrypt-hashed in the ledger).
 * - Topic ACL from the contract: publish only under its own enterprise and
 *   gateway; subscribe only to its own `cmd/` topics (refused with SUBACK 0x80).
 * - Packet size limit enforced on the raw stream, before a body is buffered.
 * - The publish hook hands uplinks to ingest and completes — so aedes sends
 *   the PUBACK — only when they are durably stored.
 * - Sessions (subscriptions, queued QoS 1 messages, wills) persist in Redis.
 *
 * - Floods: a connection must send its CONNECT within `connectTimeoutMs`;
 *   at most `maxPendingConnections` may be unauthenticated at once and
 *   `maxConnections` open; a client that does not read what it is sent is
 *   closed past `maxWriteBufferBytes` (gateway/connection.ts).
 *
 * Every refusal is logged with the client id and reason, and counted (a
 * flood's refusals are logged at most once a second per reason, with the
 * number left out).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import redisPersistence from 'aedes-persistence-redis';
import { Redis } from 'ioredis';
import { statusSchema, type UplinkChannel } from '../core/contract.ts';
import type { PlatformConfig } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Registry } from '../core/registry.ts';
import { decidePublish, decideSubscribe, type GatewayIdentity } from './acl.ts';
import { VerifiedSecretCache, VerifyGate, verifySecret } from './credentials.ts';
import { guardedConnection } from './connection.ts';
import { correctSessionHandling, isSessionMarkerRestore } from './session-state.ts';
import { PLATFORM_SHUTDOWN, PLATFORM_UNAVAILABLE, type GatewayStatusTracker } from './status.ts';

export interface BrokerDeps {
  registry: Registry;
  status: GatewayStatusTracker;
  logger: Logger;
  metrics: Metrics;
  /** Stores an uplink; the PUBACK waits for the promise. */
  handleUplink: (src: GatewayIdentity, channel: Exclude<UplinkChannel, 'status'>, topic: string, payload: Uint8Array) => Promise<void>;
}

export type Broker = Awaited<ReturnType<typeof buildBroker>>;

/** MQTT CONNACK return codes (3.1.1 §3.2.2.3). */
const RC = { IDENTIFIER_REJECTED: 2, SERVER_UNAVAILABLE: 3, BAD_CREDENTIALS: 4, NOT_AUTHORIZED: 5 } as const;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: returnCode });
}

export async function buildBroker(config: Pick<PlatformConfig, 'mqtt' | 'redisUrl'>, deps: BrokerDeps) {
  const log = deps.logger.child({ part: 'gateway', component: 'broker' });
  const identities = new WeakMap<Client, GatewayIdentity>();
  /** The live client per gateway id, so a superseded connection's end does not mark a reconnected gateway offline. */
  const live = new Map<string, Client>();
  /** Connections the platform closed because it could not store an uplink: their end is not the gateway's doing. */
  const closedByPlatform = new WeakSet<Client>();
  let stopped = false;
  /** Why a client's connection ended, for its offline transition. */
  const endReason = (client: Client, gatewayReason: string) =>
    stopped ? PLATFORM_SHUTDOWN : closedByPlatform.has(client) ? PLATFORM_UNAVAILABLE : gatewayReason;
  const secrets = new VerifiedSecretCache();
  const secretChecks = new VerifyGate(config.mqtt.maxConcurrentSecretChecks);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  redis.on('error', (err) => log.error({ err: err.message }, 'redis (broker persistence) error'));

  type Action = 'connect' | 'publish' | 'subscribe' | 'deliver';
  const refuse = (action: Action, reason: string, ctx: Record<string, unknown>) => {
    deps.metrics.mqttRefusals.inc({ action, reason });
    log.warn({ action, reason, ...ctx }, `${action} refused`);
  };
  const lastLogged = new Map<string, { at: number; unlogged: number }>();
  /** For refusals that come in floods: counted every time, logged at most once a second per reason. */
  const refuseQuietly = (action: Action, reason: string, ctx: Record<string, unknown>) => {
    deps.metrics.mqttRefusals.inc({ action, reason });
    const key = `${action}:${reason}`;
    const last = lastLogged.get(key) ?? { at: 0, unlogged: 0 };
    const now = Date.now();
    if (now - last.at < 1000) {
      last.unlogged++;
      lastLogged.set(key, last);
      return;
    }
    log.warn({ action, reason, ...ctx, notLoggedSinceLast: last.unlogged }, `${action} refused`);
    lastLogged.set(key, { at: now, unlogged: 0 });
  };
  /** What a CONNECT asked for, kept for `authenticate` (which aedes does not hand the packet). */
  const connects = new WeakMap<Client, { keepalive: number; clean: boolean; emptyId: boolean }>();

  const broker = await Aedes.createBroker({
    // a stable id: see config `mqtt.brokerId`
    id: config.mqtt.brokerId,
    persistence: redisPersistence({ conn: redis }),
    // aedes refuses a keepalive beyond its limit with return code 6, which MQTT 3.1.1 reserves: `authenticate` checks it instead
    keepaliveLimit: 0,
    connectTimeout: config.mqtt.connectTimeoutMs,
    maxClientsIdLength: 64,
    maxTopicLevels: 16,
    queueLimit: 42,

    preConnect: (client, packet, done) => {
      connects.set(client, { keepalive: packet.keepalive ?? 0, clean: packet.clean !== false, emptyId: !packet.clientId });
      done(null, true);
    },

    authenticate: (client, username, password, done) => {
      const clientId = client.id;
      const fail = (reason: string, rc: number) => {
        refuse('connect', reason, { clientId, username });
        done(authError(reason, rc), false);
      };
      const asked = connects.get(client);
      // [MQTT-3.1.3-8]; aedes would give such a client a generated id
      if (asked?.emptyId && !asked.clean) return fail('empty_client_id_with_persistent_session', RC.IDENTIFIER_REJECTED);
      // keepalive 0 (off) would let a dead connection hold its session for ever; 3.1.1 has no code for this, mosquitto answers 0x02 too
      if (asked && (asked.keepalive === 0 || asked.keepalive > config.mqtt.keepaliveLimit)) {
        return fail('keepalive_not_allowed', RC.IDENTIFIER_REJECTED);
      }
      if (!username || !password) return fail('missing_credentials', RC.BAD_CREDENTIALS);
      if (username !== clientId) return fail('client_id_must_equal_username', RC.IDENTIFIER_REJECTED);
      const secret = password.toString('utf8');
      deps.registry.gateway(username).then(
        async (gw) => {
          if (!gw) return fail('unknown_gateway', RC.BAD_CREDENTIALS);
          const ok =
            secrets.has(gw.id, secret, gw.secretHash) ||
            (await secretChecks.run(
              () => verifySecret(secret, gw.secretHash),
              () => !client.closed,
            ));
          if (ok === undefined) {
            // its connection closed while it waited for a check: nobody to answer (comes in floods)
            refuseQuietly('connect', 'gone_before_secret_check', { clientId });
            return done(authError('gone before its secret was checked', RC.BAD_CREDENTIALS), false);
          }
          if (!ok) return fail('bad_password', RC.BAD_CREDENTIALS);
          if (gw.disabled) return fail('gateway_disabled', RC.NOT_AUTHORIZED);
          secrets.remember(gw.id, secret, gw.secretHash);
          identities.set(client, { clientId, enterpriseId: gw.enterpriseId, gatewayId: gw.id });
          done(null, true);
        },
        (err: unknown) => {
          log.error({ err, clientId }, 'registry lookup failed during authentication');
          refuse('connect', 'server_unavailable', { clientId });
          done(authError('server unavailable', RC.SERVER_UNAVAILABLE), false);
        },
      );
    },

    authorizePublish: (client, packet: PublishPacket, done) => {
      if (!client) return done(null); // the platform's own publications
      const id = identities.get(client);
      if (!id) {
        refuse('publish', 'not_authenticated', { clientId: client.id, topic: packet.topic });
        return done(new Error('not authenticated'));
      }
      const decision = decidePublish(id, packet.topic);
      if (!decision.allow) {
        // MQTT 3.1.1 has no negative PUBACK: closing the connection is the only refusal the gateway can see.
        refuse('publish', decision.reason, { clientId: id.clientId, topic: packet.topic });
        return done(new Error(`publish to ${packet.topic} refused: ${decision.reason}`));
      }
      if (decision.channel === 'status') {
        const parsed = (() => {
          try {
            return statusSchema.safeParse(JSON.parse(packet.payload.toString()));
          } catch {
            return undefined;
          }
        })();
        if (!parsed?.success) {
          refuse('publish', 'bad_status_payload', { clientId: id.clientId, topic: packet.topic });
          return done(null); // acknowledged and dropped: a status message carries no data to lose
        }
        const isWill = !client.connected || client.closed;
        void deps.status.set(id.enterpriseId, id.gatewayId, parsed.data.state, isWill ? endReason(client, 'last_will') : 'status_message');
        return done(null);
      }
      packet.retain = false; // telemetry is never retained
      deps.handleUplink(id, decision.channel, packet.topic, packet.payload as Uint8Array).then(
        () => done(null),
        (err: unknown) => {
          log.warn(
            { err: (err as Error).message, clientId: id.clientId, topic: packet.topic },
            'uplink not stored; closing the connection without acknowledgement',
          );
          closedByPlatform.add(client);
          done(err as Error);
        },
      );
    },

    authorizeSubscribe: (client, sub: Subscription, done) => {
      if (isSessionMarkerRestore(client, sub.topic)) return done(null, null); // see session-state.ts
      const id = identities.get(client);
      const decision = id ? decideSubscribe(id, sub.topic) : ({ allow: false, reason: 'not_authenticated' } as const);
      if (!decision.allow) {
        refuse('subscribe', decision.reason, { clientId: client.id, topic: sub.topic });
        return done(null, null); // SUBACK 0x80 for this filter; the connection stays up
      }
      done(null, sub);
    },

    authorizeForward: (_client, packet: AedesPublishPacket) => packet,
  });

  correctSessionHandling(broker, (err, clientId) => log.warn({ err: err.message, clientId }, 'could not record the persistent session'));

  /** Connections accepted but not yet authenticated (no CONNACK 0 yet). */
  const pending = new Set<Duplex>();

  broker.on('clientReady', (client) => {
    pending.delete(client.conn);
    const id = identities.get(client);
    if (!id) return;
    live.set(id.gatewayId, client);
    deps.metrics.mqttConnections.set(broker.connectedClients);
    void deps.status.set(id.enterpriseId, id.gatewayId, 'online', 'connected');
  });
  broker.on('clientDisconnect', (client) => {
    deps.metrics.mqttConnections.set(broker.connectedClients);
    const id = identities.get(client);
    if (!id || live.get(id.gatewayId) !== client) return;
    live.delete(id.gatewayId);
    void deps.status.set(id.enterpriseId, id.gatewayId, 'offline', endReason(client, 'disconnected'));
  });
  broker.on('keepaliveTimeout', (client) => {
    const id = identities.get(client);
    if (id) log.warn({ clientId: id.clientId }, 'keepalive timeout');
  });
  broker.on('clientError', (client, err) => {
    log.info({ clientId: client.id, err: err.message }, 'client connection error');
  });
  broker.on('connectionError', (client, err) => {
    if (err.message === 'connect did not arrive in time') {
      return refuseQuietly('connect', 'connect_timeout', { timeoutMs: config.mqtt.connectTimeoutMs });
    }
    log.info({ clientId: client.id, err: err.message }, 'connection error before CONNECT');
  });

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    if (pending.size >= config.mqtt.maxPendingConnections) {
      refuseQuietly('connect', 'too_many_pending_connections', { limit: config.mqtt.maxPendingConnections, remote: socket.remoteAddress });
      socket.destroy();
      return;
    }
    sockets.add(socket);
    const conn = guardedConnection(socket, config.mqtt, {
      packetTooLarge: (declared) =>
        refuse('publish', 'packet_too_large', {
          clientId: (conn as { client?: Client }).client?.id,
          declaredBytes: declared,
          limit: config.mqtt.maxPacketBytes,
          remote: socket.remoteAddress,
        }),
      unsupportedProtocol: (protocol, level) => refuseQuietly('connect', 'unacceptable_protocol_level', { protocol, level, remote: socket.remoteAddress }),
      writeBufferFull: (bytes) =>
        refuseQuietly('deliver', 'client_not_reading', {
          clientId: (conn as { client?: Client }).client?.id,
          bufferedBytes: bytes,
          limit: config.mqtt.maxWriteBufferBytes,
        }),
    });
    pending.add(conn);
    socket.once('close', () => {
      sockets.delete(socket);
      pending.delete(conn);
    });
    broker.handle(conn);
  });
  server.on('drop', (data) => refuseQuietly('connect', 'too_many_connections', { limit: config.mqtt.maxConnections, remote: data?.remoteAddress }));
  server.maxConnections = config.mqtt.maxConnections;

  let port = config.mqtt.port;

  return {
    aedes: broker,
    get port(): number {
      return port;
    },
    async start(): Promise<void> {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // a deep accept queue (capped by net.core.somaxconn): in a reconnect storm or a flood, connections beyond Node's
        // default of 511 would sit half-open in the kernel, where neither the connect timeout nor the pending cap sees them
        server.listen({ port: config.mqtt.port, host: config.mqtt.host, backlog: 4096 }, () => {
          server.off('error', reject);
          port = (server.address() as AddressInfo).port;
          resolve();
        });
      });
      log.info({ host: config.mqtt.host, port }, 'MQTT broker listening');
    },
    /** Stops accepting new connections; connected gateways keep being served until `stop()`. */
    stopAccepting(): void {
      if (server.listening) server.close();
    },
    /** Stops accepting, drops connections (unacknowledged messages will be re-sent elsewhere), closes the broker. Idempotent. */
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      // stop accepting first; the close callback fires once every connection is gone
      const serverClosed = server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await serverClosed;
      await deps.status.settle();
      redis.disconnect();
    },
  };
}
