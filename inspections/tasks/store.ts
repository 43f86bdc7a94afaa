/**
 * Inspection tasks in PostgreSQL. `openFromAlert` turns a task decision
 * (policy.ts) into a task sent to the enterprise's own authority only
 * (domain rule 1), or attaches the alert to the open task of the same
 * enterprise and matter; it is idempotent per alert (a retried or replayed
 * job changes nothing) and serialised per enterprise, so two alerts of one
 * matter arriving together open one task. Every change is a task event and
 * an audit record, in the same transaction.
 *
 * A task's kind comes from the decision (policy.ts): an on-site inspection
 * for a serious violation, a remote verification otherwise. The visit of
 * an on-site task is recorded as an inspection resting on the task's alerts
 * (exempt from the cap only if one is serious; counted otherwise, and refused
 * beyond the cap); converting a remote verification checks the cap first.
 */
import { randomUUID } from 'node:crypto';
import { appendAudit } from '../../core/audit.ts';
import { contentHash } from '../../core/canonical-json.ts';
import type { Db, Queryable } from '../../core/db/db.ts';
import { taskOpeningLockKey } from '../../core/db/locks.ts';
import { AppError } from '../../core/errors.ts';
import { authorityChain, Params, scopeSql, whereAll, type Scope } from '../../core/jurisdiction.ts';
import { isHighRiskSector } from '../caps.ts';
import { InspectionRecords, shippedSeriousRules, type SeriousRules } from '../inspection-records.ts';
import { checklistFor } from './checklist.ts';
import { shieldOf } from '../self-inspection-policy.ts';
import { shieldingHazards } from '../self-inspections.ts';
import {
  kindOf,
  TASK_STATES,
  taskTransition,
  type Task,
  type TaskCommand,
  type TaskEffect,
  type TaskEvent,
  type TaskFinding,
  type TaskState,
} from './lifecycle.ts';
import type { TaskDecision, TaskKind } from './policy.ts';
import { matterOf, type Matter } from './matters.ts';

export type OpenOutcome =
  | { outcome: 'created' | 'attached'; task: Task }
  | { outcome: 'already'; task: Task }
  | { outcome: 'unroutable'; reason: string; /** The same in Chinese. */ reasonZh: string };

/**
 * A finding as the inspector gives it. `selfReported: true` marks it (the inspector's judgement); absent or
 * false leaves it to the enterprise's self-inspection reports: a non-compliant finding on an item the
 * enterprise reported before the inspection, not rectified, its deadline not passed, is marked
 * (../self-inspections.ts `shieldingHazards`, ../self-inspection-policy.ts `shieldOf`), with the hazard named.
 */
export type TaskFindingInput = Pick<TaskFinding, 'itemId' | 'result' | 'note' | 'evidence'> & { selfReported?: boolean | undefined };

/** A command as callers give it: an assignment names the inspector only (the store looks up their authority); findings as `TaskFindingInput`. */
export type TaskCommandInput =
  | Exclude<TaskCommand, { type: 'assign' } | { type: 'record_findings' } | { type: 'recheck_result' }>
  | { type: 'assign'; inspectorId: string; actor: string; at: number }
  | { type: 'record_findings'; actor: string; at: number; findings: TaskFindingInput[] }
  | (Omit<Extract<TaskCommand, { type: 'recheck_result' }>, 'firingConfirmed'> & {
      /** The inspector's explicit confirmation that the re-check passed although an alarm of the same matter is still firing. */
      confirmFiring?: boolean | undefined;
    });

/** An alarm of the task's enterprise and matter still firing or acknowledged (not resolved or disposed): it holds up a passed re-check. */
export interface FiringAlarm {
  id: string;
  ruleId: string;
  severity: string;
  state: string;
  message: { zh: string; en: string };
  startedAt: number;
  firedAt: number | null;
}

/**
 * The alarms of `enterpriseId` whose rule (or a consolidated member's) is of `matter` (matters.ts), still
 * firing or acknowledged, oldest first (the enterprise's active alarms: index alerts_enterprise_state).
 */
