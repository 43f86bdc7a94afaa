/**
 * Major hazard sources (重大危险源) of an enterprise (issue #17 item 1), as the national hazardous-chemicals
 * monitoring system registers them: a code (unique within the enterprise; the provincial platforms' hazard
 * code), a name, the level 一级…四级 and the R value it is graded by, and the three responsible persons
 * (包保责任人: 主要负责人, 技术负责人, 操作负责人), each with a phone.
 *
 * Grading (GB 18218-2018《危险化学品重大危险源辨识》, the grading of major hazard sources by R, the
 * corrected sum of each chemical's quantity over its threshold quantity; the same table as 原国家安监总局令
 * 第40号《危险化学品重大危险源监督管理暂行规定》附件1): R ≥ 100 一级, 100 > R ≥ 50 二级, 50 > R ≥ 10 三级,
 * R < 10 四级. The level may be omitted (it is derived from R); a level given that R contradicts is refused,
 * naming the level R gives. Phones are checked and normalised as the enterprise's safety manager's
 * (`enterprise-identity.ts`).
 */
import { z } from 'zod';
import { appendAudit } from '../core/audit.ts';
import { idSchema } from '../core/contract.ts';
import type { Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { audited, mapDbError, parseInput, type LedgerContext } from './audited.ts';
import { phoneSchema } from './enterprise-identity.ts';

export const HAZARD_LEVELS = [1, 2, 3, 4] as const;
export type HazardLevel = (typeof HAZARD_LEVELS)[number];
export const HAZARD_LEVEL_NAMES: Record<HazardLevel, { zh: string; en: string }> = {
  1: { zh: '一级', en: 'level 1' },
  2: { zh: '二级', en: 'level 2' },
  3: { zh: '三级', en: 'level 3' },
  4: { zh: '四级', en: 'level 4' },
};
const GRADING =
  'GB 18218-2018：R≥100 一级，100>R≥50 二级，50>R≥10 三级，R<10 四级 / R ≥ 100 level 1, 100 > R ≥ 50 level 2, 50 > R ≥ 10 level 3, R < 10 level 4';

/** The level GB 18218-2018 gives a major hazard source of this R value. */
export function levelForR(r: number): HazardLevel {
  if (r >= 100) return 1;
  if (r >= 50) return 2;
  if (r >= 10) return 3;
  return 4;
}

const PERSON_ROLES = {
  main: { zh: '主要负责人', en: 'main responsible person' },
  technical: { zh: '技术负责人', en: 'technical responsible person' },
  operational: { zh: '操作负责人', en: 'operational responsible person' },
} as const;
type PersonRole = keyof typeof PERSON_ROLES;
const ROLES = Object.keys(PERSON_ROLES) as PersonRole[];

const person = (role: PersonRole) =>
  z
    .strictObject(
      {
        name: z
          .string({ error: `${PERSON_ROLES[role].zh}姓名必填 / the ${PERSON_ROLES[role].en}'s name is required` })
          .trim()
          .min(1, { error: `${PERSON_ROLES[role].zh}姓名必填 / the ${PERSON_ROLES[role].en}'s name is required` })
          .max(100),
        phone: phoneSchema,
      },
      { error: `${PERSON_ROLES[role].zh}（姓名和电话）必填 / the ${PERSON_ROLES[role].en} (name and phone) is required` },
    )
    .meta({ description: `${PERSON_ROLES[role].zh} (${PERSON_ROLES[role].en}): name and phone` });

const persons = z
  .strictObject(
    { main: person('main'), technical: person('technical'), operational: person('operational') },
    { error: '包保责任人（主要、技术、操作负责人）必填 / the three responsible persons (main, technical, operational) are required' },
  )
  .meta({ description: '包保责任人: 主要负责人 (main), 技术负责人 (technical), 操作负责人 (operational), each with name and phone' });

const codeSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: '危险源编码只能含字母、数字、_ . - / the hazard code may hold letters, digits, _ . - only' })
  .meta({ description: '重大危险源编码 The hazard code (unique within the enterprise)', example: 'HZ-350100-001' });
const rValue = z
  .number({ error: 'R 值应为数字 / R must be a number' })
  .min(0, { error: 'R 值不能为负 / R must not be negative' })
  .max(1e9)
  .meta({ description: `R value (GB 18218-2018), grading: ${GRADING}` });
const level = z
  .number()
  .int()
  .min(1, { error: '级别应为 1—4（一级—四级）/ level must be 1–4' })
  .max(4, { error: '级别应为 1—4（一级—四级）/ level must be 1–4' })
  .meta({ description: '级别 Level 1–4 (一级…四级); omitted: derived from R' });

const fields = {
  name: z.string().trim().min(1).max(200).meta({ description: '名称 Name' }),
  level: level.optional(),
  rValue,
  persons,
};

/** Refuses a level that R contradicts, naming the level R gives. */
function levelAgrees(v: { level?: number | undefined; rValue: number }, ctx: z.RefinementCtx): void {
  // only a valid level and R are compared (the field checks have refused the others)
  if (!HAZARD_LEVELS.includes(v.level as HazardLevel) || typeof v.rValue !== 'number' || !(v.rValue >= 0)) return;
  const given = v.level as HazardLevel;
  const derived = levelForR(v.rValue);
  if (given !== derived)
    ctx.addIssue({
      code: 'custom',
      path: ['level'],
      message: `R = ${v.rValue} 对应${HAZARD_LEVEL_NAMES[derived].zh}重大危险源，与所填${HAZARD_LEVEL_NAMES[given].zh}不符 / R = ${v.rValue} gives ${HAZARD_LEVEL_NAMES[derived].en}, not ${HAZARD_LEVEL_NAMES[given].en} (${GRADING})`,
    });
}

