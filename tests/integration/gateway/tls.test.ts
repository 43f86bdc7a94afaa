/**
 * MQTT over TLS (issue #19 §5), with Debian's mosquitto_pub — not our code — as the gateway: a reading published
 * over TLS with the development CA (`--cafile`) is stored before the PUBACK; a client that does not trust the
 * server's certificate gets nowhere; with mutual TLS required, only a client certificate signed by the CA is let
 * through the handshake and its subject CN is the gateway the CONNECT must name; with `plain: false` nothing
 * listens on the plain port.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDevCerts, type DevCerts } from '../../../platform/dev-certs.ts';
import { ensureBinary, portOpen } from '../../../platform/local-services.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm, storedReadings, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { startTestPlatform, type LogCapture } from '../../../testkit/platform.ts';
import { candidatePort } from '../../../testkit/ports.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const run = promisify(execFile);

let svc: TestServices;
let certs: DevCerts;

beforeAll(async () => {
  ensureBinary('mosquitto_pub');
  svc = await startTestServices('mqtls');
  certs = makeDevCerts(join(svc.dir, 'certs'), { gateways: ['GW-TLS-1', 'GW-TLS-2', 'GW-DEMO-1'] });
});

afterAll(async () => {
  await svc?.stop();
});

const reading = (value: number) => JSON.stringify({ v: 1, readings: [{ sensor: 'GT-101', value, unit: '%LEL', quality: 'good', ts: Date.now() }] });

/** mosquitto_pub as gateway `gatewayId` of E-TLS, QoS 1 (it exits 0 only after the PUBACK); resolves 'published' or the exit code and stderr. */
async function publish(port: number, gatewayId: string, secret: string, value: number, tls: string[]): Promise<string> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-q', '1', '-i', gatewayId, '-u', gatewayId, '-P', secret, ...tls];
  return run('mosquitto_pub', [...args, '-t', `v1/E-TLS/${gatewayId}/readings`, '-m', reading(value)], { timeout: 20_000 }).then(
    () => 'published',
    (e: { code?: number; stderr?: string }) => `${e.code}: ${e.stderr ?? ''}`,
  );
}

