/** Which readings are late for the rollup CQ, and the statements that roll their buckets up again (docs/adr/0008). */
import { describe, expect, it } from 'vitest';
import type { Normalised } from '../../../ingest/decode.ts';
import type { InfluxClient } from '../../../core/influx/client.ts';
import { LATE_AFTER_MS, LateRollups } from '../../../ingest/late-rollups.ts';

const FIVE = 300_000;
const NOW = Date.UTC(2026, 11, 5, 12);
const point = (id: string) => ({
  type: 'sensor' as const,
  id,
  enterpriseId: 'E1',
  gatewayId: 'G1',
  kind: 'combustible_gas',
  unit: '%LEL',
  periodS: 5,
  seriesKey: '',
});
const reading = (id: string, ts: number): Normalised => ({ type: 'reading', point: point(id), value: 1, quality: 'good', ts });
const where = (sensor: string, from: number, to: number) =>
  `WHERE "ent" = 'E1' AND "sensor" = '${sensor}' AND time >= ${from}ms AND time < ${to}ms GROUP BY time(5m), *`;

describe('LateRollups', () => {
  it('notes only readings older than 45 min when stored, and not signals', () => {
    const late = new LateRollups();
    const signal: Normalised = { type: 'signal', point: { ...point('V-IN'), type: 'signal', kind: 'valve' }, state: 'open', ts: NOW - 3 * 3600_000 };
    late.note('E1', [reading('A', NOW - LATE_AFTER_MS), reading('A', NOW - 60_000), signal], NOW);
    expect(late.pending).toBe(0);
    late.note('E1', [reading('A', NOW - LATE_AFTER_MS - 1)], NOW);
    expect(late.pending).toBe(1);
  });

  it('one statement per sensor and run of consecutive buckets, reading the default policy; then forgets them', () => {
    const late = new LateRollups();
    const b = NOW - 10 * 3600_000; // a 5-minute boundary
    late.note('E1', [reading('A', b + 1000), reading('A', b + FIVE + 5), reading('A', b + 2 * FIVE), reading('A', b + 4 * FIVE + 1), reading('B', b)], NOW);
    const statements = late.take('safety');
    expect(statements.map((s) => s.slice(s.indexOf(' FROM ')))).toEqual([
      ` FROM "safety".."reading" ${where('A', b, b + 3 * FIVE)}`,
      ` FROM "safety".."reading" ${where('A', b + 4 * FIVE, b + 5 * FIVE)}`,
      ` FROM "safety".."reading" ${where('B', b, b + FIVE)}`,
    ]);
    expect(statements[0]).toContain('INTO "safety"."rollup"."reading_5m"');
    expect(late.pending).toBe(0);
    expect(late.take('safety')).toEqual([]);
  });

  it('a failed statement loses nothing: that sensor and those not yet done are noted again, the next flush rolls them up', async () => {
    const late = new LateRollups();
    const b = NOW - 10 * 3600_000;
    late.note('E1', [reading('A', b), reading('B', b), reading('C', b)], NOW);
    const ran: string[] = [];
    let fail = true;
    const influx = {
      database: 'safety',
      query: async (s: string) => {
        const sensor = /"sensor" = '(\w)'/.exec(s)![1]!;
        if (sensor === 'B' && fail) throw new Error('InfluxDB restarting');
        ran.push(sensor);
        return [];
      },
    } as unknown as InfluxClient;
    await expect(late.flush(influx)).rejects.toThrow('InfluxDB restarting');
    expect(ran).toEqual(['A']);
    expect(late.pending).toBe(2);
    fail = false;
    expect(await late.flush(influx)).toBe(2);
    expect(ran).toEqual(['A', 'B', 'C']);
    expect(late.pending).toBe(0);
  });
});
