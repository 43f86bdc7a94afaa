/** The InfluxQL of the retention set-up (docs/adr/0008) and the durations InfluxDB reports. */
import { describe, expect, it } from 'vitest';
import { createContinuousQuery, parseInfluxDuration, rollupSelect } from '../../../core/influx/retention.ts';

describe('parseInfluxDuration', () => {
  it.each([
    ['0s', 0], // infinite
    ['744h0m0s', 31 * 86_400_000],
    ['43920h0m0s', 1830 * 86_400_000],
    ['1h30m15s', 5_415_000],
    ['168h0m0s', 7 * 86_400_000],
  ])('%s → %i ms', (text, ms) => {
    expect(parseInfluxDuration(text)).toBe(ms);
  });
});

describe('rollup statements', () => {
  it('the continuous query: 5-minute min/max/mean/count/sum of the raw policy into rollup.reading_5m, every tag kept, late data within 1 h re-rolled', () => {
    expect(createContinuousQuery('safety', 'autogen')).toBe(
      'CREATE CONTINUOUS QUERY "reading_5m_v1" ON "safety" RESAMPLE FOR 1h BEGIN ' +
        'SELECT min("value") AS "min", max("value") AS "max", mean("value") AS "mean", count("value") AS "count", sum("value") AS "sum" ' +
        'INTO "safety"."rollup"."reading_5m" FROM "safety"."autogen"."reading" GROUP BY time(5m), * END',
    );
  });

  it('the back-fill is the same SELECT over a time range; identifiers are quoted', () => {
    expect(rollupSelect('my"db', 'raw', 'time >= 0ms AND time < 300000ms')).toBe(
      'SELECT min("value") AS "min", max("value") AS "max", mean("value") AS "mean", count("value") AS "count", sum("value") AS "sum" ' +
        'INTO "my\\"db"."rollup"."reading_5m" FROM "my\\"db"."raw"."reading" WHERE time >= 0ms AND time < 300000ms GROUP BY time(5m), *',
    );
  });
});
