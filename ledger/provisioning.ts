import { z } from 'zod';
import { SENSOR_KINDS, SIGNAL_KINDS, idSchema } from '../core/contract.ts';
import { appendAudit } from '../core/audit.ts';
import type { Db, Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import {
  ALL_ROLES,
  SECTORS,
  type Sector,
  SECTOR_NAMES,
  describeKinds,
  describeRoles,
  enumDescriptions,
  kindName,
  roleName,
  roleProblem,
} from '../core/vocabulary.ts';
import { generateSecret, hashSecret } from './credentials.ts';

/**
 * Provisioning of the ledger the broker and ingest rely on: authorities,
 * enterprises, gateways (credentials returned once, stored hashed) and their
 * sensors / signal points. Used by the API and, through it, the CLI.
 */
export { SECTORS };

const KINDS = [...SENSOR_KINDS, ...SIGNAL_KINDS] as [string, ...string[]];
const sectorList = SECTORS.map((s) => `${s}（${SECTOR_NAMES[s].zh}）`).join(', ');

export const authorityInput = z.strictObject({
  id: idSchema,
  name: z.string().min(1).max(200),
  level: z.enum(['province', 'city', 'county']),
  parentId: idSchema.optional(),
});
export const enterpriseInput = z.strictObject({
  id: idSchema,
  name: z.string().min(1).max(200),
  sector: z
    .enum(SECTORS, { error: `must be one of: ${sectorList}` })
    .meta({ description: `Sector (行业): ${sectorList}`, 'x-enum-descriptions': enumDescriptions(SECTORS, (s) => SECTOR_NAMES[s as Sector]) }),
  authorityId: idSchema.optional(),
});
export const gatewayInput = z.strictObject({ id: idSchema, enterpriseId: idSchema, name: z.string().max(200).optional() });

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

export type AlarmMarks = z.output<typeof alarmMarksInput>;

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

export type AuthorityInput = z.input<typeof authorityInput>;
export type EnterpriseInput = z.input<typeof enterpriseInput>;
export type GatewayInput = z.input<typeof gatewayInput>;
export type SensorInput = z.input<typeof sensorInput>;

/** The registered marks, range and resolution columns of a `sensors` row. */
interface RegisteredRow {
  marks: AlarmMarks | null;
  range_min: number | null;
  range_max: number | null;
  resolution: number | null;
}
const REGISTERED_COLUMNS = 'marks, range_min, range_max, resolution';

/** A row's marks, range and resolution, each left out when not registered. */
function registered(r: RegisteredRow): { marks?: AlarmMarks; range?: { min: number; max: number }; resolution?: number } {
  return {
    ...(r.marks === null ? {} : { marks: r.marks }),
    ...(r.range_min === null || r.range_max === null ? {} : { range: { min: r.range_min, max: r.range_max } }),
    ...(r.resolution === null ? {} : { resolution: r.resolution }),
  };
}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) {
    throw new AppError('BAD_REQUEST', r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '), { details: r.error.issues });
  }
  return r.data;
}

/** Maps PostgreSQL constraint violations onto the error catalogue. */
function mapDbError(err: unknown, what: string): never {
  const code = (err as { code?: string }).code;
  if (code === '23505') throw new AppError('CONFLICT', `${what} already exists`);
  if (code === '23503') throw new AppError('NOT_FOUND', `${what} refers to something that does not exist`, { cause: err });
  throw err;
}

export class Provisioning {
  /** `onGatewayChanged` lets caches (the broker's registry, other processes via Redis) drop stale entries. */
  constructor(
    private readonly db: Db,
    private readonly onGatewayChanged: (gatewayId: string) => void = () => undefined,
    /**
     * Called after a gateway's credentials changed (disabled, enabled, secret rotated), before the call returns: it
     * resolves once every broker has applied the change — closed the gateway's open connections if they are no
     * longer valid (gateway/revocation.ts).
     */
    private readonly onCredentialsChanged: (gatewayId: string) => Promise<void> = async () => undefined,
  ) {}

  /** Runs a ledger change and its audit record in one transaction (domain rule 8: every action recorded). */
  private audited<T>(
    actor: string,
    action: string,
    subject: { type: string; id: string },
    data: Record<string, unknown>,
    fn: (tx: Queryable) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction(async (tx) => {
      const out = await fn(tx);
      await appendAudit(tx, { actor, action, subjectType: subject.type, subjectId: subject.id, data, at: Date.now() });
      return out;
    });
  }

  async createAuthority(input: unknown, actor = 'user:admin') {
    const a = parse(authorityInput, input);
    await this.audited(actor, 'authority.created', { type: 'authority', id: a.id }, a, (tx) =>
      tx.query('INSERT INTO authorities (id, name, level, parent_id) VALUES ($1, $2, $3, $4)', [a.id, a.name, a.level, a.parentId ?? null]),
    ).catch((e) => mapDbError(e, `authority ${a.id}`));
    return a;
  }

  async createEnterprise(input: unknown, actor = 'user:admin') {
    const e = parse(enterpriseInput, input);
    await this.audited(actor, 'enterprise.created', { type: 'enterprise', id: e.id }, e, (tx) =>
      tx.query('INSERT INTO enterprises (id, name, sector, authority_id) VALUES ($1, $2, $3, $4)', [e.id, e.name, e.sector, e.authorityId ?? null]),
    ).catch((err) => mapDbError(err, `enterprise ${e.id}`));
    return e;
  }

