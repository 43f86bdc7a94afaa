/**
 * The enterprise answers first (issue #18 §2–4): the service around the pure response lifecycle.
 *
 * - `consider(alert)`: told by the notifier of each alert that fired or rose in grade (like inspections'
 *   task worker). An alarm of an enterprise that has its own users (a safety manager or responsible
 *   persons, enabled) gets a response record with its time limits (`policy.ts`) and is handed to the
 *   enterprise (`hand_to_enterprise`: it no longer escalates on the bureau's acknowledgement clock). The
 *   record is written first: a crash in between leaves an alarm that escalates as before (safe), and the
 *   next consideration hands it over. A higher grade tightens the limits.
 * - `respond(alertId, cmd)`: the enterprise's sign-for, feedback and 消警, the officer's review; a clear
 *   disposes the alarm (`dispose`, by the person whose step cleared it, with the cause and measures).
 * - `sweep(now)`: every `response.sweepMs`, overdue sign-fors and feedbacks become supervision items
 *   (督办): the record is marked and the alarm gets `supervise`, which puts it on the authority's feed
 *   and starts its escalation clock (up the authority chain as for any alarm).
 * - `verify(alertId, …)`: an officer's remote verification (网络巡查), on any alarm.
 */
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/db.ts';
import { withAudit } from '../../core/audit.ts';
import { AppError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { applyCommand } from '../apply.ts';
import type { Announce } from '../bus.ts';
import type { Alert, ResponseStepReason } from '../state/index.ts';
import type { AlertStore } from '../store.ts';
import { severityRank } from '../types.ts';
import {
  applyResponse,
  openResponse,
  overdueAt,
  type AlarmResponse,
  type ResponseCommand,
  type ResponseErrorCode,
  type ResponseEventType,
  type Verification,
  type VerificationMethod,
  type VerificationOutcome,
} from './lifecycle.ts';
import { alarmKindOf, CAUSE_NAMES, deadlinesFor, type ResponsePolicy } from './policy.ts';
import { ResponseStore } from './store.ts';

export interface ResponseDeps {
  db: Db;
  alerts: AlertStore;
  clock: Clock;
  logger: Logger;
  policy: ResponsePolicy;
  /** The pattern of a rule in the catalogue in force (the alarm's kind, for its limits). */
  patternOf: (ruleId: string) => string | undefined;
  /** Told the seqs of alert events saved (the live feed). */
  announce?: Announce | undefined;
  /** Of `ids`, those that are not attachments of this alarm (the attachment store); feedback naming one is refused. */
  foreignAttachments?: ((alertId: string, ids: readonly string[]) => Promise<string[]>) | undefined;
}

/** A person's step on the response: the command without its time (the service stamps it). */
export type ResponseStep =
  | Omit<Extract<ResponseCommand, { type: 'sign' }>, 'at' | 'actor'>
  | Omit<Extract<ResponseCommand, { type: 'feedback' }>, 'at' | 'actor' | 'priorFalseAlarms'>
  | Omit<Extract<ResponseCommand, { type: 'review' }>, 'at' | 'actor' | 'alarmCleared'>
  | Omit<Extract<ResponseCommand, { type: 'request_clear' }>, 'at' | 'actor' | 'alarmCleared'>;

/** The person's step as the alarm's record shows it (`record_response`): the step and its words. */
function stepOnAlarm(type: ResponseEventType, step: ResponseStep, r: AlarmResponse): { step: ResponseStepReason; note?: string } | undefined {
  switch (type) {
    case 'signed':
      return { step: 'enterprise_signed', note: r.signNote };
    case 'fed_back':
      return { step: 'enterprise_fed_back', note: r.feedback && `${CAUSE_NAMES[r.feedback.cause].zh}：${r.feedback.measures}` };
    case 'clear_requested':
    case 'cleared':
      return step.type === 'request_clear' ? { step: 'enterprise_asked_to_clear' } : { step: 'feedback_accepted', note: r.reviewed?.reason };
    case 'reviewed':
      return { step: r.reviewed?.decision === 'reject' ? 'feedback_rejected' : 'feedback_accepted', note: r.reviewed?.reason };
    // the system's own steps: the alarm shows them as its own events ('handed_to_enterprise', 'supervised') or not at all
    case 'opened':
    case 'regraded':
    case 'supervised':
    case 'closed':
      return undefined;
  }
}

const ERROR_STATUS: Record<ResponseErrorCode, 'CONFLICT' | 'BAD_REQUEST'> = { NOT_ALLOWED: 'CONFLICT', ALREADY: 'CONFLICT', INVALID: 'BAD_REQUEST' };
const isConflict = (err: unknown): boolean => err instanceof AppError && err.code === 'CONFLICT';
const ATTEMPTS = 5;

export class ResponseService {
  readonly store: ResponseStore;

  constructor(private readonly deps: ResponseDeps) {
    this.store = new ResponseStore(deps.db);
  }

  /** Whether the enterprise answers its alarms first: it has at least one enabled user of its own. */
  async answersFirst(enterpriseId: string): Promise<boolean> {
    const { rows } = await this.deps.db.query('SELECT 1 FROM officers WHERE enterprise_id = $1 AND NOT disabled LIMIT 1', [enterpriseId]);
    return rows.length > 0;
  }

  /** An alert fired or rose in grade: open (or tighten) its enterprise's response; whether anything changed. */
  async consider(alert: Alert): Promise<boolean> {
    if (alert.firedAt === undefined || alert.state === 'pending' || alert.state === 'disposed') return false;
    const now = this.deps.clock.now();
    const kind = alarmKindOf(this.deps.patternOf(alert.ruleId));
    const existing = await this.store.get(alert.id);
    if (existing) {
      let changed = false;
      if (severityRank(alert.severity) > severityRank(existing.response.severity)) {
        const d = deadlinesFor(alert.severity, kind, now, this.deps.policy);
        await this.step(alert.id, () => ({ type: 'regrade', at: now, severity: alert.severity, ...d }), 'system');
        changed = true;
      }
      if (alert.responder !== 'enterprise') changed = (await this.hand(alert.id, now)) || changed;
      return changed;
    }
    // an alarm already on the bureau's ladder (escalated before its enterprise had users) stays the bureau's
    if (alert.escalations > 0 || !(await this.answersFirst(alert.enterpriseId))) return false;
    const r = openResponse(
      { alertId: alert.id, enterpriseId: alert.enterpriseId, ruleId: alert.ruleId, subject: alert.subject, severity: alert.severity, kind },
      now,
      deadlinesFor(alert.severity, kind, now, this.deps.policy),
    );
    try {
      await this.store.save(r, undefined, {
        type: 'opened',
        at: now,
        actor: 'system',
        data: { severity: r.severity, kind, signDueAt: r.signDueAt, feedbackDueAt: r.feedbackDueAt, review: r.review },
      });
    } catch (err) {
      if (!isConflict(err)) throw err;
      return false; // another process opened it
    }
    await this.hand(alert.id, now);
    this.deps.logger.info(
      { alertId: alert.id, enterpriseId: alert.enterpriseId, signDueAt: r.signDueAt, feedbackDueAt: r.feedbackDueAt },
      'alarm handed to its enterprise',
    );
    return true;
  }

  private async hand(alertId: string, at: number): Promise<boolean> {
    const applied = await applyCommand(this.deps.alerts, { alertId }, { type: 'hand_to_enterprise', at }, { announce: this.deps.announce });
    if (applied.outcome === 'rejected') this.deps.logger.warn({ alertId, error: applied.error }, 'alarm not handed to its enterprise');
    return applied.outcome === 'handed';
  }

  /** A person's step (`actor` = `user:<id>`); the record after it. 404 without a record, 409/400 when the step is refused. */
  async respond(alertId: string, step: ResponseStep, actor: string): Promise<AlarmResponse> {
    const at = this.deps.clock.now();
    if (step.type === 'feedback' && step.attachmentIds.length > 0) {
      const foreign = this.deps.foreignAttachments ? await this.deps.foreignAttachments(alertId, step.attachmentIds) : [...step.attachmentIds];
      if (foreign.length > 0)
        throw new AppError('BAD_REQUEST', `body: attachmentIds: 附件不属于此报警 / not attachments of this alarm: ${foreign.join(', ')}`, {
          expose: { reason: { zh: `附件不属于此报警：${foreign.join('、')}`, en: `not attachments of this alarm: ${foreign.join(', ')}` } },
        });
    }
    let saved: ResponseEventType | undefined;
    const after = await this.step(
      alertId,
      async (r, alert) => {
        const alarmCleared = alert?.state === 'resolved';
        switch (step.type) {
          case 'feedback': {
            const priorFalseAlarms = step.cause === 'false_alarm' ? await this.store.falseAlarmsSince(r, at - this.deps.policy.falseAlarmWindowMs) : 0;
            return { ...step, actor, at, priorFalseAlarms };
          }
          case 'review':
          case 'request_clear':
            return { ...step, actor, at, alarmCleared };
          case 'sign':
            return { ...step, actor, at };
        }
      },
      actor,
      (type) => (saved = type),
    );
    // the step on the alarm's own record too (and so on the officers' live feed), before the disposal it may cause
    const recorded = saved && stepOnAlarm(saved, step, after);
    if (recorded) {
      const applied = await applyCommand(this.deps.alerts, { alertId }, { type: 'record_response', at, actor, ...recorded }, { announce: this.deps.announce });
      if (applied.outcome === 'rejected') this.deps.logger.warn({ alertId, error: applied.error }, 'response step not recorded on the alarm');
    }
    if (after.state === 'cleared' && after.clearedAt === at) await this.disposeCleared(after);
    return after;
  }

  /** Applies one command built from the current record (and alert), saved; retried on a concurrent change. */
  private async step(
    alertId: string,
    build: (r: AlarmResponse, alert: Alert | undefined) => ResponseCommand | Promise<ResponseCommand>,
    actor: string,
    onSaved?: (type: ResponseEventType) => void,
  ): Promise<AlarmResponse> {
    for (let i = 1; ; i++) {
      const stored = await this.store.get(alertId);
      if (!stored)
        throw new AppError('CONFLICT', `alert ${alertId} was not handed to its enterprise; the bureau disposes of it`, {
          expose: { reason: { zh: '此报警未移交企业处置，由监管部门直接处置', en: 'this alarm was not handed to its enterprise; the bureau disposes of it' } },
        });
      const cmd = await build(stored.response, await this.deps.alerts.get(alertId));
      const result = applyResponse(stored.response, cmd, this.deps.policy);
      if (!result.ok) throw new AppError(ERROR_STATUS[result.code], `${result.zh} / ${result.en}`, { expose: { reason: { zh: result.zh, en: result.en } } });
      if (!result.event) return result.response;
      try {
        await this.store.save(result.response, stored.rev, { type: result.event.type, at: cmd.at, actor, data: result.event.data });
        onSaved?.(result.event.type);
        return result.response;
      } catch (err) {
        if (!isConflict(err) || i >= ATTEMPTS) throw err;
      }
    }
  }

  /** 消警: the alarm is disposed with the enterprise's answer (a no-op if an officer disposed of it meanwhile). */
  private async disposeCleared(r: AlarmResponse): Promise<void> {
    const f = r.feedback;
    const text = `企业消警：${f ? `${CAUSE_NAMES[f.cause].zh}；${f.measures}` : '已处置'}`;
    const applied = await applyCommand(
      this.deps.alerts,
      { alertId: r.alertId },
      { type: 'dispose', actor: r.clearedBy ?? 'system', at: r.clearedAt ?? this.deps.clock.now(), text },
      {
        announce: this.deps.announce,
      },
    );
    if (applied.outcome === 'rejected' && applied.error?.code !== 'ALREADY_DISPOSED')
      this.deps.logger.warn({ alertId: r.alertId, error: applied.error }, 'cleared alarm not disposed');
  }

  /** The alarm was disposed by an officer: the response is closed (nothing more is owed). */
  async alertDisposed(alertId: string): Promise<void> {
    if (await this.store.get(alertId)) await this.step(alertId, () => ({ type: 'close', at: this.deps.clock.now() }), 'system');
  }

  /**
   * Overdue sign-fors, feedbacks and reviews become supervision items (督办); how many were marked. The
   * response is marked first (judged again on the record it is saved with: an answer saved meanwhile
   * wins), then the alarm (`supervise`, idempotent per reason); a supervision the alarm lacks after a
   * crash between the two, and a 消警 whose alarm was not disposed, are repaired on the next sweep.
   */
  async sweep(now = this.deps.clock.now(), limit = 200): Promise<number> {
    let marked = 0;
    for (const alertId of await this.store.sweepCandidates(now, limit)) {
      const alert = await this.deps.alerts.get(alertId);
      if (!alert || alert.state === 'disposed') {
        await this.alertDisposed(alertId);
        continue;
      }
      let stored = await this.store.get(alertId);
      if (!stored) continue;
      if (stored.response.state === 'cleared') {
        await this.disposeCleared(stored.response);
        continue;
      }
      for (const reason of overdueAt(stored.response, now)) {
        const after = await this.step(alertId, () => ({ type: 'supervise', at: now, reason }), 'system');
        if (after.supervisions.some((s) => s.reason === reason)) {
          marked++;
          this.deps.logger.warn({ alertId, enterpriseId: alert.enterpriseId, reason }, 'response overdue: supervision item (督办)');
        }
        stored = { ...stored, response: after };
      }
      for (const s of stored.response.supervisions) {
        if (alert.supervisions?.includes(s.reason)) continue;
        const applied = await applyCommand(this.deps.alerts, { alertId }, { type: 'supervise', at: s.at, reason: s.reason }, { announce: this.deps.announce });
        if (applied.outcome === 'rejected') this.deps.logger.warn({ alertId, reason: s.reason, error: applied.error }, 'alarm not supervised');
      }
    }
    return marked;
  }

  /** Records an officer's remote verification (网络巡查) of the alarm, on the audit trail. */
  async verify(
    alert: Pick<Alert, 'id' | 'enterpriseId'>,
    v: { method: VerificationMethod; outcome: VerificationOutcome; note: string },
    actor: string,
  ): Promise<Verification> {
    const note = v.note.trim();
    if (note.length < 2 || note.length > 2000)
      throw new AppError('BAD_REQUEST', 'body: note: 请填写核查情况（2–2000 字） / describe the verification (2–2000 characters)', {
        expose: { reason: { zh: '请填写核查情况（2–2000 字）', en: 'describe the verification (2–2000 characters)' } },
      });
    const at = this.deps.clock.now();
    const record: Verification = { alertId: alert.id, method: v.method, outcome: v.outcome, note, at, by: actor };
    await withAudit(
      this.deps.db,
      (tx) =>
        tx.query('INSERT INTO alert_verifications (alert_id, enterprise_id, method, outcome, note, at, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
          alert.id,
          alert.enterpriseId,
          v.method,
          v.outcome,
          note,
          new Date(at),
          actor,
        ]),
      () => ({
        actor,
        action: 'alert.verified_remotely',
        subjectType: 'alert',
        subjectId: alert.id,
        data: { enterpriseId: alert.enterpriseId, method: v.method, outcome: v.outcome, note },
        at,
      }),
    );
    return record;
  }

  async verifications(alertId: string): Promise<Verification[]> {
    const { rows } = await this.deps.db.query<{ method: VerificationMethod; outcome: VerificationOutcome; note: string; at: Date; actor: string }>(
      'SELECT method, outcome, note, at, actor FROM alert_verifications WHERE alert_id = $1 ORDER BY id',
      [alertId],
    );
    return rows.map((r) => ({ alertId, method: r.method, outcome: r.outcome, note: r.note, at: new Date(r.at).getTime(), by: r.actor }));
  }
}
