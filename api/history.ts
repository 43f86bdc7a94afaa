/**
 * One sensor's history over a time range, downsampled to a point budget.
 * Pure query planning plus a thin execution step against InfluxQL.
 */
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import { quoteString, type InfluxClient } from '../core/influx/client.ts';
import { ROLLUP, ROLLUP_INTERVAL_MS } from '../core/influx/retention.ts';
import { MEASUREMENTS } from '../core/influx/schema.ts';

export const historyQuerySchema = z.strictObject({
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  /** Most points to return. Default 500, at most 10,000. */
  points: z.coerce.number().int().min(1).max(10_000).default(500),
});

/** Epoch ms of 2000-01-01T00:00:00Z: no reading predates it (the platform's default bound). */
export const HISTORY_EARLIEST_MS = Date.UTC(2000, 0, 1);
/** How far past the clock `to` may reach: a day (the platform's default; readings are at most 10 min ahead). */
export const HISTORY_MAX_AHEAD_MS = 24 * 3600_000;
/** The longest range one request may ask for: 400 days (the platform's default: a year with room). */
export const HISTORY_MAX_RANGE_MS = 400 * 24 * 3600_000;

const refuse = (message: string, zh: string): AppError => new AppError('BAD_REQUEST', message, { expose: { reason: { zh, en: message } } });

/**
 * The range to read: `to` defaults to now, `from` to a day before `to`;
 * 400 BAD_REQUEST unless both lie between 2000-01-01 and a day ahead of
 * the clock, `to` after `from`, and the range at most 400 days — so that
 * no request reaches InfluxDB with a time it cannot take.
 */
export function historyRange(q: { from?: number | undefined; to?: number | undefined }, now: number): { from: number; to: number } {
  const to = q.to ?? now;
  const from = q.from ?? to - 24 * 3600_000;
  const latest = now + HISTORY_MAX_AHEAD_MS;
  for (const [name, t] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (t < HISTORY_EARLIEST_MS || t > latest)
      throw refuse(
        `\`${name}\` must be epoch milliseconds between ${HISTORY_EARLIEST_MS} (2000-01-01) and ${latest} (a day from now)`,
        `${name} 须为 2000-01-01 至明天之间的毫秒时间戳`,
      );
  }
  if (to <= from) throw refuse('`to` must be after `from`', 'to 须晚于 from');
  if (to - from > HISTORY_MAX_RANGE_MS) throw refuse(`the range may be at most ${HISTORY_MAX_RANGE_MS} ms (400 days)`, '查询时段最长 400 天');
  return { from, to };
}

export interface HistoryPlan {
  mode: 'raw' | 'downsampled';
  /** Where the points come from: the raw readings, or their 5-minute rollups (`rollup.reading_5m`). */
  source: 'raw' | 'rollup';
  intervalMs: number;
  influxql: string;
  /** With `rollup`: the raw readings of the recent buckets the rollup query may not have written yet, downsampled alike. */
  tailInfluxql?: string | undefined;
  /**
   * Downsampled: the range's last raw reading (a bucket's mean is no reading: the current value is the last one
   * measured). Absent when the raw readings of the range's end are no longer kept.
   */
  latestInfluxql?: string | undefined;
}

/**
 * Buckets younger than this may not be rolled up yet: the continuous query runs every 5 minutes (core/influx/retention.ts),
 * so with a margin of two runs everything older is written. History reads the raw readings for the rest.
 */
export const ROLLUP_FRESH_MS = 15 * 60_000;

/**
 * Raw readings when the range holds no more than `points` of them at the
 * sensor's expected period; otherwise mean/min/max/count per bucket of
 * `ceil(range / points)` ms, so spikes survive downsampling.
 *
 * With `rollup` (the rollups are kept: docs/adr/0008-retention-and-rollups.md),
 * a range that starts before `rawSinceMs` (raw readings are kept since then,
 * the raw retention) or whose buckets span at least a rollup interval (5 min)
 * reads the rollups instead: buckets are whole multiples of 5 min, min of the
 * mins, max of the maxes, the count summed and the mean weighted by it
 * (sum ÷ count), so a bucket says exactly what its raw readings would.
 */
