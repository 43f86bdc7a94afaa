/**
 * The ledger's supervision facts and inspections against the yearly caps, on
 * a real (in-memory) PGlite ledger through `app.inject`: a planned inspection
 * beyond the cap is refused with the reason in Chinese and English, exempt
 * origins pass and are counted, the year is China Standard Time, only the
 * enterprise's authority or one above it (a joint inspection) may inspect,
 * and concurrent requests cannot both take the last place under the cap.
 * The exemption is earned (issue #15 item 16): an exempt origin names its
 * basis — the alerts of a serious violation, or a complaint or referral
 * number — or is refused; inspections dated in 1970 or in the future are
 * refused (item 9).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import type { InfluxClient } from '../../../core/influx/client.ts';
import { createLogger } from '../../../core/logger.ts';
import { createMetrics } from '../../../core/metrics.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { systemClock } from '../../../core/clock.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';
import { storeFiredAlert } from '../../../testkit/alerts.ts';
import { appendAudit } from '../../../core/audit.ts';
import { verifyRecords } from '../../../inspections/records-check.ts';

const TOKEN = TEST_ADMIN_TOKEN;
const auth = { authorization: `Bearer ${TOKEN}` };
/** Noon CST on 1 March 2026: "now" for these tests. */
const NOW = Date.UTC(2026, 2, 1, 4);

let db: Db;
let app: ReturnType<typeof buildApi>;

async function call(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  const r = await app.inject({ method, url, headers: auth, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.json<Record<string, unknown> & { error?: Record<string, unknown> }>() };
}

beforeAll(async () => {
  const logger = createLogger({ level: 'silent' });
  db = await openDb({ pgliteDir: 'memory://', logger });
  app = buildApi(
    { adminToken: TOKEN },
    { db, influx: {} as InfluxClient, provisioning: new Provisioning(db, systemClock), metrics: createMetrics(), logger, clock: { now: () => NOW } },
  );
  for (const a of [
    { id: 'P', name: '省应急管理厅', level: 'province' },
    { id: 'C', name: '市应急管理局', level: 'city', parentId: 'P' },
    { id: 'K1', name: '甲县应急管理局', level: 'county', parentId: 'C' },
    { id: 'K2', name: '乙县应急管理局', level: 'county', parentId: 'C' },
  ])
    expect((await call('POST', '/api/v1/authorities', a)).status).toBe(201);
  for (const e of [
    { id: 'CHEM', sector: 'hazardous_chemicals', authorityId: 'K1' },
    { id: 'SHOP', sector: 'other', authorityId: 'K1' },
    { id: 'LOOSE', sector: 'other' },
    { id: 'PLANT', sector: 'other', authorityId: 'K1' },
  ])
    expect((await call('POST', '/api/v1/enterprises', { ...e, name: `企业 ${e.id}` })).status).toBe(201);
  // alerts the inspections below rest on: serious violations (red; a detector switched off, marked serious in the catalogue) and not
  for (const a of [
    { id: 'A-SHOP-RED', enterpriseId: 'SHOP', ruleId: 'gas.combustible', severity: 'red' as const },
    { id: 'A-CHEM-DETECTOR-OFF', enterpriseId: 'CHEM', ruleId: 'common.detector_off', severity: 'orange' as const },
    { id: 'A-PLANT-RED', enterpriseId: 'PLANT', ruleId: 'gas.combustible', severity: 'red' as const },
    { id: 'A-PLANT-CHATTERING', enterpriseId: 'PLANT', ruleId: 'common.chattering', severity: 'yellow' as const },
    { id: 'A-PLANT-FROZEN', enterpriseId: 'PLANT', ruleId: 'common.frozen', severity: 'yellow' as const },
    { id: 'A-PLANT-OFFLINE', enterpriseId: 'PLANT', ruleId: 'common.gateway_offline', severity: 'orange' as const },
  ])
    await storeFiredAlert(db, { ...a, at: NOW - 3_600_000 });
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

const inspect = (enterpriseId: string, origin: string, extra: Record<string, unknown> = {}) =>
  call('POST', '/api/v1/inspections', { enterpriseId, authorityId: 'K1', origin, ...extra });

describe('the ledger', () => {
  it('derives high-risk from the sector until the ledger says otherwise, and validates each field', async () => {
    expect((await call('GET', '/api/v1/enterprises/CHEM/ledger')).body).toMatchObject({
      highRisk: true,
      highRiskSource: 'sector',
      grade: 'ungraded',
      riskFactors: [],
      keyEnterprise: false,
      authorityId: 'K1',
    });
    const patched = await call('PATCH', '/api/v1/enterprises/SHOP/ledger', { grade: '2', riskFactors: ['dishonesty_list'], keyEnterprise: true });
    expect(patched).toMatchObject({ status: 200, body: { highRisk: false, grade: '2', riskFactors: ['dishonesty_list'], keyEnterprise: true } });
    expect((await call('PATCH', '/api/v1/enterprises/SHOP/ledger', { grade: '4' })).body.error).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/grade/) as unknown,
    });
    expect((await call('PATCH', '/api/v1/enterprises/SHOP/ledger', { riskFactors: ['haunted'] })).status).toBe(400);
    expect((await call('PATCH', '/api/v1/enterprises/SHOP/ledger', { riskFactors: ['closing_down', 'closing_down'] })).status).toBe(400);
    expect((await call('PATCH', '/api/v1/enterprises/NONE/ledger', { grade: '1' })).status).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/v1/enterprises/CHEM/ledger' })).statusCode).toBe(401);
  });
});

