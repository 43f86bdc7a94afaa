/**
 * The one reading of a `sensors` row (a sensor or signal point) with its
 * enterprise's sector: the SELECT and the row → record mapping that
 * provisioning (`points.ts`), the broker's registry (`registry.ts`) and the
 * rules worker's directory (alerts/worker/directory.ts) share.
 */

/** A sensor's registered alarm marks, in its unit: lowLow ≤ low ≤ high ≤ highHigh, any of them optional. */
export interface AlarmMarks {
  lowLow?: number | undefined;
  low?: number | undefined;
  high?: number | undefined;
  highHigh?: number | undefined;
}

export interface PointRow {
  enterprise_id: string;
  id: string;
  gateway_id: string;
  kind: string;
  unit: string;
  period_s: number;
  zone: string | null;
  role: string | null;
  name: string;
  marks: AlarmMarks | null;
  range_min: number | null;
  range_max: number | null;
  resolution: number | null;
  sector: string;
}

/** Every point column, with the sector of the point's enterprise; add `WHERE`/`ORDER BY` on `s.` (sensors) or `e.` (enterprises). */
export const SELECT_POINTS = `SELECT s.enterprise_id, s.id, s.gateway_id, s.kind, s.unit, s.period_s, s.zone, s.role, s.name, s.marks, s.range_min, s.range_max, s.resolution, e.sector
                  FROM sensors s JOIN enterprises e ON e.id = s.enterprise_id`;

/** A point as the ledger holds it; zone, role, marks, range and resolution left out when not registered. */
export interface LedgerPoint {
  enterpriseId: string;
  gatewayId: string;
  id: string;
  kind: string;
  unit: string;
  periodS: number;
  sector: string;
  name: string;
  zone?: string;
  role?: string;
  marks?: AlarmMarks;
  range?: { min: number; max: number };
  resolution?: number;
}

export function toLedgerPoint(r: PointRow): LedgerPoint {
  const p: LedgerPoint = {
    enterpriseId: r.enterprise_id,
    gatewayId: r.gateway_id,
    id: r.id,
    kind: r.kind,
    unit: r.unit,
    periodS: r.period_s,
    sector: r.sector,
    name: r.name,
  };
  if (r.zone !== null && r.zone !== undefined) p.zone = r.zone;
  if (r.role !== null && r.role !== undefined) p.role = r.role;
  if (r.marks !== null && r.marks !== undefined) p.marks = r.marks;
  if (r.range_min !== null && r.range_max !== null && r.range_min !== undefined && r.range_max !== undefined)
    p.range = { min: Number(r.range_min), max: Number(r.range_max) };
  if (r.resolution !== null && r.resolution !== undefined) p.resolution = Number(r.resolution);
  return p;
}
