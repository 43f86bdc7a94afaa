/**
 * Importing a bureau's enterprise list (一企一档) from CSV. Pure: parsing
 * (RFC 4180: quoted fields, doubled quotes, CRLF, a UTF-8 BOM as Excel
 * writes it) and mapping each row to a ledger record, with the headers and
 * values a Chinese bureau's spreadsheet uses as well as the API's own names.
 * Every problem is reported with its line number; the caller writes nothing
 * unless every row is valid.
 */
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import { SECTORS, type Sector } from '../core/vocabulary.ts';
import { checkUscc } from '../core/uscc.ts';
import { GRADES, RISK_FACTORS, type Grade, type ImportRow, type RiskFactor } from '../ledger/enterprise-facts.ts';

/** Parses CSV text into rows of fields. Throws with the line number on an unterminated quote. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let startLine = 1;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      startLine = line;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      line++;
    } else field += c;
  }
  if (quoted) throw new Error(`line ${startLine}: a quoted field is not closed`);
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
}

/** Column → the headers it may have (the API's name first). */
const COLUMNS = {
  id: ['id', '企业编号', '编号'],
  /** GB 32100-2015, checked (core/uscc.ts); without an id column it is the enterprise's id too. */
  creditCode: ['creditCode', '统一社会信用代码', '信用代码'],
  name: ['name', '企业名称', '名称'],
  sector: ['sector', '行业', '行业领域'],
  authorityId: ['authorityId', '执法主体', '执法主体编号', '监管部门'],
  highRisk: ['highRisk', '高危行业', '是否高危'],
  grade: ['grade', '标准化等级', '安全生产标准化等级'],
  keyEnterprise: ['keyEnterprise', '重点企业', '是否重点检查企业'],
  riskFactors: ['riskFactors', '风险因素', '动态风险因素'],
} as const;
type Column = keyof typeof COLUMNS;

/** The sectors' Chinese names (and common synonyms) a bureau's list may use. */
const SECTOR_ALIASES: Record<string, Sector> = {
  矿山: 'mine',
  煤矿: 'mine',
  非煤矿山: 'mine',
  危险化学品: 'hazardous_chemicals',
  危化品: 'hazardous_chemicals',
  烟花爆竹: 'fireworks',
  金属冶炼: 'metal_smelting',
  冶金: 'metal_smelting',
  涉爆粉尘: 'explosive_dust',
  粉尘涉爆: 'explosive_dust',
  其他: 'other',
  工贸: 'other',
};
const GRADE_NAMES: Record<string, Grade> = { 一级: '1', 二级: '2', 三级: '3', 未定级: 'ungraded', 无: 'ungraded', '': 'ungraded' };
const RISK_NAMES: Record<string, RiskFactor> = {
  三年内发生死亡事故: 'fatal_accident_3y',
  一年内因重大事故隐患被处罚: 'major_hazard_penalty_1y',
  重大事故隐患未按期整改: 'overdue_major_hazard',
  失信: 'dishonesty_list',
  列入失信名单: 'dishonesty_list',
  停产整顿: 'suspended_for_rectification',
  改扩建: 'renovation_or_construction',
  关闭退出: 'closing_down',
  红线意识不强: 'weak_red_line_awareness',
};
const YES = new Set(['true', 'yes', 'y', '1', '是', '√']);
const NO = new Set(['false', 'no', 'n', '0', '否', '']);

export type { ImportRow } from '../ledger/enterprise-facts.ts';

export type ImportParse = { ok: true; rows: ImportRow[] } | { ok: false; errors: string[] };

const rowSchema = z.object({ id: idSchema, name: z.string().trim().min(1).max(200) });

