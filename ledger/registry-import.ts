/**
 * Importing and exporting an enterprise's point registry as a spreadsheet (issue #17 item 2; the layout is
 * ledger/registry-sheet.ts's). An import is all or nothing: every row is checked — as a point
 * (`sensorInput`), then against the ledger: the gateway is the enterprise's, the major hazard source exists,
 * a link's target is a point of the sheet or of the ledger and of a kind the relation joins, a tag number is
 * not another point's, a registered point keeps its kind — and only when no row has a problem are all rows
 * written, in one transaction: new points created, registered ones changed (those whose sheet row differs),
 * links written once every point exists, points stopped (停用: the reason from the sheet, the importer as
 * the person, the clock as the time) or put back in use as IS_USE says. Points of the enterprise that the
 * sheet does not list are left as they are. Every change is audited, with a `registry.imported` summary.
 */
import type { Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { appendAudit } from '../core/audit.ts';
import { kindName, linkProblem } from '../core/vocabulary.ts';
import type { LedgerContext } from './audited.ts';
import {
  asInput,
  listSensors,
  mapPointDbError,
  pointSubject,
  sensorInput,
  writePointLinks,
  writePointRow,
  writePointStop,
  type LedgerPointView,
  type SensorRecord,
} from './points.ts';
import { formatRegistryCsv, formatRegistryXlsx, parseRegistryFile, type HeaderLanguage, type SheetPoint, type SheetProblem } from './registry-sheet.ts';

/**
 * Rows one import takes (the platform's default): the national system's 440,000 points over 7,000 enterprises
 * are some 63 an enterprise (../shared/domain.md); the largest sites register a few thousand. Each row is
 * written and audited in the one transaction, so the bound keeps that transaction short.
 */
export const MAX_IMPORT_ROWS = 10_000;

export interface RegistryImportResult {
  /** Points new to the ledger. */
  created: number;
  /** Registered points whose row differed (fields or links). */
  updated: number;
  /** Registered points the sheet lists exactly as they are. */
  unchanged: number;
  /** Points stopped (停用) by this import, or whose stop reason it changed. */
  stopped: number;
  /** Points put back in use. */
  resumed: number;
  /** Rows of the sheet (points it lists). */
  points: number;
  /** Checked only, nothing written. */
  dryRun: boolean;
}

const refused = (problems: SheetProblem[]): AppError =>
  new AppError(
    'BAD_REQUEST',
    `测点登记表未导入：${problems.length} 处问题，未写入任何测点 / the point registry was not imported: ${problems.length} problem(s); nothing was written`,
    {
      expose: { errors: problems },
    },
  );

/** What a point is, for telling a changed row from an unchanged one (registry fields, links in order). */
function comparable(p: Record<string, unknown>): string {
  const marks = Object.fromEntries(Object.entries((p.marks as Record<string, number | undefined> | undefined) ?? {}).filter(([, v]) => v !== undefined));
  const links = ((p.links as { relation: string; target: string }[] | undefined) ?? []).map((l) => `${l.relation}:${l.target}`).sort();
  return JSON.stringify([
    p.gatewayId,
    p.unit ?? '',
    p.periodS,
    p.zone ?? null,
    p.role ?? null,
    p.name ?? '',
    Object.keys(marks).length ? ['lowLow', 'low', 'high', 'highHigh'].map((k) => marks[k] ?? null) : null,
    p.range ?? null,
    p.resolution ?? null,
    p.tagNo,
    p.casNo ?? null,
    p.location || null,
    p.hazardSourceCode ?? null,
    links,
  ]);
}

interface Plan {
  row: number;
  point: SensorRecord;
  before: LedgerPointView | undefined;
  changed: boolean;
  /** The stop to record, `null` to resume, undefined: as it is. */
  stop: string | null | undefined;
}

/** The sheet's rows checked against the ledger (inside the import's transaction): every problem, or what to write. */
async function plan(tx: Queryable, enterpriseId: string, rows: SheetPoint[]): Promise<{ ok: true; plans: Plan[] } | { ok: false; problems: SheetProblem[] }> {
  const problems: SheetProblem[] = [];
  const existing = new Map((await listSensors(tx, enterpriseId)).map((p) => [p.id, p]));
  const gatewayIds = [...new Set(rows.map((r) => r.input.gatewayId))];
  const gateways = new Map(
    (await tx.query<{ id: string; enterprise_id: string }>('SELECT id, enterprise_id FROM gateways WHERE id = ANY($1)', [gatewayIds])).rows.map((g) => [
      g.id,
      g.enterprise_id,
    ]),
  );
  const hazardSources = new Set(
    (await tx.query<{ code: string }>('SELECT code FROM major_hazard_sources WHERE enterprise_id = $1', [enterpriseId])).rows.map((h) => h.code),
  );
  const sheetKinds = new Map(rows.map((r) => [r.input.id, r.input.kind]));
  const sheetTags = new Map(rows.map((r) => [r.input.tagNo, r.input.id]));
  // a tag number the sheet gives is free unless a registered point the sheet does not list holds it (a listed one takes the sheet's tag)
  const ledgerTags = new Map([...existing.values()].filter((p) => !sheetKinds.has(p.id)).map((p) => [p.tagNo, p.id]));

  const plans: Plan[] = [];
  for (const r of rows) {
    const before = problems.length;
    const bad = (column: string, zh: string, en: string) => problems.push({ row: r.row, column, zh, en });
    const i = r.input;
    const owner = gateways.get(i.gatewayId);
    if (owner === undefined) bad('GATEWAY_CODE', `网关 ${i.gatewayId} 不存在`, `gateway ${i.gatewayId} does not exist`);
    else if (owner !== enterpriseId)
      bad(
        'GATEWAY_CODE',
        `网关 ${i.gatewayId} 属于企业 ${owner}，不属于 ${enterpriseId}`,
        `gateway ${i.gatewayId} belongs to enterprise ${owner}, not ${enterpriseId}`,
      );
    if (i.hazardSourceCode !== undefined && !hazardSources.has(i.hazardSourceCode))
      bad('HAZARD_CODE', `本企业没有重大危险源 ${i.hazardSourceCode}`, `enterprise ${enterpriseId} has no major hazard source ${i.hazardSourceCode}`);
    const was = existing.get(i.id);
    if (was && was.kind !== i.kind)
      bad(
        'TARGET_CODE',
        `测点 ${i.id} 已登记为${kindName(was.kind)?.zh ?? was.kind}，不能改为${kindName(i.kind)?.zh ?? i.kind}（类型不同即为另一测点，请另编号登记）`,
        `point ${i.id} is registered as ${was.kind}, not ${i.kind} (a different kind is a different point: give it another id)`,
      );
    const holder = ledgerTags.get(i.tagNo);
    if (holder !== undefined && holder !== i.id)
      bad('BIT_NO', `位号 ${i.tagNo} 已被本企业测点 ${holder} 使用`, `tag number ${i.tagNo} is already used by point ${holder} of enterprise ${enterpriseId}`);
    // a link's target: a point id of the sheet or the ledger, or else a tag number of either
    const links = i.links.map((l) => {
      const target = sheetKinds.has(l.target) || existing.has(l.target) ? l.target : (sheetTags.get(l.target) ?? ledgerTags.get(l.target) ?? l.target);
      const toKind = sheetKinds.get(target) ?? existing.get(target)?.kind;
      const problem =
        toKind === undefined
          ? `本表与本企业均无测点 ${l.target} / neither the sheet nor enterprise ${enterpriseId} has a point ${l.target}`
          : linkProblem(l.relation, i.kind, toKind);
      if (problem) {
        const k = problem.indexOf(' / ');
        bad('LINKS', `${l.relation}:${l.target}：${problem.slice(0, k)}`, `${l.relation}:${l.target}: ${problem.slice(k + 3)}`);
      }
      return { relation: l.relation, target };
    });
    if (problems.length > before) continue;
    // the links resolved from tag numbers are checked again (a tag naming the point itself, the same target twice)
    const parsed = sensorInput.safeParse({ ...i, enterpriseId, links });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const k = issue.message.indexOf(' / ');
        bad(issue.path[0] === 'links' ? 'LINKS' : 'BIT_NO', k < 0 ? issue.message : issue.message.slice(0, k), k < 0 ? issue.message : issue.message.slice(k + 3));
      }
      continue;
    }
    const point = parsed.data;
    const changed = !was || comparable(asInput(was)) !== comparable(point);
    const stop =
      r.stopReason === undefined
        ? undefined
        : r.stopReason === null
          ? was?.stopped
            ? null
            : undefined
          : was?.stopped?.reason === r.stopReason
            ? undefined
            : r.stopReason;
    plans.push({ row: r.row, point, before: was, changed, stop });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, plans };
}

