/**
 * The stored state against the audit trail (domain rule 8): the chain
 * (core/audit.ts) proves the audit records untouched; this proves the rows
 * the application reads — tasks, their events, inspections — are what those
 * records sealed. Every task step's audit record carries the event as stored
 * and the hash of the task row after it (`sealOf`, tasks/store.ts); every
 * recorded inspection's record carries the inspection. Any difference names
 * the first row that was edited, removed or inserted.
 */
import { canonicalJson, contentHash } from '../core/canonical-json.ts';
import type { Queryable } from '../core/db/db.ts';
import { toInspection, type InspectionRow } from './inspection-records.ts';
import type { TaskEvent } from './tasks/lifecycle.ts';

export type RecordsVerification =
  | { ok: true; tasks: number; taskEvents: number; inspections: number }
  | { ok: false; table: 'tasks' | 'task_events' | 'inspections'; key: string; reason: string };

type Sealed = Omit<TaskEvent, 'taskId'>;

export async function verifyRecords(db: Queryable): Promise<RecordsVerification> {
  const sealed = new Map<string, { events: Sealed[]; taskHash: string | undefined }>();
  const { rows: audit } = await db.query<{ subject_id: string; data: { event?: Sealed; taskHash?: string } }>(
    "SELECT subject_id, data FROM audit_log WHERE subject_type = 'task' ORDER BY seq",
  );
  for (const r of audit) {
    if (!r.data.event) continue; // records from before steps were sealed
    const s = sealed.get(r.subject_id) ?? { events: [], taskHash: undefined };
    s.events.push(r.data.event);
    s.taskHash = r.data.taskHash;
    sealed.set(r.subject_id, s);
  }

  const stored = new Map<string, { seq: string; event: Sealed }[]>();
  const { rows: events } = await db.query<{
    seq: string;
    task_id: string;
    type: Sealed['type'];
    at: Date;
    actor: string;
    from_state: Sealed['from'];
    to_state: Sealed['to'];
    detail: string;
  }>('SELECT seq, task_id, type, at, actor, from_state, to_state, detail FROM task_events ORDER BY seq');
  for (const e of events) {
    const list = stored.get(e.task_id) ?? [];
    list.push({
      seq: String(e.seq),
      event: { type: e.type, at: new Date(e.at).getTime(), actor: e.actor, from: e.from_state, to: e.to_state, detail: e.detail },
    });
    stored.set(e.task_id, list);
  }

  const { rows: tasks } = await db.query<{ id: string; data: unknown }>('SELECT id, data FROM tasks ORDER BY created_at, id');
  let checkedEvents = 0;
  for (const t of tasks) {
    const s = sealed.get(t.id);
    const mine = stored.get(t.id) ?? [];
    if (!s) continue; // unsealed (older) task
    for (let i = 0; i < Math.max(s.events.length, mine.length); i++) {
      const row = mine[i];
      const rec = s.events[i];
      if (!row) return { ok: false, table: 'task_events', key: t.id, reason: `event ${i + 1} of task ${t.id} is in the audit trail but not stored (removed)` };
      if (!rec) return { ok: false, table: 'task_events', key: row.seq, reason: 'the event has no audit record (inserted)' };
      if (canonicalJson(row.event) !== canonicalJson(rec))
        return { ok: false, table: 'task_events', key: row.seq, reason: 'the event differs from its audit record (edited)' };
      checkedEvents++;
    }
    if (contentHash(t.data) !== s.taskHash) return { ok: false, table: 'tasks', key: t.id, reason: 'the task differs from its last audit record (edited)' };
  }
  for (const id of sealed.keys())
    if (!tasks.some((t) => t.id === id)) return { ok: false, table: 'tasks', key: id, reason: 'the task is in the audit trail but not stored (removed)' };

  const recorded = new Map<string, Record<string, unknown>>();
  const { rows: ia } = await db.query<{ subject_id: string; data: Record<string, unknown> }>(
    "SELECT subject_id, data FROM audit_log WHERE subject_type = 'inspection' AND action = 'inspection.recorded' ORDER BY seq",
  );
  for (const r of ia) recorded.set(r.subject_id, r.data);
  const { rows: inspections } = await db.query<InspectionRow & { task_id: string | null }>('SELECT * FROM inspections ORDER BY created_at, id');
  for (const row of inspections) {
    const rec = recorded.get(row.id);
    if (!rec) return { ok: false, table: 'inspections', key: row.id, reason: 'the inspection has no audit record (inserted)' };
    // counts and the serious alerts of the basis are derived facts of the moment, not columns of the row
    const { counts: _counts, seriousAlertIds: _serious, ...sealedInspection } = rec;
    void _counts;
    void _serious;
    const { alertIds, basisRef, ...inspection } = toInspection(row);
    // a record sealed before the basis was stored (migration 12) carries none: the row must have none either
    const basis = 'alertIds' in sealedInspection || alertIds.length > 0 || basisRef !== null ? { alertIds, basisRef } : {};
    const now = { ...inspection, ...basis, ...(row.task_id ? { taskId: row.task_id } : {}) };
    if (canonicalJson(now) !== canonicalJson(sealedInspection))
      return { ok: false, table: 'inspections', key: row.id, reason: 'the inspection differs from its audit record (edited)' };
    recorded.delete(row.id);
  }
  const missing = recorded.keys().next();
  if (!missing.done) return { ok: false, table: 'inspections', key: missing.value, reason: 'the inspection is in the audit trail but not stored (removed)' };
  return { ok: true, tasks: tasks.length, taskEvents: checkedEvents, inspections: inspections.length };
}
