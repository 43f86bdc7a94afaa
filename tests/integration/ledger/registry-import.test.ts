/**
 * The point registry imported and exported as spreadsheets through the HTTP API, on a real (in-memory) PGlite
 * ledger: a UTF-8 CSV with English headers, a GBK CSV with Chinese headers (the Chinese comes back intact), an
 * XLSX workbook; all or nothing (one bad row among good ones writes nothing, and every problem is listed with
 * its row); an export imports again as a no-op; IS_USE 0 stops a point with its reason, the importer and the
 * clock; the rules see the imported links (the coverage report's `link_by_zone` goes away).
 */
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server.ts';
import { FakeClock } from '../../../core/clock.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import type { InfluxClient } from '../../../core/influx/client.ts';
import { createLogger } from '../../../core/logger.ts';
import { createMetrics, type Metrics } from '../../../core/metrics.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const CSV = 'text/csv';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** The clock of the ledger's records: 2026-12-01 10:00:00 in Beijing. */
const NOW = Date.parse('2026-12-01T02:00:00Z');

let db: Db;
let metrics: Metrics;
let app: ReturnType<typeof buildApi>;
/** Gateways whose caches the ledger told to drop their entries. */
const changedGateways: string[] = [];
/** Each test imports into an enterprise of its own (R1, R2, …) with gateway G<n> and hazard source HS-<n>. */
let n = 0;
let E: string;
let G: string;
let HS: string;

/** Influx is not reached by these routes. */
const noInflux = {} as InfluxClient;

beforeAll(async () => {
  const logger = createLogger({ level: 'silent' });
  db = await openDb({ pgliteDir: 'memory://', logger });
  metrics = createMetrics({ defaultMetrics: false });
  const provisioning = new Provisioning(db, new FakeClock(NOW), { onGatewayChanged: (g) => changedGateways.push(g) });
  app = buildApi({ adminToken: TEST_ADMIN_TOKEN }, { db, influx: noInflux, provisioning, metrics, logger, clock: { now: () => NOW } });
  await app.ready();
  await call('POST', '/api/v1/authorities', { id: 'K1', name: '甲县局', level: 'county' }, 201);
  await call('POST', '/api/v1/enterprises', { id: 'OTHER', name: '另一企业', sector: 'hazardous_chemicals' }, 201);
  await call('POST', '/api/v1/gateways', { id: 'G-OTHER', enterpriseId: 'OTHER' }, 201);
});

