/**
 * An enterprise's identity on record (issue #17 item 1) through the API on PGlite: the unified social
 * credit code (GB 32100-2015), address, coordinates and safety manager are optional on create, checked
 * and normalised when given, changed by the admin (PATCH /api/v1/enterprises/:id, audited with before and
 * after), unique per code, and shown by the ledger entry, the enterprise's file and the board.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApi } from '../../../api/server.ts';
import type { Db } from '../../../core/db/db.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';

const ADMIN = 'identity-admin-token-0123456789';
const auth = { authorization: `Bearer ${ADMIN}` };
let db: Db;
let app: ReturnType<typeof buildApi>;

const create = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v1/enterprises', headers: auth, payload });
const patch = (id: string, payload: Record<string, unknown>, headers: Record<string, string> = auth) =>
  app.inject({ method: 'PATCH', url: `/api/v1/enterprises/${id}`, headers, payload });
const audit = async (id: string) =>
  (
    await db.query<{ actor: string; action: string; data: Record<string, unknown> }>(
      'SELECT actor, action, data FROM audit_log WHERE subject_type = $1 AND subject_id = $2 ORDER BY seq',
      ['enterprise', id],
    )
  ).rows;

beforeAll(async () => {
  ({ app, db } = await buildTestApi(ADMIN));
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('enterprise identity', () => {
  it('creates an enterprise without identity fields (the bureau fills them in later)', async () => {
    const r = await create({ id: 'E-plain', name: '无码企业', sector: 'hazardous_chemicals' });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ creditCode: null, address: null, longitude: null, latitude: null, safetyManagerPhone: null });
  });

  it('creates an enterprise with its identity, normalised, and shows it in the ledger entry, the file and the board', async () => {
    const r = await create({
      id: 'E-id',
      name: '福州化工',
      sector: 'hazardous_chemicals',
      creditCode: '91350100m000100y43',
      address: '福建省福州市鼓楼区',
      longitude: 119.3,
      latitude: 26.08,
      safetyManagerName: '林安全',
      safetyManagerPhone: '+86 138 0013 8000',
    });
    expect(r.statusCode).toBe(201);
    const identity = {
      creditCode: '91350100M000100Y43',
      address: '福建省福州市鼓楼区',
      longitude: 119.3,
      latitude: 26.08,
      safetyManagerName: '林安全',
      safetyManagerPhone: '13800138000',
    };
    expect(r.json()).toMatchObject(identity);
    expect((await app.inject({ url: '/api/v1/enterprises/E-id/ledger', headers: auth })).json()).toMatchObject(identity);
    expect((await app.inject({ url: '/api/v1/enterprises/E-id/file', headers: auth })).json()).toMatchObject({ enterprise: identity });
    const board = (await app.inject({ url: '/api/v1/enterprises?q=91350100M000', headers: auth })).json<{
      enterprises: { id: string; creditCode: string }[];
    }>();
    expect(board.enterprises.map((e) => [e.id, e.creditCode])).toEqual([['E-id', '91350100M000100Y43']]);
    expect((await audit('E-id'))[0]).toMatchObject({ action: 'enterprise.created', data: identity });
  });

  it.each([
    [{ creditCode: '91350100M000100Y4Z' }, '应为“3”'],
    [{ creditCode: '91350100M000100Y4' }, '应为18位'],
    [{ creditCode: '91350100M0001O0Y43' }, '不是代码字符'],
    [{ longitude: 26.08, latitude: 119.3 }, 'longitude must be within 73–136'],
    [{ longitude: 119.3 }, 'longitude and latitude go together'],
    [{ safetyManagerPhone: '1234567' }, 'not a valid phone number'],
  ])('refuses to create with %j (400 naming the problem)', async (fields, message) => {
    const r = await create({ id: 'E-bad', name: '坏企业', sector: 'mine', ...fields });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ error: { message: string } }>().error.message).toContain(message);
    expect((await db.query('SELECT 1 FROM enterprises WHERE id = $1', ['E-bad'])).rows).toHaveLength(0);
  });

  it('refuses a credit code already on record for another enterprise (409 naming the code)', async () => {
    const r = await create({ id: 'E-dup', name: '重复', sector: 'mine', creditCode: '91350100M000100Y43' });
    expect(r.statusCode).toBe(409);
    expect(r.json<{ error: { message: string } }>().error.message).toContain('91350100M000100Y43 已属于另一家企业');
    const p = await patch('E-plain', { creditCode: '91350100M000100Y43' });
    expect(p.statusCode).toBe(409);
  });

  it('sets, changes and clears identity fields, each change audited with before and after', async () => {
    const set = await patch('E-plain', { creditCode: '91110000600037341L', safetyManagerPhone: '0571 88888888 转 12', longitude: 116.4, latitude: 39.9 });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual({
      id: 'E-plain',
      creditCode: '91110000600037341L',
      address: null,
      longitude: 116.4,
      latitude: 39.9,
      safetyManagerName: null,
      safetyManagerPhone: '0571-88888888转12',
    });
    const cleared = await patch('E-plain', { longitude: null, latitude: null, address: '北京市东城区' });
    expect(cleared.json()).toMatchObject({ creditCode: '91110000600037341L', longitude: null, latitude: null, address: '北京市东城区' });
    const records = (await audit('E-plain')).filter((a) => a.action === 'enterprise.identity_updated');
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      actor: 'user:admin',
      data: { before: { creditCode: null }, after: { creditCode: '91110000600037341L', safetyManagerPhone: '0571-88888888转12' } },
    });
    expect(records[1]).toMatchObject({ data: { before: { longitude: 116.4 }, after: { longitude: null, address: '北京市东城区' } } });
  });

  it('refuses a wrong check character on update, naming the expected one, and changes nothing', async () => {
    const r = await patch('E-plain', { creditCode: '91110000600037341M', address: '不应写入' });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ error: { message: string } }>().error.message).toContain("expected 'L', got 'M'");
    expect((await app.inject({ url: '/api/v1/enterprises/E-plain/ledger', headers: auth })).json()).toMatchObject({ address: '北京市东城区' });
  });

  it('answers 404 for an unknown enterprise, 400 for an unknown field, 401 without the admin', async () => {
    expect((await patch('E-none', { address: 'x' })).statusCode).toBe(404);
    expect((await patch('E-plain', { name: '改名' })).statusCode).toBe(400);
    expect((await patch('E-plain', { address: 'x' }, {})).statusCode).toBe(401);
  });

  it('imports credit codes from the bureau’s list: kept when the column is empty, refused with the line when another enterprise has it', async () => {
    const csv = (text: string) =>
      app.inject({ method: 'POST', url: '/api/v1/enterprises/import', headers: { ...auth, 'content-type': 'text/csv; charset=utf-8' }, payload: text });
    const ok = await csv('企业编号,统一社会信用代码,企业名称,行业\nIMP-A,91440300708461136T,甲,mine\nE-plain,,无码企业,hazardous_chemicals\n');
    expect(ok.statusCode).toBe(200);
    expect((await app.inject({ url: '/api/v1/enterprises/IMP-A/ledger', headers: auth })).json()).toMatchObject({ creditCode: '91440300708461136T' });
    expect((await app.inject({ url: '/api/v1/enterprises/E-plain/ledger', headers: auth })).json()).toMatchObject({ creditCode: '91110000600037341L' });
    const taken = await csv('企业编号,统一社会信用代码,企业名称,行业\nIMP-B,914403001922038216,乙,mine\nIMP-C,91440300708461136T,丙,mine\n');
    expect(taken.statusCode).toBe(400);
    expect(taken.json<{ error: { errors: string[] } }>().error.errors).toEqual([expect.stringMatching(/^line 3: creditCode: .*已属于企业 IMP-A/)]);
    expect((await app.inject({ url: '/api/v1/enterprises/IMP-B/ledger', headers: auth })).statusCode).toBe(404);
  });
});
