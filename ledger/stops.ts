/**
 * Planned stops on record (停产/检修, issue #17 item 4): an enterprise — today the admin, or an officer
 * whose role may write the ledger, on its behalf — registers that the enterprise, a unit, a gateway or
 * some points will be stopped: why, who is responsible (name and phone as given), from when, until when
 * it is expected to last. The stop is ended when production resumes (early is allowed) or cancelled when
 * it was registered in error. Domain: "stops are records … that is how a registered outage is told apart
 * from a data interruption" (shared/domain.md).
 *
 * A unit (装置) has no entity of its own in the ledger: a stop names it as a zone of the enterprise
 * (the points' `zone`, what the rules group by) or as a major hazard source (重大危险源, the points'
 * `hazardSourceCode`). Scopes:
 *
 * - `enterprise`: every point and gateway of the enterprise (no targets);
 * - `zone`: the points whose zone is one of the targets;
 * - `hazard_source`: the points registered to one of the target major hazard sources (by code);
 * - `gateway`: the target gateways and every point on them;
 * - `points`: the target points (sensors or signal points).
 *
 * `registeredBy` is the actor (`user:<id>`; an enterprise user once issue #18 adds them). Every change
 * is audited on the enterprise. The rules worker reads the stops (alerts/worker/stop-watch.ts, ADR 0009):
 * silence and offline alerts of what is stopped are held back but counted (`suppressedAlerts`), an
 * overrun and production running during a stop are alerts of their own.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { audited, mapDbError, parseInput, type LedgerContext } from './audited.ts';

export const STOP_SCOPES = ['enterprise', 'zone', 'hazard_source', 'gateway', 'points'] as const;
export type StopScope = (typeof STOP_SCOPES)[number];
export const STOP_SCOPE_NAMES: Readonly<Record<StopScope, { zh: string; en: string }>> = {
  enterprise: { zh: '全厂', en: 'the whole enterprise' },
  zone: { zh: '装置（区域）', en: 'unit (zone)' },
  hazard_source: { zh: '装置（重大危险源）', en: 'unit (major hazard source)' },
  gateway: { zh: '网关', en: 'gateway' },
  points: { zh: '测点', en: 'points' },
};

export const STOP_KINDS = ['production_stop', 'maintenance'] as const;
export type StopKind = (typeof STOP_KINDS)[number];
export const STOP_KIND_NAMES: Readonly<Record<StopKind, { zh: string; en: string }>> = {
  production_stop: { zh: '停产', en: 'production stop' },
  maintenance: { zh: '检修', en: 'maintenance' },
};

/**
 * The longest a stop may be expected to last: 90 days. This is the bureau's setting; the figure is the
 * platform's default (a longer outage is a suspension of production to be handled by the authority, not a
 * planned stop).
 */
export const MAX_STOP_DAYS = 90;
const DAY = 86_400_000;
/** Most targets one stop may name (platform default). */
export const MAX_STOP_TARGETS = 500;

const isoTime = (field: string) =>
  z
    .string({ error: `${field} 必填，ISO 8601 时间 / ${field} is required, an ISO 8601 time` })
    .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && Number.isFinite(Date.parse(s)), {
      error: `${field} 须为带时区的 ISO 8601 时间，如 2026-12-05T08:00:00+08:00 / ${field} must be an ISO 8601 time with a zone, e.g. 2026-12-05T08:00:00+08:00`,
    })
    .refine((s) => /(Z|[+-]\d{2}:?\d{2})$/.test(s), {
      error: `${field} 须带时区（Z 或 +08:00）/ ${field} must carry a time zone (Z or +08:00)`,
    });

const text = (what: { zh: string; en: string }, max: number) =>
  z
    .string({ error: `${what.zh}必填 / ${what.en} is required` })
    .trim()
    .min(1, { error: `${what.zh}必填 / ${what.en} is required` })
    .max(max, { error: `${what.zh}不超过 ${max} 字 / ${what.en}: at most ${max} characters` });

