/**
 * Importing an enterprise's people as users (issue #18 item 2): its safety manager (安全管理负责人) and its
 * responsible persons (包保责任人), from a sheet the bureau keeps with the registry — CSV (UTF-8 with or
 * without a BOM, or GBK/GB18030) or XLSX, read as the point registry is (`readTable`, ledger/registry-sheet.ts).
 *
 * Columns (a header row first; Chinese names or the codes, in any order):
 *   账号 (id) · 姓名 (name) · 企业 (enterprise: the enterprise's id or its 统一社会信用代码) ·
 *   角色 (role: 安全管理负责人 / 包保责任人, or safety_manager / responsible_person) · 手机 (phone) ·
 *   初始密码 (password, optional: to sign in to the console; the API token works without one)
 *
 * All or nothing: every row is checked — as a user (`officerInput`), its enterprise found, its account id
 * neither taken nor repeated in the sheet — and only when no row has a problem are all users written, in one
 * transaction, each audited (`officer.created`) with an `enterprise_users.imported` summary. Each problem is
 * `{ row, column, zh, en }` (the header is row 1; column as the header is written). Each created user's API
 * token is returned once, in the answer.
 */
import type { Clock } from '../core/clock.ts';
import type { Queryable } from '../core/db/db.ts';
import { appendAudit, withAudit } from '../core/audit.ts';
import { AppError } from '../core/errors.ts';
import { hashSecret, newToken, tokenHash } from './credentials.ts';
import { ADMIN_ID, insertOfficer, officerInput, type EnterpriseRole, type OfficerInput } from './officers.ts';
import { normHeader, readTable, type SheetProblem, type Table } from './registry-sheet.ts';

/**
 * Rows one import takes (the platform's default): an enterprise has one safety manager and a handful of
 * responsible persons, a county a few hundred enterprises; each row with a password costs a scrypt hash
 * inside the one transaction, so the bound keeps that transaction short.
 */
export const MAX_USER_ROWS = 2000;

/** The sheet's columns: the field, its Chinese name, and the headers taken for it (compared as `normHeader` does). */
export const USER_COLUMNS = {
  id: { zh: '账号', required: true, headers: ['账号', '用户名', '登录名', 'id', 'account'] },
  name: { zh: '姓名', required: true, headers: ['姓名', 'name'] },
  enterprise: {
    zh: '企业',
    required: true,
    headers: ['企业', '企业编号', '企业ID', '统一社会信用代码', '社会信用代码', 'enterprise', 'enterpriseId', 'creditCode', 'USCC'],
  },
  role: { zh: '角色', required: true, headers: ['角色', 'role'] },
  phone: { zh: '手机', required: true, headers: ['手机', '手机号', '手机号码', '电话', '联系电话', 'phone', 'mobile'] },
  password: { zh: '初始密码', required: false, headers: ['初始密码', '密码', 'password', 'initialPassword'] },
} as const;
type Field = keyof typeof USER_COLUMNS;
const FIELDS = Object.keys(USER_COLUMNS) as Field[];
const FIELD_OF_HEADER = new Map(FIELDS.flatMap((f) => USER_COLUMNS[f].headers.map((h) => [normHeader(h), f] as const)));

/** The roles as a sheet may name them. */
const ROLE_OF_TEXT = new Map<string, EnterpriseRole>([
  ['安全管理负责人', 'safety_manager'],
  ['企业安全管理负责人', 'safety_manager'],
  ['safety_manager', 'safety_manager'],
  ['包保责任人', 'responsible_person'],
  ['企业包保责任人', 'responsible_person'],
  ['responsible_person', 'responsible_person'],
]);

export interface ImportedUser {
  id: string;
  name: string;
  role: EnterpriseRole;
  enterpriseId: string;
  authorityId: string;
  phone: string;
  hasPassword: boolean;
  /** The user's API token, shown this once (absent on a dry run). */
  token?: string;
}

export interface UserImportResult {
  dryRun: boolean;
  /** Users written (0 on a dry run). */
  created: number;
  users: ImportedUser[];
}

const refused = (problems: SheetProblem[]): AppError =>
  new AppError(
    'BAD_REQUEST',
    `企业用户未导入：${problems.length} 处问题，未写入任何用户 / the enterprise users were not imported: ${problems.length} problem(s); nothing was written`,
    { expose: { errors: problems } },
  );

interface Row {
  row: number;
  input: Omit<OfficerInput, 'role'> & { role: EnterpriseRole; enterpriseId: string; phone: string };
}

