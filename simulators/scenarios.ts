/**
 * Scenarios injected into a running fleet on command, each from a given
 * simulated time, and how each alters what a gateway generates. Pure.
 *
 * - `gas_leak`: a gas detector's concentration ramps from its baseline up to
 *   `peak` (default 60 %LEL for combustible gas) over `rampMinutes` (default 10).
 * - `overfill`: a tank's level (default: the gateway's first level sensor)
 *   rises from its value at `startMs` to `peak` (default halfway between
 *   high-high and the top of the tank) over `rampMinutes` (default 30), while
 *   the inlet valve keeps reporting 'open' — it failed to close.
 * - `offline`: the gateway loses its link for `durationMs`; it keeps
 *   generating into its store-and-forward backlog and flushes it on
 *   reconnect. Generation itself is unchanged (see SimGateway).
 * - `frozen`: a sensor keeps reporting the value it had at `startMs`.
 * - `detector_off`: a gas detector's `detector` point reports 'off' and the
 *   detector sends no readings; production keeps 'running'.
 *
 * Every scenario but `offline` may end after an optional `durationMs`;
 * without one it lasts for ever.
 */
import { z } from 'zod';
import { idSchema, type SensorKind } from '../core/contract.ts';
import type { SimGatewayDef, SimSensorDef } from './fleet.ts';

/** Ramp of a gas leak, minutes, when the scenario names none. */
export const DEFAULT_LEAK_RAMP_MINUTES = 10;
/** Ramp of an overfill, minutes, when the scenario names none. */
export const DEFAULT_OVERFILL_RAMP_MINUTES = 30;

/** Peak of a gas leak per gas kind, in the kind's usual unit, when the scenario names none. */
export const DEFAULT_LEAK_PEAK: Partial<Record<SensorKind, number>> = {
  combustible_gas: 60, // %LEL
  toxic_gas: 60, // ppm
  methane: 2.5, // %CH4
  carbon_monoxide: 100, // ppm
};
export const GAS_KINDS = Object.keys(DEFAULT_LEAK_PEAK) as SensorKind[];

const startMs = z.number().int().nonnegative();
const durationMs = z.number().int().positive();

export const gasLeakSchema = z.strictObject({
  type: z.literal('gas_leak'),
  gatewayId: idSchema,
  sensorId: idSchema,
  startMs,
  durationMs: durationMs.optional(),
  /** Minutes from the baseline to the peak. Default 10. */
  rampMinutes: z
    .number()
    .positive()
    .max(24 * 60)
    .optional(),
  /** Concentration reached at the end of the ramp. Default per gas kind (60 %LEL for combustible gas). */
  peak: z.number().positive().optional(),
});
export const overfillSchema = z.strictObject({
  type: z.literal('overfill'),
  gatewayId: idSchema,
  /** The level sensor; default the gateway's first sensor of kind `level`. */
  sensorId: idSchema.optional(),
  startMs,
  durationMs: durationMs.optional(),
  /** Minutes from the level at `startMs` to the peak. Default 30. */
  rampMinutes: z
    .number()
    .positive()
    .max(24 * 60)
    .optional(),
  /** Level reached at the end of the ramp. Default halfway between high-high and the top of the tank. */
  peak: z.number().optional(),
});
export const offlineSchema = z.strictObject({ type: z.literal('offline'), gatewayId: idSchema, startMs, durationMs });
export const frozenSchema = z.strictObject({ type: z.literal('frozen'), gatewayId: idSchema, sensorId: idSchema, startMs, durationMs: durationMs.optional() });
export const detectorOffSchema = z.strictObject({
  type: z.literal('detector_off'),
  gatewayId: idSchema,
  sensorId: idSchema,
  startMs,
  durationMs: durationMs.optional(),
});

export const scenarioSchema = z.discriminatedUnion('type', [gasLeakSchema, overfillSchema, offlineSchema, frozenSchema, detectorOffSchema]);

export type Scenario = z.input<typeof scenarioSchema>;
export type ScenarioType = Scenario['type'];
export type GasLeak = Extract<Scenario, { type: 'gas_leak' }>;
export type Overfill = Extract<Scenario, { type: 'overfill' }>;
export type Offline = Extract<Scenario, { type: 'offline' }>;
export type Frozen = Extract<Scenario, { type: 'frozen' }>;
export type DetectorOff = Extract<Scenario, { type: 'detector_off' }>;

