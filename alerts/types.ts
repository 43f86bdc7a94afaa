/**
 * Shared types of the rules worker (issue #3): what the patterns observe,
 * what they conclude, and the alert model. Pure data; no I/O.
 */
import type { Quality, SignalKind } from '../core/contract.ts';

/** Grades, lowest first (蓝 < 黄 < 橙 < 红). */
export const SEVERITIES = ['blue', 'yellow', 'orange', 'red'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);
export const maxSeverity = (a: Severity, b: Severity): Severity => (severityRank(a) >= severityRank(b) ? a : b);

/** A provisioned sensor or signal point, as the rules see it. */
export interface PointInfo {
  enterpriseId: string;
  gatewayId: string;
  /** Sensor id or signal point id (unique within the enterprise). */
  id: string;
  kind: string;
  unit: string;
  /** Expected reporting period, seconds. */
  periodS: number;
  zone?: string | undefined;
  /** E.g. 'working_face' / 'return_airway' for mine methane, 'inlet' / 'outlet' for cooling water. */
  role?: string | undefined;
  /** Registered links to other points of the enterprise, relation → ids (core/vocabulary.ts POINT_RELATIONS). */
  links?: Record<string, string[]> | undefined;
}

/** What the worker feeds its patterns, in arrival order (which may differ from `ts` order for late data). */
export type Observation =
  | { type: 'reading'; point: PointInfo; value: number; quality: Quality; ts: number }
  | { type: 'signal'; point: PointInfo & { kind: SignalKind }; state: string; ts: number }
  | { type: 'gateway'; enterpriseId: string; gatewayId: string; state: 'online' | 'offline'; reason: string; ts: number };

/**
 * What a pattern concludes about one subject (a sensor, a zone, a gateway):
 * the hazard condition is active (`raise`, with its current grade) or is over
 * (`clear`). `at` is when the condition began or ended, in data time
 * (device timestamps), never the worker's wall clock at processing time, so a
 * rebuilt window after a restart yields the same `at`.
 */
export interface Finding {
  /** Rule id from the catalogue. */
  ruleId: string;
  ruleVersion: number;
  enterpriseId: string;
  /** What the finding is about: a sensor/point id, `zone:<zone>` or `gateway:<id>`. */
  subject: string;
  condition: 'raise' | 'clear';
  severity: Severity;
  at: number;
  /** One sentence for the duty officer, Simplified Chinese first: `{ zh, en }`. */
  message: { zh: string; en: string };
  /** The observations that justify it (snapshotted with a content hash when the alert fires). */
  evidence: Observation[];
  /**
   * The consolidation group of its rule (the catalogue's `group`): the findings of every rule of one group on
   * one subject make one alarm per episode (issue #17 item 5), keyed by the group instead of the rule.
   */
  group?: string | undefined;
  /** When the group is named after one of its rules (gas.combustible): that rule, whose identity the group's alarms keep whichever rule opens them. */
  groupRule?: { id: string; version: number } | undefined;
}

/** Alert fingerprint: rule (or its consolidation group) + enterprise + subject. One active alert per fingerprint. */
export const fingerprintOf = (f: Pick<Finding, 'ruleId' | 'enterpriseId' | 'subject'> & { group?: string | undefined }): string =>
  `${f.group ?? f.ruleId}|${f.enterpriseId}|${f.subject}`;
