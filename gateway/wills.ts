/**
 * Last wills, authorised like publishes.
 *
 * A will is checked twice: at CONNECT (broker.ts: like a publish of that
 * client, its own uplink topics, else CONNACK 0x05, as mosquitto does), and
 * again when it is published. aedes publishes a will in two ways: when its own client's
 * connection drops (with that client), and in its periodic sweep of the wills
 * other brokers left in the shared store (after a crash, under another broker
 * id, or written by another process on the same Redis) — with no client, or
 * with whatever client of that id happens to be connected here. A stored will
 * is trusted for nothing: it is re-authorised against the gateway its client
 * id names, from the ledger, and dropped (deleted from the store, counted)
 * unless it is that gateway's own status message with a valid payload and the
 * gateway is not connected here now (then it is stale: the gateway came back).
 * A data message as a will is published when its own connection drops, but
 * never by a sweep: stored, it is evidence of nothing.
 */
import type { Aedes, AedesPublishPacket, Client, PublishPacket } from 'aedes';
import { statusSchema, type StatusMessage } from '../core/contract.ts';
import type { GatewayRecord } from '../ledger/registry.ts';
import { decideWill, type GatewayIdentity } from './acl.ts';

/** The parsed status message, or undefined for a payload that is not one (not JSON, or not the schema). */
export function parseStatusPayload(payload: Buffer | Uint8Array | string): StatusMessage | undefined {
  try {
    const parsed = statusSchema.safeParse(JSON.parse(Buffer.from(payload as Uint8Array).toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A will as the persistence stores it: the CONNECT's will, plus the client and broker that stored it. */
export interface StoredWill extends PublishPacket {
  clientId?: unknown;
  brokerId?: unknown;
}

/** Whether `packet`, handed to authorizePublish, is a will from the store rather than a client's PUBLISH or its own will. */
export function isStoredWill(client: Client | null, packet: PublishPacket): boolean {
  if (!client) return true; // aedes calls authorizePublish without a client only for swept wills
  return packet !== (client as Client & { will?: unknown }).will && 'brokerId' in packet && 'clientId' in packet;
}

export type StoredWillDecision =
  | { allow: true; identity: GatewayIdentity; status: StatusMessage }
  | {
      allow: false;
      reason:
        | 'will_without_client_id'
        | 'will_of_unknown_gateway'
        | 'stored_will_not_own_status_topic'
        | 'bad_will_payload'
        | 'stale_will_gateway_connected'
        | 'stored_will_not_this_nodes'
        | 'stored_will_broker_alive';
    };

/**
 * Decides a stored will against the ledger. `connectedHere(gatewayId)`: whether that gateway has a live connection on
 * this broker; `take(gatewayId, brokerId)`: whether this node may publish the will that broker stored (not if that
 * broker is alive, the gateway is connected through another broker now, or another node took it: owners.ts).
 */
export async function decideStoredWill(
  will: StoredWill,
  lookup: (gatewayId: string) => Promise<GatewayRecord | undefined>,
  connectedHere: (gatewayId: string) => boolean,
  take: (gatewayId: string, brokerId: string) => Promise<'publish' | 'broker_alive' | 'not_ours'>,
): Promise<StoredWillDecision> {
  if (typeof will.clientId !== 'string' || will.clientId === '') return { allow: false, reason: 'will_without_client_id' };
  const gw = await lookup(will.clientId);
  if (!gw) return { allow: false, reason: 'will_of_unknown_gateway' };
  const identity: GatewayIdentity = { clientId: gw.id, enterpriseId: gw.enterpriseId, gatewayId: gw.id };
  // published by a sweep, long after its connection: only its own status topic (never data, never someone's commands)
  const d = decideWill(identity, will.topic);
  if (!d.allow || d.channel !== 'status') return { allow: false, reason: 'stored_will_not_own_status_topic' };
  const status = parseStatusPayload(will.payload);
  if (!status) return { allow: false, reason: 'bad_will_payload' };
  if (connectedHere(gw.id)) return { allow: false, reason: 'stale_will_gateway_connected' };
  if (typeof will.brokerId === 'string') {
    const taking = await take(gw.id, will.brokerId);
    // its broker is alive: it publishes its own (the will stays in the store)
    if (taking === 'broker_alive') return { allow: false, reason: 'stored_will_broker_alive' };
    // the gateway connected through another broker, or another node took it: stale
    if (taking === 'not_ours') return { allow: false, reason: 'stored_will_not_this_nodes' };
  }
  return { allow: true, identity, status };
}

interface WillPersistence {
  streamWill(brokers: Record<string, number>): AsyncIterable<StoredWill>;
  delWill(client: { id: string; brokerId: string }): Promise<unknown>;
}

/**
 * Filters aedes' will sweep: only wills `decideStoredWill` allows reach aedes (which then publishes them through
 * authorizePublish, where they are checked again); the others are deleted from the store and reported.
 */
export function guardStoredWills(
  broker: Aedes,
  decide: (will: StoredWill) => Promise<StoredWillDecision>,
  onDropped: (will: StoredWill, reason: string) => void,
  onError: (err: Error) => void,
): void {
  const persistence = (broker as unknown as { persistence: WillPersistence }).persistence;
  const streamWill = persistence.streamWill.bind(persistence);
  persistence.streamWill = (brokers) =>
    (async function* () {
      for await (const will of streamWill(brokers)) {
        let d: StoredWillDecision;
        try {
          d = await decide(will);
        } catch (err) {
          onError(err as Error); // the ledger is unreachable: keep it for the next sweep
          continue;
        }
        if (d.allow) {
          yield will;
          continue;
        }
        // a live broker's will is its own business: left in the store, not counted as a refusal
        if (d.reason === 'stored_will_broker_alive') continue;
        onDropped(will, d.reason);
        if (typeof will.clientId === 'string' && typeof will.brokerId === 'string') {
          await persistence.delWill({ id: will.clientId, brokerId: will.brokerId }).catch((err: unknown) => onError(err as Error));
        }
      }
    })();
}

export type { AedesPublishPacket };
