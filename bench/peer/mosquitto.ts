/** The peer stack's broker: Mosquitto 2.0 (Debian's /usr/sbin/mosquitto), and its count of dropped messages. */
import { spawn } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinary, portOpen, stopChild } from '../../platform/local-services.ts';
import { connect } from '../../testkit/mqtt.ts';
import { freePort } from '../../testkit/services.ts';
import { PEER_DIR } from './options.ts';
import { waitFor, type Proc } from './proc.ts';

/** Mosquitto's count of messages it dropped (queue for a slow subscriber full), from $SYS every second. */
export async function watchDropped(port: number): Promise<{ value: () => number; close: () => Promise<void> }> {
  const c = await connect(port, { clientId: `sys-watcher-${port}`, clean: true });
  let dropped = 0;
  c.on('message', (_t, payload) => (dropped = Number(payload.toString())));
  await c.subscribeAsync('$SYS/broker/publish/messages/dropped', { qos: 0 });
  return { value: () => dropped, close: () => c.endAsync() };
}

/** Mosquitto on a free loopback port with its stock limits (max_queued_messages 1000), no persistence, TCP_NODELAY. */
export async function startMosquitto(name: string): Promise<Proc> {
  const bin = ensureBinary('mosquitto');
  const port = await freePort();
  const conf = join(PEER_DIR, `${name}.conf`);
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'set_tcp_nodelay true',
      'max_queued_messages 1000',
      'sys_interval 1',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const log = openSync(join(PEER_DIR, `${name}.log`), 'a');
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', log, log] });
  await waitFor(name, () => portOpen(port), child, 10_000);
  return { name, child, port, stop: () => stopChild(child) };
}
