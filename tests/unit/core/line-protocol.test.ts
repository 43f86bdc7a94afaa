/** InfluxDB line protocol: escaping and field rendering, and the schema's series keys built on them. */
import { describe, expect, it } from 'vitest';
import { escapeMeasurement, escapeTag, floatField, stringField } from '../../../core/influx/line-protocol.ts';
import { gatewayStatusLine, readingLine, readingSeriesKey, signalLine, signalSeriesKey } from '../../../core/influx/schema.ts';

// Expected values are written with String.raw so each backslash on the page is one backslash in the output.
describe('escapeTag', () => {
  const cases: { name: string; input: string; want: string }[] = [
    { name: 'plain id untouched', input: 'GT-101', want: 'GT-101' },
    { name: 'unit with symbols untouched', input: '%LEL', want: '%LEL' },
    { name: 'non-ASCII untouched', input: 'm³/h', want: 'm³/h' },
    { name: 'space', input: 'mg/m3 dry', want: String.raw`mg/m3\ dry` },
    { name: 'comma', input: 'a,b', want: String.raw`a\,b` },
    { name: 'equals', input: 'a=b', want: String.raw`a\=b` },
    { name: 'backslash', input: String.raw`a\b`, want: String.raw`a\\b` },
    { name: 'trailing backslash cannot escape the next separator', input: 'a\\', want: String.raw`a\\` },
    { name: 'backslash before a comma', input: String.raw`a\,b`, want: String.raw`a\\\,b` },
    { name: 'all at once', input: String.raw`x y,z=w\v`, want: String.raw`x\ y\,z\=w\\v` },
    { name: 'newline cannot split the line', input: 'a\nb', want: String.raw`a\nb` },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    const out = escapeTag(input);
    expect(out).toBe(want);
    expect(out).not.toContain('\n');
  });
});

describe('escapeMeasurement', () => {
  const cases: { input: string; want: string }[] = [
    { input: 'reading', want: 'reading' },
    { input: 'my reading', want: String.raw`my\ reading` },
    { input: 'a,b', want: String.raw`a\,b` },
    { input: 'a=b', want: 'a=b' },
    { input: String.raw`a\b`, want: String.raw`a\\b` },
  ];
  it.each(cases)('$input → $want', ({ input, want }) => {
    expect(escapeMeasurement(input)).toBe(want);
  });
});

describe('stringField', () => {
  const cases: { name: string; input: string; want: string }[] = [
    { name: 'plain', input: 'running', want: '"running"' },
    { name: 'empty', input: '', want: '""' },
    { name: 'spaces, commas and equals need no escape', input: 'a b,c=d', want: '"a b,c=d"' },
    { name: 'double quotes', input: 'say "hi"', want: String.raw`"say \"hi\""` },
    { name: 'backslash', input: String.raw`C:\path`, want: String.raw`"C:\\path"` },
    { name: 'trailing backslash cannot escape the closing quote', input: 'end\\', want: String.raw`"end\\"` },
    { name: 'backslash then quote', input: String.raw`\"`, want: String.raw`"\\\""` },
    { name: 'non-ASCII', input: '报警', want: '"报警"' },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    expect(stringField(input)).toBe(want);
  });
});

describe('floatField', () => {
  const exact: { input: number; want: string }[] = [
    { input: 12, want: '12.0' },
    { input: 0, want: '0.0' },
    { input: -0, want: '0.0' },
    { input: -3, want: '-3.0' },
    { input: 12.5, want: '12.5' },
    { input: -0.001, want: '-0.001' },
    { input: 123456789012, want: '123456789012.0' },
    { input: 1e-7, want: '1e-7' },
    { input: -2.5e-10, want: '-2.5e-10' },
  ];
  it.each(exact)('$input → $want', ({ input, want }) => {
    expect(floatField(input)).toBe(want);
  });

  // JavaScript prints integers of 1e21 and above in exponent form; appending ".0" to "1e+21" is not a number.
  const LINE_PROTOCOL_FLOAT = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
  const large = [1e21, -1e21, 1.5e300, Number.MAX_VALUE, 1e20, 2 ** 53];
  it.each(large)('renders %d as a float line protocol can parse, with the same value', (n) => {
    const out = floatField(n);
    expect(out).toMatch(LINE_PROTOCOL_FLOAT);
    expect(Number(out)).toBe(n);
  });
});

describe('series keys and lines', () => {
  it('escapes tag values in a reading series key and omits an empty unit', () => {
    expect(readingSeriesKey({ enterpriseId: 'E1', gatewayId: 'G1', sensorId: 'S1', kind: 'dust_concentration', unit: 'mg/m3 dry' })).toBe(
      String.raw`reading,ent=E1,gw=G1,kind=dust_concentration,sensor=S1,unit=mg/m3\ dry`,
    );
    expect(readingSeriesKey({ enterpriseId: 'E1', gatewayId: 'G1', sensorId: 'S1', kind: 'spark_count', unit: '' })).toBe(
      'reading,ent=E1,gw=G1,kind=spark_count,sensor=S1',
    );
  });

  it('renders reading and signal lines', () => {
    const rk = readingSeriesKey({ enterpriseId: 'E1', gatewayId: 'G1', sensorId: 'GT-101', kind: 'combustible_gas', unit: '%LEL' });
    expect(readingLine(rk, 7, 'bad', 1)).toBe('reading,ent=E1,gw=G1,kind=combustible_gas,sensor=GT-101,unit=%LEL value=7.0,quality="bad" 1');
    const sk = signalSeriesKey({ enterpriseId: 'E1', gatewayId: 'G1', pointId: 'IL-1', kind: 'interlock' });
    expect(signalLine(sk, 'interlock', 'tripped', 2)).toBe('signal,ent=E1,gw=G1,kind=interlock,point=IL-1 state="tripped",code=2i 2');
  });

  it('escapes a quoted reason in a gateway status line', () => {
    expect(gatewayStatusLine('E1', 'G1', 'offline', 'keepalive "timeout"', 3)).toBe(
      String.raw`gateway_status,ent=E1,gw=G1 state="offline",reason="keepalive \"timeout\"" 3`,
    );
  });
});
