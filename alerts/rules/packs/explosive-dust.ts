/**
 * Explosive dust: the dust collector (temperature, differential pressure, running
 * during production) and spark detection in the ducts. Grades: collector hot
 * yellow → orange after 10 min → red after 30 min (smouldering deposit), fast
 * temperature rise yellow, differential pressure out of band yellow, sparks and
 * a stopped collector during production orange.
 */
import type { RuleInput } from '../schema.ts';
import { MINUTE, STD } from './standards.ts';

const pack = 'explosive_dust' as const;

export const EXPLOSIVE_DUST_RULES: RuleInput[] = [
  {
    id: 'dust.collector.temperature',
    version: 1,
    name: { zh: '除尘器温度高', en: 'Dust collector temperature high' },
    pack,
    pattern: 'sustained',
    match: { kinds: ['temperature'], roles: ['collector'] },
    severity: 'yellow',
    params: {
      direction: 'high',
      threshold: { ref: 'marks.high', default: 70 },
      deadband: 2,
      steps: [
        { afterMs: 10 * MINUTE, severity: 'orange' },
        { afterMs: 30 * MINUTE, severity: 'red' },
      ],
    },
    standard: STD.dust,
    note: {
      zh: '高于登记的高报值（默认 70 °C）：黄色，持续 10 min 升为橙色，持续 30 min 升为红色。',
      en: 'Above the registered high mark (default 70 °C): yellow, orange after 10 min, red after 30 min.',
    },
  },
  {
    id: 'dust.collector.temperature.rise',
    version: 1,
    name: { zh: '除尘器温度快速上升', en: 'Dust collector temperature rising fast' },
    pack,
    pattern: 'rate_of_rise',
    match: { kinds: ['temperature'], roles: ['collector'] },
    severity: 'yellow',
    params: { rise: 10, windowMs: 5 * MINUTE, deadband: 3 },
    note: {
      zh: '5 min 内上升 10 °C；黄色。平台默认值。',
      en: '+10 °C within 5 min; yellow. Platform default.',
    },
  },
  {
    id: 'dust.collector.dp.high',
    version: 1,
    name: { zh: '除尘器压差高', en: 'Dust collector differential pressure high' },
    pack,
    pattern: 'threshold',
    match: { kinds: ['differential_pressure'], roles: ['collector'] },
    severity: 'yellow',
    forMs: MINUTE,
    params: { direction: 'high', deadband: 20, levels: { high: { threshold: { ref: 'marks.high' } } } },
    standard: STD.dust,
    note: {
      zh: '滤袋堵塞（管道内积尘）；持续 1 min 后黄色。',
      en: 'Filter clogged (dust accumulates in the duct); yellow after a minute.',
    },
  },
  {
    id: 'dust.collector.dp.low',
    version: 1,
    name: { zh: '除尘器压差低', en: 'Dust collector differential pressure low' },
    pack,
    pattern: 'threshold',
    match: { kinds: ['differential_pressure'], roles: ['collector'] },
    severity: 'yellow',
    forMs: MINUTE,
    params: { direction: 'low', deadband: 20, levels: { low: { threshold: { ref: 'marks.low' } } } },
    standard: STD.dust,
    note: {
      zh: '滤袋破损或风机停止；持续 1 min 后黄色。',
      en: 'Bag broken or fan stopped; yellow after a minute.',
    },
  },
  {
    id: 'dust.spark',
    version: 1,
    name: { zh: '管道火花探测报警', en: 'Spark detected in the duct' },
    pack,
    pattern: 'threshold',
    match: { kinds: ['spark_count'] },
    severity: 'orange',
    params: { direction: 'high', deadband: 0.5, levels: { spark: { threshold: 1 } } },
    standard: STD.dust,
    note: {
      zh: '探测到任一火花：点火源正随气流进入除尘器；橙色。',
      en: 'Any spark counted: ignition source heading for the collector; orange.',
    },
  },
  {
    id: 'dust.collector_stopped',
    version: 1,
    name: { zh: '生产期间除尘系统停止', en: 'Dust collection stopped during production' },
    pack,
    pattern: 'safety_off_in_production',
    match: { kinds: ['ventilation'] },
    seriousViolation: true,
    severity: 'orange',
    params: { unsafeStates: ['stopped'] },
    standard: STD.dust,
    note: {
      zh: '除尘系统须先于生产启动，并在生产期间持续运行；橙色。',
      en: 'Dust collection must run before and while production runs; orange.',
    },
  },
];
