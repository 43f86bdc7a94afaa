/**
 * Sensors and signal points (测点), the point registry (issue #17 item 1): provisioned on a gateway of their
 * enterprise, with their kind, unit, reporting period and — for the rules — zone, role, registered alarm
 * marks (as the kind allows: ledger/indicator-codes.ts), instrument range and resolution, and the explicit
 * links the compound rules follow; and for the registry: tag number (位号, unique in the enterprise),
 * indicator code (指标编码), the gas's CAS number, location, the major hazard source it belongs to, and
 * whether it is stopped on record (停用, with reason, person and time). Every change is audited.
 */
import { z } from 'zod';
import { SENSOR_KINDS, SIGNAL_KINDS, idSchema } from '../core/contract.ts';
import type { Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import {
  ALL_ROLES,
  POINT_RELATION_IDS,
  POINT_RELATIONS,
  describeKinds,
  describeRoles,
  enumDescriptions,
  kindName,
  linkProblem,
  roleName,
  roleProblem,
} from '../core/vocabulary.ts';
import { audited, mapDbError, parseInput, type LedgerContext } from './audited.ts';
import { MARK_LABELS, indicatorCodeOf, kindOfIndicator, marksAllowed } from '../core/indicator-codes.ts';
import { SELECT_POINTS, toLedgerPoint, type LedgerPoint, type PointRow } from './point-rows.ts';

export type { AlarmMarks } from './point-rows.ts';

const KINDS = [...SENSOR_KINDS, ...SIGNAL_KINDS] as [string, ...string[]];

/** Order alarm marks must keep, lowest first; a mark may be left out. */
const MARK_ORDER = ['lowLow', 'low', 'high', 'highHigh'] as const;
/** zod 4 numbers refuse Infinity and NaN. */
const finite = z.number();

/** A sensor's registered alarm marks, in its unit: lowLow ≤ low ≤ high ≤ highHigh, any of them optional. */
export const alarmMarksInput = z
  .strictObject({ lowLow: finite.optional(), low: finite.optional(), high: finite.optional(), highHigh: finite.optional() })
  .superRefine((m, ctx) => {
    const given = MARK_ORDER.filter((k) => m[k] !== undefined);
    for (let i = 1; i < given.length; i++) {
      const lo = given[i - 1]!;
      const hi = given[i]!;
      if (m[lo]! > m[hi]!) {
        ctx.addIssue({ code: 'custom', message: `must be ordered lowLow ≤ low ≤ high ≤ highHigh, but ${lo} (${m[lo]}) > ${hi} (${m[hi]})` });
        return;
      }
    }
  });

/** The instrument's measuring range, in its unit. */
export const rangeInput = z.strictObject({ min: finite, max: finite }).superRefine((r, ctx) => {
  if (!(r.min < r.max)) ctx.addIssue({ code: 'custom', message: `min must be less than max, but min is ${r.min} and max ${r.max}` });
});

/** A CAS registry number (gas points: the gas's), its check digit verified: the digits before it, from the right, weighted 1, 2, 3…, summed, mod 10. */
export const casSchema = z
  .string()
  .trim()
  .regex(/^[0-9]{2,7}-[0-9]{2}-[0-9]$/, { error: 'CAS 号格式为 2–7 位-2 位-1 位校验位，如 74-82-8 / a CAS number reads like 74-82-8' })
  .refine(
    (cas) => {
      const digits = cas.replace(/-/g, '');
      const body = digits.slice(0, -1).split('').reverse();
      return body.reduce((sum, d, i) => sum + Number(d) * (i + 1), 0) % 10 === Number(digits.at(-1));
    },
    { error: 'CAS 号校验位不符 / the CAS number\'s check digit does not match' },
  );

const linkInput = z.strictObject({
  relation: z
    .enum(POINT_RELATION_IDS, { error: `关联类型可选：${POINT_RELATION_IDS.join(', ')} / must be one of: ${POINT_RELATION_IDS.join(', ')}` })
    .meta({ 'x-enum-descriptions': POINT_RELATION_IDS.map((r) => `${POINT_RELATIONS[r].zh} (${POINT_RELATIONS[r].en})`) }),
  /** The linked point's id, in the same enterprise. */
  target: idSchema,
});

/** The registry's fields of a point (issue #17 item 1) besides what the rules read. */
const registryFields = {
  /** 位号: the plant's tag number, unique in the enterprise; the point's id when left out. */
  tagNo: z.string().trim().min(1).max(64).optional().meta({ description: '位号 (tag number), unique in the enterprise; defaults to the id' }),
  /** 指标编码: checked against the kind (ledger/indicator-codes.ts); the kind's code when left out. */
  indicatorCode: z
    .string()
    .trim()
    .min(1)
    .max(32)
    .optional()
    .meta({ description: "指标编码 (indicator code): the code, the kind's id or its Chinese name; must name the point's kind" }),
  casNo: casSchema.optional().meta({ description: "CAS number of the measured gas (gas points)" }),
  /** 安装位置, for people (the zone is what the rules group by). */
  location: z.string().trim().max(200).optional(),
  /** The major hazard source (重大危险源) the point belongs to, by its code. */
  hazardSourceCode: z.string().trim().min(1).max(64).optional(),
  /** Explicit links the compound rules follow (core/vocabulary.ts POINT_RELATIONS). */
  links: z.array(linkInput).max(50).optional(),
};

const sensorShape = z.strictObject({
  id: idSchema,
  enterpriseId: idSchema,
  gatewayId: idSchema,
  kind: z
    .enum(KINDS, { error: `must be one of: ${describeKinds()}` })
    .meta({ description: `Sensor or signal kind (类型): ${describeKinds()}`, 'x-enum-descriptions': enumDescriptions(KINDS, kindName) }),
  unit: z.string().max(32).default(''),
  /** Expected reporting period, seconds. */
  periodS: z.number().int().positive().max(86_400),
  /** Free identifier of the area (区域); the detectors of one zone are correlated. */
  zone: z.string().max(64).optional().meta({ description: 'Area (区域), a free identifier: the detectors of one zone are correlated (gas.correlated).' }),
  /** What the sensor is for its kind (core/vocabulary.ts): a methane sensor's location, a wind-speed sensor's roadway type, a toxic detector's gas. */
  role: z
    .string()
    .max(64)
    .optional()
    // checked against the kind below (the message lists that kind's roles); the enum is for the OpenAPI description
    .meta({
      description: `Role (位置/用途), valid per kind — ${describeRoles()}. Kinds not listed take no role.`,
      enum: [...ALL_ROLES],
      'x-enum-descriptions': enumDescriptions(ALL_ROLES, roleName),
    }),
  name: z.string().max(200).optional(),
  /** Registered alarm marks, in the sensor's unit. */
  marks: alarmMarksInput.optional(),
  /** Measuring range of the instrument, in the sensor's unit. */
  range: rangeInput.optional(),
  /** Smallest step the instrument reports, in the sensor's unit (> 0). */
  resolution: finite.positive().optional(),
  ...registryFields,
});

/** The checks across fields: a unit for an analog sensor, the role, the marks and the indicator code the kind allows, no link twice. */
function checkPoint(s: z.output<typeof sensorShape>, ctx: z.RefinementCtx): void {
  if (!(SIGNAL_KINDS as string[]).includes(s.kind) && s.unit.length === 0) ctx.addIssue({ code: 'custom', message: 'an analog sensor needs a unit', path: ['unit'] });
  const problem = roleProblem(s.kind, s.role);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['role'] });
  const allowed = marksAllowed(s.kind);
  for (const m of MARK_ORDER)
    if (s.marks?.[m] !== undefined && !allowed.includes(m))
      ctx.addIssue({
        code: 'custom',
        path: ['marks', m],
        message: allowed.length
          ? `${kindName(s.kind)?.zh ?? s.kind}只能登记${allowed.map((a) => MARK_LABELS[a].zh).join('、')} / a ${s.kind} point takes only ${allowed.map((a) => MARK_LABELS[a].en).join(', ')} marks`
          : `${kindName(s.kind)?.zh ?? s.kind}为状态信号，不登记报警值 / a ${s.kind} signal takes no alarm marks`,
      });
  if (s.indicatorCode !== undefined) {
    const named = kindOfIndicator(s.indicatorCode);
    if (named !== s.kind)
      ctx.addIssue({
        code: 'custom',
        path: ['indicatorCode'],
        message: named
          ? `指标编码 ${s.indicatorCode} 是${kindName(named)?.zh}，与类型${kindName(s.kind)?.zh}不符 / indicator ${s.indicatorCode} is ${named}, not ${s.kind}`
          : `未知指标编码 ${s.indicatorCode}（见 docs/point-registry.md） / unknown indicator code ${s.indicatorCode}; the kind's code is ${indicatorCodeOf(s.kind)}`,
      });
  }
  const seen = new Set<string>();
  for (const [i, l] of (s.links ?? []).entries()) {
    const key = `${l.relation}\u0000${l.target}`;
    if (l.target === s.id) ctx.addIssue({ code: 'custom', path: ['links', i], message: '测点不能关联自身 / a point cannot link to itself' });
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['links', i], message: `重复关联 ${l.relation} → ${l.target} / the link is listed twice` });
    seen.add(key);
  }
}

