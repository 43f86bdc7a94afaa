/**
 * The point registry as a spreadsheet (issue #17 item 2): the provincial platforms' field layout (TARGET_CODE,
 * BIT_NO, GATEWAY_CODE, LOW_VALUE/TOP_VALUE, LOW_VALUE_01/02, TOP_VALUE_01/02, IS_USE: ../shared/domain.md, "How
 * the national system works"; provinces vary) plus the platform's own columns (POINT_ID, PERIOD_S, ZONE, ROLE,
 * LINKS…). Pure, no database: a file (CSV in UTF-8 or GBK/GB18030, or XLSX) → a table → one point input per row,
 * with every problem found (its row — the header is row 1 — its column, in Chinese and English); and points →
 * CSV (UTF-8 with a BOM, or GBK) or XLSX in the same column order, so an export imports again unchanged.
 * The checks against the ledger (gateways, hazard sources, existing points) are ledger/registry-import.ts's.
 */
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { indicatorCodeOf, kindOfIndicator } from '../core/indicator-codes.ts';
import { POINT_RELATIONS, POINT_RELATION_IDS, ROLES_BY_KIND, kindName } from '../core/vocabulary.ts';
import { sensorInput, type LedgerPointView } from './points.ts';

/** One column of the sheet: its code (the provinces' field name or ours), its Chinese header, other headers it is known by. */
interface ColumnDef {
  zh: string;
  /** What it holds, for the documentation. */
  meaning: { zh: string; en: string };
  required?: true;
  /** Written on export for people, ignored on import (the ledger keeps it). */
  exportOnly?: true;
  aliases?: readonly string[];
}

