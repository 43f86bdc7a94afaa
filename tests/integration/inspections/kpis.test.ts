/**
 * The KPIs and the monthly report (issue #17 item 6) on the real InfluxDB 1.6.7 and an in-memory PGlite ledger:
 * a known number of readings of two points written with explicit timestamps, rolled up as the continuous query
 * would (its own SELECT … INTO over chosen windows), the integrity counted from the rollups and, for the last hour,
 * from the raw readings (the InfluxQL issued shown); gateways offline twice, a point stopped on record for 10 days,
 * alarms disposed and cleared; then the API: the monthly report as JSON and as XLSX read back with exceljs, and the
 * refusals of bad input.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from '../../../alerts/store.ts';
import type { buildApi } from '../../../api/server.ts';
import { FakeClock } from '../../../core/clock.ts';
import type { Db } from '../../../core/db/db.ts';
import { InfluxClient } from '../../../core/influx/client.ts';
import { ROLLUP, rollupSelect } from '../../../core/influx/retention.ts';
import { readingLine, readingSeriesKey } from '../../../core/influx/schema.ts';
import { KpiSource } from '../../../inspections/kpi-source.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { AlertDriver } from '../../../testkit/notify.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
/** November 2026 in China Standard Time. */
const NOV = { from: Date.UTC(2026, 9, 31, 16), to: Date.UTC(2026, 10, 30, 16) };
const nov = (day: number, hour = 0) => NOV.from + (day - 1) * DAY + hour * H;
/** The API's clock: 5 December 2026. */
const NOW = NOV.to + 4 * DAY;

let svc: TestServices;
let influx: InfluxClient;
let db: Db;
let app: ReturnType<typeof buildApi>;
let leaderK1 = '';

const key = (ent: string, gw: string, sensor: string) => readingSeriesKey({ enterpriseId: ent, gatewayId: gw, sensorId: sensor, kind: 'combustible_gas', unit: '%LEL' });
async function writeAll(lines: string[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 10_000) await influx.write(lines.slice(i, i + 10_000).join('\n'));
}
/** Rolls up [from, to) as the continuous query does. */
const rollUp = (from: number, to: number) => influx.query(rollupSelect(influx.database, null, `time >= ${from}ms AND time < ${to}ms`), { method: 'POST', timeoutMs: 120_000 });

