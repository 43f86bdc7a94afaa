/**
 * The broker's TCP listener: accepts connections and hands them to aedes,
 * within the flood limits.
 *
 * - At most `maxPendingConnections` may be unauthenticated at once (no
 *   CONNACK 0 yet) and `maxConnections` open; a connection must send its
 *   CONNECT within `connectTimeoutMs` (aedes' `connectTimeout`).
 * - Each socket is guarded (connection.ts): packet size limit on the raw
 *   stream, protocol level, a client that does not read what it is sent.
 * - A connection that asked for keepalive 0 (off) is closed after
 *   `idleTimeoutMs` without traffic instead.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import type { PlatformConfig } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { BrokerClients } from './clients.ts';
import { guardedConnection } from './connection.ts';
import type { Refusals } from './refusals.ts';

export interface ListenerDeps {
  clients: BrokerClients;
  metrics: Pick<Metrics, 'mqttPendingConnections'>;
  log: Logger;
  refusals: Refusals;
}

export interface Listener {
  /** The port listened on (the configured one until `start()`: 0 picks a free port). */
  readonly port: number;
  start(): Promise<void>;
  /** Stops accepting new connections; connected gateways keep being served until `stop()`. */
  stopAccepting(): void;
  /** Stops accepting, closes aedes (and with it every client's connection), drops the sockets left; resolves once every connection is gone. */
  stop(): Promise<void>;
}

export function buildListener(broker: Aedes, config: PlatformConfig['mqtt'], deps: ListenerDeps): Listener {
  const { clients, metrics, log } = deps;
  const { refuse, refuseQuietly } = deps.refusals;
  /** Connections accepted but not yet authenticated (no CONNACK 0 yet). */
  const pending = new Set<Duplex>();
  const sockets = new Set<Socket>();
  const socketOf = new WeakMap<Duplex, Socket>();

  broker.on('clientReady', (client) => {
    pending.delete(client.conn);
    metrics.mqttPendingConnections.set(pending.size);
    const id = clients.identities.get(client);
    if (!id) return;
    if (clients.connects.get(client)?.keepalive === 0) {
      // keepalive off: the server's own idle limit stands in for it
      const socket = socketOf.get(client.conn);
      socket?.setTimeout(config.idleTimeoutMs, () => {
        refuseQuietly('idle', 'idle_timeout', { clientId: id.clientId, idleTimeoutMs: config.idleTimeoutMs });
        socket.destroy();
      });
    }
  });
  broker.on('keepaliveTimeout', (client) => {
    const id = clients.identities.get(client);
    if (id) log.warn({ clientId: id.clientId }, 'keepalive timeout');
  });
  broker.on('clientError', (client, err) => {
    log.info({ clientId: client.id, err: err.message }, 'client connection error');
  });
  broker.on('connectionError', (client, err) => {
    if (err.message === 'connect did not arrive in time') {
      return refuseQuietly('connect', 'connect_timeout', { timeoutMs: config.connectTimeoutMs });
    }
    log.info({ clientId: client.id, err: err.message }, 'connection error before CONNECT');
  });

  const server: Server = createServer((socket) => {
    if (pending.size >= config.maxPendingConnections) {
      refuseQuietly('connect', 'too_many_pending_connections', { limit: config.maxPendingConnections, remote: socket.remoteAddress });
      socket.destroy();
      return;
    }
    sockets.add(socket);
    const conn = guardedConnection(socket, config, {
      packetTooLarge: (declared) =>
        refuse('publish', 'packet_too_large', {
          clientId: (conn as { client?: Client }).client?.id,
          declaredBytes: declared,
          limit: config.maxPacketBytes,
          remote: socket.remoteAddress,
        }),
      unsupportedProtocol: (protocol, level) => refuseQuietly('connect', 'unacceptable_protocol_level', { protocol, level, remote: socket.remoteAddress }),
      writeBufferFull: (bytes) =>
        refuseQuietly('deliver', 'client_not_reading', {
          clientId: (conn as { client?: Client }).client?.id,
          bufferedBytes: bytes,
          limit: config.maxWriteBufferBytes,
        }),
    });
    pending.add(conn);
    metrics.mqttPendingConnections.set(pending.size);
    socketOf.set(conn, socket);
    socket.once('close', () => {
      sockets.delete(socket);
      pending.delete(conn);
      metrics.mqttPendingConnections.set(pending.size);
    });
    broker.handle(conn);
  });
  server.on('drop', (data) => refuseQuietly('connect', 'too_many_connections', { limit: config.maxConnections, remote: data?.remoteAddress }));
  server.maxConnections = config.maxConnections;

  let port = config.port;

  return {
    get port(): number {
      return port;
    },
    async start(): Promise<void> {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // a deep accept queue (capped by net.core.somaxconn): in a reconnect storm or a flood, connections beyond Node's
        // default of 511 would sit half-open in the kernel, where neither the connect timeout nor the pending cap sees them
        server.listen({ port: config.port, host: config.host, backlog: 4096 }, () => {
          server.off('error', reject);
          port = (server.address() as AddressInfo).port;
          resolve();
        });
      });
      log.info({ host: config.host, port }, 'MQTT broker listening');
    },
    stopAccepting(): void {
      if (server.listening) server.close();
    },
    async stop(): Promise<void> {
      // stop accepting first; the close callback fires once every connection is gone
      const serverClosed = server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await serverClosed;
    },
  };
}