describe('inspections against the yearly cap', () => {
  it('refuses the planned inspection beyond the cap with the reason, counts the exempt ones, and shows it all on the summary', async () => {
    // SHOP: not high-risk, grade 2 → at most 2 a year
    expect(await inspect('SHOP', 'annual_plan')).toMatchObject({ status: 201, body: { inspection: { exempt: false, joint: false, year: 2026 } } });
    expect(await inspect('SHOP', 'random')).toMatchObject({ status: 201, body: { counts: { counted: 2, cap: 2, remaining: 0 } } });
    const refused = await inspect('SHOP', 'dynamic');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'CONFLICT',
      refusal: 'CAP_REACHED',
      reason: {
        zh: expect.stringContaining('非高危行业标准化二级企业每年不超过2次') as unknown,
        en: expect.stringContaining('at most 2 times a year') as unknown,
      },
      counts: { counted: 2, cap: 2 },
    });
    expect(await inspect('SHOP', 'data_monitoring', { alertIds: ['A-SHOP-RED'] })).toMatchObject({
      status: 201,
      body: { inspection: { exempt: true, alertIds: ['A-SHOP-RED'] }, counts: { counted: 2, exempt: 1, total: 3 } },
    });
    expect(await inspect('SHOP', 'complaint', { basisRef: '12345-2026-0042' })).toMatchObject({
      status: 201,
      body: { inspection: { exempt: true, basisRef: '12345-2026-0042' } },
    });

    const s = await call('GET', '/api/v1/enterprises/SHOP/inspection-summary');
    expect(s.body).toMatchObject({
      enterprise: { id: 'SHOP', grade: '2' },
      counts: {
        year: 2026,
        cap: 2,
        counted: 2,
        exempt: 2,
        total: 4,
        remaining: 0,
        byOrigin: { annual_plan: 1, random: 1, data_monitoring: 1, complaint: 1, dynamic: 0 },
      },
    });
    expect((s.body.inspections as unknown[]).length).toBe(4);
    // next year (CST) starts from zero; the refused one was not recorded
    expect((await call('GET', '/api/v1/enterprises/SHOP/inspection-summary?year=2027')).body).toMatchObject({ counts: { total: 0, remaining: 2 } });
    // the year is China Standard Time: 00:30 CST on 1 January 2026 (still 2025 in UTC) counts for 2026, whose cap is reached;
    // 23:30 CST on 31 December 2025 for 2025 (an inspection is dated when it took place, never ahead: item 9)
    expect(await inspect('SHOP', 'annual_plan', { at: Date.UTC(2025, 11, 31, 16, 30) })).toMatchObject({
      status: 409,
      body: { error: { refusal: 'CAP_REACHED', counts: { year: 2026 } } },
    });
    expect(await inspect('SHOP', 'annual_plan', { at: Date.UTC(2025, 11, 31, 15, 30) })).toMatchObject({ status: 201, body: { inspection: { year: 2025 } } });
  });

  it('lets only the enterprise’s authority or one above it inspect; above it is a joint inspection', async () => {
    const basis = { alertIds: ['A-CHEM-DETECTOR-OFF'] };
    expect(await call('POST', '/api/v1/inspections', { enterpriseId: 'CHEM', authorityId: 'C', origin: 'data_monitoring', ...basis })).toMatchObject({
      status: 201,
      body: { inspection: { joint: true, authorityId: 'C' } },
    });
    const other = await call('POST', '/api/v1/inspections', { enterpriseId: 'CHEM', authorityId: 'K2', origin: 'data_monitoring', ...basis });
    expect(other.status).toBe(403);
    expect(other.body.error).toMatchObject({ code: 'FORBIDDEN', reason: { zh: expect.stringContaining('一家企业对应一个层级的执法主体') as unknown } });
    expect((await call('POST', '/api/v1/inspections', { enterpriseId: 'LOOSE', authorityId: 'K1', origin: 'random' })).status).toBe(409);
    expect((await call('POST', '/api/v1/inspections', { enterpriseId: 'CHEM', authorityId: 'NOPE', origin: 'random' })).status).toBe(404);
    expect((await call('POST', '/api/v1/inspections', { enterpriseId: 'CHEM', authorityId: 'K1', origin: 'whim' })).status).toBe(400);
  });

  it('never lets concurrent requests exceed the cap', async () => {
    // CHEM: high-risk, grade 1 → 2 a year
    expect((await call('PATCH', '/api/v1/enterprises/CHEM/ledger', { grade: '1' })).status).toBe(200);
    const results = await Promise.all(Array.from({ length: 6 }, () => inspect('CHEM', 'annual_plan')));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 409, 409, 409, 409]);
    expect((await call('GET', '/api/v1/enterprises/CHEM/inspection-summary')).body).toMatchObject({ counts: { counted: 2, cap: 2 } });
  });
});

