/**
 * The time-series schema (docs/adr/0002-influxdb-schema.md):
 *
 *   reading,ent=…,gw=…,sensor=…,kind=…,unit=…  value=<float>,quality="good|uncertain|bad"  <device ms>
 *   signal,ent=…,gw=…,point=…,kind=…           state="…",code=<int>                       <device ms>
 *   gateway_status,ent=…,gw=…                  state="online|offline",reason="…"           <platform ms>
 *
 * Tags are only provisioned ids and their fixed attributes, so series
 * cardinality is bounded by the ledger (a reading for an unknown sensor is
 * dead-lettered, never written). Quality is a field: a re-sent reading with
 * the same sensor and device timestamp overwrites itself, which is what makes
 * gateway re-sends idempotent.
 */
import { SIGNAL_STATES, type Quality, type SignalKind } from '../contract.ts';
import { escapeTag, floatField, stringField } from './line-protocol.ts';

export const MEASUREMENTS = { reading: 'reading', signal: 'signal', gatewayStatus: 'gateway_status' } as const;

export interface SensorTags {
  enterpriseId: string;
  gatewayId: string;
  sensorId: string;
  kind: string;
  unit: string;
}

/** Precomputed `reading,ent=…,…` prefix for one sensor; built once per sensor, reused per point. */
export function readingSeriesKey(t: SensorTags): string {
  return `${MEASUREMENTS.reading},ent=${escapeTag(t.enterpriseId)},gw=${escapeTag(t.gatewayId)},kind=${escapeTag(t.kind)},sensor=${escapeTag(t.sensorId)}${t.unit ? `,unit=${escapeTag(t.unit)}` : ''}`;
}

const QUALITY_FIELD: Record<Quality, string> = { good: '"good"', uncertain: '"uncertain"', bad: '"bad"' };

export function readingLine(seriesKey: string, value: number, quality: Quality, tsMs: number): string {
  return `${seriesKey} value=${floatField(value)},quality=${QUALITY_FIELD[quality]} ${tsMs}`;
}

export function signalSeriesKey(t: { enterpriseId: string; gatewayId: string; pointId: string; kind: SignalKind }): string {
  return `${MEASUREMENTS.signal},ent=${escapeTag(t.enterpriseId)},gw=${escapeTag(t.gatewayId)},kind=${escapeTag(t.kind)},point=${escapeTag(t.pointId)}`;
}

/** `code` is the state's index in its kind's vocabulary, so signals can be aggregated numerically. */
export function signalLine(seriesKey: string, kind: SignalKind, state: string, tsMs: number): string {
  const code = (SIGNAL_STATES[kind] as readonly string[]).indexOf(state);
  return `${seriesKey} state=${stringField(state)},code=${code}i ${tsMs}`;
}

export function gatewayStatusLine(enterpriseId: string, gatewayId: string, state: 'online' | 'offline', reason: string, tsMs: number): string {
  return `${MEASUREMENTS.gatewayStatus},ent=${escapeTag(enterpriseId)},gw=${escapeTag(gatewayId)} state=${stringField(state)},reason=${stringField(reason)} ${tsMs}`;
}
