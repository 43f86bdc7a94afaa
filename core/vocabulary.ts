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
import { GASES } from '../alerts/rules/gases.ts';
import { METHANE_LOCATIONS, ROADWAY_TYPES } from '../alerts/rules/mine-tables.ts';
import { SENSOR_KINDS, SIGNAL_KINDS, type SensorKind, type SignalKind } from './contract.ts';

export interface Term {
  id: string;
  zh: string;
  en: string;
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
  methane: { what: { zh: '甲烷传感器设置地点', en: 'methane sensor location' }, roles: METHANE_LOCATIONS.map(({ id, zh, en }) => ({ id, zh, en })) },
  wind_speed: { what: { zh: '巷道类型', en: 'roadway type' }, roles: ROADWAY_TYPES.map(({ id, zh, en }) => ({ id, zh, en })) },
  toxic_gas: { what: { zh: '检测气体', en: 'gas detected' }, roles: GASES.map(({ role, zh, en }) => ({ id: role, zh, en })) },
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
