/**
 * The names the rules depend on, as part of the contract (issue #15 item 14):
 * sectors, sensor kinds, signal kinds and, per kind, the roles a sensor may
 * have (a methane sensor's location, a wind-speed sensor's roadway type, a
 * toxic-gas detector's gas, a furnace or collector instrument's place). Each
 * value with its Chinese and English name. Provisioning refuses any other
 * value with the list of valid ones; the OpenAPI description shows them as
 * enums; README §Vocabulary lists them. Zones are free identifiers (they
 * group the detectors of one area for the correlated-detectors rule; no rule
 * keys on a zone's name).
 */
import { SENSOR_KINDS, SIGNAL_KINDS, type SensorKind, type SignalKind } from './contract.ts';

export interface Term {
  id: string;
  zh: string;
  en: string;
}

/**
 * The roles' names. The rule tables (alerts/rules/mine-tables.ts: 《煤矿安全规程》(2022) 第四百九十八条 and
 * 第一百三十六条; alerts/rules/gases.ts: GBZ 2.1-2019) hold each role's numbers under these ids and take the names from here.
 */
/** A methane sensor's location (第四百九十八条 表, row by row). */
export const METHANE_LOCATION_TERMS: readonly Term[] = [
  { id: 'upper_corner', zh: '采煤工作面回风隅角', en: 'upper corner (return-side corner) of a longwall face' },
  { id: 'working_face', zh: '采煤工作面', en: 'longwall (coal-winning) face' },
  { id: 'return_airway', zh: '采煤工作面回风巷', en: 'return airway of a longwall face' },
  { id: 'return_airway_middle', zh: '高瓦斯、突出矿井采煤工作面回风巷中部', en: 'middle of the face return airway (high-gas / outburst mines)' },
  { id: 'intake_high_gas', zh: '高瓦斯、突出矿井采煤工作面进风巷', en: 'intake airway of a longwall face (high-gas / outburst mines)' },
  { id: 'series_face_intake', zh: '采用串联通风的被串采煤工作面进风巷', en: 'intake airway of a series-ventilated longwall face' },
  { id: 'gas_drainage_roadway', zh: '专用排瓦斯巷', en: 'dedicated gas-drainage roadway' },
  { id: 'drainage_mixed_return', zh: '有专用排瓦斯巷的采煤工作面混合回风流处', en: 'mixed return of a face with a dedicated gas-drainage roadway' },
  { id: 'shearer', zh: '采煤机（机载）', en: 'shearer-mounted' },
  { id: 'heading_face', zh: '煤巷、半煤岩巷和有瓦斯涌出岩巷的掘进工作面', en: 'heading face (coal, part-coal or gassy rock drivage)' },
  { id: 'heading_return', zh: '煤巷、半煤岩巷和有瓦斯涌出岩巷的掘进工作面回风流中', en: 'return air of a heading face' },
  { id: 'heading_series_fan', zh: '采用串联通风的被串掘进工作面局部通风机前', en: 'before the auxiliary fan of a series-ventilated heading' },
  { id: 'heading_intake_split', zh: '突出矿井掘进工作面的进风分风口处', en: 'intake split of a heading (outburst mines)' },
  { id: 'roadheader', zh: '掘进机、连续采煤机、锚杆钻车、梭车（机载）', en: 'roadheader / continuous miner / roof bolter / shuttle car-mounted' },
  { id: 'district_return', zh: '采区回风巷', en: 'mining-district return airway' },
  { id: 'main_return', zh: '一翼回风巷及总回风巷', en: 'wing return or main return airway' },
  { id: 'trolley_loading_point', zh: '使用架线电机车的主要运输巷道内装煤点处', en: 'loading point in a trolley-locomotive haulage roadway' },
  {
    id: 'trolley_downwind',
    zh: '高瓦斯矿井进风的主要运输巷道内使用架线电机车时，瓦斯涌出巷道的下风流中',
    en: 'downwind of a gas-emitting roadway in a trolley-locomotive intake haulage (high-gas mines)',
  },
  { id: 'conveyor_return_shaft', zh: '兼做回风井的装有带式输送机的井筒', en: 'belt-conveyor shaft that is also a return shaft' },
  { id: 'explosion_proof_vehicle', zh: '采用防爆蓄电池或防爆柴油机为动力装置的运输设备（机载）', en: 'battery or diesel explosion-proof vehicle-mounted' },
  { id: 'coal_bunker', zh: '井下煤仓', en: 'underground coal bunker' },
  { id: 'surface_conveyor_gallery', zh: '封闭的带式输送机地面走廊内，带式输送机滚筒上方', en: 'above the drum in an enclosed surface conveyor gallery' },
  { id: 'surface_drainage_station', zh: '地面瓦斯抽采泵站室内', en: 'inside a surface gas-drainage pump station' },
  {
    id: 'underground_drainage_station',
    zh: '井下临时瓦斯抽采泵站下风侧栅栏外',
    en: 'outside the downwind fence of an underground temporary gas-drainage pump station',
  },
];
/** A wind-speed sensor's roadway type (第一百三十六条 表). */
export const ROADWAY_TYPE_TERMS: readonly Term[] = [
  { id: 'shaft_no_hoist', zh: '无提升设备的风井和风硐', en: 'ventilation shaft or fan drift without hoisting' },
  { id: 'shaft_materials', zh: '专为升降物料的井筒', en: 'shaft hoisting materials only' },
  { id: 'air_bridge', zh: '风桥', en: 'air crossing (air bridge)' },
  { id: 'shaft_personnel', zh: '升降人员和物料的井筒', en: 'shaft hoisting persons and materials' },
  { id: 'main_airway', zh: '主要进、回风巷', en: 'main intake or return airway' },
  { id: 'trolley_roadway', zh: '架线电机车巷道', en: 'trolley-locomotive roadway' },
  { id: 'conveyor_district_airway', zh: '输送机巷，采区进、回风巷', en: 'conveyor roadway, district intake or return airway' },
  { id: 'face_or_coal_heading', zh: '采煤工作面、掘进中的煤巷和半煤岩巷', en: 'longwall face, coal or part-coal heading under drivage' },
  { id: 'rock_heading', zh: '掘进中的岩巷', en: 'rock heading under drivage' },
  { id: 'other_ventilated', zh: '其他通风人行巷道', en: 'other ventilated travelling roadway' },
];
/** The gas a toxic-gas detector measures. */
export const GAS_TERMS: readonly Term[] = [
  { id: 'h2s', zh: '硫化氢', en: 'hydrogen sulphide' },
  { id: 'co', zh: '一氧化碳', en: 'carbon monoxide' },
  { id: 'nh3', zh: '氨', en: 'ammonia' },
  { id: 'cl2', zh: '氯气', en: 'chlorine' },
  { id: 'so2', zh: '二氧化硫', en: 'sulphur dioxide' },
  { id: 'hcn', zh: '氰化氢', en: 'hydrogen cyanide' },
];

