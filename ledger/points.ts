/**
 * Sensors and signal points (测点): provisioned on a gateway of their
 * enterprise, with their kind, unit, reporting period and — for the rules —
 * zone, role, registered alarm marks, instrument range and resolution.
 */
import { z } from 'zod';
import { SENSOR_KINDS, SIGNAL_KINDS, idSchema } from '../core/contract.ts';
import type { Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { ALL_ROLES, describeKinds, describeRoles, enumDescriptions, kindName, roleName, roleProblem } from '../core/vocabulary.ts';
import { audited, mapDbError, parseInput, type LedgerContext } from './audited.ts';
import { SELECT_POINTS, toLedgerPoint, type AlarmMarks, type PointRow } from './point-rows.ts';

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

export const sensorInput = z
  .strictObject({
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
  })
  .refine((s) => (SIGNAL_KINDS as string[]).includes(s.kind) || s.unit.length > 0, { message: 'an analog sensor needs a unit', path: ['unit'] })
  .superRefine((s, ctx) => {
    const problem = roleProblem(s.kind, s.role);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['role'] });
  });
export type SensorInput = z.input<typeof sensorInput>;

/** Registers a point on a gateway of its enterprise; `onGatewayChanged` lets the caches of that gateway pick it up. */
export async function createSensor(ctx: LedgerContext, onGatewayChanged: (gatewayId: string) => void, input: unknown, actor: string) {
  const s = parseInput(sensorInput, input);
  const { rows } = await ctx.db.query<{ enterprise_id: string }>('SELECT enterprise_id FROM gateways WHERE id = $1', [s.gatewayId]);
  if (!rows[0]) throw new AppError('NOT_FOUND', `gateway ${s.gatewayId} not found`);
  if (rows[0].enterprise_id !== s.enterpriseId)
    throw new AppError('BAD_REQUEST', `gateway ${s.gatewayId} belongs to enterprise ${rows[0].enterprise_id}, not ${s.enterpriseId}`);
  await audited(ctx, actor, 'sensor.created', { type: 'sensor', id: `${s.enterpriseId}/${s.id}` }, s, (tx) =>
    tx.query(
      `INSERT INTO sensors (enterprise_id, id, gateway_id, kind, unit, period_s, zone, role, name, marks, range_min, range_max, resolution)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        s.enterpriseId,
        s.id,
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
      ],
    ),
  ).catch((err) => mapDbError(err, `sensor ${s.id} of enterprise ${s.enterpriseId}`));
  onGatewayChanged(s.gatewayId);
  return s;
}

/** A point's marks, range and resolution, each left out when not registered. */
function registered(p: { marks?: AlarmMarks; range?: { min: number; max: number }; resolution?: number }) {
  return {
    ...(p.marks === undefined ? {} : { marks: p.marks }),
    ...(p.range === undefined ? {} : { range: p.range }),
    ...(p.resolution === undefined ? {} : { resolution: p.resolution }),
  };
}

/** The enterprise's points, by id. */
export async function listSensors(db: Queryable, enterpriseId: string) {
  const { rows } = await db.query<PointRow>(`${SELECT_POINTS} WHERE s.enterprise_id = $1 ORDER BY s.id`, [enterpriseId]);
  return rows.map(toLedgerPoint).map((p) => ({
    id: p.id,
    enterpriseId,
    gatewayId: p.gatewayId,
    kind: p.kind,
    unit: p.unit,
    periodS: p.periodS,
    zone: p.zone ?? null,
    role: p.role ?? null,
    name: p.name,
    ...registered(p),
  }));
}

export async function getSensor(db: Queryable, enterpriseId: string, sensorId: string) {
  const { rows } = await db.query<PointRow>(`${SELECT_POINTS} WHERE s.enterprise_id = $1 AND s.id = $2`, [enterpriseId, sensorId]);
  const p = rows[0] && toLedgerPoint(rows[0]);
  return p ? { id: p.id, enterpriseId, gatewayId: p.gatewayId, kind: p.kind, unit: p.unit, periodS: p.periodS, ...registered(p) } : undefined;
}
