/**
 * Matters (检查事项类别): what an inspection task is about. A task is one
 * enterprise × one matter; alerts of the same matter at the same enterprise
 * attach to the open task as further evidence instead of opening another
 * (避免重复检查、多头检查, domain rule 1). Pure.
 */

export const MATTERS = [
  'gas',
  'mine_gas_ventilation',
  'tank_overfill',
  'process_parameters',
  'cooling_water',
  'dust_removal',
  'safety_devices',
  'monitoring_integrity',
  'instrument_reliability',
  'alarm_settings',
] as const;
export type Matter = (typeof MATTERS)[number];

export const MATTER_NAMES: Record<Matter, { zh: string; en: string }> = {
  gas: { zh: '可燃和有毒气体泄漏', en: 'combustible and toxic gas' },
  mine_gas_ventilation: { zh: '瓦斯与通风', en: 'mine gas and ventilation' },
  tank_overfill: { zh: '储罐液位与防溢', en: 'tank level and overfill protection' },
  process_parameters: { zh: '工艺参数超限', en: 'process parameters out of limits' },
  cooling_water: { zh: '炉体冷却水系统', en: 'furnace cooling water' },
  dust_removal: { zh: '粉尘防爆与除尘系统', en: 'dust explosion protection and dust removal' },
  safety_devices: { zh: '安全设施停用或旁路', en: 'safety devices switched off or bypassed' },
  monitoring_integrity: { zh: '监测数据真实完整', en: 'integrity of monitoring data' },
  instrument_reliability: { zh: '仪表可靠性（频繁报警）', en: 'instrument reliability (chattering)' },
  alarm_settings: { zh: '报警值设置', en: 'alarm settings' },
};

/** Rule id → matter, by the longest matching prefix; a rule of no listed prefix is its own pack's process matter. */
const BY_PREFIX: [string, Matter][] = [
  ['gas.', 'gas'],
  ['mine.', 'mine_gas_ventilation'],
  ['chem.tank_level', 'tank_overfill'],
  ['chem.overfill_interlock', 'tank_overfill'],
  ['chem.', 'process_parameters'],
  ['metal.cooling_water', 'cooling_water'],
  ['metal.', 'process_parameters'],
  ['dust.', 'dust_removal'],
  ['common.detector_off', 'safety_devices'],
  ['common.interlock_bypassed', 'safety_devices'],
  ['common.data_silence', 'monitoring_integrity'],
  ['common.gateway_offline', 'monitoring_integrity'],
  ['common.gateway_points_silent', 'monitoring_integrity'],
  ['common.frozen', 'monitoring_integrity'],
  ['common.drop_to_zero', 'monitoring_integrity'],
  ['common.out_of_range', 'monitoring_integrity'],
  ['common.chattering', 'instrument_reliability'],
  ['common.loose_limit', 'alarm_settings'],
  // planned stops (alerts/worker/planned-stops.ts): a stop record that does not match the plant
  ['common.planned_stop_overrun', 'monitoring_integrity'],
  ['common.production_during_stop', 'monitoring_integrity'],
];

export function matterOf(ruleId: string): Matter {
  let best: [string, Matter] | undefined;
  for (const entry of BY_PREFIX) if (ruleId.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  return best?.[1] ?? 'process_parameters';
}
