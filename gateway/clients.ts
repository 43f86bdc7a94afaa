/**
 * What the broker knows of its connections, shared by its hooks and
 * listeners: which gateway each one authenticated as, which one is a
 * gateway's live connection, and why a connection ended — the reason its
 * gateway's offline transition carries. Also records gateways online when
 * their connection is ready and offline when their live connection ends.
 */
import { randomUUID } from 'node:crypto';
import type { Aedes, Client, PublishPacket } from 'aedes';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { GatewayIdentity } from './acl.ts';
import type { ConnectionOwners } from './owners.ts';
import { GATEWAY_REVOKED, PLATFORM_SHUTDOWN, PLATFORM_UNAVAILABLE, type GatewayStatusTracker } from './status.ts';

/** What a CONNECT asked for, kept for `authenticate` (which aedes does not hand the packet). */
export interface ConnectRequest {
  keepalive: number;
  clean: boolean;
  emptyId: boolean;
  willTopic: string | undefined;
}

export class BrokerClients {
  /** The gateway each authenticated connection is. */
  readonly identities = new WeakMap<Client, GatewayIdentity>();
  /** The live client per gateway id, so a superseded connection's end does not mark a reconnected gateway offline. */
  readonly live = new Map<string, Client>();
  /** Connections the platform closed because it could not store an uplink: their end is not the gateway's doing. */
  readonly closedByPlatform = new WeakSet<Client>();
  /** Connections closed because their gateway was disabled or its secret rotated: nothing they send is accepted. */
  readonly revoked = new WeakSet<Client>();
  /** The stored secret hash each connection authenticated against, to tell a rotated secret. */
  readonly authenticatedWith = new WeakMap<Client, string>();
  /** Ledger changes seen per gateway, so an authentication that overlapped one checks the ledger again. */
  readonly changes = new Map<string, number>();
  /**
   * The gateway a connection's verified TLS client certificate names (its subject CN), by the connection aedes was
   * handed (`client.conn`): its CONNECT must be that gateway's (listener.ts sets it, authenticate.ts checks it).
   */
  readonly certifiedAs = new WeakMap<object, string>();
  /** The cluster-wide id of each authenticated connection, under which it claims its gateway (owners.ts). */
  readonly connectionIds = new WeakMap<Client, string>();
  /** Connections that got through their CONNECT (aedes' `clientReady`). */
  readonly ready = new WeakSet<Client>();
  /** What each CONNECT asked for (see `ConnectRequest`). */
  readonly connects = new WeakMap<Client, ConnectRequest>();
  /** Set when the broker stops: every connection that ends after that ends by the platform's shutdown. */
  stopped = false;
  /** aedes' clients by client id (= gateway id), once `attach`ed. */
  private byId: Record<string, Client | undefined> = {};

  /** Call once the aedes broker exists. */
  attach(broker: Aedes): void {
    this.byId = (broker as unknown as { clients: Record<string, Client | undefined> }).clients;
  }

  /** Gives an authenticated connection its id and claims its gateway for it across the cluster (before aedes registers it). */
  async claim(client: Client, gatewayId: string, owners: ConnectionOwners): Promise<void> {
    const connectionId = randomUUID();
    this.connectionIds.set(client, connectionId);
    // one that ends before it got through gives the claim up again, unless another has taken it meanwhile (listening
    // first: it may close while the claim is written, and a closed one is never registered, so no disconnect follows)
    const giveUp = () => void owners.release(gatewayId, connectionId).catch(() => undefined);
    (client.conn as NodeJS.EventEmitter).once('close', () => {
      if (!this.ready.has(client)) giveUp();
    });
    if (client.closed) return; // aedes does not register a closed one: nothing to claim
    await owners.claim(gatewayId, connectionId);
    if (client.closed) giveUp();
  }

