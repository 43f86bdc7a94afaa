/**
 * Root-cause suppression: while a gateway's offline alert is active, the
 * silence alerts of the sensors behind it would only repeat it ("one
 * root-cause alert, not fifty"). Pure: the caller passes the active alerts
 * and a lookup from sensor to gateway.
 *
 * Decision: a suppressed raise still opens an alert, kept 'pending' with
 * `suppressedBy` set and a 'suppressed' event — the silence is recorded
 * (domain rule 7: data going silent may be tampering) but not notified.
 * When the root-cause alert resolves, the caller applies `{ type:
 * 'unsuppress', at }` to every alert whose `suppressedBy` is its fingerprint:
 * a sensor still silent then fires on its own, one that came back clears.
 */
import type { Finding } from '../types.ts';
import { isActive, type Alert } from './model.ts';

/** Which rules a gateway-offline alert may suppress. */
export type SuppressiblePredicate = (ruleId: string) => boolean;

/** Default: the data-interruption rules (`data.silence…`). The rule catalogue may pass its own (rules marked "suppressible by gateway offline"). */
export const isDataSilenceRule: SuppressiblePredicate = (ruleId) => ruleId.startsWith('data.silence');

/** Subject of a gateway's own alerts (offline by last will or missing heartbeat). */
export const gatewaySubject = (gatewayId: string): string => `gateway:${gatewayId}`;

export interface SuppressionOptions {
  /** The gateway a sensor/point reports through; `undefined` if unknown (then nothing is suppressed). */
  gatewayOf: (enterpriseId: string, subject: string) => string | undefined;
  /** Default `isDataSilenceRule`. */
  suppressible?: SuppressiblePredicate;
}

/**
 * The root-cause alert that suppresses `finding`, if any: a raise of a
 * suppressible rule, below red, for a sensor whose gateway has an active
 * (pending, firing or acknowledged), itself unsuppressed alert with subject
 * `gateway:<id>` in the same enterprise. Several candidates: the earliest
 * started, then the smallest fingerprint, so the answer is deterministic.
 * Red is never suppressed; clears never are.
 */
export function suppressionFor(finding: Finding, activeAlerts: readonly Alert[], opts: SuppressionOptions): { suppressedBy: string } | undefined {
  if (finding.condition !== 'raise' || finding.severity === 'red') return undefined;
  if (!(opts.suppressible ?? isDataSilenceRule)(finding.ruleId)) return undefined;
  if (finding.subject.startsWith('gateway:')) return undefined;
  const gatewayId = opts.gatewayOf(finding.enterpriseId, finding.subject);
  if (gatewayId === undefined) return undefined;
  const subject = gatewaySubject(gatewayId);
  const roots = activeAlerts
    .filter((a) => isActive(a) && a.enterpriseId === finding.enterpriseId && a.subject === subject && a.suppressedBy === undefined)
    .sort((a, b) => a.startedAt - b.startedAt || (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
  const root = roots[0];
  return root === undefined ? undefined : { suppressedBy: root.fingerprint };
}