/** The term `id` of `list`; throws for an unknown id (a rule table naming a role the vocabulary lacks is a programming error). */
export function termIn(list: readonly Term[], id: string): Term {
  const t = list.find((x) => x.id === id);
  if (!t) throw new Error(`no term '${id}' in the vocabulary`);
  return t;
}

export const SECTORS = ['mine', 'hazardous_chemicals', 'fireworks', 'metal_smelting', 'explosive_dust', 'other'] as const;
export type Sector = (typeof SECTORS)[number];

export const SECTOR_NAMES: Record<Sector, Omit<Term, 'id'>> = {
  mine: { zh: '矿山', en: 'mine' },
  hazardous_chemicals: { zh: '危险化学品', en: 'hazardous chemicals' },
  fireworks: { zh: '烟花爆竹', en: 'fireworks' },
  metal_smelting: { zh: '金属冶炼', en: 'metal smelting' },
  explosive_dust: { zh: '涉爆粉尘', en: 'explosive dust' },
  other: { zh: '其他', en: 'other' },
};

export const SENSOR_KIND_NAMES: Record<SensorKind, Omit<Term, 'id'> & { unit: string }> = {
  combustible_gas: { zh: '可燃气体', en: 'combustible gas', unit: '%LEL' },
  toxic_gas: { zh: '有毒气体', en: 'toxic gas', unit: 'ppm or mg/m³' },
  oxygen: { zh: '氧气', en: 'oxygen', unit: '%vol' },
  methane: { zh: '甲烷（瓦斯）', en: 'methane', unit: '%CH4' },
  carbon_monoxide: { zh: '一氧化碳', en: 'carbon monoxide', unit: 'ppm or mg/m³' },
  wind_speed: { zh: '风速', en: 'wind speed', unit: 'm/s' },
  level: { zh: '液位', en: 'level', unit: 'm or %' },
  temperature: { zh: '温度', en: 'temperature', unit: '°C' },
  pressure: { zh: '压力', en: 'pressure', unit: 'kPa or MPa' },
  flow: { zh: '流量', en: 'flow', unit: 'm³/h' },
  dust_concentration: { zh: '粉尘浓度', en: 'dust concentration', unit: 'mg/m³' },
  differential_pressure: { zh: '压差', en: 'differential pressure', unit: 'Pa' },
  spark_count: { zh: '火花计数', en: 'spark count', unit: 'count' },
  current: { zh: '电流', en: 'current', unit: 'A' },
};

