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
import type { UplinkChannel } from '../core/contract.ts';
import type { PlatformConfig } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Registry } from '../ledger/registry.ts';
import { decideDelivery, decidePublish, decideSubscribe, decideWill, type GatewayIdentity } from './acl.ts';
import { VerifiedSecretCache, VerifyGate, decoyHash, verifySecret } from '../ledger/credentials.ts';
import { guardedConnection } from './connection.ts';
import { moveLegacyBrokerKeys } from './legacy-keys.ts';
import { allocatePacketIds } from './packet-ids.ts';
import { brokerKeyPrefix, PACKET_BLOCKS_KEY } from '../core/redis-keys.ts';
import { correctSessionHandling, isSessionMarkerRestore } from './session-state.ts';
import { GATEWAY_REVOKED, PLATFORM_SHUTDOWN, PLATFORM_UNAVAILABLE, type GatewayStatusTracker } from './status.ts';
import { decideStoredWill, guardStoredWills, isStoredWill, parseStatusPayload, type StoredWill } from './wills.ts';

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

/**
 * The broker's keys in the shared Redis: sessions, queued messages, retained messages, wills and the packet-id
 * blocks, all under the platform's prefix, so that platforms with different prefixes on one server never see each
 * other's.
 */

export async function buildBroker(config: Pick<PlatformConfig, 'mqtt' | 'redisUrl' | 'redisPrefix'>, deps: BrokerDeps) {
  const log = deps.logger.child({ part: 'gateway', component: 'broker' });
  const identities = new WeakMap<Client, GatewayIdentity>();
  /** The live client per gateway id, so a superseded connection's end does not mark a reconnected gateway offline. */
  const live = new Map<string, Client>();
  /** Connections the platform closed because it could not store an uplink: their end is not the gateway's doing. */
  const closedByPlatform = new WeakSet<Client>();
  /** Connections closed because their gateway was disabled or its secret rotated: nothing they send is accepted. */
  const revoked = new WeakSet<Client>();
  /** The stored secret hash each connection authenticated against, to tell a rotated secret. */
  const authenticatedWith = new WeakMap<Client, string>();
  /** Ledger changes seen per gateway, so an authentication that overlapped one checks the ledger again. */
  const changes = new Map<string, number>();
  let stopped = false;
  /** Why a client's connection ended, for its offline transition. */
  const endReason = (client: Client, gatewayReason: string) =>
    stopped ? PLATFORM_SHUTDOWN : revoked.has(client) ? GATEWAY_REVOKED : closedByPlatform.has(client) ? PLATFORM_UNAVAILABLE : gatewayReason;
  const secrets = new VerifiedSecretCache();
  const secretChecks = new VerifyGate(config.mqtt.maxConcurrentSecretChecks);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false, keyPrefix: brokerKeyPrefix(config.redisPrefix) });
  redis.on('error', (err) => log.error({ err: err.message }, 'redis (broker persistence) error'));
  {
    const plain = redis.duplicate({ keyPrefix: '' });
    try {
      const moved = await moveLegacyBrokerKeys(plain, brokerKeyPrefix(config.redisPrefix));
      if (moved > 0) log.warn({ moved, prefix: brokerKeyPrefix(config.redisPrefix) }, 'moved broker sessions of the unprefixed layout under the prefix');
    } finally {
      plain.disconnect();
    }
  }

  type Action = 'connect' | 'publish' | 'subscribe' | 'deliver' | 'will' | 'revoke' | 'idle';
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
  const connects = new WeakMap<Client, { keepalive: number; clean: boolean; emptyId: boolean; willTopic: string | undefined }>();

  const broker = await Aedes.createBroker({
    // a stable id: see config `mqtt.brokerId`
    id: config.mqtt.brokerId,
    persistence: redisPersistence({ conn: redis }),
    // aedes refuses a keepalive beyond its limit with return code 6, which MQTT 3.1.1 reserves: `authenticate` checks it instead
    keepaliveLimit: 0,
    heartbeatInterval: config.mqtt.heartbeatIntervalMs,
    connectTimeout: config.mqtt.connectTimeoutMs,
    maxClientsIdLength: 64,
    maxTopicLevels: 16,
    queueLimit: 42,

    preConnect: (client, packet, done) => {
      connects.set(client, { keepalive: packet.keepalive ?? 0, clean: packet.clean !== false, emptyId: !packet.clientId, willTopic: packet.will?.topic });
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
      // A keepalive beyond the limit is refused (3.1.1 has no code for this; mosquitto answers 0x02 too). Keepalive 0
      // (off) is accepted, as the standard allows [MQTT-3.1.2-23 ff.]: such a connection is closed after
      // `idleTimeoutMs` without traffic instead, so a dead one cannot hold its session for ever.
      if (asked && asked.keepalive > config.mqtt.keepaliveLimit) return fail('keepalive_not_allowed', RC.IDENTIFIER_REJECTED);
      if (!username || !password) return fail('missing_credentials', RC.BAD_CREDENTIALS);
      if (username !== clientId) return fail('client_id_must_equal_username', RC.IDENTIFIER_REJECTED);
      const secret = password.toString('utf8');
      const changesBefore = changes.get(username) ?? 0;
      const check = async (): Promise<void> => {
        const gw = await deps.registry.gateway(username);
        // an unknown id is checked against a decoy hash: it takes as long to refuse as a wrong secret (no enumeration by timing)
        const stored = gw?.secretHash ?? (await decoyHash());
        const ok =
          (gw !== undefined && secrets.has(gw.id, secret, stored)) ||
          (await secretChecks.run(
            () => {
              deps.metrics.mqttSecretChecks.inc();
              return verifySecret(secret, stored);
            },
            () => !client.closed,
          ));
        if (ok === undefined) {
          // its connection closed while it waited for a check: nobody to answer (comes in floods)
          refuseQuietly('connect', 'gone_before_secret_check', { clientId });
          return done(authError('gone before its secret was checked', RC.BAD_CREDENTIALS), false);
        }
        if (!gw) return fail('unknown_gateway', RC.BAD_CREDENTIALS);
        if (!ok) return fail('bad_password', RC.BAD_CREDENTIALS);
        // the ledger changed while the secret was checked (a rotation, a disable): decide on the ledger as it is now
        const now = (changes.get(username) ?? 0) === changesBefore ? gw : await deps.registry.gateway(username);
        if (!now || now.secretHash !== gw.secretHash) return fail('secret_rotated', RC.BAD_CREDENTIALS);
        if (now.disabled) return fail('gateway_disabled', RC.NOT_AUTHORIZED);
        const identity: GatewayIdentity = { clientId, enterpriseId: gw.enterpriseId, gatewayId: gw.id };
        // a will is authorised like a publish, at CONNECT (mosquitto refuses a denied will topic with 0x05 too)
        if (asked?.willTopic !== undefined) {
          const w = decideWill(identity, asked.willTopic);
          if (!w.allow) return fail(w.reason, RC.NOT_AUTHORIZED);
        }
        secrets.remember(gw.id, secret, gw.secretHash);
        identities.set(client, identity);
        authenticatedWith.set(client, gw.secretHash);
        await sessionMarkers.connecting(clientId, asked?.clean === false); // its previous session's record first
        done(null, true);
      };
      check().then(
        () => undefined,
        (err: unknown) => {
          log.error({ err, clientId }, 'registry lookup failed during authentication');
          refuse('connect', 'server_unavailable', { clientId });
          done(authError('server unavailable', RC.SERVER_UNAVAILABLE), false);
        },
      );
    },

    authorizePublish: (client, packet: PublishPacket, done) => {
      // The platform's own messages (commands) do not pass here; a publish without a client, or a will that is not
      // this client's own, is a will another broker left in the store: trusted for nothing (see wills.ts).
      if (isStoredWill(client, packet)) {
        decideStoredWill(packet as StoredWill, (gw) => deps.registry.gateway(gw), connectedHere).then(
          (d) => {
            if (!d.allow) {
              refuse('will', d.reason, { clientId: (packet as StoredWill).clientId, topic: packet.topic });
              return done(new Error(`stored will refused: ${d.reason}`));
            }
            void deps.status.set(d.identity.enterpriseId, d.identity.gatewayId, d.status.state, 'last_will');
            done(null);
          },
          (err: unknown) => done(err as Error),
        );
        return;
      }
      if (!client) return done(new Error('unreachable: a publish without a client is a stored will'));
      const id = identities.get(client);
      if (!id) {
        refuse('publish', 'not_authenticated', { clientId: client.id, topic: packet.topic });
        return done(new Error('not authenticated'));
      }
      if (revoked.has(client)) {
        refuseQuietly('publish', 'gateway_revoked', { clientId: id.clientId, topic: packet.topic });
        return done(new Error('gateway revoked'));
      }
      const decision = decidePublish(id, packet.topic);
      if (!decision.allow) {
        // MQTT 3.1.1 has no negative PUBACK: closing the connection is the only refusal the gateway can see.
        refuse('publish', decision.reason, { clientId: id.clientId, topic: packet.topic });
        return done(new Error(`publish to ${packet.topic} refused: ${decision.reason}`));
      }
      if (decision.channel === 'status') {
        const status = parseStatusPayload(packet.payload);
        if (!status) {
          refuse('publish', 'bad_status_payload', { clientId: id.clientId, topic: packet.topic });
          packet.retain = false; // never kept for later subscribers
          return done(null); // acknowledged and dropped: a status message carries no data to lose
        }
        const isWill = !client.connected || client.closed;
        void deps.status.set(id.enterpriseId, id.gatewayId, status.state, isWill ? endReason(client, 'last_will') : 'status_message');
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

    // every delivery, queued ones included: only the session's own command topics, and only what it subscribed to
    authorizeForward: (client, packet: AedesPublishPacket) => {
      const id = identities.get(client);
      const d = id
        ? decideDelivery(id, packet.topic, Object.keys((client as Client & { subscriptions: Record<string, unknown> }).subscriptions))
        : ({ allow: false, reason: 'not_authenticated' } as const);
      if (d.allow) return packet;
      refuse('deliver', d.reason, { clientId: client.id, topic: packet.topic });
      return null;
    },
  });
  // aedes emits errors of its will sweep here; unhandled, they would end the process
  (broker as unknown as NodeJS.EventEmitter).on('error', (err: Error) => log.warn({ err: err.message }, 'broker error'));
  const clients = (broker as unknown as { clients: Record<string, Client | undefined> }).clients;

  /** Whether a gateway has a live connection on this broker. */
  function connectedHere(gatewayId: string): boolean {
    const c = clients[gatewayId];
    return c !== undefined && !c.closed && identities.has(c);
  }

  const sessionMarkers = correctSessionHandling(broker, (err, clientId) => log.warn({ err: err.message, clientId }, 'could not record the persistent session'));
  guardStoredWills(
    broker,
    (will) => decideStoredWill(will, (gw) => deps.registry.gateway(gw), connectedHere),
    (will, reason) => refuse('will', reason, { clientId: will.clientId, brokerId: will.brokerId, topic: will.topic }),
    (err) => log.warn({ err: err.message }, 'stored will not checked; kept for the next sweep'),
  );
  const packetIds = await allocatePacketIds(broker, redis, PACKET_BLOCKS_KEY, {
    onError: (err) => log.error({ err: err.message }, 'could not reserve a new block of packet ids'),
  });
  log.info({ brokerId: config.mqtt.brokerId, packetIdBlock: packetIds.block }, 'broker packet ids reserved');

  /** Connections accepted but not yet authenticated (no CONNACK 0 yet). */
  const pending = new Set<Duplex>();

  broker.on('clientReady', (client) => {
    pending.delete(client.conn);
    deps.metrics.mqttPendingConnections.set(pending.size);
    const id = identities.get(client);
    if (!id) return;
    if (connects.get(client)?.keepalive === 0) {
      // keepalive off: the server's own idle limit stands in for it
      const socket = socketOf.get(client.conn);
      socket?.setTimeout(config.mqtt.idleTimeoutMs, () => {
        refuseQuietly('idle', 'idle_timeout', { clientId: id.clientId, idleTimeoutMs: config.mqtt.idleTimeoutMs });
        socket.destroy();
      });
    }
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
  const socketOf = new WeakMap<Duplex, Socket>();
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
    deps.metrics.mqttPendingConnections.set(pending.size);
    socketOf.set(conn, socket);
    socket.once('close', () => {
      sockets.delete(socket);
      pending.delete(conn);
      deps.metrics.mqttPendingConnections.set(pending.size);
    });
    broker.handle(conn);
  });
  server.on('drop', (data) => refuseQuietly('connect', 'too_many_connections', { limit: config.mqtt.maxConnections, remote: data?.remoteAddress }));
  server.maxConnections = config.mqtt.maxConnections;

  /** See `revalidate` below. */
  async function revalidate(gatewayId: string): Promise<void> {
    changes.set(gatewayId, (changes.get(gatewayId) ?? 0) + 1);
    await checkConnection(gatewayId);
  }
  /** Closes this broker's connection of a gateway if the ledger (as the registry has it) no longer lets it in. */
  async function checkConnection(gatewayId: string): Promise<void> {
    const client = clients[gatewayId];
    if (!client || !identities.has(client)) return;
    const gw = await deps.registry.gateway(gatewayId);
    const reason = !gw ? 'gateway_deleted' : gw.disabled ? 'gateway_disabled' : gw.secretHash !== authenticatedWith.get(client) ? 'secret_rotated' : undefined;
    if (!reason || revoked.has(client)) return;
    revoked.add(client);
    refuse('revoke', reason, { clientId: gatewayId });
    await new Promise<void>((resolve) => client.close(() => resolve()));
  }
  // A safety net for an announcement this broker missed (a Redis blip): the registry reloads a gateway from the
  // ledger at least every minute, and every live connection is checked against it as often.
  const revalidateLive = setInterval(() => {
    for (const gatewayId of live.keys()) {
      void checkConnection(gatewayId).catch((err: unknown) => log.warn({ err, gatewayId }, 'could not re-check a gateway connection'));
    }
  }, 60_000);
  revalidateLive.unref();

  let port = config.mqtt.port;

  return {
    aedes: broker,
    get port(): number {
      return port;
    },
    /**
     * Checks this broker's connection of a gateway against the ledger as it is now (call after the ledger changed,
     * with the registry's entry invalidated): a disabled, deleted or re-keyed gateway's connection is closed at once,
     * and anything it still sends is refused. Resolves when that is done.
     */
    revalidate,
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
      packetIds.stop();
      clearInterval(revalidateLive);
      await deps.status.settle();
      redis.disconnect();
    },
  };
}
