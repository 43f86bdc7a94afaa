/** History query planning: raw vs downsampled, bucket size, and the InfluxQL it produces. */
import { describe, expect, it } from 'vitest';
import { HISTORY_EARLIEST_MS, HISTORY_MAX_AHEAD_MS, HISTORY_MAX_RANGE_MS, historyRange, planHistory } from '../../../api/history.ts';
import { AppError } from '../../../core/errors.ts';

const HOUR = 3600_000;
const T0 = Date.UTC(2026, 0, 1);
const base = { enterpriseId: 'E1', sensorId: 'GT-101', from: T0, to: T0 + HOUR, points: 500, periodMs: 5000 };

describe('planHistory: mode and interval', () => {
  const cases: { name: string; q: Partial<typeof base>; mode: 'raw' | 'downsampled'; intervalMs: number }[] = [
    // 1 h / 500 points = 7.2 s per bucket; a 5 s sensor has 720 readings in that hour.
    { name: 'more readings than points', q: {}, mode: 'downsampled', intervalMs: 7200 },
    { name: 'fewer readings than points', q: { periodMs: 10_000 }, mode: 'raw', intervalMs: 0 },
    { name: 'bucket exactly one period', q: { periodMs: 7200 }, mode: 'raw', intervalMs: 0 },
    { name: 'bucket one ms over the period', q: { periodMs: 7199 }, mode: 'downsampled', intervalMs: 7200 },
    { name: 'interval rounds up', q: { to: T0 + 1000, points: 3, periodMs: 1 }, mode: 'downsampled', intervalMs: 334 },
    { name: 'range shorter than points: at least 1 ms', q: { to: T0 + 10, points: 500, periodMs: 0 }, mode: 'downsampled', intervalMs: 1 },
    { name: 'one day at a 1 s period, 10 000 points', q: { to: T0 + 24 * HOUR, points: 10_000, periodMs: 1000 }, mode: 'downsampled', intervalMs: 8640 },
  ];
  it.each(cases)('$name → $mode ($intervalMs ms)', ({ q, mode, intervalMs }) => {
    const plan = planHistory({ ...base, ...q });
    expect(plan.mode).toBe(mode);
    expect(plan.intervalMs).toBe(intervalMs);
  });
});

describe('planHistory: InfluxQL', () => {
  it('downsampled: mean/min/max/count per bucket within the ms bounds of the sensor', () => {
    const plan = planHistory(base);
    expect(plan.influxql).toBe(
      `SELECT mean("value") AS "mean", min("value") AS "min", max("value") AS "max", count("value") AS "count" FROM "reading" ` +
        `WHERE "ent" = 'E1' AND "sensor" = 'GT-101' AND time >= ${T0}ms AND time < ${T0 + HOUR}ms GROUP BY time(7200ms) fill(none)`,
    );
  });

  it('raw: value and quality, oldest first, limited to the point budget', () => {
    const plan = planHistory({ ...base, periodMs: 60_000 });
    expect(plan.influxql).toBe(
      `SELECT "value", "quality" FROM "reading" WHERE "ent" = 'E1' AND "sensor" = 'GT-101' AND time >= ${T0}ms AND time < ${T0 + HOUR}ms ORDER BY time ASC LIMIT 500`,
    );
  });

  const injections: { name: string; enterpriseId: string; sensorId: string; where: string }[] = [
    { name: 'single quote in sensor id', enterpriseId: 'E1', sensorId: "x' OR 'a'='a", where: String.raw`"ent" = 'E1' AND "sensor" = 'x\' OR \'a\'=\'a'` },
    { name: 'backslash before quote in enterprise id', enterpriseId: String.raw`E\'`, sensorId: 'S', where: String.raw`"ent" = 'E\\\'' AND "sensor" = 'S'` },
  ];
  it.each(injections)('escapes quotes in ids: $name', ({ enterpriseId, sensorId, where }) => {
    expect(planHistory({ ...base, enterpriseId, sensorId }).influxql).toContain(`WHERE ${where} AND time >= `);
  });
});

