/**
 * Inspection tasks (issue #4 §3–4, §7): the closed loop over HTTP, each call
 * checked for the caller's role (`roles.ts`) and jurisdiction (a task of an
 * enterprise outside the caller's authority subtree answers 404, as if it
 * did not exist).
 *
 *   GET  /api/v1/tasks                       ?state=a,b&open=true&kind=&enterpriseId=&mine=true&inspectorId=&from=&to=&limit=&before=
 *   GET  /api/v1/tasks/:id                   the task, its events, the inspections its visits recorded, the alarms that opened or joined it,
 *                                            the enterprise's address and WGS-84 coordinates (`place`, for the inspector's map link)
 *   GET  /api/v1/tasks/:id/inspectors        who may be assigned (the task's authority first, then those above: joint)   tasks.dispatch
 *   POST /api/v1/tasks                       { alertId }            open (or extend) a task from an alert     tasks.dispatch
 *   POST /api/v1/tasks/:id/assign            { inspectorId }                                                  tasks.dispatch
 *   POST /api/v1/tasks/:id/accept            {}                                                               tasks.work
 *   POST /api/v1/tasks/:id/arrive            {}                     on site (recorded as an inspection)       tasks.work
 *   POST /api/v1/tasks/:id/findings          { findings: [{ itemId, result, note?, evidence?, selfReported? }] } tasks.work
 *   POST /api/v1/tasks/:id/rectification     { deadline }           orders rectification; re-check at the deadline  tasks.order
 *   POST /api/v1/tasks/:id/recheck           { passed, note, evidence?, confirmFiring? }  the re-check visit   tasks.work
 *   POST /api/v1/tasks/:id/escalate          { reason }                                                       tasks.escalate
 *   POST /api/v1/tasks/:id/verify-remotely   { methods: [call|data_review|video_check], note }  a remote verification's outcome; closes it   tasks.dispatch
 *   POST /api/v1/tasks/:id/convert           { reason }             a remote verification becomes an on-site inspection (capped)   tasks.dispatch
 *
 * An alert that is a serious violation (red, or of a rule the catalogue
 * marks `seriousViolation`) opens an on-site inspection task; any other a
 * remote verification (policy.ts `taskKindOf`). Converting one beyond the
 * yearly cap answers 409 with `error.refusal: 'CAP_REACHED'`, as does the
 * arrival of a task whose alerts are not serious.
 *
 * A passed re-check while an alarm of the task's enterprise and matter is
 * still firing or acknowledged answers 409 `ALARM_STILL_FIRING` (the alarms
 * in `error.firing`) unless the inspector confirms it (`confirmFiring: true`;
 * issue #20 §5); the closing event then names the alarms.
 *
 * Findings must answer every checklist item (issue #20 §8: items start unanswered on the phone): a submission
 * missing some, or naming items not on the checklist, answers 400 naming them (`error.items`). Evidence of the
 * findings and of the re-check that names an attachment (`att_…`) must name a photo of this task (400 otherwise).
 *
 * A lifecycle refusal answers 409 (or 403 when it is not the caller's to
 * do) with `error.task` naming it (INVALID_TRANSITION, NOT_THE_INSPECTOR,
 * ITEMS_MISSING, …).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AlertQueries } from '../alerts/query.ts';
import { idSchema } from '../core/contract.ts';
import type { Db } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { authorityChain, enterpriseInScope } from '../core/jurisdiction.ts';
import { shippedSeriousRules, type SeriousRules } from '../inspections/inspection-records.ts';
import { REMOTE_METHODS, TASK_STATES, type Task } from '../inspections/tasks/lifecycle.ts';
import { TASK_KINDS, taskKindOf } from '../inspections/tasks/policy.ts';
import { MATTER_NAMES, matterOf } from '../inspections/tasks/matters.ts';
import { TaskStore, type TaskCommandInput, type TaskJobEffect } from '../inspections/tasks/store.ts';
import { bool, cursorParam, encodeCursor, list, MAX_PAGE, MAX_TIME_MS, timeParam } from './alert-params.ts';
import type { Authenticator, Principal } from './auth.ts';
import { AttachmentStore } from '../ledger/attachments.ts';
import { parse } from './parse.ts';
import type { Permission } from './roles.ts';

export interface TaskRouteDeps {
  db: Db;
  clock: { now(): number };
  auth: Authenticator;
  /** Schedules the re-check and overdue jobs (BullMQ); without it the notifier's sweep schedules them within a minute. */
  taskJobs?: { schedule(effects: readonly TaskJobEffect[]): Promise<void> } | undefined;
  /** The rule catalogue's serious rules (default: the shipped catalogue's). */
  seriousRules?: SeriousRules | undefined;
}