/** The columns, in the order an export writes them. */
export const REGISTRY_COLUMNS = {
  TARGET_CODE: {
    zh: '指标编码',
    meaning: {
      zh: '指标编码（如 YW），或类型名（液位 / level）；决定测点类型',
      en: "indicator code (e.g. YW), or the kind's name (液位 / level); decides the point's kind",
    },
    required: true,
    aliases: ['指标代码', '指标类型', '监测指标'],
  },
  BIT_NO: { zh: '位号', meaning: { zh: '位号，企业内唯一', en: 'tag number, unique in the enterprise' }, required: true, aliases: ['仪表位号', 'TAG_NO'] },
  POINT_ID: {
    zh: '测点编号',
    meaning: { zh: '平台测点编号（网关上报所用）；空则取位号', en: "the point's id on the platform (what its gateway reports); empty: the tag number" },
    aliases: ['测点ID', '测点代码'],
  },
  POINT_NAME: { zh: '测点名称', meaning: { zh: '名称', en: 'name' }, aliases: ['名称'] },
  GATEWAY_CODE: {
    zh: '网关编码',
    meaning: { zh: '接入网关编号（本企业的）', en: "the gateway's id (of this enterprise)" },
    required: true,
    aliases: ['网关编号', '网关代码'],
  },
  UNIT: { zh: '计量单位', meaning: { zh: '计量单位（模拟量必填）', en: 'unit (required for analog points)' }, aliases: ['单位'] },
  PERIOD_S: {
    zh: '上报周期(秒)',
    meaning: { zh: '应上报周期，秒', en: 'expected reporting period, seconds' },
    required: true,
    aliases: ['上报周期', '采集周期(秒)', '采集周期'],
  },
  LOW_VALUE: { zh: '量程下限', meaning: { zh: '量程下限', en: 'range, lower end' }, aliases: ['量程最小值'] },
  TOP_VALUE: { zh: '量程上限', meaning: { zh: '量程上限', en: 'range, upper end' }, aliases: ['量程最大值'] },
  LOW_VALUE_01: { zh: '低低报', meaning: { zh: '低低报阈值', en: 'low-low alarm mark' }, aliases: ['低低报阈值', '低低报警值', '低低限'] },
  LOW_VALUE_02: { zh: '低报', meaning: { zh: '低报阈值', en: 'low alarm mark' }, aliases: ['低报阈值', '低报警值', '低限'] },
  TOP_VALUE_01: { zh: '高报', meaning: { zh: '高报阈值', en: 'high alarm mark' }, aliases: ['高报阈值', '高报警值', '高限'] },
  TOP_VALUE_02: { zh: '高高报', meaning: { zh: '高高报阈值', en: 'high-high alarm mark' }, aliases: ['高高报阈值', '高高报警值', '高高限'] },
  RESOLUTION: { zh: '分辨率', meaning: { zh: '仪表分辨率（> 0）', en: "the instrument's resolution (> 0)" }, aliases: ['精度'] },
  ZONE: { zh: '区域', meaning: { zh: '区域（同区域探测器联合判断）', en: 'zone (the detectors of one zone are correlated)' }, aliases: ['所属区域'] },
  ROLE: { zh: '位置/用途', meaning: { zh: '位置/用途（按类型，编号或中文名）', en: 'role (per kind; its id or Chinese name)' }, aliases: ['用途', '设置地点'] },
  CAS_NO: { zh: 'CAS号', meaning: { zh: '气体 CAS 号（校验位核对）', en: "the gas's CAS number (check digit verified)" }, aliases: ['CAS', 'CAS编号'] },
  LOCATION: { zh: '安装位置', meaning: { zh: '安装位置（说明）', en: 'location (for people)' }, aliases: ['位置', '安装地点'] },
  HAZARD_CODE: {
    zh: '重大危险源编码',
    meaning: { zh: '所属重大危险源编码', en: 'code of the major hazard source it belongs to' },
    aliases: ['HAZARD_SOURCE_CODE', '危险源编码', '重大危险源编号'],
  },
  IS_USE: {
    zh: '是否启用',
    meaning: {
      zh: '1/是/启用/在用 = 在用；0/否/停用 = 停用（须填停用原因）；空 = 在用',
      en: '1/是/启用/在用 = in use; 0/否/停用 = stopped (a reason is required); empty = in use',
    },
    aliases: ['是否在用', '启用', '在用状态', '状态'],
  },
  STOP_REASON: { zh: '停用原因', meaning: { zh: '停用原因（停用时必填）', en: 'why it is stopped (required when stopped)' } },
  STOP_TIME: {
    zh: '停用时间',
    meaning: { zh: '停用时间，yyyy-MM-dd HH:mm:ss（北京时间）；仅导出', en: 'stopped since, yyyy-MM-dd HH:mm:ss (Asia/Shanghai); export only' },
    exportOnly: true,
  },
  STOP_BY: { zh: '停用人', meaning: { zh: '登记停用的人；仅导出', en: 'who recorded the stop; export only' }, exportOnly: true, aliases: ['停用登记人'] },
  LINKS: {
    zh: '关联测点',
    meaning: {
      zh: '关联：关联类型:测点编号，多个用 ; 分隔，如 inlet_valve:V-101;production:P-RUN',
      en: 'links: relation:point id, separated by ;, e.g. inlet_valve:V-101;production:P-RUN',
    },
    aliases: ['关联'],
  },
} as const satisfies Record<string, ColumnDef>;

export type ColumnCode = keyof typeof REGISTRY_COLUMNS;
export const COLUMN_CODES = Object.keys(REGISTRY_COLUMNS) as ColumnCode[];

/** One problem of a sheet: its row (the header is row 1; 0 for the file as a whole), its column's code (or the header as written), what is wrong. */
export interface SheetProblem {
  row: number;
  column: string | null;
  zh: string;
  en: string;
}

/** A row of the sheet as a point: the point's input (without the enterprise) and whether it is in use. */
export interface SheetPoint {
  row: number;
  input: {
    id: string;
    gatewayId: string;
    kind: string;
    unit: string;
    periodS: number;
    tagNo: string;
    indicatorCode: string;
    name?: string;
    zone?: string;
    role?: string;
    marks?: { lowLow?: number; low?: number; high?: number; highHigh?: number };
    range?: { min: number; max: number };
    resolution?: number;
    casNo?: string;
    location?: string;
    hazardSourceCode?: string;
    links: { relation: string; target: string }[];
  };
  /** null: in use; the reason when stopped; undefined: the sheet has no IS_USE column (the stop stays as recorded). */
  stopReason: string | null | undefined;
}

export type SheetParse = { ok: true; points: SheetPoint[] } | { ok: false; problems: SheetProblem[] };