beforeAll(async () => {
  svc = await startTestServices('kpis');
  influx = new InfluxClient({ url: svc.influx.url, database: 't_kpis' });
  await influx.createDatabase();
  await influx.query(`CREATE RETENTION POLICY "${ROLLUP.policy}" ON "t_kpis" DURATION 1830d REPLICATION 1`, { method: 'POST', database: null });
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN, { now: () => NOW }, { influx }));

  const clock = new FakeClock(Date.UTC(2026, 9, 1));
  const p = new Provisioning(db, clock);
  await p.createAuthority({ id: 'C', name: '市局', level: 'city' });
  await p.createAuthority({ id: 'K1', name: '甲县', level: 'county', parentId: 'C' });
  await p.createAuthority({ id: 'K2', name: '乙县', level: 'county', parentId: 'C' });
  await p.createEnterprise({ id: 'E1', name: '甲厂', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await p.createEnterprise({ id: 'E2', name: '乙厂', sector: 'hazardous_chemicals', authorityId: 'K2' });
  await p.createGateway({ id: 'G1', enterpriseId: 'E1' });
  await p.createGateway({ id: 'G2', enterpriseId: 'E2' });
  await p.createSensor({ id: 'P1', enterpriseId: 'E1', gatewayId: 'G1', kind: 'combustible_gas', unit: '%LEL', periodS: 60, tagNo: 'GT-101', name: '罐区可燃气体' });
  await p.createSensor({ id: 'P2', enterpriseId: 'E2', gatewayId: 'G2', kind: 'combustible_gas', unit: '%LEL', periodS: 300, tagNo: 'GT-201' });
  await db.query(`UPDATE gateways SET created_at = $1`, [new Date(Date.UTC(2026, 9, 1))]);
  await db.query(`UPDATE sensors SET created_at = $1`, [new Date(Date.UTC(2026, 9, 1))]);
  // P2 stopped on record from the 11th to the 21st (10 days)
  clock.set(nov(11));
  await p.setPointStopped('E2', 'P2', { reason: '检修' });
  clock.set(nov(21));
  await p.setPointStopped('E2', 'P2', null);

  // G1 offline twice for 3 h (5th 10:00–13:00, 20th 22:00 – 21st 01:00); G2 online all month
  const ev = (g: string, state: string, at: number) => db.query('INSERT INTO gateway_events (gateway_id, state, reason, at) VALUES ($1, $2, $3, $4)', [g, state, 'test', new Date(at)]);
  await ev('G1', 'online', nov(1) - DAY);
  await ev('G2', 'online', nov(1) - DAY);
  await ev('G1', 'offline', nov(5, 10));
  await ev('G1', 'online', nov(5, 13));
  await ev('G1', 'offline', nov(20, 22));
  await ev('G1', 'online', nov(21, 1));

  // E1: two alarms; one cleared after 30 min and disposed, one neither
  const alerts = new AlertDriver(new AlertStore(db));
  const a1 = await alerts.fire('P1', { enterpriseId: 'E1', at: nov(3, 2) });
  await alerts.clear('P1', nov(3, 2) + 30 * MIN, 'E1');
  await alerts.dispose(a1, nov(3, 4));
  await alerts.fire('P9', { enterpriseId: 'E1', at: nov(4) });

  // P1: every minute for the first 20 days (28,800), and a burst of 100 more in the bucket of the 15th at 10:00
  const p1 = key('E1', 'G1', 'P1');
  const lines = Array.from({ length: 20 * 1440 }, (_, i) => readingLine(p1, 10, 'good', NOV.from + i * MIN));
  for (let j = 0; j < 100; j++) lines.push(readingLine(p1, 10, 'good', nov(15, 10) + 1000 + j));
  // P2: every 5 minutes all month, through its stop on record (11th–21st), but silent for 5 days after it (21st–26th)
  const p2 = key('E2', 'G2', 'P2');
  for (let t = NOV.from; t < NOV.to; t += 5 * MIN) if (t < nov(21) || t >= nov(26)) lines.push(readingLine(p2, 10, 'good', t));
  await writeAll(lines);
  // rolled up, but for the hour before 12:00 on the 5th (the continuous query has not reached it yet)
  await rollUp(NOV.from, nov(5, 11));
  await rollUp(nov(5, 12), NOV.to);

  const r = await app.inject({ method: 'POST', url: '/api/v1/officers', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, payload: { id: 'lead-k1', name: '甲县领导', authorityId: 'K1', role: 'leader' } });
  expect(r.statusCode).toBe(201);
  leaderK1 = r.json<{ token: string }>().token;
}, 240_000);

afterAll(async () => {
  await app?.close();
  await db?.close();
  await svc?.stop();
});

