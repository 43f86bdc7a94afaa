/** Decoding of uplink messages into line protocol and rejections, against a hand-built point map and a fixed clock. */
import { describe, expect, it } from 'vitest';
import type { PointRecord } from '../../../ledger/registry.ts';
import { sensorPoint as sensor, signalPoint as signal } from '../../../testkit/points.ts';
import { REJECT_CODES, decodeReadings, decodeSignals, type DecodeContext, type Decoded, type RejectCode } from '../../../ingest/decode.ts';

const NOW = Date.UTC(2026, 0, 1); // 1767225600000
const SKEW = 10 * 60_000;
const AGE = 30 * 24 * 3600_000;

const points = new Map<string, PointRecord>(
  [sensor('GT-101', 'combustible_gas', '%LEL'), sensor('LT-201', 'level', 'm'), signal('P-RUN', 'production'), signal('V-IN', 'valve')].map((p) => [p.id, p]),
);
const ctx: DecodeContext = { points, now: NOW, maxFutureSkewMs: SKEW, maxAgeMs: AGE };

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const json = (o: unknown): Uint8Array => bytes(JSON.stringify(o));
const readings = (...items: unknown[]): Uint8Array => json({ v: 1, readings: items });
const signals = (...items: unknown[]): Uint8Array => json({ v: 1, signals: items });
const gas = (over: Record<string, unknown> = {}) => ({ sensor: 'GT-101', value: 12.5, unit: '%LEL', quality: 'good', ts: NOW, ...over });
const run = (over: Record<string, unknown> = {}) => ({ point: 'P-RUN', state: 'running', ts: NOW, ...over });

const codes = (d: Decoded): RejectCode[] => d.rejections.map((r) => r.code);

describe('decodeReadings: valid items', () => {
  it('renders exact line protocol lines and normalised items', () => {
    const d = decodeReadings(readings(gas(), { sensor: 'LT-201', value: 3, unit: 'm', quality: 'uncertain', ts: '2026-01-01T07:59:59.500+08:00' }), ctx);
    expect(d.lines).toEqual([
      'reading,ent=E1,gw=G1,kind=combustible_gas,sensor=GT-101,unit=%LEL value=12.5,quality="good" 1767225600000',
      'reading,ent=E1,gw=G1,kind=level,sensor=LT-201,unit=m value=3.0,quality="uncertain" 1767225599500',
    ]);
    expect(d.rejections).toEqual([]);
    expect(d.unknownPoints).toEqual([]);
    expect(d.itemCount).toBe(2);
    expect(d.items).toEqual([
      { type: 'reading', point: points.get('GT-101'), value: 12.5, quality: 'good', ts: NOW },
      { type: 'reading', point: points.get('LT-201'), value: 3, quality: 'uncertain', ts: NOW - 500 },
    ]);
  });

  const values: { name: string; value: number; field: string }[] = [
    { name: 'integer rendered as a float', value: 12, field: 'value=12.0' },
    { name: 'zero', value: 0, field: 'value=0.0' },
    { name: 'negative integer', value: -4, field: 'value=-4.0' },
    { name: 'negative fraction', value: -0.25, field: 'value=-0.25' },
  ];
  it.each(values)('$name', ({ value, field }) => {
    const d = decodeReadings(readings(gas({ value })), ctx);
    expect(d.lines).toEqual([`reading,ent=E1,gw=G1,kind=combustible_gas,sensor=GT-101,unit=%LEL ${field},quality="good" ${NOW}`]);
  });

  it('accepts timestamps exactly at the future-skew and age limits', () => {
    const d = decodeReadings(readings(gas({ ts: NOW + SKEW }), gas({ ts: NOW - AGE })), ctx);
    expect(d.rejections).toEqual([]);
    expect(d.lines).toHaveLength(2);
  });
});