/** A table read from a file: each row with its row number in the spreadsheet (blank rows left out, still counted). */
export interface Table {
  rows: { row: number; cells: string[] }[];
}

// ───────────────────────────── decoding ─────────────────────────────

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
export const isXlsx = (buf: Uint8Array): boolean => ZIP_MAGIC.every((b, i) => buf[i] === b);

/**
 * CSV bytes → text: UTF-8 (a BOM or none) when the bytes are valid UTF-8, else GB18030 (a superset of GBK, what
 * Excel writes for "CSV" on a Chinese Windows) when they are valid GB18030; else an error. Never a U+FFFD
 * replacement: both decoders are fatal.
 */
export function decodeCsv(buf: Uint8Array): { ok: true; text: string; encoding: 'utf-8' | 'gb18030' } | { ok: false; problem: SheetProblem } {
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))
    return {
      ok: false,
      problem: {
        row: 0,
        column: null,
        zh: '文件为 UTF-16 编码（Excel“Unicode 文本”），请另存为 CSV UTF-8、CSV（GBK）或 Excel 工作簿',
        en: 'the file is UTF-16 (Excel "Unicode text"); save it as CSV UTF-8, CSV (GBK) or an Excel workbook',
      },
    };
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bom ? buf.subarray(3) : buf), encoding: 'utf-8' };
  } catch {
    // not UTF-8: GBK / GB18030 next
  }
  try {
    return { ok: true, text: new TextDecoder('gb18030', { fatal: true }).decode(buf), encoding: 'gb18030' };
  } catch {
    return {
      ok: false,
      problem: {
        row: 0,
        column: null,
        zh: '文件既不是 UTF-8 也不是 GBK/GB18030 编码的 CSV，也不是 XLSX，请另存为 CSV UTF-8 或 Excel 工作簿',
        en: 'the file is neither a CSV in UTF-8 or GBK/GB18030 nor an XLSX workbook; save it as CSV UTF-8 or as an Excel workbook',
      },
    };
  }
}

/** CSV text (RFC 4180: quoted fields, doubled quotes, CRLF) → rows, each numbered as a spreadsheet shows it (a quoted line break stays in its row). */
export function parseCsvTable(text: string): { ok: true; table: Table } | { ok: false; problem: SheetProblem } {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: Table['rows'] = [];
  let cells: string[] = [];
  let field = '';
  let quoted = false;
  let row = 1;
  const end = () => {
    cells.push(field);
    if (!cells.every((c) => c.trim() === '')) rows.push({ row, cells });
    cells = [];
    field = '';
    row++;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      cells.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      end();
    } else field += c;
  }
  if (quoted) return { ok: false, problem: { row, column: null, zh: `第 ${row} 行：引号未闭合`, en: `row ${row}: a quoted field is not closed` } };
  if (field !== '' || cells.length > 0) end();
  return { ok: true, table: { rows } };
}

/** The text of an XLSX cell value: rich text joined, a formula's result, a hyperlink's text, numbers as JavaScript writes them. */
function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString().replace('T', ' ').slice(0, 19);
  if ('richText' in v) return v.richText.map((t) => t.text).join('');
  if ('result' in v) return cellText(v.result ?? null);
  if ('formula' in v || 'sharedFormula' in v) return '';
  if ('text' in v) return typeof v.text === 'string' ? v.text : cellText(v.text);
  if ('error' in v) return String(v.error);
  return '';
}

/**
 * What an XLSX may hold once unzipped (the platform's default): 10,000 rows of 24 columns are a few MiB of XML;
 * a workbook claiming more is refused before it is unpacked (a small zip can expand a thousandfold).
 */
export const MAX_XLSX_UNZIPPED_BYTES = 100 * 1024 * 1024;

/** The uncompressed size a zip's central directory declares, or undefined when the directory cannot be read (or is ZIP64). */
export function zipUncompressedSize(buf: Uint8Array): number | undefined {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // the end-of-central-directory record: 22 bytes and a comment of up to 65,535
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65_535); i--)
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) return undefined;
  const entries = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  let total = 0;
  for (let k = 0; k < entries; k++) {
    if (at + 46 > buf.length || view.getUint32(at, true) !== 0x02014b50) return undefined;
    const size = view.getUint32(at + 24, true);
    if (size === 0xffffffff) return undefined;
    total += size;
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return total;
}

