/**
 * HAProxy (Debian's) in front of platform nodes, as a deployment puts a TCP
 * balancer before the brokers and an HTTP one before the API: MQTT in TCP mode
 * (round robin, a node taken out after 2 failed checks every 300 ms), HTTP
 * checked on /health. Started in the foreground (-db), stopped with the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { AppError } from '../core/errors.ts';
import { onCandidatePorts } from './ports.ts';

export interface Balancer {
  mqttPort: number;
  httpPort: number;
  stop(): Promise<void>;
}

export interface BalancedNode {
  name: string;
  mqttPort: number;
  httpPort: number;
}

/** The HAProxy configuration for `nodes` (also what docs/scaling.md shows). */
export function haproxyConfig(nodes: readonly BalancedNode[], ports: { mqtt: number; http: number }): string {
  const servers = (port: (n: BalancedNode) => number) =>
    nodes.map((n) => `  server ${n.name} 127.0.0.1:${port(n)} check inter 300 fall 2 rise 2 on-marked-down shutdown-sessions`).join('\n');
  return `global
  maxconn 4000

defaults
  timeout connect 2s
  timeout client 10m
  timeout server 10m

frontend mqtt
  mode tcp
  bind 127.0.0.1:${ports.mqtt}
  default_backend brokers

backend brokers
  mode tcp
  balance roundrobin
${servers((n) => n.mqttPort)}

frontend api
  mode http
  bind 127.0.0.1:${ports.http}
  default_backend api

backend api
  mode http
  option httpchk GET /health
  balance roundrobin
${servers((n) => n.httpPort)}
`;
}

/** HAProxy before `nodes`, on candidate ports (others if one is taken meanwhile). */
export async function startHaproxy(nodes: readonly BalancedNode[]): Promise<Balancer> {
  return onCandidatePorts(2, async ([mqtt, http]) => {
    const ports = { mqtt: mqtt!, http: http! };
    const stop = await launch(haproxyConfig(nodes, ports), [ports.mqtt, ports.http]);
    return { mqttPort: ports.mqtt, httpPort: ports.http, stop };
  });
}

/**
 * HAProxy in TCP mode before `servers` (checked every 300 ms): the backups take the connections while no other server
 * answers, as a database's failover endpoint does (a promoted replica behind the balancer).
 */
export async function startTcpBalancer(servers: readonly { name: string; port: number; backup?: boolean }[]): Promise<{ port: number; stop(): Promise<void> }> {
  return onCandidatePorts(1, async ([port]) => {
    const lines = servers.map(
      (s) => `  server ${s.name} 127.0.0.1:${s.port} check inter 300 fall 2 rise 2 on-marked-down shutdown-sessions${s.backup ? ' backup' : ''}`,
    );
    const cfg = `global\n  maxconn 4000\n\ndefaults\n  mode tcp\n  timeout connect 2s\n  timeout client 10m\n  timeout server 10m\n\nfrontend tcp\n  bind 127.0.0.1:${port}\n  default_backend servers\n\nbackend servers\n${lines.join('\n')}\n`;
    return { port: port!, stop: await launch(cfg, [port!]) };
  });
}

/** Runs haproxy on `config` until every port accepts; resolves with its stop. */
async function launch(config: string, ports: number[]): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'nss-haproxy-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const child: ChildProcess = spawn('/usr/sbin/haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const accepts = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
  await vi.waitFor(
    async () => {
      if (child.exitCode !== null) {
        // a port taken meanwhile ("cannot bind socket"): other candidates
        if (/cannot bind/i.test(stderr)) throw new AppError('SERVICE_START_FAILED', `haproxy: ${stderr}`, { details: { reason: 'port_taken' } });
        throw new Error(`haproxy exited: ${stderr}`);
      }
      for (const port of ports) if (!(await accepts(port))) throw new Error('haproxy not listening yet');
    },
    { timeout: 15_000, interval: 100 },
  );
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await gone;
  };
}