/** The sheet's rows as users, or every problem (the enterprises are looked up in `q`). */
async function parseUsers(q: Queryable, table: Table): Promise<{ rows: Row[]; problems: SheetProblem[] }> {
  const problems: SheetProblem[] = [];
  const [header, ...body] = table.rows;
  if (!header || body.length === 0)
    return { rows: [], problems: [{ row: 0, column: null, zh: '表格为空：需要表头行及每个用户一行', en: 'the sheet is empty: a header row and one row per user are needed' }] };
  if (body.length > MAX_USER_ROWS)
    problems.push({
      row: 0,
      column: null,
      zh: `一次最多导入 ${MAX_USER_ROWS} 个用户（平台默认），此表有 ${body.length} 行，请分批导入`,
      en: `at most ${MAX_USER_ROWS} users an import (the platform's default); the sheet has ${body.length} rows: split it`,
    });
  const at = new Map<Field, number>();
  const written = new Map<Field, string>();
  header.cells.forEach((h, i) => {
    if (h.trim() === '') return;
    const f = FIELD_OF_HEADER.get(normHeader(h));
    if (!f)
      problems.push({
        row: header.row,
        column: h,
        zh: `未知的列“${h}”（可用：${FIELDS.map((x) => USER_COLUMNS[x].zh).join('、')}）`,
        en: `unknown column "${h}" (known: ${FIELDS.join(', ')})`,
      });
    else if (at.has(f)) problems.push({ row: header.row, column: h, zh: `列“${USER_COLUMNS[f].zh}”重复`, en: `column ${f} appears twice` });
    else {
      at.set(f, i);
      written.set(f, h);
    }
  });
  for (const f of FIELDS)
    if (USER_COLUMNS[f].required && !at.has(f))
      problems.push({ row: header.row, column: USER_COLUMNS[f].zh, zh: `缺少必填列“${USER_COLUMNS[f].zh}”`, en: `the required column ${f} is missing` });
  if (problems.length > 0) return { rows: [], problems };

  const cell = (cells: string[], f: Field): string => {
    const i = at.get(f);
    return i === undefined ? '' : (cells[i] ?? '').trim();
  };
  const col = (f: Field): string => written.get(f) ?? USER_COLUMNS[f].zh;

  // the enterprises the sheet names, by id or by credit code, in one look-up
  const named = [...new Set(body.map((r) => cell(r.cells, 'enterprise')).filter((x) => x !== ''))];
  const { rows: found } = await q.query<{ id: string; credit_code: string | null; authority_id: string | null }>(
    'SELECT id, credit_code, authority_id FROM enterprises WHERE id = ANY($1::text[]) OR credit_code = ANY($1::text[])',
    [named.concat(named.map((n) => n.toUpperCase()))],
  );
  const byId = new Map(found.map((e) => [e.id, e.id]));
  const byCode = new Map(found.filter((e) => e.credit_code !== null).map((e) => [e.credit_code!, e.id]));
  const ids = body.map((r) => cell(r.cells, 'id')).filter((x) => x !== '');
  const { rows: taken } = await q.query<{ id: string }>('SELECT id FROM officers WHERE id = ANY($1::text[])', [ids]);
  const takenIds = new Set(taken.map((t) => t.id).concat(ADMIN_ID));
  const firstRowOf = new Map<string, number>();

  const rows: Row[] = [];
  for (const { row, cells } of body) {
    const before = problems.length;
    const problem = (f: Field, zh: string, en: string) => problems.push({ row, column: col(f), zh: `第 ${row} 行“${col(f)}”：${zh}`, en: `row ${row}, ${f}: ${en}` });
    // PostgreSQL refuses a NUL in text: a row problem here, never a 500
    for (const f of FIELDS) if (cell(cells, f).includes('\u0000')) problem(f, '含有空字符（U+0000）', 'a NUL character (U+0000) is not allowed');
    const id = cell(cells, 'id');
    const enterpriseText = cell(cells, 'enterprise');
    const roleText = cell(cells, 'role');
    const enterpriseId = byId.get(enterpriseText) ?? byCode.get(enterpriseText.toUpperCase());
    const role = ROLE_OF_TEXT.get(roleText) ?? ROLE_OF_TEXT.get(roleText.toLowerCase());
    if (enterpriseText === '') problem('enterprise', '必填（企业编号或统一社会信用代码）', 'required (the enterprise id or its unified social credit code)');
    else if (enterpriseId === undefined)
      problem('enterprise', `没有编号或统一社会信用代码为 ${enterpriseText} 的企业`, `no enterprise has the id or credit code ${enterpriseText}`);
    if (roleText === '') problem('role', '必填（安全管理负责人或包保责任人）', 'required (safety_manager or responsible_person)');
    else if (role === undefined)
      problem('role', `“${roleText}”不是企业角色（安全管理负责人、包保责任人）`, `"${roleText}" is not an enterprise role (safety_manager, responsible_person)`);
    if (cell(cells, 'phone') === '') problem('phone', '必填（报警短信与电话通知用）', 'required (for alarm SMS and calls)');
    if (id !== '' && takenIds.has(id)) problem('id', `账号 ${id} 已存在`, `the account ${id} already exists`);
    if (id !== '' && firstRowOf.has(id)) problem('id', `账号 ${id} 与第 ${firstRowOf.get(id)} 行重复`, `the account ${id} repeats row ${firstRowOf.get(id)}`);
    if (id !== '' && !firstRowOf.has(id)) firstRowOf.set(id, row);
    const password = cell(cells, 'password');
    const parsed = officerInput.safeParse({
      id,
      name: cell(cells, 'name'),
      role: role ?? 'responsible_person',
      enterpriseId: enterpriseId ?? 'unknown',
      ...(cell(cells, 'phone') === '' ? {} : { phone: cell(cells, 'phone') }),
      ...(password === '' ? {} : { password }),
    });
    if (!parsed.success)
      for (const issue of parsed.error.issues) {
        const f = (issue.path[0] === 'enterpriseId' ? 'enterprise' : issue.path[0]) as Field;
        if (FIELDS.includes(f)) problem(f, `无效：${issue.message}`, `invalid: ${issue.message}`);
        else problems.push({ row, column: null, zh: `第 ${row} 行：${issue.message}`, en: `row ${row}: ${issue.message}` });
      }
    if (problems.length === before && parsed.success && role && enterpriseId)
      rows.push({ row, input: { ...parsed.data, role, enterpriseId, phone: parsed.data.phone ?? '' } });
  }
  return { rows, problems };
}

