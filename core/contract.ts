/**
 * The gateway contract, version 1: topics and payloads. The one source of truth
 * imported by the broker's ACL, ingest, simulators and tests; README §Contract
 * documents it for integrators.
 *
 *   v1/{enterpriseId}/{gatewayId}/readings   gateway → platform   ReadingsMessage
 *   v1/{enterpriseId}/{gatewayId}/signals    gateway → platform   SignalsMessage
 *   v1/{enterpriseId}/{gatewayId}/status     gateway → platform   StatusMessage (also the last will)
 *   v1/{enterpriseId}/{gatewayId}/cmd/#      platform → gateway   (the only thing a gateway may subscribe to)
 */
import { z } from 'zod';

export const CONTRACT_VERSION = 1;
export const TOPIC_ROOT = 'v1';

/** Ids of enterprises, gateways, sensors and signal points: safe in topics, tags and URLs. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const idSchema = z.string().regex(ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit');

export const UPLINK_CHANNELS = ['readings', 'signals', 'status'] as const;
export type UplinkChannel = (typeof UPLINK_CHANNELS)[number];

export type ParsedTopic =
  | { kind: 'uplink'; enterpriseId: string; gatewayId: string; channel: UplinkChannel }
  | { kind: 'downlink'; enterpriseId: string; gatewayId: string; rest: string[] }
  | { kind: 'invalid'; reason: string };

/** Parses a concrete (wildcard-free) topic of the contract. Pure; cheap enough for every message. */
export function parseTopic(topic: string): ParsedTopic {
  const parts = topic.split('/');
  if (parts[0] !== TOPIC_ROOT) return { kind: 'invalid', reason: `topic must start with ${TOPIC_ROOT}/` };
  const [, enterpriseId, gatewayId, channel, ...rest] = parts;
  if (enterpriseId === undefined || !ID_PATTERN.test(enterpriseId)) return { kind: 'invalid', reason: 'bad enterprise id in topic' };
  if (gatewayId === undefined || !ID_PATTERN.test(gatewayId)) return { kind: 'invalid', reason: 'bad gateway id in topic' };
  if (channel === 'cmd') return { kind: 'downlink', enterpriseId, gatewayId, rest };
  if (rest.length === 0 && (UPLINK_CHANNELS as readonly string[]).includes(channel ?? '')) {
    return { kind: 'uplink', enterpriseId, gatewayId, channel: channel as UplinkChannel };
  }
  return { kind: 'invalid', reason: `unknown channel '${channel ?? ''}'` };
}

export const topics = {
  readings: (enterpriseId: string, gatewayId: string) => `${TOPIC_ROOT}/${enterpriseId}/${gatewayId}/readings`,
  signals: (enterpriseId: string, gatewayId: string) => `${TOPIC_ROOT}/${enterpriseId}/${gatewayId}/signals`,
  status: (enterpriseId: string, gatewayId: string) => `${TOPIC_ROOT}/${enterpriseId}/${gatewayId}/status`,
  commands: (enterpriseId: string, gatewayId: string) => `${TOPIC_ROOT}/${enterpriseId}/${gatewayId}/cmd/#`,
  commandPrefix: (enterpriseId: string, gatewayId: string) => `${TOPIC_ROOT}/${enterpriseId}/${gatewayId}/cmd`,
};

/** Analog sensor kinds the platform knows; rules (issue 3) key their defaults on these. */
export const SENSOR_KINDS = [
  'combustible_gas', // %LEL
  'toxic_gas', // ppm
  'oxygen', // %vol
  'methane', // %CH4 (mines)
  'carbon_monoxide', // ppm
  'wind_speed', // m/s (mine ventilation)
  'level', // m or %
  'temperature', // °C
  'pressure', // kPa / MPa
  'flow', // m³/h
  'dust_concentration', // mg/m³
  'differential_pressure', // Pa
  'spark_count', // count per interval
  'current', // A
] as const;
export type SensorKind = (typeof SENSOR_KINDS)[number];