export async function firingAlarmsOf(q: Queryable, enterpriseId: string, matter: Matter): Promise<FiringAlarm[]> {
  const { rows } = await q.query<{
    id: string;
    rule_id: string;
    severity: string;
    state: string;
    started_at: Date;
    fired_at: Date | null;
    message: { zh: string; en: string } | null;
    members: Record<string, unknown> | null;
  }>(
    `SELECT id, rule_id, severity, state, started_at, fired_at, data->'message' AS message, data->'members' AS members
       FROM alerts WHERE enterprise_id = $1 AND state IN ('firing', 'acknowledged') ORDER BY started_at, id`,
    [enterpriseId],
  );
  return rows
    .filter((r) => [r.rule_id, ...Object.keys(r.members ?? {})].some((rule) => matterOf(rule) === matter))
    .map((r) => ({
      id: r.id,
      ruleId: r.rule_id,
      severity: r.severity,
      state: r.state,
      message: r.message ?? { zh: r.rule_id, en: r.rule_id },
      startedAt: new Date(r.started_at).getTime(),
      firedAt: r.fired_at ? new Date(r.fired_at).getTime() : null,
    }));
}

/** The jobs a change calls for (the store has carried out the rest, e.g. recording the visit as an inspection). */
export type TaskJobEffect = Extract<TaskEffect, { type: 'schedule_recheck' | 'schedule_overdue' }>;

export interface TaskFilter {
  state?: TaskState[] | undefined;
  /** Only open (not closed or escalated) tasks. */
  open?: boolean | undefined;
  enterpriseId?: string | undefined;
  /** On-site inspections or remote verifications only. */
  kind?: TaskKind | undefined;
  inspectorId?: string | undefined;
  /** Created at or after / before, epoch ms. */
  from?: number | undefined;
  to?: number | undefined;
  limit: number;
  /** Keyset position: the last task of the previous page. */
  after?: { createdAt: number; id: string } | undefined;
}

/**
 * What an audit record seals of a task step: the event as `task_events`
 * stores it, and the hash of the task row as it stands after the step —
 * `verifyRecords` (records-check.ts) compares the stored rows with them.
 */
export function sealOf(task: Task, e: TaskEvent): { event: Omit<TaskEvent, 'taskId'>; taskHash: string } {
  return {
    event: { type: e.type, at: e.at, actor: e.actor, from: e.from, to: e.to, detail: e.detail },
    taskHash: contentHash(JSON.parse(JSON.stringify(task))),
  };
}

/** A repeated hazard: the same matter at the same enterprise within a year of a task that found hazards. */
export const REPEAT_WINDOW_MS = 365 * 86_400_000;

