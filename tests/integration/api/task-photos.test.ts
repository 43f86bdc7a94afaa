/**
 * The inspector's phone (issue #20 §8) through the API on an in-memory PGlite ledger: findings that leave a
 * checklist item unanswered, or name one not on it, are refused with 400 naming the items (Chinese and English)
 * and change nothing; the assigned inspector attaches a photo to the task on site (201, the attachment store:
 * SHA-256, type checked — a file that is not what it says is 415, an empty one 400), and its findings name the
 * photo's id as evidence; another inspector (403), a duty officer (403, tasks.work) and an officer of another
 * jurisdiction (404) may not; the task's photos are listed for those who may read the task and downloaded byte
 * for byte; a task not on site takes no photo (409). The task detail carries the enterprise's address and WGS-84
 * coordinates. The console's web app manifest, service worker and icons are served with their types.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApi } from '../../../api/server.ts';
import type { Db } from '../../../core/db/db.ts';
import { systemClock } from '../../../core/clock.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { storeFiredAlert } from '../../../testkit/alerts.ts';
import { exeBytes, jpegBytes } from '../../../testkit/attachments.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const NOW = Date.now();
let db: Db;
let app: ReturnType<typeof buildApi>;
const token: Record<string, string> = { admin: TEST_ADMIN_TOKEN };

type ErrorBody = { error: { code: string; message: string; task?: string; items?: string[]; reason?: { zh: string; en: string } } };
interface TaskBody {
  id: string;
  state: string;
  checklist: { id: string; zh: string; en: string }[];
  findings: { itemId: string; evidence: string[] }[];
}

const call = (who: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${token[who]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
const upload = (who: string, taskId: string, bytes: Buffer, contentType: string, name = '现场照片.jpg') =>
  app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${taskId}/attachments?name=${encodeURIComponent(name)}`,
    headers: { authorization: `Bearer ${token[who]}`, 'content-type': contentType },
    payload: bytes,
  });

const PLACE = { address: '甲县化工园区纬三路 8 号', longitude: 118.796877, latitude: 32.060255 };

/**
 * A task of a red alarm of a fresh enterprise of K1 (with its address and coordinates when `located`; an alarm of
 * the same enterprise and matter would join an open task), assigned to insp-k1, accepted and on site.
 */
async function onSite(alertId: string, located = true): Promise<TaskBody> {
  const enterpriseId = `E-${alertId}`;
  await new Provisioning(db, systemClock).createEnterprise({
    id: enterpriseId,
    name: `企业${alertId}`,
    sector: 'hazardous_chemicals',
    authorityId: 'K1',
    ...(located ? PLACE : {}),
  });
  await storeFiredAlert(db, { id: alertId, enterpriseId, ruleId: 'gas.combustible', severity: 'red', at: NOW });
  const opened = await call('admin', 'POST', '/api/v1/tasks', { alertId });
  expect(opened.statusCode, opened.body).toBe(201);
  const id = opened.json<{ task: TaskBody }>().task.id;
  for (const [who, step, body] of [
    ['admin', 'assign', { inspectorId: 'insp-k1' }],
    ['insp-k1', 'accept', {}],
    ['insp-k1', 'arrive', {}],
  ] as const) {
    const r = await call(who, 'POST', `/api/v1/tasks/${id}/${step}`, body);
    expect(r.statusCode, r.body).toBe(200);
  }
  return (await call('insp-k1', 'GET', `/api/v1/tasks/${id}`)).json<{ task: TaskBody }>().task;
}

