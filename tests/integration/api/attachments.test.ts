/**
 * Attachments of an alarm (issue #18) through the API on an in-memory PGlite ledger: an enterprise's safety
 * manager attaches a photo (Chinese file name) and a PDF to its own alarm and both come back byte for byte with
 * their SHA-256 (`X-Content-SHA256`, `Repr-Digest`); a duty officer of the jurisdiction attaches verification
 * evidence; too large a file is 413, a type not taken or not the one declared 415, an empty one 400 (Chinese and
 * English); another enterprise's user and an officer of another jurisdiction get 404 on upload, list and
 * download; an inspector may see the alarm but not attach (403); bytes changed in the database behind the
 * platform's back are refused (500 INTEGRITY_FAILED), logged and counted; every upload is on the audit trail.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApi } from '../../../api/server.ts';
import { AuditTrail } from '../../../core/audit.ts';
import type { Db } from '../../../core/db/db.ts';
import { createMetrics } from '../../../core/metrics.ts';
import { AttachmentStore, DEFAULT_ATTACHMENT_MAX_BYTES } from '../../../ledger/attachments.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { systemClock } from '../../../core/clock.ts';
import { storeFiredAlert } from '../../../testkit/alerts.ts';
import { exeBytes, heicBytes, htmlBytes, jpegBytes, pdfBytes, pngBytes } from '../../../testkit/attachments.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const NOW = Date.now();
let db: Db;
let app: ReturnType<typeof buildApi>;
const metrics = createMetrics({ defaultMetrics: false });
const token: Record<string, string> = {};

type Uploaded = { id: string; sha256: string; size: number; mediaType: string; filename: string };
type ErrorBody = { error: { code: string; message: string; reason?: { zh: string; en: string } } };

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const upload = (who: string, alertId: string, bytes: Buffer, contentType: string | undefined, name?: string) =>
  app.inject({
    method: 'POST',
    url: `/api/v1/alerts/${alertId}/attachments${name === undefined ? '' : `?name=${encodeURIComponent(name)}`}`,
    headers: { authorization: `Bearer ${token[who]}`, ...(contentType === undefined ? {} : { 'content-type': contentType }) },
    payload: bytes,
  });
const download = (who: string, id: string) =>
  app.inject({ method: 'GET', url: `/api/v1/attachments/${id}`, headers: { authorization: `Bearer ${token[who]}` } });
const list = (who: string, alertId: string) =>
  app.inject({ method: 'GET', url: `/api/v1/alerts/${alertId}/attachments`, headers: { authorization: `Bearer ${token[who]}` } });

/** Attachments stored, however refused requests went. */
const stored = async (): Promise<number> => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM attachments')).rows[0]!.n);

