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
  escalation?: { level: number; to: string } | null;
}

export interface EnterpriseContacts {
  id: string;
  name: string;
  address: string | null;
  longitude: number | null;
  latitude: number | null;
  contacts: {
    role: 'safety_manager' | 'responsible_person' | 'hazard_main' | 'hazard_technical' | 'hazard_operational';
    name: string;
    phone: string | null;
    of?: string;
  }[];
  recentAlerts: { id: string; ruleId: string; severity: Grade; state: AlertState; startedAt: number; message: Text }[];
  alertsLast30Days: number;
}

/** The names beside the ids of an answer (api/names.ts). */
export interface Names {
  officers: Record<string, string>;
  authorities: Record<string, string>;
  enterprises: Record<string, string>;
}

export type Point = { t: number; value: number } | { t: number; mean: number; min: number; max: number };

export interface AlertDetail {
  alert: Alert;
  events: AlertEvent[];
  readings: {
    sensor: { id: string; kind: string; unit: string };
    from: number;
    to: number;
    points: Point[];
    /** The last reading measured in the range (the current value), not a bucket's mean; null: none kept. */
    latest?: Reading | null;
  } | null;
  readingsNote?: Text;
  names?: Names;
  /** The bureau's escalation limits and the server's time (the time left before escalation). */
  escalationLimits?: Readonly<Record<Grade, number | undefined>>;
  /** How far the enterprise's alarms can be escalated (0: its authority has none above). */
  escalationLevels?: Record<string, number>;
  now?: number;
  /** Who to call and what the enterprise had before (api/enterprise-contacts.ts); not in an enterprise user's view. */
  enterprise?: EnterpriseContacts | null;
  rule?: { id: string; name: Text; pattern: string; standard?: string; note?: Text; limits: { label: string; value: number; severity?: Grade }[] } | null;
  /** The inspection tasks the alarm opened or joined (issue #20 §5); not in an enterprise user's view. */
  tasks?: AlertTaskLink[];
}

/** The enterprise's response to its alarm (issue #18), as `GET /api/v1/alerts/:id/response` and the alarm list give it. */
export interface ResponseView {
  alertId: string;
  enterpriseId: string;
  severity: Grade;
  state: 'awaiting_sign' | 'awaiting_feedback' | 'awaiting_review' | 'fed_back' | 'accepted' | 'cleared' | 'closed';
  stateName: Text;
  openedAt: number;
  signDueAt: number;
  feedbackDueAt: number;
  review: boolean;
  signedAt?: number;
  signedBy?: string;
  feedback?: { cause: string; measures: string; attachmentIds: string[]; at: number; by: string; repeatedFalseAlarm: boolean };
  causeName?: Text;
  reviewed?: { decision: 'accept' | 'reject'; reason: string; at: number; by: string };
  rejections: number;
  clearRequestedAt?: number;
  clearedAt?: number;
  supervisions: { reason: 'sign_overdue' | 'feedback_overdue' | 'review_overdue'; at: number }[];
  owed: { what: 'sign' | 'feedback' | 'review'; dueAt: number; leftMs: number; overdue: boolean } | null;
}

export interface ResponseRecord {
  response: ResponseView | null;
  events: { type: string; at: number; actor: string; data?: Record<string, unknown> }[];
  verifications: { method: string; outcome: string; note: string; at: number; by: string }[];
}

export interface ResponsePolicyView {
  causes: ({ id: string } & Text)[];
  methods: ({ id: string } & Text)[];
  outcomes: ({ id: string } & Text)[];
  policy: { signMs: Record<Grade, number>; feedbackMs: Record<Grade, number> };
}

export interface AttachmentMeta {
  id: string;
  filename: string;
  mediaType: string;
  size: number;
}

/** A task an alarm opened or joined, as the alert detail gives it (api/tasks.ts `tasksOfAlert`; issue #20 §5). */
export interface AlertTaskLink {
  id: string;
  state: TaskState;
  kind: 'inspection' | 'remote_verification';
  matterName: Text;
  opened: boolean;
}

/** An alarm that opened or joined a task, as the task detail lists it (api/tasks.ts `alertsOfTask`). */
export interface TaskAlertLink {
  id: string;
  severity: Grade;
  state: AlertState;
  message: Text;
  startedAt: number;
  firedAt: number | null;
  ruleId: string;
  opened: boolean;
}

/** One reading as measured. */
export interface Reading {
  t: number;
  value: number;
  quality?: string;
}
