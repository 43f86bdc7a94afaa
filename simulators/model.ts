/**
 * The value model of one simulated instrument under normal operation:
 *
 *   value(t) = clamp(quantise(base + dailyAmplitude·cos(2π(h(t) − peakHour)/24) + noiseSd·N(0,1)), min, max)
 *
 * where h(t) is the hour of day in China Standard Time (UTC+8) and N(0,1) is a
 * standard normal draw truncated at ±4σ, keyed on (seed, enterprise, sensor,
 * tick) so that any tick can be computed on its own. Pure.
 */
import { keyOf, mulberry32, truncatedGaussian } from './prng.ts';

export interface SensorModel {
  /** Mean value, in the sensor's unit. */
  base: number;
  /** Half the peak-to-peak swing of the daily pattern, in the sensor's unit. */
  dailyAmplitude: number;
  /** Hour of the day (China Standard Time, 0-24) at which the daily pattern peaks. */
  peakHour: number;
  /** Standard deviation of the measurement noise; draws are truncated at ±4σ. */
  noiseSd: number;
  /** Instrument resolution: every value is a multiple of it (e.g. 0.1). */
  resolution: number;
  /** Lower end of the instrument's physical range. */
  min: number;
  /** Upper end of the instrument's physical range. */
  max: number;
}

/** Where the noise is truncated, in standard deviations. */
export const NOISE_LIMIT_SD = 4;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** China Standard Time: the plants work to local daylight, not UTC. */
const TZ_OFFSET_MS = 8 * HOUR_MS;

/** Hour of the day (0-24, fractional) in China Standard Time. */
export function hourOfDay(tsMs: number): number {
  return ((((tsMs + TZ_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
}

/** Decimal places of a resolution such as 0.01 → 2, 1 → 0, 0.5 → 1. */
export function decimalsOf(resolution: number): number {
  const s = String(resolution);
  const e = /e-(\d+)$/.exec(s);
  if (e) return Number(e[1]);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Rounds to a multiple of `resolution`, without binary-fraction tails (0.30000000000000004). */
export function quantise(value: number, resolution: number): number {
  const q = Number((Math.round(value / resolution) * resolution).toFixed(decimalsOf(resolution)));
  return q === 0 ? 0 : q; // no -0
}

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

/** The noise-free daily pattern at `tsMs`. */
export function dailyPattern(m: SensorModel, tsMs: number): number {
  return m.base + m.dailyAmplitude * Math.cos((2 * Math.PI * (hourOfDay(tsMs) - m.peakHour)) / 24);
}

/** The standard normal noise draw of one tick of one sensor (truncated at ±4σ). */
export function noiseAt(seed: number, enterpriseId: string, sensorId: string, tick: number): number {
  return truncatedGaussian(mulberry32(keyOf(seed, enterpriseId, sensorId, tick)), NOISE_LIMIT_SD);
}

/** Quantises and clamps a raw value the way the instrument would report it. */
export function asReported(m: SensorModel, raw: number): number {
  return clamp(quantise(clamp(raw, m.min, m.max), m.resolution), m.min, m.max);
}

/** The value an instrument reports at `tsMs` (tick = tsMs / period) under normal operation. */
export function normalValue(m: SensorModel, seed: number, enterpriseId: string, sensorId: string, tick: number, tsMs: number): number {
  return asReported(m, dailyPattern(m, tsMs) + m.noiseSd * noiseAt(seed, enterpriseId, sensorId, tick));
}

/**
 * The band every normal-operation value of the model falls in: pattern ± noise
 * limit, widened by one resolution step for rounding, within the physical range.
 */
export function normalBand(m: SensorModel): [number, number] {
  const spread = Math.abs(m.dailyAmplitude) + NOISE_LIMIT_SD * m.noiseSd + m.resolution;
  return [Math.max(m.min, m.base - spread), Math.min(m.max, m.base + spread)];
}