beforeEach(async () => {
  n++;
  E = `R${n}`;
  G = `G${n}`;
  HS = `HS-${n}`;
  await call('POST', '/api/v1/enterprises', { id: E, name: `企业 ${E}`, sector: 'hazardous_chemicals' }, 201);
  await call('POST', '/api/v1/gateways', { id: G, enterpriseId: E }, 201);
  const persons = {
    main: { name: '张主要', phone: '13800138000' },
    technical: { name: '李技术', phone: '13800138001' },
    operational: { name: '王操作', phone: '13800138002' },
  };
  await call('POST', `/api/v1/enterprises/${E}/hazard-sources`, { code: HS, name: '储罐区', rValue: 50, persons }, 201);
  changedGateways.length = 0;
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

async function call(method: 'GET' | 'POST', url: string, payload?: object, status?: number) {
  const r = await app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
  if (status !== undefined) expect(r.statusCode, r.body).toBe(status);
  return r;
}

function upload(body: Buffer | string, contentType = CSV, query = '') {
  return app.inject({
    method: 'POST',
    url: `/api/v1/enterprises/${E}/points/import${query}`,
    headers: { ...auth, 'content-type': contentType },
    payload: typeof body === 'string' ? Buffer.from(body) : body,
  });
}

interface Result {
  created: number;
  updated: number;
  unchanged: number;
  stopped: number;
  resumed: number;
  points: number;
  dryRun: boolean;
}
interface Problem {
  row: number;
  column: string | null;
  zh: string;
  en: string;
}
interface Point {
  id: string;
  kind: string;
  gatewayId: string;
  name: string;
  tagNo: string;
  location?: string;
  marks?: Record<string, number>;
  links?: Record<string, string[]>;
  hazardSourceCode?: string;
  stopped?: { at: string; reason: string; by: string };
}

async function imported(body: Buffer | string, contentType = CSV, query = ''): Promise<Result> {
  const r = await upload(body, contentType, query);
  expect(r.statusCode, r.body).toBe(200);
  return r.json<Result>();
}
async function refused(body: Buffer | string, contentType = CSV): Promise<{ code: string; message: string; errors: Problem[] }> {
  const r = await upload(body, contentType);
  expect(r.statusCode, r.body).toBe(400);
  return r.json<{ error: { code: string; message: string; errors: Problem[] } }>().error;
}
const sensors = async (): Promise<Point[]> => (await call('GET', `/api/v1/enterprises/${E}/sensors`, undefined, 200)).json<{ sensors: Point[] }>().sensors;
const exported = (query: string) => app.inject({ method: 'GET', url: `/api/v1/enterprises/${E}/points/export?${query}`, headers: auth });
const audit = async (): Promise<{ actor: string; action: string; subject_id: string }[]> =>
  (
    await db.query<{ actor: string; action: string; subject_id: string }>(
      `SELECT actor, action, subject_id FROM audit_log WHERE subject_id = $1 OR subject_id LIKE $2 ORDER BY seq`,
      [E, `${E}/%`],
    )
  ).rows;
async function coverage(pointId: string): Promise<{ status: string; linksByZone: { ruleId: string; relation: string }[] }> {
  const r = await call('GET', `/api/v1/coverage?enterpriseId=${E}`, undefined, 200);
  const p = r
    .json<{ points: { pointId: string; status: string; linksByZone: { ruleId: string; relation: string }[] }[] }>()
    .points.find((x) => x.pointId === pointId);
  if (!p) throw new Error(`no coverage of ${pointId}`);
  return p;
}

/** A tank farm in English headers: a tank level with four marks and its inlet valve, the valve, a gas detector; `links` for the level. */
const englishSheet = (links = 'inlet_valve:V-101', use = '1', reason = '') =>
  [
    'TARGET_CODE,BIT_NO,POINT_ID,POINT_NAME,GATEWAY_CODE,UNIT,PERIOD_S,LOW_VALUE,TOP_VALUE,LOW_VALUE_01,LOW_VALUE_02,TOP_VALUE_01,TOP_VALUE_02,ZONE,ROLE,CAS_NO,HAZARD_CODE,IS_USE,STOP_REASON,LINKS',
    `YW,LIA-201,LT-201,Tank 1 level,${G},m,10,0,15,1,2,12,13.5,tank-farm,tank_level,,${HS},1,,${links}`,
    `FMZT,V-101,,Tank 1 inlet valve,${G},,5,,,,,,,tank-farm,,,,1,,`,
    `KRQT,GT-101,,Methane detector,${G},%LEL,10,0,100,,,20,50,tank-farm,,74-82-8,${HS},${use},${reason},`,
  ].join('\r\n') + '\r\n';

describe('import', () => {
  it('a UTF-8 CSV with English headers: points, marks, links and the hazard source written; audited; the gateway’s caches told', async () => {
    expect(await imported(englishSheet())).toEqual({ created: 3, updated: 0, unchanged: 0, stopped: 0, resumed: 0, points: 3, dryRun: false });
    const [gt, lt, v] = await sensors();
    expect(lt).toMatchObject({
      id: 'LT-201',
      tagNo: 'LIA-201',
      kind: 'level',
      name: 'Tank 1 level',
      marks: { lowLow: 1, low: 2, high: 12, highHigh: 13.5 },
      links: { inlet_valve: ['V-101'] },
      hazardSourceCode: HS,
    });
    expect(v).toMatchObject({ id: 'V-101', tagNo: 'V-101', kind: 'valve' });
    expect(gt).toMatchObject({ id: 'GT-101', kind: 'combustible_gas', casNo: '74-82-8', marks: { high: 20, highHigh: 50 } });
    expect(changedGateways).toEqual([G]);
    const a = await audit();
    expect(a.filter((x) => x.action === 'sensor.created').map((x) => x.subject_id)).toEqual([`${E}/LT-201`, `${E}/V-101`, `${E}/GT-101`]);
    expect(a.at(-1)).toEqual({ actor: 'user:admin', action: 'registry.imported', subject_id: E });
  });

  it('a GBK CSV with Chinese headers: the Chinese names come back intact', async () => {
    const text = [
      '指标编码,位号,测点名称,网关编码,计量单位,上报周期(秒),量程下限,量程上限,高报,高高报,安装位置,是否启用',
      `液位,LT-301,一号储罐液位,${G},m,10,0,15,12,13.5,罐区东侧（防火堤内）,是`,
      `可燃气体,GT-301,罐区可燃气体探测器,${G},%LEL,10,0,100,20,50,泵房北墙,在用`,
    ].join('\r\n');
    const gbk = iconv.encode(text, 'gbk');
    // the bytes are not UTF-8: read as UTF-8 they would turn into replacement characters
    expect(Buffer.from(gbk).toString('utf8')).toContain('\uFFFD');
    expect(await imported(gbk, 'text/csv; charset=gbk')).toMatchObject({ created: 2 });
    const listed = await sensors();
    expect(listed.map((p) => [p.id, p.name, p.location])).toEqual([
      ['GT-301', '罐区可燃气体探测器', '泵房北墙'],
      ['LT-301', '一号储罐液位', '罐区东侧（防火堤内）'],
    ]);
    expect(JSON.stringify(listed)).not.toContain('\uFFFD');

    // and a GBK export gives the same text back
    const r = await exported('encoding=gbk');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=gbk');
    const back = iconv.decode(r.rawPayload, 'gbk');
    expect(back.split('\r\n')[0]).toMatch(/^指标编码,位号,测点编号,测点名称,网关编码/);
    expect(back).toContain('一号储罐液位');
    expect(back).toContain('罐区东侧（防火堤内）');
  });

  it('an XLSX workbook built in Excel’s format: numbers as numbers, Chinese headers', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('测点');
    ws.addRow(['指标编码', '位号', '测点名称', '网关编码', '计量单位', '上报周期(秒)', '量程下限', '量程上限', '低报', '高报', '是否启用', '停用原因']);
    ws.addRow(['WD', 'TT-401', '反应釜温度', G, '℃', 10, 0, 300, 5, 180, 1, '']);
    ws.addRow(['YL', 'PT-401', '反应釜压力', G, 'MPa', 10, 0, 4, 0.1, 2.5, 0, '仪表检修']);
    const r = await imported(Buffer.from(await wb.xlsx.writeBuffer()), XLSX);
    expect(r).toMatchObject({ created: 2, stopped: 1 });
    const [pt, tt] = await sensors();
    expect(tt).toMatchObject({ id: 'TT-401', name: '反应釜温度', marks: { low: 5, high: 180 } });
    expect(pt).toMatchObject({ id: 'PT-401', stopped: { reason: '仪表检修', by: 'user:admin', at: new Date(NOW).toISOString() } });
  });

  it('dryRun=true checks and counts, and writes nothing', async () => {
    expect(await imported(englishSheet(), CSV, '?dryRun=true')).toEqual({
      created: 3,
      updated: 0,
      unchanged: 0,
      stopped: 0,
      resumed: 0,
      points: 3,
      dryRun: true,
    });
    expect(await sensors()).toEqual([]);
    expect((await audit()).filter((x) => x.action !== 'enterprise.created' && x.action !== 'hazard_source.created')).toEqual([]);
  });
});

describe('all or nothing', () => {
  it('one bad row among good ones writes nothing; every problem is listed with its row and column', async () => {
    const sheet = [
      'TARGET_CODE,BIT_NO,GATEWAY_CODE,UNIT,PERIOD_S,TOP_VALUE_01,TOP_VALUE_02,HAZARD_CODE,LINKS',
      `YW,LT-1,${G},m,10,12,13,,inlet_valve:V-1`, // good (its valve is row 3)
      `FMZT,V-1,${G},,5,,,,`, // good
      `YW,LT-2,G-OTHER,m,10,12,13,,`, // another enterprise's gateway
      `YW,LT-3,${G},m,10,12,13,HS-NONE,`, // no such hazard source
      `YW,LT-4,${G},m,10,12,13,,inlet_valve:V-404`, // no such point
      `YW,LT-5,${G},m,10,12,13,,inlet_valve:LT-1`, // an inlet valve that is a level
      `YW,LT-6,G-NONE,m,10,12,13,,`, // no such gateway
    ].join('\n');
    const error = await refused(sheet);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/^测点登记表未导入：5 处问题，未写入任何测点 \/ the point registry was not imported: 5 problem\(s\); nothing was written$/);
    expect(error.errors.map((p) => `${p.row} ${p.column}`)).toEqual(['4 GATEWAY_CODE', '5 HAZARD_CODE', '6 LINKS', '7 LINKS', '8 GATEWAY_CODE']);
    expect(error.errors[0]!.zh).toBe(`网关 G-OTHER 属于企业 OTHER，不属于 ${E}`);
    expect(error.errors[3]!.en).toMatch(/inlet valve link points to a valve point, not level/);
    expect(await sensors()).toEqual([]);
    expect(changedGateways).toEqual([]);
    expect((await audit()).map((x) => x.action)).not.toContain('registry.imported');
  });

  it('problems the sheet shows by itself come back the same way, with the rows they repeat', async () => {
    const error = await refused(
      `TARGET_CODE,BIT_NO,GATEWAY_CODE,UNIT,PERIOD_S,LOW_VALUE_01,IS_USE\nKRQT,GT-1,${G},%LEL,10,5,1\nXX,GT-2,${G},%LEL,10,,1\nKRQT,GT-1,${G},%LEL,10,,0\n`,
    );
    expect(error.errors.map((p) => `${p.row} ${p.column}`)).toEqual(['2 LOW_VALUE_01', '3 TARGET_CODE', '4 STOP_REASON', '4 BIT_NO', '4 BIT_NO']);
    expect(error.errors[0]).toMatchObject({ zh: '可燃气体只能登记高报、高高报', en: 'LOW_VALUE_01: a combustible_gas point takes only high, high-high marks' });
    expect(await sensors()).toEqual([]);
  });

  it('a tag number another registered point holds, and a kind changed, are refused', async () => {
    await imported(englishSheet());
    const error = await refused(`TARGET_CODE,BIT_NO,POINT_ID,GATEWAY_CODE,UNIT,PERIOD_S\nYW,LIA-201,LT-999,${G},m,10\nWD,V-101,,${G},℃,10\n`);
    expect(error.errors.map((p) => `${p.row} ${p.column}`)).toEqual(['2 BIT_NO', '3 TARGET_CODE']);
    expect(error.errors[0]!.en).toBe(`tag number LIA-201 is already used by point LT-201 of enterprise ${E}`);
    expect((await sensors()).map((p) => p.id)).toEqual(['GT-101', 'LT-201', 'V-101']);
  });

  it('a link given by the point’s own tag number, or the same target twice by id and by tag, is a row problem (400), not a server error', async () => {
    const error = await refused(
      `TARGET_CODE,BIT_NO,POINT_ID,GATEWAY_CODE,UNIT,PERIOD_S,LINKS\nLL,FIT-1,FT-1,${G},m³/h,10,cooling_outlet:FIT-1\nLL,FIT-2,FT-2,${G},m³/h,10,\nLL,FIT-3,FT-3,${G},m³/h,10,cooling_outlet:FT-2;cooling_outlet:FIT-2\n`,
    );
    expect(error.errors.map((p) => `${p.row} ${p.column}`)).toEqual(['2 LINKS', '4 LINKS']);
    expect(error.errors[0]!.zh).toBe('测点不能关联自身');
    expect(error.errors[1]!.zh).toMatch(/^重复关联 cooling_outlet → FT-2/);
    expect(await sensors()).toEqual([]);
  });

  it('tag numbers may change hands between the points of one sheet', async () => {
    await imported(englishSheet());
    const swapped = englishSheet().replace('YW,LIA-201,LT-201', 'YW,V-101,LT-201').replace('FMZT,V-101,,', 'FMZT,LIA-201,V-101,');
    expect(await imported(swapped)).toMatchObject({ created: 0, updated: 2, unchanged: 1 });
    expect((await sensors()).map((p) => `${p.id} ${p.tagNo}`)).toEqual(['GT-101 GT-101', 'LT-201 V-101', 'V-101 LIA-201']);
  });
});

