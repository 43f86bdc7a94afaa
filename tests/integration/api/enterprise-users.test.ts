/**
 * Enterprise users (issue #18): the admin creates and lists an enterprise's safety manager and responsible
 * persons, or imports them from a sheet (CSV in UTF-8 or GBK, XLSX; all or none); an enterprise user's session
 * names its enterprise; it reads its own alarms without the bureau's internal parts (officers' notes,
 * escalations, shelving), in the detail, the list and the live stream, which carries its enterprise's events
 * only and ends when the user is disabled. A PGlite ledger through `app.inject`; the stream over a real socket.
 */
import type { AddressInfo } from 'node:net';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApi } from '../../../api/server.ts';
import { AlertStore } from '../../../alerts/store.ts';
import type { Db } from '../../../core/db/db.ts';
import { AlertDriver } from '../../../testkit/notify.ts';
import { frameJson, SseClient } from '../../../testkit/sse.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

let db: Db;
let app: ReturnType<typeof buildApi>;
let alerts: AlertDriver;
let subjects = 0;
const USCC_A = '91350100M000100Y43';

type Body = Record<string, unknown> & { error?: { code: string; message: string; errors?: { row: number; column: string | null; zh: string; en: string }[] } };
async function call(token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, contentType?: string) {
  const r = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: r.statusCode, body: r.body === '' ? ({} as Body) : r.json<Body>() };
}
const admin = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, contentType?: string) =>
  call(TEST_ADMIN_TOKEN, method, url, payload, contentType);
const officerCount = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM officers')).rows[0]!.n);

