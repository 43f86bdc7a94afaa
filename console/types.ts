/** The shapes the console reads from the API: the server's own types, as JSON. */
import type { Alert as ServerAlert, AlertState as ServerAlertState } from '../alerts/state/model.ts';
import type { Severity } from '../alerts/types.ts';
import type { ChecklistItem as ServerChecklistItem } from '../inspections/tasks/checklist.ts';
import type { Task as ServerTask, TaskFinding, TaskState as ServerTaskState } from '../inspections/tasks/lifecycle.ts';

export type Grade = Severity;
export type AlertState = ServerAlertState;
export type Text = { zh: string; en: string };
/** An alert as listed (without its evidence). */
export type Alert = Omit<ServerAlert, 'evidence'>;
export type ChecklistItem = ServerChecklistItem;
export type Finding = TaskFinding;
export type TaskState = ServerTaskState;
export type Task = ServerTask & { matterName: Text };

export interface AlertEvent {
  seq: number;
  type: string;
  at: number;
  actor: string;
  from?: string | null;
  to: string;
  severity: Grade;
  reason: string;
  detail: string;
  note?: string | null;
}

export type Point = { t: number; value: number } | { t: number; mean: number; min: number; max: number };

export interface AlertDetail {
  alert: Alert;
  events: AlertEvent[];
  readings: { sensor: { id: string; kind: string; unit: string }; from: number; to: number; points: Point[] } | null;
  readingsNote?: string;
  rule?: { id: string; name: Text; pattern: string; standard?: string; note?: string; limits: { label: string; value: number; severity?: Grade }[] } | null;
}
