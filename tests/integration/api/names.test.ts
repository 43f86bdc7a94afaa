/**
 * `GET /api/v1/names` (issue #20 §2: names, not ids): the names of enterprises, authorities and officers by id, for
 * any signed-in user; an enterprise outside the caller's jurisdiction is not named; bad lists are a 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApi } from '../../../api/server.ts';
import type { Db } from '../../../core/db/db.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

let db: Db;
let app: ReturnType<typeof buildApi>;

async function call(token: string | undefined, method: 'GET' | 'POST', url: string, payload?: object) {
  const r = await app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) });
  return { status: r.statusCode, body: r.json<Record<string, unknown>>() };
}
const admin = (method: 'GET' | 'POST', url: string, payload?: object) => call(TEST_ADMIN_TOKEN, method, url, payload);
let dutyK1: string;
let managerEB: string;

beforeAll(async () => {
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN));
  for (const a of [
    { id: 'C', name: '示例市应急管理局', level: 'city' },
    { id: 'K1', name: '甲县应急管理局', level: 'county', parentId: 'C' },
    { id: 'K2', name: '乙县应急管理局', level: 'county', parentId: 'C' },
  ])
    expect((await admin('POST', '/api/v1/authorities', a)).status).toBe(201);
  for (const [id, authorityId, name] of [
    ['EA', 'K1', '甲化工有限公司'],
    ['EB', 'K2', '乙化工有限公司'],
  ])
    expect((await admin('POST', '/api/v1/enterprises', { id, name, sector: 'hazardous_chemicals', authorityId })).status).toBe(201);
  dutyK1 = (await admin('POST', '/api/v1/officers', { id: 'duty-k1', name: '甲县值班员', authorityId: 'K1' })).body.token as string;
  managerEB = (await admin('POST', '/api/v1/officers', { id: 'mgr-eb', name: '乙安全', role: 'safety_manager', enterpriseId: 'EB' })).body.token as string;
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('GET /api/v1/names', () => {
  it('names what the caller may see: a county officer its own county’s enterprises, every authority and officer', async () => {
    const r = await call(dutyK1, 'GET', '/api/v1/names?enterprises=EA,EB,NOPE&authorities=C,K2&officers=duty-k1,mgr-eb');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      enterprises: { EA: '甲化工有限公司' },
      authorities: { C: '示例市应急管理局', K2: '乙县应急管理局' },
      officers: { 'duty-k1': '甲县值班员', 'mgr-eb': '乙安全' },
    });
  });

  it('gives an enterprise user its own enterprise only; the city all of them', async () => {
    expect((await call(managerEB, 'GET', '/api/v1/names?enterprises=EA,EB')).body.enterprises).toEqual({ EB: '乙化工有限公司' });
    expect((await admin('GET', '/api/v1/names?enterprises=EA,EB')).body.enterprises).toEqual({ EA: '甲化工有限公司', EB: '乙化工有限公司' });
    expect((await admin('GET', '/api/v1/names')).body).toEqual({ enterprises: {}, authorities: {}, officers: {} });
  });

  it('refuses a caller not signed in, an unknown list and more than 500 ids', async () => {
    expect((await call(undefined, 'GET', '/api/v1/names?enterprises=EA')).status).toBe(401);
    expect((await call(dutyK1, 'GET', '/api/v1/names?gateways=G1')).status).toBe(400);
    const many = Array.from({ length: 501 }, (_, i) => `E${i}`).join(',');
    const r = await call(dutyK1, 'GET', `/api/v1/names?enterprises=${many}`);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('at most 500 ids');
  });
});