export const sensorInput = sensorShape.superRefine(checkPoint);
export type SensorInput = z.input<typeof sensorInput>;
type Sensor = z.output<typeof sensorInput>;
/** A point as `sensorInput` gives it (checked whole, defaults filled in). */
export type SensorRecord = Sensor;

/**
 * A change to a registered point: any field but its id, enterprise and kind (a different kind is a
 * different point: register it anew); `null` clears an optional field; `links` replaces the point's links.
 */
export const sensorPatch = z.strictObject({
  gatewayId: idSchema.optional(),
  unit: z.string().max(32).optional(),
  periodS: z.number().int().positive().max(86_400).optional(),
  zone: z.string().max(64).nullable().optional(),
  role: z.string().max(64).nullable().optional(),
  name: z.string().max(200).optional(),
  marks: alarmMarksInput.nullable().optional(),
  range: rangeInput.nullable().optional(),
  resolution: finite.positive().nullable().optional(),
  tagNo: registryFields.tagNo,
  casNo: casSchema.nullable().optional(),
  location: registryFields.location.nullable(),
  hazardSourceCode: registryFields.hazardSourceCode.nullable(),
  links: registryFields.links,
});
export type SensorPatch = z.input<typeof sensorPatch>;

/** Why a point is stopped (停用); who and when are the actor and the clock. */
export const stopInput = z.strictObject({
  reason: z
    .string({ error: '停用原因必填 / a reason is required' })
    .trim()
    .min(1, { error: '停用原因必填 / a reason is required' })
    .max(500),
});

