/**
 * The point registry as a spreadsheet (ledger/registry-sheet.ts): English and Chinese headers (mixed, aliases,
 * any case and spacing), every kind of bad row listed with its row and column, UTF-8 (BOM or none) told apart
 * from GBK without a replacement character, IS_USE's spellings, and format → parse giving the points back
 * (CSV in UTF-8 and GBK, XLSX, Chinese and English headers).
 */
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { LedgerPointView } from '../../../ledger/points.ts';
import {
  COLUMN_CODES,
  REGISTRY_COLUMNS,
  decodeCsv,
  formatRegistryCsv,
  formatRegistryXlsx,
  parseCsvTable,
  parseRegistryFile,
  parseRegistryTable,
  registryCsvText,
  shanghaiTime,
  zipUncompressedSize,
  MAX_XLSX_UNZIPPED_BYTES,
  type SheetParse,
  type SheetPoint,
  type SheetProblem,
} from '../../../ledger/registry-sheet.ts';

const E = 'E1';

/** Parses CSV text (UTF-8). */
function parseText(text: string): SheetParse {
  const t = parseCsvTable(text);
  if (!t.ok) throw new Error(t.problem.en);
  return parseRegistryTable(t.table, E);
}
const points = (r: SheetParse): SheetPoint[] => {
  if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 1));
  return r.points;
};
const problems = (r: SheetParse): SheetProblem[] => {
  if (r.ok) throw new Error('expected problems, got points');
  return r.problems;
};
/** The problems as `row column` — what a test pins down — in order. */
const where = (r: SheetParse): string[] => problems(r).map((p) => `${p.row} ${p.column}`);

const EN =
  'TARGET_CODE,BIT_NO,POINT_ID,GATEWAY_CODE,UNIT,PERIOD_S,LOW_VALUE,TOP_VALUE,LOW_VALUE_01,LOW_VALUE_02,TOP_VALUE_01,TOP_VALUE_02,IS_USE,STOP_REASON,LINKS,ZONE';

describe('headers', () => {
  it('reads English codes: a level point with its range, four marks and a link; a valve signal', () => {
    const [lt, v] = points(
      parseText(`${EN}\nYW,LT-201,,G1,m,10,0,15,1,2,12,13.5,1,,inlet_valve:V-101,tank-farm\nFMZT,V-101,V-101,G1,,5,,,,,,,1,,,tank-farm\n`),
    );
    expect(lt).toEqual({
      row: 2,
      stopReason: null,
      input: {
        id: 'LT-201',
        gatewayId: 'G1',
        kind: 'level',
        unit: 'm',
        periodS: 10,
        tagNo: 'LT-201',
        indicatorCode: 'YW',
        zone: 'tank-farm',
        range: { min: 0, max: 15 },
        marks: { lowLow: 1, low: 2, high: 12, highHigh: 13.5 },
        links: [{ relation: 'inlet_valve', target: 'V-101' }],
      },
    });
    expect(v).toMatchObject({ row: 3, input: { id: 'V-101', kind: 'valve', unit: '', periodS: 5, links: [] } });
    expect(v!.input.marks).toBeUndefined();
  });

  it.each([
    ['Chinese names', '指标编码,位号,网关编码,计量单位,上报周期(秒),量程下限,量程上限,高报,高高报,是否启用,测点名称'],
    [
      'aliases, full-width brackets, spaces and case',
      '指标代码, 仪表位号 ,网关编号,单位,上报周期（秒）,量程最小值,量程最大值,高报阈值,高高报阈值,是否在用,名称',
    ],
    ['English and Chinese mixed, lower case', 'target_code,位号,Gateway_Code,计量单位,period_s,LOW_VALUE,量程上限,top_value_01,高高报,is_use,point_name'],
  ])('reads %s', (_name, header) => {
    const [p] = points(parseText(`${header}\n可燃气体,GT-101,G1,%LEL,10,0,100,20,50,是,罐区可燃气体\n`));
    expect(p!.input).toMatchObject({
      id: 'GT-101',
      kind: 'combustible_gas',
      tagNo: 'GT-101',
      unit: '%LEL',
      range: { min: 0, max: 100 },
      marks: { high: 20, highHigh: 50 },
      name: '罐区可燃气体',
    });
  });

  it.each([
    ['an unknown header', `${EN},颜色\n`, ['1 颜色']],
    ['a column twice (code and Chinese name)', `${EN},位号\n`, ['1 BIT_NO']],
    ['required columns missing', 'BIT_NO,UNIT\nLT-1,m\n', ['1 TARGET_CODE', '1 GATEWAY_CODE', '1 PERIOD_S']],
    ['no rows after the header', `${EN}\n`, ['2 null']],
    ['an empty sheet', '', ['0 null']],
    ['blank lines only', '\n\r\n,,\n', ['0 null']],
  ])('refuses %s', (_name, text, want) => {
    expect(where(parseText(text))).toEqual(want);
  });
});

