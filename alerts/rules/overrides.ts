/**
 * Per-enterprise / per-sensor overrides: an enterprise registers its own alarm
 * limits for a rule (`params`, partial: merged deeply into the rule's; arrays
 * and values replace). A registered limit looser than the standard allows is
 * not used (the standard's limit applies: see resolve.ts) and is itself
 * reported by `findLooseOverrides` so the worker can raise it as an alert.
 */
import { z } from 'zod';
import { idSchema } from '../../core/contract.ts';
import { formatIssues, ruleSchema, type Catalogue, type ParseResult, type Rule, type StandardLimit } from './schema.ts';

export const overrideSchema = z.strictObject({
  enterpriseId: idSchema,
  /** Without a sensor: every point of the enterprise the rule applies to. */
  sensorId: idSchema.optional(),
  ruleId: z.string().min(1),
  params: z.record(z.string(), z.unknown()),
});
export type Override = z.output<typeof overrideSchema>;
export const overridesSchema = z.array(overrideSchema);

export function parseOverrides(json: unknown): ParseResult<Override[]> {
  const r = overridesSchema.safeParse(json);
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: formatIssues(r.error.issues, 'overrides') };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge of plain objects; anything else in `patch` replaces. Returns new objects; inputs untouched. */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = k in base ? deepMerge(base[k], v) : structuredClone(v);
  return out;
}

/** The rule with an override applied, validated as a rule; errors name the override's params path. */
export function applyOverride(rule: Rule, o: Override): ParseResult<Rule> {
  const r = ruleSchema.safeParse({ ...rule, params: deepMerge(rule.params, o.params) });
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: formatIssues(r.error.issues) };
}

/** Checks registered overrides against a catalogue: unknown rules and params the rule's schema rejects. */
export function validateOverrides(catalogue: Catalogue, overrides: readonly Override[]): string[] {
  const byId = new Map(catalogue.rules.map((r) => [r.id, r]));
  return overrides.flatMap((o, i) => {
    const rule = byId.get(o.ruleId);
    if (!rule) return [`overrides[${i}].ruleId: unknown rule '${o.ruleId}'`];
    const r = applyOverride(rule, o);
    return r.ok ? [] : r.errors.map((e) => `overrides[${i}] (${o.ruleId}): ${e}`);
  });
}

export function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (isPlainObject(v) ? v[k] : undefined), obj);
}

export function setPath(obj: unknown, path: string, value: unknown): unknown {
  const [head, ...rest] = path.split('.');
  if (!isPlainObject(obj) || head === undefined) return obj;
  return { ...obj, [head]: rest.length === 0 ? value : setPath(obj[head], rest.join('.'), value) };
}

/** Whether a value is looser than a standard limit allows. */
export const isLoose = (value: number, l: StandardLimit): boolean =>
  (l.atMost !== undefined && value > l.atMost) || (l.atLeast !== undefined && value < l.atLeast);

export interface LooseOverride {
  enterpriseId: string;
  /** null: registered for every point of the enterprise. */
  sensorId: string | null;
  ruleId: string;
  /** The parameter, e.g. `levels.level1.threshold`. */
  param: string;
  registered: number;
  standardLimit: number;
  standard: string;
}

/** Registered limits looser than the standard allows (e.g. combustible gas level 1 at 30 %LEL > 25 %LEL). */
export function findLooseOverrides(catalogue: Catalogue, overrides: readonly Override[]): LooseOverride[] {
  const byId = new Map(catalogue.rules.map((r) => [r.id, r]));
  return overrides.flatMap((o) =>
    (byId.get(o.ruleId)?.standardLimits ?? []).flatMap((l) => {
      const v = getPath(o.params, l.param);
      if (typeof v !== 'number' || !isLoose(v, l)) return [];
      return [
        {
          enterpriseId: o.enterpriseId,
          sensorId: o.sensorId ?? null,
          ruleId: o.ruleId,
          param: l.param,
          registered: v,
          standardLimit: (l.atMost ?? l.atLeast)!,
          standard: l.standard,
        },
      ];
    }),
  );
}
