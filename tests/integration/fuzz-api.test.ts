/**
 * Property-based fuzzing (fast-check) of the API's request handling (issue
 * #6 §3), on a real (in-memory) PGlite ledger: every documented route, with
 * arbitrary path parameters, query strings and JSON bodies, as the admin —
 * the caller who gets furthest. No request may cause a server error (5xx)
 * or an answer outside the error shape, and the platform keeps answering.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../api/openapi.ts';
import type { buildApi } from '../../api/server.ts';
import type { Db } from '../../core/db/db.ts';
import { Provisioning } from '../../gateway/provisioning.ts';
import { buildTestApi } from '../helpers/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../helpers/tokens.ts';

const ADMIN = TEST_ADMIN_TOKEN;
let db: Db;
let app: ReturnType<typeof buildApi>;

beforeAll(async () => {
  ({ app, db } = await buildTestApi(ADMIN));
  const p = new Provisioning(db);
  await p.createAuthority({ id: 'C', name: '市局', level: 'city' });
  await p.createEnterprise({ id: 'E1', name: '甲', sector: 'hazardous_chemicals', authorityId: 'C' });
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

/** Long-lived or static routes: not request/response handlers to fuzz. */
const SKIP = new Set(['GET /api/v1/alerts/stream', 'GET /', 'GET /console/app.js', 'GET /console/app.css', 'GET /metrics']);
const routes = Object.keys(ROUTES).filter((k) => !SKIP.has(k));

const segment = fc.oneof(fc.constant('E1'), fc.constant('C'), fc.string({ maxLength: 40 }), fc.stringMatching(/^[A-Za-z0-9_.-]{1,70}$/));
const query = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String), fc.constant('true')), {
  maxKeys: 4,
});
const body = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }));

describe('the API under arbitrary requests', () => {
  it.each(routes)('%s answers every request without a server error', async (route) => {
    const [method, url] = route.split(' ') as ['GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', string];
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 3, maxLength: 3 }), query, body, async (segs, q, b) => {
        let n = 0;
        const path = url.replace(/:[A-Za-z]+/g, () => encodeURIComponent(segs[n++] ?? 'x'));
        const search = new URLSearchParams(q).toString();
        const r = await app.inject({
          method,
          url: `${path}${search ? `?${search}` : ''}`,
          headers: { authorization: `Bearer ${ADMIN}` },
          ...(method === 'GET' || method === 'DELETE'
            ? {}
            : { payload: JSON.stringify(b), headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } }),
        });
        expect(r.statusCode, `${method} ${path}?${search} ${JSON.stringify(b)} → ${r.body.slice(0, 300)}`).toBeLessThan(500);
        if (r.statusCode >= 400) {
          const e = r.json<{ error: { code: string; message: string } }>();
          expect(typeof e.error.code).toBe('string');
          expect(typeof e.error.message).toBe('string');
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 50) },
    );
  });

  it('still answers normally afterwards', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/enterprises/E1/ledger', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(r.statusCode).toBe(200);
  });
});
