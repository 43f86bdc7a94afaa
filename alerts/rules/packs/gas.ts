/**
 * Gas detection, any sector (pack 'common'): combustible and toxic gas at the
 * GB/T 50493-2019 alarm settings, oxygen deficiency / enrichment, correlated
 * detectors. Grades: level 1 orange (a leak needing action now), level 2 red
 * (explosion or acute poisoning range: evacuate, stop).
 */
import { DEFAULT_GAS, GASES, TOXIC_UNITS, oelIn, type Gas, type ToxicUnit } from '../gases.ts';
import { SECTORS } from '../../../core/vocabulary.ts';
import type { RuleInput } from '../schema.ts';
import { STD } from './standards.ts';

const unitKey = (u: ToxicUnit) => (u === 'ppm' ? 'ppm' : 'mgm3');

function toxicRule(gas: Gas, unit: ToxicUnit, isDefault: boolean): RuleInput {
  const l1 = oelIn(gas, unit, 100);
  const l2 = oelIn(gas, unit, 200);
  return {
    id: `gas.toxic.${isDefault ? 'default' : gas.role}.${unitKey(unit)}`,
    // 2: the default-gas rules say they are a fallback (issue #15)
    version: isDefault ? 2 : 1,
    name: isDefault
      ? { zh: `有毒气体浓度超限（未注明气体，按${gas.zh}）`, en: `Toxic gas above its limit (gas not registered; ${gas.en} assumed)` }
      : { zh: `${gas.zh}浓度超限`, en: `${gas.en} above its limit` },
    pack: 'common',
    pattern: 'threshold',
    match: isDefault
      ? { kinds: ['toxic_gas'], units: [unit], excludeRoles: GASES.map((g) => g.role) }
      : { kinds: ['toxic_gas'], roles: [gas.role], units: [unit] },
    severity: 'orange',
    params: {
      direction: 'high',
      deadband: Number((l1 * 0.1).toFixed(2)),
      levels: { level1: { threshold: l1, severity: 'orange' }, level2: { threshold: l2, severity: 'red' } },
    },
    standard: `${STD.gds}; ${STD.oel}`,
    note: {
      zh: `一级报警 ≤ 100 % 职业接触限值 OEL（${gas.limit} ${gas.oelMgM3} mg/m³ = ${l1} ${unit}）橙色；二级报警 ≤ 200 % OEL（${l2} ${unit}）红色。`,
      en: `Level 1 ≤ 100 % OEL (${gas.limit} ${gas.oelMgM3} mg/m³ = ${l1} ${unit}) orange; level 2 ≤ 200 % OEL (${l2} ${unit}) red.`,
    },
    standardLimits: [
      { param: 'levels.level1.threshold', atMost: l1, standard: STD.gds },
      { param: 'levels.level2.threshold', atMost: l2, standard: STD.gds },
    ],
    ...(isDefault
      ? { fallback: { zh: `有毒气体探测器未登记检测气体（role），按${gas.zh}限值监测`, en: `gas not registered (role): ${gas.en} limits apply` } }
      : {}),
  };
}

const CO = GASES.find((g) => g.role === 'co')!;

/**
 * Carbon monoxide outside mines (a `carbon_monoxide` sensor, as a process
 * plant or a furnace would register it): the GB/T 50493-2019 alarm settings at
 * CO's OEL (GBZ 2.1-2019 PC-STEL 30 mg/m³), as for a toxic-gas detector of
 * role `co`. Mines have their own CO rule (《煤矿安全规程》, `mine.co`).
 */
function carbonMonoxideRule(unit: ToxicUnit): RuleInput {
  const r = toxicRule(CO, unit, false);
  return {
    ...r,
    id: `gas.carbon_monoxide.${unitKey(unit)}`,
    name: { zh: '一氧化碳浓度超限', en: 'Carbon monoxide above its limit' },
    match: { kinds: ['carbon_monoxide'], units: [unit], sectors: SECTORS.filter((s) => s !== 'mine') },
  };
}

