/**
 * The broker's listeners, plain TCP (`port`, unless `plain` is false) and TLS
 * (`tls.port`, issue #19 §5): both accept connections and hand them to aedes
 * the same way, within the same flood limits.
 *
 * - At most `maxPendingConnections` may be unauthenticated at once (no
 *   CONNACK 0 yet) and `maxConnections` open; a connection must send its
 *   CONNECT within `connectTimeoutMs` (aedes' `connectTimeout`).
 * - Each socket is guarded (connection.ts): packet size limit on the raw
 *   stream, protocol level, a client that does not read what it is sent.
 * - A connection that asked for keepalive 0 (off) is closed after
 *   `idleTimeoutMs` without traffic instead.
 * - TLS: at least TLS 1.2; a handshake in progress counts as pending and
 *   must finish within `connectTimeoutMs`. Mutual TLS (`tls.clientCert`):
 *   `required` refuses a connection without a client certificate signed by
 *   `tls.caFile` (Node ends the handshake); `optional` refuses an invalid
 *   one. A verified certificate's subject CN is the gateway the connection
 *   may authenticate as (`BrokerClients.certifiedAs`, authenticate.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Aedes, Client } from 'aedes';
import type { PlatformConfig } from '../core/config.ts';
import { AppError } from '../core/errors.ts';
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
  /** The plain port listened on (the configured one until `start()`: 0 picks a free port; never listened on when `plain` is false). */
  readonly port: number;
  /** The TLS port listened on (the configured one until `start()`), or undefined without `tls`. */
  readonly tlsPort: number | undefined;
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
  /** TLS handshakes in progress (remote address:port), counted as pending. */
  const handshakes = new Set<string>();

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

  /** Hands an accepted (plain, or TLS once its handshake is done) connection to aedes, guarded; undefined if refused. */
  const accept = (socket: Socket): Duplex | undefined => {
    // each server drops connections beyond `maxConnections` itself; with two listeners the limit holds for both together
    if (sockets.size >= config.maxConnections) {
      refuseQuietly('connect', 'too_many_connections', { limit: config.maxConnections, remote: socket.remoteAddress });
      socket.destroy();
      return undefined;
    }
    if (pending.size + handshakes.size >= config.maxPendingConnections) {
      refuseQuietly('connect', 'too_many_pending_connections', { limit: config.maxPendingConnections, remote: socket.remoteAddress });
      socket.destroy();
      return undefined;
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
    return conn;
  };

  const servers: Server[] = [];
  const server: Server = createServer((socket) => {
    const conn = accept(socket);
    if (conn) broker.handle(conn);
  });
  server.on('drop', (data) => refuseQuietly('connect', 'too_many_connections', { limit: config.maxConnections, remote: data?.remoteAddress }));
  server.maxConnections = config.maxConnections;
  if (config.plain) servers.push(server);

  const tls = config.tls;
  let tlsServer: Server | undefined;
  if (tls) {
    const mode = tls.clientCert;
    const tlsServerOptions: TlsOptions = {
      ...tlsFiles(tls),
      minVersion: 'TLSv1.2',
      // the connect timeout (TCP connection to a complete CONNECT) covers the handshake too
      handshakeTimeout: config.connectTimeoutMs,
      requestCert: mode !== 'off',
      // `required`: Node ends a connection without a certificate signed by the CA in the handshake; `optional` is checked below
      rejectUnauthorized: mode === 'required',
    };
    const secured = tlsServerOf(tlsServerOptions, (socket: TLSSocket) => {
      handshakes.delete(socket.remoteAddress + ':' + socket.remotePort);
      let certifiedAs: string | undefined;
      if (mode !== 'off') {
        const cert = socket.getPeerCertificate();
        const presented = cert !== null && Object.keys(cert).length > 0;
        if (presented && !socket.authorized) {
          refuse('connect', 'client_certificate_invalid', { remote: socket.remoteAddress, error: String(socket.authorizationError) });
          socket.destroy();
          return;
        }
        if (presented) {
          const cn: unknown = cert.subject?.CN;
          if (typeof cn !== 'string' || cn === '') {
            refuse('connect', 'client_certificate_without_cn', { remote: socket.remoteAddress });
            socket.destroy();
            return;
          }
          certifiedAs = cn;
        }
      }
      const conn = accept(socket);
      if (!conn) return;
      if (certifiedAs !== undefined) clients.certifiedAs.set(conn, certifiedAs);
      broker.handle(conn);
    });
    // a handshake in progress is an unauthenticated connection too: it counts against `maxPendingConnections`; one closed
    // for that ends its TLS socket with a 'socket hang up' (ECONNRESET, below), already counted
    let refusedBeforeHandshake = 0;
    secured.on('connection', (raw: Socket) => {
      if (pending.size + handshakes.size >= config.maxPendingConnections) {
        refuseQuietly('connect', 'too_many_pending_connections', { limit: config.maxPendingConnections, remote: raw.remoteAddress });
        refusedBeforeHandshake++;
        raw.destroy();
        return;
      }
      const key = raw.remoteAddress + ':' + raw.remotePort;
      handshakes.add(key);
      raw.once('close', () => handshakes.delete(key));
    });
    secured.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      if (err.code === 'ECONNRESET' && refusedBeforeHandshake > 0) {
        refusedBeforeHandshake--;
        return;
      }
      const reason = err.code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE' ? 'client_certificate_missing' : 'tls_handshake_failed';
      refuseQuietly('connect', reason, { remote: socket.remoteAddress, error: err.code ?? err.message });
    });
    secured.on('drop', (data) => refuseQuietly('connect', 'too_many_connections', { limit: config.maxConnections, remote: data?.remoteAddress }));
    secured.maxConnections = config.maxConnections;
    tlsServer = secured;
    servers.push(secured);
  }

  let port = config.port;
  let tlsPort = tls?.port;
  const listen = (srv: Server, p: number): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      srv.once('error', reject);
      // a deep accept queue (capped by net.core.somaxconn): in a reconnect storm or a flood, connections beyond Node's
      // default of 511 would sit half-open in the kernel, where neither the connect timeout nor the pending cap sees them
      srv.listen({ port: p, host: config.host, backlog: 4096 }, () => {
        srv.off('error', reject);
        resolve((srv.address() as AddressInfo).port);
      });
    });
  const closeAll = (): Promise<void> =>
    Promise.all(servers.map((srv) => (srv.listening ? new Promise<void>((resolve) => srv.close(() => resolve())) : Promise.resolve()))).then(() => undefined);

  return {
    get port(): number {
      return port;
    },
    get tlsPort(): number | undefined {
      return tlsPort;
    },
    async start(): Promise<void> {
      if (config.plain) {
        port = await listen(server, config.port);
        log.info({ host: config.host, port }, 'MQTT broker listening');
      }
      if (tlsServer && tls) {
        tlsPort = await listen(tlsServer, tls.port);
        log.info({ host: config.host, port: tlsPort, clientCert: tls.clientCert }, 'MQTT broker listening (TLS)');
      }
    },
    stopAccepting(): void {
      for (const srv of servers) if (srv.listening) srv.close();
    },
    async stop(): Promise<void> {
      // stop accepting first; the close callbacks fire once every connection is gone
      const serversClosed = closeAll();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await serversClosed;
    },
  };
}

