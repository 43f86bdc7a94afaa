/**
 * The alert lifecycle's data: states, the alert record, its events, the
 * commands that move it and what a transition returns. Pure data; the
 * behaviour is in `transition.ts` (findings, ticks) and `actions.ts`
 * (acknowledge, dispose, escalate).
 *
 * ```
 *  raise ──▶ pending ──(hold elapsed: tick or later raise)──▶ firing ──acknowledge──▶ acknowledged
 *  raise, no hold ──────────────────────────────────────────▶ firing ◀──higher grade── acknowledged
 *  pending ──clear──▶ resolved ('cleared_before_hold', event 'discarded'; never notified)
 *  firing | acknowledged ──clear──▶ resolved ('cleared')
 *  firing | acknowledged | resolved (after firing) ──dispose(text)──▶ disposed
 *  pending + suppressedBy: never fires until 'unsuppress' (or a red / unsuppressed raise)
 *  resolved | disposed + a newer raise ──▶ a NEW alert (new id)
 *  firing | acknowledged (not red, not safety-critical) ──shelve──▶ same state + shelvedUntil ──unshelve / expiry / red──▶ same state
 * ```
 *
 * Times: `startedAt`, `lastFindingAt`, `firedAt`, `resolvedAt` are data time
 * (the findings' `at`, derived from device timestamps), so a worker that
 * restarts and replays the same findings computes the same alert. Officer
 * actions (`acknowledgedAt`, `disposedAt`) carry the time the API received them.
 */
import type { Finding, Observation, Severity } from '../types.ts';

export const ALERT_STATES = ['pending', 'firing', 'acknowledged', 'resolved', 'disposed'] as const;
/**
 * - `pending`: the condition is raised but has not yet held for `forMs` (or is suppressed); not notified.
 * - `firing`: notified, waiting for a duty officer's 签收; escalates (督办) if left too long.
 * - `acknowledged`: an officer has taken it (签收); the condition may still be active.
 * - `resolved`: the condition cleared (terminal for the condition; may still be disposed).
 * - `disposed`: an officer recorded how it was handled (处置); terminal.
 */
export type AlertState = (typeof ALERT_STATES)[number];

/** States in which the alert still owns its fingerprint: a raise merges into it rather than opening another. */
export const ACTIVE_STATES = ['pending', 'firing', 'acknowledged'] as const satisfies readonly AlertState[];
export type ActiveState = (typeof ACTIVE_STATES)[number];

export const isActiveState = (s: AlertState): s is ActiveState => (ACTIVE_STATES as readonly AlertState[]).includes(s);
/** True when `alert` exists and is pending, firing or acknowledged. */
export const isActive = (alert: Alert | undefined): alert is Alert & { state: ActiveState } => alert !== undefined && isActiveState(alert.state);

/** The actor of transitions the worker makes on its own (holds, clears, escalations). */
export const SYSTEM_ACTOR = 'system';
/** A person, as `user:<id>`. Acknowledge and dispose require one. */
export type UserActor = `user:${string}`;
export type Actor = typeof SYSTEM_ACTOR | UserActor;
export const isUserActor = (s: string): s is UserActor => /^user:\S/.test(s);

/** How a resolved alert ended: its condition cleared after it fired, or before its hold elapsed (it never fired). */
export type Resolution = 'cleared' | 'cleared_before_hold';

/**
 * One episode of one hazard condition on one subject. Never mutated in
 * place: every transition returns a new object.
 */