export const SIGNAL_KIND_NAMES: Record<SignalKind, Omit<Term, 'id'>> = {
  production: { zh: '生产运行状态', en: 'production running / stopped' },
  interlock: { zh: '联锁（投用/旁路/动作）', en: 'interlock / SIS (enabled, bypassed, tripped)' },
  detector: { zh: '探测器状态（供电/关闭/故障）', en: 'detector health (powered, off, faulted)' },
  valve: { zh: '阀门开关状态', en: 'valve open / closed' },
  ventilation: { zh: '通风/除尘系统运行状态', en: 'ventilation or dust collection running / stopped' },
  power: { zh: '供电（断电）状态', en: 'power feed energised / de-energised' },
};

const COLLECTOR: Term = { id: 'collector', zh: '除尘器', en: 'dust collector' };
const COOLING_INLET: Term = { id: 'cooling_inlet', zh: '冷却水进水', en: 'cooling-water inlet' };
const COOLING_OUTLET: Term = { id: 'cooling_outlet', zh: '冷却水出水', en: 'cooling-water outlet' };

/**
 * The roles each kind may take (what the sensor's `role` means for that kind);
 * a kind not listed takes no role. A role decides which rules apply: a
 * methane sensor's limits come from its location (《煤矿安全规程》第四百九十八条),
 * a wind-speed sensor's from its roadway type (第一百三十六条), a toxic-gas
 * detector's from its gas (GBZ 2.1-2019).
 */
export const ROLES_BY_KIND: Partial<Record<SensorKind | SignalKind, { what: Omit<Term, 'id'>; roles: readonly Term[] }>> = {
  methane: { what: { zh: '甲烷传感器设置地点', en: 'methane sensor location' }, roles: METHANE_LOCATION_TERMS },
  wind_speed: { what: { zh: '巷道类型', en: 'roadway type' }, roles: ROADWAY_TYPE_TERMS },
  toxic_gas: { what: { zh: '检测气体', en: 'gas detected' }, roles: GAS_TERMS },
  temperature: { what: { zh: '测点位置', en: 'place' }, roles: [COLLECTOR, COOLING_INLET, COOLING_OUTLET] },
  flow: { what: { zh: '测点位置', en: 'place' }, roles: [COOLING_INLET, COOLING_OUTLET] },
  differential_pressure: { what: { zh: '测点位置', en: 'place' }, roles: [COLLECTOR] },
  level: { what: { zh: '测点位置', en: 'place' }, roles: [{ id: 'tank_level', zh: '储罐液位', en: 'storage-tank level' }] },
};

/** Every role of every kind, once (the OpenAPI enum; the check per kind is `roleProblem`). */
export const ALL_ROLES: readonly string[] = [...new Set(Object.values(ROLES_BY_KIND).flatMap((r) => r.roles.map((t) => t.id)))];

const list = (terms: readonly Term[]): string => terms.map((t) => `${t.id}（${t.zh}）`).join(', ');

/** Why `role` is not valid for `kind`, naming the valid ones; undefined when it is (or when no role is given). */
export function roleProblem(kind: string, role: string | undefined): string | undefined {
  if (role === undefined) return undefined;
  const r = ROLES_BY_KIND[kind as SensorKind | SignalKind];
  if (!r) return `kind '${kind}' takes no role (roles exist for: ${Object.keys(ROLES_BY_KIND).join(', ')})`;
  if (r.roles.some((t) => t.id === role)) return undefined;
  return `'${role}' is not a valid ${r.what.en} (${r.what.zh}) of kind '${kind}'; valid: ${list(r.roles)}`;
}

/** `combustible_gas（可燃气体）, …` — for messages and descriptions. */
export const describeKinds = (): string =>
  [...SENSOR_KINDS.map((k) => `${k}（${SENSOR_KIND_NAMES[k].zh}）`), ...SIGNAL_KINDS.map((k) => `${k}（${SIGNAL_KIND_NAMES[k].zh}）`)].join(', ');

/** The role description per kind, for the OpenAPI description. */
export const describeRoles = (): string =>
  Object.entries(ROLES_BY_KIND)
    .map(([kind, r]) => `${kind} — ${r.what.zh}: ${list(r.roles)}`)
    .join('; ');