describe('planHistory: bad ranges', () => {
  const cases: { name: string; from: number; to: number }[] = [
    { name: 'to equals from', from: T0, to: T0 },
    { name: 'to before from', from: T0, to: T0 - 1 },
  ];
  it.each(cases)('$name → BAD_REQUEST', ({ from, to }) => {
    let caught: unknown;
    try {
      planHistory({ ...base, from, to });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('BAD_REQUEST');
    expect((caught as AppError).httpStatus).toBe(400);
  });
});

describe('historyRange (#15 item 9: ranges InfluxDB cannot take are a 400)', () => {
  const now = Date.UTC(2026, 11, 5, 12);
  const day = 24 * 3600_000;
  it.each([
    { name: 'defaults: the last 24 hours', q: {}, want: { from: now - day, to: now } },
    { name: 'from alone: up to now', q: { from: now - 3600_000 }, want: { from: now - 3600_000, to: now } },
    { name: 'to a day ahead at most', q: { from: now, to: now + HISTORY_MAX_AHEAD_MS }, want: { from: now, to: now + HISTORY_MAX_AHEAD_MS } },
    {
      name: 'from 2000-01-01 at the earliest',
      q: { from: HISTORY_EARLIEST_MS, to: HISTORY_EARLIEST_MS + day },
      want: { from: HISTORY_EARLIEST_MS, to: HISTORY_EARLIEST_MS + day },
    },
    { name: 'the longest range', q: { from: now - HISTORY_MAX_RANGE_MS, to: now }, want: { from: now - HISTORY_MAX_RANGE_MS, to: now } },
  ])('accepts $name', ({ q, want }) => {
    expect(historyRange(q, now)).toEqual(want);
  });

  it.each([
    { name: 'from=0&to=MAX_SAFE_INTEGER (the reported 500)', q: { from: 0, to: Number.MAX_SAFE_INTEGER }, says: '`from`' },
    { name: 'from before 2000', q: { from: HISTORY_EARLIEST_MS - 1, to: now }, says: '`from`' },
    { name: 'to beyond a day ahead', q: { from: now, to: now + HISTORY_MAX_AHEAD_MS + 1 }, says: '`to`' },
    { name: 'to alone, before 2000 (from defaults a day earlier)', q: { to: 1 }, says: '`from`' },
    { name: 'to not after from', q: { from: now, to: now }, says: '`to` must be after' },
    { name: 'a range over 400 days', q: { from: now - HISTORY_MAX_RANGE_MS - 1, to: now }, says: '400 days' },
  ])('refuses $name with a 400 in both languages', ({ q, says }) => {
    let err: unknown;
    try {
      historyRange(q, now);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'BAD_REQUEST',
      httpStatus: 400,
      message: expect.stringContaining(says) as unknown,
      expose: { reason: { zh: expect.any(String) as unknown } },
    });
  });
});