beforeAll(async () => {
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN, Date, (ledger) => ({ alerts: { db: ledger, heartbeatMs: 100 } })));
  alerts = new AlertDriver(new AlertStore(db));
  for (const a of [
    { id: 'C', name: '市局', level: 'city' },
    { id: 'K1', name: '甲县局', level: 'county', parentId: 'C' },
    { id: 'K2', name: '乙县局', level: 'county', parentId: 'C' },
  ])
    expect((await admin('POST', '/api/v1/authorities', a)).status).toBe(201);
  for (const [id, authorityId, name] of [
    ['EA', 'K1', '甲化工有限公司'],
    ['EB', 'K2', '乙化工有限公司'],
  ])
    expect((await admin('POST', '/api/v1/enterprises', { id, name, sector: 'hazardous_chemicals', authorityId })).status).toBe(201);
  expect((await admin('PATCH', '/api/v1/enterprises/EA', { creditCode: USCC_A })).status).toBe(200);
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('the admin creates and lists enterprise users', () => {
  it('creates a safety manager of an enterprise, who takes its authority; lists users with enterprise and phone, filtered by enterprise', async () => {
    const r = await admin('POST', '/api/v1/officers', {
      id: 'sm-a',
      name: '张安全',
      role: 'safety_manager',
      enterpriseId: 'EA',
      phone: '138 0013 8000',
      password: 'correct horse battery',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ id: 'sm-a', role: 'safety_manager', enterpriseId: 'EA', authorityId: 'K1', phone: '13800138000' });
    expect(typeof r.body.token).toBe('string');
    expect(
      (await admin('POST', '/api/v1/officers', { id: 'rp-b', name: '李包保', role: 'responsible_person', enterpriseId: 'EB', phone: '13900139000' })).status,
    ).toBe(201);
    expect((await admin('POST', '/api/v1/officers', { id: 'duty-1', name: '值班员', authorityId: 'K1' })).status).toBe(201);

    const all = (await admin('GET', '/api/v1/officers')).body.officers as { id: string; enterpriseId?: string; phone: string | null; hasPassword: boolean }[];
    expect(all.find((o) => o.id === 'sm-a')).toMatchObject({ enterpriseId: 'EA', phone: '13800138000', hasPassword: true, authorityId: 'K1' });
    expect(all.find((o) => o.id === 'duty-1')).toMatchObject({ phone: null });
    expect(all.find((o) => o.id === 'duty-1')).not.toHaveProperty('enterpriseId');
    const ofA = (await admin('GET', '/api/v1/officers?enterpriseId=EA')).body.officers as { id: string }[];
    expect(ofA.map((o) => o.id)).toEqual(['sm-a']);
    expect((await admin('GET', '/api/v1/officers?enterpriseId=bad%20id')).status).toBe(400);
  });

  it('refuses in both languages: no enterprise for an enterprise role (400), an authority for one (400), an enterprise for an officer (400), an unknown enterprise (404), a taken id (409)', async () => {
    const missing = await admin('POST', '/api/v1/officers', { id: 'x1', name: 'x', role: 'safety_manager', phone: '13800138001' });
    expect(missing.status).toBe(400);
    expect(missing.body.error!.message).toMatch(/enterpriseId: 角色 safety_manager 须指定所属企业 \/ required for the role safety_manager/);
    const both = await admin('POST', '/api/v1/officers', { id: 'x1', name: 'x', role: 'responsible_person', enterpriseId: 'EA', authorityId: 'K1' });
    expect(both.status).toBe(400);
    expect(both.body.error!.message).toMatch(/authorityId: 企业用户.* \/ an enterprise user takes its enterprise's authority/);
    const officerWithEnterprise = await admin('POST', '/api/v1/officers', { id: 'x1', name: 'x', role: 'inspector', authorityId: 'K1', enterpriseId: 'EA' });
    expect(officerWithEnterprise.status).toBe(400);
    expect(officerWithEnterprise.body.error!.message).toMatch(/enterpriseId: 只有企业角色.* \/ only for the roles safety_manager, responsible_person/);
    const badPhone = await admin('POST', '/api/v1/officers', { id: 'x1', name: 'x', role: 'responsible_person', enterpriseId: 'EA', phone: 'call me' });
    expect(badPhone.status).toBe(400);
    expect(badPhone.body.error!.message).toMatch(/phone/);
    const unknown = await admin('POST', '/api/v1/officers', { id: 'x1', name: 'x', role: 'responsible_person', enterpriseId: 'E-none' });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND', message: '企业 E-none 不存在 / enterprise E-none not found' } } });
    const noAuthority = await admin('POST', '/api/v1/officers', { id: 'x1', name: 'x', authorityId: 'K-none' });
    expect(noAuthority).toMatchObject({ status: 404, body: { error: { message: '执法主体 K-none 不存在 / authority K-none not found' } } });
    expect(await admin('POST', '/api/v1/officers', { id: 'sm-a', name: 'x', role: 'safety_manager', enterpriseId: 'EB' })).toMatchObject({
      status: 409,
      body: { error: { code: 'CONFLICT', message: '用户 sm-a 已存在 / officer sm-a already exists' } },
    });
    expect((await admin('GET', '/api/v1/officers')).body.officers).not.toContainEqual(expect.objectContaining({ id: 'x1' }));
  });
});

describe('importing enterprise users from a sheet', () => {
  const IMPORT = '/api/v1/enterprise-users/import';
  type Imported = {
    dryRun: boolean;
    created: number;
    users: { id: string; enterpriseId: string; role: string; phone: string; token?: string; hasPassword: boolean }[];
  };

  it('imports a UTF-8 CSV with a BOM and English headers; enterprises by id or credit code; each token works once returned', async () => {
    const csv =
      '\uFEFFid,name,enterprise,role,phone,password\r\nimp-1,王一,EA,safety_manager,13800000001,\r\nimp-2,王二,' +
      USCC_A +
      ',包保责任人,+86 139-0000-0002,initial-pass-123\r\n';
    const dry = await admin('POST', `${IMPORT}?dryRun=true`, Buffer.from(csv), 'text/csv');
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, created: 0 });
    expect((dry.body as unknown as Imported).users.every((u) => u.token === undefined)).toBe(true);
    expect((await admin('GET', '/api/v1/officers?enterpriseId=EA')).body.officers).toHaveLength(1);

    const r = await admin('POST', IMPORT, Buffer.from(csv), 'text/csv');
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const out = r.body as unknown as Imported;
    expect(out).toMatchObject({ dryRun: false, created: 2 });
    expect(out.users).toMatchObject([
      { id: 'imp-1', enterpriseId: 'EA', role: 'safety_manager', phone: '13800000001', hasPassword: false },
      { id: 'imp-2', enterpriseId: 'EA', role: 'responsible_person', phone: '+8613900000002', hasPassword: true },
    ]);
    const me = await call(out.users[1]!.token!, 'GET', '/api/v1/session');
    expect(me.body.user).toMatchObject({ id: 'imp-2', role: 'responsible_person', enterpriseId: 'EA', enterpriseName: '甲化工有限公司' });
    const signIn = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'imp-2', password: 'initial-pass-123' } });
    expect(signIn.statusCode).toBe(200);
    expect(signIn.json<{ user: unknown }>().user).toMatchObject({ enterpriseId: 'EA', enterpriseName: '甲化工有限公司' });
    const audit = await db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE action IN ('officer.created', 'enterprise_users.imported') AND (subject_id LIKE 'imp-%' OR subject_id = 'import')",
    );
    expect(audit.rows.map((a) => a.action).sort()).toEqual(['enterprise_users.imported', 'officer.created', 'officer.created']);
  });

  it('imports a GBK CSV with Chinese headers (columns in another order)', async () => {
    const text =
      '姓名,账号,角色,企业编号,手机,初始密码\r\n赵三,imp-3,安全管理负责人,EB,13700000003,another-pass-1\r\n钱四,imp-4,包保责任人,EB,13700000004,\r\n';
    const r = await admin('POST', IMPORT, iconv.encode(text, 'gbk'), 'text/csv');
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect((r.body as unknown as Imported).users.map((u) => [u.id, u.role, u.enterpriseId])).toEqual([
      ['imp-3', 'safety_manager', 'EB'],
      ['imp-4', 'responsible_person', 'EB'],
    ]);
    const listed = (await admin('GET', '/api/v1/officers?enterpriseId=EB')).body.officers as { id: string; name: string }[];
    expect(listed.find((o) => o.id === 'imp-3')?.name).toBe('赵三');
  });

  it('imports an XLSX workbook', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('企业用户');
    ws.addRow(['账号', '姓名', '统一社会信用代码', '角色', '手机号']);
    ws.addRow(['imp-5', '孙五', USCC_A, '包保责任人', 13600000005]);
    const r = await admin('POST', IMPORT, Buffer.from(await wb.xlsx.writeBuffer()), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect((r.body as unknown as Imported).users).toMatchObject([{ id: 'imp-5', enterpriseId: 'EA', role: 'responsible_person', phone: '13600000005' }]);
  });

  it('writes nothing when one row is bad, listing every problem with its row and column in both languages', async () => {
    const before = await officerCount();
    const csv = ['账号,姓名,企业,角色,手机', 'ok-1,周六,EA,包保责任人,13500000006', 'imp-1,吴七,EZ,站长,', 'ok-1,郑八,EB,包保责任人,13500000008'].join('\n');
    const r = await admin('POST', IMPORT, Buffer.from(csv), 'text/csv');
    expect(r.status).toBe(400);
    expect(r.body.error!.message).toMatch(/企业用户未导入.*未写入任何用户 \/ .*nothing was written/);
    const errors = r.body.error!.errors!;
    expect(errors.map((e) => [e.row, e.column])).toEqual([
      [3, '企业'],
      [3, '角色'],
      [3, '手机'],
      [3, '账号'],
      [4, '账号'],
    ]);
    expect(errors[0]).toMatchObject({ zh: expect.stringContaining('EZ') as unknown, en: 'row 3, enterprise: no enterprise has the id or credit code EZ' });
    expect(errors[3]!.en).toBe('row 3, id: the account imp-1 already exists');
    expect(errors[4]!.zh).toBe('第 4 行“账号”：账号 ok-1 与第 2 行重复');
    expect(await officerCount()).toBe(before);

    const headers = await admin('POST', IMPORT, Buffer.from('账号,姓名,企业,职务\nz,z,EA,x\n'), 'text/csv');
    expect(headers.status).toBe(400);
    expect(headers.body.error!.errors!.map((e) => e.column)).toEqual(['职务', '角色', '手机']);
    const nul = await admin('POST', IMPORT, Buffer.from('账号,姓名,企业,角色,手机\nnul-1,王\u0000五,EA,包保责任人,13500000010\n'), 'text/csv');
    expect(nul.status).toBe(400);
    expect(nul.body.error!.errors).toEqual([
      { row: 2, column: '姓名', zh: '第 2 行“姓名”：含有空字符（U+0000）', en: 'row 2, name: a NUL character (U+0000) is not allowed' },
    ]);
    const json = await admin('POST', IMPORT, { id: 'x' });
    expect(json.status).toBe(400);
    expect(json.body.error!.errors![0]).toMatchObject({ row: 0, en: 'the body is not a spreadsheet' });
    const empty = await admin('POST', IMPORT, Buffer.from('账号,姓名,企业,角色,手机\n'), 'text/csv');
    expect(empty.body.error!.errors![0]).toMatchObject({ row: 0, en: 'the sheet is empty: a header row and one row per user are needed' });
    expect(await officerCount()).toBe(before);
  });

  it('is the admin’s: an officer or an enterprise user gets 403', async () => {
    const duty = await admin('POST', '/api/v1/officers', { id: 'duty-2', name: '值班员', authorityId: 'K1' });
    const sm = await admin('POST', '/api/v1/officers', { id: 'sm-x', name: '安全', role: 'safety_manager', enterpriseId: 'EA' });
    for (const t of [duty.body.token as string, sm.body.token as string])
      expect((await call(t, 'POST', IMPORT, Buffer.from('账号,姓名,企业,角色,手机\nq,q,EA,包保责任人,13500000009\n'), 'text/csv')).status).toBe(403);
  });
});

