/** The development CA and certificates (issue #19 §5): made with openssl, checked with openssl and node:tls. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDevCerts } from '../../../platform/dev-certs.ts';

const dir = mkdtempSync(join(tmpdir(), 'nss-certs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('makeDevCerts', () => {
  it('makes a CA, a server certificate for the hosts and a client certificate per gateway, each verified by the CA', () => {
    const c = makeDevCerts(join(dir, 'certs'), { gateways: ['GW-1'] });
    const verify = (cert: string) => execFileSync('openssl', ['verify', '-CAfile', c.ca, cert], { encoding: 'utf8' }).trim();
    expect(verify(c.serverCert)).toBe(`${c.serverCert}: OK`);
    expect(verify(c.gateways['GW-1']!.cert)).toBe(`${c.gateways['GW-1']!.cert}: OK`);
    const server = new X509Certificate(readFileSync(c.serverCert));
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(server.checkIssued(new X509Certificate(readFileSync(c.ca)))).toBe(true);
    const client = new X509Certificate(readFileSync(c.gateways['GW-1']!.cert));
    expect(client.subject).toContain('CN=GW-1');
    expect(client.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
    expect(statSync(c.serverKey).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'certs')).mode & 0o777).toBe(0o700);
  });

  it('reuses what exists, and refuses a gateway id that cannot be a subject', () => {
    const before = readFileSync(join(dir, 'certs', 'ca.pem'), 'utf8');
    const again = makeDevCerts(join(dir, 'certs'), { gateways: ['GW-2'] });
    expect(readFileSync(again.ca, 'utf8')).toBe(before);
    expect(() => makeDevCerts(join(dir, 'certs'), { gateways: ['GW/1=x'] })).toThrow(/gateway id/);
  });
});