export const hazardSourceInput = z.strictObject({ code: codeSchema, ...fields }).superRefine(levelAgrees);
export type HazardSourceInput = z.input<typeof hazardSourceInput>;

/** A change: the fields given replace the recorded ones (persons replaced as a whole); level and R are checked together. */
export const hazardSourcePatch = z.strictObject({
  name: fields.name.optional(),
  level: level.optional(),
  rValue: rValue.optional(),
  persons: persons.optional(),
});

export const hazardSourcePath = z.object({ id: idSchema, code: codeSchema });

export interface Person {
  name: string;
  phone: string;
}
export interface HazardSource {
  code: string;
  name: string;
  level: HazardLevel;
  rValue: number;
  persons: Record<PersonRole, Person>;
}

interface Row {
  code: string;
  name: string;
  level: number;
  r_value: number;
  main_name: string;
  main_phone: string;
  technical_name: string;
  technical_phone: string;
  operational_name: string;
  operational_phone: string;
}

const COLUMNS = 'code, name, level, r_value, main_name, main_phone, technical_name, technical_phone, operational_name, operational_phone';

const fromRow = (r: Row): HazardSource => ({
  code: r.code,
  name: r.name,
  level: Number(r.level) as HazardLevel,
  rValue: Number(r.r_value),
  persons: Object.fromEntries(ROLES.map((role) => [role, { name: r[`${role}_name`], phone: r[`${role}_phone`] }])) as Record<PersonRole, Person>,
});

const values = (s: HazardSource) => [s.name, s.level, s.rValue, ...ROLES.flatMap((role) => [s.persons[role].name, s.persons[role].phone])];

export async function listHazardSources(q: Queryable, enterpriseId: string): Promise<HazardSource[]> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM major_hazard_sources WHERE enterprise_id = $1 ORDER BY code`, [enterpriseId]);
  return rows.map(fromRow);
}

async function readOne(q: Queryable, enterpriseId: string, code: string): Promise<HazardSource> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM major_hazard_sources WHERE enterprise_id = $1 AND code = $2 FOR UPDATE`, [enterpriseId, code]);
  if (!rows[0])
    throw new AppError('NOT_FOUND', `企业 ${enterpriseId} 没有编码为 ${code} 的重大危险源 / enterprise ${enterpriseId} has no major hazard source ${code}`);
  return fromRow(rows[0]);
}

function mapError(err: unknown, enterpriseId: string, code: string): never {
  const e = err as { code?: string };
  if (e.code === '23505')
    throw new AppError(
      'CONFLICT',
      `企业 ${enterpriseId} 已有编码为 ${code} 的重大危险源 / enterprise ${enterpriseId} already has a major hazard source ${code}`,
    );
  if (e.code === '23503') throw new AppError('NOT_FOUND', `enterprise ${enterpriseId} not found`, { cause: err });
  return mapDbError(err, `major hazard source ${code}`);
}

/** Registers a major hazard source (audited as `hazard_source.created` on the enterprise). */
export async function createHazardSource(ctx: LedgerContext, enterpriseId: string, input: unknown, actor: string): Promise<HazardSource> {
  const v = parseInput(hazardSourceInput, input);
  const source: HazardSource = { code: v.code, name: v.name, level: levelForR(v.rValue), rValue: v.rValue, persons: v.persons };
  await audited(ctx, actor, 'hazard_source.created', { type: 'enterprise', id: enterpriseId }, { ...source }, (tx) =>
    tx.query(`INSERT INTO major_hazard_sources (enterprise_id, ${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, [
      enterpriseId,
      source.code,
      ...values(source),
    ]),
  ).catch((err) => mapError(err, enterpriseId, source.code));
  return source;
}

/** Changes a major hazard source (audited as `hazard_source.updated` with before and after). */
export async function updateHazardSource(ctx: LedgerContext, enterpriseId: string, code: string, input: unknown, actor: string): Promise<HazardSource> {
  const patch = parseInput(hazardSourcePatch, input);
  return ctx.db.transaction(async (tx) => {
    const before = await readOne(tx, enterpriseId, code);
    // the level is checked against the R value it will stand with (a new R alone re-grades the source)
    const merged = parseInput(hazardSourceInput, {
      code,
      name: patch.name ?? before.name,
      rValue: patch.rValue ?? before.rValue,
      persons: patch.persons ?? before.persons,
      ...(patch.level === undefined ? {} : { level: patch.level }),
    });
    const after: HazardSource = { code, name: merged.name, level: levelForR(merged.rValue), rValue: merged.rValue, persons: merged.persons };
    await tx.query(
      `UPDATE major_hazard_sources SET name = $3, level = $4, r_value = $5, main_name = $6, main_phone = $7, technical_name = $8,
         technical_phone = $9, operational_name = $10, operational_phone = $11, updated_at = now() WHERE enterprise_id = $1 AND code = $2`,
      [enterpriseId, code, ...values(after)],
    );
    await appendAudit(tx, {
      actor,
      action: 'hazard_source.updated',
      subjectType: 'enterprise',
      subjectId: enterpriseId,
      data: { code, patch, before, after },
      at: ctx.clock.now(),
    });
    return after;
  });
}

/** Removes a major hazard source (audited as `hazard_source.deleted` with what it was). Nothing refers to one yet. */
export async function deleteHazardSource(ctx: LedgerContext, enterpriseId: string, code: string, actor: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const before = await readOne(tx, enterpriseId, code);
    await tx.query('DELETE FROM major_hazard_sources WHERE enterprise_id = $1 AND code = $2', [enterpriseId, code]);
    await appendAudit(tx, {
      actor,
      action: 'hazard_source.deleted',
      subjectType: 'enterprise',
      subjectId: enterpriseId,
      data: { code, before },
      at: ctx.clock.now(),
    });
  });
}
