/**
 * The ledger as the rules see it: every provisioned point with its
 * enterprise's sector, zone, role, registered alarm marks, instrument range
 * and resolution (`RulePoint`), grouped by enterprise. Loaded whole at start
 * and per gateway when provisioning announces a change.
 */
import type { Queryable } from '../../core/db/db.ts';
import { SELECT_POINTS as SELECT, toLedgerPoint, type PointRow } from '../../ledger/point-rows.ts';
import type { RulePoint } from '../rules/index.ts';

function toPoint(r: PointRow): RulePoint {
  const { name: _name, ...p } = toLedgerPoint(r);
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
  /** `owns`: the enterprises of the rules worker's partition (default: all); `all` and `ofGateway` give only those. */
  constructor(
    private readonly db: Queryable,
    private readonly owns: (enterpriseId: string) => boolean = () => true,
  ) {}

  /** Every enterprise's points. */
  async all(): Promise<Map<string, RulePoint[]>> {
    const { rows } = await this.db.query<PointRow>(`${SELECT} ORDER BY s.enterprise_id, s.id`);
    return this.mine(group(rows));
  }

  private mine(by: Map<string, RulePoint[]>): Map<string, RulePoint[]> {
    for (const ent of by.keys()) if (!this.owns(ent)) by.delete(ent);
    return by;
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
    return this.mine(by);
  }
}