describe('integrity from InfluxDB', () => {
  it('reads settled buckets from the rollups and the last hour from the raw readings', async () => {
    const now = nov(5, 12) + MIN; // the rollups are final up to 11:00
    const r = await new KpiSource(db, influx, { rollups: true }).report('C', NOV.from, nov(5, 12), now);
    expect(r.source.rollupUntil).toBe(nov(5, 11));
    expect(r.source.influxql).toEqual([
      `SELECT sum("count") AS "total" FROM "rollup"."reading_5m" WHERE ("ent" = 'E1' OR "ent" = 'E2') AND time >= ${NOV.from}ms AND time < ${nov(5, 11)}ms GROUP BY "ent", "sensor"`,
      `SELECT sum("count") AS "over", count("count") AS "buckets" FROM "rollup"."reading_5m" WHERE ("ent" = 'E1' OR "ent" = 'E2') AND time >= ${NOV.from}ms AND time < ${nov(5, 11)}ms AND "count" > 1 GROUP BY "ent", "sensor"`,
      `SELECT sum("count") AS "over", count("count") AS "buckets" FROM "rollup"."reading_5m" WHERE ("ent" = 'E1' OR "ent" = 'E2') AND time >= ${NOV.from}ms AND time < ${nov(5, 11)}ms AND "count" > 5 GROUP BY "ent", "sensor"`,
      `SELECT sum("count") AS "total" FROM (SELECT count("value") AS "count" FROM "reading" WHERE ("ent" = 'E1' OR "ent" = 'E2') AND time >= ${nov(5, 11)}ms AND time < ${nov(5, 12)}ms GROUP BY time(5m), "ent", "sensor") GROUP BY "ent", "sensor"`,
      `SELECT sum("count") AS "over", count("count") AS "buckets" FROM (SELECT count("value") AS "count" FROM "reading" WHERE ("ent" = 'E1' OR "ent" = 'E2') AND time >= ${nov(5, 11)}ms AND time < ${nov(5, 12)}ms GROUP BY time(5m), "ent", "sensor") WHERE "count" > 1 GROUP BY "ent", "sensor"`,
      `SELECT sum("count") AS "over", count("count") AS "buckets" FROM (SELECT count("value") AS "count" FROM "reading" WHERE ("ent" = 'E1' OR "ent" = 'E2') AND time >= ${nov(5, 11)}ms AND time < ${nov(5, 12)}ms GROUP BY time(5m), "ent", "sensor") WHERE "count" > 5 GROUP BY "ent", "sensor"`,
    ]);
    const points = r.enterprises.flatMap((e) => e.worstPoints);
    expect(points).toEqual([]); // both complete: 4.5 days = 6,480 and 1,296 readings, 60 + 12 of them from the raw hour
    expect(r.totals).toMatchObject({ expected: 6_480 + 1_296, received: 6_480 + 1_296, integrity: 1 });
  });

  it('November: expected from the period and the time in use, bursts capped per bucket', async () => {
    await rollUp(nov(5, 11), nov(5, 12)); // the continuous query caught up
    const r = await new KpiSource(db, influx, { rollups: true }).report('C', NOV.from, NOV.to, NOW);
    expect(r.source.influxql.every((q) => q.includes('"rollup"."reading_5m"'))).toBe(true);
    const e1 = r.enterprises.find((e) => e.enterpriseId === 'E1')!;
    // 28,900 stored; the burst's bucket (105) counts 5
    expect(e1.worstPoints).toEqual([
      { enterpriseId: 'E1', pointId: 'P1', tagNo: 'GT-101', name: '罐区可燃气体', periodS: 60, inUseHours: 720, expected: 43_200, received: 28_800, receivedRaw: 28_900, integrity: 0.6667 },
    ]);
    // G1 714 of 720 h online; 2 alarms, 1 disposed; cleared after 30 min
    expect(e1).toMatchObject({ rank: 1, onlineRate: 0.9917, offlineHours: 6, offlineCount: 2, integrity: 0.6667, alarms: 2, disposed: 1, disposalRate: 0.5 });
    expect(e1.clear).toEqual({ count: 1, meanMs: 30 * MIN, medianMs: 30 * MIN });
    expect(e1.score).toBe(76.34); // 0.4 × 0.9917 + 0.4 × 0.6667 + 0.2 × 0.5
    const e2 = r.enterprises.find((e) => e.enterpriseId === 'E2')!;
    // stopped 10 days: 20 × 288 = 5,760 expected. It sent 7,200 (more than expected), but 2,880 of them while stopped:
    // in use it was silent for 5 days, so 15 × 288 = 4,320 received; score (0.4 × 1 + 0.4 × 0.75) ÷ 0.8 (no alarm)
    expect(e2.worstPoints).toEqual([
      { enterpriseId: 'E2', pointId: 'P2', tagNo: 'GT-201', name: '', periodS: 300, inUseHours: 480, expected: 5_760, received: 4_320, receivedRaw: 4_320, integrity: 0.75 },
    ]);
    expect(e2).toMatchObject({ rank: 2, expected: 5_760, received: 4_320, integrity: 0.75, onlineRate: 1, offlineCount: 0, alarms: 0, disposalRate: null, score: 87.5 });
    // the stopped point counted again over its two stretches in use: 1st–11th and 21st–1st
    expect(r.source.influxql.filter((q) => q.includes(`"sensor" = 'P2'`))).toEqual([
      `SELECT sum("count") AS "total" FROM "rollup"."reading_5m" WHERE ("ent" = 'E2') AND "sensor" = 'P2' AND time >= ${NOV.from}ms AND time < ${nov(11)}ms GROUP BY "ent", "sensor"`,
      `SELECT sum("count") AS "over", count("count") AS "buckets" FROM "rollup"."reading_5m" WHERE ("ent" = 'E2') AND "sensor" = 'P2' AND time >= ${NOV.from}ms AND time < ${nov(11)}ms AND "count" > 1 GROUP BY "ent", "sensor"`,
      `SELECT sum("count") AS "total" FROM "rollup"."reading_5m" WHERE ("ent" = 'E2') AND "sensor" = 'P2' AND time >= ${nov(21)}ms AND time < ${NOV.to}ms GROUP BY "ent", "sensor"`,
      `SELECT sum("count") AS "over", count("count") AS "buckets" FROM "rollup"."reading_5m" WHERE ("ent" = 'E2') AND "sensor" = 'P2' AND time >= ${nov(21)}ms AND time < ${NOV.to}ms AND "count" > 1 GROUP BY "ent", "sensor"`,
    ]);
    expect(r.authorities.map((a) => [a.rank, a.authorityId, a.score])).toEqual([
      [1, 'K2', 87.5],
      [2, 'K1', 76.34],
    ]);
    // (714 + 720) ÷ 1,440 h; (28,800 + 4,320) ÷ (43,200 + 5,760); 0.4 × 0.9958 + 0.4 × 0.6765 + 0.2 × 0.5
    expect(r.totals).toMatchObject({ onlineRate: 0.9958, offlineHours: 6, offlineCount: 2, integrity: 0.6765, alarms: 2, disposalRate: 0.5, score: 76.89 });
    expect(r.worstPoints.map((p) => p.tagNo)).toEqual(['GT-101', 'GT-201']);
  });

  it('counts the same from the raw readings when the rollups are not read', async () => {
    const r = await new KpiSource(db, influx, { rollups: false }).report('K1', NOV.from, NOV.to, NOW);
    expect(r.source.rollupUntil).toBeNull();
    expect(r.source.influxql[0]).toContain(`FROM (SELECT count("value") AS "count" FROM "reading" WHERE ("ent" = 'E1') AND time >= ${NOV.from}ms`);
    expect(r.enterprises.map((e) => e.enterpriseId)).toEqual(['E1']);
    expect(r.enterprises[0]!.worstPoints[0]).toMatchObject({ expected: 43_200, received: 28_800, receivedRaw: 28_900 });
  });
});