export const pointSubject = (enterpriseId: string, id: string) => ({ type: 'sensor', id: `${enterpriseId}/${id}` });

/** Checks the hazard source and the links against the ledger (inside the caller's transaction, before the point is written). */
async function checkRefs(tx: Queryable, s: Sensor): Promise<void> {
  const problems: string[] = [];
  if (s.hazardSourceCode !== undefined) {
    const { rows } = await tx.query('SELECT 1 FROM major_hazard_sources WHERE enterprise_id = $1 AND code = $2', [s.enterpriseId, s.hazardSourceCode]);
    if (!rows[0]) problems.push(`hazardSourceCode: 本企业没有重大危险源 ${s.hazardSourceCode} / enterprise ${s.enterpriseId} has no major hazard source ${s.hazardSourceCode}`);
  }
  const links = s.links ?? [];
  if (links.length > 0) {
    const targets = [...new Set(links.map((l) => l.target))];
    const { rows } = await tx.query<{ id: string; kind: string }>('SELECT id, kind FROM sensors WHERE enterprise_id = $1 AND id = ANY($2)', [s.enterpriseId, targets]);
    const kinds = new Map(rows.map((r) => [r.id, r.kind]));
    for (const [i, l] of links.entries()) {
      const toKind = kinds.get(l.target);
      const problem = toKind === undefined ? `本企业没有测点 ${l.target} / enterprise ${s.enterpriseId} has no point ${l.target}` : linkProblem(l.relation, s.kind, toKind);
      if (problem) problems.push(`links.${i}: ${problem}`);
    }
  }
  if (problems.length > 0) throw new AppError('BAD_REQUEST', problems.join('; '));
}

/** Replaces a point's links (inside the caller's transaction; the caller has checked them). */
export async function writePointLinks(tx: Queryable, enterpriseId: string, id: string, links: readonly { relation: string; target: string }[]): Promise<void> {
  await tx.query('DELETE FROM point_links WHERE enterprise_id = $1 AND point_id = $2', [enterpriseId, id]);
  for (const l of links)
    await tx.query('INSERT INTO point_links (enterprise_id, point_id, relation, target_id) VALUES ($1, $2, $3, $4)', [enterpriseId, id, l.relation, l.target]);
}

/** The sensors row's values of a point, in POINT_COLUMNS order. */
const pointValues = (s: Sensor) => [
  s.gatewayId,
  s.kind,
  s.unit,
  s.periodS,
  s.zone ?? null,
  s.role ?? null,
  s.name ?? '',
  s.marks === undefined ? null : JSON.stringify(s.marks),
  s.range?.min ?? null,
  s.range?.max ?? null,
  s.resolution ?? null,
  s.tagNo ?? s.id,
  indicatorCodeOf(s.kind) ?? null,
  s.casNo ?? null,
  s.location || null,
  s.hazardSourceCode ?? null,
];
const POINT_COLUMNS = [
  'gateway_id',
  'kind',
  'unit',
  'period_s',
  'zone',
  'role',
  'name',
  'marks',
  'range_min',
  'range_max',
  'resolution',
  'tag_no',
  'indicator_code',
  'cas_no',
  'location',
  'hazard_source_code',
];

