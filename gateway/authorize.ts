/**
 * The broker's publish, subscribe and delivery hooks: what a connected
 * gateway may do, decided by the contract's ACL (acl.ts).
 *
 * - Publish only under its own enterprise and gateway; a refused publish
 *   closes the connection (MQTT 3.1.1 has no negative PUBACK). Uplinks go to
 *   ingest, and the hook completes — so aedes sends the PUBACK — only when
 *   they are durably stored. Status messages (and wills) set the gateway's
 *   status.
 * - Subscribe only to its own `cmd/` topics (refused with SUBACK 0x80).
 * - Every delivery, queued ones included, only to the session that owns the
 *   command topic and subscribed to it.
 * - A will another broker left in the store is trusted for nothing (wills.ts).
 */
import type { AedesOptions, AedesPublishPacket, Client, PublishPacket, Subscription } from 'aedes';
import type { UplinkChannel } from '../core/contract.ts';
import type { Logger } from '../core/logger.ts';
import type { Registry } from '../ledger/registry.ts';
import { decideDelivery, decidePublish, decideSubscribe, type GatewayIdentity } from './acl.ts';
import type { BrokerClients } from './clients.ts';
import type { Refusals } from './refusals.ts';
import { isSessionMarkerRestore } from './session-state.ts';
import type { ConnectionOwners } from './owners.ts';
import type { GatewayStatusTracker } from './status.ts';
import { decideStoredWill, isStoredWill, parseStatusPayload, type StoredWill } from './wills.ts';

/** Stores an uplink; the PUBACK waits for the promise. */
export type UplinkHandler = (src: GatewayIdentity, channel: Exclude<UplinkChannel, 'status'>, topic: string, payload: Uint8Array) => Promise<void>;

export interface AuthorizationDeps {
  registry: Registry;
  status: GatewayStatusTracker;
  log: Logger;
  clients: BrokerClients;
  refusals: Refusals;
  handleUplink: UplinkHandler;
  owners: ConnectionOwners;
}

/** aedes' `authorizePublish`, `authorizeSubscribe` and `authorizeForward` hooks. */
export function authorizationHooks(deps: AuthorizationDeps): Required<Pick<AedesOptions, 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>> {
  const { clients, refusals } = deps;
  const { refuse, refuseQuietly } = refusals;
  const connectedHere = (gatewayId: string) => clients.connectedHere(gatewayId);

  return {
    authorizePublish: (client, packet: PublishPacket, done) => {
      // The platform's own messages (commands) do not pass here; a publish without a client, or a will that is not
      // this client's own, is a will another broker left in the store: trusted for nothing (see wills.ts).
      if (isStoredWill(client, packet)) {
        decideStoredWill(
          packet as StoredWill,
          (gw) => deps.registry.gateway(gw),
          connectedHere,
          (gw, broker) => deps.owners.takeStoredWill(gw, broker),
        ).then(
          (d) => {
            if (!d.allow) {
              refuse('will', d.reason, { clientId: (packet as StoredWill).clientId, topic: packet.topic });
              return done(new Error(`stored will refused: ${d.reason}`));
            }
            // what this node last recorded of the gateway may be old (it was here before it went to the dead node)
            deps.status.forget(d.identity.gatewayId);
            void deps.status.set(d.identity.enterpriseId, d.identity.gatewayId, d.status.state, 'last_will');
            done(null);
          },
          (err: unknown) => done(err as Error),
        );
        return;
      }
      if (!client) return done(new Error('unreachable: a publish without a client is a stored will'));
      const id = clients.identities.get(client);
      if (!id) {
        refuse('publish', 'not_authenticated', { clientId: client.id, topic: packet.topic });
        return done(new Error('not authenticated'));
      }
      if (clients.revoked.has(client)) {
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
        if (!isWill) {
          void deps.status.set(id.enterpriseId, id.gatewayId, status.state, 'status_message');
          return done(null);
        }
        // the will of a connection a newer one took over (here or on another node) is not published: the gateway is connected
        const connectionId = clients.connectionIds.get(client);
        (connectionId === undefined ? Promise.resolve(true) : deps.owners.holds(id.gatewayId, connectionId)).then(
          (holds) => {
            if (!holds) {
              refuseQuietly('will', 'will_of_superseded_connection', { clientId: id.clientId, topic: packet.topic });
              return done(new Error('will of a superseded connection'));
            }
            void deps.status.set(id.enterpriseId, id.gatewayId, status.state, clients.endReason(client, 'last_will'));
            done(null);
          },
          (err: unknown) => {
            // Redis away: nothing says the gateway is connected elsewhere
            deps.log.warn({ err: (err as Error).message, clientId: id.clientId }, 'could not check the connection claim; will published');
            void deps.status.set(id.enterpriseId, id.gatewayId, status.state, clients.endReason(client, 'last_will'));
            done(null);
          },
        );
        return;
      }
      packet.retain = false; // telemetry is never retained
      deps.handleUplink(id, decision.channel, packet.topic, packet.payload as Uint8Array).then(
        () => done(null),
        (err: unknown) => {
          deps.log.warn(
            { err: (err as Error).message, clientId: id.clientId, topic: packet.topic },
            'uplink not stored; closing the connection without acknowledgement',
          );
          clients.closedByPlatform.add(client);
          done(err as Error);
        },
      );
    },

    authorizeSubscribe: (client, sub: Subscription, done) => {
      if (isSessionMarkerRestore(client, sub.topic)) return done(null, null); // see session-state.ts
      const id = clients.identities.get(client);
      const decision = id ? decideSubscribe(id, sub.topic) : ({ allow: false, reason: 'not_authenticated' } as const);
      if (!decision.allow) {
        refuse('subscribe', decision.reason, { clientId: client.id, topic: sub.topic });
        return done(null, null); // SUBACK 0x80 for this filter; the connection stays up
      }
      done(null, sub);
    },

    // every delivery, queued ones included: only the session's own command topics, and only what it subscribed to
    authorizeForward: (client, packet: AedesPublishPacket) => {
      const id = clients.identities.get(client);
      const d = id
        ? decideDelivery(id, packet.topic, Object.keys((client as Client & { subscriptions: Record<string, unknown> }).subscriptions))
        : ({ allow: false, reason: 'not_authenticated' } as const);
      if (d.allow) return packet;
      refuse('deliver', d.reason, { clientId: client.id, topic: packet.topic });
      return null;
    },
  };
}