const taskPath = z.strictObject({ id: z.string().min(1).max(100) });

const listQuery = z.strictObject({
  state: list(TASK_STATES).optional(),
  open: bool.optional(),
  /** `inspection` (on site) or `remote_verification` (online patrol) only. */
  kind: z.enum(TASK_KINDS).optional(),
  enterpriseId: idSchema.optional(),
  /** Only the caller's own tasks (an inspector's "my tasks"). */
  mine: bool.optional(),
  inspectorId: idSchema.optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
  before: cursorParam.optional(),
});

const findingInput = z.strictObject({
  itemId: z.string().min(1).max(100),
  result: z.enum(['ok', 'hazard', 'major_hazard']),
  note: z.string().max(4000).default(''),
  /** References to photos, documents, readings. */
  evidence: z.array(z.string().min(1).max(500)).max(50).default([]),
  /**
   * A hazard the enterprise reported itself and is fixing (not punished): true marks it; false or absent
   * leaves it to the enterprise's self-inspection reports (an open one of the same item marks it, named).
   */
  selfReported: z.boolean().default(false),
});

export const taskBodies = {
  open: z.strictObject({ alertId: z.string().min(1).max(100) }),
  assign: z.strictObject({ inspectorId: idSchema }),
  empty: z.strictObject({}),
  findings: z.strictObject({ findings: z.array(findingInput).min(1).max(200) }),
  rectification: z.strictObject({ deadline: z.number().int().positive().max(MAX_TIME_MS) }),
  recheck: z.strictObject({
    passed: z.boolean(),
    note: z.string().trim().min(1).max(4000),
    /** References to photos, documents, readings of the re-check visit (as findings take them: up to 50). */
    evidence: z.array(z.string().trim().min(1).max(500)).max(50).default([]),
    /**
     * The inspector's explicit confirmation (issue #20 §5): the re-check passed although an alarm of the same
     * enterprise and matter is still firing or acknowledged. Without it such a pass answers 409 ALARM_STILL_FIRING
     * naming the alarms; with it the event and the audit record name them.
     */
    confirmFiring: z.boolean().default(false),
  }),
  escalate: z.strictObject({ reason: z.string().trim().min(1).max(4000) }),
  verifyRemotely: z.strictObject({
    /** How it was verified: calling the enterprise, reviewing the monitoring data, checking the video. */
    methods: z
      .array(z.enum(REMOTE_METHODS))
      .min(1)
      .max(REMOTE_METHODS.length)
      .refine((a) => new Set(a).size === a.length, 'each method at most once'),
    /** What was found (核查情况). */
    note: z.string().trim().min(1).max(4000),
  }),
  convert: z.strictObject({ reason: z.string().trim().min(1).max(4000) }),
};

/** A task with its matter's name, for readers. */
export const view = (t: Task) => ({ ...t, matterName: MATTER_NAMES[t.matter] });