/** XLSX bytes → the first worksheet's rows (their spreadsheet row numbers kept). */
export async function readXlsxTable(buf: Uint8Array): Promise<{ ok: true; table: Table } | { ok: false; problem: SheetProblem }> {
  const unzipped = zipUncompressedSize(buf);
  if (unzipped === undefined || unzipped > MAX_XLSX_UNZIPPED_BYTES)
    return {
      ok: false,
      problem: {
        row: 0,
        column: null,
        zh:
          unzipped === undefined
            ? '无法读取 XLSX 工作簿：压缩包目录损坏'
            : `XLSX 工作簿解压后 ${Math.ceil(unzipped / 1048576)} MiB，超过上限 ${MAX_XLSX_UNZIPPED_BYTES / 1048576} MiB（平台默认），请分批导入`,
        en:
          unzipped === undefined
            ? 'the XLSX workbook cannot be read: its zip directory is damaged'
            : `the XLSX workbook unpacks to ${Math.ceil(unzipped / 1048576)} MiB, over the ${MAX_XLSX_UNZIPPED_BYTES / 1048576} MiB limit (the platform's default); split it`,
      },
    };
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength) as unknown as ExcelJS.Buffer);
  } catch (err) {
    return {
      ok: false,
      problem: {
        row: 0,
        column: null,
        zh: `无法读取 XLSX 工作簿：${(err as Error).message}`,
        en: `the XLSX workbook cannot be read: ${(err as Error).message}`,
      },
    };
  }
  const ws = wb.worksheets[0];
  const rows: Table['rows'] = [];
  ws?.eachRow({ includeEmpty: false }, (r, rowNumber) => {
    const cells: string[] = [];
    for (let c = 1; c <= r.cellCount; c++) cells.push(cellText(r.getCell(c).value));
    if (!cells.every((x) => x.trim() === '')) rows.push({ row: rowNumber, cells });
  });
  return { ok: true, table: { rows } };
}

/** A file (CSV or XLSX, told apart by its first bytes) → its table. */
export async function readTable(buf: Uint8Array): Promise<{ ok: true; table: Table } | { ok: false; problem: SheetProblem }> {
  if (buf.length === 0) return { ok: false, problem: EMPTY };
  if (isXlsx(buf)) return readXlsxTable(buf);
  const text = decodeCsv(buf);
  return text.ok ? parseCsvTable(text.text) : text;
}

const EMPTY: SheetProblem = {
  row: 0,
  column: null,
  zh: '表格为空：需要表头行及每个测点一行',
  en: 'the sheet is empty: a header row and one row per point are needed',
};

// ───────────────────────────── parsing ─────────────────────────────

/** A header as compared: case, spaces, full-width brackets and the unit in brackets ignored. */
export const normHeader = (h: string): string => h.normalize('NFKC').replace(/\s+/g, '').replace(/[（]/g, '(').replace(/[）]/g, ')').toUpperCase();

const HEADER_INDEX: Map<string, ColumnCode> = new Map(
  COLUMN_CODES.flatMap((code) => {
    const c: ColumnDef = REGISTRY_COLUMNS[code];
    return [code, c.zh, ...(c.aliases ?? [])].map((h) => [normHeader(h), code] as const);
  }),
);

/** The column a header names, or undefined. */
export const columnOfHeader = (header: string): ColumnCode | undefined => HEADER_INDEX.get(normHeader(header));

const IN_USE = new Set(['1', '是', '启用', '在用', 'Y', 'YES', 'TRUE', '正常', '']);
const STOPPED = new Set(['0', '否', '停用', 'N', 'NO', 'FALSE', '停止']);

