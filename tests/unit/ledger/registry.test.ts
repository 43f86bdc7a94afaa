import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../core/clock.ts';
import type { Queryable } from '../../../core/db/db.ts';
import { Registry } from '../../../ledger/registry.ts';

/** An in-memory stand-in for the two queries the registry makes, counting them. */
function fakeDb() {
  const sensors = [{ id: 'GT-101', enterprise_id: 'E1', gateway_id: 'G1', kind: 'combustible_gas', unit: '%LEL', period_s: 5 }];
  const calls = { gateways: 0, sensors: 0 };
  const db: Queryable = {
    async query<T extends object>(sql: string, params: unknown[] = []) {
      await Promise.resolve();
      if (sql.includes('FROM gateways')) {
        calls.gateways++;
        return { rows: (params[0] === 'G1' ? [{ id: 'G1', enterprise_id: 'E1', secret_hash: 'h', disabled: false }] : []) as T[] };
      }
      calls.sensors++;
      return { rows: sensors.filter((s) => s.gateway_id === params[0]) as T[] };
    },
  };
  return { db, calls, sensors };
}

describe('Registry', () => {
  it('loads a gateway once for a burst of concurrent lookups', async () => {
    const { db, calls } = fakeDb();
    const r = new Registry(db, new FakeClock());
    const results = await Promise.all(Array.from({ length: 50 }, () => r.gateway('G1')));
    expect(results.every((g) => g?.enterpriseId === 'E1')).toBe(true);
    expect(calls.gateways).toBe(1);
  });

  it('answers from cache within the TTL and reloads after it', async () => {
    const { db, calls } = fakeDb();
    const clock = new FakeClock();
    const r = new Registry(db, clock, { ttlMs: 1000 });
    await r.points('G1');
    await r.points('G1');
    expect(calls).toEqual({ gateways: 1, sensors: 1 });
    clock.advance(1001);
    await r.points('G1');
    expect(calls).toEqual({ gateways: 2, sensors: 2 });
  });

  it('returns undefined for an unknown gateway', async () => {
    const { db } = fakeDb();
    expect(await new Registry(db, new FakeClock()).gateway('NOPE')).toBeUndefined();
  });

  it('picks up a new sensor after a miss, but reloads at most once per missReloadMs', async () => {
    const { db, calls, sensors } = fakeDb();
    const clock = new FakeClock();
    const r = new Registry(db, clock, { missReloadMs: 5000 });
    expect((await r.points('G1')).has('TT-1')).toBe(false);
    sensors.push({ id: 'TT-1', enterprise_id: 'E1', gateway_id: 'G1', kind: 'temperature', unit: '°C', period_s: 10 });
    expect((await r.reloadPointsAfterMiss('G1')).has('TT-1')).toBe(true);
    const before = calls.sensors;
    await r.reloadPointsAfterMiss('G1');
    expect(calls.sensors).toBe(before);
    clock.advance(5000);
    await r.reloadPointsAfterMiss('G1');
    expect(calls.sensors).toBe(before + 1);
  });

  it('drops a gateway on invalidate, so the next lookup reads the database', async () => {
    const { db, calls } = fakeDb();
    const r = new Registry(db, new FakeClock());
    await r.gateway('G1');
    r.invalidate('G1');
    await r.gateway('G1');
    expect(calls.gateways).toBe(2);
  });

  it('classifies signal kinds as signal points with their series key', async () => {
    const { db, sensors } = fakeDb();
    sensors.push({ id: 'V-IN', enterprise_id: 'E1', gateway_id: 'G1', kind: 'valve', unit: '', period_s: 60 });
    const points = await new Registry(db, new FakeClock()).points('G1');
    expect(points.get('V-IN')).toMatchObject({ type: 'signal', kind: 'valve', seriesKey: 'signal,ent=E1,gw=G1,kind=valve,point=V-IN' });
    expect(points.get('GT-101')).toMatchObject({ type: 'sensor', unit: '%LEL' });
  });

  it('remembers at most maxUnknown ids that name no gateway, oldest dropped first, and keeps the known ones', async () => {
    const { db, calls } = fakeDb();
    const r = new Registry(db, new FakeClock(), { maxUnknown: 3 });
    await r.gateway('G1');
    for (let i = 0; i < 10; i++) await r.gateway(`RANDOM-${i}`);
    expect(calls.gateways).toBe(11);
    // the three latest unknown ids and the real gateway answer from cache
    for (const id of ['G1', 'RANDOM-7', 'RANDOM-8', 'RANDOM-9']) await r.gateway(id);
    expect(calls.gateways).toBe(11);
    // an older one was dropped: it costs a query again
    expect(await r.gateway('RANDOM-0')).toBeUndefined();
    expect(calls.gateways).toBe(12);
  });

  it('forgets an unknown id on invalidate, so a gateway provisioned under it is found at once', async () => {
    const { db, calls } = fakeDb();
    const r = new Registry(db, new FakeClock());
    await r.gateway('NEW');
    r.invalidate('NEW');
    await r.gateway('NEW');
    expect(calls.gateways).toBe(2);
  });
});
