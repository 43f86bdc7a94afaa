/**
 * Retention and rollups of the readings (docs/adr/0008-retention-and-rollups.md).
 *
 * Raw readings stay in the database's default retention policy (where ingest
 * writes, with no `rp=` on `/write`), whose duration becomes the configured
 * raw retention; a continuous query rolls them up into min/max/mean/count/sum
 * per 5 minutes (`reading_5m`) in the `rollup` policy, kept for years.
 * Everything here is InfluxQL that InfluxDB 1.6.7 and 1.8 both run; the ADR
 * gives the 2.x (bucket + task) and 3.x equivalents.
 */
import type { InfluxClient } from './client.ts';
import { quoteIdent } from './client.ts';
import { MEASUREMENTS } from './schema.ts';

const DAY_MS = 24 * 3600_000;
/** Width of one rollup bucket: 5 min, the interval of the max/min/mean that non-coal mine specs ask for. */
export const ROLLUP_INTERVAL_MS = 5 * 60_000;
export const ROLLUP = {
  /** Retention policy holding the rollups. */
  policy: 'rollup',
  /** Measurement of the 5-minute rollups of `reading` (tags kept: ent, gw, kind, sensor, unit). */
  measurement: `${MEASUREMENTS.reading}_5m`,
  /**
   * Name of the continuous query. It carries a version: a changed definition gets a new name,
   * and the platform drops the older `reading_5m…` ones, so a restart never recreates an unchanged one.
   */
  continuousQuery: `${MEASUREMENTS.reading}_5m_v1`,
  /** Late readings within this window are rolled up again (`RESAMPLE FOR`). */
  resampleFor: '1h',
} as const;
/** Raw readings back-filled into the rollups per statement on an upgrade (7 days). */
const BACKFILL_CHUNK_MS = 7 * DAY_MS;

export interface RetentionOptions {
  /** Days raw readings are kept (the default retention policy's duration). */
  rawDays: number;
  /** Days the rollups are kept. */
  rollupDays: number;
}

/** The aggregates of one rollup bucket, as InfluxQL select fields over `value`. */
const ROLLUP_FIELDS = 'min("value") AS "min", max("value") AS "max", mean("value") AS "mean", count("value") AS "count", sum("value") AS "sum"';

/**
 * `SELECT … INTO` the rollup from `rawPolicy` (null: the database's default policy, `db..reading`); `where` adds a
 * time range (the back-fill, a late reading's re-roll), absent in the continuous query.
 */
export function rollupSelect(database: string, rawPolicy: string | null, where?: string): string {
  const db = quoteIdent(database);
  return (
    `SELECT ${ROLLUP_FIELDS} INTO ${db}.${quoteIdent(ROLLUP.policy)}.${quoteIdent(ROLLUP.measurement)} ` +
    `FROM ${db}.${rawPolicy === null ? '' : quoteIdent(rawPolicy)}.${quoteIdent(MEASUREMENTS.reading)}${where ? ` WHERE ${where}` : ''} GROUP BY time(5m), *`
  );
}

export function createContinuousQuery(database: string, rawPolicy: string): string {
  return `CREATE CONTINUOUS QUERY ${quoteIdent(ROLLUP.continuousQuery)} ON ${quoteIdent(database)} RESAMPLE FOR ${ROLLUP.resampleFor} BEGIN ${rollupSelect(database, rawPolicy)} END`;
}

/** InfluxDB's duration text (`720h0m0s`, `0s` = infinite) in ms; 0 means infinite. */
export function parseInfluxDuration(s: string): number {
  let ms = 0;
  for (const [, n, unit] of s.matchAll(/(\d+)(h|m|s)/g)) ms += Number(n) * (unit === 'h' ? 3600_000 : unit === 'm' ? 60_000 : 1000);
  return ms;
}

interface Policy {
  name: string;
  durationMs: number;
  isDefault: boolean;
}

export async function retentionPolicies(influx: InfluxClient): Promise<Policy[]> {
  const [s] = await influx.query(`SHOW RETENTION POLICIES ON ${quoteIdent(influx.database)}`, { database: null });
  if (!s) return [];
  const c = (n: string): number => s.columns.indexOf(n);
  return s.values.map((r) => ({
    name: r[c('name')] as string,
    durationMs: parseInfluxDuration(r[c('duration')] as string),
    isDefault: r[c('default')] === true,
  }));
}

