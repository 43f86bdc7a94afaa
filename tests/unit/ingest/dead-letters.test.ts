/** Dead-letter payloads as PostgreSQL text: UTF-8 when possible, base64 otherwise, bounded in size. */
import { describe, expect, it } from 'vitest';
import { payloadText } from '../../../ingest/dead-letters.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const b64 = (bytes: number[]): string => `base64:${Buffer.from(bytes).toString('base64')}`;

describe('payloadText: raw payloads', () => {
  const cases: { name: string; payload: Uint8Array; max: number; want: string }[] = [
    { name: 'ASCII JSON kept as text', payload: utf8('{"v":1}'), max: 1024, want: '{"v":1}' },
    { name: 'multi-byte UTF-8 kept as text', payload: utf8('报警 %LEL'), max: 1024, want: '报警 %LEL' },
    { name: 'empty payload', payload: new Uint8Array(0), max: 1024, want: '' },
    { name: 'invalid UTF-8 → base64', payload: new Uint8Array([0x7b, 0xff, 0x7d]), max: 1024, want: b64([0x7b, 0xff, 0x7d]) },
    { name: 'NUL byte → base64', payload: new Uint8Array([0x61, 0x00, 0x62]), max: 1024, want: b64([0x61, 0x00, 0x62]) },
    { name: 'ASCII truncated to maxBytes', payload: utf8('abcdef'), max: 3, want: 'abc' },
    { name: 'invalid UTF-8 truncated before base64', payload: new Uint8Array([0xff, 1, 2, 3, 4]), max: 2, want: b64([0xff, 1]) },
    { name: 'maxBytes equal to the length keeps everything', payload: utf8('abc'), max: 3, want: 'abc' },
  ];
  it.each(cases)('$name', ({ payload, max, want }) => {
    expect(payloadText(payload, max)).toBe(want);
  });

  it('reads only its own bytes of a Buffer sliced from a larger pool', () => {
    const pool = Buffer.from('XXXXhelloYYYY');
    expect(payloadText(pool.subarray(4, 9), 1024)).toBe('hello');
    expect(payloadText(pool.subarray(4, 9), 2)).toBe('he');
  });

  it('never returns more than maxBytes of text for UTF-8 input, nor a broken character', () => {
    const out = payloadText(utf8('报警报警'), 7); // 12 bytes; a cut at 7 splits the third character
    expect(out.startsWith('base64:') || Buffer.byteLength(out) <= 7).toBe(true);
    expect(out).not.toContain('\uFFFD');
  });
});

describe('payloadText: decoded items', () => {
  const cases: { name: string; payload: unknown; max: number; want: string }[] = [
    { name: 'object JSON-stringified', payload: { sensor: 'GT-101', value: 1 }, max: 1024, want: '{"sensor":"GT-101","value":1}' },
    { name: 'number', payload: 42, max: 1024, want: '42' },
    { name: 'string', payload: 'x', max: 1024, want: '"x"' },
    { name: 'null', payload: null, max: 1024, want: 'null' },
    { name: 'undefined', payload: undefined, max: 1024, want: 'undefined' },
    { name: 'NUL inside a string escaped, not raw', payload: { s: 'a\0b' }, max: 1024, want: '{"s":"a\\u0000b"}' },
    { name: 'truncated to maxBytes', payload: { a: 'abcdefgh' }, max: 8, want: '{"a":"ab' },
  ];
  it.each(cases)('$name', ({ payload, max, want }) => {
    const out = payloadText(payload, max);
    expect(out).toBe(want);
    expect(out).not.toContain('\0');
  });

  it('bounds non-ASCII items by bytes, not characters', () => {
    const out = payloadText({ name: '示例市应急管理局'.repeat(10) }, 50);
    expect(Buffer.byteLength(out, 'utf8')).toBeLessThanOrEqual(50);
  });
});
