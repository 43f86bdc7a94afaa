/**
 * Coal mines: methane by sensor position, power-off on methane, CO, wind
 * speed, main ventilation. Grades: methane alarm orange, power-off level red,
 * failed power-off red, CO orange then red if it persists (spontaneous
 * combustion), wind speed out of its band yellow, main fan stopped red.
 */
import type { RuleInput } from '../schema.ts';
import { MINUTE, STD } from './standards.ts';

const pack = 'mine' as const;

const powerOffFailure = (role: string, limit: number, zh: string, en: string): RuleInput => ({
  id: `mine.methane.power_off_failure.${role}`,
  version: 1,
  name: { zh, en },
  pack,
  pattern: 'interlock_failure',
  match: { kinds: ['methane'], roles: [role] },
  severity: 'red',
  params: {
    trigger: { type: 'threshold', direction: 'high', threshold: limit },
    actuator: { kinds: ['power'] },
    safeStates: ['de-energised'],
    responseMs: 40_000,
  },
  standard: STD.coalMethane,
  note: `Methane ≥ ${limit} % and the feed still energised 40 s later; red.`,
  standardLimits: [
    { param: 'trigger.threshold', atMost: limit, standard: STD.coalMethane },
    { param: 'responseMs', atMost: 40_000, standard: STD.coalMethane },
  ],
});

export const MINE_RULES: RuleInput[] = [
  {
    id: 'mine.methane.working_face',
    version: 1,
    name: { zh: '采煤工作面甲烷超限', en: 'Working-face methane above limit' },
    pack,
    pattern: 'threshold',
    match: { kinds: ['methane'], roles: ['working_face'] },
    severity: 'orange',
    params: {
      direction: 'high',
      deadband: 0,
      levels: { alarm: { threshold: 1.0, severity: 'orange' }, power_off: { threshold: 1.5, severity: 'red', deadband: 0.5 } },
    },
    standard: STD.coalMethane,
    note: 'Alarm ≥ 1.0 % orange; power-off ≥ 1.5 % red, which stays until < 1.0 % (the restore level).',
    standardLimits: [
      { param: 'levels.alarm.threshold', atMost: 1.0, standard: STD.coalMethane },
      { param: 'levels.power_off.threshold', atMost: 1.5, standard: STD.coalMethane },
    ],
  },
  {
    id: 'mine.methane.return_airway',
    version: 1,
    name: { zh: '回风巷甲烷超限', en: 'Return-airway methane above limit' },
    pack,
    pattern: 'threshold',
    match: { kinds: ['methane'], roles: ['return_airway'] },
    severity: 'red',
    params: { direction: 'high', deadband: 0, levels: { power_off: { threshold: 1.0, severity: 'red' } } },
    standard: STD.coalMethane,
    note: 'Alarm and power-off both at ≥ 1.0 %: red.',
    standardLimits: [{ param: 'levels.power_off.threshold', atMost: 1.0, standard: STD.coalMethane }],
  },
  powerOffFailure('working_face', 1.5, '工作面甲烷超限断电失效', 'Working-face methane power-off failed'),
  powerOffFailure('return_airway', 1.0, '回风巷甲烷超限断电失效', 'Return-airway methane power-off failed'),
  {
    id: 'mine.methane.rise',
    version: 1,
    name: { zh: '甲烷浓度快速上升', en: 'Methane rising fast' },
    pack,
    pattern: 'rate_of_rise',
    match: { kinds: ['methane'] },
    severity: 'yellow',
    params: { rise: 0.3, windowMs: 5 * MINUTE, deadband: 0.1 },
    note: '+0.3 % within 5 min (gas emission anomaly, 瓦斯异常涌出) before the alarm level; yellow. Platform default.',
  },
  {
    id: 'mine.co',
    version: 1,
    name: { zh: '一氧化碳超限', en: 'Carbon monoxide above limit' },
    pack,
    pattern: 'sustained',
    match: { kinds: ['carbon_monoxide'] },
    severity: 'orange',
    params: { direction: 'high', threshold: 24, deadband: 2, steps: [{ afterMs: 30 * MINUTE, severity: 'red' }] },
    standard: STD.coalAir,
    note: 'CO ≥ 24 ppm orange; still above after 30 min red (spontaneous combustion, fire).',
    standardLimits: [{ param: 'threshold', atMost: 24, standard: STD.coalAir }],
  },
  {
    id: 'mine.wind_speed.low',
    version: 1,
    name: { zh: '风速过低', en: 'Wind speed too low' },
    pack,
    pattern: 'threshold',
    match: { kinds: ['wind_speed'] },
    severity: 'yellow',
    forMs: MINUTE,
    params: { direction: 'low', strict: true, deadband: 0.05, levels: { low: { threshold: { ref: 'marks.low', default: 0.25 } } } },
    standard: STD.coalWind,
    note: 'Below the registered low mark (default 0.25 m/s) for a minute; yellow.',
    standardLimits: [{ param: 'levels.low.threshold', atLeast: 0.25, standard: STD.coalWind }],
  },
  {
    id: 'mine.wind_speed.high',
    version: 1,
    name: { zh: '风速过高', en: 'Wind speed too high' },
    pack,
    pattern: 'threshold',
    match: { kinds: ['wind_speed'] },
    severity: 'yellow',
    forMs: MINUTE,
    params: { direction: 'high', strict: true, deadband: 0.1, levels: { high: { threshold: { ref: 'marks.high', default: 4 } } } },
    standard: STD.coalWind,
    note: 'Above the registered high mark (default 4 m/s) for a minute; yellow.',
    standardLimits: [{ param: 'levels.high.threshold', atMost: 4, standard: STD.coalWind }],
  },
  {
    id: 'mine.ventilation_stopped',
    version: 1,
    name: { zh: '生产期间主要通风机停止', en: 'Main fan stopped during production' },
    pack,
    pattern: 'safety_off_in_production',
    match: { kinds: ['ventilation'] },
    severity: 'red',
    params: { unsafeStates: ['stopped'] },
    standard: STD.coalMajor,
    note: 'Coal cutting without ventilation: methane accumulates; red.',
  },
];
