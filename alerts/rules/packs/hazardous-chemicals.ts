/**
 * Hazardous chemicals (tank farms, major hazard sources): level, temperature
 * and pressure against the marks the enterprise registered for each
 * instrument, and the overfill interlock. Grades: high / low yellow (act
 * within the shift), high-high / low-low orange (act now), interlock failure red.
 */
import type { RuleInput } from '../schema.ts';
import { MINUTE, STD } from './standards.ts';

const pack = 'hazardous_chemicals' as const;
/** Deadband of mark-based levels: 0.5 % of the instrument's span (or the given default). */
const span = (fraction: number, fallback: number) => ({ ref: 'range.span' as const, scale: fraction, default: fallback });

const highMarks = (id: string, kind: string, zh: string, en: string, fallbackDeadband: number): RuleInput => ({
  id,
  version: 1,
  name: { zh, en },
  pack,
  pattern: 'threshold',
  match: { kinds: [kind] },
  severity: 'yellow',
  params: {
    direction: 'high',
    deadband: span(0.005, fallbackDeadband),
    levels: { high: { threshold: { ref: 'marks.high' }, severity: 'yellow' }, highHigh: { threshold: { ref: 'marks.highHigh' }, severity: 'orange' } },
  },
  standard: STD.tankMonitoring,
  note: { zh: '按该仪表登记的报警值：高报黄色，高高报橙色。', en: 'Marks as registered for the instrument: high yellow, high-high orange.' },
});

export const HAZARDOUS_CHEMICALS_RULES: RuleInput[] = [
  highMarks('chem.tank_level.high', 'level', '储罐高液位', 'Tank level high', 0.05),
  {
    id: 'chem.tank_level.low',
    version: 1,
    name: { zh: '储罐低液位', en: 'Tank level low' },
    pack,
    pattern: 'threshold',
    match: { kinds: ['level'] },
    severity: 'yellow',
    params: {
      direction: 'low',
      deadband: span(0.005, 0.05),
      levels: { low: { threshold: { ref: 'marks.low' }, severity: 'yellow' }, lowLow: { threshold: { ref: 'marks.lowLow' }, severity: 'orange' } },
    },
    standard: STD.tankMonitoring,
    note: {
      zh: '低报黄色，低低报橙色（机泵抽空汽蚀、浮顶落底、吸入空气）。',
      en: 'Low yellow, low-low orange (pump cavitation, floating roof landing, air ingress).',
    },
  },
  highMarks('chem.temperature.high', 'temperature', '储罐温度高', 'Tank temperature high', 0.5),
  highMarks('chem.pressure.high', 'pressure', '储罐压力高', 'Tank pressure high', 5),
  {
    id: 'chem.temperature.rise',
    version: 1,
    name: { zh: '储罐温度快速上升', en: 'Tank temperature rising fast' },
    pack,
    pattern: 'rate_of_rise',
    match: { kinds: ['temperature'] },
    severity: 'yellow',
    params: { rise: 5, windowMs: 10 * MINUTE, deadband: 2 },
    note: {
      zh: '10 min 内上升 5 °C（反应失控、外部火灾）；黄色。平台默认值，标准未规定数值。',
      en: '+5 °C within 10 min (runaway reaction, external fire); yellow. Platform default, no standard value.',
    },
  },
  {
    id: 'chem.overfill_interlock',
    // 2: the inlet valve by its registered `inlet_valve` link (issue #17)
    version: 2,
    name: { zh: '储罐高高液位联锁失效', en: 'Tank overfill interlock failed' },
    pack,
    pattern: 'interlock_failure',
    match: { kinds: ['level'] },
    seriousViolation: true,
    severity: 'red',
    params: {
      trigger: { type: 'threshold', direction: 'high', threshold: { ref: 'marks.highHigh' }, deadband: span(0.005, 0.05) },
      actuator: { kinds: ['valve'], link: 'inlet_valve' },
      safeStates: ['closed'],
      responseMs: 30_000,
    },
    standard: STD.tankInterlock,
    note: {
      zh: '液位达高高报，且 30 s 内未收到进料阀关闭的信号：正在冒罐；红色。请将储罐自身的进料阀登记为其 `inlet_valve` 关联（未登记时，按其所在区域的阀门判断）。',
      en: "Level at high-high and the inlet valve not reported closed within 30 s: overfill in progress; red. Register the tank's own inlet valve as its `inlet_valve` link (without one, the valves of its zone).",
    },
    standardLimits: [{ param: 'responseMs', atMost: 30_000, standard: STD.tankInterlock }],
  },
];