export interface Alert {
  readonly id: string;
  /** `fingerprintOf(finding)`: rule + enterprise + subject. At most one active alert per fingerprint. */
  readonly fingerprint: string;
  readonly ruleId: string;
  /** Version of the rule that opened the alert; later findings from a newer version merge without changing it. */
  readonly ruleVersion: number;
  readonly enterpriseId: string;
  /** Sensor/point id, `zone:<zone>` or `gateway:<id>`. */
  readonly subject: string;
  /** Highest grade reached in this episode; never lowered while active. */
  readonly severity: Severity;
  /** Data time at which `severity` was reached (= `startedAt` until it is raised). The escalation clock restarts here. */
  readonly severitySince: number;
  readonly state: AlertState;
  /** Data time at which the condition began: the earliest `at` of the raises merged into it. Holds are measured from it. */
  readonly startedAt: number;
  /** Data time of the latest raise merged into it. */
  readonly lastFindingAt: number;
  /** `startedAt + forMs` (or the time its suppression was lifted, if later): when the hold was satisfied, in data time. */
  readonly firedAt?: number | undefined;
  /**
   * Platform time at which the platform learned that the alert fired or
   * reached its current grade, when that is later than the data time (data
   * buffered by a gateway during an outage arrives late). The officer's
   * acknowledgement clock, hence escalation, runs from the later of the two:
   * a late-arriving alert gives the enterprise's authority its full time limit.
   */
  readonly dutyClockSince?: number | undefined;
  readonly acknowledgedAt?: number | undefined;
  readonly acknowledgedBy?: UserActor | undefined;
  readonly acknowledgeNote?: string | undefined;
  /** Data time of the clear. */
  readonly resolvedAt?: number | undefined;
  readonly resolution?: Resolution | undefined;
  readonly disposedAt?: number | undefined;
  readonly disposedBy?: UserActor | undefined;
  /** The officer's disposal text (处置情况), trimmed. */
  readonly disposal?: string | undefined;
  /** Raises merged into this alert (1 for the one that opened it); replays and stale findings are not counted. */
  readonly occurrences: number;
  /** Message of the finding that set the current severity, `{ zh, en }`. */
  readonly message: { readonly zh: string; readonly en: string };
  /**
   * While pending: the evidence of the raise that opened it (or raised its severity).
   * From firing on: the evidence of the finding that made it fire, frozen (domain rule 7).
   * Later severity increases carry their own evidence on the `severity_raised` event.
   */
  readonly evidence: readonly Observation[];
  /** Fingerprint of the active root-cause alert (e.g. the gateway offline) that keeps this pending alert from firing. */
  readonly suppressedBy?: string | undefined;
  /** Escalation levels reached (0 = none). */
  readonly escalations: number;
  /** Time of the latest escalation (the `at` of its command). */
  readonly lastEscalatedAt?: number | undefined;
  /**
   * End of the previous episode of this fingerprint (its clear, or its disposal if it never cleared), in data time.
   * Raises at or before it belong to that episode (replays, late data) and are ignored.
   */
  readonly previousEpisodeEndAt?: number | undefined;
  /**
   * A consolidated alarm (its rule has a consolidation `group`): each rule of the group that raised in this
   * episode, with its latest grade, message and whether its condition still stands. The alarm clears when
   * every one has cleared; its grade is the highest reached.
   */
  readonly members?: Readonly<Record<string, AlertMember>> | undefined;
  /**
   * Shelved (搁置, ISA-18.2 / EEMUA 191): an officer took this nuisance alarm off the duty lists' attention
   * until this platform time (ms). While set it does not escalate and a raise below red is not notified;
   * the rules worker unshelves it at this time (`unshelve`, system, 'shelve_expired'). Never on red or a
   * safety-critical (`seriousViolation`) rule's alarm; dropped when the alarm resolves, is disposed or turns red.
   */
  readonly shelvedUntil?: number | undefined;
  /** The officer who shelved it (the latest shelve or extension). */
  readonly shelvedBy?: UserActor | undefined;
  /** Why (trimmed, at most `MAX_SHELVE_REASON` characters). */
  readonly shelveReason?: string | undefined;
  /**
   * 'enterprise' once the alarm was handed to its enterprise to answer first (issue #18, domain rule 13:
   * the enterprise signs for it and feeds back; `hand_to_enterprise`). Such an alarm does not escalate
   * on the bureau's acknowledgement clock: only once it is supervised (督办, `supervisedAt`).
   */
  readonly responder?: 'enterprise' | undefined;
  /** Platform time it was handed to the enterprise. */
  readonly handedAt?: number | undefined;
  /**
   * Platform time the enterprise's response became a supervision item (督办) on its authority's feed:
   * its sign-for or feedback was overdue. The escalation clock of an enterprise-first alarm runs from here.
   */
  readonly supervisedAt?: number | undefined;
  /** Why it is supervised, in order (a sign-for overdue, then a feedback overdue). */
  readonly supervisions?: readonly SupervisionReason[] | undefined;
}

/** The steps of the enterprise's response recorded on the alarm (`record_response`). */
export const RESPONSE_STEP_REASONS = [
  'enterprise_signed',
  'enterprise_fed_back',
  'enterprise_asked_to_clear',
  'feedback_accepted',
  'feedback_rejected',
] as const;
export type ResponseStepReason = (typeof RESPONSE_STEP_REASONS)[number];

/** Why an enterprise-first alarm became a supervision item (督办). */
export const SUPERVISION_REASONS = ['sign_overdue', 'feedback_overdue', 'review_overdue'] as const;
export type SupervisionReason = (typeof SUPERVISION_REASONS)[number];

/** One rule's fact within a consolidated alarm. */
export interface AlertMember {
  readonly state: 'raised' | 'cleared';
  readonly severity: Severity;
  readonly message: { readonly zh: string; readonly en: string };
  /** Data time of its first raise in the episode. */
  readonly since: number;
  /** Data time of its clear, while cleared: an older raise of it (a replay) does not raise it again. */
  readonly clearedAt?: number | undefined;
}

