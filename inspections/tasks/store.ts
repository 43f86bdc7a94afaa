/**
 * Inspection tasks in PostgreSQL. `openFromAlert` turns a task decision
 * (policy.ts) into a task sent to the enterprise's own authority only
 * (domain rule 1), or attaches the alert to the open task of the same
 * enterprise and matter; it is idempotent per alert (a retried or replayed
 * job changes nothing) and serialised per enterprise, so two alerts of one
 * matter arriving together open one task. Every change is a task event and
 * an audit record, in the same transaction.
 */
import { randomUUID } from 'node:crypto';
import { appendAudit } from '../../core/audit.ts';
import type { Db, Queryable } from '../../core/db/db.ts';
import { AppError } from '../../core/errors.ts';
import { isHighRiskSector } from '../caps.ts';
import { checklistFor } from './checklist.ts';
import { taskTransition, type Task, type TaskCommand, type TaskEffect, type TaskEvent } from './lifecycle.ts';
import type { TaskDecision } from './policy.ts';

export type OpenOutcome = { outcome: 'created' | 'attached'; task: Task } | { outcome: 'already'; task: Task } | { outcome: 'unroutable'; reason: string };

export class TaskStore {
  constructor(private readonly db: Db) {}

  async get(id: string, q: Queryable = this.db): Promise<Task | undefined> {
    const { rows } = await q.query<{ data: Task }>('SELECT data FROM tasks WHERE id = $1', [id]);
    return rows[0]?.data;
  }

  async events(taskId: string): Promise<TaskEvent[]> {
    const { rows } = await this.db.query<{
      task_id: string;
      type: TaskEvent['type'];
      at: Date;
      actor: string;
      from_state: Task['state'];
      to_state: Task['state'];
      detail: string;
    }>('SELECT task_id, type, at, actor, from_state, to_state, detail FROM task_events WHERE task_id = $1 ORDER BY seq', [taskId]);
    return rows.map((r) => ({
      taskId: r.task_id,
      type: r.type,
      at: new Date(r.at).getTime(),
      actor: r.actor,
      from: r.from_state,
      to: r.to_state,
      detail: r.detail,
    }));
  }

  /** Open tasks of an enterprise (re-checks included), oldest first. */
  async open(enterpriseId: string): Promise<Task[]> {
    const { rows } = await this.db.query<{ data: Task }>(
      "SELECT data FROM tasks WHERE enterprise_id = $1 AND state NOT IN ('closed', 'escalated') ORDER BY created_at",
      [enterpriseId],
    );
    return rows.map((r) => r.data);
  }

