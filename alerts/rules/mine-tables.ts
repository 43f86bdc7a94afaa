/**
 * The two tables of 《煤矿安全规程》(2022) a mine sensor's limits depend on,
 * as data: the methane sensor's alarm / power-off / restore concentrations by
 * its location (第四百九十八条 表) and the allowed wind speed by roadway type
 * (第一百三十六条 表). A methane sensor's location and a wind-speed sensor's
 * roadway type are the sensor's `role` (core/vocabulary.ts lists the valid
 * ones). Pure data; the mine pack (packs/mine.ts) builds one rule per row.
 *
 * `checked` says how each row's values were checked: `secondary` — the values
 * agree with a published reproduction of the table (a mine's sensor-setting
 * list "甲烷传感器的报警浓度、断电浓度、复电浓度、断电范围", and for the trolley-
 * locomotive rows the 2022 《煤矿安全规程》解读); `memory` — written from
 * memory of the regulation and NOT checked against its text. Check every
 * `memory` row against the official text before relying on it.
 */

import { METHANE_LOCATION_TERMS, ROADWAY_TYPE_TERMS, termIn } from '../../core/vocabulary.ts';

export type TableCheck = 'secondary' | 'memory';

export interface MethaneLocation {
  /** The sensor's `role`, e.g. `upper_corner`. */
  id: string;
  zh: string;
  en: string;
  /** Alarm concentration, % CH4 (the alarm sounds at or above it). */
  alarm: number;
  /** Power-off concentration, % CH4 (at or above it the range below loses power); null: the table sets none (alarm only). */
  powerOff: number | null;
  /** Restore concentration, % CH4 (power may be restored below it); null when there is no power-off. */
  restore: number | null;
  /** What loses power (断电范围), as the table says. */
  powerOffRange: string | null;
  checked: TableCheck;
}

/** A row's id and names (core/vocabulary.ts). */
const methaneLocation = (id: string) => termIn(METHANE_LOCATION_TERMS, id);
const roadwayType = (id: string) => termIn(ROADWAY_TYPE_TERMS, id);

export const METHANE_ARTICLE = '《煤矿安全规程》(2022) 第四百九十八条 表 甲烷传感器的报警浓度、断电浓度、复电浓度和断电范围';

/**
 * 第四百九十八条's table, row by row (the row is the location's Chinese name).
 * `upper_corner`: the secondary source agrees on alarm 1.0 / power-off 1.5 but
 * gives restore < 1.5 where this table (from memory of the regulation) has < 1.0;
 * the restore only sets how long the red level stays. Not in the table here: the
 * row of a series-ventilated heading whose power-off includes the auxiliary fan
 * (the secondary source's text of it is garbled) — check it against the text.
 */
