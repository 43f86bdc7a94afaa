/**
 * The re-check's record on the task (issue #20 §5): passed or not, the note, the evidence, who and when; a pass the
 * inspector confirmed over still-firing alarms names them in the task and in the event. Pure (lifecycle.ts).
 */
import { describe, expect, it } from 'vitest';
import { checklistFor } from '../../../inspections/tasks/checklist.ts';
import { taskTransition, type Task } from '../../../inspections/tasks/lifecycle.ts';

const T = Date.UTC(2026, 11, 5, 10);
const rechecking: Task = {
  id: 'T1',
  enterpriseId: 'E1',
  authorityId: 'K1',
  joint: false,
  matter: 'gas',
  origin: 'data_monitoring',
  state: 'rechecking',
  checklist: checklistFor('gas', 'hazardous_chemicals'),
  alertIds: ['A1', 'A2'],
  inspectorId: 'insp-1',
  createdAt: T,
  findings: [],
  rectificationDeadline: T + 86_400_000,
};

describe('the re-check record', () => {
  it('keeps a pass with its note, evidence, inspector and time; the event says nothing of alarms when none was confirmed over', () => {
    const r = taskTransition(rechecking, { type: 'recheck_result', actor: 'user:insp-1', at: T + 5, passed: true, note: '已整改', evidence: ['photo:1.jpg'] });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.task).toMatchObject({
      state: 'closed',
      outcome: 'rectified',
      recheck: { passed: true, note: '已整改', evidence: ['photo:1.jpg'], actor: 'user:insp-1', at: T + 5 },
    });
    expect(r.task.recheck).not.toHaveProperty('firingConfirmed');
    expect(r.events[0]?.detail).toBe('re-check passed: 已整改');
  });

  it('names the alarms a confirmed pass was made over, in the task and the event', () => {
    const r = taskTransition(rechecking, {
      type: 'recheck_result',
      actor: 'user:insp-1',
      at: T + 5,
      passed: true,
      note: '残余浓度',
      firingConfirmed: ['A1', 'A9'],
    });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.task.recheck).toEqual({ passed: true, note: '残余浓度', evidence: [], actor: 'user:insp-1', at: T + 5, firingConfirmed: ['A1', 'A9'] });
    expect(r.events[0]?.detail).toBe('re-check passed (confirmed by the inspector while alarm(s) A1, A9 of the same matter were still firing): 残余浓度');
  });

  it('keeps a failed re-check too (escalated), never with a confirmation', () => {
    const r = taskTransition(rechecking, { type: 'recheck_result', actor: 'user:insp-1', at: T + 5, passed: false, note: '未整改', firingConfirmed: ['A1'] });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.task).toMatchObject({ state: 'escalated', recheck: { passed: false, note: '未整改', evidence: [] } });
    expect(r.task.recheck).not.toHaveProperty('firingConfirmed');
    expect(r.events[0]?.detail).toBe('re-check failed: 未整改');
  });
});