  private async write(tx: Queryable, task: Task, events: TaskEvent[], insert: boolean, now: number): Promise<void> {
    if (insert) {
      await tx.query(
        `INSERT INTO tasks (id, enterprise_id, authority_id, matter, origin, state, data, rev, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 1, $8, $8)`,
        [task.id, task.enterpriseId, task.authorityId, task.matter, task.origin, task.state, JSON.stringify(task), new Date(now)],
      );
    } else {
      await tx.query('UPDATE tasks SET state = $2, data = $3::jsonb, rev = rev + 1, updated_at = $4 WHERE id = $1', [
        task.id,
        task.state,
        JSON.stringify(task),
        new Date(now),
      ]);
    }
    for (const e of events) {
      await tx.query('INSERT INTO task_events (task_id, type, at, actor, from_state, to_state, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        e.taskId,
        e.type,
        new Date(e.at),
        e.actor,
        e.from,
        e.to,
        e.detail,
      ]);
    }
  }

  /** Opens a task for the alert, or attaches it to the open one of the same enterprise and matter. */
  async openFromAlert(alert: { id: string; enterpriseId: string }, decision: Extract<TaskDecision, { open: true }>, now: number): Promise<OpenOutcome> {
    return this.db.transaction(async (tx) => {
      // one enterprise at a time: two alerts of a matter arriving together open one task
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`task:${alert.enterpriseId}`]);
      const seen = await tx.query<{ task_id: string }>('SELECT task_id FROM task_alerts WHERE alert_id = $1', [alert.id]);
      if (seen.rows[0]) return { outcome: 'already', task: (await this.get(seen.rows[0].task_id, tx))! };

      const ent = await tx.query<{ authority_id: string | null; sector: string; high_risk: boolean | null }>(
        'SELECT authority_id, sector, high_risk FROM enterprises WHERE id = $1',
        [alert.enterpriseId],
      );
      const e = ent.rows[0];
      if (!e || e.authority_id === null) {
        const reason = !e ? `enterprise ${alert.enterpriseId} is not in the ledger` : `enterprise ${alert.enterpriseId} has no supervising authority`;
        await appendAudit(tx, {
          actor: 'system:tasks',
          action: 'task.unroutable',
          subjectType: 'alert',
          subjectId: alert.id,
          data: { decision, reason },
          at: now,
        });
        return { outcome: 'unroutable', reason };
      }

      const open = await tx.query<{ data: Task }>(
        "SELECT data FROM tasks WHERE enterprise_id = $1 AND matter = $2 AND origin <> 'recheck' AND state NOT IN ('closed', 'escalated') FOR UPDATE",
        [alert.enterpriseId, decision.matter],
      );
      const current = open.rows[0]?.data;
      let task: Task;
      let events: TaskEvent[];
      if (current) {
        const r = taskTransition(current, { type: 'attach_alert', alertId: alert.id, at: now });
        if (!r.ok) throw new AppError('CONFLICT', r.error.message);
        ({ task, events } = r);
        await this.write(tx, task, events, false, now);
      } else {
        task = {
          id: randomUUID(),
          enterpriseId: alert.enterpriseId,
          authorityId: e.authority_id,
          joint: false,
          matter: decision.matter,
          origin: 'data_monitoring',
          state: 'created',
          checklist: checklistFor(decision.matter, e.sector),
          alertIds: [alert.id],
          createdAt: now,
          findings: [],
        };
        events = [
          { taskId: task.id, type: 'attach_alert', at: now, actor: 'system:tasks', from: 'created', to: 'created', detail: `opened: ${decision.reason.en}` },
        ];
        await this.write(tx, task, events, true, now);
      }
      await tx.query('INSERT INTO task_alerts (alert_id, task_id) VALUES ($1, $2)', [alert.id, task.id]);
      await appendAudit(tx, {
        actor: 'system:tasks',
        action: current ? 'task.alert_attached' : 'task.created',
        subjectType: 'task',
        subjectId: task.id,
        data: {
          alertId: alert.id,
          enterpriseId: task.enterpriseId,
          authorityId: task.authorityId,
          matter: task.matter,
          trigger: decision.trigger,
          reason: decision.reason,
          highRisk: e.high_risk ?? isHighRiskSector(e.sector),
        },
        at: now,
      });
      return { outcome: current ? 'attached' : 'created', task };
    });
  }

  /** Applies a lifecycle command; returns the task and the effects the caller must carry out. */
  async apply(taskId: string, cmd: TaskCommand, now: number): Promise<{ task: Task; effects: TaskEffect[] }> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ data: Task }>('SELECT data FROM tasks WHERE id = $1 FOR UPDATE', [taskId]);
      const task = rows[0]?.data;
      if (!task) throw new AppError('NOT_FOUND', `task ${taskId} not found`);
      const r = taskTransition(task, cmd);
      if (!r.ok)
        throw new AppError(r.error.code === 'NOT_THE_INSPECTOR' || r.error.code === 'WRONG_AUTHORITY' ? 'FORBIDDEN' : 'CONFLICT', r.error.message, {
          expose: { task: r.error.code },
        });
      await this.write(tx, r.task, r.events, false, now);
      for (const e of r.events)
        await appendAudit(tx, {
          actor: e.actor,
          action: `task.${e.type}`,
          subjectType: 'task',
          subjectId: taskId,
          data: { from: e.from, to: e.to, detail: e.detail, command: cmd },
          at: now,
        });
      return { task: r.task, effects: r.effects };
    });
  }
}