export const ALERT_EVENT_TYPES = [
  'pending',
  'fired',
  'updated',
  'severity_raised',
  'suppressed',
  'unsuppressed',
  'acknowledged',
  'escalated',
  'resolved',
  'discarded',
  'disposed',
  'shelved',
  'unshelved',
  'handed_to_enterprise',
  'supervised',
  'responded',
] as const;
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];

/** Machine-readable reason of an event; `REASONS` in `reasons.ts` gives its zh/en label. */
export const ALERT_REASONS = [
  'condition_raised',
  'raised_without_hold',
  'hold_elapsed',
  'start_moved_earlier',
  'severity_increased',
  'root_cause_active',
  'root_cause_cleared',
  'red_never_suppressed',
  'planned_stop_in_force',
  'planned_stop_over',
  'acknowledged_by_officer',
  'ack_time_limit_exceeded',
  'escalated_by_officer',
  'condition_cleared',
  'cleared_before_hold',
  'disposed_by_officer',
  'consolidated',
  'member_cleared',
  'shelved_by_officer',
  'shelve_expired',
  'unshelved_by_officer',
  'red_never_shelved',
  'raised_while_shelved',
  'enterprise_answers_first',
  'sign_overdue',
  'feedback_overdue',
  'review_overdue',
  'enterprise_signed',
  'enterprise_fed_back',
  'enterprise_asked_to_clear',
  'feedback_accepted',
  'feedback_rejected',
] as const;
export type AlertReason = (typeof ALERT_REASONS)[number];

/**
 * One transition, appended to the alert's record (domain rule 8: never edited).
 * The caller persists events append-only, in order, together with the alert.
 */
export interface AlertEvent {
  readonly alertId: string;
  readonly fingerprint: string;
  readonly enterpriseId: string;
  readonly ruleId: string;
  readonly type: AlertEventType;
  /** Data time for worker transitions (`firedAt` for 'fired'); the command's `at` for officer actions and escalations. */
  readonly at: number;
  readonly actor: Actor;
  /** `null` when the event opens the alert. */
  readonly from: AlertState | null;
  readonly to: AlertState;
  /** The alert's severity after the event. */
  readonly severity: Severity;
  readonly reason: AlertReason;
  /** Specific, human-readable detail for logs and the audit trail (English). */
  readonly detail: string;
  /** The officer's acknowledge note or disposal text. */
  readonly note?: string | undefined;
  /** Observations to snapshot with a content hash: on 'fired' (the alert's evidence) and 'severity_raised'. */
  readonly evidence?: readonly Observation[] | undefined;
  readonly escalation?: { readonly level: number; readonly to: string } | undefined;
  /** On 'suppressed': the root-cause fingerprint. */
  readonly suppressedBy?: string | undefined;
}

/**
 * What can happen to the alert of one fingerprint.
 * - `finding`: a pattern's raise or clear. `suppressedBy` is the caller's current
 *   `suppressionFor(...)` answer for a raise; leaving it out on a newer raise lifts a suppression.
 * - `tick`: the clock moved; fires a pending alert whose hold has elapsed.
 * - `unsuppress`: the root cause (see `suppressedBy`) resolved at `at` (data time).
 * - `acknowledge` / `dispose`: an officer's action; `actor` must be `user:<id>`.
 * - `escalate`: the escalation job for `level` ran, notifying authority `to`.
 *   Pass `escalationDue(...).dueAt` as `at` so the escalation clock does not drift.
 */
export type Command =
  | { type: 'finding'; finding: Finding; suppressedBy?: string | undefined; receivedAt?: number | undefined }
  | { type: 'tick'; now: number }
  | { type: 'unsuppress'; at: number }
  | { type: 'acknowledge'; actor: string; at: number; note?: string | undefined }
  | { type: 'dispose'; actor: string; at: number; text: string }
  /**
   * To the next authority up (逐级督办): by the escalation job when a firing
   * alert is not acknowledged in time (no actor), or by an officer who refers
   * an open alert upward (a `user:` actor, with a note).
   */
  | { type: 'escalate'; at: number; level: number; to: string; actor?: string | undefined; note?: string | undefined }
  /**
   * 搁置: an officer shelves an active (firing or acknowledged) nuisance alarm until `until` (platform time),
   * with a reason. The pure machine does not read the catalogue or the config: the caller passes whether the
   * alarm's rule (or one of its members) is safety-critical (`seriousViolation`) and the longest shelve allowed.
   * Shelving a shelved alarm again extends it, by the same rules (measured from `at`).
   */
  | { type: 'shelve'; actor: string; at: number; until: number; reason: string; safetyCritical: boolean; maxMs: number }
  /**
   * 取消搁置: by an officer (`user:<id>`, any time, with an optional reason of theirs, kept as the event's
   * note) or by the rules worker when the shelve expired (`system`, with `at` = `shelvedUntil`; earlier is a no-op).
   */
  | { type: 'unshelve'; actor: string; at: number; reason?: string | undefined }
  /**
   * 移交企业: the alarm goes to its enterprise to answer first (issue #18). By the system when the alarm fired
   * at an enterprise with its own users; from then on it escalates only once supervised.
   */
  | { type: 'hand_to_enterprise'; at: number }
  /**
   * 督办: the enterprise's sign-for or feedback is overdue (by the system, at the platform time it was found).
   * The alarm goes on its authority's feed as a supervision item and escalates from `at` as usual.
   */
  | { type: 'supervise'; at: number; reason: SupervisionReason; detail?: string | undefined }
  /**
   * A step of the enterprise's response or of the officer's review of it (alerts/response/): on the alarm's
   * own record (hash-chained, and on the live feed), without changing the alarm. By the person who took it.
   */
  | { type: 'record_response'; at: number; actor: string; step: ResponseStepReason; note?: string | undefined };