describe('decodeReadings: whole-message rejections', () => {
  const cases: { name: string; payload: Uint8Array; code: RejectCode }[] = [
    { name: 'invalid UTF-8', payload: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), code: 'not_utf8' },
    { name: 'truncated UTF-8 sequence', payload: new Uint8Array([...bytes('{"v":1,"readings":["'), 0xe4, 0xb8]), code: 'not_utf8' },
    { name: 'not JSON', payload: bytes('hello'), code: 'malformed_json' },
    { name: 'truncated JSON', payload: bytes('{"v":1,"readings":['), code: 'malformed_json' },
    {
      name: 'bare NaN in JSON',
      payload: bytes('{"v":1,"readings":[{"sensor":"GT-101","value":NaN,"unit":"%LEL","quality":"good","ts":0}]}'),
      code: 'malformed_json',
    },
    { name: 'empty payload', payload: new Uint8Array(0), code: 'malformed_json' },
    { name: 'JSON null', payload: bytes('null'), code: 'bad_envelope' },
    { name: 'JSON array', payload: json([gas()]), code: 'bad_envelope' },
    { name: 'missing v', payload: json({ readings: [gas()] }), code: 'bad_envelope' },
    { name: 'missing readings', payload: json({ v: 1 }), code: 'bad_envelope' },
    { name: 'empty readings', payload: json({ v: 1, readings: [] }), code: 'bad_envelope' },
    { name: 'readings not an array', payload: json({ v: 1, readings: gas() }), code: 'bad_envelope' },
    { name: 'extra envelope key', payload: json({ v: 1, readings: [gas()], gw: 'G1' }), code: 'bad_envelope' },
    { name: 'signals on the readings topic', payload: json({ v: 1, signals: [run()] }), code: 'bad_envelope' },
    { name: 'more than 1000 items', payload: json({ v: 1, readings: Array.from({ length: 1001 }, () => gas()) }), code: 'bad_envelope' },
    { name: 'version 2', payload: json({ v: 2, readings: [gas()] }), code: 'unsupported_version' },
    { name: 'version 0', payload: json({ v: 0, readings: [gas()] }), code: 'unsupported_version' },
  ];
  it.each(cases)('$name → $code', ({ payload, code }) => {
    const d = decodeReadings(payload, ctx);
    expect(codes(d)).toEqual([code]);
    expect(d.rejections[0]?.index).toBeUndefined();
    expect(d.rejections[0]?.reason).not.toBe('');
    expect(d.lines).toEqual([]);
    expect(d.items).toEqual([]);
    expect(d.itemCount).toBe(0);
  });
});