/** End of a scenario's effect (exclusive), or Infinity. */
export function endOf(s: Scenario): number {
  return s.durationMs === undefined ? Number.POSITIVE_INFINITY : s.startMs + s.durationMs;
}

export function isActive(s: Scenario, tsMs: number): boolean {
  return tsMs >= s.startMs && tsMs < endOf(s);
}

/** The sensor a sensor-level scenario acts on, resolved against the gateway (overfill defaults to the first level sensor). */
export function targetSensor(def: SimGatewayDef, s: Scenario): SimSensorDef | undefined {
  switch (s.type) {
    case 'offline':
      return undefined;
    case 'overfill':
      return s.sensorId === undefined ? def.sensors.find((x) => x.kind === 'level') : def.sensors.find((x) => x.id === s.sensorId);
    case 'gas_leak':
    case 'frozen':
    case 'detector_off':
      return def.sensors.find((x) => x.id === s.sensorId);
  }
}

/** Checks a scenario against the gateway it names; returns what is wrong, or undefined. */
export function checkScenario(def: SimGatewayDef | undefined, s: Scenario): string | undefined {
  if (!def) return `unknown gateway '${s.gatewayId}'`;
  if (s.type === 'offline') return undefined;
  const sensor = targetSensor(def, s);
  if (!sensor)
    return s.type === 'overfill' && s.sensorId === undefined
      ? `gateway ${def.gatewayId} has no level sensor`
      : `gateway ${def.gatewayId} has no sensor '${s.sensorId}'`;
  if (s.type === 'gas_leak' && !GAS_KINDS.includes(sensor.kind)) return `sensor ${sensor.id} is a ${sensor.kind} sensor, not a gas detector`;
  if (s.type === 'overfill' && sensor.kind !== 'level') return `sensor ${sensor.id} is a ${sensor.kind} sensor, not a level sensor`;
  return undefined;
}

/** The gas leak's peak: the scenario's, else the gas kind's default, else ten times the sensor's baseline. */
export function leakPeak(s: GasLeak, sensor: SimSensorDef): number {
  return s.peak ?? DEFAULT_LEAK_PEAK[sensor.kind] ?? Math.max(1, sensor.model.base * 10);
}

/** The overfill's peak: the scenario's, else halfway between high-high (or high) and the top of the tank. */
export function overfillPeak(s: Overfill, sensor: SimSensorDef): number {
  if (s.peak !== undefined) return s.peak;
  const hh = sensor.marks?.highHigh ?? sensor.marks?.high ?? sensor.model.base + (sensor.model.max - sensor.model.base) / 2;
  return hh + (sensor.model.max - hh) / 2;
}

/** How far along its ramp a scenario is at `tsMs`: 0 at `startMs`, 1 after `rampMinutes`. */
export function rampFraction(s: GasLeak | Overfill, tsMs: number): number {
  const rampMs = (s.rampMinutes ?? (s.type === 'gas_leak' ? DEFAULT_LEAK_RAMP_MINUTES : DEFAULT_OVERFILL_RAMP_MINUTES)) * 60_000;
  const f = (tsMs - s.startMs) / rampMs;
  return f <= 0 ? 0 : f >= 1 ? 1 : f;
}

/** The scenarios acting on each sensor of a gateway, by sensor id, in the order given. */
export function scenariosBySensor(def: SimGatewayDef, scenarios: readonly Scenario[]): Map<string, Scenario[]> {
  const out = new Map<string, Scenario[]>();
  for (const s of scenarios) {
    if (s.gatewayId !== def.gatewayId || s.type === 'offline') continue;
    const sensor = targetSensor(def, s);
    if (!sensor) continue;
    const list = out.get(sensor.id) ?? [];
    list.push(s);
    out.set(sensor.id, list);
  }
  return out;
}

/** The offline windows of a gateway, as [start, end) pairs. */
export function offlineWindows(gatewayId: string, scenarios: readonly Scenario[]): [number, number][] {
  return scenarios.filter((s): s is Offline => s.type === 'offline' && s.gatewayId === gatewayId).map((s) => [s.startMs, s.startMs + s.durationMs]);
}