/** The TLS listener's certificate, key and CA, read at start: a file that cannot be read is a configuration error naming its key. */
function tlsFiles(tls: NonNullable<PlatformConfig['mqtt']['tls']>): Pick<TlsOptions, 'cert' | 'key' | 'ca'> {
  const read = (key: 'certFile' | 'keyFile' | 'caFile', file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      const message = `无法读取 ${file} / cannot read ${file}: ${(err as Error).message}`;
      throw new AppError('CONFIG_INVALID', `Invalid configuration:\n  mqtt.tls.${key}: ${message}`, { details: [{ path: ['mqtt', 'tls', key], message }] });
    }
  };
  return {
    cert: read('certFile', tls.certFile),
    key: read('keyFile', tls.keyFile),
    ...(tls.caFile !== undefined ? { ca: read('caFile', tls.caFile) } : {}),
  };
}

/** `tls.createServer`, with a certificate and key that do not go together (or a file that is not PEM) a configuration error. */
function tlsServerOf(options: TlsOptions, onSecure: (socket: TLSSocket) => void): Server {
  try {
    return createTlsServer(options, onSecure);
  } catch (err) {
    const message = `证书、私钥或 CA 无法使用 / the certificate, key or CA cannot be used: ${(err as Error).message}`;
    throw new AppError('CONFIG_INVALID', `Invalid configuration:\n  mqtt.tls.certFile / mqtt.tls.keyFile: ${message}`, {
      details: [{ path: ['mqtt', 'tls'], message }],
    });
  }
}
