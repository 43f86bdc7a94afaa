/** The closed loop of an inspection task (domain rule 6), table-driven, with explicit time. */
import { describe, expect, it } from 'vitest';
import { checklistFor } from '../../../inspections/tasks/checklist.ts';
import { taskTransition, type Task, type TaskCommand, type TaskFinding } from '../../../inspections/tasks/lifecycle.ts';

const T = Date.UTC(2026, 2, 1, 2);
const DAY = 86_400_000;
const INSPECTOR = 'user:insp-1';

const fresh = (): Task => ({
  id: 'T1',
  enterpriseId: 'E1',
  authorityId: 'K1',
  joint: false,
  matter: 'tank_overfill',
  origin: 'data_monitoring',
  state: 'created',
  checklist: checklistFor('tank_overfill', 'hazardous_chemicals'),
  alertIds: ['A1'],
  createdAt: T,
  findings: [],
});

const all = (result: TaskFinding['result'], except: Record<string, TaskFinding['result']> = {}): TaskFinding[] =>
  fresh().checklist.map((i) => ({ itemId: i.id, result: except[i.id] ?? result, note: '', evidence: [], selfReported: false }));

// the task's authority K1 (a county) and those above it
const CHAIN = ['K1', 'C1', 'P1'];
const assign: TaskCommand = { type: 'assign', inspectorId: 'insp-1', inspectorAuthorityId: 'K1', taskAuthorityChain: CHAIN, actor: 'user:leader', at: T + 1 };
const accept: TaskCommand = { type: 'accept', actor: INSPECTOR, at: T + 2 };
const arrive: TaskCommand = { type: 'arrive', actor: INSPECTOR, at: T + 3 };

function run(cmds: TaskCommand[], start = fresh()) {
  let task = start;
  const events: string[] = [];
  const effects: unknown[] = [];
  for (const c of cmds) {
    const r = taskTransition(task, c);
    if (!r.ok) return { task, events, effects, error: r.error.code, message: r.error.message };
    task = r.task;
    events.push(...r.events.map((e) => `${e.type}:${e.from}→${e.to}`));
    effects.push(...r.effects);
  }
  return { task, events, effects, error: undefined, message: undefined };
}