/** Process-signal kinds and the states each may report. */
export const SIGNAL_STATES = {
  production: ['running', 'stopped'],
  interlock: ['enabled', 'bypassed', 'tripped'],
  detector: ['powered', 'off', 'faulted'],
  valve: ['open', 'closed'],
  ventilation: ['running', 'stopped'],
  power: ['energised', 'de-energised'],
} as const satisfies Record<string, readonly string[]>;
export type SignalKind = keyof typeof SIGNAL_STATES;
export const SIGNAL_KINDS = Object.keys(SIGNAL_STATES) as SignalKind[];

export const QUALITIES = ['good', 'uncertain', 'bad'] as const;
export type Quality = (typeof QUALITIES)[number];

/**
 * A device timestamp: epoch milliseconds (integer) or an ISO 8601 string with a
 * zone (`Z` or `+08:00`). Normalised to epoch milliseconds.
 */
export const timestampSchema = z.union([
  z.number().int('epoch milliseconds must be an integer').nonnegative(),
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/, 'ISO 8601 with a zone, e.g. 2026-11-26T08:00:00.000+08:00')
    .transform((s, ctx) => {
      const ms = Date.parse(s);
      // Date.parse rolls impossible dates over (02-30 → 03-02); refuse them instead of storing a wrong time.
      const [y, mo, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number];
      const dayOk = d >= 1 && mo >= 1 && mo <= 12 && d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
      if (Number.isNaN(ms) || !dayOk) {
        ctx.addIssue({ code: 'custom', message: 'not a valid date' });
        return z.NEVER;
      }
      return ms;
    }),
]);

export const readingSchema = z.strictObject({
  sensor: idSchema,
  value: z.number().refine(Number.isFinite, 'must be a finite number'),
  unit: z.string().min(1).max(32),
  quality: z.enum(QUALITIES),
  ts: timestampSchema,
});
export type Reading = z.output<typeof readingSchema>;

export const signalSchema = z.strictObject({
  point: idSchema,
  kind: z.enum(SIGNAL_KINDS as [SignalKind, ...SignalKind[]]).optional(),
  state: z.string().min(1).max(32),
  ts: timestampSchema,
});
export type Signal = z.output<typeof signalSchema>;

/** Most items one message may carry; larger backlogs are sent as several messages. */
export const MAX_ITEMS_PER_MESSAGE = 1000;

/** The envelope is checked first; items one by one, so one bad item does not sink its neighbours. */
export const readingsEnvelope = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  readings: z.array(z.unknown()).min(1).max(MAX_ITEMS_PER_MESSAGE),
});
export const signalsEnvelope = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  signals: z.array(z.unknown()).min(1).max(MAX_ITEMS_PER_MESSAGE),
});
export const statusSchema = z.strictObject({
  v: z.literal(CONTRACT_VERSION),
  state: z.enum(['online', 'offline']),
  ts: timestampSchema.optional(),
});
export type StatusMessage = z.output<typeof statusSchema>;

/** What a gateway sends; used by simulators and tests to build payloads that match the schemas. */
export interface ReadingOut {
  sensor: string;
  value: number;
  unit: string;
  quality: Quality;
  ts: number | string;
}
export interface SignalOut {
  point: string;
  kind?: SignalKind;
  state: string;
  ts: number | string;
}
export const encodeReadings = (readings: ReadingOut[]): string => JSON.stringify({ v: CONTRACT_VERSION, readings });
export const encodeSignals = (signals: SignalOut[]): string => JSON.stringify({ v: CONTRACT_VERSION, signals });
export const encodeStatus = (state: 'online' | 'offline', ts?: number): string =>
  JSON.stringify(ts === undefined ? { v: CONTRACT_VERSION, state } : { v: CONTRACT_VERSION, state, ts });
