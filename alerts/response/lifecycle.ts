/**
 * The enterprise's response to one alarm (issue #18 §3–4), pure: no I/O, no clock reads. The service
 * (`service.ts`) loads the record, applies a command and saves the record with its event.
 *
 * ```
 *  open ──▶ awaiting_sign ──sign──▶ awaiting_feedback ──feedback──▶ awaiting_review (orange, red) ──accept──▶ accepted
 *                │                        ▲                               │                                    │
 *                └──feedback (signs too)──┤◀──────────reject (reason)─────┘                                    │
 *                                         └──feedback (yellow, blue) ──▶ fed_back                               │
 *  fed_back | accepted ──request_clear (condition cleared)──▶ cleared (the alarm is disposed: 消警)  ◀─────────────┘
 *  any open state ──the alarm disposed by an officer──▶ closed
 * ```
 *
 * Decisions:
 * - Signing again is a no-op (the first signature stands; the record says who); a late signature is
 *   accepted and recorded as late (`signedAt > signDueAt`), the KPI counts it.
 * - Feedback needs a cause category and the measures taken (trimmed, 2–2000 characters); it signs for
 *   the alarm too if nobody had. Feedback while awaiting review or after acceptance is refused (409):
 *   the answer on record stands until the officer rejects it (corrections are new records, rule 8).
 * - A cause of false alarm on a point whose alarms were explained so `falseAlarmRepeats` times within the
 *   window (the caller counts the earlier ones) is a repeated false alarm: it counts against the enterprise.
 * - Review only of orange/red feedback (`review`), by an officer, with a reason for a rejection; a
 *   rejection sends it back for new feedback within `refeedbackMs` and counts against the enterprise.
 * - 消警 (request to clear) only once the feedback stands (fed back, or accepted) and the alarm's
 *   condition has cleared; asked while the review is pending it is kept and acted on by the acceptance.
 * - An officer reviews within `reviewMs` of the feedback; past it the review is overdue and the alarm is
 *   supervised like a late enterprise's (the bureau's own clock runs again).
 * - A higher grade while the feedback stands (fed back, awaiting review, accepted) reopens it: the
 *   enterprise feeds back again at the new grade, with the new grade's limit (and review).
 * - Supervision (督办) marks are appended by the overdue sweep, one per reason, each judged again on the
 *   record it is saved with (a sign-for saved meanwhile wins).
 * - An officer's remote verification (网络巡查) is a record of its own (`Verification`), on any alarm.
 */
import type { Severity } from '../types.ts';
import type { SupervisionReason } from '../state/model.ts';
import type { AlarmKind, ResponseCause, ResponsePolicy } from './policy.ts';

export const RESPONSE_STATES = ['awaiting_sign', 'awaiting_feedback', 'awaiting_review', 'fed_back', 'accepted', 'cleared', 'closed'] as const;
export type ResponseState = (typeof RESPONSE_STATES)[number];
export const RESPONSE_STATE_NAMES: Readonly<Record<ResponseState, { zh: string; en: string }>> = {
  awaiting_sign: { zh: '待企业签收', en: 'awaiting sign-for' },
  awaiting_feedback: { zh: '待企业反馈', en: 'awaiting feedback' },
  awaiting_review: { zh: '待值班员审核', en: 'awaiting review' },
  fed_back: { zh: '企业已反馈', en: 'fed back' },
  accepted: { zh: '反馈已审核通过', en: 'feedback accepted' },
  cleared: { zh: '已消警', en: 'cleared' },
  closed: { zh: '已由监管部门处置', en: 'disposed by the bureau' },
};
/** States in which the enterprise still owes something (a sign-for or a feedback). */
export const OWING_STATES = ['awaiting_sign', 'awaiting_feedback'] as const satisfies readonly ResponseState[];
const DONE_STATES: readonly ResponseState[] = ['cleared', 'closed'];