beforeAll(async () => {
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN, Date));
  const p = new Provisioning(db, systemClock);
  await p.createAuthority({ id: 'C', name: '示例市应急管理局', level: 'city' });
  await p.createAuthority({ id: 'K1', name: '甲县应急管理局', level: 'county', parentId: 'C' });
  await p.createAuthority({ id: 'K2', name: '乙县应急管理局', level: 'county', parentId: 'C' });
  for (const o of [
    { id: 'insp-k1', role: 'inspector', authorityId: 'K1' },
    { id: 'insp-k1b', role: 'inspector', authorityId: 'K1' },
    { id: 'duty-k1', role: 'duty_officer', authorityId: 'K1' },
    { id: 'insp-k2', role: 'inspector', authorityId: 'K2' },
  ]) {
    const r = await call('admin', 'POST', '/api/v1/officers', { name: o.id, ...o });
    expect(r.statusCode, r.body).toBe(201);
    token[o.id] = r.json<{ token: string }>().token;
  }
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('findings must answer every checklist item', () => {
  it('a submission missing items is refused with 400 naming them, in Chinese and English, and the task stays on site', async () => {
    const task = await onSite('A-MISSING');
    expect(task.checklist.length).toBeGreaterThan(2);
    const [first, ...rest] = task.checklist;
    const r = await call('insp-k1', 'POST', `/api/v1/tasks/${task.id}/findings`, {
      findings: [{ itemId: first!.id, result: 'hazard', note: '探头堵塞' }],
    });
    expect(r.statusCode, r.body).toBe(400);
    const e = r.json<ErrorBody>().error;
    expect(e.task).toBe('ITEMS_MISSING');
    expect(e.items).toEqual(rest.map((i) => i.id));
    expect(e.reason!.zh).toContain(`第 2 项（${rest[0]!.zh}）`);
    expect(e.reason!.en).toContain(`no. 2 (${rest[0]!.en})`);
    expect(e.message).toContain(rest.at(-1)!.id);
    expect((await call('insp-k1', 'GET', `/api/v1/tasks/${task.id}`)).json<{ task: TaskBody }>().task.state).toBe('on_site');
  });

  it('an item not on the checklist is refused with 400 naming it', async () => {
    const task = await onSite('A-UNKNOWN');
    const findings = [...task.checklist.map((i) => ({ itemId: i.id, result: 'ok' })), { itemId: 'no.such.item', result: 'ok' }];
    const r = await call('insp-k1', 'POST', `/api/v1/tasks/${task.id}/findings`, { findings });
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json<ErrorBody>().error.items).toEqual(['no.such.item']);
    expect(r.json<ErrorBody>().error.reason!.zh).toContain('不在检查表上');
  });
});

describe('photo evidence of a task', () => {
  let task: TaskBody;
  const photo = jpegBytes(40 * 1024);
  let photoId = '';

  beforeAll(async () => {
    task = await onSite('A-PHOTO');
  });

  it('the assigned inspector attaches a photo on site; the findings name it; it is listed and downloaded byte for byte', async () => {
    const r = await upload('insp-k1', task.id, photo, 'image/jpeg');
    expect(r.statusCode, r.body).toBe(201);
    const a = r.json<{ id: string; sha256: string; mediaType: string; filename: string }>();
    expect(a.sha256).toBe(createHash('sha256').update(photo).digest('hex'));
    expect(a.mediaType).toBe('image/jpeg');
    expect(a.filename).toBe('现场照片.jpg');
    photoId = a.id;

    const findings = task.checklist.map((i, n) => ({
      itemId: i.id,
      result: n === 0 ? 'hazard' : 'ok',
      note: n === 0 ? '探头堵塞' : '',
      evidence: n === 0 ? [photoId] : [],
    }));
    const f = await call('insp-k1', 'POST', `/api/v1/tasks/${task.id}/findings`, { findings });
    expect(f.statusCode, f.body).toBe(200);
    expect(f.json<{ task: TaskBody }>().task.findings[0]!.evidence).toEqual([photoId]);

    for (const who of ['insp-k1', 'duty-k1']) {
      const l = await call(who, 'GET', `/api/v1/tasks/${task.id}/attachments`);
      expect(l.statusCode, l.body).toBe(200);
      expect(l.json<{ attachments: { id: string }[] }>().attachments.map((x) => x.id)).toEqual([photoId]);
    }
    const d = await call('duty-k1', 'GET', `/api/v1/attachments/${photoId}`);
    expect(d.statusCode).toBe(200);
    expect(d.rawPayload.equals(photo)).toBe(true);
  });

  it("evidence naming an attachment that is not this task's is refused (400), naming it", async () => {
    const other = await onSite('A-FOREIGN');
    const up = await upload('insp-k1', other.id, jpegBytes(4096), 'image/jpeg');
    expect(up.statusCode, up.body).toBe(201);
    const foreign = up.json<{ id: string }>().id;
    const t4 = await onSite('A-FOREIGN2');
    const findings = t4.checklist.map((i) => ({ itemId: i.id, result: 'ok', evidence: i === t4.checklist[0] ? [foreign, 'photo:paper-record-7'] : [] }));
    const r = await call('insp-k1', 'POST', `/api/v1/tasks/${t4.id}/findings`, { findings });
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json<ErrorBody & { error: { attachmentIds: string[] } }>().error.attachmentIds).toEqual([foreign]);
    expect(r.json<ErrorBody>().error.reason!.zh).toContain('检查任务');
  });

  it('a task no longer on site takes no photo (409)', async () => {
    const r = await upload('insp-k1', task.id, jpegBytes(4096), 'image/jpeg');
    expect(r.statusCode, r.body).toBe(409);
    expect(r.json<ErrorBody>().error.reason!.zh).toContain('现场检查或复查');
  });

  it('others may not attach: another inspector 403, a duty officer 403, another jurisdiction 404', async () => {
    const t2 = await onSite('A-OTHERS');
    expect((await upload('insp-k1b', t2.id, jpegBytes(4096), 'image/jpeg')).statusCode).toBe(403);
    expect((await upload('duty-k1', t2.id, jpegBytes(4096), 'image/jpeg')).statusCode).toBe(403);
    expect((await upload('insp-k2', t2.id, jpegBytes(4096), 'image/jpeg')).statusCode).toBe(404);
    expect((await call('insp-k2', 'GET', `/api/v1/tasks/${t2.id}/attachments`)).statusCode).toBe(404);
    expect((await call('insp-k1', 'GET', `/api/v1/tasks/${t2.id}/attachments`)).json<{ attachments: unknown[] }>().attachments).toEqual([]);
  });

  it('the same checks as any attachment: not the type declared 415, empty 400', async () => {
    const t3 = await onSite('A-TYPES');
    const exe = await upload('insp-k1', t3.id, exeBytes(), 'image/jpeg');
    expect(exe.statusCode, exe.body).toBe(415);
    expect(exe.json<ErrorBody>().error.reason!.zh).toBeTruthy();
    expect((await upload('insp-k1', t3.id, Buffer.alloc(0), 'image/jpeg')).statusCode).toBe(400);
  });
});