describe('bad rows: every problem, with its row and column, in Chinese and English', () => {
  const H = 'TARGET_CODE,BIT_NO,POINT_ID,GATEWAY_CODE,UNIT,PERIOD_S,LOW_VALUE,TOP_VALUE,LOW_VALUE_01,TOP_VALUE_01,IS_USE,STOP_REASON,LINKS,CAS_NO,ROLE';
  it.each([
    ['an unknown indicator code', 'XX,A1,,G1,m,10,,,,,1,,,,', ['2 TARGET_CODE']],
    ['a low mark on a gas point (the kind allows high ones only)', 'KRQT,A1,,G1,%LEL,10,,,5,20,1,,,,', ['2 LOW_VALUE_01']],
    ['marks on a state signal', 'FMZT,A1,,G1,,10,,,,1,1,,,,', ['2 TOP_VALUE_01']],
    ['a number that is not one', 'YW,A1,,G1,m,ten,0,x,,,1,,,,', ['2 PERIOD_S', '2 TOP_VALUE']],
    ['a range with one end', 'YW,A1,,G1,m,10,0,,,,1,,,,', ['2 TOP_VALUE']],
    ['a range upside down', 'YW,A1,,G1,m,10,15,0,,,1,,,,', ['2 LOW_VALUE']],
    ['marks out of order (the higher mark named)', 'YW,A1,,G1,m,10,,,5,3,1,,,,', ['2 TOP_VALUE_01']],
    ['required cells empty', ',,,,m,,,,,,1,,,,', ['2 TARGET_CODE', '2 BIT_NO', '2 GATEWAY_CODE', '2 PERIOD_S']],
    ['an analog point without a unit', 'YW,A1,,G1,,10,,,,,1,,,,', ['2 UNIT']],
    ['a stop without its reason', 'YW,A1,,G1,m,10,,,,,0,,,,', ['2 STOP_REASON']],
    ['IS_USE not a yes or no', 'YW,A1,,G1,m,10,,,,,maybe,,,,', ['2 IS_USE']],
    ['a link not written relation:point', 'YW,A1,,G1,m,10,,,,,1,,V-101,,', ['2 LINKS']],
    ['a link of an unknown relation', 'YW,A1,,G1,m,10,,,,,1,,feeds:V-101,,', ['2 LINKS']],
    ['a CAS number whose check digit is wrong', 'KRQT,A1,,G1,%LEL,10,,,,20,1,,,74-82-9,', ['2 CAS_NO']],
    ['a role the kind does not take', 'YW,A1,,G1,m,10,,,,,1,,,,upper_corner', ['2 ROLE']],
    ['a tag number that cannot be an id, without POINT_ID', 'YW,A 1,,G1,m,10,,,,,1,,,,', ['2 BIT_NO']],
    ['a POINT_ID that is not an id', 'YW,A1,a b,G1,m,10,,,,,1,,,,', ['2 POINT_ID']],
  ])('%s', (_name, row, want) => {
    const r = parseText(`${H}\n${row}\n`);
    expect(where(r)).toEqual(want);
    for (const p of problems(r)) {
      expect(p.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(p.en).toMatch(/[a-z]/);
    }
  });

  it('lists the problems of every row, and duplicate tag numbers and ids with the row they repeat', () => {
    const r = parseText(
      [
        H,
        'YW,LT-1,,G1,m,10,,,,,1,,,,', // fine
        'XX,LT-2,,G1,m,10,,,,,1,,,,', // unknown code
        'YW,LT-1,LT-3,G1,m,10,,,,,1,,,,', // tag of row 2
        'YW,LT-4,LT-1,G1,m,10,,,,,1,,,,', // id of row 2
        '',
        'KRQT,GT-1,,G1,%LEL,10,,,3,,0,,,,', // low mark and no reason
      ].join('\r\n'),
    );
    expect(where(r)).toEqual(['3 TARGET_CODE', '4 BIT_NO', '5 POINT_ID', '7 STOP_REASON', '7 LOW_VALUE_01']);
    expect(problems(r)[1]!.zh).toContain('第 2 行');
    expect(problems(r)[1]!.en).toContain('row 2');
  });

  it('counts a quoted line break as one row, as a spreadsheet shows it', () => {
    const r = parseText(`${H}\nYW,LT-1,,G1,m,10,,,,,1,,,,\n"FMZT",V-1,,G1,,10,,,,,"停\n用",,,,\nXX,A,,G1,m,10,,,,,1,,,,\n`);
    expect(where(r)).toEqual(['3 IS_USE', '4 TARGET_CODE']);
  });

  it('refuses a NUL character in a cell', () => {
    expect(where(parseText(`${H}\nYW,LT\u00001,,G1,m,10,,,,,1,,,,\n`))).toEqual(['2 #2']);
  });
});

describe('IS_USE', () => {
  it.each([
    ['1', null],
    ['是', null],
    ['启用', null],
    ['在用', null],
    ['', null],
    ['0', '检修'],
    ['否', '检修'],
    ['停用', '检修'],
  ])('%s', (use, reason) => {
    const [p] = points(parseText(`TARGET_CODE,BIT_NO,GATEWAY_CODE,UNIT,PERIOD_S,IS_USE,STOP_REASON\nYW,LT-1,G1,m,10,${use},检修\n`));
    expect(p!.stopReason).toBe(reason);
  });

  it('without the column, says nothing about stops (they stay as recorded)', () => {
    const [p] = points(parseText('TARGET_CODE,BIT_NO,GATEWAY_CODE,UNIT,PERIOD_S,STOP_REASON\nYW,LT-1,G1,m,10,检修\n'));
    expect(p!.stopReason).toBeUndefined();
  });
});

describe('encodings', () => {
  const text = '指标编码,位号,网关编码,计量单位,上报周期(秒),测点名称,安装位置\r\n液位,LT-201,G1,m,10,一号储罐液位,罐区东侧\r\n';

  it.each([
    ['UTF-8 with a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'utf-8'],
    ['UTF-8 without a BOM', Buffer.from(text), 'utf-8'],
    ['GBK', iconv.encode(text, 'gbk'), 'gb18030'],
    ['GB18030', iconv.encode(text, 'gb18030'), 'gb18030'],
  ])('%s: detected, the Chinese intact', async (_name, bytes, encoding) => {
    const d = decodeCsv(bytes);
    expect(d).toMatchObject({ ok: true, encoding });
    const [p] = points(await parseRegistryFile(bytes, E));
    expect(p!.input).toMatchObject({ kind: 'level', name: '一号储罐液位', location: '罐区东侧' });
    expect(JSON.stringify(p)).not.toContain('\uFFFD');
  });

  it('refuses bytes that are neither UTF-8 nor GB18030, and UTF-16', async () => {
    // 0x81 0x20: not UTF-8 (0x81 is a continuation byte), and a GB18030 lead byte without a valid trail; 0xFF is neither
    expect(where(await parseRegistryFile(Buffer.from([0x41, 0x2c, 0x81, 0x20, 0x0a]), E))).toEqual(['0 null']);
    expect(where(await parseRegistryFile(Buffer.from([0x41, 0x2c, 0xff, 0x0a]), E))).toEqual(['0 null']);
    expect(where(await parseRegistryFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), E))).toEqual(['0 null']);
  });

  it('refuses a file that only looks like XLSX', async () => {
    const r = await parseRegistryFile(Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), E);
    expect(problems(r)[0]!.row).toBe(0);
    expect(problems(r)[0]!.zh).toContain('XLSX');
  });
});