  /** Creates a gateway and returns its secret; the secret is not stored and cannot be shown again. */
  async createGateway(input: unknown, actor = 'user:admin'): Promise<{ id: string; enterpriseId: string; username: string; clientId: string; secret: string }> {
    const g = parse(gatewayInput, input);
    const secret = generateSecret();
    const secretHash = await hashSecret(secret);
    // the audit record carries no secret, not even its hash
    await this.audited(actor, 'gateway.created', { type: 'gateway', id: g.id }, g, (tx) =>
      tx.query('INSERT INTO gateways (id, enterprise_id, name, secret_hash) VALUES ($1, $2, $3, $4)', [g.id, g.enterpriseId, g.name ?? '', secretHash]),
    ).catch((err) => mapDbError(err, `gateway ${g.id}`));
    this.onGatewayChanged(g.id);
    return { id: g.id, enterpriseId: g.enterpriseId, username: g.id, clientId: g.id, secret };
  }

  /** Issues a new secret; the old one stops working at once: connections opened with it are closed before this returns. */
  async rotateGatewaySecret(gatewayId: string, actor = 'user:admin'): Promise<{ id: string; secret: string }> {
    const secret = generateSecret();
    const secretHash = await hashSecret(secret);
    await this.audited(actor, 'gateway.secret_rotated', { type: 'gateway', id: gatewayId }, {}, async (tx) => {
      const { rows } = await tx.query('UPDATE gateways SET secret_hash = $2 WHERE id = $1 RETURNING id', [gatewayId, secretHash]);
      if (rows.length === 0) throw new AppError('NOT_FOUND', `gateway ${gatewayId} not found`);
    });
    this.onGatewayChanged(gatewayId);
    await this.onCredentialsChanged(gatewayId);
    return { id: gatewayId, secret };
  }

  async setGatewayDisabled(gatewayId: string, disabled: boolean, actor = 'user:admin'): Promise<void> {
    await this.audited(actor, disabled ? 'gateway.disabled' : 'gateway.enabled', { type: 'gateway', id: gatewayId }, { disabled }, async (tx) => {
      const { rows } = await tx.query('UPDATE gateways SET disabled = $2 WHERE id = $1 RETURNING id', [gatewayId, disabled]);
      if (rows.length === 0) throw new AppError('NOT_FOUND', `gateway ${gatewayId} not found`);
    });
    this.onGatewayChanged(gatewayId);
    await this.onCredentialsChanged(gatewayId);
  }

  async createSensor(input: unknown, actor = 'user:admin') {
    const s = parse(sensorInput, input);
    const { rows } = await this.db.query<{ enterprise_id: string }>('SELECT enterprise_id FROM gateways WHERE id = $1', [s.gatewayId]);
    if (!rows[0]) throw new AppError('NOT_FOUND', `gateway ${s.gatewayId} not found`);
    if (rows[0].enterprise_id !== s.enterpriseId)
      throw new AppError('BAD_REQUEST', `gateway ${s.gatewayId} belongs to enterprise ${rows[0].enterprise_id}, not ${s.enterpriseId}`);
    await this.audited(actor, 'sensor.created', { type: 'sensor', id: `${s.enterpriseId}/${s.id}` }, s, (tx) =>
      tx.query(
        `INSERT INTO sensors (enterprise_id, id, gateway_id, kind, unit, period_s, zone, role, name, ${REGISTERED_COLUMNS})
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
    this.onGatewayChanged(s.gatewayId);
    return s;
  }

  async listGateways(enterpriseId?: string) {
    const { rows } = await this.db.query<{
      id: string;
      enterprise_id: string;
      name: string;
      status: string;
      status_changed_at: Date | null;
      disabled: boolean;
    }>(
      `SELECT id, enterprise_id, name, status, status_changed_at, disabled FROM gateways ${enterpriseId ? 'WHERE enterprise_id = $1' : ''} ORDER BY id`,
      enterpriseId ? [enterpriseId] : [],
    );
    return rows.map((r) => ({
      id: r.id,
      enterpriseId: r.enterprise_id,
      name: r.name,
      status: r.status,
      statusChangedAt: r.status_changed_at,
      disabled: r.disabled,
    }));
  }

  async listSensors(enterpriseId: string) {
    const { rows } = await this.db.query<
      RegisteredRow & {
        id: string;
        gateway_id: string;
        kind: string;
        unit: string;
        period_s: number;
        zone: string | null;
        role: string | null;
        name: string;
      }
    >(`SELECT id, gateway_id, kind, unit, period_s, zone, role, name, ${REGISTERED_COLUMNS} FROM sensors WHERE enterprise_id = $1 ORDER BY id`, [enterpriseId]);
    return rows.map((r) => ({
      id: r.id,
      enterpriseId,
      gatewayId: r.gateway_id,
      kind: r.kind,
      unit: r.unit,
      periodS: r.period_s,
      zone: r.zone,
      role: r.role,
      name: r.name,
      ...registered(r),
    }));
  }

  async getSensor(enterpriseId: string, sensorId: string) {
    const { rows } = await this.db.query<RegisteredRow & { id: string; gateway_id: string; kind: string; unit: string; period_s: number }>(
      `SELECT id, gateway_id, kind, unit, period_s, ${REGISTERED_COLUMNS} FROM sensors WHERE enterprise_id = $1 AND id = $2`,
      [enterpriseId, sensorId],
    );
    const r = rows[0];
    return r ? { id: r.id, enterpriseId, gatewayId: r.gateway_id, kind: r.kind, unit: r.unit, periodS: r.period_s, ...registered(r) } : undefined;
  }
}