describe('the enterprise on the task', () => {
  it('the task detail carries the address and WGS-84 coordinates; none on record: null', async () => {
    const t1 = await onSite('A-PLACE1');
    const t2 = await onSite('A-PLACE2', false);
    const p1 = (await call('insp-k1', 'GET', `/api/v1/tasks/${t1.id}`)).json<{ place: unknown }>().place;
    expect(p1).toEqual(PLACE);
    const p2 = (await call('insp-k1', 'GET', `/api/v1/tasks/${t2.id}`)).json<{ place: unknown }>().place;
    expect(p2).toEqual({ address: null, longitude: null, latitude: null });
  });
});

describe('the installable web app', () => {
  it('serves the manifest, the service worker and the icons', async () => {
    const m = await app.inject({ method: 'GET', url: '/manifest.webmanifest' });
    expect(m.statusCode).toBe(200);
    expect(m.headers['content-type']).toContain('application/manifest+json');
    const manifest = m.json<{ name: string; lang: string; display: string; start_url: string; icons: { src: string; sizes: string }[] }>();
    expect(manifest).toMatchObject({ name: '非现场监管平台', lang: 'zh-CN', display: 'standalone' });
    expect(manifest.start_url.startsWith('/')).toBe(true);
    for (const icon of manifest.icons) {
      const i = await app.inject({ method: 'GET', url: icon.src });
      expect(i.statusCode).toBe(200);
      expect(i.headers['content-type']).toBe('image/png');
      const size = Number(icon.sizes.split('x')[0]);
      // the PNG's IHDR says the size the manifest claims
      expect(i.rawPayload.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(i.rawPayload.readUInt32BE(16)).toBe(size);
      expect(i.rawPayload.readUInt32BE(20)).toBe(size);
    }
    const sw = await app.inject({ method: 'GET', url: '/sw.js' });
    expect(sw.statusCode).toBe(200);
    expect(sw.headers['content-type']).toContain('text/javascript');
    expect(sw.headers['cache-control']).toBe('no-cache');
    expect(sw.body).toContain("addEventListener('fetch'");
    const again = await app.inject({ method: 'GET', url: '/sw.js', headers: { 'if-none-match': String(sw.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });
});