describe('XLSX', () => {
  it('reads the first worksheet: numbers, rich text, formulas by their result, row numbers as in the workbook', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('登记表');
    ws.addRow(['指标编码', '位号', '网关编码', '计量单位', '上报周期(秒)', '量程下限', '量程上限', '高报', '测点名称']);
    ws.addRow([
      'WD',
      'TT-1',
      'G1',
      '℃',
      10,
      0,
      200,
      { formula: '100+50', result: 150 },
      { richText: [{ text: '炉膛' }, { text: '温度', font: { bold: true } }] },
    ]);
    ws.addRow([]);
    ws.addRow(['XX', 'TT-2', 'G1', '℃', 10]);
    wb.addWorksheet('其他').addRow(['ignored']);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const t = await parseRegistryFile(bytes, E);
    expect(where(t)).toEqual(['4 TARGET_CODE']);
    ws.spliceRows(4, 1);
    const [p] = points(await parseRegistryFile(Buffer.from(await wb.xlsx.writeBuffer()), E));
    expect(p!.input).toMatchObject({ kind: 'temperature', unit: '℃', periodS: 10, range: { min: 0, max: 200 }, marks: { high: 150 }, name: '炉膛温度' });
  });
});

describe('XLSX size', () => {
  it('reads the uncompressed size from the zip directory, and refuses a workbook that would unpack too large', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('s');
    ws.addRow(['指标编码', '位号']);
    const small = Buffer.from(await wb.xlsx.writeBuffer());
    const size = zipUncompressedSize(small)!;
    expect(size).toBeGreaterThan(small.length);
    // a bomb: one entry's declared size raised past the limit (the parser must not unpack it)
    const bomb = Buffer.from(small);
    const view = new DataView(bomb.buffer, bomb.byteOffset, bomb.byteLength);
    const dir = bomb.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    view.setUint32(dir + 24, MAX_XLSX_UNZIPPED_BYTES + 1, true);
    const r = await parseRegistryFile(bomb, E);
    expect(problems(r)[0]!.en).toMatch(/unpacks to \d+ MiB, over the 100 MiB limit/);
  });
});

