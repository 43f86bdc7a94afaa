/**
 * The OpenAPI description: served, valid in shape, and complete — every
 * route the server registers (with every optional part) is described, with
 * who may call it and the request schemas the server validates with.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { undocumented } from '../../../api/openapi.ts';
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

describe('OpenAPI', () => {
  it('describes every registered route', () => {
    expect(app.routes.length).toBeGreaterThan(50);
    expect(undocumented(app.routes)).toEqual([]);
  });

  it('serves an OpenAPI 3.1 document with request schemas, security and the error shape', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json<{ openapi: string; paths: Record<string, Record<string, Record<string, unknown>>>; components: { schemas: Record<string, unknown> } }>();
    expect(doc.openapi).toBe('3.1.0');
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

  it('serves a readable page of the routes', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/docs' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toContain('一企一档');
    expect(r.body).toContain('GET /api/v1/alerts/stream');
  });
});
