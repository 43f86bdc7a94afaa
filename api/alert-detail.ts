/**
 * What `GET /api/v1/alerts/:id` shows besides the alert: its event record,
 * its evidence snapshots (verified against their hashes), and the sensor's
 * readings around it.
 */
import type { InfluxClient } from '../core/influx/client.ts';
import { SIGNAL_KINDS } from '../core/contract.ts';
import type { Logger } from '../core/logger.ts';
import type { Alert } from '../alerts/state/index.ts';
import type { AlertStore, StoredAlertEvent } from '../alerts/store.ts';
import { ROLLUP_FRESH_MS, planHistory, runHistory, type HistoryPoint } from './history.ts';

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
export async function readingsAround(alert: Alert, deps: DetailDeps, points: number): Promise<{ readings: AlertReadings | null; readingsNote?: string }> {
  const kind = subjectKind(alert.subject);
  if (kind !== 'point') return { readings: null, readingsNote: `the subject is a ${kind}, not a sensor` };
  const sensor = await deps.getSensor(alert.enterpriseId, alert.subject);
  if (!sensor) return { readings: null, readingsNote: `sensor ${alert.subject} is not in the ledger` };
  if ((SIGNAL_KINDS as string[]).includes(sensor.kind)) return { readings: null, readingsNote: `${alert.subject} is a signal point (states, not readings)` };
  const { from, to } = readingsWindow(alert, deps.now());
  const now = deps.now();
  const rollup = deps.rawRetentionMs === undefined ? undefined : { rawSinceMs: now - deps.rawRetentionMs, freshSinceMs: now - ROLLUP_FRESH_MS };
  const plan = planHistory({ enterpriseId: alert.enterpriseId, sensorId: sensor.id, from, to, points, periodMs: sensor.periodS * 1000, rollup });
  try {
    const pts = await runHistory(deps.influx, plan);
    const s = { id: sensor.id, kind: sensor.kind, unit: sensor.unit, periodS: sensor.periodS };
    return { readings: { sensor: s, from, to, mode: plan.mode, source: plan.source, intervalMs: plan.intervalMs, points: pts } };
  } catch (err) {
    deps.logger.warn({ err, alertId: alert.id }, 'readings around an alert unavailable');
    return { readings: null, readingsNote: `readings unavailable: ${(err as Error).message}` };
  }
}
