/**
 * Makes a development CA and certificates for TLS (issue #19 §5), in `{DATA_DIR}/certs` (default var/certs):
 *
 *   npm run certs -- [--host <name|ip> ...] [--gateway <id> ...] [--fresh]
 *
 * ca.pem (the --cafile for mosquitto_pub and for gateways), server.pem/server.key (the MQTT 8883 and HTTPS
 * listeners), gateway-<id>.pem/.key (a gateway's client certificate for mutual TLS; its CN is the gateway id).
 * Development only: production certificates come from the bureau's own CA.
 */
import { join } from 'node:path';
import { makeDevCerts } from '../platform/dev-certs.ts';

function main(argv: string[]): void {
  const hosts: string[] = [];
  const gateways: string[] = [];
  let fresh = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--host' && argv[i + 1]) hosts.push(argv[++i]!);
    else if (a === '--gateway' && argv[i + 1]) gateways.push(argv[++i]!);
    else if (a === '--fresh') fresh = true;
    else throw new Error(`usage: npm run certs -- [--host <name|ip> ...] [--gateway <id> ...] [--fresh] (unknown: ${a ?? ''})`);
  }
  const dir = join(process.env.DATA_DIR ?? 'var', 'certs');
  const c = makeDevCerts(dir, { hosts: hosts.length > 0 ? hosts : undefined, gateways, fresh });
  console.log(JSON.stringify({ ca: c.ca, serverCert: c.serverCert, serverKey: c.serverKey, gateways: c.gateways }, null, 2));
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
