/**
 * Limits in the catalogue: a number, or a reference to what the point has
 * registered (its alarm marks, its instrument range, its resolution), e.g.
 * `{ ref: 'marks.highHigh' }` for a tank's high-high level or
 * `{ ref: 'range.span', scale: 0.05 }` for 5 % of full scale. References are
 * resolved per point when the rules are resolved; one that cannot be
 * resolved (and has no `default`) drops the parameter, which makes a level
 * inactive or the rule not applicable to that point.
 */
import { z } from 'zod';
import type { PointInfo } from '../types.ts';

export const LIMIT_REFS = ['marks.lowLow', 'marks.low', 'marks.high', 'marks.highHigh', 'range.min', 'range.max', 'range.span', 'resolution'] as const;
export type LimitRefName = (typeof LIMIT_REFS)[number];

export const limitRefSchema = z.strictObject({
  ref: z.enum(LIMIT_REFS),
  /** Multiplies the referenced value. Default 1. */
  scale: z.number().positive().optional(),
  /** Used when the point has not registered the referenced value. */
  default: z.number().optional(),
});
export type LimitRef = z.output<typeof limitRefSchema>;
export const limitSchema = z.union([z.number(), limitRefSchema], {
  error: `a number, or { ref, scale?, default? } with ref one of ${LIMIT_REFS.join(', ')}`,
});
export type Limit = z.output<typeof limitSchema>;

/** Alarm marks an enterprise registered for an instrument, in its unit. */
export interface AlarmMarks {
  lowLow?: number | undefined;
  low?: number | undefined;
  high?: number | undefined;
  highHigh?: number | undefined;
}

/**
 * A point as rule resolution sees it: the shared PointInfo plus what the
 * ledger should also carry (see the report on alerts/types.ts): the
 * enterprise's sector, the registered alarm marks, the instrument's range and
 * resolution.
 */
export interface RulePoint extends PointInfo {
  sector?: string | undefined;
  marks?: AlarmMarks | undefined;
  range?: { min: number; max: number } | undefined;
  resolution?: number | undefined;
  /** Stopped on record (停用): no rule watches the point. */
  stopped?: { at: string; reason: string; by: string } | undefined;
}

/** Physical bounds of a kind whatever the instrument (a percentage cannot exceed 100, a concentration or a flow cannot be negative). */
export const PHYSICAL_RANGE: Readonly<Record<string, { min?: number; max?: number }>> = {
  combustible_gas: { min: 0, max: 100 },
  oxygen: { min: 0, max: 100 },
  methane: { min: 0, max: 100 },
  toxic_gas: { min: 0 },
  carbon_monoxide: { min: 0 },
  wind_speed: { min: 0 },
  level: { min: 0 },
  flow: { min: 0 },
  dust_concentration: { min: 0 },
  spark_count: { min: 0 },
  current: { min: 0 },
};

const rangeOf = (p: RulePoint): { min?: number | undefined; max?: number | undefined } => p.range ?? PHYSICAL_RANGE[p.kind] ?? {};

function refValue(name: LimitRefName, p: RulePoint): number | undefined {
  switch (name) {
    case 'marks.lowLow':
      return p.marks?.lowLow;
    case 'marks.low':
      return p.marks?.low;
    case 'marks.high':
      return p.marks?.high;
    case 'marks.highHigh':
      return p.marks?.highHigh;
    case 'range.min':
      return rangeOf(p).min;
    case 'range.max':
      return rangeOf(p).max;
    case 'range.span': {
      const r = rangeOf(p);
      return r.min === undefined || r.max === undefined ? undefined : r.max - r.min;
    }
    case 'resolution':
      return p.resolution;
  }
}

export function resolveRef(ref: LimitRef, p: RulePoint): number | undefined {
  const v = refValue(ref.ref, p);
  return v === undefined ? ref.default : v * (ref.scale ?? 1);
}

const isRef = (v: unknown): v is LimitRef => typeof v === 'object' && v !== null && !Array.isArray(v) && 'ref' in v;

/** Replaces every limit reference in `params` (deeply) by its value for the point; unresolvable ones are dropped. */
export function resolveLimits(value: unknown, p: RulePoint): unknown {
  if (isRef(value)) return resolveRef(value, p);
  if (Array.isArray(value)) return value.map((v) => resolveLimits(v, p));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = resolveLimits(v, p);
    if (r !== undefined) out[k] = r;
  }
  return out;
}
