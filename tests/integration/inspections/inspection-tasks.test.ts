/**
 * Inspection tasks from alerts on a real (in-memory) PGlite ledger: a task
 * goes to the enterprise's own authority with the matter's checklist; more
 * alerts of the same enterprise and matter attach to it; a replayed alert
 * changes nothing; concurrent alerts open one task; an enterprise without an
 * authority is recorded as unroutable; the closed loop is persisted with its
 * events and audit records, and the chain verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transition, type Alert } from '../../../alerts/state/index.ts';
import type { Severity } from '../../../alerts/types.ts';
import { AuditTrail } from '../../../core/audit.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { systemClock } from '../../../core/clock.ts';
import { Officers } from '../../../ledger/officers.ts';
import { DEFAULT_TASK_POLICY, taskDecision } from '../../../inspections/tasks/policy.ts';
import { TaskStore } from '../../../inspections/tasks/store.ts';

const T = Date.UTC(2026, 2, 1, 2);
let db: Db;
let tasks: TaskStore;
let n = 0;

function redAlert(enterpriseId: string, ruleId = 'gas.combustible', subject = 'GT-101', severity: Severity = 'red'): Alert {
  const id = `A${++n}`;
  return transition(
    undefined,
    {
      type: 'finding',
      finding: { ruleId, ruleVersion: 1, enterpriseId, subject, condition: 'raise', severity, at: T, message: { zh: '报警', en: 'alarm' }, evidence: [] },
    },
    { forMs: 0, newId: () => id },
  ).alert!;
}

const open = (a: Alert, pattern = 'threshold') => {
  const d = taskDecision(a, pattern, T, DEFAULT_TASK_POLICY);
  if (!d.open) throw new Error(`no task for ${a.ruleId}: ${d.why}`);
  return tasks.openFromAlert(a, d, T);
};

beforeAll(async () => {
  db = await openDb({ pgliteDir: 'memory://', logger: createLogger({ level: 'silent' }) });
  tasks = new TaskStore(db);
  const p = new Provisioning(db, systemClock);
  await p.createAuthority({ id: 'C', name: '市局', level: 'city' });
  await p.createAuthority({ id: 'K1', name: '甲县局', level: 'county', parentId: 'C' });
  await p.createEnterprise({ id: 'E1', name: '甲化工', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await p.createEnterprise({ id: 'E2', name: '乙化工', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await p.createEnterprise({ id: 'E0', name: '无主管', sector: 'other' });
  await p.createAuthority({ id: 'K2', name: '乙县局', level: 'county', parentId: 'C' });
  const officers = new Officers(db, systemClock);
  await officers.create({ id: 'i1', name: '执法甲', authorityId: 'K1', role: 'inspector' });
  await officers.create({ id: 'i-k2', name: '执法乙', authorityId: 'K2', role: 'inspector' });
  await officers.create({ id: 'i-c', name: '市局执法', authorityId: 'C', role: 'inspector' });
  await officers.create({ id: 'd1', name: '值班员', authorityId: 'K1' });
});

afterAll(async () => {
  await db?.close();
});

describe('tasks from alerts', () => {
  it('sends the task to the enterprise’s own authority, attaches more alerts of the matter, and ignores a replay', async () => {
    const first = await open(redAlert('E1'));
    expect(first).toMatchObject({
      outcome: 'created',
      task: { enterpriseId: 'E1', authorityId: 'K1', matter: 'gas', origin: 'data_monitoring', state: 'created' },
    });
    if (first.outcome !== 'created') return;
    expect(first.task.checklist.map((i) => i.id)).toEqual(['gas.detectors', 'gas.settings', 'gas.source', 'gas.response', 'chem.major_hazard_duty']);

    const second = redAlert('E1', 'gas.toxic.h2s.ppm', 'AT-101');
    expect(await open(second)).toMatchObject({ outcome: 'attached', task: { id: first.task.id } });
    expect(await open(second)).toMatchObject({ outcome: 'already', task: { id: first.task.id } });
    const stored = await tasks.get(first.task.id);
    expect(stored?.alertIds).toEqual([first.task.alertIds[0], second.id]);
    expect((await tasks.events(first.task.id)).length).toBe(2);

    // another matter at the same enterprise is another task
    const tank = await open(redAlert('E1', 'chem.overfill_interlock', 'LT-201'), 'interlock_failure');
    expect(tank).toMatchObject({ outcome: 'created', task: { matter: 'tank_overfill' } });
    expect((await tasks.open('E1')).length).toBe(2);
  });

  it('opens one task for alerts of one matter arriving together', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => open(redAlert('E2', 'gas.combustible', `GT-${i}`))));
    expect(results.map((r) => r.outcome).sort()).toEqual(['attached', 'attached', 'attached', 'attached', 'created']);
    const [task, ...more] = await tasks.open('E2');
    expect(more).toEqual([]);
    expect(task!.alertIds).toHaveLength(5);
  });

  it('records an alert of an enterprise without an authority as unroutable, and opens nothing', async () => {
    const a = redAlert('E0');
    expect(await open(a)).toMatchObject({
      outcome: 'unroutable',
      reason: expect.stringContaining('no supervising authority') as unknown,
      reasonZh: expect.stringContaining('没有监管执法主体') as unknown,
    });
    expect(await tasks.open('E0')).toEqual([]);
    expect((await new AuditTrail(db).list({ subjectType: 'alert', subjectId: a.id })).map((r) => r.action)).toEqual(['task.unroutable']);
  });
});

describe('the closed loop, persisted', () => {
  it('goes from assignment to rectification with its events, audit records and the re-check effect; a closed matter opens a new task', async () => {
    const created = await open(redAlert('E1', 'dust.spark', 'SP-1', 'red'));
    if (created.outcome !== 'created') throw new Error(created.outcome);
    const id = created.task.id;
    // an inspector of another county, or someone who is not an inspector, cannot take it
    await expect(tasks.apply(id, { type: 'assign', inspectorId: 'i-k2', actor: 'user:lead', at: T + 1 }, T + 1)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      expose: { task: 'WRONG_AUTHORITY' },
    });
    for (const who of ['d1', 'nobody'])
      await expect(tasks.apply(id, { type: 'assign', inspectorId: who, actor: 'user:lead', at: T + 1 }, T + 1)).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
    await tasks.apply(id, { type: 'assign', inspectorId: 'i1', actor: 'user:lead', at: T + 1 }, T + 1);
    await expect(tasks.apply(id, { type: 'accept', actor: 'user:i2', at: T + 2 }, T + 2)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await tasks.apply(id, { type: 'accept', actor: 'user:i1', at: T + 2 }, T + 2);
    await tasks.apply(id, { type: 'arrive', actor: 'user:i1', at: T + 3 }, T + 3);
    const findings = created.task.checklist.map((i) => ({
      itemId: i.id,
      result: i.id === 'dust.spark' ? ('hazard' as const) : ('ok' as const),
      note: '',
      evidence: [],
      selfReported: false,
    }));
    await tasks.apply(id, { type: 'record_findings', actor: 'user:i1', at: T + 4, findings }, T + 4);
    const ordered = await tasks.apply(id, { type: 'order_rectification', actor: 'user:i1', at: T + 5, deadline: T + 86_400_000 }, T + 5);
    expect(ordered.effects).toEqual([{ type: 'schedule_recheck', taskId: id, at: T + 86_400_000 }]);
    expect((await tasks.waiting()).map((t) => t.id)).toContain(id);
    const due = await tasks.apply(id, { type: 'recheck_due', at: T + 86_400_000 }, T + 86_400_000);
    expect(due.effects).toEqual([{ type: 'schedule_overdue', taskId: id, deadline: T + 86_400_000 }]);
    const closed = await tasks.apply(id, { type: 'recheck_result', actor: 'user:i1', at: T + 90_000_000, passed: true, note: '已整改' }, T + 90_000_000);
    expect(closed.task).toMatchObject({ state: 'closed', outcome: 'rectified' });
    expect((await tasks.events(id)).map((e) => e.to)).toEqual([
      'created',
      'assigned',
      'accepted',
      'on_site',
      'findings_recorded',
      'rectifying',
      'rechecking',
      'closed',
    ]);
    const audit = await new AuditTrail(db).list({ subjectType: 'task', subjectId: id });
    expect(audit.map((r) => [r.action, r.actor])).toEqual([
      ['task.created', 'system:tasks'],
      ['task.assign', 'user:lead'],
      ['task.accept', 'user:i1'],
      ['task.arrive', 'user:i1'],
      ['task.record_findings', 'user:i1'],
      ['task.order_rectification', 'user:i1'],
      ['task.recheck_due', 'system:tasks'],
      ['task.recheck_result', 'user:i1'],
    ]);

    // the visit on site and the re-check visit are inspections (exempt from the cap), tied to the task
    expect(await tasks.inspections(id)).toEqual([
      { id: expect.any(String) as unknown, origin: 'data_monitoring', authorityId: 'K1', joint: false, at: T + 3 },
      { id: expect.any(String) as unknown, origin: 'recheck', authorityId: 'K1', joint: false, at: T + 90_000_000 },
    ]);

    // the matter is closed: a new alert of it opens a new task, marked as a repeated hazard
    const again = await open(redAlert('E1', 'dust.spark', 'SP-1', 'red'));
    expect(again).toMatchObject({ outcome: 'created', task: { repeatOf: id } });
    expect(await new AuditTrail(db).verify()).toMatchObject({ ok: true });
  });

  it('lets an inspector of an authority above the enterprise’s take the task as a joint inspection', async () => {
    const created = await open(redAlert('E2', 'chem.overfill_interlock', 'LT-9'), 'interlock_failure');
    if (created.outcome !== 'created') throw new Error(created.outcome);
    const id = created.task.id;
    const r = await tasks.apply(id, { type: 'assign', inspectorId: 'i-c', actor: 'user:lead', at: T + 1 }, T + 1);
    expect(r.task).toMatchObject({ authorityId: 'K1', inspectorAuthorityId: 'C', joint: true, state: 'assigned' });
    await tasks.apply(id, { type: 'accept', actor: 'user:i-c', at: T + 2 }, T + 2);
    await tasks.apply(id, { type: 'arrive', actor: 'user:i-c', at: T + 3 }, T + 3);
    expect(await tasks.inspections(id)).toMatchObject([{ origin: 'data_monitoring', authorityId: 'C', joint: true }]);
    expect(await tasks.list({ kind: 'authority', authorityId: 'K2' }, { limit: 10 })).toEqual([]);
    expect((await tasks.list({ kind: 'authority', authorityId: 'C' }, { limit: 50, inspectorId: 'i-c' })).map((t) => t.id)).toEqual([id]);
    expect((await tasks.list({ kind: 'authority', authorityId: 'K1' }, { limit: 50, state: ['on_site'] })).map((t) => t.id)).toEqual([id]);
  });
});