/** Where a field of `sensorInput` lives in the sheet. */
const COLUMN_OF_FIELD: Record<string, ColumnCode> = {
  id: 'POINT_ID',
  gatewayId: 'GATEWAY_CODE',
  kind: 'TARGET_CODE',
  indicatorCode: 'TARGET_CODE',
  unit: 'UNIT',
  periodS: 'PERIOD_S',
  zone: 'ZONE',
  role: 'ROLE',
  name: 'POINT_NAME',
  range: 'LOW_VALUE',
  resolution: 'RESOLUTION',
  tagNo: 'BIT_NO',
  casNo: 'CAS_NO',
  location: 'LOCATION',
  hazardSourceCode: 'HAZARD_CODE',
  links: 'LINKS',
};
const MARK_COLUMNS = { lowLow: 'LOW_VALUE_01', low: 'LOW_VALUE_02', high: 'TOP_VALUE_01', highHigh: 'TOP_VALUE_02' } as const satisfies Record<
  string,
  ColumnCode
>;

/** A message written "中文 / English" split in two; one in English only gets a Chinese lead naming the column. */
function bilingual(message: string, column: ColumnCode): { zh: string; en: string } {
  const i = message.indexOf(' / ');
  if (i > 0) return { zh: message.slice(0, i), en: message.slice(i + 3) };
  const zh = ENGLISH_ONLY.find(([pattern]) => pattern.test(message))?.[1];
  return { zh: zh ? `${zh}（${message}）` : `${REGISTRY_COLUMNS[column].zh}取值无效：${message}`, en: message };
}

/** Chinese for the messages `sensorInput` writes in English only. */
const ENGLISH_ONLY: [RegExp, string][] = [
  [/^must be ordered lowLow/, '报警值须满足 低低报 ≤ 低报 ≤ 高报 ≤ 高高报'],
  [/^min must be less than max/, '量程下限须小于量程上限'],
  [/^an analog sensor needs a unit/, '模拟量测点须填写计量单位'],
  [/is not a valid .* of kind|takes no role/, '位置/用途与测点类型不符'],
];

