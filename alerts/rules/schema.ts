/**
 * The rule catalogue's schema (zod 4, strict: unknown keys are rejected and
 * every message names its path). A rule is a discriminated union on
 * `pattern`; its `params` are the pattern's params with limits that may
 * reference the point's registered marks / range (alerts/rules/limits.ts).
 */
import { z } from 'zod';
import { SECTORS } from '../../core/vocabulary.ts';
import { correlatedParamsSchema } from '../patterns/correlated-detectors.ts';
import { dataSilenceParamsSchema } from '../patterns/data-silence.ts';
import { differenceParamsShape } from '../patterns/difference.ts';
import { dropToZeroParamsShape } from '../patterns/drop-to-zero.ts';
import { frozenParamsShape } from '../patterns/frozen.ts';
import { gatewayOfflineParamsSchema } from '../patterns/gateway-offline.ts';
import { gatewayPointsSilentParamsSchema } from '../patterns/gateway-points-silent.ts';
import { interlockParamsShape } from '../patterns/interlock-failure.ts';
import { severitySchema } from '../patterns/levels.ts';
import { outOfRangeParamsShape } from '../patterns/out-of-range.ts';
import { rateOfRiseParamsShape } from '../patterns/rate-of-rise.ts';
import { safetyOffParamsSchema } from '../patterns/safety-off-in-production.ts';
import { sustainedParamsShape } from '../patterns/sustained.ts';
import { thresholdParamsShape } from '../patterns/threshold.ts';
import { limitSchema } from './limits.ts';

export const PACKS = ['common', ...SECTORS] as const;
export type Pack = (typeof PACKS)[number];

export const RULE_ID = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;
const names = z.array(z.string().min(1)).min(1);
const i18n = z.strictObject({ zh: z.string().min(1), en: z.string().min(1) });
/**
 * A rule's note: `{ zh, en }`, or one string — a bureau's catalogue file may write its notes in its own language
 * only — taken as the note in both languages. Always `{ zh, en }` once parsed.
 */
const noteSchema = z.union([z.string().min(1), i18n]).transform((n) => (typeof n === 'string' ? { zh: n, en: n } : n));

/** Which points a rule applies to: every given criterion must hold (a list: any of its values). */
export const matchSchema = z.strictObject({
  kinds: names.optional(),
  roles: names.optional(),
  /** Points whose role is one of these are excluded (e.g. the gases that have their own rule). */
  excludeRoles: names.optional(),
  zones: names.optional(),
  sensorIds: names.optional(),
  units: names.optional(),
  /** Sectors of the enterprise; a sector pack's rules apply to that sector only anyway. */
  sectors: z.array(z.enum(SECTORS)).min(1).optional(),
});
export type RuleMatch = z.output<typeof matchSchema>;

/** A limit the standard sets on a parameter: a registered value beyond it is flagged and not used. */
export const standardLimitSchema = z
  .strictObject({
    /** Dot path into `params`, e.g. `levels.level1.threshold`. */
    param: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'a dot path into params'),
    /** The registered value must not exceed this (alarm on a rising value). */
    atMost: z.number().optional(),
    /** The registered value must not be below this (alarm on a falling value). */
    atLeast: z.number().optional(),
    standard: z.string().min(1),
  })
  .refine((l) => (l.atMost === undefined) !== (l.atLeast === undefined), 'exactly one of atMost / atLeast');
export type StandardLimit = z.output<typeof standardLimitSchema>;