/** What a registration carries; who registers it is the actor, when is the clock. */
export const stopInput = z
  .strictObject({
    scope: z.enum(STOP_SCOPES, { error: `停产范围可选：${STOP_SCOPES.join(', ')} / scope must be one of: ${STOP_SCOPES.join(', ')}` }).meta({
      description: 'enterprise (全厂), zone (装置, by zone), hazard_source (装置, by major hazard source code), gateway, points',
    }),
    /** Zones, major hazard source codes, gateway ids or point ids, as the scope says; none for `enterprise`. */
    targets: z
      .array(z.string().trim().min(1).max(64), { error: 'targets 须为字符串数组 / targets must be an array of strings' })
      .max(MAX_STOP_TARGETS)
      .default([]),
    kind: z.enum(STOP_KINDS, { error: '类型可选：production_stop（停产）, maintenance（检修）/ kind must be production_stop or maintenance' }),
    reason: text({ zh: '停产/检修原因', en: 'a reason' }, 500),
    person: z.strictObject(
      {
        name: text({ zh: '负责人姓名', en: "the responsible person's name" }, 64),
        phone: text({ zh: '负责人电话', en: "the responsible person's phone" }, 40).refine((p) => /\d{3}/.test(p) && /^[0-9+\-()（）\s转ext.,]+$/i.test(p), {
          error: '负责人电话须为电话号码 / the phone must be a phone number',
        }),
      },
      { error: '负责人（姓名和电话）必填 / the responsible person (name and phone) is required' },
    ),
    startsAt: isoTime('startsAt'),
    expectedEndAt: isoTime('expectedEndAt'),
  })
  .superRefine((s, ctx) => {
    const start = Date.parse(s.startsAt);
    const end = Date.parse(s.expectedEndAt);
    if (!Number.isFinite(start) || !Number.isFinite(end)) return;
    if (!(end > start)) ctx.addIssue({ code: 'custom', path: ['expectedEndAt'], message: '预计恢复时间须晚于开始时间 / expectedEndAt must be after startsAt' });
    else if (end - start > MAX_STOP_DAYS * DAY)
      ctx.addIssue({
        code: 'custom',
        path: ['expectedEndAt'],
        message: `预计停产时长不超过 ${MAX_STOP_DAYS} 天（监管部门设定，平台默认值）/ a stop may be expected to last at most ${MAX_STOP_DAYS} days (the bureau's setting; platform default)`,
      });
    if (s.scope === 'enterprise' && s.targets.length > 0)
      ctx.addIssue({ code: 'custom', path: ['targets'], message: '全厂停产不列对象 / a stop of the whole enterprise names no targets' });
    if (s.scope !== 'enterprise' && s.targets.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['targets'],
        message: `请列出停产的${STOP_SCOPE_NAMES[s.scope].zh} / name the ${STOP_SCOPE_NAMES[s.scope].en} stopped`,
      });
    if (new Set(s.targets).size !== s.targets.length) ctx.addIssue({ code: 'custom', path: ['targets'], message: '对象重复 / a target is named twice' });
  });
export type StopInput = z.input<typeof stopInput>;

/** Ending or cancelling: an optional note (a cancellation's reason). */
export const stopCloseInput = z
  .strictObject({ note: z.string().trim().min(1).max(500).optional() })
  .optional()
  .meta({ description: 'Optional note: why it is cancelled, or how it ended' });

/** A stop as the ledger shows it; times ISO 8601. */
export interface PlannedStop {
  id: string;
  enterpriseId: string;
  scope: StopScope;
  targets: string[];
  kind: StopKind;
  reason: string;
  person: { name: string; phone: string };
  registeredBy: string;
  registeredAt: string;
  startsAt: string;
  expectedEndAt: string;
  endedAt: string | null;
  endedBy: string | null;
  cancelledAt: string | null;
  cancelledBy: string | null;
  cancelReason: string | null;
  /** Silence and offline alerts held back (opened suppressed) under this stop, counted by the rules worker. */
  suppressedAlerts: number;
}

