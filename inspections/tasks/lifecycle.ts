/**
 * The closed loop of an inspection task (闭环管理; domain rule 6). Pure:
 * `taskTransition(task, command)` returns the next task and its events, or
 * an error code; the caller persists both (and the audit record) and turns
 * `effects` into jobs (a delayed re-check at the rectification deadline).
 *
 *   created → assigned → accepted → on_site → findings recorded
 *     no hazard                       → closed
 *     hazards → rectification ordered (deadline) → re-check due at the deadline
 *       re-check passed               → closed
 *       re-check failed, or overdue   → escalated
 *
 * Assignment goes to an inspector of the task's authority, or of one above
 * it (a joint inspection, 联合检查). Arriving on site and the re-check
 * visit each record an inspection (effects the store carries out in the
 * same transaction).
 *
 * Alerts of the same enterprise and matter attach to an open task as further
 * evidence. A failing finding on a checklist item marked major is a major
 * hazard. A hazard the enterprise reported itself and is fixing is marked
 * `selfReported` (domain rule 11: not punished; `forCaseHandling` leaves it
 * out) — by the inspector, or by the store when the finding matches an open
 * self-reported hazard of the enterprise (../self-inspections.ts).
 *
 * A remote verification task (kind `remote_verification`, opened by an
 * alert that is not a serious violation; policy.ts) is an online patrol:
 *
 *   created → verified remotely (call / data review / video check + note) → closed
 *   created → converted to an on-site inspection (a reason recorded) → the loop above
 *
 * It is never assigned or visited as such and records no inspection. A
 * serious alert attached to it while it waits makes it an on-site
 * inspection task. The conversion's cap check is the store's.
 */
import type { Origin } from '../caps.ts';
import type { ChecklistItem } from './checklist.ts';
import type { Matter } from './matters.ts';
import type { TaskKind } from './policy.ts';

/** How a remote verification was done (线上巡查): calling the enterprise, reviewing the monitoring data, checking the video. */
export const REMOTE_METHODS = ['call', 'data_review', 'video_check'] as const;
export type RemoteMethod = (typeof REMOTE_METHODS)[number];

export const TASK_STATES = ['created', 'assigned', 'accepted', 'on_site', 'findings_recorded', 'rectifying', 'rechecking', 'closed', 'escalated'] as const;
export type TaskState = (typeof TASK_STATES)[number];
const FINAL: ReadonlySet<TaskState> = new Set(['closed', 'escalated']);

export interface TaskFinding {
  itemId: string;
  result: 'ok' | 'hazard' | 'major_hazard';
  note: string;
  /** References to photos, documents, readings. */
  evidence: string[];
  /** Reported by the enterprise's own self-inspection and being fixed (not punished; not for case handling: `forCaseHandling`). */
  selfReported: boolean;
  /**
   * The enterprise's self-reported hazard (inspections/self-inspections.ts) of the same checklist item that
   * the mark rests on: open, reported before the inspection, its deadline not passed. Absent when the
   * inspector marked it without one.
   */
  selfReportedHazardId?: string | undefined;
  /** A self-reported hazard of the same item that no longer shields the finding, and why. */
  selfReportMiss?: { hazardId: string; reason: 'reported_after' | 'rectified' | 'deadline_passed' } | undefined;
}

/**
 * The findings to hand to case handling (立案; domain rule 6: a violation is not settled by a rectification
 * order alone): the hazards, except those the enterprise reported itself and is fixing (domain rule 11,
 * 应急〔2025〕11号 §十 "已按规定报告并正在采取有效措施消除的依法不予处罚") — those are rectified and
 * re-checked like any other, but are not punished and not treated as concealment.
 */
export const forCaseHandling = (findings: readonly TaskFinding[]): TaskFinding[] => findings.filter((f) => f.result !== 'ok' && !f.selfReported);

export interface Task {
  id: string;
  enterpriseId: string;
  /** The enterprise's authority, or one above it (then `joint`). */
  authorityId: string;
  joint: boolean;
  matter: Matter;
  origin: Origin;
  /** On site (`inspection`, also every task stored before kinds existed) or an online patrol (`remote_verification`). */
  kind?: TaskKind | undefined;
  /** The outcome of a remote verification. */
  remoteVerification?: { methods: RemoteMethod[]; note: string; actor: string; at: number } | undefined;
  /** Why a remote verification became an on-site inspection, and who decided. */
  conversion?: { reason: string; actor: string; at: number } | undefined;
  /**
   * The re-check visit's record (issue #20 §5): passed or not, the inspector's note and evidence, and the
   * alarms of the same matter still firing that the inspector confirmed the pass over (`firingConfirmed`).
   */
  recheck?: { passed: boolean; note: string; evidence: string[]; actor: string; at: number; firingConfirmed?: string[] | undefined } | undefined;
  /** For a re-check task: the task whose rectification it checks. */
  recheckOf?: string | undefined;
  /** The task that found the same matter's hazard at this enterprise within the year (a repeated hazard). */
  repeatOf?: string | undefined;
  state: TaskState;
  checklist: ChecklistItem[];
  alertIds: string[];
  inspectorId?: string | undefined;
  /** The assigned inspector's authority (above the task's in a joint inspection). */
  inspectorAuthorityId?: string | undefined;
  createdAt: number;
  findings: TaskFinding[];
  rectificationDeadline?: number | undefined;
  closedAt?: number | undefined;
  outcome?: 'no_hazard' | 'rectified' | 'escalated' | 'verified_remotely' | undefined;
}

