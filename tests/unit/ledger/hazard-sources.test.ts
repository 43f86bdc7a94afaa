/**
 * Major hazard sources (重大危险源, issue #17 item 1): the input schema grades by R as GB 18218-2018 does
 * (R ≥ 100 一级, 100 > R ≥ 50 二级, 50 > R ≥ 10 三级, R < 10 四级), refuses a level R contradicts naming
 * the level R gives, and requires the three responsible persons with valid phones.
 */
import { describe, expect, it } from 'vitest';
import { hazardSourceInput, hazardSourcePatch, levelForR } from '../../../ledger/hazard-sources.ts';

const persons = {
  main: { name: '张主要', phone: '13800138000' },
  technical: { name: '李技术', phone: '0591-87654321' },
  operational: { name: '王操作', phone: '+86 139 0000 0000' },
};
const source = (over: Record<string, unknown> = {}) => ({ code: 'HZ-001', name: '液氨储罐区', rValue: 12.5, persons, ...over });
const issues = (input: unknown) => {
  const r = hazardSourceInput.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('grading by R (GB 18218-2018)', () => {
  it.each([
    [0, 4],
    [9.99, 4],
    [10, 3],
    [49.99, 3],
    [50, 2],
    [99.99, 2],
    [100, 1],
    [5000, 1],
  ])('R = %s gives level %s', (r, level) => {
    expect(levelForR(r)).toBe(level);
    expect(issues(source({ rValue: r, level }))).toEqual([]);
  });

  it('derives the level when omitted', () => {
    expect(hazardSourceInput.parse(source({ rValue: 50 })).level).toBeUndefined();
    expect(levelForR(hazardSourceInput.parse(source({ rValue: 50 })).rValue)).toBe(2);
  });

  it.each([
    [10, 4, '三级'],
    [9.99, 3, '四级'],
    [50, 3, '二级'],
    [100, 2, '一级'],
    [99.99, 1, '二级'],
  ])('refuses R = %s with level %s, naming %s', (r, level, zh) => {
    const [msg, ...rest] = issues(source({ rValue: r, level }));
    expect(rest).toEqual([]);
    expect(msg).toMatch(/^level: /);
    expect(msg).toContain(`对应${zh}重大危险源`);
    expect(msg).toContain('GB 18218-2018');
  });

  it('refuses a negative or non-numeric R and a level outside 1–4', () => {
    expect(issues(source({ rValue: -1 }))[0]).toContain('R 值不能为负');
    expect(issues(source({ rValue: '12' }))[0]).toContain('R 值应为数字');
    expect(issues(source({ rValue: 0, level: 5 }))[0]).toContain('级别应为 1—4');
    expect(issues(source({ rValue: 0, level: 3.5 })).length).toBeGreaterThan(0);
  });
});

describe('responsible persons and phones', () => {
  it('normalises the phones as the safety manager’s are', () => {
    const v = hazardSourceInput.parse(source());
    expect(v.persons.operational.phone).toBe('13900000000');
    expect(v.persons.technical.phone).toBe('0591-87654321');
  });

  it('refuses a bad phone with the shared message', () => {
    const msgs = issues(source({ persons: { ...persons, technical: { name: '李技术', phone: '12345' } } }));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatch(/^persons\.technical\.phone: “12345”不是有效的电话号码/);
  });

  it('requires all three persons, each with name and phone', () => {
    expect(issues(source({ persons: undefined }))[0]).toContain('包保责任人（主要、技术、操作负责人）必填');
    const { operational: _, ...two } = persons;
    expect(issues(source({ persons: two }))[0]).toMatch(/^persons\.operational: 操作负责人（姓名和电话）必填/);
    expect(issues(source({ persons: { ...persons, main: { name: '  ', phone: '13800138000' } } }))[0]).toMatch(/^persons\.main\.name: 主要负责人姓名必填/);
    expect(issues(source({ persons: { ...persons, main: { name: '张主要' } } }))[0]).toMatch(/^persons\.main\.phone/);
  });

  it('refuses unknown fields and a code that cannot be a path segment', () => {
    expect(issues(source({ extra: 1 })).length).toBeGreaterThan(0);
    expect(issues(source({ code: 'HZ/001' }))[0]).toContain('危险源编码只能含');
    expect(issues(source({ code: '' })).length).toBeGreaterThan(0);
  });

  it('a patch takes any subset of the fields', () => {
    expect(hazardSourcePatch.parse({ rValue: 60 })).toEqual({ rValue: 60 });
    expect(hazardSourcePatch.safeParse({ code: 'X' }).success).toBe(false);
  });
});
