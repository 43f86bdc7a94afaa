/**
 * The MQTT packet size guard: real frames from mqtt-packet, fed in arbitrary
 * chunkings; small packets pass byte for byte, an oversized one is refused
 * from its fixed header alone.
 */
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { PacketSizeGuard } from '../../../gateway/packet-guard.ts';

const connect = mqttPacket.generate({
  cmd: 'connect',
  clientId: 'G1',
  username: 'G1',
  password: Buffer.from('secret'),
  keepalive: 60,
  clean: true,
  protocolVersion: 4,
});
const subscribe = mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'v1/E1/G1/cmd/#', qos: 1 }] });
const pingreq = mqttPacket.generate({ cmd: 'pingreq' });
const disconnect = mqttPacket.generate({ cmd: 'disconnect' });
/** remaining length = 2 + topic.length (+ 2 with a message id) + payload. */
function publish(payloadBytes: number, fill = 0x41, qos: 0 | 1 = 0): Buffer {
  return mqttPacket.generate({
    cmd: 'publish',
    topic: 't',
    payload: Buffer.alloc(payloadBytes, fill),
    qos,
    dup: false,
    retain: false,
    ...(qos === 1 ? { messageId: 7 } : {}),
  });
}

/** The remaining length a frame declares, and how many bytes its varint takes (the test's own decoder). */
function declared(frame: Buffer): { length: number; varintBytes: number } {
  let length = 0;
  for (let i = 1, mult = 1; i <= 4; i++, mult *= 128) {
    const b = frame[i] as number;
    length += (b & 0x7f) * mult;
    if ((b & 0x80) === 0) return { length, varintBytes: i };
  }
  throw new Error('bad varint');
}

function chunk(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}
/** Deterministic pseudo-random cut points. */
function randomChunks(buf: Buffer, seed: number): Buffer[] {
  const out: Buffer[] = [];
  let s = seed;
  for (let i = 0; i < buf.length;) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (s % 17);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

interface Run {
  output: Buffer;
  tooLarge: number[];
  error: Error | undefined;
}
/** Feeds chunks to a guard one write at a time and collects what it passes on, what it reports, and its error. */
async function feed(max: number, chunks: Buffer[]): Promise<Run> {
  const tooLarge: number[] = [];
  const guard = new PacketSizeGuard(max, (n) => tooLarge.push(n));
  const out: Buffer[] = [];
  guard.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<Error | undefined>((resolve) => {
    guard.on('error', resolve);
    guard.on('end', () => resolve(undefined));
  });
  for (const c of chunks) {
    if (guard.destroyed) break;
    await new Promise<void>((resolve) => guard.write(c, () => resolve()));
  }
  if (!guard.destroyed) guard.end();
  const error = await done;
  return { output: Buffer.concat(out), tooLarge, error };
}

const chunkings: { name: string; split: (b: Buffer) => Buffer[] }[] = [
  { name: 'whole', split: (b) => [b] },
  { name: '1 byte at a time', split: (b) => chunk(b, 1) },
  { name: '2 bytes at a time', split: (b) => chunk(b, 2) },
  { name: '3 bytes at a time', split: (b) => chunk(b, 3) },
  { name: '7 bytes at a time', split: (b) => chunk(b, 7) },
  { name: 'random cuts (seed 1)', split: (b) => randomChunks(b, 1) },
  { name: 'random cuts (seed 42)', split: (b) => randomChunks(b, 42) },
];

describe('PacketSizeGuard: packets under the limit', () => {
  // Payloads of 0xFF look like varint continuation bytes: a guard that lost track of packet boundaries would trip on them.
  const stream = Buffer.concat([
    connect,
    subscribe,
    publish(10),
    pingreq,
    publish(200, 0xff, 1), // 2-byte remaining length
    publish(20_000, 0xff), // 3-byte remaining length
    publish(0),
    pingreq,
    publish(127 - 3), // remaining length 127: largest 1-byte varint
    publish(128 - 3), // 128: smallest 2-byte varint
    publish(16_383 - 3), // largest 2-byte varint
    publish(16_384 - 3), // smallest 3-byte varint
    disconnect,
  ]);

  it('the fixture covers 1-, 2- and 3-byte remaining lengths', () => {
    expect(declared(publish(10)).varintBytes).toBe(1);
    expect(declared(publish(200)).varintBytes).toBe(2);
    expect(declared(publish(20_000)).varintBytes).toBe(3);
    expect(declared(publish(16_384 - 3))).toEqual({ length: 16_384, varintBytes: 3 });
  });

  it.each(chunkings)('pass through byte-identical: $name', async ({ split }) => {
    const run = await feed(64 * 1024, split(stream));
    expect(run.error).toBeUndefined();
    expect(run.tooLarge).toEqual([]);
    expect(run.output.equals(stream)).toBe(true);
  });

  it.each(chunkings)('a packet of exactly the limit passes: $name', async ({ split }) => {
    const frame = publish(1024 - 3);
    expect(declared(frame).length).toBe(1024);
    const run = await feed(1024, split(Buffer.concat([frame, pingreq])));
    expect(run.error).toBeUndefined();
    expect(run.output.equals(Buffer.concat([frame, pingreq]))).toBe(true);
  });
});

describe('PacketSizeGuard: a packet over the limit', () => {
  const cases: { name: string; max: number; payload: number }[] = [
    { name: 'one byte over, 2-byte varint', max: 1024, payload: 1024 - 3 + 1 },
    { name: 'well over, 2-byte varint', max: 1024, payload: 10_000 },
    { name: '3-byte varint', max: 1024, payload: 300_000 },
    { name: '3-byte varint, limit just below', max: 256 * 1024, payload: 256 * 1024 },
    { name: '4-byte varint', max: 256 * 1024, payload: 3_000_000 },
  ];

  it.each(cases)('$name: refused from its header with the declared size, before the body (1 byte at a time)', async ({ max, payload }) => {
    const frame = publish(payload);
    const { length, varintBytes } = declared(frame);
    expect(length).toBeGreaterThan(max);
    const headerOnly = frame.subarray(0, 1 + varintBytes);
    const run = await feed(max, [...chunk(Buffer.concat([connect, publish(5)]), 1), ...chunk(headerOnly, 1)]);
    expect(run.error).toBeInstanceOf(Error);
    expect(run.error?.message).toContain(String(length));
    expect(run.tooLarge).toEqual([length]);
    // Everything before the oversized packet went through untouched.
    expect(run.output.subarray(0, connect.length + publish(5).length).equals(Buffer.concat([connect, publish(5)]))).toBe(true);
  });

  it.each(chunkings)('refused after valid packets in the same stream: $name', async ({ split }) => {
    const prefix = Buffer.concat([connect, publish(100, 0xff), pingreq]);
    const big = publish(5000);
    const run = await feed(1024, split(Buffer.concat([prefix, big])));
    expect(run.error).toBeInstanceOf(Error);
    expect(run.tooLarge).toEqual([declared(big).length]);
    // Never passes on more than the oversized packet's fixed header and length.
    expect(run.output.length).toBeLessThanOrEqual(prefix.length + 1 + declared(big).varintBytes);
  });
});