beforeAll(async () => {
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN, Date, { metrics }));
  token.admin = TEST_ADMIN_TOKEN;
  const p = new Provisioning(db, systemClock);
  await p.createAuthority({ id: 'C', name: '示例市应急管理局', level: 'city' });
  await p.createAuthority({ id: 'K1', name: '甲县应急管理局', level: 'county', parentId: 'C' });
  await p.createAuthority({ id: 'K2', name: '乙县应急管理局', level: 'county', parentId: 'C' });
  await p.createEnterprise({ id: 'E1', name: '企业甲', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await p.createEnterprise({ id: 'E2', name: '企业乙', sector: 'hazardous_chemicals', authorityId: 'K1' });
  for (const [id, enterpriseId] of [
    ['A1', 'E1'],
    ['A2', 'E2'],
  ] as const)
    await storeFiredAlert(db, { id, enterpriseId, ruleId: 'gas.combustible', severity: 'red', at: NOW });
  for (const o of [
    { id: 'sm-e1', role: 'safety_manager', enterpriseId: 'E1' },
    { id: 'rp-e2', role: 'responsible_person', enterpriseId: 'E2' },
    { id: 'duty-k1', role: 'duty_officer', authorityId: 'K1' },
    { id: 'insp-k1', role: 'inspector', authorityId: 'K1' },
    { id: 'duty-k2', role: 'duty_officer', authorityId: 'K2' },
  ]) {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/officers',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      payload: { name: o.id, ...o },
    });
    expect(r.statusCode, r.body).toBe(201);
    token[o.id] = r.json<{ token: string }>().token;
  }
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('upload and download', () => {
  const photo = jpegBytes(300 * 1024);
  const report = pdfBytes(20 * 1024);
  let photoId = '';
  let reportId = '';

  it("stores the enterprise's photo of its own alarm, with a Chinese file name, and answers its id, hash and size", async () => {
    const r = await upload('sm-e1', 'A1', photo, 'image/jpeg', '储罐区现场照片（整改后）.jpg');
    expect(r.statusCode, r.body).toBe(201);
    const body = r.json<Uploaded>();
    expect(body).toEqual({
      id: expect.stringMatching(/^att_[A-Za-z0-9_-]{22}$/) as unknown,
      sha256: sha256(photo),
      size: photo.length,
      mediaType: 'image/jpeg',
      filename: '储罐区现场照片（整改后）.jpg',
    });
    photoId = body.id;
  });

  it('serves it back byte for byte with its type, name and SHA-256 (X-Content-SHA256, Repr-Digest), never sniffed or cached publicly', async () => {
    for (const who of ['sm-e1', 'duty-k1', 'insp-k1', 'admin']) {
      const r = await download(who, photoId);
      expect(r.statusCode, `${who}: ${r.body.slice(0, 200)}`).toBe(200);
      expect(r.rawPayload.equals(photo)).toBe(true);
      expect(r.headers['content-type']).toBe('image/jpeg');
      expect(r.headers['x-content-sha256']).toBe(sha256(photo));
      expect(r.headers['repr-digest']).toBe(`sha-256=:${createHash('sha256').update(photo).digest('base64')}:`);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(String(r.headers['cache-control'])).toMatch(/^private/);
      expect(r.headers['content-disposition']).toBe(
        `attachment; filename="attachment.jpg"; filename*=UTF-8''${encodeURIComponent('储罐区现场照片（整改后）.jpg')}`,
      );
    }
  });

  it('stores and serves a PDF the same way; the file name is sanitised (last path segment, an extension of its type)', async () => {
    const r = await upload('sm-e1', 'A1', report, 'application/pdf', '..\\..\\整改报告\u202E.exe');
    expect(r.statusCode, r.body).toBe(201);
    const body = r.json<Uploaded>();
    expect(body).toMatchObject({ sha256: sha256(report), size: report.length, mediaType: 'application/pdf', filename: '整改报告.exe.pdf' });
    reportId = body.id;
    const d = await download('sm-e1', reportId);
    expect(d.statusCode).toBe(200);
    expect(d.rawPayload.equals(report)).toBe(true);
    expect(d.headers['content-type']).toBe('application/pdf');
    expect(d.headers['x-content-sha256']).toBe(sha256(report));
  });

  it('takes a HEIC phone photo declared image/heif, and a file without a name', async () => {
    const r = await upload('sm-e1', 'A1', heicBytes(), 'image/heif');
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json<Uploaded>()).toMatchObject({ mediaType: 'image/heic', filename: 'attachment.heic' });
  });

  it('lets a duty officer of the jurisdiction attach verification evidence to the alarm, which the enterprise does not see', async () => {
    const shot = pngBytes(8 * 1024);
    const r = await upload('duty-k1', 'A1', shot, 'image/png', '视频巡查截图.png');
    expect(r.statusCode, r.body).toBe(201);
    const l = await list('duty-k1', 'A1');
    expect(l.statusCode).toBe(200);
    const listed = l.json<{ attachments: (Uploaded & { uploadedBy: string; uploadedAt: string })[] }>().attachments;
    expect(listed.map((a) => [a.filename, a.uploadedBy])).toEqual([
      ['储罐区现场照片（整改后）.jpg', 'user:sm-e1'],
      ['整改报告.exe.pdf', 'user:sm-e1'],
      ['attachment.heic', 'user:sm-e1'],
      ['视频巡查截图.png', 'user:duty-k1'],
    ]);
    expect(listed[0]).toMatchObject({ id: photoId, sha256: sha256(photo), size: photo.length });
    expect(listed[0]).not.toHaveProperty('content');
    // the bureau's own evidence is kept from the enterprise, as its verification notes are
    const own = l.json<{ attachments: { id: string }[] }>().attachments;
    const enterprise = (await list('sm-e1', 'A1')).json<{ attachments: { uploadedBy: string }[] }>().attachments;
    expect(enterprise.map((a) => a.uploadedBy)).toEqual(['user:sm-e1', 'user:sm-e1', 'user:sm-e1']);
    expect((await download('sm-e1', own[3]!.id)).statusCode).toBe(404);
    expect((await download('duty-k1', own[3]!.id)).statusCode).toBe(200);
  });

  it('records every upload on the audit trail, with its hash and without its bytes', async () => {
    const [rec, ...more] = await new AuditTrail(db).list({ subjectType: 'attachment', subjectId: photoId });
    expect(more).toEqual([]);
    expect(rec).toMatchObject({
      actor: 'user:sm-e1',
      action: 'attachment.stored',
      data: { enterpriseId: 'E1', subject: { type: 'alert', id: 'A1' }, mediaType: 'image/jpeg', size: photo.length, sha256: sha256(photo) },
    });
    expect(JSON.stringify(rec!.data).length).toBeLessThan(1000);
    expect((await new AuditTrail(db).verify()).ok).toBe(true);
  });

  it('keeps attachments as evidence: the table refuses an update or a delete', async () => {
    await expect(db.query("UPDATE attachments SET filename = 'x.jpg' WHERE id = $1", [photoId])).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM attachments WHERE id = $1', [photoId])).rejects.toThrow(/append-only/);
  });

  it('refuses a file whose stored bytes were changed behind the platform’s back: not served, logged and counted (500 INTEGRITY_FAILED)', async () => {
    const before = (await metrics.attachmentIntegrityFailures.get()).values[0]?.value ?? 0;
    await db.exec('ALTER TABLE attachments DISABLE TRIGGER attachments_append_only');
    try {
      // one byte of the scan data flipped: same size, another hash
      await db.query('UPDATE attachments SET content = set_byte(content, 1000, (get_byte(content, 1000) + 1) % 256) WHERE id = $1', [reportId]);
    } finally {
      await db.exec('ALTER TABLE attachments ENABLE TRIGGER attachments_append_only');
    }
    const r = await download('sm-e1', reportId);
    expect(r.statusCode).toBe(500);
    expect(r.json<ErrorBody>().error).toMatchObject({ code: 'INTEGRITY_FAILED', reason: { zh: expect.stringContaining('SHA-256') as unknown } });
    expect(r.headers['content-type']).toContain('application/json');
    expect(r.body).not.toContain('%PDF');
    expect((await metrics.attachmentIntegrityFailures.get()).values[0]?.value).toBe(before + 1);
    // the other files are unaffected
    expect((await download('sm-e1', photoId)).statusCode).toBe(200);
  });
});