export function planHistory(q: {
  enterpriseId: string;
  sensorId: string;
  from: number;
  to: number;
  points: number;
  periodMs: number;
  /** `freshSinceMs`: from when buckets may not be rolled up yet (now − ROLLUP_FRESH_MS); read raw. */
  rollup?: { rawSinceMs: number; freshSinceMs?: number | undefined } | undefined;
}): HistoryPlan {
  if (q.to <= q.from) throw new AppError('BAD_REQUEST', '`to` must be after `from`');
  const where = `"ent" = ${quoteString(q.enterpriseId)} AND "sensor" = ${quoteString(q.sensorId)} AND time >= ${q.from}ms AND time < ${q.to}ms`;
  const intervalMs = Math.max(1, Math.ceil((q.to - q.from) / q.points));
  const latest = (from: number): string =>
    `SELECT last("value") AS "value", "quality" FROM "${MEASUREMENTS.reading}" WHERE "ent" = ${quoteString(q.enterpriseId)} AND "sensor" = ${quoteString(q.sensorId)} AND time >= ${from}ms AND time < ${q.to}ms`;
  if (q.rollup && (q.from < q.rollup.rawSinceMs || intervalMs >= ROLLUP_INTERVAL_MS)) {
    const bucket = Math.ceil(intervalMs / ROLLUP_INTERVAL_MS) * ROLLUP_INTERVAL_MS;
    const fresh = q.rollup.freshSinceMs;
    // the recent buckets (whole ones, from the one holding `freshSinceMs`) come from the raw readings
    const cut = fresh !== undefined && fresh < q.to ? Math.max(q.from, Math.floor(fresh / bucket) * bucket) : q.to;
    const range = (from: number, to: number) =>
      `"ent" = ${quoteString(q.enterpriseId)} AND "sensor" = ${quoteString(q.sensorId)} AND time >= ${from}ms AND time < ${to}ms`;
    return {
      mode: 'downsampled',
      source: 'rollup',
      intervalMs: bucket,
      influxql:
        `SELECT sum("sum") / sum("count") AS "mean", min("min") AS "min", max("max") AS "max", sum("count") AS "count" ` +
        `FROM "${ROLLUP.policy}"."${ROLLUP.measurement}" WHERE ${range(q.from, cut)} GROUP BY time(${bucket}ms) fill(none)`,
      ...(q.to > q.rollup.rawSinceMs && { latestInfluxql: latest(Math.max(q.from, q.rollup.rawSinceMs)) }),
      ...(cut < q.to && {
        tailInfluxql: `SELECT mean("value") AS "mean", min("value") AS "min", max("value") AS "max", count("value") AS "count" FROM "${MEASUREMENTS.reading}" WHERE ${range(cut, q.to)} GROUP BY time(${bucket}ms) fill(none)`,
      }),
    };
  }
  if (intervalMs <= q.periodMs) {
    return {
      mode: 'raw',
      source: 'raw',
      intervalMs: 0,
      influxql: `SELECT "value", "quality" FROM "${MEASUREMENTS.reading}" WHERE ${where} ORDER BY time ASC LIMIT ${q.points}`,
    };
  }
  return {
    mode: 'downsampled',
    source: 'raw',
    intervalMs,
    influxql: `SELECT mean("value") AS "mean", min("value") AS "min", max("value") AS "max", count("value") AS "count" FROM "${MEASUREMENTS.reading}" WHERE ${where} GROUP BY time(${intervalMs}ms) fill(none)`,
    latestInfluxql: latest(q.from),
  };
}

export type HistoryPoint = { t: number; value: number; quality: string } | { t: number; mean: number; min: number; max: number; count: number };

export async function runHistory(influx: InfluxClient, plan: HistoryPlan): Promise<HistoryPoint[]> {
  const [head, tail] = await Promise.all([pointsOf(influx, plan.influxql, plan.mode), plan.tailInfluxql ? pointsOf(influx, plan.tailInfluxql, plan.mode) : []]);
  return [...head, ...tail];
}

/** The last reading of the plan's range as measured (raw): the last point of a raw answer, else its own query; null: none. */
export async function latestOf(
  influx: InfluxClient,
  plan: HistoryPlan,
  points: readonly HistoryPoint[],
): Promise<{ t: number; value: number; quality: string } | null> {
  if (plan.mode === 'raw') {
    const last = points.at(-1);
    return last && 'value' in last ? last : null;
  }
  if (!plan.latestInfluxql) return null;
  const [last] = await pointsOf(influx, plan.latestInfluxql, 'raw');
  return last && 'value' in last ? last : null;
}

async function pointsOf(influx: InfluxClient, influxql: string, mode: HistoryPlan['mode']): Promise<HistoryPoint[]> {
  const series = await influx.query(influxql);
  const s = series[0];
  if (!s) return [];
  const col = (name: string): number => s.columns.indexOf(name);
  const [t, value, quality, mean, min, max, count] = [col('time'), col('value'), col('quality'), col('mean'), col('min'), col('max'), col('count')];
  const num = (row: unknown[], i: number): number => row[i] as number;
  return s.values.map((row) =>
    mode === 'raw'
      ? { t: num(row, t), value: num(row, value), quality: row[quality] as string }
      : { t: num(row, t), mean: num(row, mean), min: num(row, min), max: num(row, max), count: num(row, count) },
  );
}
