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
    id: 'upper_corner',
    zh: '采煤工作面回风隅角',
    en: 'upper corner (return-side corner) of a longwall face',
    alarm: 1.0,
    powerOff: 1.5,
    restore: 1.0,
    powerOffRange: '工作面及其回风巷内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    id: 'working_face',
    zh: '采煤工作面',
    en: 'longwall (coal-winning) face',
    alarm: 1.0,
    powerOff: 1.5,
    restore: 1.0,
    powerOffRange: '工作面及其回风巷内全部非本质安全型电气设备（突出矿井：及其进风巷）',
    checked: 'secondary',
  },
  {
    id: 'return_airway',
    zh: '采煤工作面回风巷',
    en: 'return airway of a longwall face',
    alarm: 1.0,
    powerOff: 1.0,
    restore: 1.0,
    powerOffRange: '工作面及其回风巷内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    id: 'return_airway_middle',
    zh: '高瓦斯、突出矿井采煤工作面回风巷中部',
    en: 'middle of the face return airway (high-gas / outburst mines)',
    alarm: 1.0,
    powerOff: 1.0,
    restore: 1.0,
    powerOffRange: '工作面及其回风巷内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    id: 'intake_high_gas',
    zh: '高瓦斯、突出矿井采煤工作面进风巷',
    en: 'intake airway of a longwall face (high-gas / outburst mines)',
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '进风巷内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    id: 'series_face_intake',
    zh: '采用串联通风的被串采煤工作面进风巷',
    en: 'intake airway of a series-ventilated longwall face',
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '被串采煤工作面及其进、回风巷内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    id: 'gas_drainage_roadway',
    zh: '专用排瓦斯巷',
    en: 'dedicated gas-drainage roadway',
    alarm: 2.5,
    powerOff: 2.5,
    restore: 2.5,
    powerOffRange: '工作面内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    id: 'drainage_mixed_return',
    zh: '有专用排瓦斯巷的采煤工作面混合回风流处',
    en: 'mixed return of a face with a dedicated gas-drainage roadway',
    alarm: 1.0,
    powerOff: 1.0,
    restore: 1.0,
    powerOffRange: '工作面内及其回风巷内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  { id: 'shearer', zh: '采煤机（机载）', en: 'shearer-mounted', alarm: 1.0, powerOff: 1.5, restore: 1.0, powerOffRange: '采煤机电源', checked: 'secondary' },
  {
    id: 'heading_face',
    zh: '煤巷、半煤岩巷和有瓦斯涌出岩巷的掘进工作面',
    en: 'heading face (coal, part-coal or gassy rock drivage)',
    alarm: 1.0,
    powerOff: 1.5,
    restore: 1.0,
    powerOffRange: '掘进巷道内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    id: 'heading_return',
    zh: '煤巷、半煤岩巷和有瓦斯涌出岩巷的掘进工作面回风流中',
    en: 'return air of a heading face',
    alarm: 1.0,
    powerOff: 1.0,
    restore: 1.0,
    powerOffRange: '掘进巷道内全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    id: 'heading_series_fan',
    zh: '采用串联通风的被串掘进工作面局部通风机前',
    en: 'before the auxiliary fan of a series-ventilated heading',
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '被串掘进巷道内全部非本质安全型电气设备',
    checked: 'memory',
  },
  {
    id: 'heading_intake_split',
    zh: '突出矿井掘进工作面的进风分风口处',
    en: 'intake split of a heading (outburst mines)',
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '掘进巷道内全部非本质安全型电气设备',
    checked: 'memory',
  },
  {
    id: 'roadheader',
    zh: '掘进机、连续采煤机、锚杆钻车、梭车（机载）',
    en: 'roadheader / continuous miner / roof bolter / shuttle car-mounted',
    alarm: 1.0,
    powerOff: 1.5,
    restore: 1.0,
    powerOffRange: '掘进机、连续采煤机、锚杆钻车、梭车电源',
    checked: 'memory',
  },
  {
    id: 'district_return',
    zh: '采区回风巷',
    en: 'mining-district return airway',
    alarm: 1.0,
    powerOff: 1.0,
    restore: 1.0,
    powerOffRange: '采区回风巷内全部非本质安全型电气设备',
    checked: 'memory',
  },
  {
    id: 'main_return',
    zh: '一翼回风巷及总回风巷',
    en: 'wing return or main return airway',
    alarm: 0.75,
    powerOff: null,
    restore: null,
    powerOffRange: null,
    checked: 'memory',
  },
  {
    id: 'trolley_loading_point',
    zh: '使用架线电机车的主要运输巷道内装煤点处',
    en: 'loading point in a trolley-locomotive haulage roadway',
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '装煤点处上风流100m内及其下风流的架空线电源和全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    id: 'trolley_downwind',
    zh: '高瓦斯矿井进风的主要运输巷道内使用架线电机车时，瓦斯涌出巷道的下风流中',
    en: 'downwind of a gas-emitting roadway in a trolley-locomotive intake haulage (high-gas mines)',
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '瓦斯涌出巷道上风流100m内及其下风流的架空线电源和全部非本质安全型电气设备',
    checked: 'secondary',
  },
  {
    id: 'conveyor_return_shaft',
    zh: '兼做回风井的装有带式输送机的井筒',
    en: 'belt-conveyor shaft that is also a return shaft',
    alarm: 0.5,
    powerOff: 0.7,
    restore: 0.7,
    powerOffRange: '井筒内全部非本质安全型电气设备',
    checked: 'memory',
  },
  {
    id: 'explosion_proof_vehicle',
    zh: '采用防爆蓄电池或防爆柴油机为动力装置的运输设备（机载）',
    en: 'battery or diesel explosion-proof vehicle-mounted',
    alarm: 0.5,
    powerOff: 0.5,
    restore: 0.5,
    powerOffRange: '设备动力电源',
    checked: 'memory',
  },
  {
    id: 'coal_bunker',
    zh: '井下煤仓',
    en: 'underground coal bunker',
    alarm: 1.5,
    powerOff: 1.5,
    restore: 1.5,
    powerOffRange: '煤仓附近的各类运输设备及其他非本质安全型电气设备',
    checked: 'memory',
  },
  {
    id: 'surface_conveyor_gallery',
    zh: '封闭的带式输送机地面走廊内，带式输送机滚筒上方',
    en: 'above the drum in an enclosed surface conveyor gallery',
    alarm: 1.5,
    powerOff: 1.5,
    restore: 1.5,
    powerOffRange: '带式输送机地面走廊内全部非本质安全型电气设备',
    checked: 'memory',
  },
  {
    id: 'surface_drainage_station',
    zh: '地面瓦斯抽采泵站室内',
    en: 'inside a surface gas-drainage pump station',
    alarm: 0.5,
    powerOff: null,
    restore: null,
    powerOffRange: null,
    checked: 'memory',
  },
  {
    id: 'underground_drainage_station',
    zh: '井下临时瓦斯抽采泵站下风侧栅栏外',
    en: 'outside the downwind fence of an underground temporary gas-drainage pump station',
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
  { id: 'shaft_no_hoist', zh: '无提升设备的风井和风硐', en: 'ventilation shaft or fan drift without hoisting', min: null, max: 15, checked: 'secondary' },
  { id: 'shaft_materials', zh: '专为升降物料的井筒', en: 'shaft hoisting materials only', min: null, max: 12, checked: 'secondary' },
  { id: 'air_bridge', zh: '风桥', en: 'air crossing (air bridge)', min: null, max: 10, checked: 'secondary' },
  { id: 'shaft_personnel', zh: '升降人员和物料的井筒', en: 'shaft hoisting persons and materials', min: null, max: 8, checked: 'secondary' },
  { id: 'main_airway', zh: '主要进、回风巷', en: 'main intake or return airway', min: null, max: 8, checked: 'secondary' },
  { id: 'trolley_roadway', zh: '架线电机车巷道', en: 'trolley-locomotive roadway', min: 1.0, max: 8, checked: 'secondary' },
  {
    id: 'conveyor_district_airway',
    zh: '输送机巷，采区进、回风巷',
    en: 'conveyor roadway, district intake or return airway',
    min: 0.25,
    max: 6,
    checked: 'secondary',
  },
  {
    id: 'face_or_coal_heading',
    zh: '采煤工作面、掘进中的煤巷和半煤岩巷',
    en: 'longwall face, coal or part-coal heading under drivage',
    min: 0.25,
    max: 4,
    checked: 'secondary',
  },
  { id: 'rock_heading', zh: '掘进中的岩巷', en: 'rock heading under drivage', min: 0.15, max: 4, checked: 'secondary' },
  { id: 'other_ventilated', zh: '其他通风人行巷道', en: 'other ventilated travelling roadway', min: 0.15, max: null, checked: 'secondary' },
];

/** Wind-speed limits for a sensor whose roadway type is not registered: the face range (0.25–4 m/s), a default until the type is set. */
export const UNTYPED_ROADWAY = { min: 0.25, max: 4 } as const;