export function registerTaskRoutes(app: FastifyInstance, deps: TaskRouteDeps): void {
  const { auth, db, clock } = deps;
  const store = new TaskStore(db, deps.seriousRules);
  const alerts = new AlertQueries(db);
  const files = new AttachmentStore(db, clock);
  /** Evidence that names an attachment (`att_…`) must name one of this task's (400 naming those that are not); other references are free text. */
  const photosOfTask = async (task: Task, evidence: readonly string[]): Promise<void> => {
    await files.checkOwned(
      task.enterpriseId,
      { type: 'task', id: task.id },
      evidence.filter((e) => e.startsWith('att_')),
    );
  };

  /** The task if the caller may see it; 404 alike for missing and out-of-jurisdiction tasks. */
  const visible = async (who: Principal, id: string): Promise<Task> => {
    const task = await store.get(id);
    if (!task || !(await enterpriseInScope(db, who.scope, task.enterpriseId))) throw new AppError('NOT_FOUND', `任务 ${id} 不存在 / task ${id} not found`);
    return task;
  };

  app.get('/api/v1/tasks', { schema: { querystring: listQuery } }, async (req) => {
    const who = await auth.authorize(req, 'tasks.read');
    const q = parse(listQuery, req.query, 'query');
    if (q.mine && q.inspectorId && q.inspectorId !== who.id)
      throw new AppError('BAD_REQUEST', 'query: mine=true 与 inspectorId 只能给一个 / give either mine=true or inspectorId, not both');
    const tasks = await store.list(who.scope, {
      state: q.state,
      open: q.open,
      kind: q.kind,
      enterpriseId: q.enterpriseId,
      inspectorId: q.mine ? who.id : q.inspectorId,
      from: q.from,
      to: q.to,
      limit: q.limit,
      after: q.before ? { createdAt: q.before.startedAt, id: q.before.id } : undefined,
    });
    const last = tasks.length === q.limit ? tasks.at(-1) : undefined;
    return { tasks: tasks.map(view), next: last ? encodeCursor({ startedAt: last.createdAt, id: last.id }) : null };
  });

  app.get('/api/v1/tasks/:id', { schema: { params: taskPath } }, async (req) => {
    const who = await auth.authorize(req, 'tasks.read');
    const task = await visible(who, parse(taskPath, req.params, 'path').id);
    const [events, inspections, linked, place] = await Promise.all([
      store.events(task.id),
      store.inspections(task.id),
      alertsOfTask(db, task),
      placeOf(db, task.enterpriseId),
    ]);
    return { task: view(task), events, inspections, alerts: linked, place };
  });

  // who may be assigned: the enabled inspectors of the task's authority and of those above it (a joint inspection)
  app.get('/api/v1/tasks/:id/inspectors', { schema: { params: taskPath } }, async (req) => {
    const who = await auth.authorize(req, 'tasks.dispatch');
    const task = await visible(who, parse(taskPath, req.params, 'path').id);
    const chain = await authorityChain(db, task.authorityId);
    const { rows } = await db.query<{ id: string; name: string; authority_id: string }>(
      "SELECT id, name, authority_id FROM officers WHERE role = 'inspector' AND NOT disabled AND authority_id = ANY($1::text[]) ORDER BY id",
      [chain],
    );
    return {
      inspectors: rows
        .map((r) => ({ id: r.id, name: r.name, authorityId: r.authority_id, joint: r.authority_id !== task.authorityId }))
        .sort((a, b) => chain.indexOf(a.authorityId) - chain.indexOf(b.authorityId) || a.id.localeCompare(b.id)),
    };
  });

  app.post('/api/v1/tasks', { schema: { body: taskBodies.open } }, async (req, reply) => {
    const who = await auth.authorize(req, 'tasks.dispatch');
    const { alertId } = parse(taskBodies.open, req.body, 'body');
    const alert = await alerts.get(who.scope, alertId);
    if (!alert) throw new AppError('NOT_FOUND', `报警 ${alertId} 不存在 / alert ${alertId} not found`);
    const matter = matterOf(alert.ruleId);
    const serious = await (deps.seriousRules ?? shippedSeriousRules)();
    const kind = taskKindOf(alert, serious(alert.ruleId));
    const r = await store.openFromAlert(
      alert,
      { open: true, trigger: 'manual', kind, matter, reason: { zh: `人工派发：${alert.message.zh}`, en: `dispatched by ${who.actor}: ${alert.message.en}` } },
      clock.now(),
      who.actor,
    );
    if (r.outcome === 'unroutable') throw new AppError('CONFLICT', `无法派发任务：${r.reasonZh} / ${r.reason}`, { expose: { task: 'UNROUTABLE' } });
    req.log.info({ alertId, taskId: r.task.id, outcome: r.outcome, actor: who.actor }, 'inspection task dispatched from an alert');
    return reply.status(r.outcome === 'created' ? 201 : 200).send({ outcome: r.outcome, task: view(r.task) });
  });

  /** A lifecycle step: role, jurisdiction, the command, then the jobs it calls for. */
  const step = <S extends z.ZodType>(
    path: string,
    permission: Permission,
    body: S,
    command: (b: z.output<S>, who: Principal, at: number) => TaskCommandInput,
    check?: (task: Task, who: Principal, body: z.output<S>) => void | Promise<void>,
  ) =>
    app.post(`/api/v1/tasks/:id/${path}`, { schema: { params: taskPath, body } }, async (req: FastifyRequest) => {
      const who = await auth.authorize(req, permission);
      const { id } = parse(taskPath, req.params, 'path');
      const b = parse(body, req.body, 'body');
      const task = await visible(who, id);
      await check?.(task, who, b);
      const now = clock.now();
      const cmd = command(b, who, now);
      let r;
      try {
        r = await store.apply(id, cmd, now);
      } catch (err) {
        if (err instanceof AppError)
          req.log.info({ taskId: id, actor: who.actor, command: cmd.type, refused: err.expose?.task ?? err.code }, 'task step refused');
        throw err;
      }
      if (r.effects.length > 0 && deps.taskJobs) {
        // committed already: if Redis fails now, the notifier's sweep schedules the job within its interval
        await deps.taskJobs.schedule(r.effects).catch((err: unknown) => req.log.error({ err, taskId: id }, 'task deadline job not scheduled; the sweep will'));
      }
      req.log.info({ taskId: id, actor: who.actor, command: cmd.type, state: r.task.state }, 'task step applied');
      return { task: view(r.task) };
    });

  step('assign', 'tasks.dispatch', taskBodies.assign, (b, who, at) => ({ type: 'assign', inspectorId: b.inspectorId, actor: who.actor, at }));
  step('accept', 'tasks.work', taskBodies.empty, (_b, who, at) => ({ type: 'accept', actor: who.actor, at }));
  step('arrive', 'tasks.work', taskBodies.empty, (_b, who, at) => ({ type: 'arrive', actor: who.actor, at }));
  step(
    'findings',
    'tasks.work',
    taskBodies.findings,
    (b, who, at) => ({ type: 'record_findings', actor: who.actor, at, findings: b.findings }),
    async (task, who, b) => {
      // the assigned inspector's submission on site; anyone else's is refused by the lifecycle as before
      if (task.state !== 'on_site' || task.inspectorId !== who.id) return;
      checkFindingsComplete(task, b.findings);
      await photosOfTask(
        task,
        b.findings.flatMap((f) => f.evidence),
      );
    },
  );
  step(
    'rectification',
    'tasks.order',
    taskBodies.rectification,
    (b, who, at) => ({ type: 'order_rectification', actor: who.actor, at, deadline: b.deadline }),
    (task, who) => {
      // an inspector orders rectification of their own task only; a leader of the jurisdiction may for any
      if (who.role === 'inspector' && task.inspectorId !== who.id)
        throw new AppError(
          'FORBIDDEN',
          `只有指派的执法人员（${task.inspectorId ?? '无'}）或领导可以责令整改 / only the assigned inspector (${task.inspectorId ?? 'none'}) or a leader may order rectification`,
          {
            expose: { task: 'NOT_THE_INSPECTOR' },
          },
        );
    },
  );
  step(
    'recheck',
    'tasks.work',
    taskBodies.recheck,
    (b, who, at) => ({
      type: 'recheck_result',
      actor: who.actor,
      at,
      passed: b.passed,
      note: b.note,
      evidence: b.evidence,
      confirmFiring: b.confirmFiring,
    }),
    async (task, who, b) => {
      if (task.state === 'rechecking' && task.inspectorId === who.id) await photosOfTask(task, b.evidence);
    },
  );
  step('escalate', 'tasks.escalate', taskBodies.escalate, (b, who, at) => ({ type: 'escalate', actor: who.actor, at, reason: b.reason }));
  step('verify-remotely', 'tasks.dispatch', taskBodies.verifyRemotely, (b, who, at) => ({
    type: 'verify_remotely',
    actor: who.actor,
    at,
    methods: b.methods,
    note: b.note,
  }));
  step('convert', 'tasks.dispatch', taskBodies.convert, (b, who, at) => ({ type: 'convert_to_inspection', actor: who.actor, at, reason: b.reason }));
}