describe('the closed loop', () => {
  it('no hazard found: closed on site', () => {
    const r = run([assign, accept, arrive, { type: 'record_findings', actor: INSPECTOR, at: T + 4, findings: all('ok') }]);
    expect(r.error).toBeUndefined();
    expect(r.task).toMatchObject({ state: 'closed', outcome: 'no_hazard', closedAt: T + 4 });
    expect(r.events).toEqual(['assign:created→assigned', 'accept:assigned→accepted', 'arrive:accepted→on_site', 'record_findings:on_site→closed']);
  });

  it('hazards → rectification with a deadline → re-check scheduled at it → passed: closed as rectified', () => {
    const deadline = T + 7 * DAY;
    const r = run([
      assign,
      accept,
      arrive,
      { type: 'record_findings', actor: INSPECTOR, at: T + 4, findings: all('ok', { 'tank.interlock': 'hazard', 'tank.level_instruments': 'hazard' }) },
      { type: 'order_rectification', actor: INSPECTOR, at: T + 5, deadline },
      { type: 'recheck_due', at: deadline },
      { type: 'recheck_result', actor: INSPECTOR, at: deadline + 3600_000, passed: true, note: '联锁已恢复并试验' },
    ]);
    expect(r.error).toBeUndefined();
    expect(r.effects).toEqual([
      { type: 'record_inspection', taskId: 'T1', origin: 'data_monitoring', at: T + 3 },
      { type: 'schedule_recheck', taskId: 'T1', at: deadline },
      { type: 'schedule_overdue', taskId: 'T1', deadline },
      { type: 'record_inspection', taskId: 'T1', origin: 'recheck', at: deadline + 3600_000 },
    ]);
    expect(r.task).toMatchObject({ state: 'closed', outcome: 'rectified', rectificationDeadline: deadline });
    // the interlock item is a major hazard by the criteria, whatever was entered; the gauge is an ordinary one
    expect(r.task.findings.filter((f) => f.result !== 'ok').map((f) => [f.itemId, f.result])).toEqual([
      ['tank.level_instruments', 'hazard'],
      ['tank.interlock', 'major_hazard'],
    ]);
  });

  it.each([
    {
      name: 're-check failed: escalated',
      tail: [
        { type: 'recheck_due', at: T + DAY },
        { type: 'recheck_result', actor: INSPECTOR, at: T + DAY, passed: false, note: '未整改' },
      ] as TaskCommand[],
    },
    { name: 'overdue: escalated', tail: [{ type: 'escalate', actor: 'system:tasks', at: T + 2 * DAY, reason: 'rectification overdue' }] as TaskCommand[] },
  ])('$name', ({ tail }) => {
    const r = run([
      assign,
      accept,
      arrive,
      { type: 'record_findings', actor: INSPECTOR, at: T + 4, findings: all('ok', { 'tank.sis_bypass': 'hazard' }) },
      { type: 'order_rectification', actor: INSPECTOR, at: T + 5, deadline: T + DAY },
      ...tail,
    ]);
    expect(r.error).toBeUndefined();
    expect(r.task).toMatchObject({ state: 'escalated', outcome: 'escalated' });
  });

  it.each([
    { by: 'K1', joint: false, detail: 'assigned to insp-9' },
    { by: 'C1', joint: true, detail: 'assigned to insp-9 of C1 (joint inspection)' },
    { by: 'P1', joint: true, detail: 'assigned to insp-9 of P1 (joint inspection)' },
  ])('an inspector of $by: joint $joint', ({ by, joint, detail }) => {
    const r = taskTransition(fresh(), { ...assign, inspectorId: 'insp-9', inspectorAuthorityId: by });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.task).toMatchObject({ state: 'assigned', inspectorId: 'insp-9', inspectorAuthorityId: by, joint, authorityId: 'K1' });
    expect(r.events[0]!.detail).toBe(detail);
  });

  it('keeps a self-reported hazard marked as such', () => {
    const findings = all('ok').map((f) =>
      f.itemId === 'tank.level_instruments' ? { ...f, result: 'hazard' as const, selfReported: true, note: '企业自查上报，整改中' } : f,
    );
    const r = run([assign, accept, arrive, { type: 'record_findings', actor: INSPECTOR, at: T + 4, findings }]);
    expect(r.task.findings.find((f) => f.itemId === 'tank.level_instruments')).toMatchObject({ result: 'hazard', selfReported: true });
  });
});

describe('refusals', () => {
  it.each([
    { name: 'an inspector of another authority', cmds: [{ ...assign, inspectorAuthorityId: 'K2' }] as TaskCommand[], error: 'WRONG_AUTHORITY' },
    {
      name: 'an inspector of an authority below the task’s',
      cmds: [{ ...assign, inspectorAuthorityId: 'K1-town', taskAuthorityChain: CHAIN }] as TaskCommand[],
      error: 'WRONG_AUTHORITY',
    },
    {
      name: 'a chain that is not the task authority’s',
      cmds: [{ ...assign, inspectorAuthorityId: 'C1', taskAuthorityChain: ['K2', 'C1'] }] as TaskCommand[],
      error: 'WRONG_AUTHORITY',
    },
    { name: 'accepting by someone else', cmds: [assign, { ...accept, actor: 'user:insp-2' }] as TaskCommand[], error: 'NOT_THE_INSPECTOR' },
    { name: 'arriving before accepting', cmds: [assign, arrive] as TaskCommand[], error: 'INVALID_TRANSITION' },
    {
      name: 'a finding on an item not on the checklist',
      cmds: [
        assign,
        accept,
        arrive,
        {
          type: 'record_findings',
          actor: INSPECTOR,
          at: T + 4,
          findings: [...all('ok'), { itemId: 'made.up', result: 'ok', note: '', evidence: [], selfReported: false }],
        },
      ] as TaskCommand[],
      error: 'UNKNOWN_ITEM',
    },
    {
      name: 'a checklist item left without a finding',
      cmds: [assign, accept, arrive, { type: 'record_findings', actor: INSPECTOR, at: T + 4, findings: all('ok').slice(1) }] as TaskCommand[],
      error: 'ITEMS_MISSING',
    },
    {
      name: 'a deadline before the order',
      cmds: [
        assign,
        accept,
        arrive,
        { type: 'record_findings', actor: INSPECTOR, at: T + 4, findings: all('hazard') },
        { type: 'order_rectification', actor: INSPECTOR, at: T + 5, deadline: T + 5 },
      ] as TaskCommand[],
      error: 'BAD_DEADLINE',
    },
    {
      name: 'acting on a closed task',
      cmds: [assign, accept, arrive, { type: 'record_findings', actor: INSPECTOR, at: T + 4, findings: all('ok') }, accept] as TaskCommand[],
      error: 'FINAL',
    },
  ])('$name', ({ cmds, error }) => {
    const r = run(cmds);
    expect(r.error).toBe(error);
    // said in both languages: the console shows the side of its language ("中文 / English", console/api.ts)
    expect(r.message).toMatch(/^[^/]*\p{Script=Han}[^/]* \/ [\x20-\x7e]+$/u);
  });

  it('names the state and the step in Chinese in a refusal of the wrong step', () => {
    expect(run([assign, arrive]).message).toBe('任务当前为“已派发”，不能到达现场 / arrive is not possible while the task is assigned');
  });

  it('attaches further alerts once each, even to a closed task (the record grows, nothing reopens)', () => {
    const r = run([
      { type: 'attach_alert', alertId: 'A2', at: T + 1 },
      { type: 'attach_alert', alertId: 'A2', at: T + 2 },
    ]);
    expect(r.task.alertIds).toEqual(['A1', 'A2']);
    expect(r.events).toEqual(['attach_alert:created→created']);
  });
});