/**
 * Writes a point's `sensors` row — a new one, or the registered one changed (not its links nor its stop) —
 * inside the caller's transaction, without checks against the ledger (the caller's: `createSensor`,
 * `updateSensor`, the registry import, ledger/registry-import.ts).
 */
export async function writePointRow(tx: Queryable, s: SensorRecord, mode: 'insert' | 'update'): Promise<void> {
  if (mode === 'insert')
    await tx.query(
      `INSERT INTO sensors (enterprise_id, id, ${POINT_COLUMNS.join(', ')}) VALUES (${[...POINT_COLUMNS, '', ''].map((_, i) => `$${i + 1}`).join(', ')})`,
      [s.enterpriseId, s.id, ...pointValues(s)],
    );
  else
    await tx.query(`UPDATE sensors SET ${POINT_COLUMNS.map((c, i) => `${c} = $${i + 3}`).join(', ')} WHERE enterprise_id = $1 AND id = $2`, [
      s.enterpriseId,
      s.id,
      ...pointValues(s),
    ]);
}

/** Records a point stopped (停用: since when, why, by whom) or back in use (`null`), inside the caller's transaction. */
export async function writePointStop(tx: Queryable, enterpriseId: string, id: string, stop: { at: Date; reason: string; by: string } | null): Promise<void> {
  await tx.query('UPDATE sensors SET stopped_at = $3, stopped_reason = $4, stopped_by = $5 WHERE enterprise_id = $1 AND id = $2', [
    enterpriseId,
    id,
    stop?.at ?? null,
    stop?.reason ?? null,
    stop?.by ?? null,
  ]);
}

/** Maps a duplicate tag number onto its own message. */
export function mapPointDbError(err: unknown, s: Sensor): never {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e.code === '23505' && (e.constraint === 'sensors_tag_no_key' || /sensors_tag_no_key/.test(e.message ?? '')))
    throw new AppError('CONFLICT', `位号 ${s.tagNo ?? s.id} 在企业 ${s.enterpriseId} 已被其他测点使用 / tag number ${s.tagNo ?? s.id} is already used in enterprise ${s.enterpriseId}`);
  return mapDbError(err, `sensor ${s.id} of enterprise ${s.enterpriseId}`);
}

async function gatewayOf(db: Queryable, s: Sensor): Promise<void> {
  const { rows } = await db.query<{ enterprise_id: string }>('SELECT enterprise_id FROM gateways WHERE id = $1', [s.gatewayId]);
  if (!rows[0]) throw new AppError('NOT_FOUND', `gateway ${s.gatewayId} not found`);
  if (rows[0].enterprise_id !== s.enterpriseId)
    throw new AppError('BAD_REQUEST', `gateway ${s.gatewayId} belongs to enterprise ${rows[0].enterprise_id}, not ${s.enterpriseId}`);
}

/** Registers a point on a gateway of its enterprise; `onGatewayChanged` lets the caches of that gateway pick it up. */
export async function createSensor(ctx: LedgerContext, onGatewayChanged: (gatewayId: string) => void, input: unknown, actor: string) {
  const s = parseInput(sensorInput, input);
  await gatewayOf(ctx.db, s);
  await audited(ctx, actor, 'sensor.created', pointSubject(s.enterpriseId, s.id), s, async (tx) => {
    await checkRefs(tx, s);
    await writePointRow(tx, s, 'insert');
    await writePointLinks(tx, s.enterpriseId, s.id, s.links ?? []);
  }).catch((err) => mapPointDbError(err, s));
  onGatewayChanged(s.gatewayId);
  return s;
}

/** The point as an input again (for a change: merged with the patch and checked whole; the registry import compares with it). */
export function asInput(p: LedgerPointView): Record<string, unknown> {
  const { stopped: _stopped, links, zone, role, ...rest } = p;
  return {
    ...rest,
    ...(zone === null ? {} : { zone }),
    ...(role === null ? {} : { role }),
    links: Object.entries(links ?? {}).flatMap(([relation, targets]) => targets.map((target) => ({ relation, target }))),
  };
}

