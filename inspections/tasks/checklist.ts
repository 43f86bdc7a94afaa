/**
 * The checklist a task carries (检查事项; domain rule 5): what to look at,
 * derived from the hazard that triggered it (its matter) and the sector's key
 * matters (重点事项). Items that, if found failing, are major accident
 * hazards under the sector's criteria (重大事故隐患判定标准) are marked, so a
 * finding against them is recorded as a major hazard. Pure.
 */
import type { Matter } from './matters.ts';

export interface ChecklistItem {
  id: string;
  zh: string;
  en: string;
  /** The standard or rule the item comes from. */
  basis: string;
  /** A failing finding on this item is a major accident hazard (重大事故隐患). */
  major: boolean;
}

import { BASES } from './bases.ts';

const { GDS, CHEM_MAJOR, COAL_MAJOR, COAL_RULES, INDUSTRY_MAJOR, CRIMINAL_LAW } = BASES;

const BY_MATTER: Record<Matter, ChecklistItem[]> = {
  gas: [
    {
      id: 'gas.detectors',
      zh: '可燃和有毒气体检测报警器是否完好并按规定投用',
      en: 'Are the combustible and toxic gas detectors intact and in service as required?',
      basis: GDS,
      major: true,
    },
    {
      id: 'gas.settings',
      zh: '报警设定值是否符合标准（可燃气体一级≤25%LEL、二级≤50%LEL）',
      en: 'Do the alarm settings meet the standard (level 1 ≤ 25 %LEL, level 2 ≤ 50 %LEL)?',
      basis: GDS,
      major: false,
    },
    { id: 'gas.source', zh: '泄漏点是否查明、处置并记录', en: 'Has the leak source been found, dealt with and recorded?', basis: GDS, major: false },
    {
      id: 'gas.response',
      zh: '报警后的应急处置（停车、隔离、撤人）是否按规程执行',
      en: 'Was the response to the alarm (shutdown, isolation, evacuation) carried out as the procedure requires?',
      basis: CHEM_MAJOR,
      major: false,
    },
  ],
  mine_gas_ventilation: [
    {
      id: 'mine.methane_sensors',
      zh: '甲烷传感器设置位置、报警值和断电值是否符合规定',
      en: 'Are the methane sensors placed and set (alarm, power-off) as required?',
      basis: COAL_RULES,
      major: false,
    },
    {
      id: 'mine.power_off',
      zh: '瓦斯超限断电功能是否可靠，是否存在瓦斯超限作业',
      en: 'Does the power-off on methane excess work; was work carried on with methane over the limit?',
      basis: COAL_MAJOR,
      major: true,
    },
    {
      id: 'mine.ventilation',
      zh: '通风系统是否正常，有无无风、微风、循环风作业',
      en: 'Is ventilation normal; was there work without ventilation or with recirculated air?',
      basis: COAL_MAJOR,
      major: true,
    },
  ],
  tank_overfill: [
    {
      id: 'tank.level_instruments',
      zh: '储罐液位计和高、高高液位报警是否完好',
      en: 'Are the tank level gauges and high / high-high alarms intact?',
      basis: CHEM_MAJOR,
      major: false,
    },
    {
      id: 'tank.interlock',
      zh: '高高液位联锁切断进料是否投用并可靠动作',
      en: 'Is the high-high level interlock cutting the inlet in service and does it act reliably?',
      basis: CHEM_MAJOR,
      major: true,
    },
    {
      id: 'tank.sis_bypass',
      zh: '安全仪表系统有无未经审批的旁路或摘除',
      en: 'Has the safety instrumented system been bypassed or removed without approval?',
      basis: CHEM_MAJOR,
      major: true,
    },
  ],
  process_parameters: [
    {
      id: 'process.limits',
      zh: '工艺参数报警和联锁设定是否符合工艺安全要求',
      en: 'Are the process alarms and interlocks set as process safety requires?',
      basis: CHEM_MAJOR,
      major: false,
    },
    { id: 'process.records', zh: '超限原因是否分析、处置并记录', en: 'Was the excursion analysed, dealt with and recorded?', basis: CHEM_MAJOR, major: false },
  ],
  cooling_water: [
    {
      id: 'metal.cooling_monitoring',
      zh: '炉体冷却水出水温度、进出水流量差监测报警是否完好',
      en: 'Are the cooling-water outlet temperature and inlet–outlet flow difference alarms intact?',
      basis: INDUSTRY_MAJOR,
      major: true,
    },
    {
      id: 'metal.cooling_interlock',
      zh: '冷却水异常时炉体联锁（停炉、切断）是否可靠动作',
      en: 'Does the furnace interlock act on a cooling-water fault?',
      basis: INDUSTRY_MAJOR,
      major: true,
    },
    { id: 'metal.emergency_water', zh: '应急供水设施是否完好', en: 'Is the emergency water supply in working order?', basis: INDUSTRY_MAJOR, major: false },
  ],
  dust_removal: [
    {
      id: 'dust.collector_interlock',
      zh: '除尘系统是否与生产设备联锁，停运时是否停产',
      en: 'Is the dust collector interlocked with production, and does production stop when it stops?',
      basis: INDUSTRY_MAJOR,
      major: true,
    },
    {
      id: 'dust.spark',
      zh: '火花探测和熄灭装置是否完好',
      en: 'Are the spark detection and extinguishing devices in working order?',
      basis: INDUSTRY_MAJOR,
      major: false,
    },
    { id: 'dust.cleaning', zh: '积尘清理制度是否落实', en: 'Is accumulated dust cleaned as the procedure requires?', basis: INDUSTRY_MAJOR, major: true },
  ],
  safety_devices: [
    {
      id: 'safety.approval',
      zh: '探测器停用或联锁旁路是否经审批，是否有替代措施',
      en: 'Was switching off the detector or bypassing the interlock approved, with compensating measures?',
      basis: CHEM_MAJOR,
      major: true,
    },
    { id: 'safety.restored', zh: '是否已恢复投用并确认有效', en: 'Has it been put back in service and checked?', basis: CHEM_MAJOR, major: false },
    {
      id: 'safety.tampering',
      zh: '是否存在关闭、破坏直接关系生产安全的监控、报警、防护设备设施的情形',
      en: 'Were monitoring, alarm or protective devices bearing on safety shut down or damaged?',
      basis: CRIMINAL_LAW,
      major: true,
    },
  ],
  monitoring_integrity: [
    {
      id: 'data.devices',
      zh: '现场检测设备和边缘网关是否在线正常运行',
      en: 'Are the field instruments and the edge gateway online and working?',
      basis: CRIMINAL_LAW,
      major: false,
    },
    {
      id: 'data.tampering',
      zh: '是否存在篡改、隐瞒、销毁监测数据的情形',
      en: 'Has monitoring data been tampered with, concealed or destroyed?',
      basis: CRIMINAL_LAW,
      major: true,
    },
    {
      id: 'data.records',
      zh: '数据中断或异常期间的原因说明和处置记录是否完整',
      en: 'Are the reasons and actions during the interruption or anomaly recorded?',
      basis: CRIMINAL_LAW,
      major: false,
    },
  ],
  instrument_reliability: [
    {
      id: 'instrument.calibration',
      zh: '频繁报警的仪表是否校验、维护',
      en: 'Has the chattering instrument been calibrated and maintained?',
      basis: GDS,
      major: false,
    },
    {
      id: 'instrument.process',
      zh: '是否存在工艺在报警值附近波动的情况及控制措施',
      en: 'Is the process hovering at the limit, and what controls it?',
      basis: CHEM_MAJOR,
      major: false,
    },
  ],
  alarm_settings: [
    {
      id: 'settings.registered',
      zh: '企业登记的报警值是否符合标准要求',
      en: 'Do the alarm values the enterprise registered meet the standard?',
      basis: GDS,
      major: false,
    },
    { id: 'settings.field', zh: '现场仪表实际报警设定与登记是否一致', en: 'Do the settings in the field match the registered ones?', basis: GDS, major: false },
  ],
};

