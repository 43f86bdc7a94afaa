/**
 * Takes an inspection task through its steps as the store applies them (the lifecycle's own commands, straight to
 * the ledger): assigned to `inspectorId` by `dutyOfficerId`, accepted and on site; with `until: 'rechecking'` on to
 * the findings (the first checklist item a hazard, with `hazardNote`; the rest compliant), a rectification ordered a
 * day ahead and the re-check due.
 */
import type { Db } from '../core/db/db.ts';
import { TaskStore } from '../inspections/tasks/store.ts';

export async function advanceTask(
  db: Db,
  taskId: string,
  o: { inspectorId: string; dutyOfficerId: string; until: 'on_site' | 'rechecking'; hazardNote?: string },
): Promise<void> {
  const tasks = new TaskStore(db);
  const now = Date.now();
  const task = await tasks.get(taskId);
  if (!task) throw new Error(`no task ${taskId}`);
  const inspector = `user:${o.inspectorId}`;
  await tasks.apply(taskId, { type: 'assign', inspectorId: o.inspectorId, actor: `user:${o.dutyOfficerId}`, at: now }, now);
  await tasks.apply(taskId, { type: 'accept', actor: inspector, at: now }, now);
  await tasks.apply(taskId, { type: 'arrive', actor: inspector, at: now }, now);
  if (o.until === 'on_site') return;
  const findings = task.checklist.map((i, n) => ({
    itemId: i.id,
    result: n === 0 ? ('hazard' as const) : ('ok' as const),
    note: n === 0 ? (o.hazardNote ?? '') : '',
    evidence: [],
  }));
  await tasks.apply(taskId, { type: 'record_findings', actor: inspector, at: now, findings }, now);
  await tasks.apply(taskId, { type: 'order_rectification', actor: inspector, at: now, deadline: now + 86_400_000 }, now);
  await tasks.apply(taskId, { type: 'recheck_due', at: now }, now);
}
