/** The TLS listener's files are checked when the broker is built: one that cannot be read, or a key that is not the certificate's, is a configuration error naming the key. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config.ts';
import { AppError } from '../../../core/errors.ts';
import { createLogger } from '../../../core/logger.ts';
import { BrokerClients } from '../../../gateway/clients.ts';
import { buildListener } from '../../../gateway/listener.ts';
import { createRefusals } from '../../../gateway/refusals.ts';
import { makeDevCerts, type DevCerts } from '../../../platform/dev-certs.ts';

const log = createLogger({ level: 'silent' });
const metrics = { mqttPendingConnections: { set: () => undefined }, mqttRefusals: { inc: () => undefined } };
const broker = { on: () => undefined } as unknown as Aedes;
let dir: string;
let certs: DevCerts;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nss-tls-'));
  certs = makeDevCerts(join(dir, 'certs'), { gateways: ['GW-1'] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(tls: Record<string, unknown>): unknown {
  const config = parseConfig({ redisUrl: 'redis://127.0.0.1:6379', influx: { url: 'http://127.0.0.1:8086' }, mqtt: { port: 0, tls: { port: 0, ...tls } } });
  try {
    return buildListener(broker, config.mqtt, {
      clients: new BrokerClients(),
      metrics: metrics as never,
      log,
      refusals: createRefusals(log, metrics as never),
    });
  } catch (err) {
    return err;
  }
}

describe('TLS listener files', () => {
  it('builds with the development server certificate and key', () => {
    const l = build({ certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca, clientCert: 'required' });
    expect(l).not.toBeInstanceOf(Error);
    expect((l as { tlsPort: number }).tlsPort).toBe(0);
  });

  it('refuses a certificate file that cannot be read, naming mqtt.tls.certFile', () => {
    const err = build({ certFile: join(dir, 'missing.pem'), keyFile: certs.serverKey });
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('CONFIG_INVALID');
    expect((err as AppError).message).toContain('mqtt.tls.certFile');
    expect((err as AppError).message).toContain('missing.pem');
  });

  it('refuses a CA file that cannot be read, naming mqtt.tls.caFile', () => {
    const err = build({ certFile: certs.serverCert, keyFile: certs.serverKey, caFile: join(dir, 'nope.pem'), clientCert: 'optional' });
    expect((err as AppError).message).toContain('mqtt.tls.caFile');
  });

  it("refuses a key that is not the certificate's", () => {
    const err = build({ certFile: certs.serverCert, keyFile: certs.gateways['GW-1']!.key });
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toContain('mqtt.tls.keyFile');
  });

  it('refuses a file that is not PEM', () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    const err = build({ certFile: junk, keyFile: certs.serverKey });
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('CONFIG_INVALID');
  });
});
