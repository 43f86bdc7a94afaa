/**
 * Decoding, validation and normalisation of one uplink message. Pure: a
 * function of the payload, the gateway's provisioned points and the clock's
 * reading. Valid items become line-protocol lines; each invalid item (or the
 * whole message, when its envelope is bad) becomes a rejection with a code and
 * a reason, so one bad reading never sinks its neighbours.
 */
import type { z } from 'zod';
import {
  ID_PATTERN,
  MAX_ITEMS_PER_MESSAGE,
  QUALITIES,
  SIGNAL_STATES,
  readingSchema,
  readingsEnvelope,
  signalSchema,
  signalsEnvelope,
  type Reading,
} from '../core/contract.ts';
import { readingLine, signalLine } from '../core/influx/schema.ts';
import type { PointRecord } from '../ledger/registry.ts';

export const REJECT_CODES = [
  'not_utf8',
  'malformed_json',
  'bad_envelope',
  'unsupported_version',
  'bad_item',
  'unknown_sensor',
  'wrong_point_type',
  'unit_mismatch',
  'bad_state',
  'timestamp_in_future',
  'timestamp_too_old',
] as const;
export type RejectCode = (typeof REJECT_CODES)[number];

export interface Rejection {
  code: RejectCode;
  reason: string;
  /** Index of the item in the message; absent when the whole message is rejected. */
  index?: number;
  /** The offending item, as received (absent for whole-message rejections). */
  item?: unknown;
}

/** A normalised item, handed on to the rules worker once stored. */
export type Normalised =
  | { type: 'reading'; point: PointRecord & { type: 'sensor' }; value: number; quality: 'good' | 'uncertain' | 'bad'; ts: number }
  | { type: 'signal'; point: PointRecord & { type: 'signal' }; state: string; ts: number };

export interface Decoded {
  lines: string[];
  items: Normalised[];
  rejections: Rejection[];
  /** Items found in the message (valid + invalid); 0 when the envelope failed. */
  itemCount: number;
  /** Point ids the message named that the gateway's map lacked; the caller may reload and retry once. */
  unknownPoints: string[];
}

export interface DecodeContext {
  points: Map<string, PointRecord>;
  now: number;
  maxFutureSkewMs: number;
  maxAgeMs: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function issueText(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(item)'}: ${i.message}`)
    .join('; ');
}

function whole(code: RejectCode, reason: string): Decoded {
  return { lines: [], items: [], rejections: [{ code, reason }], itemCount: 0, unknownPoints: [] };
}

function parseJson(payload: Uint8Array): { ok: true; value: unknown } | { ok: false; decoded: Decoded } {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return { ok: false, decoded: whole('not_utf8', 'payload is not valid UTF-8') };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, decoded: whole('malformed_json', `payload is not JSON: ${(err as Error).message}`) };
  }
}

function envelopeRejection(value: unknown, error: z.ZodError): Decoded {
  const v = (value as { v?: unknown } | null)?.v;
  if (typeof value === 'object' && value !== null && v !== undefined && v !== 1) {
    return whole('unsupported_version', `contract version ${JSON.stringify(v)} is not supported; this platform speaks v=1`);
  }
  return whole('bad_envelope', issueText(error));
}

