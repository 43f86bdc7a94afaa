/**
 * What `GET /api/v1/alerts/:id` shows besides the alert: its event record,
 * its evidence snapshots (verified against their hashes), and the sensor's
 * readings around it; for an enterprise's own user (issue #18), without the bureau's internal parts
 * (`enterpriseAlertView`, `enterpriseEvents`).
 */
import type { InfluxClient } from '../core/influx/client.ts';
import { SIGNAL_KINDS } from '../core/contract.ts';
import type { Logger } from '../core/logger.ts';
import type { AlertStore, StoredAlertEvent } from '../alerts/store.ts';
import type { Alert, AlertEventType } from '../alerts/state/index.ts';
import { ROLLUP_FRESH_MS, latestOf, planHistory, runHistory, type HistoryPoint } from './history.ts';

/** Readings are shown from this long before `startedAt` to this long after `resolvedAt` (or now). */
export const READINGS_MARGIN_MS = 30 * 60_000;

export interface EvidenceEntry {
  hash: string;
  /** Seqs of the events that refer to it. */
  eventSeqs: number[];
  /** True when the stored observations hash to `hash`. */
  verified: boolean;
  observations: unknown[] | null;
  /** Why `verified` is false. */
  problem?: string;
}

export interface AlertReadings {
  sensor: { id: string; kind: string; unit: string; periodS: number };
  from: number;
  to: number;
  mode: 'raw' | 'downsampled';
  source: 'raw' | 'rollup';
  intervalMs: number;
  points: HistoryPoint[];
  /** The last reading measured in the range (a downsampled answer's last point is a bucket's mean); null: none kept. */
  latest: { t: number; value: number; quality: string } | null;
}

export interface DetailDeps {
  influx: InfluxClient;
  getSensor(enterpriseId: string, sensorId: string): Promise<{ id: string; kind: string; unit: string; periodS: number } | undefined>;
  now(): number;
  logger: Logger;
  /** How long raw readings are kept when the rollups are kept too (an old alert's readings are then its rollups); absent: raw only. */
  rawRetentionMs?: number | undefined;
}

/** `zone:<zone>` and `gateway:<id>` subjects have no readings of their own; anything else is a sensor or signal point id. */
export const subjectKind = (subject: string): 'zone' | 'gateway' | 'registered limit' | 'point' =>
  subject.startsWith('zone:') ? 'zone' : subject.startsWith('gateway:') ? 'gateway' : subject.startsWith('limit:') ? 'registered limit' : 'point';

const SUBJECT_KIND_ZH = { zone: '区域', gateway: '网关', 'registered limit': '登记限值', point: '测点' } as const;

/** The readings window of an alert: margin before its start to margin after its clear (or `now` while it lasts). */
export function readingsWindow(alert: Pick<Alert, 'startedAt' | 'resolvedAt'>, now: number): { from: number; to: number } {
  return { from: alert.startedAt - READINGS_MARGIN_MS, to: (alert.resolvedAt ?? now) + READINGS_MARGIN_MS };
}

export async function resolveEvidence(store: AlertStore, events: StoredAlertEvent[]): Promise<EvidenceEntry[]> {
  const bySeq = new Map<string, number[]>();
  for (const e of events) if (e.evidenceHash) bySeq.set(e.evidenceHash, [...(bySeq.get(e.evidenceHash) ?? []), e.seq]);
  const out: EvidenceEntry[] = [];
  for (const [hash, eventSeqs] of bySeq) {
    try {
      const observations = await store.evidence(hash);
      out.push(observations ? { hash, eventSeqs, verified: true, observations } : { hash, eventSeqs, verified: false, observations: null, problem: 'missing' });
    } catch (err) {
      // store.evidence refuses content that does not match its hash: show that, do not hide the alert (domain rule 7).
      out.push({ hash, eventSeqs, verified: false, observations: null, problem: (err as Error).message });
    }
  }
  return out;
}