describe('remote verification (online patrol, 2025 §七): no inspection, not counted', () => {
  const remote = (): Task => ({ ...fresh(), kind: 'remote_verification' });
  const verify: TaskCommand = { type: 'verify_remotely', actor: 'user:duty', at: T + 5, methods: ['call', 'data_review'], note: '电话核实：仪表检修，已恢复' };
  const convert: TaskCommand = { type: 'convert_to_inspection', actor: 'user:duty', at: T + 5, reason: '企业无法说明数据冻结原因' };

  it('is closed by its outcome (methods and note), with no inspection to record', () => {
    const r = run([verify], remote());
    expect(r.error).toBeUndefined();
    expect(r.task).toMatchObject({
      state: 'closed',
      outcome: 'verified_remotely',
      closedAt: T + 5,
      remoteVerification: { methods: ['call', 'data_review'], note: '电话核实：仪表检修，已恢复', actor: 'user:duty', at: T + 5 },
    });
    expect(r.events).toEqual(['verify_remotely:created→closed']);
    expect(r.effects).toEqual([]);
  });

  it('becomes an on-site inspection with a recorded reason; its visit is then recorded as an inspection', () => {
    const r = run([convert, assign, accept, arrive], remote());
    expect(r.error).toBeUndefined();
    expect(r.task).toMatchObject({ kind: 'inspection', state: 'on_site', conversion: { reason: '企业无法说明数据冻结原因', actor: 'user:duty', at: T + 5 } });
    expect(r.effects).toEqual([{ type: 'record_inspection', taskId: 'T1', origin: 'data_monitoring', at: T + 3 }]);
  });

  it.each([
    { name: 'is not assigned, accepted or visited as such', cmds: [assign], start: remote, code: 'WRONG_KIND' },
    { name: 'an on-site task is not verified remotely', cmds: [verify], start: fresh, code: 'WRONG_KIND' },
    { name: 'an on-site task is not converted', cmds: [convert], start: fresh, code: 'WRONG_KIND' },
    { name: 'a verified task is final', cmds: [verify, convert], start: remote, code: 'FINAL' },
    { name: 'a converted task is not verified remotely any more', cmds: [convert, verify], start: remote, code: 'WRONG_KIND' },
  ])('$name: $code', ({ cmds, start, code }) => {
    expect(run(cmds, start()).error).toBe(code);
  });

  it('a serious alert attached while it waits makes it an on-site inspection; another alert only adds evidence', () => {
    const minor = run([{ type: 'attach_alert', alertId: 'A2', at: T + 1, serious: false }], remote());
    expect(minor.task).toMatchObject({ kind: 'remote_verification', alertIds: ['A1', 'A2'] });
    const serious = run([{ type: 'attach_alert', alertId: 'A3', at: T + 2, serious: true }], minor.task);
    expect(serious.task).toMatchObject({ kind: 'inspection', alertIds: ['A1', 'A2', 'A3'], state: 'created' });
    expect(serious.task.conversion).toBeUndefined();
  });

  it('tasks stored before kinds existed are on-site inspections', () => {
    expect(run([assign, accept, arrive]).error).toBeUndefined();
  });
});
