/**
 * Secure requests and proxies (issue #19 §5), on `app.inject`: a request that came over HTTPS through a
 * trusted proxy (`http.trustProxy`, X-Forwarded-Proto https) gets a Secure session cookie and
 * Strict-Transport-Security; the same forged headers from a peer that is not trusted get neither, and a
 * forged X-Forwarded-For does not move the sign-in limits to another address. The configuration's keys
 * and their environment variables, and the bad ones refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCatalogue } from '../../../alerts/rules/index.ts';
import { buildApi, HSTS_MAX_AGE_S } from '../../../api/server.ts';
import { systemClock } from '../../../core/clock.ts';
import { configInputFromEnv, parseConfig } from '../../../core/config.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import type { InfluxClient } from '../../../core/influx/client.ts';
import { createLogger } from '../../../core/logger.ts';
import { createMetrics } from '../../../core/metrics.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { readTls } from '../../../platform/api-part.ts';
import { makeDevCerts } from '../../../platform/dev-certs.ts';

const ADMIN = 'https-proxy-admin-token-0123456';
const PROXY = '10.0.0.1';
/** Two failures of one user from one address lock the pair (a test's own limit; the platform's default is 5). */
const LIMITS = { windowS: 900, lockS: 900, perUserAddress: 2, perAddress: 100 };

let db: Db;
let dir: string;
/** What the tests use of an API (an async function's result is not the thenable fastify instance itself). */
type App = Pick<ReturnType<typeof buildApi>, 'inject' | 'close'>;
const apis: App[] = [];

async function api(trustProxy: boolean | string[]): Promise<App> {
  const app = buildApi(
    { adminToken: ADMIN, trustProxy, signInLimits: LIMITS },
    {
      db,
      influx: { query: () => Promise.resolve([]), ping: () => Promise.resolve(true) } as unknown as InfluxClient,
      provisioning: new Provisioning(db, systemClock),
      metrics: createMetrics({ defaultMetrics: false }),
      logger: createLogger({ level: 'silent' }),
      clock: Date,
      ruleOverrides: { catalogue: () => Promise.resolve(defaultCatalogue()), announce: () => Promise.resolve() },
    },
  );
  await app.ready();
  apis.push(app);
  return app;
}