/** Imports the sheet's users (all or none); `dryRun` checks only. */
export async function importEnterpriseUsers(
  db: Queryable,
  clock: Pick<Clock, 'now'>,
  file: Uint8Array,
  actor: string,
  opts: { dryRun?: boolean } = {},
): Promise<UserImportResult> {
  const t = await readTable(file);
  if (!t.ok) throw refused([t.problem]);
  const { rows, problems } = await parseUsers(db, t.table);
  if (problems.length > 0) throw refused(problems);
  const authorities = new Map(
    (await db.query<{ id: string; authority_id: string | null }>('SELECT id, authority_id FROM enterprises WHERE id = ANY($1::text[])', [rows.map((r) => r.input.enterpriseId)])).rows.map(
      (e) => [e.id, e.authority_id ?? ''],
    ),
  );
  const view = (r: Row): ImportedUser => ({
    id: r.input.id,
    name: r.input.name,
    role: r.input.role,
    enterpriseId: r.input.enterpriseId,
    authorityId: authorities.get(r.input.enterpriseId) ?? '',
    phone: r.input.phone,
    hasPassword: r.input.password !== undefined,
  });
  if (opts.dryRun) return { dryRun: true, created: 0, users: rows.map(view) };

  const prepared = await Promise.all(
    rows.map(async (r) => ({ r, token: newToken(), passwordHash: r.input.password === undefined ? null : await hashSecret(r.input.password) })),
  );
  const at = clock.now();
  const users = await withAudit(
    db,
    async (tx) => {
      const out: ImportedUser[] = [];
      for (const { r, token, passwordHash } of prepared) {
        const { password: _password, ...o } = r.input;
        void _password;
        await insertOfficer(tx, o, tokenHash(token), passwordHash);
        await appendAudit(tx, { actor, action: 'officer.created', subjectType: 'officer', subjectId: o.id, data: { ...o, password: passwordHash !== null, imported: true }, at });
        out.push({ ...view(r), token });
      }
      return out;
    },
    (out) => ({
      actor,
      action: 'enterprise_users.imported',
      subjectType: 'officer',
      subjectId: 'import',
      data: { users: out.map((u) => ({ id: u.id, enterpriseId: u.enterpriseId, role: u.role })) },
      at,
    }),
  );
  return { dryRun: false, created: users.length, users };
}
