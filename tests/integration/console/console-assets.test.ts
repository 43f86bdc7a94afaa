/**
 * How the API serves the console: the page with a strict Content-Security-
 * Policy, the script and styles gzipped when the browser takes it, and
 * revalidated by ETag (304, no body) so a reload on a slow connection costs
 * headers only.
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApi } from '../../../api/server.ts';
import type { Db } from '../../../core/db/db.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

let db: Db;
let app: ReturnType<typeof buildApi>;

beforeAll(async () => {
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN));
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('console assets', () => {
  it('serves the page with a same-origin-only CSP and no framing', async () => {
    const r = await app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.body).toContain('<script type="module" src="/console/app.js">');
  });

  it.each(['/console/app.js', '/console/app.css', '/console/charts.js', '/console/map.js'])(
    'serves %s gzipped on request, and 304 once cached',
    async (url) => {
      const plain = await app.inject({ method: 'GET', url });
      expect(plain.statusCode).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      const gz = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip, br' } });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
      expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);
      const etag = String(plain.headers.etag);
      expect(plain.headers['cache-control']).toBe('no-cache');
      const again = await app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
      expect(again.statusCode).toBe(304);
      expect(again.rawPayload.length).toBe(0);
    },
  );
});
