/**
 * One sensor's history over a time range, downsampled to a point budget.
 * Pure query planning plus a thin execution step against InfluxQL.
 */
import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import { quoteString, type InfluxClient } from '../core/influx/client.ts';
import { MEASUREMENTS } from '../core/influx/schema.ts';

export const historyQuerySchema = z.strictObject({
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  /** Most points to return. Default 500, at most 10,000. */
  points: z.coerce.number().int().min(1).max(10_000).default(500),
});

export interface HistoryPlan {
  mode: 'raw' | 'downsampled';
  intervalMs: number;
  influxql: string;
}

/**
 * Raw readings when the range holds no more than `points` of them at the
 * sensor's expected period; otherwise mean/min/max per bucket of
 * `ceil(range / points)` ms, so spikes survive downsampling.
 */
export function planHistory(q: { enterpriseId: string; sensorId: string; from: number; to: number; points: number; periodMs: number }): HistoryPlan {
  if (q.to <= q.from) throw new AppError('BAD_REQUEST', '`to` must be after `from`');
  const where = `"ent" = ${quoteString(q.enterpriseId)} AND "sensor" = ${quoteString(q.sensorId)} AND time >= ${q.from}ms AND time < ${q.to}ms`;
  const intervalMs = Math.max(1, Math.ceil((q.to - q.from) / q.points));
  if (intervalMs <= q.periodMs) {
    return {
      mode: 'raw',
      intervalMs: 0,
      influxql: `SELECT "value", "quality" FROM "${MEASUREMENTS.reading}" WHERE ${where} ORDER BY time ASC LIMIT ${q.points}`,
    };
  }
  return {
    mode: 'downsampled',
    intervalMs,
    influxql: `SELECT mean("value") AS "mean", min("value") AS "min", max("value") AS "max", count("value") AS "count" FROM "${MEASUREMENTS.reading}" WHERE ${where} GROUP BY time(${intervalMs}ms) fill(none)`,
  };
}

export type HistoryPoint = { t: number; value: number; quality: string } | { t: number; mean: number; min: number; max: number; count: number };

export async function runHistory(influx: InfluxClient, plan: HistoryPlan): Promise<HistoryPoint[]> {
  const series = await influx.query(plan.influxql);
  const s = series[0];
  if (!s) return [];
  const col = (name: string): number => s.columns.indexOf(name);
  const [t, value, quality, mean, min, max, count] = [col('time'), col('value'), col('quality'), col('mean'), col('min'), col('max'), col('count')];
  const num = (row: unknown[], i: number): number => row[i] as number;
  return s.values.map((row) =>
    plan.mode === 'raw'
      ? { t: num(row, t), value: num(row, value), quality: row[quality] as string }
      : { t: num(row, t), mean: num(row, mean), min: num(row, min), max: num(row, max), count: num(row, count) },
  );
}
