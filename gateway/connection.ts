/**
 * The stream aedes is handed for one TCP (or TLS) connection, with the guards that
 * must act on raw bytes, before or outside aedes' parser:
 *
 * - inbound: socket → PacketSizeGuard (declared size, before a body is
 *   buffered) → ConnectGate (unsupported protocol levels answered with
 *   CONNACK 0x01 [MQTT-3.1.2-2]) → aedes;
 * - outbound: aedes → a writer that never makes aedes wait for a slow reader
 *   (a broker-wide stall: aedes holds a delivery slot until the socket
 *   drains) but closes the connection once more than `maxWriteBufferBytes`
 *   wait unsent, so a client that does not read costs bounded memory.
 */
import type { Socket } from 'node:net';
import { Duplex, Writable } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { CONNACK_UNACCEPTABLE_PROTOCOL, ConnectGate } from './connect-gate.ts';
import { PacketSizeGuard } from './packet-guard.ts';

export interface ConnectionLimits {
  maxPacketBytes: number;
  maxWriteBufferBytes: number;
}

export interface ConnectionRefusals {
  packetTooLarge(declaredBytes: number): void;
  unsupportedProtocol(protocol: string, level: number): void;
  writeBufferFull(bufferedBytes: number): void;
}

export function guardedConnection(socket: Socket, limits: ConnectionLimits, on: ConnectionRefusals): Duplex {
  socket.setNoDelay(true);
  const guard = new PacketSizeGuard(limits.maxPacketBytes, (declared) => on.packetTooLarge(declared));
  const gate = new ConnectGate((protocol, level) => {
    on.unsupportedProtocol(protocol, level);
    socket.end(CONNACK_UNACCEPTABLE_PROTOCOL, () => socket.destroy());
  });
  guard.on('error', () => socket.destroy());
  gate.on('error', () => socket.destroy());
  socket.on('error', () => guard.destroy());
  socket.pipe(guard).pipe(gate);

  const writer = new Writable({
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk);
      if (socket.writableLength > limits.maxWriteBufferBytes) {
        on.writeBufferFull(socket.writableLength);
        // a reset, not a FIN behind megabytes the client will not read: the kernel drops its buffers at once (a TLS
        // socket cannot be reset, Node refuses it: ERR_INVALID_HANDLE_TYPE; it is destroyed)
        if (socket instanceof TLSSocket) socket.destroy();
        else socket.resetAndDestroy();
        return cb(new Error(`more than ${limits.maxWriteBufferBytes} bytes unread by the client`));
      }
      cb();
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  // aedes reads through the guards and writes through the bounded writer.
  const conn = Duplex.from({ readable: gate, writable: writer });
  conn.on('error', () => socket.destroy());
  conn.once('close', () => socket.destroy());
  socket.once('close', () => conn.destroy());
  return conn;
}