describe('the cap exemption is earned, not chosen (应急〔2025〕11号 §三)', () => {
  it('refuses an exempt origin that names no basis: 400 BASIS_REQUIRED', async () => {
    for (const [origin, field] of [
      ['complaint', 'basisRef'],
      ['referral', 'basisRef'],
      ['data_monitoring', 'alertIds'],
      ['recheck', 'basisRef'],
    ] as const) {
      const r = await inspect('PLANT', origin);
      expect(r.status, origin).toBe(400);
      expect(r.body.error, origin).toMatchObject({
        code: 'BAD_REQUEST',
        refusal: 'BASIS_REQUIRED',
        message: expect.stringContaining(field) as unknown,
        reason: { zh: expect.stringContaining(field) as unknown },
      });
    }
    expect((await inspect('PLANT', 'data_monitoring', { alertIds: [] })).status).toBe(400);
    expect((await inspect('PLANT', 'complaint', { basisRef: '  ' })).status).toBe(400);
  });

  it('does not let data monitoring of alerts that are not serious violations bypass a reached cap', async () => {
    // PLANT: not high-risk, ungraded → cap 6; use it up
    for (let i = 0; i < 6; i++) expect((await inspect('PLANT', 'random', { at: NOW - 86_400_000 * (i + 1) })).status).toBe(201);
    expect(await inspect('PLANT', 'random')).toMatchObject({ status: 409, body: { error: { refusal: 'CAP_REACHED' } } });
    for (const alertIds of [['A-PLANT-CHATTERING'], ['A-PLANT-FROZEN', 'A-PLANT-OFFLINE']]) {
      const r = await inspect('PLANT', 'data_monitoring', { alertIds });
      expect(r.status, alertIds.join()).toBe(409);
      expect(r.body.error).toMatchObject({
        code: 'CONFLICT',
        refusal: 'BASIS_NOT_SERIOUS',
        reason: { zh: expect.stringContaining('远程核查') as unknown, en: expect.stringContaining('verify them remotely') as unknown },
      });
    }
    // another enterprise's red alert, an unknown one: no basis either
    for (const alertIds of [['A-SHOP-RED'], ['A-NOPE']])
      expect((await inspect('PLANT', 'data_monitoring', { alertIds })).body.error).toMatchObject({ refusal: 'BASIS_UNKNOWN_ALERT' });
    // a serious violation of its own is the basis of an exempt inspection, beyond the cap
    const ok = await inspect('PLANT', 'data_monitoring', { alertIds: ['A-PLANT-CHATTERING', 'A-PLANT-RED'] });
    expect(ok).toMatchObject({
      status: 201,
      body: { inspection: { exempt: true, alertIds: ['A-PLANT-CHATTERING', 'A-PLANT-RED'] }, counts: { counted: 6, exempt: 1 } },
    });
    const summary = await call('GET', '/api/v1/enterprises/PLANT/inspection-summary');
    expect(summary.body).toMatchObject({ counts: { counted: 6, exempt: 1, total: 7 } });
    // the basis is on the audit trail, with the serious alerts it rests on
    const { rows } = await db.query<{ data: { alertIds: string[]; seriousAlertIds: string[] } }>(
      "SELECT data FROM audit_log WHERE action = 'inspection.recorded' AND subject_id = $1",
      [(ok.body.inspection as { id: string }).id],
    );
    expect(rows[0]?.data).toMatchObject({ alertIds: ['A-PLANT-CHATTERING', 'A-PLANT-RED'], seriousAlertIds: ['A-PLANT-RED'] });
  });
});