/**
 * Every checklist item answered once, and nothing else (issue #20 §8): otherwise 400 naming the items —
 * missing ones by their number on the checklist and text, unknown ids as given (`error.items`).
 */
export function checkFindingsComplete(task: Pick<Task, 'checklist'>, findings: readonly { itemId: string }[]): void {
  const ids = new Set(task.checklist.map((i) => i.id));
  const unknown = [...new Set(findings.map((f) => f.itemId).filter((id) => !ids.has(id)))];
  if (unknown.length > 0)
    throw new AppError('BAD_REQUEST', `body.findings: 不在检查表上的项目 / not on the checklist: ${unknown.join(', ')}`, {
      expose: {
        task: 'UNKNOWN_ITEM',
        items: unknown,
        reason: { zh: `不在检查表上的项目：${unknown.join('、')}`, en: `not on the checklist: ${unknown.join(', ')}` },
      },
    });
  const given = new Set(findings.map((f) => f.itemId));
  const missing = task.checklist.map((i, n) => ({ i, n: n + 1 })).filter(({ i }) => !given.has(i.id));
  if (missing.length > 0)
    throw new AppError('BAD_REQUEST', `body.findings: 以下检查项未作答 / unanswered checklist items: ${missing.map(({ i }) => i.id).join(', ')}`, {
      expose: {
        task: 'ITEMS_MISSING',
        items: missing.map(({ i }) => i.id),
        reason: {
          zh: `以下检查项未作答：${missing.map(({ i, n }) => `第 ${n} 项（${i.zh}）`).join('、')}`,
          en: `unanswered checklist items: ${missing.map(({ i, n }) => `no. ${n} (${i.en})`).join(', ')}`,
        },
      },
    });
}

