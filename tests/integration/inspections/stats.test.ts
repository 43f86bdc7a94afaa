/**
 * Statistics per authority and period from a real (in-memory) PGlite ledger:
 * alerts by grade with their disposal and acknowledgement times, the data
 * online rate from the gateways' status events, rankings, and the subtree
 * and period limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from '../../../alerts/store.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { systemClock } from '../../../core/clock.ts';
import { Statistics } from '../../../inspections/stats.ts';
import { AlertDriver } from '../../../testkit/notify.ts';

const H = 3_600_000;
const DAY0 = Date.UTC(2026, 5, 1) - 8 * H; // 1 June 2026, 00:00 CST
let db: Db;

beforeAll(async () => {
  db = await openDb({ pgliteDir: 'memory://', logger: createLogger({ level: 'silent' }) });
  const p = new Provisioning(db, systemClock);
  await p.createAuthority({ id: 'C', name: '市局', level: 'city' });
  await p.createAuthority({ id: 'K1', name: '甲县', level: 'county', parentId: 'C' });
  await p.createAuthority({ id: 'K2', name: '乙县', level: 'county', parentId: 'C' });
  await p.createEnterprise({ id: 'E1', name: '甲厂', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await p.createEnterprise({ id: 'E2', name: '乙厂', sector: 'hazardous_chemicals', authorityId: 'K2' });
  for (const [g, e] of [
    ['G1', 'E1'],
    ['G2', 'E2'],
  ] as const) {
    await p.createGateway({ id: g, enterpriseId: e });
    await db.query('UPDATE gateways SET created_at = $2 WHERE id = $1', [g, new Date(DAY0 - 30 * 24 * H)]);
  }
  // G1 online before the day, offline 06:00–12:00; G2 comes online at 18:00
  const ev = (g: string, state: string, at: number) =>
    db.query('INSERT INTO gateway_events (gateway_id, state, reason, at) VALUES ($1, $2, $3, $4)', [g, state, 'test', new Date(at)]);
  await ev('G1', 'online', DAY0 - H);
  await ev('G1', 'offline', DAY0 + 6 * H);
  await ev('G1', 'online', DAY0 + 12 * H);
  await ev('G2', 'offline', DAY0 - H);
  await ev('G2', 'online', DAY0 + 18 * H);

  const alerts = new AlertDriver(new AlertStore(db));
  const a1 = await alerts.fire('GT-1', { enterpriseId: 'E1', at: DAY0 + H });
  await alerts.acknowledge(a1, DAY0 + H + 120_000);
  await alerts.dispose(a1, DAY0 + 2 * H);
  await alerts.fire('GT-2', { enterpriseId: 'E1', at: DAY0 + 3 * H, severity: 'orange' });
  const a3 = await alerts.fire('GT-3', { enterpriseId: 'E2', at: DAY0 + 4 * H });
  await alerts.dispose(a3, DAY0 + 4 * H + 600_000);
  await alerts.fire('GT-4', { enterpriseId: 'E2', at: DAY0 - 2 * H }); // the day before: not counted
});

afterAll(async () => {
  await db?.close();
});

describe('statistics', () => {
  it('counts the city’s day: alerts by grade, disposal, acknowledgement, online rate, and ranks its counties', async () => {
    const r = await new Statistics(db).report('C', DAY0, DAY0 + 24 * H);
    expect(r.totals.alerts).toEqual({ total: 3, byGrade: { red: 2, orange: 1, yellow: 0, blue: 0 }, fired: 3, disposed: 2, disposalRate: 0.6667 });
    expect(r.totals.acknowledge).toMatchObject({ count: 2, p50Ms: 600_000 });
    // G1 18 h online, G2 6 h: 24 of 48 gateway-hours
    expect(r.totals.online).toEqual({ rate: 0.5, offlineHours: 24 });
    expect(r.authorities.map((a) => [a.authorityId, a.alerts.disposalRate, a.online.rate])).toEqual([
      ['K2', 1, 0.25],
      ['K1', 0.5, 0.75],
    ]);
    expect(r.enterprises.map((e) => [e.enterpriseId, e.alerts.total])).toEqual([
      ['E1', 2],
      ['E2', 1],
    ]);
  });

  it('keeps to the subtree and the period', async () => {
    const k1 = await new Statistics(db).report('K1', DAY0, DAY0 + 24 * H);
    expect(k1.enterprises.map((e) => e.enterpriseId)).toEqual(['E1']);
    expect(k1.totals.alerts.total).toBe(2);
    const before = await new Statistics(db).report('K2', DAY0 - 24 * H, DAY0);
    expect(before.totals.alerts.total).toBe(1);
    expect(before.totals.online).toEqual({ rate: 0, offlineHours: 24 });
  });
});