describe('decodeReadings: item rejections', () => {
  const j = (o: unknown): string => JSON.stringify(o);
  // Items as JSON text, so a case can spell what JSON.stringify cannot (1e400 parses to Infinity).
  const bad: { name: string; itemJson: string; code: RejectCode }[] = [
    { name: 'value as a string', itemJson: j(gas({ value: '12.5' })), code: 'bad_item' },
    { name: 'value null', itemJson: j(gas({ value: null })), code: 'bad_item' },
    { name: 'value overflowing to Infinity', itemJson: j(gas()).replace('12.5', '1e400'), code: 'bad_item' },
    { name: 'value overflowing to -Infinity', itemJson: j(gas()).replace('12.5', '-1e400'), code: 'bad_item' },
    { name: 'missing value', itemJson: j((({ value: _v, ...rest }) => rest)(gas())), code: 'bad_item' },
    { name: 'missing ts', itemJson: j((({ ts: _t, ...rest }) => rest)(gas())), code: 'bad_item' },
    { name: 'extra field', itemJson: j(gas({ note: 'hi' })), code: 'bad_item' },
    { name: 'unknown quality', itemJson: j(gas({ quality: 'ok' })), code: 'bad_item' },
    { name: 'empty unit', itemJson: j(gas({ unit: '' })), code: 'bad_item' },
    { name: 'sensor id with a space', itemJson: j(gas({ sensor: 'GT 101' })), code: 'bad_item' },
    { name: 'ts without zone', itemJson: j(gas({ ts: '2026-01-01T00:00:00' })), code: 'bad_item' },
    { name: 'fractional ts', itemJson: j(gas({ ts: NOW + 0.5 })), code: 'bad_item' },
    { name: 'item not an object', itemJson: '42', code: 'bad_item' },
    { name: 'unknown sensor', itemJson: j(gas({ sensor: 'GT-999' })), code: 'unknown_sensor' },
    { name: 'reading for a signal point', itemJson: j(gas({ sensor: 'P-RUN' })), code: 'wrong_point_type' },
    { name: 'unit differs from provisioned', itemJson: j(gas({ unit: 'ppm' })), code: 'unit_mismatch' },
    { name: 'unit differs only in case', itemJson: j(gas({ unit: '%lel' })), code: 'unit_mismatch' },
    { name: 'ts just beyond future skew', itemJson: j(gas({ ts: NOW + SKEW + 1 })), code: 'timestamp_in_future' },
    { name: 'ts far in the future (ISO)', itemJson: j(gas({ ts: '2027-01-01T00:00:00Z' })), code: 'timestamp_in_future' },
    { name: 'ts just beyond max age', itemJson: j(gas({ ts: NOW - AGE - 1 })), code: 'timestamp_too_old' },
    { name: 'ts at epoch zero', itemJson: j(gas({ ts: 0 })), code: 'timestamp_too_old' },
  ];
  it.each(bad)('$name → $code, neighbours kept', ({ itemJson, code }) => {
    const d = decodeReadings(bytes(`{"v":1,"readings":[${j(gas({ value: 1 }))},${itemJson},${j(gas({ value: 2 }))}]}`), ctx);
    expect(codes(d)).toEqual([code]);
    expect(d.rejections[0]?.index).toBe(1);
    expect(d.rejections[0]?.reason).not.toBe('');
    expect(d.rejections[0]?.item).toEqual(JSON.parse(itemJson));
    expect(d.itemCount).toBe(3);
    expect(d.items.map((i) => (i.type === 'reading' ? i.value : undefined))).toEqual([1, 2]);
    expect(d.lines).toHaveLength(2);
  });

  it('lists unknown sensors in unknownPoints, and only those', () => {
    const d = decodeReadings(readings(gas({ sensor: 'GT-998' }), gas(), gas({ sensor: 'GT-999' }), gas({ unit: 'ppm' })), ctx);
    expect(d.unknownPoints).toEqual(['GT-998', 'GT-999']);
    expect(codes(d)).toEqual(['unknown_sensor', 'unknown_sensor', 'unit_mismatch']);
  });

  it('keeps valid items of a partial batch in message order, with rejection indexes', () => {
    const d = decodeReadings(
      readings(
        gas({ value: 1, ts: NOW - 3 }),
        gas({ value: 'x' }),
        gas({ sensor: 'LT-201', value: 2, unit: 'm', ts: NOW - 2 }),
        gas({ sensor: 'NOPE' }),
        gas({ value: 3, ts: NOW - 1 }),
      ),
      ctx,
    );
    expect(d.itemCount).toBe(5);
    expect(d.lines).toEqual([
      `reading,ent=E1,gw=G1,kind=combustible_gas,sensor=GT-101,unit=%LEL value=1.0,quality="good" ${NOW - 3}`,
      `reading,ent=E1,gw=G1,kind=level,sensor=LT-201,unit=m value=2.0,quality="good" ${NOW - 2}`,
      `reading,ent=E1,gw=G1,kind=combustible_gas,sensor=GT-101,unit=%LEL value=3.0,quality="good" ${NOW - 1}`,
    ]);
    expect(d.rejections.map((r) => [r.code, r.index])).toEqual([
      ['bad_item', 1],
      ['unknown_sensor', 3],
    ]);
  });
});