describe('planHistory with rollups (docs/adr/0008): long or old ranges read the 5-minute rollups', () => {
  const DAY = 24 * HOUR;
  const now = T0 + 100 * DAY;
  const rollup = { rawSinceMs: now - 30 * DAY };
  const cases: { name: string; from: number; to: number; points?: number; source: 'raw' | 'rollup'; mode: 'raw' | 'downsampled'; intervalMs: number }[] = [
    { name: 'an hour, recent: raw readings', from: now - HOUR, to: now, source: 'raw', mode: 'downsampled', intervalMs: 7200 },
    { name: 'ten minutes, recent: raw readings, not downsampled', from: now - 10 * 60_000, to: now, source: 'raw', mode: 'raw', intervalMs: 0 },
    // 41 h 40 min ÷ 500 = exactly 5 min: the first range whose buckets hold whole rollups
    { name: 'buckets of exactly 5 min', from: now - 2500 * 60_000, to: now, source: 'rollup', mode: 'downsampled', intervalMs: 300_000 },
    { name: 'buckets one ms under 5 min: raw', from: now - 2500 * 60_000 + 500, to: now, source: 'raw', mode: 'downsampled', intervalMs: 299_999 },
    { name: 'a year: buckets rounded up to whole 5 minutes', from: now - 365 * DAY, to: now, source: 'rollup', mode: 'downsampled', intervalMs: 63_300_000 },
    {
      name: 'an hour older than the raw retention',
      from: now - 40 * DAY,
      to: now - 40 * DAY + HOUR,
      source: 'rollup',
      mode: 'downsampled',
      intervalMs: 300_000,
    },
    {
      name: 'starting one ms before the raw retention',
      from: rollup.rawSinceMs - 1,
      to: rollup.rawSinceMs + HOUR,
      source: 'rollup',
      mode: 'downsampled',
      intervalMs: 300_000,
    },
    { name: 'starting at the raw retention', from: rollup.rawSinceMs, to: rollup.rawSinceMs + HOUR, source: 'raw', mode: 'downsampled', intervalMs: 7200 },
  ];
  it.each(cases)('$name → $source', ({ from, to, points, source, mode, intervalMs }) => {
    const plan = planHistory({ ...base, from, to, points: points ?? 500, rollup });
    expect(plan).toMatchObject({ source, mode, intervalMs });
  });

  it('without rollups (not kept) every range reads raw readings', () => {
    expect(planHistory({ ...base, from: now - 365 * DAY, to: now })).toMatchObject({ source: 'raw', intervalMs: 63_072_000 });
  });

  it('rollup InfluxQL: min of mins, max of maxes, counts summed, mean weighted by count', () => {
    const plan = planHistory({ ...base, from: now - 7 * DAY, to: now, points: 300, rollup });
    expect(plan.influxql).toBe(
      `SELECT sum("sum") / sum("count") AS "mean", min("min") AS "min", max("max") AS "max", sum("count") AS "count" FROM "rollup"."reading_5m" ` +
        `WHERE "ent" = 'E1' AND "sensor" = 'GT-101' AND time >= ${now - 7 * DAY}ms AND time < ${now}ms GROUP BY time(2100000ms) fill(none)`,
    );
    expect(plan.tailInfluxql).toBeUndefined();
  });

  it('the recent buckets the rollup query may not have written yet are read raw, downsampled alike, from a whole bucket on', () => {
    const fresh = now - 15 * 60_000;
    const plan = planHistory({ ...base, from: now - 7 * DAY, to: now, points: 300, rollup: { ...rollup, freshSinceMs: fresh } });
    const cut = Math.floor(fresh / 2_100_000) * 2_100_000;
    expect(plan.influxql).toContain(`time >= ${now - 7 * DAY}ms AND time < ${cut}ms GROUP BY time(2100000ms)`);
    expect(plan.tailInfluxql).toBe(
      `SELECT mean("value") AS "mean", min("value") AS "min", max("value") AS "max", count("value") AS "count" FROM "reading" ` +
        `WHERE "ent" = 'E1' AND "sensor" = 'GT-101' AND time >= ${cut}ms AND time < ${now}ms GROUP BY time(2100000ms) fill(none)`,
    );
    // an old range, over before the fresh part, has no tail
    expect(
      planHistory({ ...base, from: now - 60 * DAY, to: now - 40 * DAY, points: 300, rollup: { ...rollup, freshSinceMs: fresh } }).tailInfluxql,
    ).toBeUndefined();
  });

  it('the current value is the last raw reading of the range, from where raw readings are kept; none once they are gone', () => {
    const week = planHistory({ ...base, from: now - 7 * DAY, to: now, points: 300, rollup });
    expect(week.latestInfluxql).toBe(
      `SELECT last("value") AS "value", "quality" FROM "reading" WHERE "ent" = 'E1' AND "sensor" = 'GT-101' AND time >= ${now - 7 * DAY}ms AND time < ${now}ms`,
    );
    // a year: the raw readings are kept for the last 30 days only
    expect(planHistory({ ...base, from: now - 365 * DAY, to: now, points: 300, rollup }).latestInfluxql).toContain(
      `time >= ${rollup.rawSinceMs}ms AND time < ${now}ms`,
    );
    // over before the raw retention: no reading as measured is left
    expect(planHistory({ ...base, from: now - 60 * DAY, to: now - 40 * DAY, points: 300, rollup }).latestInfluxql).toBeUndefined();
    // raw answers carry their own last reading
    expect(planHistory({ ...base, from: now - 10 * 60_000, to: now, rollup }).latestInfluxql).toBeUndefined();
  });
});