/** A task's kind; tasks stored before kinds existed are on-site inspections. */
export const kindOf = (t: Pick<Task, 'kind'>): TaskKind => t.kind ?? 'inspection';

export type TaskCommand =
  | {
      type: 'attach_alert';
      alertId: string;
      at: number;
      /** A serious violation (policy.ts `taskKindOf`): makes a waiting remote verification an on-site inspection. */
      serious?: boolean | undefined;
    }
  | { type: 'verify_remotely'; actor: string; at: number; methods: RemoteMethod[]; note: string }
  | { type: 'convert_to_inspection'; actor: string; at: number; reason: string }
  | {
      type: 'assign';
      inspectorId: string;
      inspectorAuthorityId: string;
      /** The task's authority and those above it, nearest first: an inspector of one above makes the inspection joint. */
      taskAuthorityChain: readonly string[];
      actor: string;
      at: number;
    }
  | { type: 'accept'; actor: string; at: number }
  | { type: 'arrive'; actor: string; at: number }
  | { type: 'record_findings'; actor: string; at: number; findings: TaskFinding[] }
  | { type: 'order_rectification'; actor: string; at: number; deadline: number }
  | { type: 'recheck_due'; at: number }
  | {
      type: 'recheck_result';
      actor: string;
      at: number;
      passed: boolean;
      note: string;
      /** References to photos, documents, readings of the re-check visit. */
      evidence?: string[] | undefined;
      /** A pass the inspector confirmed while these alarms of the same enterprise and matter were still firing (the store checks). */
      firingConfirmed?: string[] | undefined;
    }
  | { type: 'escalate'; actor: string; at: number; reason: string };

export interface TaskEvent {
  taskId: string;
  type: TaskCommand['type'];
  at: number;
  actor: string;
  from: TaskState;
  to: TaskState;
  detail: string;
}

/**
 * What the caller must do besides persisting: schedule the re-check at the
 * deadline, and the overdue check after it (delayed jobs keyed by task and
 * deadline); record the inspection a visit makes (on site: the task's
 * origin; the re-check visit: 'recheck').
 */
export type TaskEffect =
  | { type: 'schedule_recheck'; taskId: string; at: number }
  | { type: 'schedule_overdue'; taskId: string; deadline: number }
  | { type: 'record_inspection'; taskId: string; origin: Origin; at: number };

export type TaskErrorCode =
  'INVALID_TRANSITION' | 'WRONG_KIND' | 'NOT_THE_INSPECTOR' | 'WRONG_AUTHORITY' | 'UNKNOWN_ITEM' | 'ITEMS_MISSING' | 'BAD_DEADLINE' | 'FINAL';

export type TaskResult = { ok: true; task: Task; events: TaskEvent[]; effects: TaskEffect[] } | { ok: false; error: { code: TaskErrorCode; message: string } };

/** A refusal, said in both languages ("中文 / English": the console shows its language's side, logs keep both). */
const fail = (code: TaskErrorCode, zh: string, en: string): TaskResult => ({ ok: false, error: { code, message: `${zh} / ${en}` } });

/** The states and steps as a refusal names them in Chinese (the console's words, console/i18n.ts). */
const STATE_ZH: Record<TaskState, string> = {
  created: '待派发',
  assigned: '已派发',
  accepted: '已接收',
  on_site: '现场检查',
  findings_recorded: '已记录问题',
  rectifying: '整改中',
  rechecking: '待复查',
  closed: '已闭环',
  escalated: '已升级督办',
};
const STEP_ZH: Record<TaskCommand['type'], string> = {
  attach_alert: '关联报警',
  assign: '派发',
  accept: '接收任务',
  arrive: '到达现场',
  record_findings: '记录检查结果',
  order_rectification: '责令整改',
  recheck_due: '进入复查',
  recheck_result: '记录复查结果',
  escalate: '升级',
  verify_remotely: '远程核查',
  convert_to_inspection: '转为现场检查',
};
const onlyInspector = (task: Task, zhStep: string, enStep: string): TaskResult =>
  fail(
    'NOT_THE_INSPECTOR',
    `只有指派的执法人员（${task.inspectorId ?? '无'}）可以${zhStep}`,
    `only the assigned inspector (${task.inspectorId ?? 'none'}) may ${enStep}`,
  );

