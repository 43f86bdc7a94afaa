/** The API's shared input guards (api/parse.ts): NUL characters anywhere (#15 item 9) and the JSON depth scan (#15 item 8). */
import { describe, expect, it } from 'vitest';
import { findNul, jsonDepth, refuseNul } from '../../../api/parse.ts';
import { AppError } from '../../../core/errors.ts';

describe('findNul', () => {
  it.each([
    { name: 'a plain string', value: 'a\u0000b', want: 'body' },
    { name: 'a key', value: { ['k\u0000']: 1 }, want: 'body.k\u0000' },
    { name: 'deep in an array', value: { items: [{ note: 'ok' }, { note: 'x\u0000' }] }, want: 'body.items.1.note' },
    { name: 'a text body, with its line', value: 'id,name\nE1,甲\nE2,乙\u0000\n', want: 'body (line 3)' },
    { name: 'nothing', value: { a: ['b', 1, null, true], c: { d: '甲' } }, want: undefined },
    { name: 'not a string', value: 42, want: undefined },
  ])('$name → $want', ({ value, want }) => {
    expect(findNul(value, 'body')).toBe(want);
  });

  it('refuses in path, query and body order, as a 400 naming where in both languages', () => {
    let err: unknown;
    try {
      refuseNul({ params: { id: 'E1' }, query: { q: '甲\u0000' }, body: { x: '\u0000' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'query.q: a NUL character (U+0000) is not allowed',
      expose: { reason: { zh: expect.stringContaining('空字符') as unknown } },
    });
    expect(() => refuseNul({ params: {}, query: {}, body: undefined })).not.toThrow();
  });
});

describe('jsonDepth', () => {
  it.each([
    { text: '1', want: 0 },
    { text: '{}', want: 1 },
    { text: '[[],[[]]]', want: 3 },
    { text: '{"a":{"b":[1,{"c":2}]}}', want: 4 },
    { text: '{"a":"[[[[{{{{"}', want: 1 },
    { text: '{"a":"\\"[[[["}', want: 1 },
    { text: '{"a":"\\\\","b":[[]]}', want: 3 },
  ])('$text → $want', ({ text, want }) => {
    expect(jsonDepth(text, 32)).toBe(want);
  });

  it('stops counting past the limit (a megabyte of brackets is not walked to the end)', () => {
    expect(jsonDepth('['.repeat(1_000_000), 32)).toBe(33);
  });
});
