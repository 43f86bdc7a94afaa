import { Transform, type TransformCallback } from 'node:stream';

/**
 * Watches the MQTT framing of an inbound byte stream and fails it as soon as
 * a packet's declared remaining length exceeds `maxPacketBytes`, before its
 * body is buffered (aedes has no such limit of its own; an MQTT packet may
 * declare up to 256 MiB). Bytes pass through unchanged.
 */
export class PacketSizeGuard extends Transform {
  /** Bytes of the current packet's body still to skip. */
  private skip = 0;
  /** 0: expecting a fixed header byte; 1..4: reading the remaining-length varint. */
  private lenBytes = 0;
  private len = 0;
  private mult = 1;
  private inPacket = false;

  constructor(
    private readonly maxPacketBytes: number,
    private readonly onTooLarge: (declared: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i] as number;
      i++;
      if (!this.inPacket) {
        this.inPacket = true; // fixed header byte
        this.lenBytes = 0;
        this.len = 0;
        this.mult = 1;
        continue;
      }
      this.len += (byte & 0x7f) * this.mult;
      this.mult *= 128;
      this.lenBytes++;
      if ((byte & 0x80) === 0 || this.lenBytes >= 4) {
        // the remaining length is complete (at most 4 bytes): judge the whole declared size, before any body byte
        if (this.len > this.maxPacketBytes) {
          this.onTooLarge(this.len);
          cb(new Error(`MQTT packet of ${this.len} bytes exceeds the ${this.maxPacketBytes}-byte limit`));
          return;
        }
        this.skip = this.len;
        this.inPacket = false;
      }
    }
    cb(null, chunk);
  }
}