/** Where the enterprise is, for the inspector's map link: its address and WGS-84 coordinates as the ledger has them (null: not on record). */
export interface TaskPlace {
  address: string | null;
  longitude: number | null;
  latitude: number | null;
}

export async function placeOf(db: Db, enterpriseId: string): Promise<TaskPlace> {
  const { rows } = await db.query<{ address: string | null; longitude: number | string | null; latitude: number | string | null }>(
    'SELECT address, longitude, latitude FROM enterprises WHERE id = $1',
    [enterpriseId],
  );
  const r = rows[0];
  if (!r) return { address: null, longitude: null, latitude: null };
  return { address: r.address, longitude: r.longitude === null ? null : Number(r.longitude), latitude: r.latitude === null ? null : Number(r.latitude) };
}

/**
 * An officer's remote verification recorded on an alarm (api/alert-response.ts) completes the alarm's open
 * remote-verification task (the cap rules' 网络巡查, 2025 §七), by the same step as `verify-remotely`; the
 * id of the task it closed, if there was one. A task already past 'created' is left alone.
 */
export function remoteVerificationOfAlert(deps: Pick<TaskRouteDeps, 'db' | 'clock' | 'seriousRules' | 'taskJobs'>) {
  const store = new TaskStore(deps.db, deps.seriousRules);
  return async (alertId: string, who: Principal, method: (typeof REMOTE_METHODS)[number], note: string): Promise<string | undefined> => {
    const { rows } = await deps.db.query<{ id: string }>(
      `SELECT id FROM tasks WHERE kind = 'remote_verification' AND state = 'created' AND data->'alertIds' ? $1 ORDER BY created_at LIMIT 1`,
      [alertId],
    );
    const id = rows[0]?.id;
    if (id === undefined) return undefined;
    const at = deps.clock.now();
    const r = await store.apply(id, { type: 'verify_remotely', actor: who.actor, at, methods: [method], note }, at);
    if (r.effects.length > 0 && deps.taskJobs) await deps.taskJobs.schedule(r.effects);
    return id;
  };
}