export class TaskStore {
  constructor(
    private readonly db: Db,
    /** The catalogue's serious rules: the basis of a visit's exemption. */
    private readonly seriousRules: SeriousRules = shippedSeriousRules,
  ) {}

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
        `INSERT INTO tasks (id, enterprise_id, authority_id, matter, origin, state, data, rev, created_at, updated_at, kind)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 1, $8, $8, $9)`,
        [task.id, task.enterpriseId, task.authorityId, task.matter, task.origin, task.state, JSON.stringify(task), new Date(now), kindOf(task)],
      );
    } else {
      await tx.query('UPDATE tasks SET state = $2, data = $3::jsonb, rev = rev + 1, updated_at = $4, kind = $5 WHERE id = $1', [
        task.id,
        task.state,
        JSON.stringify(task),
        new Date(now),
        kindOf(task),
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
  async openFromAlert(
    alert: { id: string; enterpriseId: string },
    decision: Extract<TaskDecision, { open: true }>,
    now: number,
    actor = 'system:tasks',
  ): Promise<OpenOutcome> {
    return this.db.transaction(async (tx) => {
      // one enterprise at a time: two alerts of a matter arriving together open one task
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [taskOpeningLockKey(alert.enterpriseId)]);
      const seen = await tx.query<{ task_id: string }>('SELECT task_id FROM task_alerts WHERE alert_id = $1', [alert.id]);
      if (seen.rows[0]) return { outcome: 'already', task: (await this.get(seen.rows[0].task_id, tx))! };

      const ent = await tx.query<{ authority_id: string | null; sector: string; high_risk: boolean | null }>(
        'SELECT authority_id, sector, high_risk FROM enterprises WHERE id = $1',
        [alert.enterpriseId],
      );
      const e = ent.rows[0];
      if (!e || e.authority_id === null) {
        const reason = !e ? `enterprise ${alert.enterpriseId} is not in the ledger` : `enterprise ${alert.enterpriseId} has no supervising authority`;
        const reasonZh = !e ? `企业 ${alert.enterpriseId} 不在台账中` : `企业 ${alert.enterpriseId} 没有监管执法主体`;
        await appendAudit(tx, {
          actor,
          action: 'task.unroutable',
          subjectType: 'alert',
          subjectId: alert.id,
          data: { decision, reason },
          at: now,
        });
        return { outcome: 'unroutable', reason, reasonZh };
      }

      const open = await tx.query<{ data: Task }>(
        "SELECT data FROM tasks WHERE enterprise_id = $1 AND matter = $2 AND origin <> 'recheck' AND state NOT IN ('closed', 'escalated') FOR UPDATE",
        [alert.enterpriseId, decision.matter],
      );
      const current = open.rows[0]?.data;
      let task: Task;
      let events: TaskEvent[];
      if (current) {
        const r = taskTransition(current, { type: 'attach_alert', alertId: alert.id, at: now, serious: decision.kind === 'inspection' });
        if (!r.ok) throw new AppError('CONFLICT', r.error.message);
        ({ task, events } = r);
        await this.write(tx, task, events, false, now);
      } else {
        const prior = await tx.query<{ id: string; closed_at: Date }>(
          `SELECT id, updated_at AS closed_at FROM tasks
            WHERE enterprise_id = $1 AND matter = $2 AND state IN ('closed', 'escalated') AND data->>'outcome' IN ('rectified', 'escalated') AND updated_at >= $3
            ORDER BY updated_at DESC LIMIT 1`,
          [alert.enterpriseId, decision.matter, new Date(now - REPEAT_WINDOW_MS)],
        );
        const repeatOf = prior.rows[0]?.id;
        task = {
          id: randomUUID(),
          ...(repeatOf ? { repeatOf } : {}),
          enterpriseId: alert.enterpriseId,
          authorityId: e.authority_id,
          joint: false,
          matter: decision.matter,
          origin: 'data_monitoring',
          kind: decision.kind,
          state: 'created',
          checklist: checklistFor(decision.matter, e.sector),
          alertIds: [alert.id],
          createdAt: now,
          findings: [],
        };
        events = [
          {
            taskId: task.id,
            type: 'attach_alert',
            at: now,
            actor,
            from: 'created',
            to: 'created',
            detail: `opened${decision.kind === 'remote_verification' ? ' for remote verification' : ''}: ${decision.reason.en}${repeatOf ? ` (repeated: task ${repeatOf} found this hazard within the year)` : ''}`,
          },
        ];
        await this.write(tx, task, events, true, now);
      }
      await tx.query('INSERT INTO task_alerts (alert_id, task_id) VALUES ($1, $2)', [alert.id, task.id]);
      await appendAudit(tx, {
        actor,
        action: current ? 'task.alert_attached' : 'task.created',
        subjectType: 'task',
        subjectId: task.id,
        data: {
          alertId: alert.id,
          enterpriseId: task.enterpriseId,
          authorityId: task.authorityId,
          matter: task.matter,
          trigger: decision.trigger,
          kind: kindOf(task),
          reason: decision.reason,
          highRisk: e.high_risk ?? isHighRiskSector(e.sector),
          ...(task.repeatOf ? { repeatOf: task.repeatOf } : {}),
          ...sealOf(task, events[0]!),
        },
        at: now,
      });
      return { outcome: current ? 'attached' : 'created', task };
    });
  }

  /**
   * Applies a lifecycle command in one transaction: the task row locked, an
   * assignment's inspector looked up (an enabled inspector of the task's
   * authority or one above it), a visit recorded as an inspection, events
   * and audit records written. Returns the task and the jobs to schedule.
   */
  async apply(taskId: string, input: TaskCommandInput, now: number): Promise<{ task: Task; effects: TaskJobEffect[] }> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ data: Task }>('SELECT data FROM tasks WHERE id = $1 FOR UPDATE', [taskId]);
      const task = rows[0]?.data;
      if (!task) throw new AppError('NOT_FOUND', `任务 ${taskId} 不存在 / task ${taskId} not found`);
      let cmd: TaskCommand;
      let recheck: Extract<TaskCommand, { type: 'recheck_result' }> | undefined;
      if (input.type === 'assign') {
        const o = await tx.query<{ authority_id: string; role: string }>('SELECT authority_id, role FROM officers WHERE id = $1 AND NOT disabled', [
          input.inspectorId,
        ]);
        const inspector = o.rows[0];
        if (!inspector || inspector.role !== 'inspector')
          throw new AppError('BAD_REQUEST', `${input.inspectorId} 不是在岗的执法人员 / ${input.inspectorId} is not an enabled inspector`, {
            expose: { task: 'NOT_AN_INSPECTOR' },
          });
        cmd = { ...input, inspectorAuthorityId: inspector.authority_id, taskAuthorityChain: await authorityChain(tx, task.authorityId) };
      } else if (input.type === 'record_findings') cmd = { ...input, findings: await this.markSelfReported(tx, task, input.findings, input.at) };
      else if (input.type === 'recheck_result') {
        const { confirmFiring: _confirm, ...rest } = input;
        void _confirm;
        recheck = rest;
        cmd = rest;
      } else cmd = input;
      let r = taskTransition(task, cmd);
      if (!r.ok)
        throw new AppError(r.error.code === 'NOT_THE_INSPECTOR' || r.error.code === 'WRONG_AUTHORITY' ? 'FORBIDDEN' : 'CONFLICT', r.error.message, {
          expose: { task: r.error.code },
        });
      // a passed re-check while an alarm of the same matter still fires closes nothing without the inspector's
      // explicit confirmation (issue #20 §5); the confirmation is recorded in the event and the audit record
      if (input.type === 'recheck_result' && input.passed) {
        const firing = await firingAlarmsOf(tx, task.enterpriseId, task.matter);
        if (firing.length > 0 && input.confirmFiring !== true) {
          const zh = firing.map((a) => `${a.id}（${a.message.zh}）`).join('、');
          const en = firing.map((a) => `${a.id} (${a.message.en})`).join(', ');
          throw new AppError(
            'CONFLICT',
            `同一事项的报警仍在持续：${zh}；确认复查合格须明确确认（confirmFiring: true） / alarm(s) of the same matter still firing: ${en}; confirm the pass explicitly (confirmFiring: true)`,
            {
              expose: {
                task: 'ALARM_STILL_FIRING',
                firing,
                reason: {
                  zh: `同一事项的报警仍在持续：${zh}；确认复查合格须明确确认`,
                  en: `alarm(s) of the same matter still firing: ${en}; confirm the pass explicitly`,
                },
              },
            },
          );
        }
        if (firing.length > 0) {
          cmd = { ...recheck!, firingConfirmed: firing.map((a) => a.id) };
          r = taskTransition(task, cmd);
          if (!r.ok) throw new AppError('CONFLICT', r.error.message, { expose: { task: r.error.code } });
        }
      }
      const ledger = new InspectionRecords(this.db, this.seriousRules);
      // a remote verification turned into an on-site inspection is a capped inspection: refused at once when none is left
      if (cmd.type === 'convert_to_inspection') await ledger.checkCapped(tx, task.enterpriseId, cmd.at);
      await this.write(tx, r.task, r.events, false, now);
      for (const e of r.events)
        await appendAudit(tx, {
          actor: e.actor,
          action: `task.${e.type}`,
          subjectType: 'task',
          subjectId: taskId,
          data: { from: e.from, to: e.to, detail: e.detail, command: cmd, ...sealOf(r.task, e) },
          at: now,
        });
      const jobs: TaskJobEffect[] = [];
      for (const effect of r.effects) {
        if (effect.type !== 'record_inspection') {
          jobs.push(effect);
          continue;
        }
        // the visit counts as an inspection of its origin, resting on the task's alerts: exempt if one is a serious
        // violation, counted against the cap otherwise (and refused beyond it); re-checks are exempt
        const t = r.task;
        await ledger.recordIn(
          tx,
          {
            enterpriseId: t.enterpriseId,
            authorityId: t.inspectorAuthorityId ?? t.authorityId,
            origin: effect.origin,
            at: effect.at,
            note: `task ${t.id}`,
            ...(effect.origin === 'data_monitoring' ? { alertIds: t.alertIds } : {}),
          },
          'actor' in cmd ? cmd.actor : 'system:tasks',
          now,
          { taskId: t.id, onUnfounded: 'count' },
        );
      }
      return { task: r.task, effects: jobs };
    });
  }

  /**
   * The findings with their self-reported mark (domain rule 11): matched against the enterprise's
   * self-reported hazards as they stood when the inspection began (the latest arrival on site).
   */
  private async markSelfReported(tx: Queryable, task: Task, findings: readonly TaskFindingInput[], at: number): Promise<TaskFinding[]> {
    const arrived = await tx.query<{ at: Date }>("SELECT at FROM task_events WHERE task_id = $1 AND type = 'arrive' ORDER BY seq DESC LIMIT 1", [task.id]);
    const since = arrived.rows[0] ? new Date(arrived.rows[0].at).getTime() : at;
    const hazards = findings.some((f) => f.result !== 'ok') ? await shieldingHazards(tx, task.enterpriseId, since) : [];
    return findings.map((f) => {
      const base = { itemId: f.itemId, result: f.result, note: f.note, evidence: f.evidence };
      const explicit = f.selfReported === true;
      if (f.result === 'ok') return { ...base, selfReported: explicit };
      const d = shieldOf(f.itemId, hazards, since);
      if (d.shielded) return { ...base, selfReported: true, selfReportedHazardId: d.hazardId };
      return {
        ...base,
        selfReported: explicit,
        ...(d.hazardId ? { selfReportMiss: { hazardId: d.hazardId, reason: d.reason as 'reported_after' | 'rectified' | 'deadline_passed' } } : {}),
      };
    });
  }

  /** One page of tasks in `scope`, newest first. */
  async list(scope: Scope, f: TaskFilter): Promise<Task[]> {
    const p = new Params();
    const s = scopeSql(scope, p, 't.enterprise_id');
    const conds = [
      s.cond,
      f.state?.length ? `t.state = ANY(${p.add(f.state)}::text[])` : undefined,
      f.open ? `t.state NOT IN ('closed', 'escalated')` : undefined,
      f.enterpriseId ? `t.enterprise_id = ${p.add(f.enterpriseId)}` : undefined,
      f.kind ? `t.kind = ${p.add(f.kind)}` : undefined,
      f.inspectorId ? `t.data->>'inspectorId' = ${p.add(f.inspectorId)}` : undefined,
      f.from !== undefined ? `t.created_at >= ${p.add(new Date(f.from))}` : undefined,
      f.to !== undefined ? `t.created_at < ${p.add(new Date(f.to))}` : undefined,
      f.after ? `(t.created_at, t.id) < (${p.add(new Date(f.after.createdAt))}, ${p.add(f.after.id)})` : undefined,
    ];
    const { rows } = await this.db.query<{ data: Task }>(
      `${s.cte}SELECT t.data FROM tasks t ${whereAll(conds)} ORDER BY t.created_at DESC, t.id DESC LIMIT ${p.add(f.limit)}`,
      p.values,
    );
    return rows.map((r) => r.data);
  }

  /** The inspections the task's visits recorded. */
  async inspections(taskId: string): Promise<{ id: string; origin: string; authorityId: string; joint: boolean; at: number }[]> {
    const { rows } = await this.db.query<{ id: string; origin: string; authority_id: string; joint: boolean; at: Date }>(
      'SELECT id, origin, authority_id, joint, at FROM inspections WHERE task_id = $1 ORDER BY at',
      [taskId],
    );
    return rows.map((r) => ({ id: r.id, origin: r.origin, authorityId: r.authority_id, joint: r.joint, at: new Date(r.at).getTime() }));
  }

  /** Tasks waiting on a deadline: rectifying (re-check due at the deadline) and rechecking (overdue after it). */
  async waiting(): Promise<Task[]> {
    const { rows } = await this.db.query<{ data: Task }>("SELECT data FROM tasks WHERE state IN ('rectifying', 'rechecking')");
    return rows.map((r) => r.data);
  }
}

export const isTaskState = (s: string): s is TaskState => (TASK_STATES as readonly string[]).includes(s);
