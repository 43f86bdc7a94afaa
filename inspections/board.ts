/**
 * The enterprise board (issue #5 §2): every enterprise in the caller's
 * jurisdiction with its sector, grade, risk flags, gateways online, open
 * alerts by grade and its data online rate over the last 24 hours, most
 * urgent first (open red alerts, then offline), filtered by sector, status
 * or a search on id, name and unified social credit code.
 */
import type { Queryable } from '../core/db/db.ts';
import { Params, scopeSql, type Scope } from '../core/jurisdiction.ts';
import { isHighRiskSector, type Grade } from './caps.ts';
import { Statistics } from './stats.ts';

type AlertGrade = 'red' | 'orange' | 'yellow' | 'blue';
const ALERT_GRADES: AlertGrade[] = ['red', 'orange', 'yellow', 'blue'];

export type LinkStatus = 'online' | 'partial' | 'offline' | 'no_gateway';

export interface BoardRow {
  id: string;
  name: string;
  sector: string;
  authorityId: string | null;
  grade: Grade;
  highRisk: boolean;
  keyEnterprise: boolean;
  /** 统一社会信用代码 and address on record (null: not yet). */
  creditCode: string | null;
  address: string | null;
  /** Where it is (WGS-84, degrees; null: not on record), for the map (一张图, issue #20 §7). */
  longitude: number | null;
  latitude: number | null;
  gateways: { total: number; online: number };
  status: LinkStatus;
  openAlerts: Record<AlertGrade, number> & { total: number };
  /** Share of the last 24 hours its gateways were online (null: no gateway observed). */
  onlineRate24h: number | null;
}

export interface BoardFilter {
  sector?: string | undefined;
  status?: LinkStatus | undefined;
  /** Part of the id, name or credit code. */
  q?: string | undefined;
  limit: number;
}

const statusOf = (g: { total: number; online: number }): LinkStatus =>
  g.total === 0 ? 'no_gateway' : g.online === g.total ? 'online' : g.online === 0 ? 'offline' : 'partial';

const URGENCY: Record<LinkStatus, number> = { offline: 0, partial: 1, online: 2, no_gateway: 3 };

export class EnterpriseBoard {
  constructor(private readonly db: Queryable) {}

  async list(scope: Scope, f: BoardFilter, now: number): Promise<BoardRow[]> {
    const p = new Params();
    const s = scopeSql(scope, p, 'e.id');
    const { rows } = await this.db.query<{
      id: string;
      name: string;
      sector: string;
      authority_id: string | null;
      standardization_grade: Grade;
      high_risk: boolean | null;
      key_enterprise: boolean;
      credit_code: string | null;
      address: string | null;
      longitude: string | number | null;
      latitude: string | number | null;
      total: string | number;
      online: string | number;
    }>(
      `${s.cte}SELECT e.id, e.name, e.sector, e.authority_id, e.standardization_grade, e.high_risk, e.key_enterprise, e.credit_code, e.address, e.longitude, e.latitude,
              (SELECT count(*) FROM gateways g WHERE g.enterprise_id = e.id AND NOT g.disabled) AS total,
              (SELECT count(*) FROM gateways g WHERE g.enterprise_id = e.id AND NOT g.disabled AND g.status = 'online') AS online
         FROM enterprises e ${s.cond ? `WHERE ${s.cond}` : ''} ORDER BY e.id`,
      p.values,
    );
    const pa = new Params();
    const sa = scopeSql(scope, pa, 'a.enterprise_id');
    const { rows: open } = await this.db.query<{ enterprise_id: string; severity: AlertGrade; n: string | number }>(
      `${sa.cte}SELECT a.enterprise_id, a.severity, count(*) AS n FROM alerts a
        WHERE a.state IN ('firing', 'acknowledged') ${sa.cond ? `AND ${sa.cond}` : ''} GROUP BY a.enterprise_id, a.severity`,
      pa.values,
    );
    const online = await new Statistics(this.db).online(scope, now - 86_400_000, now + 1);
    const openBy = new Map<string, Record<AlertGrade, number> & { total: number }>();
    for (const a of open) {
      const o = openBy.get(a.enterprise_id) ?? { red: 0, orange: 0, yellow: 0, blue: 0, total: 0 };
      o[a.severity] += Number(a.n);
      o.total += Number(a.n);
      openBy.set(a.enterprise_id, o);
    }
    const q = f.q?.trim().toLowerCase();
    const out: BoardRow[] = [];
    for (const r of rows) {
      const gateways = { total: Number(r.total), online: Number(r.online) };
      const openAlerts = openBy.get(r.id) ?? { red: 0, orange: 0, yellow: 0, blue: 0, total: 0 };
      const o = online.get(r.id);
      const row: BoardRow = {
        id: r.id,
        name: r.name,
        sector: r.sector,
        authorityId: r.authority_id,
        grade: r.standardization_grade,
        highRisk: r.high_risk ?? isHighRiskSector(r.sector),
        keyEnterprise: r.key_enterprise,
        creditCode: r.credit_code,
        address: r.address,
        longitude: r.longitude === null ? null : Number(r.longitude),
        latitude: r.latitude === null ? null : Number(r.latitude),
        gateways,
        status: statusOf(gateways),
        openAlerts,
        onlineRate24h: o && o.observed > 0 ? Math.round((o.online / o.observed) * 10_000) / 10_000 : null,
      };
      if (f.sector && row.sector !== f.sector) continue;
      if (f.status && row.status !== f.status) continue;
      if (q && ![row.id, row.name, row.creditCode ?? ''].some((t) => t.toLowerCase().includes(q))) continue;
      out.push(row);
    }
    const weight = (r: BoardRow) => ALERT_GRADES.map((g) => r.openAlerts[g]);
    out.sort((a, b) => {
      const [wa, wb] = [weight(a), weight(b)];
      for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return wb[i]! - wa[i]!;
      return URGENCY[a.status] - URGENCY[b.status] || a.id.localeCompare(b.id);
    });
    return out.slice(0, f.limit);
  }
}
