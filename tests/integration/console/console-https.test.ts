/**
 * The API and console over HTTPS (issue #19 §5), a real platform with `http.tls` set to the development
 * certificates (`makeDevCerts`, as `npm run certs` makes them): Chromium — trusting that one certificate by
 * its public key's hash (`--ignore-certificate-errors-spki-list`), not every certificate — signs in to the
 * console at https://127.0.0.1:<port>; the session cookie is Secure and the answers carry HSTS. Plain HTTP to
 * the port gets no answer; node with the development CA reaches /health over TLS 1.2 and later, without it the
 * certificate is refused as untrusted.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HSTS_MAX_AGE_S } from '../../../api/server.ts';
import { makeDevCerts, type DevCerts } from '../../../platform/dev-certs.ts';
import type { Platform } from '../../../platform/platform.ts';
import { CHROMIUM, openPage, signIn } from '../../../testkit/browser.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

let svc: TestServices;
let platform: Platform;
let certs: DevCerts;
let browser: Browser;
let base: string;

/** base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo (DER): what Chromium's SPKI list names. */
const spkiHash = (certFile: string): string =>
  createHash('sha256')
    .update(createPublicKey(readFileSync(certFile)).export({ type: 'spki', format: 'der' }))
    .digest('base64');

/** GET /health over HTTPS with node: the status, or the error's code. */
const get = (opts: https.RequestOptions): Promise<{ status: number; body: string } | { error: string }> =>
  new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port: platform.httpPort, path: '/health', ...opts }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });

beforeAll(async () => {
  svc = await startTestServices('console-https');
  certs = makeDevCerts(join(svc.dir, 'certs'));
  ({ platform } = await startTestPlatform(svc, 'console_https', {
    http: { host: '127.0.0.1', port: 0, adminToken: TEST_ADMIN_TOKEN, tls: { certFile: certs.serverCert, keyFile: certs.serverKey } },
  }));
  base = `https://127.0.0.1:${platform.httpPort}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      `--ignore-certificate-errors-spki-list=${spkiHash(certs.serverCert)}`,
    ],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
  rmSync(join(svc.dir, 'certs'), { recursive: true, force: true });
});

describe('the console over HTTPS', () => {
  it('Chromium trusting the development certificate signs in: the session cookie is Secure, HSTS is sent', async () => {
    const { page, context, errors } = await openPage(browser);
    const answer = page.waitForResponse((r) => r.url() === `${base}/api/v1/session` && r.request().method() === 'POST');
    await signIn(page, base, 'admin', platform.adminToken);
    const res = await answer;
    expect(res.status()).toBe(200);
    expect((await res.allHeaders())['strict-transport-security']).toBe(`max-age=${HSTS_MAX_AGE_S}`);
    const cookies = await context.cookies(base);
    expect(cookies.find((c) => c.name === 'nss_session')).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict' });
    // the page itself came over TLS with HSTS too, and nothing on it failed
    const home = await page.goto(base);
    expect(home?.url()).toBe(`${base}/`);
    expect((await home!.allHeaders())['strict-transport-security']).toBe(`max-age=${HSTS_MAX_AGE_S}`);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('plain HTTP to the port gets no answer, in Chromium or in node', async () => {
    const { page, context } = await openPage(browser);
    await expect(page.goto(`http://127.0.0.1:${platform.httpPort}/`)).rejects.toThrow(/net::ERR_/);
    await context.close();
    const plain = await new Promise<string>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: platform.httpPort, path: '/health' }, (res) => resolve(`answered ${res.statusCode}`));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(plain).not.toMatch(/^answered/);
  });

  it('Chromium without the pin refuses the certificate', async () => {
    const plainBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await plainBrowser.newPage();
      await expect(page.goto(base)).rejects.toThrow(/net::ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await plainBrowser.close();
    }
  });

  it('node reaches /health with the development CA (TLS 1.2 or later), and without it refuses the certificate', async () => {
    const ca = readFileSync(certs.ca);
    const ok = await get({ ca });
    expect(ok).toMatchObject({ status: 200 });
    expect(await get({ ca, maxVersion: 'TLSv1.2' })).toMatchObject({ status: 200 });
    expect(await get({})).toEqual({ error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    // a client offering only TLS 1.1 (allowed to at security level 0, and it then gets through to a server that accepts
    // TLS 1.0) gets the server's "protocol version" alert: EPROTO
    expect(await get({ ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).toEqual({ error: 'EPROTO' });
  });
});