describe('format → parse (round trip)', () => {
  const registry: LedgerPointView[] = [
    {
      enterpriseId: E,
      gatewayId: 'G1',
      id: 'LT-201',
      kind: 'level',
      unit: 'm',
      periodS: 10,
      name: '一号罐液位, "东"',
      zone: 'tank-farm',
      role: 'tank_level',
      marks: { lowLow: 0.5, low: 1, high: 12.25, highHigh: 13.5 },
      range: { min: 0, max: 15 },
      resolution: 0.01,
      tagNo: 'LIA-201',
      indicatorCode: 'YW',
      location: '罐区东侧\n一层',
      hazardSourceCode: 'HS-1',
      links: { inlet_valve: ['V-101'], production: ['P-RUN'] },
    },
    {
      enterpriseId: E,
      gatewayId: 'G1',
      id: 'V-101',
      kind: 'valve',
      unit: '',
      periodS: 5,
      name: '进料阀',
      zone: null,
      role: null,
      tagNo: 'V-101',
      indicatorCode: 'FMZT',
      stopped: { at: '2026-12-01T02:03:04.000Z', reason: '检修', by: 'user:admin' },
    },
    {
      enterpriseId: E,
      gatewayId: 'G2',
      id: 'GT-1',
      kind: 'toxic_gas',
      unit: 'ppm',
      periodS: 10,
      name: '',
      zone: null,
      role: 'h2s',
      marks: { high: 10, highHigh: 20 },
      tagNo: 'GT-1',
      indicatorCode: 'YDQT',
      casNo: '7783-06-4',
    },
    {
      enterpriseId: E,
      gatewayId: 'G1',
      id: 'P-RUN',
      kind: 'production',
      unit: '',
      periodS: 60,
      name: '',
      zone: null,
      role: null,
      tagNo: 'P-RUN',
      indicatorCode: 'SCZT',
    },
  ];
  /** What the sheet must give back for each point. */
  const expected = (p: LedgerPointView): SheetPoint['input'] => {
    const x: SheetPoint['input'] = {
      id: p.id,
      gatewayId: p.gatewayId,
      kind: p.kind,
      unit: p.unit,
      periodS: p.periodS,
      tagNo: p.tagNo,
      indicatorCode: p.indicatorCode!,
      links: Object.entries(p.links ?? {}).flatMap(([relation, ts]) => ts.map((target) => ({ relation, target }))),
    };
    if (p.name) x.name = p.name;
    if (p.zone) x.zone = p.zone;
    if (p.role) x.role = p.role;
    if (p.marks) x.marks = p.marks;
    if (p.range) x.range = p.range;
    if (p.resolution) x.resolution = p.resolution;
    if (p.casNo) x.casNo = p.casNo;
    if (p.location) x.location = p.location;
    if (p.hazardSourceCode) x.hazardSourceCode = p.hazardSourceCode;
    return x;
  };
  const back = (r: SheetParse) => points(r).map((p) => ({ input: p.input, stopReason: p.stopReason }));
  const want = registry.map((p) => ({ input: expected(p), stopReason: p.stopped?.reason ?? null }));

  it.each([
    ['CSV UTF-8, Chinese headers', { encoding: 'utf-8', headers: 'zh' }],
    ['CSV UTF-8, English headers', { encoding: 'utf-8', headers: 'en' }],
    ['CSV GBK, Chinese headers', { encoding: 'gbk', headers: 'zh' }],
  ] as const)('%s', async (_name, opts) => {
    const f = formatRegistryCsv(registry, opts);
    if (!f.ok) throw new Error('format failed');
    if (opts.encoding === 'utf-8') expect([...f.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    else {
      expect(f.bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
      expect(decodeCsv(f.bytes)).toMatchObject({ encoding: 'gb18030' });
    }
    expect(back(await parseRegistryFile(f.bytes, E))).toEqual(want);
  });

  it.each(['zh', 'en'] as const)('XLSX, %s headers', async (headers) => {
    const bytes = await formatRegistryXlsx(registry, { headers });
    expect(back(await parseRegistryFile(bytes, E))).toEqual(want);
  });

  it('writes the columns in one order, the stop time in Beijing time, links as relation:point', () => {
    const [header, , valve] = registryCsvText(registry).split('\r\n');
    expect(header!.split(',')).toEqual(COLUMN_CODES.map((c) => REGISTRY_COLUMNS[c].zh));
    expect(registryCsvText(registry, 'en').split('\r\n')[0]).toBe(COLUMN_CODES.join(','));
    expect(registryCsvText(registry)).toContain('inlet_valve:V-101;production:P-RUN');
    expect(valve).toContain(',0,检修,2026-12-01 10:03:04,user:admin,');
    expect(shanghaiTime('2026-12-31T16:00:00Z')).toBe('2027-01-01 00:00:00');
  });

  it('refuses GBK for a registry holding what GBK cannot write, naming the row and column', () => {
    const f = formatRegistryCsv([{ ...registry[3]!, name: '泵 🚀' }], { encoding: 'gbk' });
    expect(f).toMatchObject({ ok: false, problems: [{ row: 2, column: 'POINT_NAME' }] });
    expect(formatRegistryCsv([{ ...registry[3]!, name: '泵 🚀' }], { encoding: 'utf-8' }).ok).toBe(true);
  });
});