/** Runs the README's example marked `<!-- {marker} -->` as written, but for the test platform's port and certificate directory. */
async function runReadmeExample(marker: string, port: number, secret: string): Promise<void> {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const block = new RegExp(`<!-- ${marker}[^>]*-->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
  expect(block).toContain('mosquitto_pub');
  expect(block).toContain('-p 8883');
  const script = block!.replace('-p 8883', `-p ${port}`).replaceAll('var/certs/', `${certs.dir}/`);
  await run('sh', ['-c', script], { env: { ...process.env, SECRET: secret }, timeout: 20_000 });
}

const values = async (platform: Platform) => (await storedReadings(platform.influx, 'E-TLS', 'GT-101')).map((r) => r[1]);

describe('MQTT over TLS with a server certificate', () => {
  let platform: Platform;
  let gw: ProvisionedGateway;
  let demoSecret: string;

  beforeAll(async () => {
    ({ platform } = await startTestPlatform(svc, 'mqtls', {
      mqtt: { host: '127.0.0.1', port: 0, tls: { port: 0, certFile: certs.serverCert, keyFile: certs.serverKey } },
    }));
    const api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
    gw = await provisionTankFarm(api, 'E-TLS', 'GW-TLS-1');
    demoSecret = (await provisionTankFarm(api, 'E-DEMO', 'GW-DEMO-1', false)).secret;
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('stores a reading mosquitto_pub sends over TLS with --cafile (QoS 1: stored by the time it exits)', async () => {
    const port = platform.mqttTlsPort!;
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(platform.mqttPort);
    expect(await publish(port, 'GW-TLS-1', gw.secret, 41.5, ['--cafile', certs.ca])).toBe('published');
    expect(await values(platform)).toEqual([41.5]);
  });

  it("stores the reading of the README's TLS example, run as written", async () => {
    await runReadmeExample('mosquitto-tls-example', platform.mqttTlsPort!, demoSecret);
    expect((await storedReadings(platform.influx, 'E-DEMO', 'GT-101')).map((r) => r[1])).toEqual([12.5]);
  });

  it('gets nowhere without the CA: the server certificate is not trusted (system CAs only)', async () => {
    const r = await publish(platform.mqttTlsPort!, 'GW-TLS-1', gw.secret, 42.5, ['--capath', '/etc/ssl/certs']);
    expect(r).toMatch(/^[1-9]\d*: /);
    expect(r).toMatch(/certificate verify failed|unable to get local issuer|Protocol error|TLS|SSL/i);
    expect(await values(platform)).toEqual([41.5]);
  });

  it('still checks the secret over TLS', async () => {
    const r = await publish(platform.mqttTlsPort!, 'GW-TLS-1', 'wrong', 43.5, ['--cafile', certs.ca]);
    expect(r).toMatch(/^[1-9]\d*: .*(not authori[sz]ed|Bad user name or password|Connection Refused)/i);
  });

  it('keeps the plain listener by default', async () => {
    expect(await portOpen(platform.mqttPort)).toBe(true);
  });
});

describe('mutual TLS required, plain MQTT off', () => {
  let platform: Platform;
  let logs: LogCapture;
  let gw1: ProvisionedGateway;
  let gw2Secret: string;
  let demoSecret: string;
  let plainPort: number;

  beforeAll(async () => {
    plainPort = await candidatePort();
    ({ platform, logs } = await startTestPlatform(svc, 'mtls', {
      mqtt: {
        host: '127.0.0.1',
        port: plainPort,
        plain: false,
        tls: { port: 0, certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca, clientCert: 'required' },
      },
    }));
    const api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
    gw1 = await provisionTankFarm(api, 'E-TLS', 'GW-TLS-1');
    gw2Secret = (await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'GW-TLS-2', enterpriseId: 'E-TLS' })).secret;
    demoSecret = (await provisionTankFarm(api, 'E-DEMO', 'GW-DEMO-1', false)).secret;
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('refuses a client without a certificate in the handshake, counted as client_certificate_missing', async () => {
    const r = await publish(platform.mqttTlsPort!, 'GW-TLS-1', gw1.secret, 51.5, ['--cafile', certs.ca]);
    expect(r).toMatch(/^[1-9]\d*: /);
    await expect.poll(() => logs.find((l) => l.reason === 'client_certificate_missing'), { timeout: 5000, interval: 50 }).toBeDefined();
    expect(await values(platform)).toEqual([]);
  });

  it("accepts the gateway's own certificate with its secret", async () => {
    const own = certs.gateways['GW-TLS-1']!;
    expect(await publish(platform.mqttTlsPort!, 'GW-TLS-1', gw1.secret, 52.5, ['--cafile', certs.ca, '--cert', own.cert, '--key', own.key])).toBe('published');
    expect(await values(platform)).toEqual([52.5]);
  });

  it("refuses another gateway's certificate with this gateway's username and secret: not authorised, logged with both", async () => {
    const other = certs.gateways['GW-TLS-2']!;
    const r = await publish(platform.mqttTlsPort!, 'GW-TLS-1', gw1.secret, 53.5, ['--cafile', certs.ca, '--cert', other.cert, '--key', other.key]);
    expect(r).toMatch(/^[1-9]\d*: .*(not authori[sz]ed|Connection Refused)/i);
    const line = logs.find((l) => l.reason === 'certificate_names_another_gateway');
    expect(line).toMatchObject({ action: 'connect', clientId: 'GW-TLS-1', certificateCn: 'GW-TLS-2' });
    expect(await values(platform)).toEqual([52.5]);
  });

  it('still checks the secret when the certificate is right', async () => {
    const own = certs.gateways['GW-TLS-2']!;
    const r = await publish(platform.mqttTlsPort!, 'GW-TLS-2', 'wrong', 54.5, ['--cafile', certs.ca, '--cert', own.cert, '--key', own.key]);
    expect(r).toMatch(/^[1-9]\d*: .*(not authori[sz]ed|Bad user name or password|Connection Refused)/i);
    expect(await publish(platform.mqttTlsPort!, 'GW-TLS-2', gw2Secret, 55.5, ['--cafile', certs.ca, '--cert', own.cert, '--key', own.key])).toBe('published');
  });

  it("stores the reading of the README's mutual TLS example, run as written", async () => {
    await runReadmeExample('mosquitto-mtls-example', platform.mqttTlsPort!, demoSecret);
    expect((await storedReadings(platform.influx, 'E-DEMO', 'GT-101')).map((r) => r[1])).toEqual([12.5]);
  });

  it('listens on no plain port', async () => {
    expect(await portOpen(plainPort)).toBe(false);
    expect(logs.find((l) => l.msg === 'MQTT broker listening')).toBeUndefined();
  });
});

describe('mutual TLS optional, and TLS handshakes within the pending limit', () => {
  let platform: Platform;
  let logs: LogCapture;
  let gw1: ProvisionedGateway;

  beforeAll(async () => {
    ({ platform, logs } = await startTestPlatform(svc, 'otls', {
      mqtt: {
        host: '127.0.0.1',
        port: 0,
        maxPendingConnections: 2,
        tls: { port: 0, certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca, clientCert: 'optional' },
      },
    }));
    gw1 = await provisionTankFarm(new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken), 'E-TLS', 'GW-TLS-1');
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('lets a gateway in with its secret alone', async () => {
    expect(await publish(platform.mqttTlsPort!, 'GW-TLS-1', gw1.secret, 61.5, ['--cafile', certs.ca])).toBe('published');
  });

  it('refuses a certificate signed by another CA, even for the right gateway, counted as client_certificate_invalid', async () => {
    const foreign = makeDevCerts(join(svc.dir, 'foreign-certs'), { gateways: ['GW-TLS-1'] }).gateways['GW-TLS-1']!;
    const r = await publish(platform.mqttTlsPort!, 'GW-TLS-1', gw1.secret, 62.5, ['--cafile', certs.ca, '--cert', foreign.cert, '--key', foreign.key]);
    expect(r).toMatch(/^[1-9]\d*: /);
    expect(logs.find((l) => l.reason === 'client_certificate_invalid')).toMatchObject({ action: 'connect' });
    expect(await values(platform)).toEqual([61.5]);
  });

  it('counts TLS handshakes in progress against maxPendingConnections, and frees them when they end', async () => {
    const open = async (): Promise<Socket> => {
      const s = tcpConnect({ port: platform.mqttTlsPort!, host: '127.0.0.1' });
      await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
      return s;
    };
    const silent = [await open(), await open()]; // TCP connected, no ClientHello: two handshakes in progress
    const third = await open();
    await new Promise<void>((resolve) => third.once('close', () => resolve()));
    await expect.poll(() => logs.find((l) => l.reason === 'too_many_pending_connections'), { timeout: 5000, interval: 50 }).toBeDefined();
    const refusals = async (reason: string) =>
      (await platform.metrics.mqttRefusals.get()).values.find((v) => v.labels.action === 'connect' && v.labels.reason === reason)?.value ?? 0;
    expect(await refusals('too_many_pending_connections')).toBe(1);
    for (const s of silent) s.destroy();
    // once they are gone, a gateway gets in again
    await expect
      .poll(() => publish(platform.mqttTlsPort!, 'GW-TLS-1', gw1.secret, 63.5, ['--cafile', certs.ca]), { timeout: 10_000, interval: 100 })
      .toBe('published');
    // the two abandoned handshakes are failed handshakes; the refused one was counted once, not again as one of them
    expect(await refusals('tls_handshake_failed')).toBe(2);
  });
});

describe('one connection limit for both listeners', () => {
  let platform: Platform;
  let gw1: ProvisionedGateway;

  beforeAll(async () => {
    ({ platform } = await startTestPlatform(svc, 'ctls', {
      mqtt: { host: '127.0.0.1', port: 0, maxConnections: 1, tls: { port: 0, certFile: certs.serverCert, keyFile: certs.serverKey } },
    }));
    gw1 = await provisionTankFarm(new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken), 'E-TLS', 'GW-TLS-1');
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('refuses a TLS connection while the plain listener holds maxConnections (1 here)', async () => {
    const status = async () => (await platform.db.query<{ status: string }>('SELECT status FROM gateways WHERE id = $1', ['GW-TLS-1'])).rows[0]?.status;
    const sub = execFile('mosquitto_sub', [
      ...['-h', '127.0.0.1', '-p', String(platform.mqttPort), '-V', 'mqttv311', '-i', 'GW-TLS-1', '-u', 'GW-TLS-1', '-P', gw1.secret],
      ...['-t', 'v1/E-TLS/GW-TLS-1/cmd/#'],
    ]);
    try {
      await expect.poll(status, { timeout: 10_000, interval: 50 }).toBe('online');
      const r = await publish(platform.mqttTlsPort!, 'GW-TLS-1', gw1.secret, 71.5, ['--cafile', certs.ca]);
      expect(r).toMatch(/^[1-9]\d*: /);
      const refused = (await platform.metrics.mqttRefusals.get()).values.find((v) => v.labels.reason === 'too_many_connections')?.value ?? 0;
      expect(refused).toBe(1);
    } finally {
      sub.kill('SIGKILL');
    }
  });
});