/** The sensor's readings around the alert, or null with the reason. */
export async function readingsAround(
  alert: Alert,
  deps: DetailDeps,
  points: number,
): Promise<{ readings: AlertReadings | null; readingsNote?: { zh: string; en: string } }> {
  const kind = subjectKind(alert.subject);
  if (kind !== 'point')
    return { readings: null, readingsNote: { zh: `报警对象是${SUBJECT_KIND_ZH[kind]}，不是传感器，无监测曲线`, en: `the subject is a ${kind}, not a sensor` } };
  const sensor = await deps.getSensor(alert.enterpriseId, alert.subject);
  if (!sensor) return { readings: null, readingsNote: { zh: `测点 ${alert.subject} 不在台账中`, en: `sensor ${alert.subject} is not in the ledger` } };
  if ((SIGNAL_KINDS as string[]).includes(sensor.kind))
    return {
      readings: null,
      readingsNote: { zh: `${alert.subject} 是开关量信号（状态，无数值曲线）`, en: `${alert.subject} is a signal point (states, not readings)` },
    };
  const { from, to } = readingsWindow(alert, deps.now());
  const now = deps.now();
  const rollup = deps.rawRetentionMs === undefined ? undefined : { rawSinceMs: now - deps.rawRetentionMs, freshSinceMs: now - ROLLUP_FRESH_MS };
  const plan = planHistory({ enterpriseId: alert.enterpriseId, sensorId: sensor.id, from, to, points, periodMs: sensor.periodS * 1000, rollup });
  try {
    const pts = await runHistory(deps.influx, plan);
    const latest = await latestOf(deps.influx, plan, pts);
    const s = { id: sensor.id, kind: sensor.kind, unit: sensor.unit, periodS: sensor.periodS };
    return { readings: { sensor: s, from, to, mode: plan.mode, source: plan.source, intervalMs: plan.intervalMs, points: pts, latest } };
  } catch (err) {
    deps.logger.warn({ err, alertId: alert.id }, 'readings around an alert unavailable');
    return {
      readings: null,
      readingsNote: { zh: '监测数据暂时无法读取（时序数据库不可用）', en: 'readings unavailable (the time-series database did not answer)' },
    };
  }
}

// ───────────────────────── what an enterprise user sees ─────────────────────────
//
// An enterprise's safety manager or responsible person (issue #18) reads its own alarms to answer them (sign for,
// find the cause, feed back). What the bureau does about the alarm among its own people stays the bureau's:
//
// - the officers' own words: the duty officer's acknowledgement note and disposal text (处置情况), which may
//   say that an inspection is planned or targeted ("已派执法人员现场检查") — left out of the alert and of the
//   'acknowledged' and 'disposed' events (the events themselves stay: the alarm's state is no secret);
// - the bureau's internal handling: referral to the authority above (督办 escalations: the 'escalated' events,
//   `escalations`, `lastEscalatedAt`), the duty officer's acknowledgement clock (`dutyClockSince`), and the
//   shelving of a nuisance alarm off the duty lists (搁置: 'shelved'/'unshelved' events, `shelvedUntil`,
//   `shelvedBy`, `shelveReason`);
// - the inspection tasks an alarm opened are not part of this answer at all (they are `tasks.read`, which no
//   enterprise role has), and neither is anything of the officers' notes elsewhere.
//
// Everything else stays: the alarm, its rule, its evidence and the readings around it — the enterprise's own data.

/** Fields of an alert that are the bureau's own (see above). */
export const BUREAU_ALERT_FIELDS = [
  'acknowledgeNote',
  'disposal',
  'dutyClockSince',
  'escalations',
  'lastEscalatedAt',
  'shelvedUntil',
  'shelvedBy',
  'shelveReason',
] as const;
type BureauField = (typeof BUREAU_ALERT_FIELDS)[number];

/** Event types that are the bureau's internal handling, left out for an enterprise user. */
export const BUREAU_EVENT_TYPES: ReadonlySet<AlertEventType> = new Set<AlertEventType>(['escalated', 'shelved', 'unshelved']);
/** Event types whose `note` is an officer's own words (acknowledgement, disposal): kept, without the note. */
const OFFICER_NOTE_EVENT_TYPES: ReadonlySet<AlertEventType> = new Set<AlertEventType>(['acknowledged', 'disposed']);

/** The alert (or its summary) as an enterprise user sees it. */
export function enterpriseAlertView<A extends Partial<Record<BureauField, unknown>>>(a: A): Omit<A, BureauField> {
  const out: Record<string, unknown> = { ...a };
  for (const f of BUREAU_ALERT_FIELDS) delete out[f];
  return out as Omit<A, BureauField>;
}

/** Whether an enterprise user sees the event at all. */
export const enterpriseSeesEvent = (e: { type: AlertEventType }): boolean => !BUREAU_EVENT_TYPES.has(e.type);

/** The event as an enterprise user sees it (one it sees: `enterpriseSeesEvent`). */
export function enterpriseEventView<E extends { type: AlertEventType; note?: string | undefined }>(e: E): E {
  if (!OFFICER_NOTE_EVENT_TYPES.has(e.type) || e.note === undefined) return e;
  const { note: _note, ...rest } = e;
  void _note;
  return rest as E;
}

/** An alert's events as an enterprise user sees them. */
export const enterpriseEvents = <E extends { type: AlertEventType; note?: string | undefined }>(events: readonly E[]): E[] =>
  events.filter(enterpriseSeesEvent).map(enterpriseEventView);

/** The evidence entries an enterprise user sees: those of events it sees. */
export const enterpriseEvidence = (evidence: readonly EvidenceEntry[], seen: readonly { seq: number }[]): EvidenceEntry[] => {
  const seqs = new Set(seen.map((e) => e.seq));
  return evidence.map((x) => ({ ...x, eventSeqs: x.eventSeqs.filter((s) => seqs.has(s)) })).filter((x) => x.eventSeqs.length > 0);
};
