/**
 * What a simulated gateway reports over a window of simulated time, with the
 * active scenarios applied. Pure: a function of the gateway's definition, the
 * seed, the window and the scenarios. Each sensor's value at a tick depends
 * only on (seed, enterprise, sensor, tick), so any window can be regenerated
 * on its own and the expected readings are known exactly.
 *
 * - Each sensor reports at every multiple of its period in [fromMs, toMs).
 * - Each signal point reports its state at every multiple of its period, and
 *   at the instants a scenario changes it.
 * - Readings are ordered by timestamp, then by the sensor's place in the
 *   definition; signals likewise.
 */
import type { ReadingOut, SignalOut } from '../core/contract.ts';
import type { SimGatewayDef, SimSensorDef, SimSignalDef } from './fleet.ts';
import { asReported, dailyPattern, noiseAt } from './model.ts';
import { endOf, isActive, leakPeak, overfillPeak, rampFraction, scenariosBySensor, type Scenario } from './scenarios.ts';

export interface Generated {
  readings: ReadingOut[];
  signals: SignalOut[];
}

/** The first multiple of `periodMs` at or after `tsMs`. */
export function firstTickAtOrAfter(tsMs: number, periodMs: number): number {
  return Math.ceil(tsMs / periodMs) * periodMs;
}

/** The value a sensor reports at tick `ts` (a multiple of its period), with leak and overfill applied. */
function valueAt(def: SimGatewayDef, sensor: SimSensorDef, seed: number, ts: number, scenarios: readonly Scenario[]): number {
  const periodMs = sensor.periodS * 1000;
  const m = sensor.model;
  const noise = m.noiseSd * noiseAt(seed, def.enterpriseId, sensor.id, ts / periodMs);
  let raw = dailyPattern(m, ts) + noise;
  for (const s of scenarios) {
    if (!isActive(s, ts)) continue;
    if (s.type === 'gas_leak') {
      raw += (leakPeak(s, sensor) - m.base) * rampFraction(s, ts);
    } else if (s.type === 'overfill') {
      const t0 = firstTickAtOrAfter(s.startMs, periodMs);
      const startLevel = dailyPattern(m, t0) + m.noiseSd * noiseAt(seed, def.enterpriseId, sensor.id, t0 / periodMs);
      raw = startLevel + (overfillPeak(s, sensor) - startLevel) * rampFraction(s, ts) + noise;
    }
  }
  return asReported(m, raw);
}

function sensorReadings(
  def: SimGatewayDef,
  sensor: SimSensorDef,
  seed: number,
  fromMs: number,
  toMs: number,
  scenarios: readonly Scenario[],
  out: ReadingOut[],
) {
  const periodMs = sensor.periodS * 1000;
  for (let ts = firstTickAtOrAfter(fromMs, periodMs); ts < toMs; ts += periodMs) {
    let frozenAt: number | undefined;
    let silent = false;
    for (const s of scenarios) {
      if (!isActive(s, ts)) continue;
      if (s.type === 'detector_off') silent = true;
      else if (s.type === 'frozen') frozenAt ??= firstTickAtOrAfter(s.startMs, periodMs);
    }
    if (silent) continue;
    const value = valueAt(def, sensor, seed, frozenAt ?? ts, scenarios);
    out.push({ sensor: sensor.id, value, unit: sensor.unit, quality: 'good', ts });
  }
}

/** The state of a signal point at `ts` under the scenarios. */
export function signalStateAt(point: SimSignalDef, ts: number, scenarios: readonly Scenario[]): string {
  if (point.kind === 'detector' && point.sensorId !== undefined) {
    for (const s of scenarios) if (s.type === 'detector_off' && s.sensorId === point.sensorId && isActive(s, ts)) return 'off';
  }
  return point.normal;
}

function pointSignals(point: SimSignalDef, fromMs: number, toMs: number, scenarios: readonly Scenario[], out: SignalOut[]) {
  const periodMs = point.periodS * 1000;
  const times = new Set<number>();
  for (let ts = firstTickAtOrAfter(fromMs, periodMs); ts < toMs; ts += periodMs) times.add(ts);
  if (point.kind === 'detector' && point.sensorId !== undefined) {
    for (const s of scenarios) {
      if (s.type !== 'detector_off' || s.sensorId !== point.sensorId) continue;
      for (const t of [s.startMs, endOf(s)]) if (t >= fromMs && t < toMs) times.add(t);
    }
  }
  for (const ts of [...times].sort((a, b) => a - b)) out.push({ point: point.id, kind: point.kind, state: signalStateAt(point, ts, scenarios), ts });
}

/**
 * Readings and signals of one gateway over [fromMs, toMs) with the given
 * scenarios (those naming other gateways are ignored). Timestamps are epoch ms.
 */
export function generate(def: SimGatewayDef, seed: number, fromMs: number, toMs: number, scenarios: readonly Scenario[] = []): Generated {
  const mine = scenarios.filter((s) => s.gatewayId === def.gatewayId);
  const bySensor = scenariosBySensor(def, mine);
  const readings: ReadingOut[] = [];
  for (const sensor of def.sensors) sensorReadings(def, sensor, seed, fromMs, toMs, bySensor.get(sensor.id) ?? [], readings);
  const signals: SignalOut[] = [];
  for (const point of def.signals) pointSignals(point, fromMs, toMs, mine, signals);
  // Stable sorts: ties keep the definition's order.
  readings.sort((a, b) => (a.ts as number) - (b.ts as number));
  signals.sort((a, b) => (a.ts as number) - (b.ts as number));
  return { readings, signals };
}