/** Key matters every task in the sector also covers (重点事项). */
const BY_SECTOR: Record<string, ChecklistItem[]> = {
  hazardous_chemicals: [
    {
      id: 'chem.major_hazard_duty',
      zh: '重大危险源安全包保责任是否落实',
      en: 'Are the responsibilities for the major hazard installations assigned and carried out?',
      basis: CHEM_MAJOR,
      major: false,
    },
  ],
  mine: [
    {
      id: 'mine.monitoring_system',
      zh: '安全监控系统是否正常运行、数据是否真实上传',
      en: 'Is the safety monitoring system running and uploading true data?',
      basis: COAL_MAJOR,
      major: true,
    },
  ],
  metal_smelting: [
    {
      id: 'metal.molten_metal',
      zh: '熔融金属作业区域安全措施是否落实',
      en: 'Are the safety measures around molten metal in place?',
      basis: INDUSTRY_MAJOR,
      major: false,
    },
  ],
  explosive_dust: [
    {
      id: 'dust.electrical',
      zh: '粉尘爆炸危险场所电气设备是否符合防爆要求',
      en: 'Is the electrical equipment in dust-explosion areas explosion-proof?',
      basis: INDUSTRY_MAJOR,
      major: false,
    },
  ],
  fireworks: [
    {
      id: 'fireworks.storage',
      zh: '药物和成品储存是否超量',
      en: 'Are explosives and finished products stored within the permitted quantity?',
      basis: INDUSTRY_MAJOR,
      major: true,
    },
  ],
};

/** The checklist of a task about `matter` at an enterprise of `sector`: the matter's items, then the sector's key matters. */
export function checklistFor(matter: Matter, sector: string): ChecklistItem[] {
  const items = [...BY_MATTER[matter], ...(BY_SECTOR[sector] ?? [])];
  const seen = new Set<string>();
  return items.filter((i) => !seen.has(i.id) && seen.add(i.id));
}

/** Matters that arise in one sector only (its rule pack's); every other matter may arise in any sector (common and gas rules). */
const SECTOR_ONLY: Partial<Record<Matter, string>> = {
  mine_gas_ventilation: 'mine',
  tank_overfill: 'hazardous_chemicals',
  cooling_water: 'metal_smelting',
  dust_removal: 'explosive_dust',
};

/**
 * Every checklist item a task at an enterprise of `sector` may carry: the items of the matters that can
 * arise in the sector, then the sector's key matters. What an enterprise's self-reported hazard may name
 * (inspections/self-inspections.ts), so an inspection's finding on the same item recognises it.
 */
export function checklistItemsOfSector(sector: string): ChecklistItem[] {
  const matters = (Object.keys(BY_MATTER) as Matter[]).filter((m) => SECTOR_ONLY[m] === undefined || SECTOR_ONLY[m] === sector);
  const items = [...matters.flatMap((m) => BY_MATTER[m]), ...(BY_SECTOR[sector] ?? [])];
  const seen = new Set<string>();
  return items.filter((i) => !seen.has(i.id) && seen.add(i.id));
}
