/**
 * What an officer reads about the rule behind an alert: its name, pattern,
 * standard and note, and the limits in force for the point — the
 * catalogue's, with the enterprise's registered overrides applied
 * (enterprise-wide, then the sensor's own) and references to the point's
 * registered marks resolved. Pure; the alert detail draws the limits over
 * the readings.
 */
import type { Severity } from '../types.ts';
import { resolveLimits, type RulePoint } from './limits.ts';
import { applyOverride, type Override } from './overrides.ts';
import type { Catalogue } from './schema.ts';

export interface RuleFacts {
  id: string;
  version: number;
  name: { zh: string; en: string };
  pattern: string;
  standard: string | undefined;
  /** Why the grade and defaults are what they are, in Chinese and English. */
  note: { zh: string; en: string } | undefined;
  /** Thresholds in the point's unit: `threshold` params, labelled by where they sit (`level1`, `level2`, …). */
  limits: { label: string; value: number; severity: Severity }[];
}

const SEVERITIES: readonly string[] = ['blue', 'yellow', 'orange', 'red'];

export function ruleFacts(catalogue: Catalogue, overrides: readonly Override[], ruleId: string, point: RulePoint | undefined): RuleFacts | undefined {
  let rule = catalogue.rules.find((r) => r.id === ruleId);
  if (!rule) return undefined;
  if (point) {
    const mine = overrides.filter((o) => o.ruleId === ruleId && o.enterpriseId === point.enterpriseId && (o.sensorId === undefined || o.sensorId === point.id));
    // enterprise-wide first, then the sensor's own
    for (const o of [...mine.filter((o) => o.sensorId === undefined), ...mine.filter((o) => o.sensorId !== undefined)]) {
      const r = applyOverride(rule, o);
      if (r.ok) rule = r.value;
    }
  }
  const params = point ? resolveLimits(rule.params, point) : rule.params;
  const limits = limitsOf(params, rule.severity);
  return { id: rule.id, version: rule.version, name: rule.name, pattern: rule.pattern, standard: rule.standard, note: rule.note, limits };
}

/** The thresholds in resolved params, labelled by where they sit (`level1`, `power_off`, …), with their grade. */
export function limitsOf(params: unknown, severity: Severity): RuleFacts['limits'] {
  const limits: RuleFacts['limits'] = [];
  const walk = (v: unknown, label: string, severity: Severity) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return;
    const o = v as Record<string, unknown>;
    const sev = typeof o.severity === 'string' && SEVERITIES.includes(o.severity) ? (o.severity as Severity) : severity;
    if (typeof o.threshold === 'number') limits.push({ label: label || 'threshold', value: o.threshold, severity: sev });
    for (const [k, child] of Object.entries(o)) if (k !== 'threshold') walk(child, k, sev);
  };
  walk(params, '', severity);
  return limits;
}