/** Where a stop stands at a time: not yet begun, in force (`active`, also when overrunning), ended or cancelled. */
export type StopStatus = 'planned' | 'active' | 'overrunning' | 'ended' | 'cancelled';

export function stopStatus(s: Pick<PlannedStop, 'startsAt' | 'expectedEndAt' | 'endedAt' | 'cancelledAt'>, now: number): StopStatus {
  if (s.cancelledAt !== null) return 'cancelled';
  if (s.endedAt !== null) return 'ended';
  if (now < Date.parse(s.startsAt)) return 'planned';
  return now >= Date.parse(s.expectedEndAt) ? 'overrunning' : 'active';
}

interface StopRow {
  id: string;
  enterprise_id: string;
  scope: StopScope;
  targets: string[] | string;
  kind: StopKind;
  reason: string;
  person_name: string;
  person_phone: string;
  registered_by: string;
  registered_at: Date | string;
  starts_at: Date | string;
  expected_end_at: Date | string;
  ended_at: Date | string | null;
  ended_by: string | null;
  cancelled_at: Date | string | null;
  cancelled_by: string | null;
  cancel_reason: string | null;
  suppressed_alerts: number;
}

const iso = (v: Date | string): string => (v instanceof Date ? v : new Date(v)).toISOString();
const isoOrNull = (v: Date | string | null): string | null => (v === null || v === undefined ? null : iso(v));

function toStop(r: StopRow): PlannedStop {
  return {
    id: r.id,
    enterpriseId: r.enterprise_id,
    scope: r.scope,
    targets: typeof r.targets === 'string' ? (JSON.parse(r.targets) as string[]) : r.targets,
    kind: r.kind,
    reason: r.reason,
    person: { name: r.person_name, phone: r.person_phone },
    registeredBy: r.registered_by,
    registeredAt: iso(r.registered_at),
    startsAt: iso(r.starts_at),
    expectedEndAt: iso(r.expected_end_at),
    endedAt: isoOrNull(r.ended_at),
    endedBy: r.ended_by,
    cancelledAt: isoOrNull(r.cancelled_at),
    cancelledBy: r.cancelled_by,
    cancelReason: r.cancel_reason,
    suppressedAlerts: Number(r.suppressed_alerts),
  };
}

const SELECT = 'SELECT * FROM planned_stops';
const enterpriseSubject = (enterpriseId: string) => ({ type: 'enterprise', id: enterpriseId });

/** The targets the enterprise does not have (zones no point carries, unknown hazard source codes, gateways, points). */
async function unknownTargets(db: Queryable, enterpriseId: string, scope: StopScope, targets: readonly string[]): Promise<string[]> {
  if (targets.length === 0) return [];
  const sql: Record<Exclude<StopScope, 'enterprise'>, string> = {
    zone: 'SELECT DISTINCT zone AS t FROM sensors WHERE enterprise_id = $1 AND zone = ANY($2::text[])',
    hazard_source: 'SELECT code AS t FROM major_hazard_sources WHERE enterprise_id = $1 AND code = ANY($2::text[])',
    gateway: 'SELECT id AS t FROM gateways WHERE enterprise_id = $1 AND id = ANY($2::text[])',
    points: 'SELECT id AS t FROM sensors WHERE enterprise_id = $1 AND id = ANY($2::text[])',
  };
  if (scope === 'enterprise') return [];
  const { rows } = await db.query<{ t: string }>(sql[scope], [enterpriseId, targets]);
  const known = new Set(rows.map((r) => r.t));
  return targets.filter((t) => !known.has(t));
}

export class PlannedStops {
  constructor(private readonly ctx: LedgerContext) {}