/** The column of a marks issue: the mark it names (`marks.high`), or the higher of the two out of order. */
function markColumn(sub: unknown, message: string): ColumnCode {
  if (typeof sub === 'string' && sub in MARK_COLUMNS) return MARK_COLUMNS[sub as keyof typeof MARK_COLUMNS];
  const higher = /> (lowLow|low|highHigh|high) \(/.exec(message)?.[1];
  return higher ? MARK_COLUMNS[higher as keyof typeof MARK_COLUMNS] : 'TOP_VALUE_01';
}

const roleOf = (kind: string, text: string): string => ROLES_BY_KIND[kind as keyof typeof ROLES_BY_KIND]?.roles.find((t) => t.zh === text)?.id ?? text;
const relationOf = (text: string): string => POINT_RELATION_IDS.find((r) => r === text.toLowerCase() || POINT_RELATIONS[r].zh === text) ?? text;

/**
 * The table (a header row first) → one point per row, or every problem: unknown or repeated headers, missing
 * required columns or values, numbers that are not numbers, unknown indicator codes, marks the kind does not
 * allow, links not written relation:point, a stop without its reason, the same BIT_NO or POINT_ID twice — and
 * whatever `sensorInput` refuses, each with its row and column.
 */
export function parseRegistryTable(table: Table, enterpriseId: string): SheetParse {
  const [header, ...body] = table.rows;
  if (!header) return { ok: false, problems: [EMPTY] };
  const problems: SheetProblem[] = [];
  // no text of the ledger may hold a NUL character (PostgreSQL refuses it)
  for (const { row, cells } of table.rows)
    cells.forEach((c, i) => {
      if (c.includes('\u0000'))
        problems.push({ row, column: `#${i + 1}`, zh: `第 ${i + 1} 列含空字符（U+0000）`, en: `column ${i + 1} holds a NUL character (U+0000)` });
    });
  if (problems.length > 0) return { ok: false, problems };
  const index = new Map<ColumnCode, number>();
  header.cells.forEach((h, i) => {
    if (h.trim() === '') return;
    const code = columnOfHeader(h);
    if (!code)
      problems.push({
        row: header.row,
        column: h.trim(),
        zh: `未知列“${h.trim()}”（可用列见 docs/point-registry.md：${COLUMN_CODES.map((c) => REGISTRY_COLUMNS[c].zh).join('、')}）`,
        en: `unknown column '${h.trim()}' (known: ${COLUMN_CODES.join(', ')})`,
      });
    else if (index.has(code))
      problems.push({ row: header.row, column: code, zh: `列“${h.trim()}”重复（${code}）`, en: `column '${h.trim()}' is given twice (${code})` });
    else index.set(code, i);
  });
  for (const code of COLUMN_CODES) {
    const c: ColumnDef = REGISTRY_COLUMNS[code];
    if (c.required && !index.has(code))
      problems.push({ row: header.row, column: code, zh: `缺少必填列“${c.zh}”（${code}）`, en: `the required column ${code} (${c.zh}) is missing` });
  }
  if (problems.length > 0) return { ok: false, problems };
  if (body.length === 0) return { ok: false, problems: [{ ...EMPTY, row: header.row + 1, zh: '表头之后没有测点行', en: 'no point rows after the header' }] };

  const points: SheetPoint[] = [];
  const seenIds = new Map<string, number>();
  const seenTags = new Map<string, number>();
  for (const { row, cells } of body) {
    const before = problems.length;
    const bad = (column: ColumnCode | null, zh: string, en: string) => problems.push({ row, column, zh, en });
    const get = (c: ColumnCode): string => (index.has(c) ? (cells[index.get(c)!] ?? '').trim() : '');
    const required = (c: ColumnCode): string => {
      const v = get(c);
      if (v === '') bad(c, `${REGISTRY_COLUMNS[c].zh}（${c}）必填`, `${c} (${REGISTRY_COLUMNS[c].zh}) is required`);
      return v;
    };
    const num = (c: ColumnCode): number | undefined => {
      const v = get(c);
      if (v === '') return undefined;
      const n = Number(v.replace(/,/g, ''));
      if (!Number.isFinite(n)) {
        bad(c, `${REGISTRY_COLUMNS[c].zh}“${v}”不是数字`, `${c}: '${v}' is not a number`);
        return undefined;
      }
      return n;
    };

    const code = required('TARGET_CODE');
    const kind = code === '' ? undefined : kindOfIndicator(code);
    if (code !== '' && !kind)
      bad(
        'TARGET_CODE',
        `未知指标编码“${code}”（见 docs/point-registry.md 指标编码表）`,
        `unknown indicator code '${code}' (the list is in docs/point-registry.md)`,
      );
    const tagNo = required('BIT_NO');
    const id = get('POINT_ID') || tagNo;
    const gatewayId = required('GATEWAY_CODE');
    const periodText = required('PERIOD_S');
    const periodS = periodText === '' ? undefined : num('PERIOD_S');
    const min = num('LOW_VALUE');
    const max = num('TOP_VALUE');
    if ((get('LOW_VALUE') === '') !== (get('TOP_VALUE') === ''))
      bad(min === undefined ? 'LOW_VALUE' : 'TOP_VALUE', '量程下限与上限须同时填写', 'the range needs both LOW_VALUE and TOP_VALUE');
    const marks: NonNullable<SheetPoint['input']['marks']> = {};
    for (const [m, c] of Object.entries(MARK_COLUMNS)) {
      const v = num(c);
      if (v !== undefined) marks[m as keyof typeof MARK_COLUMNS] = v;
    }
    const resolution = num('RESOLUTION');

    const links: SheetPoint['input']['links'] = [];
    for (const part of get('LINKS')
      .split(/[;；\n]/)
      .map((x) => x.trim())
      .filter((x) => x !== '')) {
      const m = /^([^:：]+)[:：](.+)$/.exec(part);
      if (!m) {
        bad('LINKS', `关联“${part}”应写作 关联类型:测点编号，如 inlet_valve:V-101`, `link '${part}' must read relation:point id, e.g. inlet_valve:V-101`);
        continue;
      }
      links.push({ relation: relationOf(m[1]!.trim()), target: m[2]!.trim() });
    }

    const useText = get('IS_USE').toUpperCase();
    // no IS_USE column: the points' stops stay as recorded; an empty cell in one means in use
    let stopReason: string | null | undefined = index.has('IS_USE') ? null : undefined;
    if (STOPPED.has(useText) && index.has('IS_USE')) {
      stopReason = get('STOP_REASON');
      if (stopReason === '') bad('STOP_REASON', '停用的测点须填写停用原因', 'a stopped point (IS_USE 0) needs a STOP_REASON');
    } else if (!IN_USE.has(useText) && index.has('IS_USE'))
      bad(
        'IS_USE',
        `是否启用“${get('IS_USE')}”无法识别：1/是/启用/在用 或 0/否/停用`,
        `IS_USE '${get('IS_USE')}' is not 1/是/启用/在用 (in use) or 0/否/停用 (stopped)`,
      );

    const dupe = (seen: Map<string, number>, value: string, column: ColumnCode, zh: string, en: string) => {
      if (value === '') return;
      const earlier = seen.get(value);
      if (earlier !== undefined) bad(column, `${zh} ${value} 与第 ${earlier} 行重复`, `${en} ${value} is also on row ${earlier}`);
      else seen.set(value, row);
    };
    dupe(seenTags, tagNo, 'BIT_NO', '位号', 'tag number (BIT_NO)');
    dupe(seenIds, id, get('POINT_ID') ? 'POINT_ID' : 'BIT_NO', '测点编号', 'point id (POINT_ID)');

    const opt = (c: ColumnCode) => (get(c) === '' ? undefined : get(c));
    const input: SheetPoint['input'] = {
      id,
      gatewayId,
      kind: kind ?? '',
      unit: get('UNIT'),
      periodS: periodS ?? 0,
      tagNo,
      indicatorCode: code,
      links,
    };
    const name = opt('POINT_NAME');
    if (name !== undefined) input.name = name;
    const zone = opt('ZONE');
    if (zone !== undefined) input.zone = zone;
    const role = opt('ROLE');
    if (role !== undefined && kind) input.role = roleOf(kind, role);
    if (Object.keys(marks).length > 0) input.marks = marks;
    if (min !== undefined && max !== undefined) input.range = { min, max };
    if (resolution !== undefined) input.resolution = resolution;
    const casNo = opt('CAS_NO');
    if (casNo !== undefined) input.casNo = casNo;
    const location = opt('LOCATION');
    if (location !== undefined) input.location = location;
    const hazardSourceCode = opt('HAZARD_CODE');
    if (hazardSourceCode !== undefined) input.hazardSourceCode = hazardSourceCode;

    // the whole point as provisioning checks it (field limits, the unit, the role, the marks the kind allows, links)
    if (kind && tagNo !== '' && gatewayId !== '' && periodS !== undefined) {
      const r = sensorInput.safeParse({ ...input, enterpriseId });
      if (!r.success)
        for (const issue of r.error.issues) {
          const [field, sub] = issue.path;
          const column: ColumnCode =
            field === 'marks'
              ? markColumn(sub, issue.message)
              : field === 'id' && get('POINT_ID') === ''
                ? 'BIT_NO'
                : (COLUMN_OF_FIELD[String(field)] ?? 'POINT_ID');
          const text = bilingual(issue.message, column);
          bad(column, text.zh, `${column}: ${text.en}`);
        }
    }
    if (problems.length === before) points.push({ row, input, stopReason });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, points };
}

/** A file → its points, or every problem. */
export async function parseRegistryFile(buf: Uint8Array, enterpriseId: string): Promise<SheetParse> {
  const t = await readTable(buf);
  if (!t.ok) return { ok: false, problems: [t.problem] };
  return parseRegistryTable(t.table, enterpriseId);
}

// ───────────────────────────── formatting ─────────────────────────────

/** Local time in the provinces' format, yyyy-MM-dd HH:mm:ss, Asia/Shanghai (UTC+8 all year, no daylight saving). */
export function shanghaiTime(iso: string): string {
  const t = new Date(new Date(iso).getTime() + 8 * 3_600_000).toISOString();
  return `${t.slice(0, 10)} ${t.slice(11, 19)}`;
}

/** A point's cells in REGISTRY_COLUMNS order (numbers as numbers, for XLSX). */
export function pointCells(p: LedgerPointView): (string | number)[] {
  const links = Object.entries(p.links ?? {}).flatMap(([relation, targets]) => targets.map((t) => `${relation}:${t}`));
  const value: Record<ColumnCode, string | number | undefined> = {
    TARGET_CODE: p.indicatorCode ?? indicatorCodeOf(p.kind) ?? kindName(p.kind)?.zh ?? p.kind,
    BIT_NO: p.tagNo,
    POINT_ID: p.id,
    POINT_NAME: p.name,
    GATEWAY_CODE: p.gatewayId,
    UNIT: p.unit,
    PERIOD_S: p.periodS,
    LOW_VALUE: p.range?.min,
    TOP_VALUE: p.range?.max,
    LOW_VALUE_01: p.marks?.lowLow,
    LOW_VALUE_02: p.marks?.low,
    TOP_VALUE_01: p.marks?.high,
    TOP_VALUE_02: p.marks?.highHigh,
    RESOLUTION: p.resolution,
    ZONE: p.zone ?? undefined,
    ROLE: p.role ?? undefined,
    CAS_NO: p.casNo,
    LOCATION: p.location,
    HAZARD_CODE: p.hazardSourceCode,
    IS_USE: p.stopped ? 0 : 1,
    STOP_REASON: p.stopped?.reason,
    STOP_TIME: p.stopped ? shanghaiTime(p.stopped.at) : undefined,
    STOP_BY: p.stopped?.by,
    LINKS: links.join(';'),
  };
  return COLUMN_CODES.map((c) => value[c] ?? '');
}

export type HeaderLanguage = 'zh' | 'en';
export const headerRow = (lang: HeaderLanguage): string[] => COLUMN_CODES.map((c) => (lang === 'zh' ? REGISTRY_COLUMNS[c].zh : c));

const csvField = (v: string | number): string => {
  const s = String(v);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The points as CSV text (CRLF line ends, as Excel writes), a header row first. */
export function registryCsvText(points: readonly LedgerPointView[], lang: HeaderLanguage = 'zh'): string {
  return [headerRow(lang), ...points.map(pointCells)].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Cells GBK cannot write: their row and column. */
function gbkProblems(points: readonly LedgerPointView[]): SheetProblem[] {
  const out: SheetProblem[] = [];
  points.forEach((p, i) =>
    pointCells(p).forEach((v, c) => {
      const s = String(v);
      if (iconv.decode(iconv.encode(s, 'gbk'), 'gbk') !== s)
        out.push({
          row: i + 2,
          column: COLUMN_CODES[c]!,
          zh: `测点 ${p.id} 的“${REGISTRY_COLUMNS[COLUMN_CODES[c]!].zh}”含 GBK 无法表示的字符，请用 UTF-8 导出`,
          en: `point ${p.id}: ${COLUMN_CODES[c]} holds characters GBK cannot write; export as UTF-8`,
        });
    }),
  );
  return out;
}

/** The points as a CSV file: UTF-8 with a BOM (Excel then reads it as UTF-8), or GBK; GBK refuses what it cannot write rather than writing '?'. */
export function formatRegistryCsv(
  points: readonly LedgerPointView[],
  opts: { encoding?: 'utf-8' | 'gbk'; headers?: HeaderLanguage } = {},
): { ok: true; bytes: Buffer } | { ok: false; problems: SheetProblem[] } {
  const text = registryCsvText(points, opts.headers ?? 'zh');
  if (opts.encoding === 'gbk') {
    const problems = gbkProblems(points);
    if (problems.length > 0) return { ok: false, problems };
    return { ok: true, bytes: iconv.encode(text, 'gbk') };
  }
  return { ok: true, bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]) };
}

/** The points as an XLSX workbook, one worksheet 测点登记表, the header row frozen. */
export async function formatRegistryXlsx(points: readonly LedgerPointView[], opts: { headers?: HeaderLanguage } = {}): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('测点登记表', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.addRow(headerRow(opts.headers ?? 'zh'));
  ws.getRow(1).font = { bold: true };
  for (const p of points) ws.addRow(pointCells(p));
  // text columns stay text (a tag number like 001 or 1E3 must not turn into a number in Excel)
  COLUMN_CODES.forEach((c, i) => {
    if (!NUMERIC_COLUMNS.has(c)) ws.getColumn(i + 1).numFmt = '@';
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const NUMERIC_COLUMNS = new Set<ColumnCode>([
  'PERIOD_S',
  'LOW_VALUE',
  'TOP_VALUE',
  'LOW_VALUE_01',
  'LOW_VALUE_02',
  'TOP_VALUE_01',
  'TOP_VALUE_02',
  'RESOLUTION',
  'IS_USE',
]);
