/**
 * The audit trail (执法留痕, domain rule 8) on a real PGlite ledger: every
 * ledger, inspection, rule and officer action leaves an attributed,
 * hash-chained record in the same transaction; verification — through the
 * API and the `audit:verify` command — passes on the intact chain and points
 * at the first broken record after a stored record is edited or removed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import type { InfluxClient } from '../../../core/influx/client.ts';
import { createLogger } from '../../../core/logger.ts';
import { createMetrics } from '../../../core/metrics.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { systemClock } from '../../../core/clock.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const TOKEN = TEST_ADMIN_TOKEN;
const auth = { authorization: `Bearer ${TOKEN}` };
const run = promisify(execFile);

let db: Db;
let app: ReturnType<typeof buildApi>;
let base: string;

async function call(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const r = await app.inject({ method, url, headers: { ...auth, ...headers }, ...(payload === undefined ? {} : { payload: payload as string }) });
  return { status: r.statusCode, body: r.body === '' ? {} : r.json<Record<string, unknown>>() };
}

interface Record_ {
  seq: number;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  data: Record<string, unknown>;
}

const records = async (q = '') => (await call('GET', `/api/v1/audit${q}`)).body.records as Record_[];
const verify = async () => (await call('GET', '/api/v1/audit/verify')).body;

/** Runs `npm run audit:verify` against the API; its exit code and output. */
async function cli(): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts'], { env: { ...process.env, API_URL: base, ADMIN_TOKEN: TOKEN } });
    return { code: 0, out: r.stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

beforeAll(async () => {
  const logger = createLogger({ level: 'silent' });
  db = await openDb({ pgliteDir: 'memory://', logger });
  app = buildApi(
    { adminToken: TOKEN },
    {
      db,
      influx: {} as InfluxClient,
      provisioning: new Provisioning(db, systemClock),
      metrics: createMetrics(),
      logger,
      clock: { now: () => Date.now() },
      alerts: { db },
    },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('audit trail', () => {
  it('records every action with its actor, in order, and nothing for a refused request that changed nothing', async () => {
    expect((await call('POST', '/api/v1/authorities', { id: 'C', name: '市局', level: 'city' })).status).toBe(201);
    expect((await call('POST', '/api/v1/authorities', { id: 'K', name: '县局', level: 'county', parentId: 'C' })).status).toBe(201);
    expect((await call('POST', '/api/v1/enterprises', { id: 'E1', name: '甲', sector: 'other', authorityId: 'K' })).status).toBe(201);
    expect((await call('POST', '/api/v1/enterprises', { id: 'E1', name: '重复', sector: 'other' })).status).toBe(409); // refused: no record
    expect((await call('POST', '/api/v1/gateways', { id: 'G1', enterpriseId: 'E1' })).status).toBe(201);
    expect(
      (await call('POST', '/api/v1/sensors', { id: 'GT-1', enterpriseId: 'E1', gatewayId: 'G1', kind: 'combustible_gas', unit: '%LEL', periodS: 5 })).status,
    ).toBe(201);
    expect((await call('PATCH', '/api/v1/enterprises/E1/ledger', { grade: '1' })).status).toBe(200);
    expect((await call('POST', '/api/v1/inspections', { enterpriseId: 'E1', authorityId: 'K', origin: 'annual_plan' })).status).toBe(201);
    expect((await call('POST', '/api/v1/inspections', { enterpriseId: 'E1', authorityId: 'K', origin: 'random' })).status).toBe(409); // cap 1: refused, and recorded
    expect((await call('POST', '/api/v1/enterprises/import', 'id,name,sector,authorityId\nE2,乙,mine,K\n', { 'content-type': 'text/csv' })).status).toBe(200);
    expect((await call('POST', '/api/v1/officers', { id: 'o1', name: '值班员', authorityId: 'K' })).status).toBe(201);

    const all = await records();
    expect(all.map((r) => [r.action, r.subjectType, r.subjectId, r.actor])).toEqual([
      ['authority.created', 'authority', 'C', 'user:admin'],
      ['authority.created', 'authority', 'K', 'user:admin'],
      ['enterprise.created', 'enterprise', 'E1', 'user:admin'],
      ['gateway.created', 'gateway', 'G1', 'user:admin'],
      ['sensor.created', 'sensor', 'E1/GT-1', 'user:admin'],
      ['ledger.updated', 'enterprise', 'E1', 'user:admin'],
      ['inspection.recorded', 'inspection', expect.any(String), 'user:admin'],
      ['inspection.refused', 'enterprise', 'E1', 'user:admin'],
      ['enterprise.imported', 'enterprise', 'E2', 'user:admin'],
      ['officer.created', 'officer', 'o1', 'user:admin'],
    ]);
    expect(all.map((r) => r.seq)).toEqual([...all.keys()].map((i) => all[0]!.seq + i));
    expect(all[5]!.data).toMatchObject({ patch: { grade: '1' }, before: { grade: 'ungraded' }, after: { grade: '1' } });
    expect(all[7]!.data).toMatchObject({ code: 'CONFLICT', refusal: 'CAP_REACHED', reason: { zh: expect.stringContaining('已达上限') as unknown } });
    expect(JSON.stringify(all[3]!.data)).not.toMatch(/secret/i); // no secret, not even its hash
    expect((await records('?subjectType=enterprise&subjectId=E1')).map((r) => r.action)).toEqual([
      'enterprise.created',
      'ledger.updated',
      'inspection.refused',
    ]);
  });

  it('verifies the intact chain, through the API and the command', async () => {
    expect(await verify()).toMatchObject({ ok: true, audit: { ok: true, records: 10 }, alertEvents: { ok: true } });
    const r = await cli();
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toMatch(/audit trail: intact \(10 records\)/);
  });

  it('refuses to change or remove a record: corrections are new records', async () => {
    const [first] = await records();
    await expect(db.query(`UPDATE audit_log SET actor = 'user:someone' WHERE seq = $1`, [first!.seq])).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_log WHERE seq = $1', [first!.seq])).rejects.toThrow(/append-only/);
  });

  it('points at the edited record when a stored record is changed behind the trigger’s back', async () => {
    // as the database owner could: the chain still shows it
    await db.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
    const [, , third] = await records();
    await db.query(`UPDATE audit_log SET data = jsonb_set(data, '{name}', '"改过的名字"') WHERE seq = $1`, [third!.seq]);
    expect(await verify()).toMatchObject({ ok: false, audit: { ok: false, brokenAt: third!.seq, reason: expect.stringMatching(/edited/) as unknown } });
    const r = await cli();
    expect(r.code).toBe(1);
    expect(r.out).toContain(`audit trail: BROKEN at record ${third!.seq}`);
    // an edit of the actor is caught just the same
    await db.query(`UPDATE audit_log SET data = jsonb_set(data, '{name}', '"甲"'), actor = 'user:someone' WHERE seq = $1`, [third!.seq]);
    expect(await verify()).toMatchObject({ audit: { ok: false, brokenAt: third!.seq } });
    await db.query(`UPDATE audit_log SET actor = 'user:admin' WHERE seq = $1`, [third!.seq]);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('points at the record after a removed one', async () => {
    const all = await records();
    await db.query('DELETE FROM audit_log WHERE seq = $1', [all[4]!.seq]);
    expect(await verify()).toMatchObject({ ok: false, audit: { brokenAt: all[5]!.seq, reason: expect.stringMatching(/removed or inserted/) as unknown } });
  });

  it('refuses callers without the admin token', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/audit/verify' })).statusCode).toBe(401);
  });
});