  /** Registers a stop; 400 naming the field for bad input or a target the enterprise does not have, 404 for an unknown enterprise. Overlapping stops are allowed. */
  async register(enterpriseId: string, input: unknown, actor: string): Promise<PlannedStop> {
    const s = parseInput(stopInput, input);
    const { db } = this.ctx;
    const ent = await db.query('SELECT 1 FROM enterprises WHERE id = $1', [enterpriseId]);
    if (ent.rows.length === 0) throw new AppError('NOT_FOUND', `企业 ${enterpriseId} 不存在 / enterprise ${enterpriseId} not found`);
    const unknown = await unknownTargets(db, enterpriseId, s.scope, s.targets);
    if (unknown.length > 0) {
      const what = STOP_SCOPE_NAMES[s.scope];
      throw new AppError(
        'BAD_REQUEST',
        `targets: 企业 ${enterpriseId} 没有这些${what.zh}：${unknown.join(', ')} / targets: enterprise ${enterpriseId} has no such ${what.en}: ${unknown.join(', ')}`,
        { details: { unknownTargets: unknown } },
      );
    }
    const id = randomUUID();
    const now = new Date(this.ctx.clock.now());
    await audited(
      this.ctx,
      actor,
      'planned_stop.registered',
      enterpriseSubject(enterpriseId),
      {
        stopId: id,
        scope: s.scope,
        targets: s.targets,
        kind: s.kind,
        reason: s.reason,
        person: s.person,
        startsAt: s.startsAt,
        expectedEndAt: s.expectedEndAt,
      },
      (tx) =>
        tx
          .query(
            `INSERT INTO planned_stops (id, enterprise_id, scope, targets, kind, reason, person_name, person_phone, registered_by, registered_at, starts_at, expected_end_at)
             VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12)`,
            [
              id,
              enterpriseId,
              s.scope,
              JSON.stringify(s.targets),
              s.kind,
              s.reason,
              s.person.name,
              s.person.phone,
              actor,
              now,
              new Date(Date.parse(s.startsAt)),
              new Date(Date.parse(s.expectedEndAt)),
            ],
          )
          .catch((err: unknown) => mapDbError(err, `planned stop of enterprise ${enterpriseId}`)),
    );
    return (await this.get(enterpriseId, id))!;
  }

  async get(enterpriseId: string, id: string): Promise<PlannedStop | undefined> {
    const { rows } = await this.ctx.db.query<StopRow>(`${SELECT} WHERE enterprise_id = $1 AND id = $2`, [enterpriseId, id]);
    return rows[0] && toStop(rows[0]);
  }

