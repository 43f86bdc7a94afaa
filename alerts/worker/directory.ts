/**
 * The ledger as the rules see it: every provisioned point with its
 * enterprise's sector, zone, role, registered alarm marks, instrument range
 * and resolution (`RulePoint`), grouped by enterprise. Loaded whole at start
 * and per gateway when provisioning announces a change.
 */
import type { Queryable } from '../../core/db/db.ts';
import type { AlarmMarks, RulePoint } from '../rules/index.ts';

interface PointRow {
  enterprise_id: string;
  id: string;
  gateway_id: string;
  kind: string;
  unit: string;
  period_s: number;
  zone: string | null;
  role: string | null;
  marks: AlarmMarks | null;
  range_min: number | null;
  range_max: number | null;
  resolution: number | null;
  sector: string;
}

const SELECT = `SELECT s.enterprise_id, s.id, s.gateway_id, s.kind, s.unit, s.period_s, s.zone, s.role, s.marks, s.range_min, s.range_max, s.resolution, e.sector
                  FROM sensors s JOIN enterprises e ON e.id = s.enterprise_id`;

function toPoint(r: PointRow): RulePoint {
  const p: RulePoint = { enterpriseId: r.enterprise_id, gatewayId: r.gateway_id, id: r.id, kind: r.kind, unit: r.unit, periodS: r.period_s, sector: r.sector };
  if (r.zone !== null) p.zone = r.zone;
  if (r.role !== null) p.role = r.role;
  if (r.marks !== null) p.marks = r.marks;
  if (r.range_min !== null && r.range_max !== null) p.range = { min: Number(r.range_min), max: Number(r.range_max) };
  if (r.resolution !== null) p.resolution = Number(r.resolution);
  return p;
}

function group(rows: PointRow[]): Map<string, RulePoint[]> {
  const by = new Map<string, RulePoint[]>();
  for (const r of rows) {
    const list = by.get(r.enterprise_id) ?? [];
    list.push(toPoint(r));
    by.set(r.enterprise_id, list);
  }
  return by;
}

export class PointDirectory {
  constructor(private readonly db: Queryable) {}

  /** Every enterprise's points. */
  async all(): Promise<Map<string, RulePoint[]>> {
    const { rows } = await this.db.query<PointRow>(`${SELECT} ORDER BY s.enterprise_id, s.id`);
    return group(rows);
  }

  /** One enterprise's points (the coverage API resolves them as the worker does). */
  async ofEnterprise(enterpriseId: string): Promise<RulePoint[]> {
    const { rows } = await this.db.query<PointRow>(`${SELECT} WHERE s.enterprise_id = $1 ORDER BY s.id`, [enterpriseId]);
    return rows.map(toPoint);
  }

  /** The points of the enterprises that have a point on this gateway, or own it (a gateway changed). */
  async ofGateway(gatewayId: string): Promise<Map<string, RulePoint[]>> {
    const { rows } = await this.db.query<PointRow>(
      `${SELECT} WHERE s.enterprise_id IN (SELECT enterprise_id FROM gateways WHERE id = $1 UNION SELECT enterprise_id FROM sensors WHERE gateway_id = $1)
        ORDER BY s.enterprise_id, s.id`,
      [gatewayId],
    );
    const by = group(rows);
    if (by.size === 0) {
      const own = await this.db.query<{ enterprise_id: string }>('SELECT enterprise_id FROM gateways WHERE id = $1', [gatewayId]);
      for (const r of own.rows) by.set(r.enterprise_id, []);
    }
    return by;
  }
}