export const GAS_RULES: RuleInput[] = [
  {
    id: 'gas.combustible',
    // 2: one alarm with its rate-of-rise (group, issue #17 item 5)
    version: 2,
    group: 'gas.combustible',
    name: { zh: '可燃气体浓度报警', en: 'Combustible gas alarm' },
    pack: 'common',
    pattern: 'threshold',
    match: { kinds: ['combustible_gas'] },
    severity: 'orange',
    params: {
      direction: 'high',
      deadband: 2,
      levels: { level1: { threshold: 25, severity: 'orange' }, level2: { threshold: 50, severity: 'red' } },
    },
    standard: STD.gds,
    note: {
      zh: '一级报警 25 %LEL（爆炸下限的百分数，标准允许的最高设定值）橙色；二级报警 50 %LEL 红色。降至报警值以下 2 %LEL 时解除。',
      en: 'Level 1 at 25 %LEL (the most the standard allows) orange; level 2 at 50 %LEL red. Clears 2 %LEL below.',
    },
    standardLimits: [
      { param: 'levels.level1.threshold', atMost: 25, standard: STD.gds },
      { param: 'levels.level2.threshold', atMost: 50, standard: STD.gds },
    ],
  },
  ...GASES.flatMap((g) => TOXIC_UNITS.map((u) => toxicRule(g, u, false))),
  ...TOXIC_UNITS.map((u) => toxicRule(DEFAULT_GAS, u, true)),
  ...TOXIC_UNITS.map(carbonMonoxideRule),
  {
    id: 'dust.concentration.high',
    version: 1,
    name: { zh: '粉尘浓度高', en: 'Dust concentration high' },
    pack: 'common',
    pattern: 'threshold',
    match: { kinds: ['dust_concentration'] },
    severity: 'yellow',
    forMs: 60_000,
    params: {
      direction: 'high',
      deadband: { ref: 'range.span', scale: 0.005, default: 0.1 },
      levels: { high: { threshold: { ref: 'marks.high' }, severity: 'yellow' }, highHigh: { threshold: { ref: 'marks.highHigh' }, severity: 'orange' } },
    },
    standard: `${STD.dust}（报警值由企业登记，平台未采用统一默认值）`,
    note: {
      zh: '高于登记的高报值持续 1 min 黄色，高高报橙色。平台不采用全国统一的默认值：未登记报警值的测点列为未监测（监测覆盖），并注明原因。',
      en: 'Above the registered high mark for a minute yellow, high-high orange. The platform adopts no national default value: without registered marks the point is listed as unmonitored (coverage), with the reason.',
    },
  },
  {
    id: 'gas.oxygen.low',
    version: 1,
    name: { zh: '缺氧报警', en: 'Oxygen deficiency' },
    pack: 'common',
    pattern: 'threshold',
    match: { kinds: ['oxygen'] },
    severity: 'orange',
    params: { direction: 'low', strict: true, deadband: 0.3, levels: { deficiency: { threshold: 19.5 } } },
    standard: STD.gds,
    note: {
      zh: '低于 19.5 %vol：有窒息危险，橙色。',
      en: 'Below 19.5 %vol: asphyxiation risk, orange.',
    },
    standardLimits: [{ param: 'levels.deficiency.threshold', atLeast: 19.5, standard: STD.gds }],
  },
  {
    id: 'gas.oxygen.high',
    version: 1,
    name: { zh: '富氧报警', en: 'Oxygen enrichment' },
    pack: 'common',
    pattern: 'threshold',
    match: { kinds: ['oxygen'] },
    severity: 'orange',
    params: { direction: 'high', strict: true, deadband: 0.3, levels: { enrichment: { threshold: 23.5 } } },
    standard: STD.gds,
    note: {
      zh: '高于 23.5 %vol：有火灾危险，橙色。',
      en: 'Above 23.5 %vol: fire risk, orange.',
    },
    standardLimits: [{ param: 'levels.enrichment.threshold', atMost: 23.5, standard: STD.gds }],
  },
  {
    id: 'gas.correlated',
    version: 1,
    name: { zh: '多探测器联合报警', en: 'Several detectors alarming together' },
    pack: 'common',
    pattern: 'correlated_detectors',
    match: { kinds: ['combustible_gas', 'toxic_gas', 'methane', 'carbon_monoxide'] },
    severity: 'red',
    params: {
      minDetectors: 2,
      windowMs: 5 * 60_000,
      detectors: [
        { kinds: ['combustible_gas'], threshold: 25, deadband: 2 },
        { kinds: ['methane'], threshold: 1.0 },
        { kinds: ['carbon_monoxide'], threshold: 24, deadband: 2 },
        ...GASES.flatMap((g) => TOXIC_UNITS.map((u) => ({ kinds: ['toxic_gas'], roles: [g.role], units: [u], threshold: oelIn(g, u) }))),
        ...TOXIC_UNITS.map((u) => ({ kinds: ['toxic_gas'], units: [u], threshold: oelIn(DEFAULT_GAS, u) })),
      ],
    },
    standard: STD.gds,
    note: {
      zh: '同一区域两台探测器在 5 min 内均达一级报警，或一级报警时通风已停止：确有泄漏且正在扩散；红色。',
      en: 'Two detectors of a zone at level 1 within 5 min, or level 1 with the ventilation stopped: a real, spreading leak; red.',
    },
  },
  {
    id: 'gas.combustible.rise',
    // 2: joins the level alarm of the same detector and episode (group)
    version: 2,
    group: 'gas.combustible',
    name: { zh: '可燃气体浓度快速上升', en: 'Combustible gas rising fast' },
    pack: 'common',
    pattern: 'rate_of_rise',
    match: { kinds: ['combustible_gas'] },
    severity: 'yellow',
    params: { rise: 10, windowMs: 60_000, deadband: 5 },
    note: {
      zh: '一级报警前的预警：1 min 内上升 10 %LEL；黄色。平台默认值，标准未规定数值。',
      en: 'Early warning before level 1: +10 %LEL within a minute; yellow. Platform default, no standard value.',
    },
  },
];
