import { Transform, type TransformCallback } from 'node:stream';

/** CONNACK with return code 0x01, "unacceptable protocol version" (MQTT 3.1.1 §3.2.2.3). */
export const CONNACK_UNACCEPTABLE_PROTOCOL = Buffer.from([0x20, 0x02, 0x00, 0x01]);

/** The protocol levels the broker speaks, by protocol name: MQTT 3.1.1 ("MQTT", 4) and 3.1 ("MQIsdp", 3). */
const LEVELS: Record<string, number> = { MQTT: 4, MQIsdp: 3 };

/**
 * Looks at the first packet of an inbound MQTT stream before aedes parses it.
 * A CONNECT that names the MQTT protocol with a level the broker does not
 * speak must be answered with CONNACK 0x01 and a disconnect [MQTT-3.1.2-2];
 * aedes' parser instead fails on any level but 3, 4 and 5 and drops the
 * connection without a CONNACK. Such a CONNECT is stopped here (its bytes
 * never reach aedes) and `onUnsupported` is told, to answer and close.
 * Everything else passes unchanged; after the first packet the gate is a
 * plain pass-through.
 */
export class ConnectGate extends Transform {
  private held: Buffer | undefined = Buffer.alloc(0);

  constructor(private readonly onUnsupported: (protocol: string, level: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.held) return cb(null, chunk);
    const buf = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    const verdict = judge(buf);
    if (verdict === 'more') {
      this.held = buf;
      return cb();
    }
    this.held = undefined;
    if (verdict === 'pass') return cb(null, buf);
    this.onUnsupported(verdict.protocol, verdict.level);
    cb(); // nothing of this connection reaches aedes
  }

  override _flush(cb: TransformCallback): void {
    const rest = this.held;
    this.held = undefined;
    cb(null, rest?.length ? rest : undefined);
  }
}

function judge(b: Buffer): 'more' | 'pass' | { protocol: string; level: number } {
  if (b.length < 1) return 'more';
  if (b[0] !== 0x10) return 'pass'; // not a CONNECT: aedes closes it [MQTT-3.1.0-1]
  // remaining length: 1-4 bytes
  let i = 1;
  while (i < b.length && i <= 4 && (b[i]! & 0x80) !== 0) i++;
  if (i > 4) return 'pass'; // malformed: aedes' parser closes it
  if (i >= b.length) return 'more';
  const nameAt = i + 1;
  if (b.length < nameAt + 2) return 'more';
  const nameLen = b.readUInt16BE(nameAt);
  if (nameLen > 6) return 'pass'; // not a name we know: [MQTT-3.1.2-1] lets the parser close it
  if (b.length < nameAt + 2 + nameLen + 1) return 'more';
  const protocol = b.toString('latin1', nameAt + 2, nameAt + 2 + nameLen);
  const expected = LEVELS[protocol];
  if (expected === undefined) return 'pass';
  const level = b[nameAt + 2 + nameLen]! & 0x7f; // the top bit is aedes' bridge mode, as mqtt-packet reads it
  return level === expected ? 'pass' : { protocol, level };
}
