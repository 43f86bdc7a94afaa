/**
 * Attachments (issue #18) on the running platform with a PostgreSQL server and real HTTP: the bureau's size limit
 * (`attachments.maxBytes`) reaches the route, a file over it is refused with 413 before the platform stores
 * anything; a photo comes back byte for byte (bytea through node-postgres); bytes changed in the database are
 * refused, logged as an error and counted on /metrics.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../../platform/platform.ts';
import { storeFiredAlert } from '../../../testkit/alerts.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { jpegBytes } from '../../../testkit/attachments.ts';
import { startTestPlatform, type LogCapture } from '../../../testkit/platform.ts';
import { startPostgres, type TestPostgres } from '../../../testkit/postgres.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

/** The bureau's limit in this test (config `attachments.maxBytes`): 64 KiB, far below the platform default. */
const LIMIT = 64 * 1024;
let svc: TestServices;
let pgServer: TestPostgres;
let platform: Platform;
let logs: LogCapture;
let manager = '';
const base = () => `http://127.0.0.1:${platform.httpPort}`;

const upload = (bytes: Buffer, name: string) =>
  fetch(`${base()}/api/v1/alerts/A1/attachments?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${manager}`, 'content-type': 'image/jpeg' },
    body: new Uint8Array(bytes),
  });

beforeAll(async () => {
  [svc, pgServer] = await Promise.all([startTestServices('attpg'), startPostgres()]);
  ({ platform, logs } = await startTestPlatform(svc, 'attpg', { databaseUrl: pgServer.url, attachments: { maxBytes: LIMIT } }));
  const admin = new AdminClient(base(), platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'K1', name: '甲县应急管理局', level: 'county' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '企业甲', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await storeFiredAlert(platform.db, { id: 'A1', enterpriseId: 'E1', ruleId: 'gas.combustible', severity: 'red', at: Date.now() });
  ({ token: manager } = await admin.ok<{ token: string }>('POST', '/api/v1/officers', {
    id: 'sm-e1',
    name: '王工',
    role: 'safety_manager',
    enterpriseId: 'E1',
  }));
}, 60_000);

afterAll(async () => {
  await platform?.stop();
  await Promise.all([svc?.stop(), pgServer?.stop()]);
});

describe('attachments on PostgreSQL, over HTTP', () => {
  let id = '';
  const photo = jpegBytes(LIMIT);

  it("takes a file of the bureau's limit and serves it back byte for byte", async () => {
    const r = await upload(photo, '现场照片.jpg');
    expect(r.status).toBe(201);
    ({ id } = (await r.json()) as { id: string });
    const d = await fetch(`${base()}/api/v1/attachments/${id}`, { headers: { authorization: `Bearer ${manager}` } });
    expect(d.status).toBe(200);
    expect(Buffer.from(await d.arrayBuffer()).equals(photo)).toBe(true);
    expect(d.headers.get('x-content-sha256')).toBe(createHash('sha256').update(photo).digest('hex'));
  });

  it("refuses one byte over the bureau's limit with 413 in Chinese and English, storing nothing", async () => {
    const r = await upload(jpegBytes(LIMIT + 1), 'big.jpg');
    expect(r.status).toBe(413);
    const e = ((await r.json()) as { error: { code: string; maxBytes: number; reason: { zh: string; en: string } } }).error;
    expect(e).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', maxBytes: LIMIT });
    expect(e.reason.zh).toContain(`${LIMIT} 字节`);
    expect((await platform.db.query<{ n: string }>('SELECT count(*) AS n FROM attachments')).rows[0]!.n).toBe('1');
  });

  it('refuses bytes changed in the database: 500 INTEGRITY_FAILED, an error in the log, counted on /metrics', async () => {
    await platform.db.exec('ALTER TABLE attachments DISABLE TRIGGER attachments_append_only');
    try {
      await platform.db.query('UPDATE attachments SET content = set_byte(content, 500, (get_byte(content, 500) + 1) % 256) WHERE id = $1', [id]);
    } finally {
      await platform.db.exec('ALTER TABLE attachments ENABLE TRIGGER attachments_append_only');
    }
    const d = await fetch(`${base()}/api/v1/attachments/${id}`, { headers: { authorization: `Bearer ${manager}` } });
    expect(d.status).toBe(500);
    expect(((await d.json()) as { error: { code: string } }).error.code).toBe('INTEGRITY_FAILED');
    const logged = logs.find((l) => l.msg === 'attachment failed its integrity check: not served');
    expect(logged).toMatchObject({ level: 50, details: { id, recorded: createHash('sha256').update(photo).digest('hex') } });
    const metrics = await (await fetch(`${base()}/metrics`)).text();
    expect(metrics).toMatch(/^nss_attachment_integrity_failures_total 1$/m);
  });
});
