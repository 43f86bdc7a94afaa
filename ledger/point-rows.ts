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
  tag_no: string;
  indicator_code: string | null;
  cas_no: string | null;
  location: string | null;
  hazard_source_code: string | null;
  stopped_at: Date | string | null;
  stopped_reason: string | null;
  stopped_by: string | null;
  links: PointLink[] | null;
  sector: string;
}

/** An explicit link from a point to another of its enterprise (core/vocabulary.ts POINT_RELATIONS). */
export interface PointLink {
  relation: string;
  target: string;
}

/** A point stopped on record (停用): since when, why, by whom. */
export interface PointStop {
  at: string;
  reason: string;
  by: string;
}

/** Every point column, with the sector of the point's enterprise; add `WHERE`/`ORDER BY` on `s.` (sensors) or `e.` (enterprises). */
export const SELECT_POINTS = `SELECT s.enterprise_id, s.id, s.gateway_id, s.kind, s.unit, s.period_s, s.zone, s.role, s.name, s.marks, s.range_min, s.range_max, s.resolution,
                  s.tag_no, s.indicator_code, s.cas_no, s.location, s.hazard_source_code, s.stopped_at, s.stopped_reason, s.stopped_by,
                  (SELECT json_agg(json_build_object('relation', l.relation, 'target', l.target_id) ORDER BY l.relation, l.target_id)
                     FROM point_links l WHERE l.enterprise_id = s.enterprise_id AND l.point_id = s.id) AS links,
                  e.sector
                  FROM sensors s JOIN enterprises e ON e.id = s.enterprise_id`;

/** A point as the ledger holds it; the optional fields left out when not registered. */
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
  /** 位号, unique in the enterprise (the point's id when none was registered). */
  tagNo: string;
  indicatorCode?: string;
  casNo?: string;
  location?: string;
  hazardSourceCode?: string;
  /** Stopped on record (停用): the rules do not watch it. */
  stopped?: PointStop;
  /** Relation → the linked points' ids. */
  links?: Record<string, string[]>;
}

const iso = (v: Date | string): string => (v instanceof Date ? v : new Date(v)).toISOString();

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
    tagNo: r.tag_no,
  };
  if (r.zone !== null && r.zone !== undefined) p.zone = r.zone;
  if (r.role !== null && r.role !== undefined) p.role = r.role;
  if (r.marks !== null && r.marks !== undefined) p.marks = r.marks;
  if (r.range_min !== null && r.range_max !== null && r.range_min !== undefined && r.range_max !== undefined)
    p.range = { min: Number(r.range_min), max: Number(r.range_max) };
  if (r.resolution !== null && r.resolution !== undefined) p.resolution = Number(r.resolution);
  if (r.indicator_code) p.indicatorCode = r.indicator_code;
  if (r.cas_no) p.casNo = r.cas_no;
  if (r.location) p.location = r.location;
  if (r.hazard_source_code) p.hazardSourceCode = r.hazard_source_code;
  if (r.stopped_at) p.stopped = { at: iso(r.stopped_at), reason: r.stopped_reason ?? '', by: r.stopped_by ?? '' };
  if (r.links && r.links.length > 0) {
    const links: Record<string, string[]> = {};
    for (const l of r.links) (links[l.relation] ??= []).push(l.target);
    p.links = links;
  }
  return p;
}