const base = {
  /** Stable id, dotted lower case: `gas.combustible`, `chem.tank_level.high`. */
  id: z.string().regex(RULE_ID, 'dotted lower-case words, e.g. gas.combustible').max(80),
  /** Bumped on every change; findings carry it. */
  version: z.number().int().min(1),
  name: i18n,
  pack: z.enum(PACKS),
  /** Default: every point (of the pack's sector). */
  match: matchSchema.default({}),
  /** Grade of the findings unless the pattern grades them (levels, escalation steps). */
  severity: severitySchema,
  /** Hold: the condition must hold this long (data time) before a raise. Default 0. */
  forMs: z.number().int().nonnegative().max(86_400_000).default(0),
  /** Whether an offline gateway suppresses this rule's alerts for its points (silence rules). Default false. */
  suppressibleByGatewayOffline: z.boolean().default(false),
  /**
   * Whether an alert of this rule is a serious violation found by data monitoring (数据监测监控发现的严重违法行为,
   * 应急〔2025〕11号 §三): the basis of an on-site inspection exempt from the yearly cap. Red alerts of any rule are
   * serious too. The shipped catalogue marks safety devices switched off or bypassed during production and interlock
   * failures (tampering with equipment that bears on safety, 应急〔2021〕23号 §(六)). Other alerts are verified
   * remotely first (2025 §七). Default false.
   */
  seriousViolation: z.boolean().default(false),
  /** Citation of the standard the defaults come from, e.g. 'GB/T 50493-2019 §5.5'. */
  standard: z.string().min(1).optional(),
  /** Why the grade and defaults are what they are, in Chinese and English (a plain string: the same text in both). */
  note: noteSchema.optional(),
  /** Limits the standard sets on parameters (see standardLimitSchema). Default none. */
  standardLimits: z.array(standardLimitSchema).default([]),
  /**
   * The rule stands in, with default limits, for something the point has not
   * registered (a methane sensor's location, a toxic detector's gas): why. A
   * point whose hazard rules are all fallbacks is listed as monitored with a
   * default (coverage), until it registers what is missing.
   */
  fallback: i18n.optional(),
  /**
   * Consolidation group (alarm management, ISA-18.2 / EEMUA 191: one hazard episode on one point is one
   * alarm): the rules of one group make one alarm per subject and episode, carrying each rule's fact, graded
   * the highest, cleared when all have cleared (alerts/state/transition.ts `members`). A group named after one
   * of its rules keeps that rule's alarms' identity. Default none.
   */
  group: z.string().regex(RULE_ID, 'dotted lower-case words, e.g. gas.combustible').max(80).optional(),
};
const rule = <N extends string, P extends z.ZodType>(pattern: N, params: P) => z.strictObject({ ...base, pattern: z.literal(pattern), params });

export const ruleSchema = z.discriminatedUnion('pattern', [
  rule('threshold', thresholdParamsShape(limitSchema)),
  rule('rate_of_rise', rateOfRiseParamsShape(limitSchema)),
  rule('sustained', sustainedParamsShape(limitSchema)),
  rule('difference', differenceParamsShape(limitSchema)),
  rule('correlated_detectors', correlatedParamsSchema),
  rule('interlock_failure', interlockParamsShape(limitSchema)),
  rule('data_silence', dataSilenceParamsSchema),
  rule('gateway_offline', gatewayOfflineParamsSchema),
  rule('gateway_points_silent', gatewayPointsSilentParamsSchema),
  rule('frozen', frozenParamsShape(limitSchema)),
  rule('out_of_range', outOfRangeParamsShape(limitSchema)),
  rule('drop_to_zero', dropToZeroParamsShape(limitSchema)),
  rule('safety_off_in_production', safetyOffParamsSchema),
]);
export type Rule = z.output<typeof ruleSchema>;
export type RuleInput = z.input<typeof ruleSchema>;

export const catalogueSchema = z
  .strictObject({
    /** Bumped whenever a rule is added, removed or changed. */
    version: z.number().int().min(1),
    rules: z.array(ruleSchema),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.rules.forEach((r, i) => {
      const first = seen.get(r.id);
      if (first === undefined) seen.set(r.id, i);
      else ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id '${r.id}' (first at rules[${first}])` });
    });
  });
export type Catalogue = z.output<typeof catalogueSchema>;
export type CatalogueInput = z.input<typeof catalogueSchema>;

/** `rules[3].params.levels.level1.threshold: expected number` */
export function formatIssues(issues: readonly z.core.$ZodIssue[], root = ''): string[] {
  return issues.map((i) => {
    const path = i.path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), root);
    return `${path || '(root)'}: ${i.message}`;
  });
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Parses a catalogue from JSON text or an already parsed value. Never throws. */
export function parseCatalogue(json: unknown): ParseResult<Catalogue> {
  let input = json;
  if (typeof json === 'string') {
    try {
      input = JSON.parse(json);
    } catch (err) {
      return { ok: false, errors: [`(root): not JSON: ${(err as Error).message}`] };
    }
  }
  const r = catalogueSchema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: formatIssues(r.error.issues) };
}