describe('export', () => {
  it('re-importing an export changes nothing, in every format; exporting again gives the same bytes', async () => {
    await imported(englishSheet('inlet_valve:V-101', '0', '标定'));
    const before = await sensors();
    for (const query of ['format=csv', 'format=csv&headers=en', 'format=csv&encoding=gbk', 'format=xlsx', 'format=xlsx&headers=en']) {
      const r = await exported(query);
      expect(r.statusCode, r.body).toBe(200);
      const auditBefore = (await audit()).length;
      changedGateways.length = 0;
      const again = await imported(r.rawPayload, query.includes('xlsx') ? XLSX : CSV);
      expect(again, query).toEqual({ created: 0, updated: 0, unchanged: 3, stopped: 0, resumed: 0, points: 3, dryRun: false });
      expect(await sensors()).toEqual(before);
      // the summary is the only record; no cache is disturbed
      expect((await audit()).slice(auditBefore).map((x) => x.action)).toEqual(['registry.imported']);
      expect(changedGateways).toEqual([]);
    }
    const csv = await exported('format=csv');
    expect((await exported('format=csv')).rawPayload.equals(csv.rawPayload)).toBe(true);
  });

  it('names the file in Chinese (RFC 5987) and writes a BOM for Excel; the XLSX opens with its header row', async () => {
    await imported(englishSheet());
    const csv = await exported('');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(
      `attachment; filename="point-registry-${E}.csv"; filename*=UTF-8''${encodeURIComponent(`测点登记表-${E}.csv`)}`,
    );
    expect([...csv.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = csv.rawPayload.subarray(3).toString('utf8').split('\r\n');
    expect(lines.find((l) => l.startsWith('YW,'))).toBe(
      `YW,LIA-201,LT-201,Tank 1 level,${G},m,10,0,15,1,2,12,13.5,,tank-farm,tank_level,,,${HS},1,,,,inlet_valve:V-101`,
    );

    const x = await exported('format=xlsx&headers=en');
    expect(x.headers['content-type']).toBe(XLSX);
    expect(x.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent(`测点登记表-${E}.xlsx`)}`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.rawPayload as unknown as ExcelJS.Buffer);
    const ws = wb.worksheets[0]!;
    expect(ws.name).toBe('测点登记表');
    expect(ws.getRow(1).getCell(1).value).toBe('TARGET_CODE');
    expect(ws.getRow(2).getCell(7).value).toBe(10);
  });
});

describe('stops and links', () => {
  it('IS_USE 0 stops the point with its reason, the importer and the clock; IS_USE 1 puts it back', async () => {
    const r = await imported(englishSheet('inlet_valve:V-101', '否', '探头标定'));
    expect(r).toMatchObject({ created: 3, stopped: 1 });
    const gt = (await sensors()).find((p) => p.id === 'GT-101')!;
    expect(gt.stopped).toEqual({ reason: '探头标定', by: 'user:admin', at: new Date(NOW).toISOString() });
    expect((await coverage('GT-101')).status).toBe('stopped');
    const csv = (await exported('')).rawPayload.toString('utf8');
    expect(csv).toContain(',0,探头标定,2026-12-01 10:00:00,user:admin,');
    // a sheet without IS_USE leaves the stop as recorded
    const noUse = `TARGET_CODE,BIT_NO,GATEWAY_CODE,UNIT,PERIOD_S,TOP_VALUE_01,TOP_VALUE_02,ZONE,CAS_NO,HAZARD_CODE,POINT_NAME,LOW_VALUE,TOP_VALUE\nKRQT,GT-101,${G},%LEL,10,20,50,tank-farm,74-82-8,${HS},Methane detector,0,100\n`;
    expect(await imported(noUse)).toMatchObject({ unchanged: 1, stopped: 0, resumed: 0 });
    expect((await sensors()).find((p) => p.id === 'GT-101')!.stopped?.reason).toBe('探头标定');

    expect(await imported(englishSheet('inlet_valve:V-101', '启用'))).toMatchObject({ updated: 0, unchanged: 3, stopped: 0, resumed: 1 });
    expect((await sensors()).find((p) => p.id === 'GT-101')!.stopped).toBeUndefined();
    expect((await coverage('GT-101')).status).toBe('monitored');
    expect((await audit()).filter((x) => x.subject_id === `${E}/GT-101`).map((x) => x.action)).toEqual(['sensor.created', 'sensor.stopped', 'sensor.resumed']);
  });

  it('the rules see an imported link: the overfill rule stops matching the valve by zone', async () => {
    await imported(englishSheet(''));
    const without = await coverage('LT-201');
    expect(without.linksByZone).toContainEqual(expect.objectContaining({ ruleId: 'chem.overfill_interlock', relation: 'inlet_valve' }));
    expect(await imported(englishSheet('inlet_valve:V-101'))).toMatchObject({ updated: 1, unchanged: 2 });
    expect((await coverage('LT-201')).linksByZone).toEqual([]);
    // and by tag number: the link's target may be written as the valve's 位号
    expect(await imported(englishSheet('进料阀:V-101'))).toMatchObject({ updated: 0, unchanged: 3 });
  });
});

describe('bad input is a 4xx, never a 500', () => {
  it.each([
    ['an empty body', '', CSV, 400],
    ['garbage bytes', Buffer.from([0xff, 0xfe, 0x00, 0x41]), CSV, 400],
    ['a broken XLSX', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]), XLSX, 400],
    ['a JSON body', '{"a":1}', 'application/json', 400],
    ['plain text', 'a,b', 'text/plain', 400],
    ['an unknown media type', 'a,b', 'application/x-sheet', 415],
  ])('%s', async (_name, body, type, status) => {
    const r = await upload(typeof body === 'string' ? Buffer.from(body) : body, type);
    expect(r.statusCode, r.body).toBe(status);
    expect(r.json<{ error: { code: string; message: string } }>().error.message).toBeTruthy();
  });

  it('an unknown enterprise is a 404, bad export options a 400, an officer a 403; refusals are counted', async () => {
    const refusals = async () =>
      (await metrics.registryFiles.get()).values.find((v) => v.labels.operation === 'import' && v.labels.outcome === 'refused')?.value ?? 0;
    const refusedBefore = await refusals();
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/enterprises/NOPE/points/import',
      headers: { ...auth, 'content-type': CSV },
      payload: englishSheet(),
    });
    expect(r.statusCode).toBe(404);
    expect((await exported('format=pdf')).statusCode).toBe(400);
    expect((await exported('encoding=latin1')).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/v1/enterprises/NOPE/points/export', headers: auth })).statusCode).toBe(404);
    const officer = await call('POST', '/api/v1/officers', { id: `o-${E}`, name: '值班员', authorityId: 'K1', role: 'duty_officer' }, 201);
    const token = officer.json<{ token: string }>().token;
    const forbidden = await app.inject({ method: 'GET', url: `/api/v1/enterprises/${E}/points/export`, headers: { authorization: `Bearer ${token}` } });
    expect(forbidden.statusCode).toBe(403);
    expect(await refusals()).toBe(refusedBefore + 1);
  });
});