describe('the stored basis against the audit trail', () => {
  it('verifies inspections sealed before the basis was stored (migration 12), and catches a basis added behind the trail’s back', async () => {
    expect(await verifyRecords(db)).toMatchObject({ ok: true });
    // an inspection as recorded before migration 12: its audit record carries no basis
    const old = {
      id: 'I-OLD',
      enterpriseId: 'CHEM',
      authorityId: 'K1',
      origin: 'random',
      joint: false,
      exempt: false,
      at: Date.UTC(2025, 5, 2),
      year: 2025,
      note: '',
      createdBy: 'admin',
    };
    await db.query(
      `INSERT INTO inspections (id, enterprise_id, authority_id, origin, joint, exempt, at, year, note, created_by, created_at) VALUES ($1, 'CHEM', 'K1', 'random', false, false, $2, 2025, '', 'admin', $2)`,
      [old.id, new Date(old.at)],
    );
    await db.transaction((tx) =>
      appendAudit(tx, {
        actor: 'admin',
        action: 'inspection.recorded',
        subjectType: 'inspection',
        subjectId: old.id,
        data: { ...old, counts: {} },
        at: old.at,
      }),
    );
    expect(await verifyRecords(db)).toMatchObject({ ok: true });
    // as the database owner could, behind the append-only trigger's back
    await db.exec('ALTER TABLE inspections DISABLE TRIGGER inspections_append_only');
    await db.query("UPDATE inspections SET basis_ref = 'FORGED-1' WHERE id = 'I-OLD'");
    expect(await verifyRecords(db)).toMatchObject({ ok: false, table: 'inspections', key: 'I-OLD' });
    await db.query("UPDATE inspections SET basis_ref = NULL WHERE id = 'I-OLD'");
    await db.exec('ALTER TABLE inspections ENABLE TRIGGER inspections_append_only');
    expect(await verifyRecords(db)).toMatchObject({ ok: true });
  });
});

