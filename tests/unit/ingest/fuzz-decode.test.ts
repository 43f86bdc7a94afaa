/**
 * Property-based fuzzing (fast-check) of the uplink decoders (issue #6 §3):
 * whatever bytes or JSON a gateway sends, decoding never throws, accounts
 * for every item exactly once (stored or rejected with a known code), never
 * lets a bad item sink its neighbours, never writes a non-finite value, and
 * stores valid readings exactly as sent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PointRecord } from '../../../ledger/registry.ts';
import { sensorPoint as sensor, signalPoint as signal, type SensorPoint } from '../../../testkit/points.ts';
import { REJECT_CODES, decodeReadings, decodeSignals, type DecodeContext, type Decoded } from '../../../ingest/decode.ts';

const NOW = Date.UTC(2026, 0, 1);
const SKEW = 10 * 60_000;
const AGE = 30 * 24 * 3600_000;
const RUNS = { numRuns: Number(process.env.FUZZ_RUNS ?? 400) };

const SENSORS = [sensor('GT-101', 'combustible_gas', '%LEL'), sensor('LT-201', 'level', 'm'), sensor('TT-301', 'temperature', '°C')];
const points = new Map<string, PointRecord>([...SENSORS, signal('P-RUN', 'production'), signal('V-IN', 'valve')].map((p) => [p.id, p]));
const ctx: DecodeContext = { points, now: NOW, maxFutureSkewMs: SKEW, maxAgeMs: AGE };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Every item accounted for once; codes known; whole-message rejections alone; lines only for accepted items. */
function consistent(d: Decoded): void {
  expect(d.lines.length).toBe(d.items.length);
  for (const r of d.rejections) expect(REJECT_CODES).toContain(r.code);
  if (d.itemCount === 0) {
    expect(d.lines).toEqual([]);
    expect(d.rejections).toHaveLength(1);
    expect(d.rejections[0]!.index).toBeUndefined();
    return;
  }
  const rejected = d.rejections.map((r) => r.index);
  for (const i of rejected) {
    expect(i).toBeGreaterThanOrEqual(0);
    expect(i).toBeLessThan(d.itemCount);
  }
  expect(new Set(rejected).size).toBe(rejected.length);
  expect(d.items.length + rejected.length).toBe(d.itemCount);
  for (const line of d.lines) expect(line).not.toMatch(/value=(NaN|Infinity|-Infinity)\b/);
  for (const item of d.items) if (item.type === 'reading') expect(Number.isFinite(item.value)).toBe(true);
}

/** A valid reading of one of the provisioned sensors within the accepted time window. */
const validReading = fc.record({
  s: fc.constantFrom(...SENSORS),
  value: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }),
  quality: fc.constantFrom('good', 'uncertain', 'bad'),
  ts: fc.integer({ min: NOW - AGE + 1000, max: NOW + SKEW - 1 }),
});
const asItem = (r: { s: SensorPoint; value: number; quality: string; ts: number }) => ({
  sensor: r.s.id,
  value: r.value,
  unit: r.s.unit,
  quality: r.quality,
  ts: r.ts,
});

describe('decoders under arbitrary input', () => {
  it('never throw on arbitrary bytes, and account for the message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => {
        consistent(decodeReadings(b, ctx));
        consistent(decodeSignals(b, ctx));
      }),
      RUNS,
    );
  });

  it('never throw on arbitrary JSON, in or out of an envelope', () => {
    const anyJson = fc.jsonValue({ maxDepth: 4 });
    const envelope = fc.oneof(
      anyJson,
      fc.record({ v: fc.oneof(fc.constant(1), anyJson), readings: fc.array(anyJson, { maxLength: 30 }) }),
      fc.record({ v: fc.oneof(fc.constant(1), anyJson), signals: fc.array(anyJson, { maxLength: 30 }) }),
    );
    fc.assert(
      fc.property(envelope, (v) => {
        const b = bytes(JSON.stringify(v));
        consistent(decodeReadings(b, ctx));
        consistent(decodeSignals(b, ctx));
      }),
      RUNS,
    );
  });

  it('stores every valid reading exactly as sent', () => {
    fc.assert(
      fc.property(fc.array(validReading, { minLength: 1, maxLength: 50 }), (rs) => {
        const d = decodeReadings(bytes(JSON.stringify({ v: 1, readings: rs.map(asItem) })), ctx);
        expect(d.rejections).toEqual([]);
        expect(d.items.map((i) => (i.type === 'reading' ? [i.point.id, i.value, i.quality, i.ts] : []))).toEqual(
          rs.map((r) => [r.s.id, r.value + 0 /* JSON has no -0 */, r.quality, r.ts]),
        );
        consistent(d);
      }),
      RUNS,
    );
  });

  it('lets one corrupted item sink only itself', () => {
    fc.assert(
      fc.property(
        fc.array(validReading, { minLength: 2, maxLength: 30 }),
        fc.nat(),
        fc.constantFrom('sensor', 'value', 'unit', 'quality', 'ts', 'extra'),
        fc.jsonValue({ maxDepth: 2 }),
        (rs, at, field, junk) => {
          const items: Record<string, unknown>[] = rs.map(asItem);
          const k = at % items.length;
          items[k] = { ...items[k], [field]: junk };
          const d = decodeReadings(bytes(JSON.stringify({ v: 1, readings: items })), ctx);
          consistent(d);
          // every other item is stored; the corrupted one is stored only if it is still a valid reading
          expect(d.rejections.every((r) => r.index === k)).toBe(true);
          expect(d.items.length).toBeGreaterThanOrEqual(items.length - 1);
        },
      ),
      RUNS,
    );
  });

  it('rejects values JSON cannot carry but a parser may produce (1e999 → Infinity)', () => {
    fc.assert(
      fc.property(fc.constantFrom('1e999', '-1e999', '1e400'), fc.constantFrom(...SENSORS), (v, s) => {
        const d = decodeReadings(bytes(`{"v":1,"readings":[{"sensor":"${s.id}","value":${v},"unit":"${s.unit}","quality":"good","ts":${NOW}}]}`), ctx);
        expect(d.rejections.map((r) => r.code)).toEqual(['bad_item']);
        consistent(d);
      }),
    );
  });
});
