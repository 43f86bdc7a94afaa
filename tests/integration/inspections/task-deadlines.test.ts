/**
 * The deadline jobs of a task on real BullMQ (Redis) through the running
 * platform (issue #4 §4): the rectification deadline makes the re-check due;
 * when no re-check is recorded within the grace period (here 300 ms,
 * TASK_RECHECK_GRACE_MS), the overdue job escalates the task, as the system,
 * on the audit trail.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuditTrail } from '../../../core/audit.ts';
import type { Task } from '../../../inspections/tasks/lifecycle.ts';
import { TaskStore } from '../../../inspections/tasks/store.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let admin: AdminClient;
let inspector: AdminClient;

beforeAll(async () => {
  svc = await startTestServices('deadlines');
  ({ platform } = await startTestPlatform(svc, 'deadlines', { parts: ['rules', 'api'], tasks: { recheckGraceMs: 300 }, notify: { escalation: {} } }));
  const base = `http://127.0.0.1:${platform.httpPort}`;
  admin = new AdminClient(base, platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'K', name: '县局', level: 'county' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '甲化工', sector: 'hazardous_chemicals', authorityId: 'K' });
  const { token } = await admin.ok<{ token: string }>('POST', '/api/v1/officers', { id: 'insp', name: '执法', authorityId: 'K', role: 'inspector' });
  inspector = new AdminClient(base, token);
}, 60_000);

afterAll(async () => {
  await platform?.stop();
  await svc?.stop();
});

/** Resolves with the task once it is in `want` (polled every 50 ms, for up to 20 s). */
function stateOf(id: string, want: Task['state']): Promise<Task> {
  return vi.waitFor(
    async () => {
      const t = await new TaskStore(platform.db).get(id);
      expect(t?.state, `task ${id}`).toBe(want);
      return t!;
    },
    { timeout: 20_000, interval: 50 },
  );
}

describe('task deadline jobs', () => {
  it('makes the re-check due at the deadline, then escalates it as overdue after the grace period', async () => {
    const opened = await new TaskStore(platform.db).openFromAlert(
      { id: 'A-deadline', enterpriseId: 'E1' },
      { open: true, trigger: 'red', kind: 'inspection', matter: 'gas', reason: { zh: '红色预警', en: 'red alert' } },
      Date.now(),
    );
    if (opened.outcome !== 'created') throw new Error(opened.outcome);
    const id = opened.task.id;
    await admin.ok('POST', `/api/v1/tasks/${id}/assign`, { inspectorId: 'insp' });
    await inspector.ok('POST', `/api/v1/tasks/${id}/accept`, {});
    await inspector.ok('POST', `/api/v1/tasks/${id}/arrive`, {});
    const findings = opened.task.checklist.map((i, n) => ({ itemId: i.id, result: n === 0 ? 'hazard' : 'ok' }));
    await inspector.ok('POST', `/api/v1/tasks/${id}/findings`, { findings });
    const deadline = Date.now() + 500;
    await inspector.ok('POST', `/api/v1/tasks/${id}/rectification`, { deadline });

    await stateOf(id, 'rechecking');
    const escalated = await stateOf(id, 'escalated');
    expect(escalated).toMatchObject({ outcome: 'escalated', rectificationDeadline: deadline });
    const events = await new TaskStore(platform.db).events(id);
    expect(events.slice(-2).map((e) => [e.type, e.actor])).toEqual([
      ['recheck_due', 'system:tasks'],
      ['escalate', 'system:tasks'],
    ]);
    expect(events.at(-1)!.detail).toMatch(/^re-check overdue/);
    expect(events.at(-1)!.at - deadline).toBeGreaterThanOrEqual(300);
    const audit = await new AuditTrail(platform.db).list({ subjectType: 'task', subjectId: id });
    expect(audit.at(-1)).toMatchObject({ action: 'task.escalate', actor: 'system:tasks' });
    // a re-check recorded too late is refused: the task is final
    expect((await inspector.request('POST', `/api/v1/tasks/${id}/recheck`, { passed: true, note: '迟到的复查' })).status).toBe(409);
  });
});