/**
 * Imports an enterprise's registry from a file (CSV in UTF-8 or GBK, or XLSX): all rows or none. Throws
 * 404 for an unknown enterprise and 400 with `expose.errors` (every problem, with its row and column) for
 * a sheet with any problem. `onGatewayChanged` is called, after the commit, for every gateway whose points changed.
 */
export async function importRegistry(
  ctx: LedgerContext,
  onGatewayChanged: (gatewayId: string) => void,
  enterpriseId: string,
  file: Uint8Array,
  actor: string,
  opts: { dryRun?: boolean } = {},
): Promise<RegistryImportResult> {
  const parsed = await parseRegistryFile(file, enterpriseId);
  if (!parsed.ok) throw refused(parsed.problems);
  if (parsed.points.length > MAX_IMPORT_ROWS)
    throw refused([
      {
        row: 0,
        column: null,
        zh: `一次最多导入 ${MAX_IMPORT_ROWS} 个测点（平台默认），本表 ${parsed.points.length} 个，请分批导入`,
        en: `one import takes at most ${MAX_IMPORT_ROWS} points (the platform's default); this sheet has ${parsed.points.length}: split it`,
      },
    ]);
  const at = ctx.clock.now();
  const touched = new Set<string>();
  const result = await ctx.db.transaction(async (tx) => {
    // one import of an enterprise at a time: its points are read and written under this lock
    const { rows } = await tx.query('SELECT id FROM enterprises WHERE id = $1 FOR UPDATE', [enterpriseId]);
    if (!rows[0]) throw new AppError('NOT_FOUND', `企业 ${enterpriseId} 不存在 / enterprise ${enterpriseId} not found`);
    const p = await plan(tx, enterpriseId, parsed.points);
    if (!p.ok) throw refused(p.problems);
    const counts = { created: 0, updated: 0, unchanged: 0, stopped: 0, resumed: 0 };
    for (const x of p.plans) {
      if (!x.before) counts.created++;
      else if (x.changed) counts.updated++;
      else counts.unchanged++;
      if (typeof x.stop === 'string') counts.stopped++;
      if (x.stop === null) counts.resumed++;
    }
    const out: RegistryImportResult = { ...counts, points: p.plans.length, dryRun: opts.dryRun === true };
    if (opts.dryRun) return out;

    const audit = (action: string, id: string, data: Record<string, unknown>) =>
      appendAudit(tx, { actor, action, subjectType: 'sensor', subjectId: pointSubject(enterpriseId, id).id, data, at });
    // a tag number may move from one listed point to another: the changed ones first let go of theirs
    const retagged = p.plans.filter((x) => x.before && x.before.tagNo !== x.point.tagNo).map((x) => x.point.id);
    if (retagged.length > 0) await tx.query(`UPDATE sensors SET tag_no = '#import#' || id WHERE enterprise_id = $1 AND id = ANY($2)`, [enterpriseId, retagged]);
    for (const x of p.plans.filter((y) => y.before && y.changed)) {
      await writePointRow(tx, x.point, 'update').catch((err) => mapPointDbError(err, x.point));
      await audit('sensor.updated', x.point.id, { change: x.point, before: asInput(x.before!), import: { row: x.row } });
    }
    for (const x of p.plans.filter((y) => !y.before)) {
      await writePointRow(tx, x.point, 'insert').catch((err) => mapPointDbError(err, x.point));
      await audit('sensor.created', x.point.id, { ...x.point, import: { row: x.row } });
    }
    // links once every point of the sheet exists
    for (const x of p.plans.filter((y) => y.changed)) await writePointLinks(tx, enterpriseId, x.point.id, x.point.links ?? []);
    for (const x of p.plans.filter((y) => y.stop !== undefined)) {
      await writePointStop(tx, enterpriseId, x.point.id, x.stop === null ? null : { at: new Date(at), reason: x.stop!, by: actor });
      await audit(
        x.stop === null ? 'sensor.resumed' : 'sensor.stopped',
        x.point.id,
        x.stop === null
          ? { stoppedSince: x.before?.stopped?.at, reason: x.before?.stopped?.reason, import: { row: x.row } }
          : { reason: x.stop, ...(x.before?.stopped ? { before: x.before.stopped } : {}), import: { row: x.row } },
      );
    }
    for (const x of p.plans)
      if (x.changed || x.stop !== undefined) {
        touched.add(x.point.gatewayId);
        if (x.before) touched.add(x.before.gatewayId);
      }
    await appendAudit(tx, {
      actor,
      action: 'registry.imported',
      subjectType: 'enterprise',
      subjectId: enterpriseId,
      data: { ...counts, points: out.points },
      at,
    });
    return out;
  });
  for (const g of touched) onGatewayChanged(g);
  return result;
}