describe('the API', () => {
  const get = (url: string, token = TEST_ADMIN_TOKEN) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

  it('answers the monthly report as JSON, ranked', async () => {
    const r = await get('/api/v1/reports/monthly?authorityId=C&month=2026-11');
    expect(r.statusCode).toBe(200);
    const body = r.json<{ month: string; complete: boolean; authorityName: string; enterprises: { rank: number; enterpriseId: string; score: number }[]; weights: { source: string } }>();
    expect(body).toMatchObject({ month: '2026-11', complete: true, authorityName: '市局' });
    expect(body.enterprises.map((e) => [e.rank, e.enterpriseId, e.score])).toEqual([
      [1, 'E1', 76.34],
      [2, 'E2', 87.5],
    ]);
    expect(body.weights.source).toContain('平台默认值');
    // a leader of K1 sees K1 by default
    const mine = await get('/api/v1/reports/monthly?month=2026-11', leaderK1);
    expect(mine.json<{ authorityId: string; enterprises: unknown[] }>()).toMatchObject({ authorityId: 'K1', enterprises: [{ enterpriseId: 'E1' }] });
  });

  it('exports it as an XLSX workbook', async () => {
    const r = await get('/api/v1/reports/monthly?authorityId=C&month=2026-11&format=xlsx');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(r.headers['content-disposition']).toBe(`attachment; filename="monthly-report-C-2026-11.xlsx"; filename*=UTF-8''${encodeURIComponent('月报-市局-2026-11.xlsx')}`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.rawPayload as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['汇总', '企业排名', '下级排名', '测点完整率', '企业响应']);
    const ranked = wb.getWorksheet('企业排名')!;
    expect(ranked.getRow(1).getCell(2).value).toBe('企业');
    expect(ranked.getRow(2).getCell(1).value).toBe(1);
    expect(ranked.getRow(2).getCell(2).value).toBe('甲厂');
    const online = ranked.getRow(2).getCell(6);
    // a number formatted as a percentage (Excel shows 99.17%)
    expect([ranked.getRow(1).getCell(6).value, online.value, online.numFmt]).toEqual(['在线率', 0.9917, '0.00%']);
    expect(ranked.getRow(2).getCell(12).value).toBe('30 分');
    expect(wb.getWorksheet('下级排名')!.getRow(2).getCell(2).value).toBe('乙县');
    expect(wb.getWorksheet('测点完整率')!.getRow(2).getCell(3).value).toBe('GT-101');
    const summary = wb.getWorksheet('汇总')!;
    expect([summary.getCell(12, 1).value, summary.getCell(12, 2).value, summary.getCell(12, 2).numFmt]).toEqual(['数据完整率', 0.6765, '0.00%']);
  });

  it('answers the KPIs of a period', async () => {
    const r = await get(`/api/v1/kpis?authorityId=K2&from=${NOV.from}&to=${NOV.to}`);
    expect(r.statusCode).toBe(200);
    expect(r.json<{ totals: { integrity: number; expected: number } }>().totals).toMatchObject({ integrity: 0.75, expected: 5_760, received: 4_320 });
  });

  it.each([
    ['/api/v1/reports/monthly?month=2026-13', 400, '“2026-13”不是月份，应为 2000 年以后的 YYYY-MM（如 2026-11） / query.month: "2026-13" is not a month'],
    ['/api/v1/reports/monthly?month=2027-01', 400, '尚未开始'],
    ['/api/v1/reports/monthly', 400, '月份必填，格式 YYYY-MM / month is required'],
    ['/api/v1/reports/monthly?month=2026-11&format=pdf', 400, 'format 可选 json、xlsx / format must be json or xlsx'],
    [`/api/v1/kpis?from=${NOV.to}&to=${NOV.from}`, 400, 'from 须早于 to'],
    ['/api/v1/reports/monthly?month=2026-11&authorityId=NOPE', 404, '不存在'],
  ])('refuses %s (%i)', async (url, status, words) => {
    const r = await get(url);
    expect(r.statusCode).toBe(status);
    expect(r.json<{ error: { message: string } }>().error.message).toContain(words);
  });

  it('keeps an officer to their subtree', async () => {
    const r = await get('/api/v1/reports/monthly?authorityId=K2&month=2026-11', leaderK1);
    expect(r.statusCode).toBe(404);
    expect(r.json<{ error: { message: string } }>().error.message).toMatch(/不在管辖范围内 \/ authority K2 not found/);
  });
});
