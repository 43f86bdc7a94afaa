/**
 * Batching of generated items into MQTT messages of the contract, and their
 * encoding. Pure.
 */
import { encodeReadings, encodeSignals, topics, type ReadingOut, type SignalOut } from '../core/contract.ts';
import type { Generated } from './generate.ts';

/** Readings per message when none is configured. */
export const DEFAULT_READINGS_PER_MESSAGE = 20;

/** One uplink message: readings or signals, never both. */
export type OutMessage = { channel: 'readings'; readings: ReadingOut[] } | { channel: 'signals'; signals: SignalOut[] };

const firstTs = (m: OutMessage): number => ((m.channel === 'readings' ? m.readings[0]?.ts : m.signals[0]?.ts) as number | undefined) ?? 0;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Cuts generated items into messages of at most `perMessage` items (a readings
 * message carries readings of several sensors and timestamps; signals travel
 * in their own messages), ordered oldest first by each message's first item.
 */
export function packMessages(g: Generated, perMessage = DEFAULT_READINGS_PER_MESSAGE): OutMessage[] {
  if (!Number.isInteger(perMessage) || perMessage < 1) throw new RangeError(`perMessage must be a positive integer, got ${perMessage}`);
  const readings: OutMessage[] = chunk(g.readings, perMessage).map((r) => ({ channel: 'readings', readings: r }));
  const signals: OutMessage[] = chunk(g.signals, perMessage).map((s) => ({ channel: 'signals', signals: s }));
  const out: OutMessage[] = [];
  let i = 0;
  let j = 0;
  while (i < readings.length || j < signals.length) {
    const r = readings[i];
    const s = signals[j];
    if (s && (!r || firstTs(s) <= firstTs(r))) {
      out.push(s);
      j++;
    } else if (r) {
      out.push(r);
      i++;
    }
  }
  return out;
}

/** The topic and payload of a message from a gateway. */
export function encodeMessage(m: OutMessage, enterpriseId: string, gatewayId: string): { topic: string; payload: string } {
  return m.channel === 'readings'
    ? { topic: topics.readings(enterpriseId, gatewayId), payload: encodeReadings(m.readings) }
    : { topic: topics.signals(enterpriseId, gatewayId), payload: encodeSignals(m.signals) };
}

export const itemCount = (m: OutMessage): number => (m.channel === 'readings' ? m.readings.length : m.signals.length);
export const readingsOf = (m: OutMessage): ReadingOut[] => (m.channel === 'readings' ? m.readings : []);
export const signalsOf = (m: OutMessage): SignalOut[] => (m.channel === 'signals' ? m.signals : []);