/** Changes a registered point (audited with what it was); the caches of its gateway (both, when it moved) pick it up. */
export async function updateSensor(ctx: LedgerContext, onGatewayChanged: (gatewayId: string) => void, enterpriseId: string, id: string, input: unknown, actor: string) {
  const patch = parseInput(sensorPatch, input);
  const before = await getSensor(ctx.db, enterpriseId, id);
  if (!before) throw new AppError('NOT_FOUND', `sensor ${id} of enterprise ${enterpriseId} not found`);
  const merged = asInput(before);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete merged[k];
    else if (v !== undefined) merged[k] = v;
  }
  const s = parseInput(sensorInput, merged);
  if (s.gatewayId !== before.gatewayId) await gatewayOf(ctx.db, s);
  await audited(ctx, actor, 'sensor.updated', pointSubject(enterpriseId, id), { change: patch, before: asInput(before) }, async (tx) => {
    await checkRefs(tx, s);
    await writePointRow(tx, s, 'update');
    await writePointLinks(tx, s.enterpriseId, s.id, s.links ?? []);
  }).catch((err) => mapPointDbError(err, s));
  onGatewayChanged(before.gatewayId);
  if (s.gatewayId !== before.gatewayId) onGatewayChanged(s.gatewayId);
  return (await getSensor(ctx.db, enterpriseId, id))!;
}

/**
 * Stops a point on record (停用: reason, person = the actor, time = the clock) or puts it back in use
 * (`stop` null). A stopped point keeps reporting and its readings are stored, but no rule watches it;
 * stopping one already stopped, or resuming one in use, is a conflict.
 */
export async function setPointStopped(
  ctx: LedgerContext,
  onGatewayChanged: (gatewayId: string) => void,
  enterpriseId: string,
  id: string,
  stop: unknown,
  actor: string,
) {
  const reason = stop === null ? null : parseInput(stopInput, stop).reason;
  const before = await getSensor(ctx.db, enterpriseId, id);
  if (!before) throw new AppError('NOT_FOUND', `sensor ${id} of enterprise ${enterpriseId} not found`);
  if (reason !== null && before.stopped)
    throw new AppError('CONFLICT', `测点 ${id} 已于 ${before.stopped.at} 停用 / point ${id} is already stopped since ${before.stopped.at}`);
  if (reason === null && !before.stopped) throw new AppError('CONFLICT', `测点 ${id} 在用，无需恢复 / point ${id} is in use, not stopped`);
  const at = new Date(ctx.clock.now());
  await audited(
    ctx,
    actor,
    reason === null ? 'sensor.resumed' : 'sensor.stopped',
    pointSubject(enterpriseId, id),
    reason === null ? { stoppedSince: before.stopped?.at, reason: before.stopped?.reason } : { reason },
    (tx) => writePointStop(tx, enterpriseId, id, reason === null ? null : { at, reason, by: actor }),
  );
  onGatewayChanged(before.gatewayId);
  return (await getSensor(ctx.db, enterpriseId, id))!;
}

/** A point as the registry shows it: what the rules read and the registry's fields; zone and role null when not registered. */
export interface LedgerPointView extends Omit<LedgerPoint, 'sector' | 'zone' | 'role'> {
  zone: string | null;
  role: string | null;
}

function view(p: LedgerPoint): LedgerPointView {
  const { sector: _sector, zone, role, ...rest } = p;
  return { ...rest, zone: zone ?? null, role: role ?? null };
}

/** The enterprise's points, by id. */
export async function listSensors(db: Queryable, enterpriseId: string): Promise<LedgerPointView[]> {
  const { rows } = await db.query<PointRow>(`${SELECT_POINTS} WHERE s.enterprise_id = $1 ORDER BY s.id`, [enterpriseId]);
  return rows.map(toLedgerPoint).map(view);
}

export async function getSensor(db: Queryable, enterpriseId: string, sensorId: string): Promise<LedgerPointView | undefined> {
  const { rows } = await db.query<PointRow>(`${SELECT_POINTS} WHERE s.enterprise_id = $1 AND s.id = $2`, [enterpriseId, sensorId]);
  return rows[0] && view(toLedgerPoint(rows[0]));
}

/** A point as the rules see it (with its enterprise's sector), for resolving the rules of one point outside the worker. */
export async function getRulePoint(db: Queryable, enterpriseId: string, sensorId: string): Promise<Omit<LedgerPoint, 'name'> | undefined> {
  const { rows } = await db.query<PointRow>(`${SELECT_POINTS} WHERE s.enterprise_id = $1 AND s.id = $2`, [enterpriseId, sensorId]);
  if (!rows[0]) return undefined;
  const { name: _name, ...p } = toLedgerPoint(rows[0]);
  return p;
}