function checkTime(ts: number, ctx: DecodeContext): Rejection | undefined {
  if (ts > ctx.now + ctx.maxFutureSkewMs) {
    return {
      code: 'timestamp_in_future',
      reason: `timestamp ${new Date(ts).toISOString()} is more than ${ctx.maxFutureSkewMs} ms ahead of the platform clock`,
    };
  }
  if (ts < ctx.now - ctx.maxAgeMs) {
    return {
      code: 'timestamp_too_old',
      reason: `timestamp ${Number.isFinite(ts) && ts > -8.64e15 ? new Date(ts).toISOString() : ts} is older than the ${ctx.maxAgeMs} ms backlog window`,
    };
  }
  return undefined;
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The common case of `readingsEnvelope`, checked without zod: exactly `v: 1`
 * and 1–MAX_ITEMS_PER_MESSAGE readings. Anything else goes to zod, which
 * accepts or refuses it with its reasons; this accepts nothing zod would not.
 */
function plainReadingsEnvelope(v: unknown): unknown[] | undefined {
  if (!isRecord(v) || v.v !== 1 || !Array.isArray(v.readings) || Object.keys(v).length !== 2 || !own(v, 'v') || !own(v, 'readings')) return undefined;
  const n = v.readings.length;
  return n >= 1 && n <= MAX_ITEMS_PER_MESSAGE ? (v.readings as unknown[]) : undefined;
}

const QUALITY_SET: ReadonlySet<unknown> = new Set<unknown>(QUALITIES);

/**
 * The common case of `readingSchema` (profiled: zod was most of the decoding
 * time per reading), checked by hand: exactly the five fields, an id, a finite
 * value, a unit of 1–32, a known quality and epoch milliseconds. A reading
 * this does not accept (an ISO timestamp, an extra field, any error) goes to
 * zod, so what is stored and what is refused, with which reason, is unchanged.
 */
function plainReading(raw: unknown): Reading | undefined {
  if (!isRecord(raw)) return undefined;
  const { sensor, value, unit, quality, ts } = raw;
  if (
    typeof sensor === 'string' &&
    typeof value === 'number' &&
    Number.isFinite(value) &&
    typeof unit === 'string' &&
    unit.length >= 1 &&
    unit.length <= 32 &&
    QUALITY_SET.has(quality) &&
    typeof ts === 'number' &&
    Number.isSafeInteger(ts) &&
    ts >= 0 &&
    ID_PATTERN.test(sensor) &&
    Object.keys(raw).length === 5 &&
    own(raw, 'sensor') &&
    own(raw, 'value') &&
    own(raw, 'unit') &&
    own(raw, 'quality') &&
    own(raw, 'ts')
  ) {
    return { sensor, value, unit, quality: quality as Reading['quality'], ts };
  }
  return undefined;
}

export function decodeReadings(payload: Uint8Array, ctx: DecodeContext): Decoded {
  const parsed = parseJson(payload);
  if (!parsed.ok) return parsed.decoded;
  let readings = plainReadingsEnvelope(parsed.value);
  if (!readings) {
    const env = readingsEnvelope.safeParse(parsed.value);
    if (!env.success) return envelopeRejection(parsed.value, env.error);
    readings = env.data.readings;
  }
  const out: Decoded = { lines: [], items: [], rejections: [], itemCount: readings.length, unknownPoints: [] };
  readings.forEach((raw, index) => {
    const plain = plainReading(raw);
    const r = plain ? { success: true as const, data: plain } : readingSchema.safeParse(raw);
    if (!r.success) {
      out.rejections.push({ code: 'bad_item', reason: issueText(r.error), index, item: raw });
      return;
    }
    const { sensor, value, unit, quality, ts } = r.data;
    const point = ctx.points.get(sensor);
    if (!point) {
      out.unknownPoints.push(sensor);
      out.rejections.push({ code: 'unknown_sensor', reason: `sensor '${sensor}' is not provisioned on this gateway`, index, item: raw });
      return;
    }
    if (point.type !== 'sensor') {
      out.rejections.push({ code: 'wrong_point_type', reason: `'${sensor}' is a ${point.kind} signal point; send it on the signals topic`, index, item: raw });
      return;
    }
    if (unit !== point.unit) {
      out.rejections.push({ code: 'unit_mismatch', reason: `sensor '${sensor}' is provisioned in '${point.unit}', reading says '${unit}'`, index, item: raw });
      return;
    }
    const timeProblem = checkTime(ts, ctx);
    if (timeProblem) {
      out.rejections.push({ ...timeProblem, index, item: raw });
      return;
    }
    out.lines.push(readingLine(point.seriesKey, value, quality, ts));
    out.items.push({ type: 'reading', point, value, quality, ts });
  });
  return out;
}

export function decodeSignals(payload: Uint8Array, ctx: DecodeContext): Decoded {
  const parsed = parseJson(payload);
  if (!parsed.ok) return parsed.decoded;
  const env = signalsEnvelope.safeParse(parsed.value);
  if (!env.success) return envelopeRejection(parsed.value, env.error);
  const out: Decoded = { lines: [], items: [], rejections: [], itemCount: env.data.signals.length, unknownPoints: [] };
  env.data.signals.forEach((raw, index) => {
    const s = signalSchema.safeParse(raw);
    if (!s.success) {
      out.rejections.push({ code: 'bad_item', reason: issueText(s.error), index, item: raw });
      return;
    }
    const { point: pointId, kind, state, ts } = s.data;
    const point = ctx.points.get(pointId);
    if (!point) {
      out.unknownPoints.push(pointId);
      out.rejections.push({ code: 'unknown_sensor', reason: `signal point '${pointId}' is not provisioned on this gateway`, index, item: raw });
      return;
    }
    if (point.type !== 'signal') {
      out.rejections.push({ code: 'wrong_point_type', reason: `'${pointId}' is a ${point.kind} sensor; send it on the readings topic`, index, item: raw });
      return;
    }
    if (kind !== undefined && kind !== point.kind) {
      out.rejections.push({ code: 'bad_state', reason: `'${pointId}' is provisioned as ${point.kind}, message says ${kind}`, index, item: raw });
      return;
    }
    const states: readonly string[] = SIGNAL_STATES[point.kind];
    if (!states.includes(state)) {
      out.rejections.push({ code: 'bad_state', reason: `state '${state}' is not one of ${states.join('/')} for a ${point.kind} point`, index, item: raw });
      return;
    }
    const timeProblem = checkTime(ts, ctx);
    if (timeProblem) {
      out.rejections.push({ ...timeProblem, index, item: raw });
      return;
    }
    out.lines.push(signalLine(point.seriesKey, point.kind, state, ts));
    out.items.push({ type: 'signal', point, state, ts });
  });
  return out;
}
