/**
 * The OpenAPI description: generated from the routes, served, valid in
 * shape, and complete — every route the server registers (with every
 * optional part) is in the document, with who may call it and the request
 * schemas the server validates with; and the docs page (Swagger UI) is
 * served from the API itself, under a same-origin CSP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_PREFIX, undocumented } from '../../../api/openapi.ts';
import type { buildApi } from '../../../api/server.ts';
import { SENSOR_KINDS, SIGNAL_KINDS } from '../../../core/contract.ts';
import type { Db } from '../../../core/db/db.ts';
import { ALL_ROLES, SECTORS } from '../../../core/vocabulary.ts';
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

type Doc = { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>>; components: { schemas: Record<string, unknown> } };

describe('OpenAPI', () => {
  it('describes every registered route', async () => {
    expect(app.routes.length).toBeGreaterThan(50);
    // every route has who may call it (the server refuses one without)
    expect(undocumented(app.routes)).toEqual([]);
    // and is in the generated document — but the docs page's own assets (scripts, styles, the document again)
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<Doc>();
    const described = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{([A-Za-z]+)\}/g, ':$1')}`)),
    );
    const routes = app.routes.filter((k) => !k.startsWith(`GET ${DOCS_PREFIX}/`));
    expect(routes.filter((k) => !described.has(k))).toEqual([]);
    expect([...described].filter((k) => !routes.includes(k))).toEqual([]);
    for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) expect(op.description).toMatch(/\n\nWho: .+\.$/);
  });

  it('gives each route the schemas its handler parses with: every body, every path parameter', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<Doc>();
    const ops = Object.entries(doc.paths).flatMap(([path, byMethod]) => Object.entries(byMethod).map(([m, op]) => ({ key: `${m.toUpperCase()} ${path}`, op })));
    // the changes that take no body
    expect(ops.filter(({ key, op }) => /^(POST|PUT|PATCH) /.test(key) && !op.requestBody).map(({ key }) => key)).toEqual([
      'POST /api/v1/gateways/{id}/rotate-secret',
      'POST /api/v1/gateways/{id}/disable',
      'POST /api/v1/gateways/{id}/enable',
      'POST /api/v1/enterprises/{enterpriseId}/sensors/{sensorId}/resume',
      'POST /api/v1/officers/{id}/disable',
      'POST /api/v1/officers/{id}/unlock',
    ]);
    // a path parameter described only as a string (generated from the URL) has no schema on its route
    const bare = ops.flatMap(({ key, op }) =>
      ((op.parameters ?? []) as { in: string; name: string; schema: Record<string, unknown> }[])
        .filter((p) => p.in === 'path' && Object.keys(p.schema).length === 1)
        .map((p) => `${key} ${p.name}`),
    );
    expect(bare).toEqual([]);
  });

  it('serves an OpenAPI 3.1 document with request schemas, security and the error shape', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json<Doc & { security: unknown; components: { securitySchemes: unknown } }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.security).toEqual([{ bearer: [] }, { session: [] }]);
    expect(doc.components.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer' },
      session: { type: 'apiKey', in: 'cookie', name: 'nss_session' },
    });
    expect(Object.keys(doc.paths)).toContain('/api/v1/tasks/{id}/findings');
    const findings = doc.paths['/api/v1/tasks/{id}/findings']!.post!;
    expect(findings).toMatchObject({
      parameters: [{ name: 'id', in: 'path', required: true }],
      description: expect.stringContaining('tasks.work: inspector') as unknown,
    });
    const body = (findings.requestBody as { content: Record<string, { schema: { properties: Record<string, unknown> } }> }).content['application/json']!.schema;
    expect(Object.keys(body.properties)).toEqual(['findings']);
    expect(doc.paths['/api/v1/session']!.post).toMatchObject({ security: [] });
    expect(doc.components.schemas.Error).toBeDefined();
    // the console's routes and this document are described too
    expect(doc.paths['/api/v1/openapi.json']).toBeDefined();
  });

  it('the OpenAPI description shows kind, role and sector as enums, with the Chinese names', async () => {
    // moved here from tests/unit/core/vocabulary.test.ts: the description is generated from the routes as registered
    const r = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    const doc = r.json<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>> }>();
    const schemaOf = (path: string) =>
      doc.paths[path]!.post!.requestBody!.content['application/json']!.schema as { properties: Record<string, { enum?: string[]; description?: string }> };
    const sensor = schemaOf('/api/v1/sensors').properties;
    expect(sensor.kind!.enum).toEqual([...SENSOR_KINDS, ...SIGNAL_KINDS]);
    expect(sensor.kind!.description).toContain('methane（甲烷（瓦斯））');
    expect(sensor.role!.enum).toEqual([...ALL_ROLES]);
    const names = sensor.role as unknown as { 'x-enum-descriptions': string[] };
    expect(names['x-enum-descriptions'][ALL_ROLES.indexOf('upper_corner')]).toBe('采煤工作面回风隅角 (upper corner (return-side corner) of a longwall face)');
    expect(sensor.role!.description).toContain('upper_corner（采煤工作面回风隅角）');
    expect(schemaOf('/api/v1/enterprises').properties.sector!.enum).toEqual([...SECTORS]);
  });

  it('serves a readable page of the routes (Swagger UI, from the API itself, same origin only)', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/docs' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    // nothing from a CDN: bureaus run on intranets
    expect(r.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const assets = [...r.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toContain(`${DOCS_PREFIX}/static/swagger-ui-bundle.js`);
    for (const url of assets) expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    // the page shows the document it loads from beside it: every route, in Chinese and English
    const init = await app.inject({ method: 'GET', url: `${DOCS_PREFIX}/static/swagger-initializer.js` });
    expect(init.body).toContain("resolveUrl('./json')");
    const shown = await app.inject({ method: 'GET', url: `${DOCS_PREFIX}/json` });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('一企一档');
    expect(shown.json<Doc>().paths['/api/v1/alerts/stream']!.get).toBeDefined();
    expect(shown.json()).toEqual((await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json());
  });
});