const signIn = (app: App, from: string, password: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/api/v1/session', remoteAddress: from, headers, payload: { username: 'admin', password } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nss-https-proxy-'));
  db = await openDb({ pgliteDir: 'memory://', logger: createLogger({ level: 'silent' }) });
});
afterAll(async () => {
  for (const a of apis) await a.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a secure request', () => {
  it('through a trusted proxy saying https: the session cookie is Secure and HSTS is sent', async () => {
    const app = await api([PROXY]);
    const r = await signIn(app, PROXY, ADMIN, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['strict-transport-security']).toBe(`max-age=${HSTS_MAX_AGE_S}`);
    expect(HSTS_MAX_AGE_S).toBe(365 * 86_400);
    expect(String(r.headers['set-cookie'])).toMatch(/^nss_session=[^;]+;.*; Secure/);
    // any route, not only the sign-in
    const health = await app.inject({ method: 'GET', url: '/health', remoteAddress: PROXY, headers: { 'x-forwarded-proto': 'https' } });
    expect(health.headers['strict-transport-security']).toBe(`max-age=${HSTS_MAX_AGE_S}`);
    // refusals too (refused before the route runs, and no route at all)
    for (const url of ['/api/v1/officers', '/no-such-route']) {
      const refused = await app.inject({ method: 'GET', url, remoteAddress: PROXY, headers: { 'x-forwarded-proto': 'https' } });
      expect([401, 404]).toContain(refused.statusCode);
      expect(refused.headers['strict-transport-security']).toBe(`max-age=${HSTS_MAX_AGE_S}`);
    }
    // the proxy saying http (or nothing): plain, as in development
    const plain = await signIn(app, PROXY, ADMIN, { 'x-forwarded-proto': 'http' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    expect(String(plain.headers['set-cookie'])).not.toMatch(/Secure/i);
  });

  it('the same headers from a peer not trusted (trustProxy false, or not in the list) get neither', async () => {
    for (const app of [await api(false), await api([PROXY])]) {
      const r = await signIn(app, '10.0.0.9', ADMIN, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' });
      expect(r.statusCode).toBe(200);
      expect(r.headers['strict-transport-security']).toBeUndefined();
      expect(String(r.headers['set-cookie'])).toMatch(/^nss_session=[^;]+;/);
      expect(String(r.headers['set-cookie'])).not.toMatch(/Secure/i);
    }
  });
});

describe('the address the sign-in limits count', () => {
  it('without trustProxy: the TCP peer, whatever X-Forwarded-For it forges', async () => {
    const app = await api(false);
    for (const forged of ['198.51.100.1', '198.51.100.2'])
      expect((await signIn(app, '10.0.0.20', 'wrong', { 'x-forwarded-for': forged })).statusCode).toBe(401);
    // locked at 10.0.0.20, a fresh forged address changes nothing
    const locked = await signIn(app, '10.0.0.20', ADMIN, { 'x-forwarded-for': '198.51.100.3' });
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ error: { code: 'TOO_MANY_REQUESTS', lock: 'user_address' } });
    // and the forged addresses were not locked: the admin still signs in from another real address claiming one of them
    expect((await signIn(app, '10.0.0.21', ADMIN, { 'x-forwarded-for': '198.51.100.1' })).statusCode).toBe(200);
  });

  it('with a trusted proxy: the client it forwards for, so one client locked does not lock the others behind it', async () => {
    const app = await api([PROXY]);
    for (let i = 0; i < LIMITS.perUserAddress; i++) expect((await signIn(app, PROXY, 'wrong', { 'x-forwarded-for': '198.51.100.10' })).statusCode).toBe(401);
    expect((await signIn(app, PROXY, ADMIN, { 'x-forwarded-for': '198.51.100.10' })).statusCode).toBe(429);
    expect((await signIn(app, PROXY, ADMIN, { 'x-forwarded-for': '198.51.100.11' })).statusCode).toBe(200);
    // a peer not in the list forging the forwarded-for of a client in good standing is counted at its own address
    for (let i = 0; i < LIMITS.perUserAddress; i++)
      expect((await signIn(app, '10.0.0.30', 'wrong', { 'x-forwarded-for': '198.51.100.11' })).statusCode).toBe(401);
    expect((await signIn(app, '10.0.0.30', ADMIN, { 'x-forwarded-for': '198.51.100.12' })).statusCode).toBe(429);
    expect((await signIn(app, PROXY, ADMIN, { 'x-forwarded-for': '198.51.100.11' })).statusCode).toBe(200);
  });
});

describe('configuration', () => {
  const base = { redisUrl: 'redis://127.0.0.1:6379', influx: { url: 'http://127.0.0.1:8086' } };
  const issues = (http: unknown): string => {
    try {
      parseConfig({ ...base, http });
    } catch (err) {
      return (err as Error).message;
    }
    return '';
  };
  const fromEnv = (env: Record<string, string>) => parseConfig(configInputFromEnv({ REDIS_URL: base.redisUrl, INFLUX_URL: base.influx.url, ...env }));

  it('defaults to plain HTTP trusting no proxy; the environment sets the certificate, the key and the proxies', () => {
    const c = parseConfig(base);
    expect(c.http.tls).toBeUndefined();
    expect(c.http.trustProxy).toBe(false);
    const env = fromEnv({
      HTTPS_CERT_FILE: '/etc/nss/server.pem',
      HTTPS_KEY_FILE: '/etc/nss/server.key',
      HTTP_TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,loopback',
    });
    expect(env.http.tls).toEqual({ certFile: '/etc/nss/server.pem', keyFile: '/etc/nss/server.key' });
    expect(env.http.trustProxy).toEqual(['10.0.0.1', '192.168.0.0/16', 'loopback']);
    expect(fromEnv({ HTTP_TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
  });

  it('refuses a certificate without its key, an address that is none, and a hop count', () => {
    expect(issues({ tls: { certFile: '/etc/nss/server.pem' } })).toMatch(/http\.tls\.keyFile/);
    expect(issues({ trustProxy: ['10.0.0.1', 'proxy.example'] })).toMatch(/http\.trustProxy\.1: an IP address, a CIDR range/);
    expect(issues({ trustProxy: ['10.0.0.0/33'] })).toMatch(/http\.trustProxy\.0/);
    expect(issues({ trustProxy: [] })).toMatch(/http\.trustProxy/);
    expect(() => fromEnv({ HTTP_TRUST_PROXY: '2' })).toThrow(/http\.trustProxy\.0: an IP address/);
    expect(() => fromEnv({ HTTPS_KEY_FILE: '/etc/nss/server.key' })).toThrow(/http\.tls\.certFile/);
  });

  it('at start, a certificate or key that cannot be read, is not PEM, or does not match refuses, naming the key', () => {
    const a = makeDevCerts(join(dir, 'a'));
    const b = makeDevCerts(join(dir, 'b'));
    expect(readTls({ certFile: a.serverCert, keyFile: a.serverKey })?.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(() => readTls({ certFile: join(dir, 'none.pem'), keyFile: a.serverKey })).toThrow(/http\.tls\.certFile: cannot read .*none\.pem \(ENOENT\)/);
    writeFileSync(join(dir, 'junk.pem'), 'not a certificate');
    expect(() => readTls({ certFile: join(dir, 'junk.pem'), keyFile: a.serverKey })).toThrow(/http\.tls\.certFile: .*junk\.pem holds no PEM certificate/);
    expect(() => readTls({ certFile: a.serverCert, keyFile: b.serverKey })).toThrow(/http\.tls\.keyFile: .* is not the private key of/);
  });
});