describe('decodeSignals', () => {
  it('renders exact line protocol lines with the state code', () => {
    const d = decodeSignals(signals(run(), { point: 'V-IN', kind: 'valve', state: 'closed', ts: '2026-01-01T00:00:00Z' }), ctx);
    expect(d.lines).toEqual([
      `signal,ent=E1,gw=G1,kind=production,point=P-RUN state="running",code=0i ${NOW}`,
      `signal,ent=E1,gw=G1,kind=valve,point=V-IN state="closed",code=1i ${NOW}`,
    ]);
    expect(d.items).toEqual([
      { type: 'signal', point: points.get('P-RUN'), state: 'running', ts: NOW },
      { type: 'signal', point: points.get('V-IN'), state: 'closed', ts: NOW },
    ]);
    expect(d.rejections).toEqual([]);
    expect(d.itemCount).toBe(2);
  });

  const wholeCases: { name: string; payload: Uint8Array; code: RejectCode }[] = [
    { name: 'invalid UTF-8', payload: new Uint8Array([0xc3, 0x28]), code: 'not_utf8' },
    { name: 'not JSON', payload: bytes('{"v":1,'), code: 'malformed_json' },
    { name: 'readings on the signals topic', payload: json({ v: 1, readings: [gas()] }), code: 'bad_envelope' },
    { name: 'version 2', payload: json({ v: 2, signals: [run()] }), code: 'unsupported_version' },
  ];
  it.each(wholeCases)('whole message: $name → $code', ({ payload, code }) => {
    const d = decodeSignals(payload, ctx);
    expect(codes(d)).toEqual([code]);
    expect(d.itemCount).toBe(0);
    expect(d.lines).toEqual([]);
  });

  const bad: { name: string; item: unknown; code: RejectCode }[] = [
    { name: 'missing state', item: (({ state: _s, ...rest }) => rest)(run()), code: 'bad_item' },
    { name: 'extra field', item: run({ value: 1 }), code: 'bad_item' },
    { name: 'unknown kind', item: run({ kind: 'pump' }), code: 'bad_item' },
    { name: 'state as a number', item: run({ state: 1 }), code: 'bad_item' },
    { name: 'unknown point', item: run({ point: 'P-NONE' }), code: 'unknown_sensor' },
    { name: 'signal for a sensor', item: run({ point: 'GT-101' }), code: 'wrong_point_type' },
    { name: 'state outside the vocabulary', item: run({ state: 'open' }), code: 'bad_state' },
    { name: 'state in wrong case', item: run({ state: 'Running' }), code: 'bad_state' },
    { name: 'kind differs from provisioned (state valid for the provisioned kind)', item: run({ kind: 'valve', state: 'running' }), code: 'bad_state' },
    { name: 'kind differs from provisioned (state valid for the claimed kind)', item: run({ kind: 'valve', state: 'open' }), code: 'bad_state' },
    { name: 'ts beyond future skew', item: run({ ts: NOW + SKEW + 1 }), code: 'timestamp_in_future' },
    { name: 'ts beyond max age', item: run({ ts: NOW - AGE - 1 }), code: 'timestamp_too_old' },
  ];
  it.each(bad)('item: $name → $code, neighbours kept', ({ item, code }) => {
    const d = decodeSignals(signals(run({ state: 'stopped' }), item, run({ point: 'V-IN', state: 'open' })), ctx);
    expect(codes(d)).toEqual([code]);
    expect(d.rejections[0]?.index).toBe(1);
    expect(d.rejections[0]?.item).toEqual(item);
    expect(d.itemCount).toBe(3);
    expect(d.items.map((i) => (i.type === 'signal' ? i.state : undefined))).toEqual(['stopped', 'open']);
  });

  it('lists unknown points in unknownPoints', () => {
    const d = decodeSignals(signals(run({ point: 'X-1' }), run()), ctx);
    expect(d.unknownPoints).toEqual(['X-1']);
  });

  it('accepts a matching explicit kind', () => {
    const d = decodeSignals(signals(run({ kind: 'production', state: 'stopped' })), ctx);
    expect(d.rejections).toEqual([]);
    expect(d.lines).toEqual([`signal,ent=E1,gw=G1,kind=production,point=P-RUN state="stopped",code=1i ${NOW}`]);
  });
});

describe('reject code coverage', () => {
  // Every code in the catalogue must be produced by some case above; this guards the table when a code is added.
  it('is exercised for every code in REJECT_CODES', () => {
    const seen = new Set<RejectCode>();
    const collect = (d: Decoded) => d.rejections.forEach((r) => seen.add(r.code));
    collect(decodeReadings(new Uint8Array([0xff]), ctx));
    collect(decodeReadings(bytes('{'), ctx));
    collect(decodeReadings(json({ v: 1 }), ctx));
    collect(decodeReadings(json({ v: 9, readings: [gas()] }), ctx));
    collect(
      decodeReadings(
        readings(
          gas({ value: 'x' }),
          gas({ sensor: 'NOPE' }),
          gas({ sensor: 'P-RUN' }),
          gas({ unit: 'm' }),
          gas({ ts: NOW + SKEW + 1 }),
          gas({ ts: NOW - AGE - 1 }),
        ),
        ctx,
      ),
    );
    collect(decodeSignals(signals(run({ state: 'open' })), ctx));
    expect([...seen].sort()).toEqual([...REJECT_CODES].sort());
  });
});