/** An alarm that opened or joined a task, as the task detail lists it (issue #20 §5). */
export interface TaskAlert {
  id: string;
  severity: string;
  state: string;
  message: { zh: string; en: string };
  startedAt: number;
  firedAt: number | null;
  ruleId: string;
  /** The alarm that opened the task (the first of its `alertIds`); the others joined it. */
  opened: boolean;
}

/** The alarms of the task's `alertIds`, in that order (the first opened it). */
export async function alertsOfTask(db: Db, task: Pick<Task, 'alertIds'>): Promise<TaskAlert[]> {
  if (task.alertIds.length === 0) return [];
  const { rows } = await db.query<{
    id: string;
    severity: string;
    state: string;
    started_at: Date;
    fired_at: Date | null;
    rule_id: string;
    message: { zh: string; en: string } | null;
  }>("SELECT id, severity, state, started_at, fired_at, rule_id, data->'message' AS message FROM alerts WHERE id = ANY($1::text[])", [task.alertIds]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return task.alertIds.flatMap((id, i) => {
    const r = byId.get(id);
    if (!r) return [];
    return [
      {
        id: r.id,
        severity: r.severity,
        state: r.state,
        message: r.message ?? { zh: r.rule_id, en: r.rule_id },
        startedAt: new Date(r.started_at).getTime(),
        firedAt: r.fired_at ? new Date(r.fired_at).getTime() : null,
        ruleId: r.rule_id,
        opened: i === 0,
      },
    ];
  });
}

/** A task an alarm opened or joined, as the alert detail shows it (issue #20 §5). */
export interface AlertTask {
  id: string;
  state: Task['state'];
  kind: string;
  matter: Task['matter'];
  matterName: { zh: string; en: string };
  /** The alarm opened the task; otherwise it joined it as further evidence. */
  opened: boolean;
}

/** The tasks the alarm opened or joined (task_alerts, keyed by the alarm), for the bureau's view of the alarm only. */
export async function tasksOfAlert(db: Db, alertId: string): Promise<AlertTask[]> {
  const { rows } = await db.query<{ id: string; state: Task['state']; kind: string | null; matter: Task['matter']; first: string | null }>(
    `SELECT t.id, t.state, t.kind, t.matter, t.data->'alertIds'->>0 AS first
       FROM task_alerts ta JOIN tasks t ON t.id = ta.task_id WHERE ta.alert_id = $1 ORDER BY t.created_at, t.id`,
    [alertId],
  );
  return rows.map((r) => ({
    id: r.id,
    state: r.state,
    kind: r.kind ?? 'inspection',
    matter: r.matter,
    matterName: MATTER_NAMES[r.matter],
    opened: r.first === alertId,
  }));
}