  /** Why a client's connection ended, for its offline transition. */
  endReason(client: Client, gatewayReason: string): string {
    return this.stopped
      ? PLATFORM_SHUTDOWN
      : this.revoked.has(client)
        ? GATEWAY_REVOKED
        : this.closedByPlatform.has(client)
          ? PLATFORM_UNAVAILABLE
          : gatewayReason;
  }

  /** This broker's authenticated client of a gateway, if it has one (closed or not). */
  authenticated(gatewayId: string): Client | undefined {
    const c = this.byId[gatewayId];
    return c !== undefined && this.identities.has(c) ? c : undefined;
  }

  /** Whether a gateway has a live connection on this broker. */
  connectedHere(gatewayId: string): boolean {
    const c = this.authenticated(gatewayId);
    return c !== undefined && !c.closed;
  }
}

/** The broker store's will writes (aedes-persistence-redis). */
interface WillStore {
  putWill(client: Client, packet: PublishPacket): Promise<void>;
}

/**
 * Records a gateway online once its connection is ready, and offline (with the reason) when its live connection ends —
 * unless another connection holds the gateway now, on this node or another (owners.ts): a gateway that moved is not
 * offline. Every `reassertMs` a connection live here claims its gateway again if nobody holds it (a claimant that
 * never got through gave it up).
 */
export function trackPresence(
  broker: Aedes,
  clients: BrokerClients,
  deps: {
    status: GatewayStatusTracker;
    owners: ConnectionOwners;
    log: Logger;
    metrics: Pick<Metrics, 'mqttConnections' | 'mqttTakeovers'>;
    reassertMs: number;
  },
): { stop(): void } {
  broker.on('clientReady', (client) => {
    const id = clients.identities.get(client);
    if (!id) return;
    clients.ready.add(client);
    clients.live.set(id.gatewayId, client);
    deps.metrics.mqttConnections.set(broker.connectedClients);
    void deps.status.set(id.enterpriseId, id.gatewayId, 'online', 'connected');
  });
  broker.on('clientDisconnect', (client) => {
    deps.metrics.mqttConnections.set(broker.connectedClients);
    const id = clients.identities.get(client);
    const connectionId = clients.connectionIds.get(client);
    if (!id || connectionId === undefined) return;
    if (clients.live.get(id.gatewayId) === client) clients.live.delete(id.gatewayId);
    const reason = clients.endReason(client, 'disconnected');
    void deps.owners.release(id.gatewayId, connectionId).then(
      (r) => {
        if (r === 'gone') return deps.status.set(id.enterpriseId, id.gatewayId, 'offline', reason);
        deps.metrics.mqttTakeovers.inc({ where: r });
        if (r === 'here') {
          // aedes' takeover on this node deletes the stored will of the gateway (same key) after the new connection
          // stored its own: stored again, for the other nodes to publish if this one dies
          const newer: (Client & { will?: PublishPacket | null }) | undefined = clients.authenticated(id.gatewayId);
          if (newer?.will && !newer.closed)
            void (broker as unknown as { persistence: WillStore }).persistence.putWill(newer, newer.will).catch(() => undefined);
        }
        // connected through another node now: what this node last recorded of it says nothing any more
        if (r === 'elsewhere' && !clients.connectedHere(id.gatewayId)) deps.status.forget(id.gatewayId);
      },
      (err: unknown) => {
        // Redis away (the sessions are too): the connection ended, and nothing says the gateway is connected elsewhere
        deps.log.warn({ err: (err as Error).message, gatewayId: id.gatewayId }, 'could not release the gateway connection claim');
        return deps.status.set(id.enterpriseId, id.gatewayId, 'offline', reason);
      },
    );
  });
  const timer = setInterval(() => {
    for (const [gatewayId, client] of clients.live) {
      const connectionId = clients.connectionIds.get(client);
      if (client.closed || connectionId === undefined) continue;
      deps.owners.reassert(gatewayId, connectionId).then(
        (claimed) => claimed && deps.log.info({ gatewayId }, 'claimed the gateway connection again'),
        () => undefined,
      );
    }
  }, deps.reassertMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