describe('the date of an inspection (issue #15 item 9)', () => {
  const complaint = { basisRef: 'TS-2026-0100' };
  it.each([
    { name: 'in 1970', at: 1_000 },
    { name: 'the day before 2000-01-01 (CST)', at: Date.UTC(1999, 11, 30, 16) },
    { name: 'ten minutes in the future', at: NOW + 10 * 60_000 },
    { name: 'next year', at: Date.UTC(2027, 2, 1) },
  ])('refuses an inspection dated $name: 400 with the error shape', async ({ at }) => {
    const r = await inspect('CHEM', 'complaint', { ...complaint, at });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: 'BAD_REQUEST', message: expect.stringMatching(/at/) as unknown } });
  });

  it('accepts one dated a few minutes ahead of the platform clock (a phone clock running fast) and one of last year', async () => {
    expect((await inspect('CHEM', 'complaint', { ...complaint, at: NOW + 4 * 60_000 })).status).toBe(201);
    expect(await inspect('CHEM', 'complaint', { ...complaint, at: Date.UTC(2025, 5, 1) })).toMatchObject({ status: 201, body: { inspection: { year: 2025 } } });
  });
});

describe('importing a bureau’s enterprise list (CSV)', () => {
  const csv = (text: string, headers: Record<string, string> = auth) =>
    app.inject({ method: 'POST', url: '/api/v1/enterprises/import', headers: { ...headers, 'content-type': 'text/csv; charset=utf-8' }, payload: text });

  it('creates and updates the enterprises of the list, all or nothing', async () => {
    const r = await csv(
      '\uFEFF企业编号,企业名称,行业,执法主体,标准化等级,重点企业,风险因素\r\n' +
        'IMP-1,"甲化工有限公司, 一分厂",危险化学品,K1,三级,是,失信\r\n' +
        'SHOP,乙商贸（更名）,其他,K2,二级,否,\r\n',
    );
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ created: 1, updated: 1, enterprises: 2 });
    expect((await call('GET', '/api/v1/enterprises/IMP-1/ledger')).body).toMatchObject({
      name: '甲化工有限公司, 一分厂',
      sector: 'hazardous_chemicals',
      authorityId: 'K1',
      highRisk: true,
      grade: '3',
      keyEnterprise: true,
      riskFactors: ['dishonesty_list'],
    });
    expect((await call('GET', '/api/v1/enterprises/SHOP/ledger')).body).toMatchObject({ name: '乙商贸（更名）', authorityId: 'K2' });

    // one bad line (an unknown authority) and nothing is written
    const bad = await csv('id,name,sector,authorityId\nIMP-2,丙,mine,K1\nIMP-3,丁,mine,K9\n');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { errors: string[] } }>().error.errors).toEqual(["line 3: authorityId: no authority 'K9'"]);
    expect((await call('GET', '/api/v1/enterprises/IMP-2/ledger')).status).toBe(404);
  });

  it('refuses what is not a valid list, and callers without the admin token', async () => {
    const r = await csv('id,name,sector\nE9,"unclosed,mine\n');
    expect(r.statusCode).toBe(400);
    expect(r.json<{ error: { message: string } }>().error.message).toMatch(/not valid CSV: line 2/);
    const wrong = await csv('id,name,sector,grade\nE9,戊,mine,七级\n');
    expect(wrong.json<{ error: { errors: string[] } }>().error.errors).toEqual([expect.stringMatching(/^line 2: grade: '七级'/) as unknown]);
    expect((await csv('id,name,sector\nE9,戊,mine\n', {})).statusCode).toBe(401);
    expect((await call('POST', '/api/v1/enterprises/import', { id: 'E9' })).status).toBe(400);
  });
});