/** Longest shelve reason, characters (the platform's limit). */
export const MAX_SHELVE_REASON = 500;
/**
 * Longest shelve, ms: the platform's default, one duty shift (8 h). The bureau sets its own
 * (`notify.maxShelveMs` in the platform config).
 */
export const DEFAULT_MAX_SHELVE_MS = 8 * 3_600_000;

export interface TransitionPolicy {
  /** Hold time of the rule (ms): how long a raise must persist before the alert fires. 0 fires at once. */
  forMs: number;
  /** Id for a new alert (e.g. a UUID); called only when an alert is opened. */
  newId: () => string;
}

export const TRANSITION_ERROR_CODES = [
  /** The command needs an alert and none was given. */
  'NO_ACTIVE_ALERT',
  /** The command is not allowed in the alert's state. */
  'INVALID_TRANSITION',
  'DISPOSAL_TEXT_REQUIRED',
  /** Acknowledged already, by another officer (the same officer again is a no-op). */
  'ALREADY_ACKNOWLEDGED',
  /** Disposed already, by another officer or with another text (the identical request again is a no-op). */
  'ALREADY_DISPOSED',
  /** Acknowledge/dispose by something other than `user:<id>`. */
  'INVALID_ACTOR',
  /** Escalation level not the next one, or no target authority. */
  'INVALID_ESCALATION',
  /** The finding's fingerprint differs from the alert's: a caller bug. */
  'FINGERPRINT_MISMATCH',
  /** Shelving refused: a red alarm, or a safety-critical (`seriousViolation`) rule's. */
  'SHELVE_NOT_ALLOWED',
  /** Shelving refused: no reason (blank) or one too long. */
  'SHELVE_REASON_REQUIRED',
  /** Shelving refused: the end is not after now, beyond the longest shelve, or earlier than the shelve in force. */
  'SHELVE_DURATION_INVALID',
  /** The alarm is shelved: escalation waits until it is unshelved. */
  'ALARM_SHELVED',
] as const;
export type TransitionErrorCode = (typeof TRANSITION_ERROR_CODES)[number];
export interface TransitionError {
  code: TransitionErrorCode;
  message: string;
}

/**
 * Named decision of a transition (cf. alertmanager's `needsUpdate` reason).
 * No-op outcomes return the very same alert object and no events, so the
 * caller can skip the write: `result.alert === alert`.
 */
export type TransitionOutcome =
  // changes
  | 'opened'
  | 'merged'
  | 'fired'
  | 'unsuppressed'
  | 'discarded'
  | 'resolved'
  | 'acknowledged'
  | 'escalated'
  | 'disposed'
  | 'shelved'
  | 'unshelved'
  | 'handed'
  | 'supervised'
  | 'responded'
  // no-ops
  | 'duplicate'
  | 'stale'
  | 'no_active_alert'
  | 'not_pending'
  | 'hold_not_elapsed'
  | 'still_suppressed'
  | 'not_suppressed'
  | 'already_acknowledged'
  | 'already_escalated'
  | 'already_disposed'
  | 'already_shelved'
  | 'not_shelved'
  | 'shelve_not_expired'
  | 'already_handed'
  | 'already_supervised'
  // error
  | 'rejected';

export interface TransitionResult {
  /** The alert after the command: a new object if anything changed, the same one otherwise; `undefined` if there was none. */
  alert: Alert | undefined;
  events: AlertEvent[];
  outcome: TransitionOutcome;
  /** Set when the command was refused (`outcome` 'rejected'); the alert is returned unchanged. */
  error?: TransitionError | undefined;
}