export async function continuousQueries(influx: InfluxClient): Promise<{ name: string; query: string }[]> {
  const series = await influx.query('SHOW CONTINUOUS QUERIES', { database: null });
  const s = series.find((x) => x.name === influx.database);
  if (!s) return [];
  return (s.values ?? []).map((r) => ({ name: r[s.columns.indexOf('name')] as string, query: r[s.columns.indexOf('query')] as string }));
}

export interface RetentionReport {
  rawPolicy: string;
  /** The raw policy's duration before, ms (0 = infinite). */
  rawBeforeMs: number;
  /** Back-fill windows run (an upgrade from a longer raw retention). */
  backfilledChunks: number;
  createdRollupPolicy: boolean;
  createdContinuousQuery: boolean;
}

/**
 * Sets up the retention policies and the continuous query, idempotently (a
 * restart changes nothing). On the first set-up (no rollup CQ yet), and
 * whenever the raw retention shrinks — a database upgraded in place from the
 * infinite `autogen` — every raw reading already stored is first rolled up,
 * then the raw policy's duration is set: readings older than the raw
 * retention stay readable as rollups.
 */
export async function ensureRetention(influx: InfluxClient, opts: RetentionOptions, now: number): Promise<RetentionReport> {
  const db = quoteIdent(influx.database);
  const q = (stmt: string): Promise<unknown> => influx.query(stmt, { method: 'POST', database: null });
  const policies = await retentionPolicies(influx);
  const raw = policies.find((p) => p.isDefault);
  if (!raw) throw new Error(`database ${influx.database} has no default retention policy`);
  const report: RetentionReport = {
    rawPolicy: raw.name,
    rawBeforeMs: raw.durationMs,
    backfilledChunks: 0,
    createdRollupPolicy: false,
    createdContinuousQuery: false,
  };

  const rollup = policies.find((p) => p.name === ROLLUP.policy);
  if (!rollup) {
    await q(`CREATE RETENTION POLICY ${quoteIdent(ROLLUP.policy)} ON ${db} DURATION ${opts.rollupDays}d REPLICATION 1`);
    report.createdRollupPolicy = true;
  } else if (rollup.durationMs !== opts.rollupDays * DAY_MS) {
    await q(`ALTER RETENTION POLICY ${quoteIdent(ROLLUP.policy)} ON ${db} DURATION ${opts.rollupDays}d`);
  }

  const cqs = await continuousQueries(influx);
  // no rollup CQ of any version yet: the readings already stored have never been rolled up
  const firstSetUp = !cqs.some((cq) => cq.name.startsWith(ROLLUP.measurement));
  for (const cq of cqs)
    if (cq.name.startsWith(ROLLUP.measurement) && cq.name !== ROLLUP.continuousQuery) await q(`DROP CONTINUOUS QUERY ${quoteIdent(cq.name)} ON ${db}`);
  if (!cqs.some((cq) => cq.name === ROLLUP.continuousQuery)) {
    await q(createContinuousQuery(influx.database, raw.name));
    report.createdContinuousQuery = true;
  }

  const target = opts.rawDays * DAY_MS;
  const shrinking = raw.durationMs === 0 || raw.durationMs > target;
  if (firstSetUp || (raw.durationMs !== target && shrinking)) report.backfilledChunks = await backfill(influx, raw.name, now);
  if (raw.durationMs !== target) await q(`ALTER RETENTION POLICY ${quoteIdent(raw.name)} ON ${db} DURATION ${opts.rawDays}d`);
  return report;
}

/** Rolls up every raw reading stored before `now`, a week per statement (no scheduler run reaches back before the CQ existed). */
async function backfill(influx: InfluxClient, rawPolicy: string, now: number): Promise<number> {
  const [first] = await influx.query(`SELECT first("value") FROM ${quoteIdent(rawPolicy)}.${quoteIdent(MEASUREMENTS.reading)}`);
  const t0 = first?.values[0]?.[0];
  if (typeof t0 !== 'number') return 0;
  let chunks = 0;
  const end = Math.ceil(now / ROLLUP_INTERVAL_MS) * ROLLUP_INTERVAL_MS;
  for (let from = Math.floor(t0 / ROLLUP_INTERVAL_MS) * ROLLUP_INTERVAL_MS; from < end; from += BACKFILL_CHUNK_MS) {
    const to = Math.min(end, from + BACKFILL_CHUNK_MS);
    await influx.query(rollupSelect(influx.database, rawPolicy, `time >= ${from}ms AND time < ${to}ms`), { method: 'POST', timeoutMs: 600_000 });
    chunks++;
  }
  return chunks;
}
