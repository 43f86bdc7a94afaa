/**
 * Two corrections to aedes 1.2's handling of persistent sessions, found by
 * tests/integration/mqtt-conformance.test.ts:
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

/** Sets DUP on re-sent PUBLISHes and records a marker with every persistent session. Call once, after the broker is created. */
export function correctSessionHandling(broker: Aedes, onError: (err: Error, clientId: string) => void): void {
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

  broker.on('clientReady', (client) => {
    if (client.clean) return;
    persistence.addSubscriptions(client, [{ topic: SESSION_MARKER_TOPIC, qos: 0 }]).catch((err: unknown) => onError(err as Error, client.id));
  });
}
