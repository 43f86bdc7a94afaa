/**
 * The point registry's indicator codes (指标编码, TARGET_CODE in the provincial platforms' layout), mapped to
 * the platform's kinds, and the registered thresholds each kind allows (issue #17 item 1).
 *
 * Provinces publish their own code lists and they differ (../shared/domain.md, "How the national system
 * works": "these field names come from provincial implementations; provinces vary"). This list is the
 * platform's own, in the pinyin-initial style those lists use, one code per kind. An import takes a point's
 * code as any of: the code (`YW`), the kind's id (`level`) or its Chinese name (`液位`), so a bureau's sheet
 * that names the indicator in words imports without a mapping table. docs/point-registry.md prints the list.
 *
 * Thresholds a kind allows (低低报 lowLow, 低报 low, 高报 high, 高高报 highHigh): a concentration (gas, dust,
 * sparks) alarms only upwards, so low marks are refused for it; oxygen alarms both ways (deficiency at 19.5 %
 * and enrichment above 23.5 %, GB 30871-2022 5.4.2); process values (level, temperature, pressure, flow,
 * differential pressure, current, wind speed) may carry all four; a process signal (a state) carries none.
 */
import { SENSOR_KINDS, SIGNAL_KINDS, type SensorKind, type SignalKind } from './contract.ts';
import { kindName } from './vocabulary.ts';

export type PointKind = SensorKind | SignalKind;
export type MarkName = 'lowLow' | 'low' | 'high' | 'highHigh';
export const MARK_NAMES: readonly MarkName[] = ['lowLow', 'low', 'high', 'highHigh'];
export const MARK_LABELS: Record<MarkName, { zh: string; en: string }> = {
  lowLow: { zh: '低低报', en: 'low-low' },
  low: { zh: '低报', en: 'low' },
  high: { zh: '高报', en: 'high' },
  highHigh: { zh: '高高报', en: 'high-high' },
};

const UPWARDS: readonly MarkName[] = ['high', 'highHigh'];
const BOTH_WAYS: readonly MarkName[] = MARK_NAMES;

/** The platform's indicator code of each kind, and the marks the kind allows. */
export const INDICATOR_CODES: Record<PointKind, { code: string; marks: readonly MarkName[] }> = {
  combustible_gas: { code: 'KRQT', marks: UPWARDS },
  toxic_gas: { code: 'YDQT', marks: UPWARDS },
  oxygen: { code: 'YQ', marks: BOTH_WAYS },
  methane: { code: 'JW', marks: UPWARDS },
  carbon_monoxide: { code: 'CO', marks: UPWARDS },
  wind_speed: { code: 'FS', marks: BOTH_WAYS },
  level: { code: 'YW', marks: BOTH_WAYS },
  temperature: { code: 'WD', marks: BOTH_WAYS },
  pressure: { code: 'YL', marks: BOTH_WAYS },
  flow: { code: 'LL', marks: BOTH_WAYS },
  dust_concentration: { code: 'FCND', marks: UPWARDS },
  differential_pressure: { code: 'YC', marks: BOTH_WAYS },
  spark_count: { code: 'HX', marks: UPWARDS },
  current: { code: 'DL', marks: BOTH_WAYS },
  production: { code: 'SCZT', marks: [] },
  interlock: { code: 'LSZT', marks: [] },
  detector: { code: 'TCQZT', marks: [] },
  valve: { code: 'FMZT', marks: [] },
  ventilation: { code: 'TFZT', marks: [] },
  power: { code: 'GDZT', marks: [] },
};

const ALL_KINDS: readonly PointKind[] = [...SENSOR_KINDS, ...SIGNAL_KINDS];

/** The kind an indicator is written as (code, kind id or Chinese name; case and surrounding spaces ignored), or undefined. */
export function kindOfIndicator(text: string): PointKind | undefined {
  const t = text.trim();
  const upper = t.toUpperCase();
  return ALL_KINDS.find((k) => INDICATOR_CODES[k].code === upper || k === t.toLowerCase() || kindName(k)?.zh === t);
}

export const indicatorCodeOf = (kind: string): string | undefined => INDICATOR_CODES[kind as PointKind]?.code;

/** The marks the kind allows (none for an unknown kind). */
export const marksAllowed = (kind: string): readonly MarkName[] => INDICATOR_CODES[kind as PointKind]?.marks ?? [];

/** The code list, for the documentation and the console: code, kind, names, unit hint, marks allowed. */
export function indicatorCodeList() {
  return ALL_KINDS.map((kind) => ({ code: INDICATOR_CODES[kind].code, kind, ...kindName(kind)!, marks: [...INDICATOR_CODES[kind].marks] }));
}
