/**
 * Late readings and the rollups (docs/adr/0008-retention-and-rollups.md).
 *
 * The rollup continuous query re-computes only the last hour (`RESAMPLE FOR
 * 1h`), so a reading stored later than that — a gateway's backlog flushed
 * after an outage — would be missing from its 5-minute rollup. The gateway
 * part notes the 5-minute buckets of such readings per sensor after they are
 * stored, and `flush` rolls those buckets up again, one statement per sensor
 * and run of buckets. Noting is a comparison per item, off the write path.
 */
import { quoteString, type InfluxClient } from '../core/influx/client.ts';
import { ROLLUP_INTERVAL_MS, rollupSelect } from '../core/influx/retention.ts';
import type { Normalised } from './decode.ts';

/**
 * A reading older than this when stored may miss the CQ's re-computation: the CQ runs every 5 min over the last
 * hour, so a bucket is safe only if it starts at least 5 min (the next run) plus a 5 min margin inside that hour.
 */
export const LATE_AFTER_MS = 45 * 60_000;

export class LateRollups {
  /** `ent \0 sensor` → bucket starts (ms) to roll up again. */
  private readonly dirty = new Map<string, Set<number>>();

  /** Notes the buckets of the readings stored later than `LATE_AFTER_MS`. */
  note(enterpriseId: string, items: readonly Normalised[], now: number): void {
    const late = now - LATE_AFTER_MS;
    for (const item of items) {
      if (item.type !== 'reading' || item.ts >= late) continue;
      const key = `${enterpriseId}\0${item.point.id}`;
      let buckets = this.dirty.get(key);
      if (!buckets) this.dirty.set(key, (buckets = new Set()));
      buckets.add(Math.floor(item.ts / ROLLUP_INTERVAL_MS) * ROLLUP_INTERVAL_MS);
    }
  }

  /** Buckets waiting, over all sensors. */
  get pending(): number {
    let n = 0;
    for (const b of this.dirty.values()) n += b.size;
    return n;
  }

  /**
   * The statements that roll the noted buckets up again (and forgets them): per sensor, one per run of
   * consecutive buckets, reading the database's default policy (`db..reading`, where raw readings are).
   */
  take(database: string): string[] {
    const out = [...this.dirty].flatMap(([key, buckets]) => statementsOf(database, key, buckets));
    this.dirty.clear();
    return out;
  }

  /**
   * Runs the statements, sensor by sensor. A sensor's buckets are forgotten once its statements have run; when
   * one fails, its buckets and those of the sensors not yet done are noted again (the next flush retries them)
   * and the error is the caller's to log.
   */
  async flush(influx: InfluxClient): Promise<number> {
    const work = [...this.dirty];
    this.dirty.clear();
    let n = 0;
    for (const [i, [key, buckets]] of work.entries()) {
      try {
        for (const s of statementsOf(influx.database, key, buckets)) {
          await influx.query(s, { method: 'POST', timeoutMs: 60_000 });
          n++;
        }
      } catch (err) {
        for (const [k, b] of work.slice(i)) {
          const again = this.dirty.get(k) ?? new Set<number>();
          for (const t of b) again.add(t);
          this.dirty.set(k, again);
        }
        throw err;
      }
    }
    return n;
  }
}

/** One sensor's statements: one per run of consecutive buckets. */
function statementsOf(database: string, key: string, buckets: ReadonlySet<number>): string[] {
  const out: string[] = [];
  const [ent = '', sensor = ''] = key.split('\0');
  const starts = [...buckets].sort((a, b) => a - b);
  let from = starts[0]!;
  let to = from + ROLLUP_INTERVAL_MS;
  const emit = () =>
    out.push(rollupSelect(database, null, `"ent" = ${quoteString(ent)} AND "sensor" = ${quoteString(sensor)} AND time >= ${from}ms AND time < ${to}ms`));
  for (const s of starts.slice(1)) {
    if (s === to) to += ROLLUP_INTERVAL_MS;
    else {
      emit();
      from = s;
      to = s + ROLLUP_INTERVAL_MS;
    }
  }
  emit();
  return out;
}
