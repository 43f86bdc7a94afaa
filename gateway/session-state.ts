/**
 * Two corrections to aedes 1.2's handling of persistent sessions, found by
 * tests/integration/gateway/mqtt-conformance.test.ts:
 *
 * - Re-delivery: a QoS 1/2 PUBLISH sent before the connection dropped and
 *   re-sent from the session on reconnect must carry DUP=1 [MQTT-3.3.1-1,
 *   MQTT-4.4.0-1]; aedes re-sends it with the stored flags (DUP=0). A message
 *   that was sent has a packet id in the store; one queued while the client
 *   was offline has none and goes out with DUP=0, as a first delivery.
 * - Session present: aedes reports a session as present only when it holds
 *   subscriptions, so a persistent session without any (a gateway that only
 *   publishes) resumes with Session Present 0 [MQTT-3.2.2-2], and a client
 *   that obeys [MQTT-3.2.2-4] then discards its own session state. A marker
 *   subscription on a topic nothing publishes to is stored with every
 *   persistent session; it makes the session "present" and is never restored
 *   (the subscribe hook refuses it while the session is being restored). A
 *   clean session removes it with the other subscriptions.
 */
import { Readable } from 'node:stream';
import type { Aedes, Client } from 'aedes';

/** The marker subscription of a persistent session: a `$` topic, so no wildcard filter matches it, and nothing publishes there. */
export const SESSION_MARKER_TOPIC = '$nss/session';

/** Whether a subscription being authorised is the marker being restored (to refuse silently), rather than a client's own SUBSCRIBE. */
export function isSessionMarkerRestore(client: Client, topic: string): boolean {
  return topic === SESSION_MARKER_TOPIC && !(client as Client & { connackSent?: boolean }).connackSent;
}

interface StoredPacket {
  cmd?: string;
  messageId?: number | null;
  dup?: boolean;
}

type OutgoingStream = (client: Client) => Readable;

/** What a broker needs to order a persistent session's marker before that client's next CONNECT looks the session up. */
export interface SessionMarkers {
  /**
   * Call when a client is authenticated (before aedes looks its session up): waits until the marker of that client's
   * previous persistent session is stored (a clean session would otherwise have it wiped before it lands), then, for
   * a persistent session, reserves the write of this one's. A client that disconnects right after its
   * CONNACK and comes back at once would otherwise find no session: aedes writes nothing before CONNACK, and the
   * marker is written once the connection is ready, which may be after the client has left and come back.
   */
  connecting(clientId: string, persistent: boolean): Promise<void>;
}

/** Longest a CONNECT waits for its previous session's marker (one that never became ready releases it then). */
const MARKER_WAIT_MS = 2000;

/** Sets DUP on re-sent PUBLISHes and records a marker with every persistent session. Call once, after the broker is created. */
export function correctSessionHandling(broker: Aedes, onError: (err: Error, clientId: string) => void): SessionMarkers {
  const { persistence } = broker as unknown as {
    persistence: { outgoingStream: OutgoingStream; addSubscriptions(client: Client, subs: { topic: string; qos: number }[]): Promise<void> };
  };
  const outgoingStream = persistence.outgoingStream.bind(persistence);
  persistence.outgoingStream = (client) =>
    Readable.from(
      (async function* () {
        for await (const p of outgoingStream(client) as AsyncIterable<StoredPacket>) {
          if (p.cmd === 'publish' && p.messageId) p.dup = true; // it was sent before: this is a re-delivery
          yield p;
        }
      })(),
      { objectMode: true },
    );

  /** Per client id: the marker write of its latest persistent session, settled once stored (or failed). */
  const pending = new Map<string, { done: Promise<void>; settle: () => void }>();
  broker.on('clientReady', (client) => {
    if (client.clean) return;
    const id = client.id;
    const slot = pending.get(id);
    persistence
      .addSubscriptions(client, [{ topic: SESSION_MARKER_TOPIC, qos: 0 }])
      .catch((err: unknown) => onError(err as Error, id))
      .finally(() => slot?.settle());
  });
  return {
    async connecting(clientId, persistent) {
      const previous = pending.get(clientId);
      if (previous) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([previous.done, new Promise<void>((r) => (timer = setTimeout(r, MARKER_WAIT_MS)))]);
        clearTimeout(timer);
      }
      if (!persistent) return;
      let settle!: () => void;
      const done = new Promise<void>((r) => (settle = r));
      const slot = { done, settle };
      pending.set(clientId, slot);
      void done.then(() => {
        if (pending.get(clientId) === slot) pending.delete(clientId);
      });
      // a session that never becomes ready (refused later, closed) releases its slot after the wait limit
      setTimeout(settle, MARKER_WAIT_MS).unref();
    },
  };
}
