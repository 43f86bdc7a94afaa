/**
 * Graded limits with hold time and deadband, shared by `threshold`,
 * `difference` and the trigger of `interlock_failure`.
 *
 * A level is *entered* when the value reaches its threshold (high: value ≥ t,
 * or > t when `strict`; low: value ≤ t / < t) and *stays* until the value goes
 * back beyond the threshold by the deadband (high: value < t − deadband; low:
 * value > t + deadband). A higher level than the active one is raised only
 * after its entry condition has held continuously for `forMs` of data time;
 * going down a level, or clearing, is immediate (the deadband is what stops
 * flapping). Levels without a threshold (a mark the point has not registered)
 * are ignored.
 */
import { z } from 'zod';
import { SEVERITIES, type Severity } from '../types.ts';

export const severitySchema = z.enum(SEVERITIES);
export const directionSchema = z.enum(['high', 'low']);
export type Direction = z.output<typeof directionSchema>;

/** Level names: short keys such as `level1`, `highHigh`, `power_off`. */
export const levelKeySchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, 'a level name: a letter, then letters, digits or _ (at most 32)');

/**
 * The levels of a graded limit. `L` is the schema of a limit: a plain number
 * at evaluation time; in the catalogue also a reference to the point's marks
 * or range (see alerts/rules/limits.ts).
 */
export const levelsShape = <L extends z.ZodType>(limit: L) =>
  z
    .record(
      levelKeySchema,
      z.strictObject({
        /** The limit, in the point's unit. */
        threshold: limit,
        /** Grade while this level is the highest one reached. Default: the rule's severity. */
        severity: severitySchema.optional(),
        /** Deadband of this level. Default: the params' `deadband`. */
        deadband: limit.optional(),
      }),
    )
    .refine((r) => Object.keys(r).length > 0, 'at least one level')
    .refine((r) => Object.values(r).some((l) => (l as { threshold?: unknown }).threshold !== undefined), 'no level has a threshold (marks not registered?)');

export interface LevelSpec {
  direction: Direction;
  strict: boolean;
  /** Least severe first (high: ascending thresholds; low: descending). */
  levels: { key: string; threshold: number; severity: Severity; deadband: number }[];
}

export interface LevelInput {
  direction: Direction;
  strict?: boolean | undefined;
  deadband?: number | undefined;
  levels: Record<string, { threshold?: number | undefined; severity?: Severity | undefined; deadband?: number | undefined }>;
}

const specs = new WeakMap<LevelInput, Map<Severity, LevelSpec>>();

/** The levels of a rule's parameters, ordered; computed once per parameters object (patterns call it per reading). */
export function levelSpec(p: LevelInput, defaultSeverity: Severity): LevelSpec {
  let bySeverity = specs.get(p);
  if (!bySeverity) specs.set(p, (bySeverity = new Map<Severity, LevelSpec>()));
  let spec = bySeverity.get(defaultSeverity);
  if (!spec) bySeverity.set(defaultSeverity, (spec = computeLevelSpec(p, defaultSeverity)));
  return spec;
}

function computeLevelSpec(p: LevelInput, defaultSeverity: Severity): LevelSpec {
  const levels = Object.entries(p.levels)
    .flatMap(([key, l]) =>
      l.threshold === undefined ? [] : [{ key, threshold: l.threshold, severity: l.severity ?? defaultSeverity, deadband: l.deadband ?? p.deadband ?? 0 }],
    )
    .sort((a, b) => (p.direction === 'high' ? a.threshold - b.threshold : b.threshold - a.threshold));
  return { direction: p.direction, strict: p.strict ?? false, levels };
}

/** Where a value stands against the levels; plain data. */
export interface LevelTrack {
  /** Key of the level currently raised, or null. */
  active: string | null;
  /** Per level: data time since which the value has been continuously beyond it (entry, or stay while raised). */
  since: Record<string, number>;
}

export const initLevelTrack = (): LevelTrack => ({ active: null, since: {} });

export type LevelChange = { from: string | null; to: string | null; at: number } | null;

const enters = (spec: LevelSpec, t: number, v: number): boolean => (spec.direction === 'high' ? (spec.strict ? v > t : v >= t) : spec.strict ? v < t : v <= t);
const stays = (spec: LevelSpec, t: number, deadband: number, v: number): boolean => (spec.direction === 'high' ? v >= t - deadband : v <= t + deadband);

/** Evaluates one value at data time `ts` (the caller drops late and duplicate values first). */
export function evalLevels(track: LevelTrack, spec: LevelSpec, value: number, ts: number, forMs: number): { track: LevelTrack; change: LevelChange } {
  const activeIdx = spec.levels.findIndex((l) => l.key === track.active);
  const since: Record<string, number> = {};
  let next = -1;
  spec.levels.forEach((l, i) => {
    const beyond = i <= activeIdx ? stays(spec, l.threshold, l.deadband, value) : enters(spec, l.threshold, value);
    if (!beyond) return;
    const s = track.since[l.key] ?? ts;
    since[l.key] = s;
    if (i <= activeIdx || ts - s >= forMs) next = i;
  });
  const to = next < 0 ? null : spec.levels[next]!.key;
  const nextTrack: LevelTrack = { active: to, since };
  if (to === track.active) return { track: nextTrack, change: null };
  const at = next > activeIdx ? since[to!]! : ts;
  return { track: nextTrack, change: { from: track.active, to, at } };
}

export const levelOf = (spec: LevelSpec, key: string | null) => (key === null ? undefined : spec.levels.find((l) => l.key === key));