/** Maps parsed CSV (header first) to ledger rows, or every problem found. */
export function importRows(table: string[][]): ImportParse {
  const [header, ...body] = table;
  if (!header) return { ok: false, errors: ['the file is empty: a header line and one line per enterprise are needed'] };
  const index = new Map<Column, number>();
  const errors: string[] = [];
  header.forEach((h, i) => {
    const name = h.trim();
    const col = (Object.keys(COLUMNS) as Column[]).find((c) => (COLUMNS[c] as readonly string[]).includes(name));
    if (!col)
      errors.push(
        `line 1: unknown column '${name}' (known: ${Object.values(COLUMNS)
          .map((names) => names[0])
          .join(', ')})`,
      );
    else if (index.has(col)) errors.push(`line 1: column '${name}' given twice`);
    else index.set(col, i);
  });
  // a list keyed by the credit code alone takes it as the id
  if (!index.has('id') && index.has('creditCode')) index.set('id', index.get('creditCode')!);
  for (const required of ['id', 'name', 'sector'] as const)
    if (!index.has(required)) errors.push(`line 1: column '${required}'${required === 'id' ? " (or '统一社会信用代码')" : ''} is required`);
  if (errors.length > 0) return { ok: false, errors };

  const rows: ImportRow[] = [];
  const seen = new Map<string, number>();
  const seenCodes = new Map<string, number>();
  body.forEach((fields, k) => {
    const line = k + 2;
    const get = (c: Column): string => (index.has(c) ? (fields[index.get(c)!] ?? '').trim() : '');
    const bad = (msg: string) => errors.push(`line ${line}: ${msg}`);
    const base = rowSchema.safeParse({ id: get('id'), name: get('name') });
    if (!base.success) for (const i of base.error.issues) bad(`${String(i.path[0])}: ${i.message}`);
    const sectorText = get('sector');
    const sector = (SECTORS as readonly string[]).includes(sectorText) ? (sectorText as Sector) : SECTOR_ALIASES[sectorText];
    if (!sector) bad(`sector: '${sectorText}' is not one of ${SECTORS.join(', ')} (or 矿山, 危险化学品, 烟花爆竹, 金属冶炼, 涉爆粉尘, 其他)`);
    const gradeText = get('grade');
    const grade = (GRADES as readonly string[]).includes(gradeText) ? (gradeText as Grade) : GRADE_NAMES[gradeText];
    if (!grade) bad(`grade: '${gradeText}' is not one of 1, 2, 3, ungraded (or 一级, 二级, 三级, 未定级)`);
    const flag = (c: Column): boolean | undefined => {
      const v = get(c).toLowerCase();
      if (YES.has(v)) return true;
      if (NO.has(v)) return v === '' ? undefined : false;
      bad(`${c}: '${get(c)}' is not yes/no (是/否)`);
      return undefined;
    };
    const highRisk = flag('highRisk');
    const keyEnterprise = flag('keyEnterprise') ?? false;
    const riskFactors: RiskFactor[] = [];
    for (const part of get('riskFactors')
      .split(/[;；|、]/)
      .map((x) => x.trim())
      .filter((x) => x.length > 0)) {
      const f = (RISK_FACTORS as readonly string[]).includes(part) ? (part as RiskFactor) : RISK_NAMES[part];
      if (!f) bad(`riskFactors: unknown factor '${part}' (known: ${RISK_FACTORS.join(', ')})`);
      else if (!riskFactors.includes(f)) riskFactors.push(f);
    }
    const authority = get('authorityId');
    let creditCode: string | undefined;
    if (get('creditCode') !== '') {
      const c = checkUscc(get('creditCode'));
      if (!c.ok) bad(`creditCode: ${c.message}`);
      else {
        const earlier = seenCodes.get(c.code);
        if (earlier !== undefined) bad(`creditCode: ${c.code} already given on line ${earlier}`);
        seenCodes.set(c.code, line);
        creditCode = c.code;
      }
    }
    if (base.success) {
      const earlier = seen.get(base.data.id);
      if (earlier !== undefined) bad(`id: ${base.data.id} already given on line ${earlier}`);
      seen.set(base.data.id, line);
    }
    if (base.success && sector && grade)
      rows.push({
        line,
        id: base.data.id,
        name: base.data.name,
        sector,
        authorityId: authority === '' ? undefined : authority,
        highRisk,
        grade,
        keyEnterprise,
        riskFactors,
        creditCode,
      });
  });
  if (body.length === 0) errors.push('no enterprise lines after the header');
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rows };
}
