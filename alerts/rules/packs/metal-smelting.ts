/**
 * Metal smelting: water-cooled furnace elements. Cooling water leaking into
 * molten metal explodes; the outlet temperature and the inlet − outlet flow
 * difference are the required monitoring, interlocked with the furnace.
 * Grades: outlet temperature high yellow / high-high orange, low flow and
 * flow difference orange, interlock not acting red.
 */
import type { RuleInput } from '../schema.ts';
import { STD } from './standards.ts';

const pack = 'metal_smelting' as const;
// the outlet is the inlet's registered `cooling_outlet` link, or else the outlet-role flow point of its zone
const flowDifference = { partner: { kinds: ['flow'], roles: ['cooling_outlet'], link: 'cooling_outlet' as const }, threshold: 10, deadband: 2 };

export const METAL_SMELTING_RULES: RuleInput[] = [
  {
    id: 'metal.cooling_water.outlet_temperature',
    version: 1,
    name: { zh: '冷却水出水温度高', en: 'Cooling-water outlet temperature high' },
    pack,
    pattern: 'threshold',
    match: { kinds: ['temperature'], roles: ['cooling_outlet'] },
    severity: 'yellow',
    params: {
      direction: 'high',
      deadband: 1,
      levels: {
        high: { threshold: { ref: 'marks.high', default: 50 }, severity: 'yellow' },
        highHigh: { threshold: { ref: 'marks.highHigh', default: 55 }, severity: 'orange' },
      },
    },
    standard: STD.smelting,
    note: {
      zh: '按登记的报警值（默认 50 / 55 °C，取自企业通行做法；标准要求设置该报警，未规定其数值）。',
      en: 'Registered marks (defaults 50 / 55 °C, plant practice; the standard requires the alarm, not its value).',
    },
  },
  {
    id: 'metal.cooling_water.flow_difference',
    // 2: the outlet by its registered link (issue #17)
    version: 2,
    name: { zh: '冷却水进出水流量差超限', en: 'Cooling-water inlet − outlet flow difference high' },
    pack,
    pattern: 'difference',
    match: { kinds: ['flow'], roles: ['cooling_inlet'] },
    severity: 'orange',
    forMs: 10_000,
    params: { partner: flowDifference.partner, deadband: flowDifference.deadband, levels: { alarm: { threshold: flowDifference.threshold } } },
    standard: STD.smelting,
    note: {
      zh: '进水 − 出水 > 10 m³/h 持续 10 s：冷却水在元件内漏失；橙色。请登记该元件自身的限值。',
      en: "Inlet − outlet > 10 m³/h for 10 s: water lost inside the element; orange. Register the element's own limit.",
    },
  },
  {
    id: 'metal.cooling_water.interlock_failure',
    // 2: the outlet and the interlock by their registered links (issue #17)
    version: 2,
    name: { zh: '冷却水流量差报警联锁未动作', en: 'Cooling-water alarm without the furnace interlock acting' },
    pack,
    pattern: 'interlock_failure',
    match: { kinds: ['flow'], roles: ['cooling_inlet'] },
    seriousViolation: true,
    severity: 'red',
    forMs: 10_000,
    params: {
      trigger: { type: 'difference', ...flowDifference },
      actuator: { kinds: ['interlock'], link: 'cooling_interlock' },
      safeStates: ['tripped'],
      responseMs: 30_000,
    },
    standard: STD.smelting,
    note: {
      zh: '流量差报警持续，且炉体联锁 30 s 内未动作；红色（重大事故隐患）。',
      en: 'The flow-difference alarm stands and the furnace interlock has not tripped within 30 s; red (major accident hazard).',
    },
    standardLimits: [{ param: 'responseMs', atMost: 30_000, standard: STD.smelting }],
  },
  {
    id: 'metal.cooling_water.flow_low',
    version: 1,
    name: { zh: '冷却水流量低', en: 'Cooling-water flow low' },
    pack,
    pattern: 'threshold',
    match: { kinds: ['flow'], roles: ['cooling_inlet', 'cooling_outlet'] },
    severity: 'orange',
    forMs: 10_000,
    params: { direction: 'low', deadband: 2, levels: { low: { threshold: { ref: 'marks.low' } } } },
    standard: STD.smelting,
    note: {
      zh: '低于登记的低报值持续 10 s：元件失去冷却；橙色。',
      en: 'Below the registered low mark for 10 s: the element is not cooled; orange.',
    },
  },
];