/** The whole vocabulary as data (`GET /api/v1/vocabulary`). */
export function vocabulary() {
  return {
    sectors: SECTORS.map((id) => ({ id, ...SECTOR_NAMES[id] })),
    sensorKinds: SENSOR_KINDS.map((id) => ({ id, ...SENSOR_KIND_NAMES[id] })),
    signalKinds: SIGNAL_KINDS.map((id) => ({ id, ...SIGNAL_KIND_NAMES[id] })),
    roles: Object.entries(ROLES_BY_KIND).map(([kind, r]) => ({ kind, what: r.what, roles: r.roles })),
    zones: {
      zh: '区域为自由标识，同一区域的探测器联合判断（gas.correlated）',
      en: 'zones are free identifiers; the detectors of one zone are correlated (gas.correlated)',
    },
  };
}

/** Chinese and English names aligned with an enum, for the OpenAPI description (`x-enum-descriptions`). */
export const enumDescriptions = (ids: readonly string[], name: (id: string) => Omit<Term, 'id'> | undefined): string[] =>
  ids.map((id) => {
    const n = name(id);
    return n ? `${n.zh} (${n.en})` : id;
  });

const ROLE_NAMES = new Map(Object.values(ROLES_BY_KIND).flatMap((r) => r.roles.map((t) => [t.id, t] as const)));
/** A role's names (the first kind that lists it). */
export const roleName = (id: string): Term | undefined => ROLE_NAMES.get(id);
/** A kind's names, sensor or signal. */
export const kindName = (id: string): Omit<Term, 'id'> | undefined =>
  (SENSOR_KIND_NAMES as Record<string, Omit<Term, 'id'>>)[id] ?? (SIGNAL_KIND_NAMES as Record<string, Omit<Term, 'id'>>)[id];

/**
 * The explicit links between points that compound rules follow (issue #17 item 1: the links are data, not
 * naming conventions). A link goes from the point a rule watches (the anchor) to the point it must consult;
 * each relation says which kinds it may join. A rule whose selector names a relation uses the anchor's
 * registered links of that relation when there are any, and falls back to the anchor's zone otherwise
 * (alerts/patterns/pattern.ts `related`). `expected`: a point one device drives (a tank's own inlet valve,
 * the feed a methane sensor cuts, a furnace element's outlet and interlock); the coverage report warns while
 * such a link is not registered. A production or ventilation signal is usually plant-wide: no warning.
 */
export const POINT_RELATIONS = {
  inlet_valve: { expected: true, zh: '进料阀', en: 'inlet valve', from: ['level'], to: ['valve'] },
  power_feed: { expected: true, zh: '断电馈电', en: 'power feed it cuts', from: ['methane', 'carbon_monoxide'], to: ['power'] },
  cooling_outlet: { expected: true, zh: '冷却水出口流量', en: 'cooling-water outlet flow', from: ['flow'], to: ['flow'] },
  cooling_interlock: { expected: true, zh: '冷却联锁', en: 'cooling interlock', from: ['flow'], to: ['interlock'] },
  production: { expected: false, zh: '所属生产装置运行信号', en: "its unit's production signal", from: [...SENSOR_KINDS, 'detector'], to: ['production'] },
  ventilation: { expected: false, zh: '通风/除尘系统运行信号', en: 'ventilation or extraction signal', from: [...SENSOR_KINDS], to: ['ventilation'] },
} as const satisfies Record<string, Omit<Term, 'id'> & { expected: boolean; from: readonly string[]; to: readonly string[] }>;
export type PointRelation = keyof typeof POINT_RELATIONS;
export const POINT_RELATION_IDS = Object.keys(POINT_RELATIONS) as PointRelation[];

/** Why a link of this relation from a point of `fromKind` to one of `toKind` is refused, or undefined when it is fine. */
export function linkProblem(relation: string, fromKind: string, toKind: string): string | undefined {
  const r = (POINT_RELATIONS as Record<string, { zh: string; en: string; from: readonly string[]; to: readonly string[] }>)[relation];
  if (!r) return `未知关联 ${relation}，可选：${POINT_RELATION_IDS.join(', ')} / unknown relation ${relation}; valid: ${POINT_RELATION_IDS.join(', ')}`;
  if (!r.from.includes(fromKind))
    return `${r.zh}关联只能从 ${r.from.join('/')} 测点建立，本测点为 ${fromKind} / a ${r.en} link starts at a ${r.from.join(' or ')} point, not ${fromKind}`;
  if (!r.to.includes(toKind))
    return `${r.zh}关联只能指向 ${r.to.join('/')} 测点，目标为 ${toKind} / a ${r.en} link points to a ${r.to.join(' or ')} point, not ${toKind}`;
  return undefined;
}
