/**
 * Request bodies (issue #15 item 8): the caller is checked before the body
 * is read — over a real socket, a refused request is answered while its
 * body has not even been sent; only the enterprise import takes `text/csv`;
 * JSON bodies are bounded in size per route and in nesting depth, with the
 * error shape; who may call a route is its entry in the OpenAPI description.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server.ts';
import type { Db } from '../../../core/db/db.ts';
import type { InfluxClient } from '../../../core/influx/client.ts';
import { createLogger } from '../../../core/logger.ts';
import { createMetrics } from '../../../core/metrics.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { systemClock } from '../../../core/clock.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';

const ADMIN = 'bodies-admin-token-0123456789';
let db: Db;
let app: ReturnType<typeof buildApi>;
let port: number;
let dutyToken: string;
const metrics = createMetrics({ defaultMetrics: false });
const refusals = async (code: string) => (await metrics.apiRefusals.get()).values.find((v) => v.labels.code === code)?.value ?? 0;

beforeAll(async () => {
  ({ app, db } = await buildTestApi(ADMIN, Date, { metrics }));
  const p = new Provisioning(db, systemClock);
  await p.createAuthority({ id: 'C', name: '市局', level: 'city' });
  const duty = await app.inject({
    method: 'POST',
    url: '/api/v1/officers',
    headers: { authorization: `Bearer ${ADMIN}` },
    payload: { id: 'duty-1', name: '值班员', authorityId: 'C' },
  });
  dutyToken = duty.json<{ token: string }>().token;
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

/**
 * Sends only the request line and headers (announcing `contentLength` bytes
 * of body, none of which is sent) and resolves with the response's status
 * line and body: it can only arrive if the server answered without the body.
 */
function headersOnly(path: string, headers: Record<string, string>, contentLength: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      const end = got.indexOf('\r\n\r\n');
      const head = got.subarray(0, Math.max(end, 0)).toString('latin1');
      const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
      if (end >= 0 && length !== undefined && got.length >= end + 4 + Number(length)) {
        socket.destroy();
        resolve({ status: Number(head.slice(9, 12)), body: got.subarray(end + 4, end + 4 + Number(length)).toString('utf8') });
      }
    });
    const lines = [
      `POST ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      `Content-Length: ${contentLength}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

describe('the caller is checked before the body is read', () => {
  it('answers 401 to a 2 MB CSV body for a task route before any of the body is sent', async () => {
    const r = await headersOnly('/api/v1/tasks', { 'Content-Type': 'text/csv' }, 2_000_000);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });

  it('answers 401 (no caller) and 403 (a duty officer) to the enterprise import before its body is sent', async () => {
    expect((await headersOnly('/api/v1/enterprises/import', { 'Content-Type': 'text/csv' }, 5_000_000)).status).toBe(401);
    const r = await headersOnly('/api/v1/enterprises/import', { 'Content-Type': 'text/csv', Authorization: `Bearer ${dutyToken}` }, 5_000_000);
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'FORBIDDEN', permission: 'ledger.write' } });
  });

  it('answers 401 to an admin-only JSON route and 413 to a sign-in over 4 KiB, before the body is sent', async () => {
    expect((await headersOnly('/api/v1/gateways', { 'Content-Type': 'application/json' }, 100_000)).status).toBe(401);
    const big = await headersOnly('/api/v1/session', { 'Content-Type': 'application/json' }, 1_000_000);
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });
});

describe('access comes from the OpenAPI description', () => {
  it('refuses a route left out of the description (closed, not open), even to the admin', async () => {
    const extra = buildApi(
      { adminToken: ADMIN },
      {
        db,
        influx: {} as InfluxClient,
        provisioning: new Provisioning(db, systemClock),
        metrics: createMetrics({ defaultMetrics: false }),
        logger: createLogger({ level: 'silent' }),
        clock: Date,
      },
    );
    extra.get('/api/v1/not-described', async () => ({ ok: true }));
    try {
      const r = await extra.inject({ method: 'GET', url: '/api/v1/not-described', headers: { authorization: `Bearer ${ADMIN}` } });
      expect(r.statusCode).toBe(403);
      expect(r.json()).toMatchObject({ error: { code: 'FORBIDDEN', message: 'route GET /api/v1/not-described has no documented access' } });
    } finally {
      await extra.close();
    }
  });
});

describe('content types', () => {
  const admin = { authorization: `Bearer ${ADMIN}` };

  it('answers 415 to text/csv on any route but the enterprise import, which takes it; refusals are counted', async () => {
    const before = await refusals('UNSUPPORTED_MEDIA_TYPE');
    for (const url of ['/api/v1/tasks', '/api/v1/gateways', '/api/v1/inspections', '/api/v1/session']) {
      const r = await app.inject({ method: 'POST', url, headers: { ...admin, 'content-type': 'text/csv' }, payload: 'id,name\nE1,甲\n' });
      expect(r.statusCode, url).toBe(415);
      expect(r.json(), url).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.any(String) as unknown } });
    }
    expect(await refusals('UNSUPPORTED_MEDIA_TYPE')).toBe(before + 4);
    const ok = await app.inject({
      method: 'POST',
      url: '/api/v1/enterprises/import',
      headers: { ...admin, 'content-type': 'text/csv; charset=utf-8' },
      payload: 'id,name,sector,authorityId\nE9,丙,mine,C\n',
    });
    expect(ok.statusCode, ok.body).toBe(200);
  });
});

describe('JSON bodies are bounded', () => {
  const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
  const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it('refuses nesting deeper than 32 with a 400 before parsing it; 32 levels reach validation', async () => {
    const deep = await app.inject({ method: 'POST', url: '/api/v1/session', headers: admin, payload: `{"username":${nested(32)},"password":"x"}` });
    expect(deep.statusCode).toBe(400);
    expect(deep.json()).toMatchObject({
      error: { code: 'BAD_REQUEST', message: 'body: JSON nested deeper than 32 levels', reason: { zh: expect.any(String) as unknown } },
    });
    const fits = await app.inject({ method: 'POST', url: '/api/v1/session', headers: admin, payload: `{"username":${nested(31)},"password":"x"}` });
    expect(fits.statusCode).toBe(400);
    expect(fits.json<{ error: { message: string } }>().error.message).toMatch(/^body: username/);
  });

  it('counts no bracket inside a string', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: admin,
      payload: JSON.stringify({ username: 'duty-1', password: '[{'.repeat(100) }),
    });
    expect(r.statusCode).toBe(401);
  });

  it('limits sign-in to 4 KiB, other JSON routes to 256 KiB, with 413 and the error shape', async () => {
    const signIn = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: admin,
      payload: JSON.stringify({ username: 'x', password: 'p'.repeat(5000) }),
    });
    expect(signIn.statusCode).toBe(413);
    expect(signIn.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    const body = (bytes: number) => JSON.stringify({ alertId: 'a'.repeat(bytes) });
    const over = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: admin, payload: body(300 * 1024) });
    expect(over.statusCode).toBe(413);
    const under = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: admin, payload: body(200 * 1024) });
    expect(under.statusCode).toBe(400); // read, then refused by validation
  });
});