export type RegistryFormat = 'csv' | 'xlsx';

/** The enterprise's registry as a file: CSV (UTF-8 with a BOM, or GBK) or XLSX, Chinese or English headers. 404 for an unknown enterprise. */
export async function exportRegistry(
  ctx: LedgerContext,
  enterpriseId: string,
  opts: { format?: RegistryFormat; encoding?: 'utf-8' | 'gbk'; headers?: HeaderLanguage } = {},
): Promise<{ bytes: Buffer; points: number }> {
  const { rows } = await ctx.db.query('SELECT 1 FROM enterprises WHERE id = $1', [enterpriseId]);
  if (!rows[0]) throw new AppError('NOT_FOUND', `企业 ${enterpriseId} 不存在 / enterprise ${enterpriseId} not found`);
  const points = await listSensors(ctx.db, enterpriseId);
  if (opts.format === 'xlsx') return { bytes: await formatRegistryXlsx(points, opts), points: points.length };
  const csv = formatRegistryCsv(points, opts);
  if (!csv.ok)
    throw new AppError('BAD_REQUEST', `测点登记表含 GBK 无法表示的字符，请用 UTF-8 导出 / the registry holds characters GBK cannot write; export it as UTF-8`, {
      expose: { errors: csv.problems },
    });
  return { bytes: csv.bytes, points: points.length };
}