describe('what is refused', () => {
  it(`refuses a file over the limit with 413 as it arrives (platform default ${DEFAULT_ATTACHMENT_MAX_BYTES} bytes), in Chinese and English`, async () => {
    const before = await stored();
    const r = await upload('sm-e1', 'A1', jpegBytes(DEFAULT_ATTACHMENT_MAX_BYTES + 1), 'image/jpeg', 'big.jpg');
    expect(r.statusCode).toBe(413);
    const e = r.json<ErrorBody>().error;
    expect(e.code).toBe('PAYLOAD_TOO_LARGE');
    expect(e.reason!.zh).toContain('10 MiB');
    expect(e.reason!.zh).toContain('attachments.maxBytes');
    expect(e.reason!.en).toContain(String(DEFAULT_ATTACHMENT_MAX_BYTES));
    expect(await stored()).toBe(before);
    // a file of exactly the limit is taken
    expect((await upload('sm-e1', 'A1', jpegBytes(DEFAULT_ATTACHMENT_MAX_BYTES), 'image/jpeg', 'limit.jpg')).statusCode).toBe(201);
  });

  it("the store checks the size too (the bureau's smaller limit)", async () => {
    const small = new AttachmentStore(db, systemClock, { maxBytes: 1024 });
    await expect(
      small.put({ enterpriseId: 'E1', subject: { type: 'alert', id: 'A1' }, contentType: 'image/jpeg', bytes: jpegBytes(1025), actor: 'user:sm-e1' }),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', expose: { maxBytes: 1024, size: 1025 } });
  });

  it.each([
    ['an executable declared image/jpeg', exeBytes(), 'image/jpeg', '文件内容不是'],
    ['an HTML page declared image/jpeg', htmlBytes(), 'image/jpeg', '文件内容不是'],
    ['an HTML page declared text/html', htmlBytes(), 'text/html', '不接受声明的类型 text/html'],
    ['a PDF declared image/png', pdfBytes(), 'image/png', '与声明的类型 image/png 不符'],
    ['a JPEG declared application/octet-stream', jpegBytes(), 'application/octet-stream', '不接受声明的类型'],
    ['JSON', Buffer.from('{"a":1}'), 'application/json', '不接受声明的类型 application/json'],
    ['a JPEG without a Content-Type', jpegBytes(), undefined, '不接受声明的类型'],
  ])('refuses %s with 415, in Chinese and English', async (_name, bytes, contentType, zh) => {
    const before = await stored();
    const r = await upload('sm-e1', 'A1', bytes, contentType, 'x.jpg');
    expect(r.statusCode, r.body).toBe(415);
    const e = r.json<ErrorBody>().error;
    expect(e.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(e.reason!.zh).toContain(zh);
    expect(e.reason!.en.length).toBeGreaterThan(10);
    expect(await stored()).toBe(before);
  });

  it('refuses an empty file with 400', async () => {
    const r = await upload('sm-e1', 'A1', Buffer.alloc(0), 'image/jpeg', 'empty.jpg');
    expect(r.statusCode).toBe(400);
    expect(r.json<ErrorBody>().error.reason).toEqual({ zh: '上传的文件为空', en: 'the file is empty' });
  });

  it("answers another enterprise's user 404 on upload, list and download, as if nothing were there", async () => {
    const before = await stored();
    expect((await upload('rp-e2', 'A1', jpegBytes(), 'image/jpeg')).statusCode).toBe(404);
    expect((await list('rp-e2', 'A1')).statusCode).toBe(404);
    const [mine] = (await list('sm-e1', 'A1')).json<{ attachments: Uploaded[] }>().attachments;
    const r = await download('rp-e2', mine!.id);
    expect(r.statusCode).toBe(404);
    expect(r.json<ErrorBody>().error.code).toBe('NOT_FOUND');
    expect(r.rawPayload.includes(Buffer.from([0xff, 0xd8, 0xff]))).toBe(false);
    // and its own alarm is its own: E1's safety manager cannot attach to E2's
    expect((await upload('sm-e1', 'A2', jpegBytes(), 'image/jpeg')).statusCode).toBe(404);
    expect(await stored()).toBe(before);
    // an id that does not exist is the same 404
    expect((await download('sm-e1', 'att_AAAAAAAAAAAAAAAAAAAAAA')).statusCode).toBe(404);
  });

  it('answers an officer outside the jurisdiction 404 on upload, list and download', async () => {
    const before = await stored();
    expect((await upload('duty-k2', 'A1', jpegBytes(), 'image/jpeg')).statusCode).toBe(404);
    expect((await list('duty-k2', 'A1')).statusCode).toBe(404);
    const [mine] = (await list('sm-e1', 'A1')).json<{ attachments: Uploaded[] }>().attachments;
    expect((await download('duty-k2', mine!.id)).statusCode).toBe(404);
    expect(await stored()).toBe(before);
  });

  it('lets an inspector see the attachments but not attach (403, before the body is read)', async () => {
    const before = await stored();
    const r = await upload('insp-k1', 'A1', jpegBytes(), 'image/jpeg');
    expect(r.statusCode).toBe(403);
    expect(r.json<ErrorBody>().error.reason!.zh).toContain('无权上传附件');
    // refused before the body: even one over the limit is a 403, not a 413
    expect((await upload('insp-k1', 'A1', jpegBytes(DEFAULT_ATTACHMENT_MAX_BYTES + 1), 'image/jpeg')).statusCode).toBe(403);
    expect((await list('insp-k1', 'A1')).statusCode).toBe(200);
    expect(await stored()).toBe(before);
  });

  it('answers 401 without a token, and 400 naming the field for a bad query', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/alerts/A1/attachments', headers: { 'content-type': 'image/jpeg' }, payload: jpegBytes() });
    expect(r.statusCode).toBe(401);
    const q = await app.inject({
      method: 'POST',
      url: '/api/v1/alerts/A1/attachments?filename=x.jpg',
      headers: { authorization: `Bearer ${token['sm-e1']}`, 'content-type': 'image/jpeg' },
      payload: jpegBytes(),
    });
    expect(q.statusCode).toBe(400);
    expect(q.json<ErrorBody>().error.message).toContain('query');
  });
});

describe('checkOwned: the ids a feedback refers to', () => {
  it("returns the alarm's own attachments, and refuses (400, naming them) another subject's, another enterprise's or unknown ids", async () => {
    const store = new AttachmentStore(db, systemClock);
    const own = await store.list({ kind: 'enterprise', enterpriseId: 'E1' }, { type: 'alert', id: 'A1' });
    const ids = own.slice(0, 2).map((a) => a.id);
    expect((await store.checkOwned('E1', { type: 'alert', id: 'A1' }, [...ids, ids[0]!])).map((a) => a.id)).toEqual(ids);
    expect(await store.checkOwned('E1', { type: 'alert', id: 'A1' }, [])).toEqual([]);
    await expect(store.checkOwned('E2', { type: 'alert', id: 'A1' }, ids)).rejects.toMatchObject({ code: 'BAD_REQUEST', expose: { attachmentIds: ids } });
    await expect(store.checkOwned('E1', { type: 'alert', id: 'A2' }, ids)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(store.checkOwned('E1', { type: 'alert', id: 'A1' }, [ids[0]!, 'att_nope'])).rejects.toMatchObject({ expose: { attachmentIds: ['att_nope'] } });
  });
});
