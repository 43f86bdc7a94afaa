/**
 * Where the overrides enterprises register live: table `rule_overrides`
 * (migration 5), one row per (enterprise, sensor, rule); `sensor_id = ''`
 * stands for every point of the enterprise. The API writes them
 * (api/rule-overrides.ts) and announces each change on Redis; the rules
 * worker reads them all. The only module of alerts/rules/ with I/O.
 */
import { withAudit } from '../../core/audit.ts';
import type { Queryable } from '../../core/db/db.ts';
import type { Override } from './overrides.ts';

/** The message on `${redisPrefix}registry-changed` that tells the worker and every API process the overrides changed. */
export const OVERRIDES_CHANGED = 'overrides';

/** An override as stored: who registered it last, and when (ms). */
export type StoredOverride = Override & { updatedAt: number; updatedBy: string };

/** Identifies one override; without `sensorId`, the enterprise-wide one. */
export type OverrideKey = Pick<Override, 'enterpriseId' | 'sensorId' | 'ruleId'>;

interface Row {
  enterprise_id: string;
  sensor_id: string;
  rule_id: string;
  params: Record<string, unknown>;
  updated_at: Date | string;
  updated_by: string;
}

const COLUMNS = 'enterprise_id, sensor_id, rule_id, params, updated_at, updated_by';

function fromRow(r: Row): StoredOverride {
  return {
    enterpriseId: r.enterprise_id,
    ...(r.sensor_id === '' ? {} : { sensorId: r.sensor_id }),
    ruleId: r.rule_id,
    params: r.params,
    updatedAt: new Date(r.updated_at).getTime(),
    updatedBy: r.updated_by,
  };
}

/** The override as the rules take it (without the bookkeeping). */
export const overrideOf = (s: StoredOverride): Override => ({
  enterpriseId: s.enterpriseId,
  ...(s.sensorId === undefined ? {} : { sensorId: s.sensorId }),
  ruleId: s.ruleId,
  params: s.params,
});

export class OverrideStore {
  constructor(private readonly db: Queryable) {}

  /** Every override, or one enterprise's; ordered by enterprise, sensor (enterprise-wide first), rule. */
  async list(enterpriseId?: string): Promise<StoredOverride[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM rule_overrides ${enterpriseId === undefined ? '' : 'WHERE enterprise_id = $1'} ORDER BY enterprise_id, sensor_id, rule_id`,
      enterpriseId === undefined ? [] : [enterpriseId],
    );
    return rows.map(fromRow);
  }

  /** Registers an override, replacing the one with the same key (its params are not merged). */
  async upsert(o: Override, by: string, at: number): Promise<StoredOverride> {
    return withAudit(
      this.db,
      async (tx) => {
        const { rows } = await tx.query<Row>(
          `INSERT INTO rule_overrides (${COLUMNS}) VALUES ($1, $2, $3, $4::jsonb, $5, $6)
       ON CONFLICT (enterprise_id, sensor_id, rule_id) DO UPDATE SET params = EXCLUDED.params, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
       RETURNING ${COLUMNS}`,
          [o.enterpriseId, o.sensorId ?? '', o.ruleId, JSON.stringify(o.params), new Date(at), by],
        );
        return fromRow(rows[0]!);
      },
      () => ({ actor: by, action: 'rule_override.registered', subjectType: 'rule_override', subjectId: overrideSubject(o), data: { ...o }, at }),
    );
  }

  /** Removes one override; the removed one, or undefined when there was none. */
  async delete(key: OverrideKey, by: string, at: number): Promise<StoredOverride | undefined> {
    const removed = async (tx: Queryable) => {
      const { rows } = await tx.query<Row>(`DELETE FROM rule_overrides WHERE enterprise_id = $1 AND sensor_id = $2 AND rule_id = $3 RETURNING ${COLUMNS}`, [
        key.enterpriseId,
        key.sensorId ?? '',
        key.ruleId,
      ]);
      return rows[0] && fromRow(rows[0]);
    };
    const existing = await this.db.query('SELECT 1 FROM rule_overrides WHERE enterprise_id = $1 AND sensor_id = $2 AND rule_id = $3', [
      key.enterpriseId,
      key.sensorId ?? '',
      key.ruleId,
    ]);
    if (existing.rows.length === 0) return undefined;
    return withAudit(this.db, removed, (r) => ({
      actor: by,
      action: 'rule_override.deleted',
      subjectType: 'rule_override',
      subjectId: overrideSubject(key),
      data: { ...key, removed: r },
      at,
    }));
  }
}

/** `E1/GT-101/gas.combustible` (`*` for the whole enterprise). */
const overrideSubject = (k: OverrideKey): string => `${k.enterpriseId}/${k.sensorId ?? '*'}/${k.ruleId}`;
