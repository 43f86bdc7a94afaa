/**
 * Property-based fuzzing (fast-check) of the API's request handling (issue
 * #6 §3), on a real (in-memory) PGlite ledger: every documented route, with
 * arbitrary path parameters, query strings and JSON bodies, as the admin —
 * the caller who gets furthest. No request may cause a server error (5xx)
 * or an answer outside the error shape, and the platform keeps answering;
 * a NUL character anywhere is a 400 (issue #15 item 9), as are the inputs
 * that once gave 500s (regressions below).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../../api/openapi.ts';
import { can } from '../../../api/roles.ts';
import type { buildApi } from '../../../api/server.ts';
import type { Db } from '../../../core/db/db.ts';
import { AppError } from '../../../core/errors.ts';
import type { InfluxClient } from '../../../core/influx/client.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { systemClock } from '../../../core/clock.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const ADMIN = TEST_ADMIN_TOKEN;
let db: Db;
let app: ReturnType<typeof buildApi>;

beforeAll(async () => {
  ({ app, db } = await buildTestApi(ADMIN));
  const p = new Provisioning(db, systemClock);
  await p.createAuthority({ id: 'C', name: '市局', level: 'city' });
  await p.createEnterprise({ id: 'E1', name: '甲', sector: 'hazardous_chemicals', authorityId: 'C' });
  await p.createGateway({ id: 'G1', enterpriseId: 'E1' });
  await p.createSensor({ id: 'GT-H', enterpriseId: 'E1', gatewayId: 'G1', kind: 'combustible_gas', unit: '%LEL', periodS: 5 });
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

/** Long-lived or static routes: not request/response handlers to fuzz. */
const SKIP = new Set([
  'GET /api/v1/alerts/stream',
  'GET /',
  'GET /console/app.js',
  'GET /console/app.css',
  'GET /console/charts.js',
  'GET /console/map.js',
  'GET /metrics',
]);
const routes = Object.keys(ROUTES).filter((k) => !SKIP.has(k));
const adminMayCall = (route: string): boolean => {
  const access = ROUTES[route]!.access;
  return access === 'public' || access === 'session' || access === 'admin' || can('admin', access);
};

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

  // #15 item 9: a NUL character anywhere the caller writes is a 400 with the error shape on every route, never a 500
  // (the routes the admin may call: on the others the 403 comes first, before anything is read)
  it.each(routes.filter(adminMayCall))('%s answers a NUL character in the query, path or body with a 400', async (route) => {
    const [method, url] = route.split(' ') as ['GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', string];
    const hasBody = method !== 'GET' && method !== 'DELETE';
    const where = fc.constantFrom(...(['query', ...(url.includes(':') ? ['path'] : []), ...(hasBody ? ['body'] : [])] as const));
    const withNul = fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([a, b]) => `${a}\u0000${b}`);
    await fc.assert(
      // (a `__proto__` key is refused earlier, as prototype poisoning)
      fc.asyncProperty(
        where,
        withNul,
        fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__'),
        async (at, text, key) => {
          const path = url.replace(/:[A-Za-z]+/g, () => encodeURIComponent(at === 'path' ? text : 'E1'));
          const search = at === 'query' ? `?${new URLSearchParams({ [key]: text }).toString()}` : '';
          const payload = hasBody ? JSON.stringify(at === 'body' ? { [key]: text } : {}) : undefined;
          const r = await app.inject({
            method,
            url: `${path}${search}`,
            headers: { authorization: `Bearer ${ADMIN}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
            ...(payload === undefined ? {} : { payload }),
          });
          expect(r.statusCode, `${method} ${path}${search} ${payload ?? ''} → ${r.body.slice(0, 300)}`).toBe(400);
          expect(r.json<{ error: { code: string; message: string } }>().error).toMatchObject({
            code: 'BAD_REQUEST',
            message: expect.stringContaining('NUL') as unknown,
          });
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 20) },
    );
  });

  it('still answers normally afterwards', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/enterprises/E1/ledger', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(r.statusCode).toBe(200);
  });
});

/** The inputs of issue #15 item 9 that gave 500s (one leaking the InfluxQL error): each is a 400 with the error shape. */
describe('regressions: bad input is a 400, never a 500', () => {
  const admin = { authorization: `Bearer ${ADMIN}` };
  const expect400 = (r: { statusCode: number; body: string }, mentions: string) => {
    expect(r.statusCode, r.body).toBe(400);
    const e = JSON.parse(r.body) as { error: { code: string; message: string; reason?: { zh: string } } };
    expect(e.error).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining(mentions) as unknown,
      reason: { zh: expect.any(String) as unknown },
    });
  };

  it('a NUL in the sign-in username', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'adm\u0000in', password: 'whatever it is' } });
    expect400(r, 'body.username');
  });

  it('a NUL in a filter (alerts by rule, the enterprise board search)', async () => {
    expect400(await app.inject({ method: 'GET', url: '/api/v1/alerts?ruleId=a%00b', headers: admin }), 'query.ruleId');
    expect400(await app.inject({ method: 'GET', url: '/api/v1/enterprises?q=%E7%94%B2%00', headers: admin }), 'query.q');
  });

  it('a NUL in a CSV cell of the enterprise import, with its line', async () => {
    const csv = 'id,name,sector,authorityId\nE7,乙\u0000,mine,C\n';
    const r = await app.inject({ method: 'POST', url: '/api/v1/enterprises/import', headers: { ...admin, 'content-type': 'text/csv' }, payload: csv });
    expect400(r, 'body (line 2)');
    expect((await db.query("SELECT 1 FROM enterprises WHERE id = 'E7'")).rows).toHaveLength(0);
  });

  it('sensor history from=0&to=9007199254740991, and the other ranges InfluxDB cannot take', async () => {
    const base = '/api/v1/enterprises/E1/sensors/GT-H/readings';
    const now = Date.now();
    for (const q of [
      'from=0&to=9007199254740991',
      `from=0&to=${now}`,
      `from=${now - 3600_000}&to=9007199254740991`,
      `from=${now - 500 * 24 * 3600_000}&to=${now}`,
      `from=${now}&to=${now - 1}`,
      'to=1',
    ])
      expect400(await app.inject({ method: 'GET', url: `${base}?${q}`, headers: admin }), '');
    expect((await app.inject({ method: 'GET', url: `${base}?from=${now - 3600_000}&to=${now}`, headers: admin })).statusCode).toBe(200);
  });

  it('never shows the client what InfluxDB said when a history query fails (it stays in the log)', async () => {
    const failing = await buildTestApi(ADMIN, Date, {
      influx: {
        query: () => Promise.reject(new AppError('INFLUX_REJECTED', 'error parsing query: found 9007199254740991ms, expected duration at line 1, char 99')),
        ping: () => Promise.resolve(true),
      } as unknown as InfluxClient,
    });
    try {
      const p = new Provisioning(failing.db, systemClock);
      await p.createAuthority({ id: 'C', name: '市局', level: 'city' });
      await p.createEnterprise({ id: 'E1', name: '甲', sector: 'hazardous_chemicals', authorityId: 'C' });
      await p.createGateway({ id: 'G1', enterpriseId: 'E1' });
      await p.createSensor({ id: 'GT-H', enterpriseId: 'E1', gatewayId: 'G1', kind: 'combustible_gas', unit: '%LEL', periodS: 5 });
      const r = await failing.app.inject({ method: 'GET', url: '/api/v1/enterprises/E1/sensors/GT-H/readings', headers: admin });
      expect(r.statusCode).toBe(500);
      expect(r.json()).toEqual({ error: { code: 'INFLUX_REJECTED', message: 'InfluxDB rejected the request' } });
      expect(r.body).not.toContain('parsing');
    } finally {
      await failing.app.close();
      await failing.db.close();
    }
  });
});
