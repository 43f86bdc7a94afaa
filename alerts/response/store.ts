/**
 * The response records (`alert_responses`, migration 19) and their events (`alert_response_events`,
 * append-only). A record is saved with a revision check, its event and the audit record in one
 * transaction; a concurrent writer gets CONFLICT and the service retries with the fresh record.
 */
import { withAudit } from '../../core/audit.ts';
import type { Db, Queryable } from '../../core/db/db.ts';
import { AppError } from '../../core/errors.ts';
import type { AlarmResponse, ResponseEventType } from './lifecycle.ts';

export interface ResponseEvent {
  seq: number;
  alertId: string;
  type: ResponseEventType;
  at: number;
  actor: string;
  data: Record<string, unknown>;
}

const iso = (ms: number | undefined): Date | null => (ms === undefined ? null : new Date(ms));

export interface StoredResponse {
  response: AlarmResponse;
  rev: number;
}

export class ResponseStore {
  constructor(private readonly db: Db) {}

  async get(alertId: string, q: Queryable = this.db): Promise<StoredResponse | undefined> {
    const { rows } = await q.query<{ data: AlarmResponse; rev: number }>('SELECT data, rev FROM alert_responses WHERE alert_id = $1', [alertId]);
    const r = rows[0];
    return r ? { response: r.data, rev: r.rev } : undefined;
  }

  /** The records of these alerts (for lists). */
  async many(alertIds: readonly string[]): Promise<Map<string, AlarmResponse>> {
    if (alertIds.length === 0) return new Map();
    const { rows } = await this.db.query<{ alert_id: string; data: AlarmResponse }>('SELECT alert_id, data FROM alert_responses WHERE alert_id = ANY($1)', [
      [...alertIds],
    ]);
    return new Map(rows.map((r) => [r.alert_id, r.data]));
  }

  async events(alertId: string): Promise<ResponseEvent[]> {
    const { rows } = await this.db.query<{ seq: string; alert_id: string; type: ResponseEventType; at: Date; actor: string; data: Record<string, unknown> }>(
      'SELECT seq, alert_id, type, at, actor, data FROM alert_response_events WHERE alert_id = $1 ORDER BY seq',
      [alertId],
    );
    return rows.map((r) => ({ seq: Number(r.seq), alertId: r.alert_id, type: r.type, at: new Date(r.at).getTime(), actor: r.actor, data: r.data }));
  }

  /**
   * For the overdue sweep: alerts whose enterprise still owes a sign-for or feedback, or whose feedback still
   * awaits the officer's review, due by `now` and not yet supervised for it; and those to repair — a
   * supervision recorded on the response but not (yet) on its alarm, a 消警 whose alarm is not disposed (a
   * crash between the two writes).
   */
  async sweepCandidates(now: number, limit: number): Promise<string[]> {
    const has = (reason: string) => `(r.data->'supervisions' @> '[{"reason":"${reason}"}]'::jsonb)`;
    const { rows } = await this.db.query<{ alert_id: string }>(
      `SELECT r.alert_id FROM alert_responses r JOIN alerts a ON a.id = r.alert_id
        WHERE (r.state = 'awaiting_sign' AND r.sign_due_at <= $1 AND NOT ${has('sign_overdue')})
           OR (r.state IN ('awaiting_sign', 'awaiting_feedback') AND r.feedback_due_at <= $1 AND NOT ${has('feedback_overdue')})
           OR (r.state = 'awaiting_review' AND (r.data->>'reviewDueAt')::bigint <= $2 AND NOT ${has('review_overdue')})
           OR (a.state <> 'disposed' AND jsonb_array_length(r.data->'supervisions') > COALESCE(jsonb_array_length(a.data->'supervisions'), 0))
           OR (r.state = 'cleared' AND a.state <> 'disposed')
        ORDER BY r.sign_due_at LIMIT $3`,
      [new Date(now), now, limit],
    );
    return rows.map((r) => r.alert_id);
  }

  /** Earlier false-alarm explanations of the same point and rule at the enterprise since `since`. */
  async falseAlarmsSince(r: Pick<AlarmResponse, 'alertId' | 'enterpriseId' | 'ruleId' | 'subject'>, since: number): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM alert_responses
        WHERE enterprise_id = $1 AND rule_id = $2 AND subject = $3 AND cause = 'false_alarm' AND feedback_at >= $4 AND alert_id <> $5`,
      [r.enterpriseId, r.ruleId, r.subject, new Date(since), r.alertId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Saves the record (insert when `rev` is undefined, else only if still at `rev`) with its event and,
   * for a person's action, its audit record; one transaction.
   */
  async save(
    r: AlarmResponse,
    rev: number | undefined,
    event: { type: ResponseEventType; at: number; actor: string; data: Record<string, unknown> },
  ): Promise<number> {
    const write = async (tx: Queryable): Promise<number> => {
      const cols = [
        r.alertId,
        r.enterpriseId,
        r.ruleId,
        r.subject,
        r.severity,
        r.kind,
        r.state,
        new Date(r.openedAt),
        new Date(r.signDueAt),
        new Date(r.feedbackDueAt),
        iso(r.signedAt),
        iso(r.feedback?.at),
        r.feedback?.cause ?? null,
        r.feedback?.repeatedFalseAlarm ?? false,
        r.rejections,
        iso(r.clearedAt),
        JSON.stringify(r),
      ];
      let next: number;
      if (rev === undefined) {
        const ins = await tx.query(
          `INSERT INTO alert_responses (alert_id, enterprise_id, rule_id, subject, severity, kind, state, opened_at, sign_due_at, feedback_due_at,
                                        signed_at, feedback_at, cause, repeated_false_alarm, rejections, cleared_at, data, rev)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb, 1) ON CONFLICT (alert_id) DO NOTHING RETURNING rev`,
          cols,
        );
        if (ins.rows.length === 0) throw new AppError('CONFLICT', `the response of alert ${r.alertId} exists already`);
        next = 1;
      } else {
        const up = await tx.query<{ rev: number }>(
          `UPDATE alert_responses SET severity = $2, state = $3, sign_due_at = $4, feedback_due_at = $5, signed_at = $6, feedback_at = $7,
                  cause = $8, repeated_false_alarm = $9, rejections = $10, cleared_at = $11, data = $12::jsonb, rev = rev + 1
            WHERE alert_id = $1 AND rev = $13 RETURNING rev`,
          [r.alertId, r.severity, ...cols.slice(6, 7), ...cols.slice(8), rev],
        );
        if (!up.rows[0]) throw new AppError('CONFLICT', `the response of alert ${r.alertId} was changed meanwhile`);
        next = up.rows[0].rev;
      }
      await tx.query('INSERT INTO alert_response_events (alert_id, enterprise_id, type, at, actor, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)', [
        r.alertId,
        r.enterpriseId,
        event.type,
        new Date(event.at),
        event.actor,
        JSON.stringify(event.data),
      ]);
      return next;
    };
    if (!event.actor.startsWith('user:')) return this.db.transaction(write);
    return withAudit(this.db, write, () => ({
      actor: event.actor,
      action: `alert_response.${event.type}`,
      subjectType: 'alert',
      subjectId: r.alertId,
      data: { enterpriseId: r.enterpriseId, state: r.state, ...event.data },
      at: event.at,
    }));
  }
}