  /** The enterprise's stops, newest start first; `active`: only those in force at `now` (begun, neither ended nor cancelled). */
  async list(enterpriseId: string, opts: { active?: boolean | undefined; now: number; limit?: number | undefined }): Promise<PlannedStop[]> {
    const where = ['enterprise_id = $1'];
    const params: unknown[] = [enterpriseId];
    if (opts.active === true) {
      params.push(new Date(opts.now));
      where.push(`ended_at IS NULL AND cancelled_at IS NULL AND starts_at <= $${params.length}`);
    } else if (opts.active === false) {
      params.push(new Date(opts.now));
      where.push(`NOT (ended_at IS NULL AND cancelled_at IS NULL AND starts_at <= $${params.length})`);
    }
    params.push(opts.limit ?? 200);
    const { rows } = await this.ctx.db.query<StopRow>(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY starts_at DESC, id LIMIT $${params.length}`, params);
    return rows.map(toStop);
  }

  /** Ends a stop that has begun (at the clock's time; earlier than expected is fine). 409 if not begun (cancel it instead), ended or cancelled. */
  async end(enterpriseId: string, id: string, input: unknown, actor: string): Promise<PlannedStop> {
    const note = parseInput(stopCloseInput, input)?.note;
    const before = await this.require(enterpriseId, id);
    const now = this.ctx.clock.now();
    this.requireOpen(before);
    if (now < Date.parse(before.startsAt))
      throw new AppError(
        'CONFLICT',
        `停产/检修 ${id} 尚未开始（${before.startsAt}），请撤销而非结束 / stop ${id} has not begun (${before.startsAt}); cancel it instead`,
      );
    await audited(
      this.ctx,
      actor,
      'planned_stop.ended',
      enterpriseSubject(enterpriseId),
      { stopId: id, expectedEndAt: before.expectedEndAt, ...(note ? { note } : {}) },
      (tx) =>
        closeOpen(tx, id, 'UPDATE planned_stops SET ended_at = $3, ended_by = $4 WHERE enterprise_id = $1 AND id = $2', [
          enterpriseId,
          id,
          new Date(now),
          actor,
        ]),
    );
    return (await this.get(enterpriseId, id))!;
  }

  /** Cancels a stop registered in error (before or during it). 409 if already ended or cancelled. */
  async cancel(enterpriseId: string, id: string, input: unknown, actor: string): Promise<PlannedStop> {
    const note = parseInput(stopCloseInput, input)?.note;
    const before = await this.require(enterpriseId, id);
    this.requireOpen(before);
    const now = this.ctx.clock.now();
    await audited(this.ctx, actor, 'planned_stop.cancelled', enterpriseSubject(enterpriseId), { stopId: id, ...(note ? { note } : {}) }, (tx) =>
      closeOpen(tx, id, 'UPDATE planned_stops SET cancelled_at = $3, cancelled_by = $4, cancel_reason = $5 WHERE enterprise_id = $1 AND id = $2', [
        enterpriseId,
        id,
        new Date(now),
        actor,
        note ?? null,
      ]),
    );
    return (await this.get(enterpriseId, id))!;
  }

  private async require(enterpriseId: string, id: string): Promise<PlannedStop> {
    const s = await this.get(enterpriseId, id);
    if (!s) throw new AppError('NOT_FOUND', `企业 ${enterpriseId} 没有停产/检修记录 ${id} / stop ${id} of enterprise ${enterpriseId} not found`);
    return s;
  }

  private requireOpen(s: PlannedStop): void {
    if (s.endedAt !== null) throw new AppError('CONFLICT', `停产/检修 ${s.id} 已于 ${s.endedAt} 结束 / stop ${s.id} already ended at ${s.endedAt}`);
    if (s.cancelledAt !== null) throw new AppError('CONFLICT', `停产/检修 ${s.id} 已于 ${s.cancelledAt} 撤销 / stop ${s.id} was cancelled at ${s.cancelledAt}`);
  }
}

/** The stops the rules worker watches: every one not closed, and those closed within `closedWithinMs` of `now` (their alerts are being brought in line). */
export async function stopsForRules(db: Queryable, now: number, closedWithinMs: number): Promise<PlannedStop[]> {
  const { rows } = await db.query<StopRow>(
    `${SELECT} WHERE (ended_at IS NULL AND cancelled_at IS NULL) OR COALESCE(ended_at, cancelled_at) >= $1 ORDER BY enterprise_id, starts_at, id`,
    [new Date(now - closedWithinMs)],
  );
  return rows.map(toStop);
}

/** Stops by id (those the worker no longer holds but an alert still names). */
export async function stopsByIds(db: Queryable, ids: readonly string[]): Promise<PlannedStop[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<StopRow>(`${SELECT} WHERE id = ANY($1::text[])`, [ids]);
  return rows.map(toStop);
}

/** Counts one more alert held back under the stop. */
export async function countSuppressed(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE planned_stops SET suppressed_alerts = suppressed_alerts + 1 WHERE id = $1', [id]);
}

/**
 * Ends or cancels a stop only while it is still open (the check and the change in one statement): of two requests
 * at once, the second is a conflict (409) and writes neither the change nor its audit record.
 */
async function closeOpen(tx: Queryable, id: string, sql: string, params: unknown[]): Promise<void> {
  const { rows } = await tx.query(`${sql} AND ended_at IS NULL AND cancelled_at IS NULL RETURNING id`, params);
  if (rows.length === 0) throw new AppError('CONFLICT', `停产/检修 ${id} 已结束或已撤销 / stop ${id} is already ended or cancelled`);
}
