/**
 * Major hazard sources (重大危险源, issue #17 item 1) through the API on PGlite: the admin registers,
 * changes and deletes them (each audited on the enterprise), the code is unique within the enterprise,
 * the level is checked against R (GB 18218-2018), and officers read them — the list and the enterprise's
 * file — only inside their jurisdiction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApi } from '../../../api/server.ts';
import type { Db } from '../../../core/db/db.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';

const ADMIN = 'hazard-admin-token-0123456789';
const auth = { authorization: `Bearer ${ADMIN}` };
let db: Db;
let app: ReturnType<typeof buildApi>;
const tokens: Record<string, string> = {};
type Err = { error: { code: string; message: string } };
type List = { hazardSources: unknown[] };

const persons = {
  main: { name: '张主要', phone: '138 0013 8000' },
  technical: { name: '李技术', phone: '0591-87654321' },
  operational: { name: '王操作', phone: '13900000000' },
};
const normalisedPersons = { ...persons, main: { name: '张主要', phone: '13800138000' } };
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, payload?: unknown, headers: Record<string, string> = auth) =>
  app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
const as = (officer: string) => ({ authorization: `Bearer ${tokens[officer]}` });
const audit = async (id: string) =>
  (
    await db.query<{ actor: string; action: string; data: Record<string, unknown> }>(
      "SELECT actor, action, data FROM audit_log WHERE subject_type = 'enterprise' AND subject_id = $1 AND action LIKE 'hazard_source.%' ORDER BY seq",
      [id],
    )
  ).rows;

beforeAll(async () => {
  ({ app, db } = await buildTestApi(ADMIN));
  for (const a of [
    { id: 'C', name: '市局', level: 'city' },
    { id: 'K1', name: '甲县局', level: 'county', parentId: 'C' },
    { id: 'K2', name: '乙县局', level: 'county', parentId: 'C' },
  ])
    expect((await call('POST', '/api/v1/authorities', a)).statusCode).toBe(201);
  for (const [id, authorityId] of [
    ['E1', 'K1'],
    ['E2', 'K2'],
  ])
    expect((await call('POST', '/api/v1/enterprises', { id, name: `企业 ${id}`, sector: 'hazardous_chemicals', authorityId })).statusCode).toBe(201);
  for (const [id, authorityId] of [
    ['insp-k1', 'K1'],
    ['insp-k2', 'K2'],
  ]) {
    const r = await call('POST', '/api/v1/officers', { id, name: id, authorityId, role: 'inspector' });
    expect(r.statusCode).toBe(201);
    tokens[id!] = r.json<{ token: string }>().token;
  }
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('major hazard sources', () => {
  it('registers one, the level derived from R and the phones normalised, and audits it', async () => {
    const r = await call('POST', '/api/v1/enterprises/E1/hazard-sources', { code: 'HZ-001', name: '液氨储罐区', rValue: 50, persons });
    expect(r.statusCode, r.body).toBe(201);
    const created = { code: 'HZ-001', name: '液氨储罐区', level: 2, rValue: 50, persons: normalisedPersons };
    expect(r.json()).toEqual(created);
    expect(await audit('E1')).toEqual([{ actor: 'user:admin', action: 'hazard_source.created', data: created }]);
  });

  it('refuses a duplicate code within the enterprise (409) but takes the same code at another', async () => {
    const again = await call('POST', '/api/v1/enterprises/E1/hazard-sources', { code: 'HZ-001', name: '另一个', rValue: 1, persons });
    expect(again.statusCode).toBe(409);
    expect(again.json<Err>().error.message).toContain('企业 E1 已有编码为 HZ-001 的重大危险源');
    expect((await call('POST', '/api/v1/enterprises/E2/hazard-sources', { code: 'HZ-001', name: '乙罐区', rValue: 120, level: 1, persons })).statusCode).toBe(
      201,
    );
  });

  it('refuses bad input with 400 naming the field, and an unknown enterprise with 404', async () => {
    const contradiction = await call('POST', '/api/v1/enterprises/E1/hazard-sources', { code: 'HZ-002', name: '罐区', rValue: 10, level: 4, persons });
    expect(contradiction.statusCode).toBe(400);
    expect(contradiction.json<Err>().error.message).toContain('R = 10 对应三级重大危险源，与所填四级不符');
    const phone = await call('POST', '/api/v1/enterprises/E1/hazard-sources', {
      code: 'HZ-002',
      name: '罐区',
      rValue: 1,
      persons: { ...persons, operational: { name: '王操作', phone: '110' } },
    });
    expect(phone.statusCode).toBe(400);
    expect(phone.json<Err>().error.message).toContain('不是有效的电话号码');
    const missing = await call('POST', '/api/v1/enterprises/E1/hazard-sources', { code: 'HZ-002', name: '罐区', rValue: 1 });
    expect(missing.statusCode).toBe(400);
    expect(missing.json<Err>().error.message).toContain('包保责任人');
    expect((await call('POST', '/api/v1/enterprises/E1/hazard-sources', [])).statusCode).toBe(400);
    expect((await call('POST', '/api/v1/enterprises/E1/hazard-sources', { code: 'HZ-002', name: '罐区', rValue: 'big', persons })).statusCode).toBe(400);
    expect((await call('POST', '/api/v1/enterprises/E-none/hazard-sources', { code: 'HZ-002', name: '罐区', rValue: 1, persons })).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/enterprises/E1/hazard-sources')).json<List>().hazardSources).toHaveLength(1);
  });

  it('changes one: a new R re-grades it, a contradicting level is refused, and the change is audited with before and after', async () => {
    const refused = await call('PATCH', '/api/v1/enterprises/E1/hazard-sources/HZ-001', { level: 1 });
    expect(refused.statusCode).toBe(400);
    expect(refused.json<Err>().error.message).toContain('R = 50 对应二级重大危险源，与所填一级不符');
    const r = await call('PATCH', '/api/v1/enterprises/E1/hazard-sources/HZ-001', { rValue: 100 });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ code: 'HZ-001', level: 1, rValue: 100, persons: normalisedPersons });
    const p = await call('PATCH', '/api/v1/enterprises/E1/hazard-sources/HZ-001', {
      persons: { ...persons, operational: { name: '赵操作', phone: '13700000000' } },
      name: '液氨储罐区（一期）',
    });
    expect(p.json()).toMatchObject({ name: '液氨储罐区（一期）', persons: { operational: { name: '赵操作', phone: '13700000000' } } });
    const updates = (await audit('E1')).filter((a) => a.action === 'hazard_source.updated');
    expect(updates).toHaveLength(2);
    expect(updates[0]!.data).toMatchObject({ code: 'HZ-001', patch: { rValue: 100 }, before: { level: 2, rValue: 50 }, after: { level: 1, rValue: 100 } });
    expect((await call('PATCH', '/api/v1/enterprises/E1/hazard-sources/HZ-404', { rValue: 1 })).statusCode).toBe(404);
    expect((await call('PATCH', '/api/v1/enterprises/E1/hazard-sources/HZ-001', { code: 'X' })).statusCode).toBe(400);
  });

  it('shows them to officers in their jurisdiction — the list and the enterprise file — and 404 outside it', async () => {
    const mine = await call('GET', '/api/v1/enterprises/E1/hazard-sources', undefined, as('insp-k1'));
    expect(mine.statusCode).toBe(200);
    expect(mine.json<List>().hazardSources).toMatchObject([{ code: 'HZ-001', level: 1 }]);
    const file = await call('GET', '/api/v1/enterprises/E1/file', undefined, as('insp-k1'));
    expect(file.json<List>().hazardSources).toMatchObject([{ code: 'HZ-001', name: '液氨储罐区（一期）' }]);
    const other = await call('GET', '/api/v1/enterprises/E1/hazard-sources', undefined, as('insp-k2'));
    expect(other.statusCode).toBe(404);
    expect(other.json<Err>().error.code).toBe('NOT_FOUND');
    // officers may not change them (the admin's routes)
    expect((await call('POST', '/api/v1/enterprises/E1/hazard-sources', { code: 'HZ-9', name: 'x', rValue: 1, persons }, as('insp-k1'))).statusCode).toBe(403);
    expect((await call('DELETE', '/api/v1/enterprises/E1/hazard-sources/HZ-001', undefined, as('insp-k1'))).statusCode).toBe(403);
  });

  it('deletes one, audited with what it was; a second delete is 404', async () => {
    expect((await call('DELETE', '/api/v1/enterprises/E1/hazard-sources/HZ-001')).statusCode).toBe(204);
    expect((await call('GET', '/api/v1/enterprises/E1/hazard-sources')).json<List>().hazardSources).toEqual([]);
    expect((await call('GET', '/api/v1/enterprises/E2/hazard-sources')).json<List>().hazardSources).toHaveLength(1);
    const deleted = (await audit('E1')).filter((a) => a.action === 'hazard_source.deleted');
    expect(deleted).toEqual([
      { actor: 'user:admin', action: 'hazard_source.deleted', data: { code: 'HZ-001', before: expect.objectContaining({ level: 1 }) as unknown } },
    ]);
    expect((await call('DELETE', '/api/v1/enterprises/E1/hazard-sources/HZ-001')).statusCode).toBe(404);
  });
});