describe('an enterprise user reads its alarms without the bureau’s internal parts', () => {
  let token: string;
  beforeAll(async () => {
    token = (await admin('POST', '/api/v1/officers', { id: 'rp-a', name: '包保甲', role: 'responsible_person', enterpriseId: 'EA' })).body.token as string;
  });

  it('leaves out officers’ notes, escalations and shelving from the detail and the list; an officer still sees them', async () => {
    const id = await alerts.fire(`GT-${++subjects}`, { enterpriseId: 'EA', severity: 'orange' });
    expect((await admin('POST', `/api/v1/alerts/${id}/shelve`, { minutes: 30, reason: '仪表标定，拟派员现场核查' })).status).toBe(200);
    expect((await admin('POST', `/api/v1/alerts/${id}/unshelve`, {})).status).toBe(200);
    expect((await admin('POST', `/api/v1/alerts/${id}/escalate`, { note: '请市局督办，拟列入计划检查' })).status).toBe(200);
    expect((await admin('POST', `/api/v1/alerts/${id}/acknowledge`, { note: '拟安排执法检查' })).status).toBe(200);

    const bureau = await admin('GET', `/api/v1/alerts/${id}`);
    expect(bureau.body.alert).toMatchObject({ acknowledgeNote: '拟安排执法检查', escalations: 1 });
    expect((bureau.body.events as { type: string }[]).map((e) => e.type)).toEqual(
      expect.arrayContaining(['shelved', 'unshelved', 'escalated', 'acknowledged']),
    );

    const mine = await call(token, 'GET', `/api/v1/alerts/${id}`);
    expect(mine.status).toBe(200);
    const alert = mine.body.alert as Record<string, unknown>;
    expect(alert).toMatchObject({ id, enterpriseId: 'EA', state: 'acknowledged', severity: 'orange' });
    for (const f of ['acknowledgeNote', 'disposal', 'escalations', 'lastEscalatedAt', 'dutyClockSince', 'shelvedUntil', 'shelvedBy', 'shelveReason'])
      expect(alert).not.toHaveProperty(f);
    const events = mine.body.events as { type: string; note?: string }[];
    expect(events.map((e) => e.type)).toEqual(['fired', 'acknowledged']);
    expect(events[1]).not.toHaveProperty('note');
    expect(JSON.stringify(mine.body)).not.toMatch(/拟|督办|shelve/);
    expect(mine.body.evidence).toEqual(bureau.body.evidence);
    expect(mine.body.rule).toEqual(bureau.body.rule);

    const list = await call(token, 'GET', '/api/v1/alerts?limit=500');
    const listed = (list.body.alerts as Record<string, unknown>[]).find((a) => a.id === id)!;
    expect(listed).toMatchObject({ state: 'acknowledged' });
    expect(listed).not.toHaveProperty('acknowledgeNote');
    expect(listed).not.toHaveProperty('escalations');
    expect(await call(token, 'GET', '/api/v1/alerts?shelved=true')).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    expect((await admin('GET', '/api/v1/alerts?shelved=false')).status).toBe(200);

    const other = await alerts.fire(`GT-${++subjects}`, { enterpriseId: 'EB' });
    expect(await call(token, 'GET', `/api/v1/alerts/${other}`)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect((list.body.alerts as { enterpriseId: string }[]).every((a) => a.enterpriseId === 'EA')).toBe(true);
  });

  it("streams its enterprise's events live, none of another's, without bureau events; a disabled user's stream ends", async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const sm = await admin('POST', '/api/v1/officers', { id: 'sm-stream', name: '安全甲', role: 'safety_manager', enterpriseId: 'EA' });
    const smB = await admin('POST', '/api/v1/officers', { id: 'sm-stream-b', name: '安全乙', role: 'safety_manager', enterpriseId: 'EB' });
    const open = (t: string) => SseClient.open(`http://127.0.0.1:${port}/api/v1/alerts/stream`, { authorization: `Bearer ${t}` });
    type Data = { event: { type: string; enterpriseId: string; note?: string }; alert: Record<string, unknown> & { id: string; enterpriseId: string } };
    const a = await open(sm.body.token as string);
    const b = await open(smB.body.token as string);
    try {
      const inB = await alerts.fire(`GT-${++subjects}`, { enterpriseId: 'EB' });
      const inA = await alerts.fire(`GT-${++subjects}`, { enterpriseId: 'EA', severity: 'orange' });
      expect((await admin('POST', `/api/v1/alerts/${inA}/escalate`, { note: '内部督办' })).status).toBe(200);
      expect((await admin('POST', `/api/v1/alerts/${inA}/acknowledge`, { note: '内部意见' })).status).toBe(200);
      const seen = await a.until((f) => f.event === 'acknowledged' && frameJson<Data>(f).alert.id === inA);
      const data = seen.map((f) => frameJson<Data>(f));
      expect(data.map((d) => [d.event.type, d.alert.id])).toEqual([
        ['fired', inA],
        ['acknowledged', inA],
      ]);
      expect(data.every((d) => d.alert.enterpriseId === 'EA' && !('escalations' in d.alert) && !('acknowledgeNote' in d.alert))).toBe(true);
      expect(data[1]!.event).not.toHaveProperty('note');
      const fromB = frameJson<Data>(await b.next());
      expect(fromB).toMatchObject({ event: { type: 'fired', enterpriseId: 'EB' }, alert: { id: inB } });

      await admin('POST', '/api/v1/officers/sm-stream/disable');
      await a.closedByServer();
      expect(a.frames.every((f) => frameJson<Data>(f).alert.enterpriseId === 'EA')).toBe(true);
      expect(b.frames.every((f) => frameJson<Data>(f).alert.enterpriseId === 'EB')).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });
});