export const REVIEW_DECISIONS = ['accept', 'reject'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** 网络巡查 (online patrol): how an officer verified the alarm remotely (2025 §七). */
export const VERIFICATION_METHODS = ['call', 'data_review', 'video_check'] as const;
export type VerificationMethod = (typeof VERIFICATION_METHODS)[number];
export const VERIFICATION_METHOD_NAMES: Readonly<Record<VerificationMethod, { zh: string; en: string }>> = {
  call: { zh: '电话核实', en: 'phone call' },
  data_review: { zh: '数据核查', en: 'data review' },
  video_check: { zh: '视频查看', en: 'video check' },
};
export const VERIFICATION_OUTCOMES = ['hazard_confirmed', 'false_alarm', 'handled', 'inconclusive'] as const;
export type VerificationOutcome = (typeof VERIFICATION_OUTCOMES)[number];
export const VERIFICATION_OUTCOME_NAMES: Readonly<Record<VerificationOutcome, { zh: string; en: string }>> = {
  hazard_confirmed: { zh: '确认存在隐患', en: 'hazard confirmed' },
  false_alarm: { zh: '确认误报', en: 'false alarm confirmed' },
  handled: { zh: '企业已处置', en: 'handled by the enterprise' },
  inconclusive: { zh: '无法确认，需现场核查', en: 'inconclusive; needs an on-site check' },
};

export interface Feedback {
  cause: ResponseCause;
  measures: string;
  attachmentIds: readonly string[];
  at: number;
  by: string;
  /** A false alarm explained again and again on the same point (counts against the enterprise). */
  repeatedFalseAlarm: boolean;
}

export interface Review {
  decision: ReviewDecision;
  reason: string;
  at: number;
  by: string;
}

/** An officer's remote verification (网络巡查) of an alarm; any alarm, handed to its enterprise or not. */
export interface Verification {
  alertId: string;
  method: VerificationMethod;
  outcome: VerificationOutcome;
  note: string;
  at: number;
  by: string;
}

/** One alarm's response record. Never mutated: commands return a new object. */
export interface AlarmResponse {
  alertId: string;
  enterpriseId: string;
  ruleId: string;
  subject: string;
  severity: Severity;
  kind: AlarmKind;
  state: ResponseState;
  /** Platform time it reached the enterprise. */
  openedAt: number;
  signDueAt: number;
  feedbackDueAt: number;
  /** Whether an officer reviews the feedback (orange, red). */
  review: boolean;
  signedAt?: number | undefined;
  signedBy?: string | undefined;
  signNote?: string | undefined;
  /** The feedback in force (the latest). */
  feedback?: Feedback | undefined;
  feedbackRounds: number;
  /** When an officer must have reviewed the feedback in force (reviewed grades only). */
  reviewDueAt?: number | undefined;
  /** The latest review. */
  reviewed?: Review | undefined;
  rejections: number;
  /** 消警 asked, while the review was pending or the condition still stood. */
  clearRequestedAt?: number | undefined;
  clearRequestedBy?: string | undefined;
  clearedAt?: number | undefined;
  clearedBy?: string | undefined;
  supervisions: readonly { reason: SupervisionReason; at: number }[];
}

export type ResponseCommand =
  | { type: 'sign'; actor: string; at: number; note?: string | undefined }
  | {
      type: 'feedback';
      actor: string;
      at: number;
      cause: ResponseCause;
      measures: string;
      attachmentIds: readonly string[];
      /** Earlier false-alarm explanations of the same point within the policy's window (the caller counts them). */
      priorFalseAlarms: number;
    }
  | { type: 'review'; actor: string; at: number; decision: ReviewDecision; reason: string; alarmCleared: boolean }
  | { type: 'request_clear'; actor: string; at: number; alarmCleared: boolean }
  | { type: 'supervise'; at: number; reason: SupervisionReason }
  | { type: 'close'; at: number }
  /** The alarm rose in grade: tighter limits, and review if the new grade has it. */
  | { type: 'regrade'; at: number; severity: Severity; signDueAt: number; feedbackDueAt: number; review: boolean };

export type ResponseErrorCode = 'NOT_ALLOWED' | 'ALREADY' | 'INVALID';
export type ResponseEventType = 'opened' | 'signed' | 'fed_back' | 'reviewed' | 'clear_requested' | 'cleared' | 'supervised' | 'closed' | 'regraded';

export type ResponseResult =
  | { ok: true; response: AlarmResponse; event?: { type: ResponseEventType; data: Record<string, unknown> } | undefined }
  | { ok: false; code: ResponseErrorCode; zh: string; en: string };

const fail = (code: ResponseErrorCode, zh: string, en: string): ResponseResult => ({ ok: false, code, zh, en });
const same = (response: AlarmResponse): ResponseResult => ({ ok: true, response });
const moved = (response: AlarmResponse, type: ResponseEventType, data: Record<string, unknown>): ResponseResult => ({
  ok: true,
  response,
  event: { type, data },
});

export const MEASURES_MIN = 2;
export const TEXT_MAX = 2000;

/** Opens the record of an alarm that reached its enterprise. */
export function openResponse(
  a: { alertId: string; enterpriseId: string; ruleId: string; subject: string; severity: Severity; kind: AlarmKind },
  at: number,
  d: { signDueAt: number; feedbackDueAt: number; review: boolean },
): AlarmResponse {
  return { ...a, state: 'awaiting_sign', openedAt: at, ...d, feedbackRounds: 0, rejections: 0, supervisions: [] };
}

export function applyResponse(r: AlarmResponse, cmd: ResponseCommand, policy: ResponsePolicy): ResponseResult {
  if (DONE_STATES.includes(r.state))
    return cmd.type === 'close'
      ? same(r)
      : fail('NOT_ALLOWED', `报警已${RESPONSE_STATE_NAMES[r.state].zh}，不能再操作`, `the alarm is ${RESPONSE_STATE_NAMES[r.state].en}; nothing more to do`);
  switch (cmd.type) {
    case 'sign': {
      if (r.signedAt !== undefined) return same(r);
      const note = cmd.note?.trim() || undefined;
      const next: AlarmResponse = {
        ...r,
        state: r.state === 'awaiting_sign' ? 'awaiting_feedback' : r.state,
        signedAt: cmd.at,
        signedBy: cmd.actor,
        signNote: note,
      };
      return moved(next, 'signed', { late: cmd.at > r.signDueAt, ...(note !== undefined && { note }) });
    }
    case 'feedback': {
      if (r.state !== 'awaiting_sign' && r.state !== 'awaiting_feedback')
        return fail(
          'ALREADY',
          r.state === 'awaiting_review' ? '已反馈，等待值班员审核；审核退回后可重新反馈' : '已反馈，如需更正请联系值班员',
          r.state === 'awaiting_review' ? 'fed back already, awaiting review; feed back again if it is rejected' : 'fed back already',
        );
      const measures = cmd.measures.trim();
      if (measures.length < MEASURES_MIN || measures.length > TEXT_MAX)
        return fail(
          'INVALID',
          `请填写采取的措施（${MEASURES_MIN}–${TEXT_MAX} 字）`,
          `the measures taken are required (${MEASURES_MIN}–${TEXT_MAX} characters)`,
        );
      const repeatedFalseAlarm = cmd.cause === 'false_alarm' && cmd.priorFalseAlarms + 1 >= policy.falseAlarmRepeats;
      const feedback: Feedback = { cause: cmd.cause, measures, attachmentIds: [...cmd.attachmentIds], at: cmd.at, by: cmd.actor, repeatedFalseAlarm };
      const signs = r.signedAt === undefined;
      const next: AlarmResponse = {
        ...r,
        ...(signs && { signedAt: cmd.at, signedBy: cmd.actor }),
        state: r.review ? 'awaiting_review' : 'fed_back',
        feedback,
        feedbackRounds: r.feedbackRounds + 1,
        reviewDueAt: r.review ? cmd.at + policy.reviewMs[r.severity] : undefined,
      };
      return moved(next, 'fed_back', {
        cause: cmd.cause,
        measures,
        attachmentIds: feedback.attachmentIds,
        late: cmd.at > r.feedbackDueAt,
        repeatedFalseAlarm,
        round: next.feedbackRounds,
        ...(signs && { signed: true }),
      });
    }
    case 'review': {
      if (!r.review) return fail('NOT_ALLOWED', '黄色、蓝色报警的反馈无需审核', 'feedback on yellow and blue alarms is not reviewed');
      if (r.state !== 'awaiting_review') return fail('NOT_ALLOWED', '没有待审核的反馈', 'there is no feedback awaiting review');
      const reason = cmd.reason.trim();
      if (cmd.decision === 'reject' && reason.length < MEASURES_MIN) return fail('INVALID', '退回须说明理由', 'a rejection needs a reason');
      if (reason.length > TEXT_MAX) return fail('INVALID', `理由不超过 ${TEXT_MAX} 字`, `the reason is at most ${TEXT_MAX} characters`);
      const reviewed: Review = { decision: cmd.decision, reason, at: cmd.at, by: cmd.actor };
      if (cmd.decision === 'reject') {
        const next: AlarmResponse = { ...r, state: 'awaiting_feedback', reviewed, rejections: r.rejections + 1, feedbackDueAt: cmd.at + policy.refeedbackMs };
        return moved(next, 'reviewed', { decision: 'reject', reason, feedbackDueAt: next.feedbackDueAt });
      }
      const clears = r.clearRequestedAt !== undefined && cmd.alarmCleared;
      const next: AlarmResponse = { ...r, state: clears ? 'cleared' : 'accepted', reviewed, ...(clears && { clearedAt: cmd.at, clearedBy: cmd.actor }) };
      return moved(next, 'reviewed', { decision: 'accept', reason, ...(clears && { cleared: true }) });
    }
    case 'request_clear': {
      if (r.state === 'awaiting_sign' || r.state === 'awaiting_feedback')
        return fail('NOT_ALLOWED', '请先签收并反馈原因和措施，再申请消警', 'sign for it and feed back the cause and measures before asking to clear it');
      if (!cmd.alarmCleared)
        return fail('NOT_ALLOWED', '报警条件仍在，消除后方可申请消警', 'the alarm condition still stands; ask to clear it once it has cleared');
      if (r.state === 'awaiting_review') {
        if (r.clearRequestedAt !== undefined) return same(r);
        return moved({ ...r, clearRequestedAt: cmd.at, clearRequestedBy: cmd.actor }, 'clear_requested', { pendingReview: true });
      }
      return moved({ ...r, state: 'cleared', clearRequestedAt: cmd.at, clearRequestedBy: cmd.actor, clearedAt: cmd.at, clearedBy: cmd.actor }, 'cleared', {});
    }
    case 'supervise': {
      // judged again on this very record: a sign-for or feedback saved since the sweep looked is not overdue
      if (!overdueAt(r, cmd.at).includes(cmd.reason)) return same(r);
      return moved({ ...r, supervisions: [...r.supervisions, { reason: cmd.reason, at: cmd.at }] }, 'supervised', { reason: cmd.reason });
    }
    case 'close':
      return moved({ ...r, state: 'closed' }, 'closed', {});
    case 'regrade': {
      // a higher grade than the feedback answered: the situation is worse; the enterprise answers again
      const reopen = r.state === 'fed_back' || r.state === 'awaiting_review' || r.state === 'accepted';
      const next: AlarmResponse = reopen
        ? {
            ...r,
            severity: cmd.severity,
            state: 'awaiting_feedback',
            feedbackDueAt: cmd.feedbackDueAt,
            review: cmd.review,
            reviewDueAt: undefined,
            clearRequestedAt: undefined,
            clearRequestedBy: undefined,
          }
        : {
            ...r,
            severity: cmd.severity,
            signDueAt: r.signedAt === undefined ? Math.min(r.signDueAt, cmd.signDueAt) : r.signDueAt,
            feedbackDueAt: Math.min(r.feedbackDueAt, cmd.feedbackDueAt),
            review: r.review || cmd.review,
          };
      return moved(next, 'regraded', { severity: cmd.severity, ...(reopen && { reopened: true, feedbackDueAt: next.feedbackDueAt }) });
    }
  }
}

/** What is owed next and by when: the enterprise's sign-for or feedback, or the officer's review (undefined: nothing). */
export function owed(r: AlarmResponse): { what: 'sign' | 'feedback' | 'review'; dueAt: number } | undefined {
  if (r.state === 'awaiting_sign') return { what: 'sign', dueAt: r.signDueAt };
  if (r.state === 'awaiting_feedback') return { what: 'feedback', dueAt: r.feedbackDueAt };
  if (r.state === 'awaiting_review' && r.reviewDueAt !== undefined) return { what: 'review', dueAt: r.reviewDueAt };
  return undefined;
}

/** The supervision reasons overdue at `now` and not yet recorded. */
export function overdueAt(r: AlarmResponse, now: number): SupervisionReason[] {
  const out: SupervisionReason[] = [];
  const has = (reason: SupervisionReason) => r.supervisions.some((s) => s.reason === reason);
  if (r.state === 'awaiting_sign' && now >= r.signDueAt && !has('sign_overdue')) out.push('sign_overdue');
  if ((r.state === 'awaiting_sign' || r.state === 'awaiting_feedback') && now >= r.feedbackDueAt && !has('feedback_overdue')) out.push('feedback_overdue');
  if (r.state === 'awaiting_review' && r.reviewDueAt !== undefined && now >= r.reviewDueAt && !has('review_overdue')) out.push('review_overdue');
  return out;
}
