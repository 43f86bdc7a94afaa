/**
 * MQTT over a raw TCP socket, for tests that must control every byte the
 * broker sees (conformance, fuzzing, floods): packets are encoded and parsed
 * with mqtt-packet, nothing is retried, acknowledged or kept alive for us.
 */
import { connect as tcp, type Socket } from 'node:net';
import mqttPacket, { type IConnackPacket, type IConnectPacket, type Packet } from 'mqtt-packet';

export type RawPacket = Packet;

/** A raw connection: what was received, in order, and when the broker closed it. */
export class RawClient {
  readonly received: RawPacket[] = [];
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>;
  isClosed = false;
  private waiters: { pred: (p: RawPacket) => boolean; resolve: (p: RawPacket) => void; reject: (e: Error) => void }[] = [];
  private consumed = 0;

  constructor(readonly socket: Socket) {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: RawPacket) => {
      this.received.push(p);
      this.wake();
    });
    parser.on('error', () => socket.destroy());
    socket.on('data', (d: Buffer) => parser.parse(d));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        for (const w of this.waiters.splice(0)) w.reject(new Error('connection closed'));
        resolve();
      }),
    );
  }

  /** Writes a packet (encoded with mqtt-packet) or raw bytes. */
  send(p: RawPacket | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.isBuffer(p) ? p : mqttPacket.generate(p));
  }

  /**
   * The next received packet (after those already returned) matching `cmd`;
   * packets of other kinds received meanwhile are skipped. Rejects if the
   * connection closes first or after `timeoutMs`.
   */
  next<C extends RawPacket['cmd']>(cmd: C, timeoutMs = 10_000): Promise<Extract<RawPacket, { cmd: C }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${cmd} within ${timeoutMs} ms (received: ${this.received.map((p) => p.cmd).join(', ')})`));
      }, timeoutMs);
      const waiter = {
        pred: (p: RawPacket) => p.cmd === cmd,
        resolve: (p: RawPacket) => {
          clearTimeout(timer);
          resolve(p as Extract<RawPacket, { cmd: C }>);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(waiter);
      this.wake();
      if (this.isClosed && this.waiters.includes(waiter)) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.reject(new Error(`connection closed before ${cmd}`));
      }
    });
  }

  /** Resolves true when the broker closes the connection within `timeoutMs`, false otherwise. */
  closedWithin(timeoutMs: number): Promise<boolean> {
    return Promise.race([this.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref())]);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      const idx = this.received.findIndex((p, i) => i >= this.consumed && w.pred(p));
      if (idx < 0) return;
      this.consumed = idx + 1;
      this.waiters.shift();
      w.resolve(this.received[idx]!);
    }
  }
}

/** Opens a raw TCP connection to the broker; resolves once connected. */
export function openRaw(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const s = tcp({ host: '127.0.0.1', port });
    s.setNoDelay(true);
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(new RawClient(s));
    });
  });
}

export interface ConnectOptions {
  clientId: string;
  username?: string;
  password?: string | Buffer;
  clean?: boolean;
  keepalive?: number;
  will?: IConnectPacket['will'];
  protocolVersion?: 3 | 4 | 5;
}

/** A CONNECT packet (MQTT 3.1.1 by default, clean session, keepalive 60 s). */
export function connectPacket(o: ConnectOptions): IConnectPacket {
  return {
    cmd: 'connect',
    protocolId: o.protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: o.protocolVersion ?? 4,
    clientId: o.clientId,
    clean: o.clean ?? true,
    keepalive: o.keepalive ?? 60,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: Buffer.isBuffer(o.password) ? o.password : Buffer.from(o.password) } : {}),
    ...(o.will ? { will: o.will } : {}),
  };
}

/** Connects with a CONNECT packet and resolves with the client and its CONNACK. */
export async function rawConnect(port: number, o: ConnectOptions): Promise<{ c: RawClient; connack: IConnackPacket }> {
  const c = await openRaw(port);
  c.send(connectPacket(o));
  const connack = await c.next('connack');
  return { c, connack };
}

/**
 * Writes the bytes, half-closes, and resolves when the broker has closed the
 * connection, or 'held' if it has not within `timeoutMs`.
 */
export function sendAndHalfClose(port: number, bytes: Buffer, timeoutMs = 5000): Promise<'closed' | 'held'> {
  return new Promise((resolve) => {
    const s = tcp({ host: '127.0.0.1', port });
    const guard = setTimeout(() => {
      s.destroy();
      resolve('held');
    }, timeoutMs);
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(guard);
      resolve('closed');
    });
    s.on('data', () => undefined);
    s.on('connect', () => s.end(bytes));
  });
}
