/**
 * Builders shared by the transition functions: one event, and the three kinds
 * of result (changed, no-op, rejected). Internal to `alerts/state/`.
 */
import type { Actor, Alert, AlertEvent, AlertEventType, AlertReason, AlertState, TransitionError, TransitionOutcome, TransitionResult } from './model.ts';

/** The event of `next` (the alert after the transition) moving from `from`. */
export function eventOf(
  next: Alert,
  type: AlertEventType,
  e: { at: number; actor: Actor; from: AlertState | null; reason: AlertReason; detail: string } & Pick<
    AlertEvent,
    'note' | 'evidence' | 'escalation' | 'suppressedBy'
  >,
): AlertEvent {
  const event: AlertEvent = {
    alertId: next.id,
    fingerprint: next.fingerprint,
    enterpriseId: next.enterpriseId,
    ruleId: next.ruleId,
    type,
    at: e.at,
    actor: e.actor,
    from: e.from,
    to: next.state,
    severity: next.severity,
    reason: e.reason,
    detail: e.detail,
  };
  // Optional keys only when present, so persisted/compared events carry no `undefined` fields.
  return {
    ...event,
    ...(e.note !== undefined && { note: e.note }),
    ...(e.evidence !== undefined && { evidence: e.evidence }),
    ...(e.escalation !== undefined && { escalation: e.escalation }),
    ...(e.suppressedBy !== undefined && { suppressedBy: e.suppressedBy }),
  };
}

export const changed = (alert: Alert, events: AlertEvent[], outcome: TransitionOutcome): TransitionResult => ({ alert, events, outcome });

/** Nothing to do: the same object back, no events. */
export const noop = (alert: Alert | undefined, outcome: TransitionOutcome): TransitionResult => ({ alert, events: [], outcome });

export const reject = (alert: Alert | undefined, code: TransitionError['code'], message: string): TransitionResult => ({
  alert,
  events: [],
  outcome: 'rejected',
  error: { code, message },
});

/** ISO time for `detail` texts (deterministic: formats the given time, never reads the clock). */
export const iso = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));