export const METHANE_LOCATIONS: readonly MethaneLocation[] = [
  {
    ...methaneLocation('upper_corner'),
    alarm: 1.0,
    powerOff: 1.5,
    restore: 1.0,
    powerOffRange: '工作面及其回风巷内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    ...methaneLocation('working_face'),
    alarm: 1.0,
    powerOff: 1.5,
    restore: 1.0,
    powerOffRange: '工作面及其回风巷内全部非本质安全型电气设备（突出矿井：及其进风巷）',
    checked: 'secondary',
  },
  {
    ...methaneLocation('return_airway'),
    alarm: 1.0,
    powerOff: 1.0,
    restore: 1.0,
    powerOffRange: '工作面及其回风巷内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    ...methaneLocation('return_airway_middle'),
    alarm: 1.0,
    powerOff: 1.0,
    restore: 1.0,
    powerOffRange: '工作面及其回风巷内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    ...methaneLocation('intake_high_gas'),
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '进风巷内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    ...methaneLocation('series_face_intake'),
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '被串采煤工作面及其进、回风巷内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    ...methaneLocation('gas_drainage_roadway'),
    alarm: 2.5,
    powerOff: 2.5,
    restore: 2.5,
    powerOffRange: '工作面内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    ...methaneLocation('drainage_mixed_return'),
    alarm: 1.0,
    powerOff: 1.0,
    restore: 1.0,
    powerOffRange: '工作面内及其回风巷内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  { ...methaneLocation('shearer'), alarm: 1.0, powerOff: 1.5, restore: 1.0, powerOffRange: '采煤机电源', checked: 'secondary' },
  {
    ...methaneLocation('heading_face'),
    alarm: 1.0,
    powerOff: 1.5,
    restore: 1.0,
    powerOffRange: '掘进巷道内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    ...methaneLocation('heading_return'),
    alarm: 1.0,
    powerOff: 1.0,
    restore: 1.0,
    powerOffRange: '掘进巷道内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    ...methaneLocation('heading_series_fan'),
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '被串掘进巷道内全部非本质安全型电气设备',
    checked: 'memory',
  },
  {
    ...methaneLocation('heading_intake_split'),
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '掘进巷道内全部非本质安全型电气设备',
    checked: 'memory',
  },
  {
    ...methaneLocation('roadheader'),
    alarm: 1.0,
    powerOff: 1.5,
    restore: 1.0,
    powerOffRange: '掘进机、连续采煤机、锚杆钻车、梭车电源',
    checked: 'memory',
  },
  {
    ...methaneLocation('district_return'),
    alarm: 1.0,
    powerOff: 1.0,
    restore: 1.0,
    powerOffRange: '采区回风巷内全部非本质安全型电气设备',
    checked: 'memory',
  },
  {
    ...methaneLocation('main_return'),
    alarm: 0.75,
    powerOff: null,
    restore: null,
    powerOffRange: null,
    checked: 'memory',
  },
  {
    ...methaneLocation('trolley_loading_point'),
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '装煤点处上风流100m内及其下风流的架空线电源和全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    ...methaneLocation('trolley_downwind'),
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '瓦斯涌出巷道上风流100m内及其下风流的架空线电源和全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    ...methaneLocation('conveyor_return_shaft'),
    alarm: 0.5,
    powerOff: 0.7,
    restore: 0.7,
    powerOffRange: '井筒内全部非本质安全型电气设备',
    checked: 'memory',
  },
  {
    ...methaneLocation('explosion_proof_vehicle'),
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '设备动力电源',
    checked: 'memory',
  },
  {
    ...methaneLocation('coal_bunker'),
    alarm: 1.5,
    powerOff: 1.5,
    restore: 1.5,
    powerOffRange: '煤仓附近的各类运输设备及其他非本质安全型电气设备',
    checked: 'memory',
  },
  {
    ...methaneLocation('surface_conveyor_gallery'),
    alarm: 1.5,
    powerOff: 1.5,
    restore: 1.5,
    powerOffRange: '带式输送机地面走廊内全部非本质安全型电气设备',
    checked: 'memory',
  },
  {
    ...methaneLocation('surface_drainage_station'),
    alarm: 0.5,
    powerOff: null,
    restore: null,
    powerOffRange: null,
    checked: 'memory',
  },
  {
    ...methaneLocation('underground_drainage_station'),
    alarm: 1.0,
    powerOff: 1.0,
    restore: 1.0,
    powerOffRange: '瓦斯抽采泵站电源',
    checked: 'memory',
  },
];

/**
 * Limits for a methane sensor whose location is not registered: the most
 * conservative of the table (the lowest alarm and power-off concentrations,
 * 0.5 %), until the location is set. The point is listed as monitored with a
 * default (coverage), not as monitored by the standard.
 */
export const UNLOCATED_METHANE = { alarm: 0.5, powerOff: 0.5 } as const;

export interface RoadwayType {
  /** The wind-speed sensor's `role`. */
  id: string;
  zh: string;
  en: string;
  /** Lowest allowed wind speed, m/s; null: none in the table. */
  min: number | null;
  /** Highest allowed wind speed, m/s; null: none in the table. */
  max: number | null;
  checked: TableCheck;
}

export const WIND_ARTICLE = '《煤矿安全规程》(2022) 第一百三十六条 表 井巷中的允许风流速度';

/** 第一百三十六条's table (agrees with a published reproduction of the table, row for row). */
export const ROADWAY_TYPES: readonly RoadwayType[] = [
  { ...roadwayType('shaft_no_hoist'), min: null, max: 15, checked: 'secondary' },
  { ...roadwayType('shaft_materials'), min: null, max: 12, checked: 'secondary' },
  { ...roadwayType('air_bridge'), min: null, max: 10, checked: 'secondary' },
  { ...roadwayType('shaft_personnel'), min: null, max: 8, checked: 'secondary' },
  { ...roadwayType('main_airway'), min: null, max: 8, checked: 'secondary' },
  { ...roadwayType('trolley_roadway'), min: 1.0, max: 8, checked: 'secondary' },
  {
    ...roadwayType('conveyor_district_airway'),
    min: 0.25,
    max: 6,
    checked: 'secondary',
  },
  {
    ...roadwayType('face_or_coal_heading'),
    min: 0.25,
    max: 4,
    checked: 'secondary',
  },
  { ...roadwayType('rock_heading'), min: 0.15, max: 4, checked: 'secondary' },
  { ...roadwayType('other_ventilated'), min: 0.15, max: null, checked: 'secondary' },
];

/** Wind-speed limits for a sensor whose roadway type is not registered: the face range (0.25–4 m/s), a default until the type is set. */
export const UNTYPED_ROADWAY = { min: 0.25, max: 4 } as const;
