/** Importing a bureau's enterprise list: the CSV reader and the row mapping, with Chinese headers and values. */
import { describe, expect, it } from 'vitest';
import { importRows, parseCsv } from '../../../inspections/csv.ts';

describe('parseCsv', () => {
  it.each([
    {
      name: 'plain',
      text: 'a,b\n1,2\n',
      want: [
        ['a', 'b'],
        ['1', '2'],
      ],
    },
    {
      name: 'CRLF and no final newline',
      text: 'a,b\r\n1,2',
      want: [
        ['a', 'b'],
        ['1', '2'],
      ],
    },
    {
      name: 'quoted comma, doubled quote, newline inside quotes',
      text: 'a,b\n"x, y","say ""hi""\nthere"\n',
      want: [
        ['a', 'b'],
        ['x, y', 'say "hi"\nthere'],
      ],
    },
    {
      name: 'a UTF-8 BOM as Excel writes it',
      text: '\uFEFF企业编号,企业名称\nE1,甲\n',
      want: [
        ['企业编号', '企业名称'],
        ['E1', '甲'],
      ],
    },
    {
      name: 'empty fields and blank lines',
      text: 'a,b,c\n1,,3\n\n',
      want: [
        ['a', 'b', 'c'],
        ['1', '', '3'],
      ],
    },
  ])('$name', ({ text, want }) => {
    expect(parseCsv(text)).toEqual(want);
  });

  it('reports an unterminated quote with its line', () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(/line 2: a quoted field is not closed/);
  });
});

describe('importRows', () => {
  it('reads the Chinese headers and values of a bureau’s spreadsheet', () => {
    const r = importRows(
      parseCsv(
        '企业编号,企业名称,行业,执法主体,高危行业,标准化等级,重点企业,风险因素\n' +
          'E1,甲化工有限公司,危险化学品,K1,,二级,是,三年内发生死亡事故；停产整顿\n' +
          'E2,乙商贸,其他,K2,是,未定级,否,\n' +
          'E3,丙矿业,mine,,false,1,no,dishonesty_list|closing_down\n',
      ),
    );
    expect(r).toEqual({
      ok: true,
      rows: [
        {
          line: 2,
          id: 'E1',
          name: '甲化工有限公司',
          sector: 'hazardous_chemicals',
          authorityId: 'K1',
          highRisk: undefined,
          grade: '2',
          keyEnterprise: true,
          riskFactors: ['fatal_accident_3y', 'suspended_for_rectification'],
        },
        { line: 3, id: 'E2', name: '乙商贸', sector: 'other', authorityId: 'K2', highRisk: true, grade: 'ungraded', keyEnterprise: false, riskFactors: [] },
        {
          line: 4,
          id: 'E3',
          name: '丙矿业',
          sector: 'mine',
          authorityId: undefined,
          highRisk: false,
          grade: '1',
          keyEnterprise: false,
          riskFactors: ['dishonesty_list', 'closing_down'],
        },
      ],
    });
  });

  it('takes the unified social credit code (统一社会信用代码), checked per GB 32100-2015, and as the id when there is no id column', () => {
    expect(importRows(parseCsv('企业编号,统一社会信用代码,企业名称,行业\nE1,91350100m000100y43,甲,mine\nE2,,乙,mine\n'))).toMatchObject({
      ok: true,
      rows: [
        { id: 'E1', creditCode: '91350100M000100Y43' },
        { id: 'E2', creditCode: undefined },
      ],
    });
    expect(importRows(parseCsv('统一社会信用代码,企业名称,行业\n91110000600037341L,甲,mine\n'))).toMatchObject({
      ok: true,
      rows: [{ id: '91110000600037341L', creditCode: '91110000600037341L' }],
    });
    const r = importRows(parseCsv('id,creditCode,name,sector\nE1,91350100M000100Y4Z,甲,mine\nE2,91110000600037341L,乙,mine\nE3,91110000600037341L,丙,mine\n'));
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors).toEqual([
        expect.stringMatching(/^line 2: creditCode: .*第18位应为“3”/),
        'line 4: creditCode: 91110000600037341L already given on line 3',
      ]);
  });

  it('reports every problem with its line, and imports nothing', () => {
    const r = importRows(
      parseCsv(
        'id,name,sector,grade,highRisk,riskFactors\n' + 'E1,,mine,1,,\n' + 'E 2,乙,space,四级,maybe,\n' + 'E3,丙,other,2,,haunted\n' + 'E3,丁,other,2,,\n',
      ),
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors).toEqual([
        expect.stringMatching(/^line 2: name:/),
        expect.stringMatching(/^line 3: id:/),
        expect.stringMatching(/^line 3: sector: 'space' is not one of/),
        expect.stringMatching(/^line 3: grade: '四级'/),
        expect.stringMatching(/^line 3: highRisk: 'maybe' is not yes\/no/),
        expect.stringMatching(/^line 4: riskFactors: unknown factor 'haunted'/),
        expect.stringMatching(/^line 5: id: E3 already given on line 4/),
      ]);
  });

  it.each([
    { name: 'an empty file', text: '', error: /the file is empty/ },
    { name: 'a header only', text: 'id,name,sector\n', error: /no enterprise lines/ },
    { name: 'an unknown column', text: 'id,name,sector,colour\nE1,甲,mine,red\n', error: /line 1: unknown column 'colour'/ },
    { name: 'a missing required column', text: 'id,name\nE1,甲\n', error: /line 1: column 'sector' is required/ },
    { name: 'a column twice', text: 'id,企业编号,name,sector\nE1,E1,甲,mine\n', error: /line 1: column '企业编号' given twice/ },
  ])('refuses $name', ({ text, error }) => {
    const r = importRows(parseCsv(text));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(error);
  });
});