const ALLOWED: Record<TaskCommand['type'], readonly TaskState[]> = {
  attach_alert: ['created', 'assigned', 'accepted', 'on_site', 'findings_recorded', 'rectifying', 'rechecking'],
  assign: ['created', 'assigned'],
  accept: ['assigned'],
  arrive: ['accepted'],
  record_findings: ['on_site'],
  order_rectification: ['findings_recorded'],
  recheck_due: ['rectifying'],
  recheck_result: ['rechecking'],
  escalate: ['findings_recorded', 'rectifying', 'rechecking'],
  verify_remotely: ['created'],
  convert_to_inspection: ['created'],
};

/** Commands of the on-site loop, and those of a remote verification: each refused on a task of the other kind. */
const ON_SITE_ONLY: ReadonlySet<TaskCommand['type']> = new Set([
  'assign',
  'accept',
  'arrive',
  'record_findings',
  'order_rectification',
  'recheck_due',
  'recheck_result',
  'escalate',
]);
const REMOTE_ONLY: ReadonlySet<TaskCommand['type']> = new Set(['verify_remotely', 'convert_to_inspection']);

export function taskTransition(task: Task, cmd: TaskCommand): TaskResult {
  if (FINAL.has(task.state) && cmd.type !== 'attach_alert')
    return fail('FINAL', `任务 ${task.id} 当前为“${STATE_ZH[task.state]}”，不能再操作`, `task ${task.id} is ${task.state}`);
  if (!ALLOWED[cmd.type].includes(task.state))
    return fail(
      'INVALID_TRANSITION',
      `任务当前为“${STATE_ZH[task.state]}”，不能${STEP_ZH[cmd.type]}`,
      `${cmd.type} is not possible while the task is ${task.state}`,
    );
  const kind = kindOf(task);
  if (kind === 'remote_verification' && ON_SITE_ONLY.has(cmd.type))
    return fail(
      'WRONG_KIND',
      `任务 ${task.id} 是远程核查：请远程核查，或说明理由后转为现场检查`,
      `task ${task.id} is a remote verification: verify it remotely, or convert it to an on-site inspection with a reason first`,
    );
  if (kind === 'inspection' && REMOTE_ONLY.has(cmd.type))
    return fail('WRONG_KIND', `任务 ${task.id} 是现场检查，不是远程核查`, `task ${task.id} is an on-site inspection, not a remote verification`);
  const actor = 'actor' in cmd ? cmd.actor : 'system:tasks';
  const event = (to: TaskState, detail: string): TaskEvent => ({ taskId: task.id, type: cmd.type, at: cmd.at, actor, from: task.state, to, detail });
  const done = (next: Task, detail: string, effects: TaskEffect[] = []): TaskResult => ({ ok: true, task: next, events: [event(next.state, detail)], effects });
  const isInspector = 'actor' in cmd && task.inspectorId !== undefined && cmd.actor === `user:${task.inspectorId}`;

  switch (cmd.type) {
    case 'attach_alert': {
      if (task.alertIds.includes(cmd.alertId)) return { ok: true, task, events: [], effects: [] };
      const alertIds = [...task.alertIds, cmd.alertId];
      if (kind === 'remote_verification' && cmd.serious && task.state === 'created')
        return done(
          { ...task, alertIds, kind: 'inspection' },
          `alert ${cmd.alertId} attached: a serious violation found by data monitoring; the remote verification becomes an on-site inspection`,
        );
      return done({ ...task, alertIds }, `alert ${cmd.alertId} attached as further evidence`);
    }
    case 'verify_remotely':
      return done(
        {
          ...task,
          state: 'closed',
          closedAt: cmd.at,
          outcome: 'verified_remotely',
          remoteVerification: { methods: cmd.methods, note: cmd.note, actor, at: cmd.at },
        },
        `verified remotely (${cmd.methods.join(', ')}): ${cmd.note}`,
      );
    case 'convert_to_inspection':
      return done(
        { ...task, kind: 'inspection', conversion: { reason: cmd.reason, actor, at: cmd.at } },
        `converted to an on-site inspection (counted against the yearly cap): ${cmd.reason}`,
      );
    case 'assign': {
      // the enterprise's own authority, or one above it acting jointly (联合检查); never a lower or unrelated one
      const level = cmd.taskAuthorityChain[0] === task.authorityId ? cmd.taskAuthorityChain.indexOf(cmd.inspectorAuthorityId) : -1;
      if (level < 0)
        return fail(
          'WRONG_AUTHORITY',
          `执法人员 ${cmd.inspectorId} 属于 ${cmd.inspectorAuthorityId}，既不是任务的执法主体 ${task.authorityId}，也不是其上级`,
          `inspector ${cmd.inspectorId} belongs to ${cmd.inspectorAuthorityId}, which neither is nor is above the task's authority ${task.authorityId}`,
        );
      const joint = level > 0;
      return done(
        { ...task, state: 'assigned', inspectorId: cmd.inspectorId, inspectorAuthorityId: cmd.inspectorAuthorityId, joint },
        `assigned to ${cmd.inspectorId}${joint ? ` of ${cmd.inspectorAuthorityId} (joint inspection)` : ''}`,
      );
    }
    case 'accept':
      if (!isInspector) return onlyInspector(task, '接收任务', 'accept');
      return done({ ...task, state: 'accepted' }, 'accepted');
    case 'arrive':
      if (!isInspector) return onlyInspector(task, '登记到达现场', 'record arriving on site');
      return done({ ...task, state: 'on_site' }, 'on site', [{ type: 'record_inspection', taskId: task.id, origin: task.origin, at: cmd.at }]);
    case 'record_findings': {
      if (!isInspector) return onlyInspector(task, '记录检查结果', 'record findings');
      const items = new Map(task.checklist.map((i) => [i.id, i]));
      const unknown = cmd.findings.filter((f) => !items.has(f.itemId)).map((f) => f.itemId);
      if (unknown.length > 0) return fail('UNKNOWN_ITEM', `不在检查表上：${unknown.join('、')}`, `not on the checklist: ${unknown.join(', ')}`);
      const missing = task.checklist.filter((i) => !cmd.findings.some((f) => f.itemId === i.id)).map((i) => i.id);
      if (missing.length > 0)
        return fail('ITEMS_MISSING', `每个检查项都需要结果，缺：${missing.join('、')}`, `every checklist item needs a finding; missing: ${missing.join(', ')}`);
      // a failing finding on an item the criteria mark as major is a major hazard, whatever was entered
      const findings = cmd.findings.map((f) => (f.result === 'hazard' && items.get(f.itemId)!.major ? { ...f, result: 'major_hazard' as const } : f));
      const hazards = findings.filter((f) => f.result !== 'ok');
      if (hazards.length === 0) return done({ ...task, state: 'closed', findings, closedAt: cmd.at, outcome: 'no_hazard' }, 'no hazard found; closed');
      const major = hazards.filter((f) => f.result === 'major_hazard').length;
      const self = hazards.length - forCaseHandling(findings).length;
      return done(
        { ...task, state: 'findings_recorded', findings },
        `${hazards.length} hazard(s), ${major} major${self > 0 ? `, ${self} self-reported by the enterprise and being fixed (not for case handling)` : ''}`,
      );
    }
    case 'order_rectification':
      if (!(cmd.deadline > cmd.at)) return fail('BAD_DEADLINE', '整改期限须晚于责令整改的时间', 'the rectification deadline must be after the order');
      return done({ ...task, state: 'rectifying', rectificationDeadline: cmd.deadline }, `rectification ordered by ${new Date(cmd.deadline).toISOString()}`, [
        { type: 'schedule_recheck', taskId: task.id, at: cmd.deadline },
      ]);
    case 'recheck_due':
      return done({ ...task, state: 'rechecking' }, 'deadline reached: re-check due', [
        { type: 'schedule_overdue', taskId: task.id, deadline: task.rectificationDeadline ?? cmd.at },
      ]);
    case 'recheck_result': {
      if (!isInspector) return onlyInspector(task, '记录复查结果', 'record the re-check');
      const visit: TaskEffect[] = [{ type: 'record_inspection', taskId: task.id, origin: 'recheck', at: cmd.at }];
      const firing = cmd.passed && cmd.firingConfirmed?.length ? cmd.firingConfirmed : undefined;
      const recheck = { passed: cmd.passed, note: cmd.note, evidence: cmd.evidence ?? [], actor, at: cmd.at, ...(firing ? { firingConfirmed: firing } : {}) };
      return cmd.passed
        ? done(
            { ...task, state: 'closed', closedAt: cmd.at, outcome: 'rectified', recheck },
            `re-check passed${firing ? ` (confirmed by the inspector while alarm(s) ${firing.join(', ')} of the same matter were still firing)` : ''}: ${cmd.note}`,
            visit,
          )
        : done({ ...task, state: 'escalated', closedAt: cmd.at, outcome: 'escalated', recheck }, `re-check failed: ${cmd.note}`, visit);
    }
    case 'escalate':
      return done({ ...task, state: 'escalated', closedAt: cmd.at, outcome: 'escalated' }, cmd.reason);
  }
}
