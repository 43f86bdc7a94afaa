/**
 * Coal mines: methane by sensor location (the whole table of 第四百九十八条,
 * mine-tables.ts), power-off on methane, CO, wind speed by roadway type
 * (第一百三十六条), main ventilation. Grades: methane alarm orange, power-off level red,
 * failed power-off red, CO orange then red if it persists (spontaneous
 * combustion), wind speed out of its band yellow, main fan stopped red.
 */
import {
  METHANE_ARTICLE,
  METHANE_LOCATIONS,
  ROADWAY_TYPES,
  UNLOCATED_METHANE,
  UNTYPED_ROADWAY,
  WIND_ARTICLE,
  type MethaneLocation,
  type TableCheck,
} from '../mine-tables.ts';
import type { RuleInput } from '../schema.ts';
import { MINUTE, STD } from './standards.ts';

const pack = 'mine' as const;

const METHANE_ROLES = METHANE_LOCATIONS.map((l) => l.id);
const ROADWAY_ROLES = ROADWAY_TYPES.map((t) => t.id);

/** The citation of one row of a table, saying whether its values were checked against the text. */
const rowCitation = (article: string, row: string, checked: TableCheck) =>
  `${article}「${row}」行${checked === 'memory' ? '（数值凭记忆录入，未与规程原文核对）' : ''}`;

/** `upper corner …` → `Upper corner …` (a row's English name opening a note). */
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * One row of 第四百九十八条: alarm orange, power-off red (stays until below the
 * restore concentration); where alarm and power-off coincide, red at once; a
 * row without power-off: the alarm only, orange.
 */
function methaneRule(l: MethaneLocation, id: string, name: { zh: string; en: string }): RuleInput {
  const std = rowCitation(METHANE_ARTICLE, l.zh, l.checked);
  type Level = { threshold: number; severity: 'orange' | 'red'; deadband?: number };
  const levels: Record<string, Level> =
    l.powerOff === null
      ? { alarm: { threshold: l.alarm, severity: 'orange' as const } }
      : l.powerOff === l.alarm
        ? { power_off: { threshold: l.powerOff, severity: 'red' as const } }
        : {
            alarm: { threshold: l.alarm, severity: 'orange' as const },
            power_off: { threshold: l.powerOff, severity: 'red' as const, deadband: Number((l.powerOff - (l.restore ?? l.alarm)).toFixed(2)) },
          };
  return {
    id,
    // 2: the rows the catalogue had before the whole table now cite their row (issue #15)
    version: LEGACY_NAMES[l.id] ? 2 : 1,
    name,
    pack,
    pattern: 'threshold',
    match: { kinds: ['methane'], roles: [l.id] },
    severity: l.powerOff === null || l.powerOff !== l.alarm ? 'orange' : 'red',
    params: { direction: 'high', deadband: 0, levels },
    standard: std,
    note:
      l.powerOff === null
        ? {
            zh: `${l.zh}：报警浓度 ≥ ${l.alarm} % 橙色；表中未规定断电浓度。`,
            en: `${capital(l.en)}: alarm ≥ ${l.alarm} % orange; the table sets no power-off concentration.`,
          }
        : l.powerOff === l.alarm
          ? {
              zh: `${l.zh}：报警、断电浓度均为 ≥ ${l.alarm} %：红色（复电浓度 < ${l.restore} %）。`,
              en: `${capital(l.en)}: alarm and power-off both at ≥ ${l.alarm} %: red (restore < ${l.restore} %).`,
            }
          : {
              zh: `${l.zh}：报警浓度 ≥ ${l.alarm} % 橙色；断电浓度 ≥ ${l.powerOff} % 红色，直至降到 < ${l.restore} %（复电浓度）。`,
              en: `${capital(l.en)}: alarm ≥ ${l.alarm} % orange; power-off ≥ ${l.powerOff} % red, which stays until < ${l.restore} % (the restore level).`,
            },
    standardLimits: Object.keys(levels).map((k) => ({
      param: `levels.${k}.threshold`,
      atMost: k === 'alarm' ? l.alarm : l.powerOff!,
      standard: std,
    })),
  };
}

/** Names of the two rows the catalogue had before the whole table (kept: alerts and tasks refer to them). */
const LEGACY_NAMES: Record<string, { zh: string; en: string }> = {
  working_face: { zh: '采煤工作面甲烷超限', en: 'Working-face methane above limit' },
  return_airway: { zh: '回风巷甲烷超限', en: 'Return-airway methane above limit' },
};

const POWER_OFF_NAMES: Record<string, { zh: string; en: string }> = {
  working_face: { zh: '工作面甲烷超限断电失效', en: 'Working-face methane power-off failed' },
  return_airway: { zh: '回风巷甲烷超限断电失效', en: 'Return-airway methane power-off failed' },
};

const methaneName = (l: MethaneLocation) => LEGACY_NAMES[l.id] ?? { zh: `${l.zh}甲烷超限`, en: `Methane above limit: ${l.en}` };

/** 40 s: the platform's choice of how long the feed may stay energised after the power-off level; the table sets the concentration, not this time. */
export const POWER_OFF_RESPONSE_MS = 40_000;

/** The table's power-off ranges (断电范围) in English, for the English notes; keyed by the table's Chinese text. */
const POWER_OFF_RANGE_EN: Record<string, string> = {
  井筒内全部非本质安全型电气设备: 'all non-intrinsically-safe electrical equipment in the shaft',
  工作面内全部非本质安全型电气设备: 'all non-intrinsically-safe electrical equipment at the face',
  工作面内及其回风巷内全部非本质安全型电气设备: 'all non-intrinsically-safe electrical equipment at the face and in its return airway',
  工作面及其回风巷内全部非本质安全型电气设备: 'all non-intrinsically-safe electrical equipment at the face and in its return airway',
  '工作面及其回风巷内全部非本质安全型电气设备（突出矿井：及其进风巷）':
    'all non-intrinsically-safe electrical equipment at the face and in its return airway (outburst mines: and in its intake airway)',
  带式输送机地面走廊内全部非本质安全型电气设备: 'all non-intrinsically-safe electrical equipment in the surface gallery of the belt conveyor',
  掘进巷道内全部非本质安全型电气设备: 'all non-intrinsically-safe electrical equipment in the heading',
  '掘进机、连续采煤机、锚杆钻车、梭车电源': 'the power of the roadheader, continuous miner, roof bolter and shuttle car',
  煤仓附近的各类运输设备及其他非本质安全型电气设备: 'all transport equipment and other non-intrinsically-safe electrical equipment near the coal bunker',
  瓦斯抽采泵站电源: 'the power of the gas drainage pump station',
  瓦斯涌出巷道上风流100m内及其下风流的架空线电源和全部非本质安全型电气设备:
    'the trolley-wire power and all non-intrinsically-safe electrical equipment from 100 m upwind of the gas-emitting roadway downwind',
  被串掘进巷道内全部非本质安全型电气设备: 'all non-intrinsically-safe electrical equipment in the heading ventilated in series after it',
  '被串采煤工作面及其进、回风巷内全部非本质安全型电气设备':
    'all non-intrinsically-safe electrical equipment at the face ventilated in series after it and in that face’s intake and return airways',
  装煤点处上风流100m内及其下风流的架空线电源和全部非本质安全型电气设备:
    'the trolley-wire power and all non-intrinsically-safe electrical equipment from 100 m upwind of the loading point downwind',
  设备动力电源: 'the power of the equipment',
  进风巷内全部非本质安全型电气设备: 'all non-intrinsically-safe electrical equipment in the intake airway',
  采区回风巷内全部非本质安全型电气设备: 'all non-intrinsically-safe electrical equipment in the district return airway',
  采煤机电源: 'the power of the shearer',
};

const powerOffFailure = (l: MethaneLocation & { powerOff: number }): RuleInput => {
  const s = POWER_OFF_RESPONSE_MS / 1000;
  const rangeEn = l.powerOffRange === null ? undefined : (POWER_OFF_RANGE_EN[l.powerOffRange] ?? 'the power-off range of the table');
  const std = `${rowCitation(METHANE_ARTICLE, l.zh, l.checked)}（断电浓度）; 响应时间 ${POWER_OFF_RESPONSE_MS / 1000} s 为平台默认值，非《煤矿安全规程》规定`;
  return {
    id: `mine.methane.power_off_failure.${l.id}`,
    // 2: the 40 s response labelled as the platform's default (issue #15); +1: the feed by its registered `power_feed` link (issue #17)
    version: POWER_OFF_NAMES[l.id] ? 3 : 2,
    name: POWER_OFF_NAMES[l.id] ?? { zh: `${l.zh}甲烷超限断电失效`, en: `Methane power-off failed: ${l.en}` },
    pack,
    pattern: 'interlock_failure',
    match: { kinds: ['methane'], roles: [l.id] },
    seriousViolation: true,
    severity: 'red',
    params: {
      trigger: { type: 'threshold', direction: 'high', threshold: l.powerOff },
      actuator: { kinds: ['power'], link: 'power_feed' },
      safeStates: ['de-energised'],
      responseMs: POWER_OFF_RESPONSE_MS,
    },
    standard: std,
    note: {
      zh: `甲烷 ≥ ${l.powerOff} % 后 ${s} s，被控馈电${l.powerOffRange === null ? '' : `（${l.powerOffRange}）`}仍未断电；红色。${s} s 为平台默认值，非《煤矿安全规程》规定。`,
      en: `Methane ≥ ${l.powerOff} % and the feed${rangeEn === undefined ? '' : ` (${rangeEn})`} still energised ${s} s later; red. The ${s} s is the platform's default, not the regulation's.`,
    },
    standardLimits: [
      { param: 'trigger.threshold', atMost: l.powerOff, standard: rowCitation(METHANE_ARTICLE, l.zh, l.checked) },
      { param: 'responseMs', atMost: POWER_OFF_RESPONSE_MS, standard: `平台默认值（《煤矿安全规程》第四百九十八条未规定断电响应时间）` },
    ],
  };
};

const hasPowerOff = (l: MethaneLocation): l is MethaneLocation & { powerOff: number } => l.powerOff !== null;

function windRule(t: { id: string; zh: string; checked: TableCheck } | null, direction: 'low' | 'high', limit: number): RuleInput {
  const std = t === null ? `${WIND_ARTICLE}「采煤工作面、掘进中的煤巷和半煤岩巷」行（巷道类型未登记时的默认值）` : rowCitation(WIND_ARTICLE, t.zh, t.checked);
  const where = t === null ? '' : `${t.zh}`;
  const low = direction === 'low';
  return {
    id: t === null ? `mine.wind_speed.${direction}` : `mine.wind_speed.${t.id}.${direction}`,
    // 2: the untyped rule became the fallback for sensors without a roadway type (issue #15)
    version: t === null ? 2 : 1,
    name: { zh: `${where}风速过${low ? '低' : '高'}`, en: `Wind speed too ${low ? 'low' : 'high'}${t === null ? '' : ` (${t.id})`}` },
    pack,
    pattern: 'threshold',
    match: t === null ? { kinds: ['wind_speed'], excludeRoles: ROADWAY_ROLES } : { kinds: ['wind_speed'], roles: [t.id] },
    severity: 'yellow',
    forMs: MINUTE,
    params: {
      direction,
      strict: true,
      deadband: low ? 0.05 : 0.1,
      levels: { [direction]: { threshold: { ref: low ? 'marks.low' : 'marks.high', default: limit } } },
    },
    standard: std,
    note: {
      zh: `${low ? '低于' : '高于'}登记的${low ? '低报' : '高报'}值（默认 ${limit} m/s，即表中${low ? '最低' : '最高'}风速）持续 1 min；黄色。1 min 的持续时间为平台默认值。`,
      en: `${low ? 'Below' : 'Above'} the registered ${direction} mark (default ${limit} m/s, the table's ${low ? 'minimum' : 'maximum'}) for a minute; yellow. The 1 min hold is the platform's default.`,
    },
    standardLimits: [{ param: `levels.${direction}.threshold`, ...(low ? { atLeast: limit } : { atMost: limit }), standard: std }],
    ...(t === null
      ? {
          fallback: {
            zh: '风速传感器未登记巷道类型，按采煤工作面风速范围（0.25–4 m/s）监测',
            en: 'roadway type not registered: the face range (0.25–4 m/s) applies',
          },
        }
      : {}),
  };
}

export const MINE_RULES: RuleInput[] = [
  ...METHANE_LOCATIONS.map((l) => methaneRule(l, `mine.methane.${l.id}`, methaneName(l))),
  {
    ...methaneRule(
      {
        id: 'unlocated',
        zh: '未登记位置的甲烷传感器',
        en: 'methane sensor of unregistered location',
        alarm: UNLOCATED_METHANE.alarm,
        powerOff: UNLOCATED_METHANE.powerOff,
        restore: UNLOCATED_METHANE.powerOff,
        powerOffRange: null,
        checked: 'secondary',
      },
      'mine.methane.unlocated',
      { zh: '甲烷超限（未登记传感器位置，按最严限值）', en: 'Methane above limit (location not registered; strictest limits)' },
    ),
    match: { kinds: ['methane'], excludeRoles: METHANE_ROLES },
    standard: `${METHANE_ARTICLE}（表中最严的报警、断电浓度 0.5 %，位置未登记时的平台默认）`,
    note: {
      zh: '未登记设置地点的甲烷传感器：按表中最严限值（0.5 %）监测，红色，直至登记其设置地点。',
      en: 'A methane sensor without a registered location: the strictest limits of the table (0.5 %), red, until its location is set.',
    },
    standardLimits: [{ param: 'levels.power_off.threshold', atMost: UNLOCATED_METHANE.powerOff, standard: METHANE_ARTICLE }],
    fallback: {
      zh: '甲烷传感器未登记设置地点，按第四百九十八条表中最严限值（0.5 %）监测',
      en: 'location not registered: the strictest limits of article 498 (0.5 %) apply',
    },
  },
  ...METHANE_LOCATIONS.filter(hasPowerOff).map(powerOffFailure),
  {
    id: 'mine.methane.rise',
    version: 1,
    name: { zh: '甲烷浓度快速上升', en: 'Methane rising fast' },
    pack,
    pattern: 'rate_of_rise',
    match: { kinds: ['methane'] },
    severity: 'yellow',
    params: { rise: 0.3, windowMs: 5 * MINUTE, deadband: 0.1 },
    note: {
      zh: '达到报警浓度之前 5 min 内上升 0.3 %（瓦斯异常涌出）；黄色。平台默认值。',
      en: '+0.3 % within 5 min (gas emission anomaly) before the alarm level; yellow. Platform default.',
    },
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
    note: {
      zh: 'CO ≥ 24 ppm 橙色；持续 30 min 仍超限升为红色（煤炭自燃、火灾）。',
      en: 'CO ≥ 24 ppm orange; still above after 30 min red (spontaneous combustion, fire).',
    },
    standardLimits: [{ param: 'threshold', atMost: 24, standard: STD.coalAir }],
  },
  windRule(null, 'low', UNTYPED_ROADWAY.min),
  windRule(null, 'high', UNTYPED_ROADWAY.max),
  ...ROADWAY_TYPES.flatMap((t) => [...(t.min === null ? [] : [windRule(t, 'low', t.min)]), ...(t.max === null ? [] : [windRule(t, 'high', t.max)])]),
  {
    id: 'mine.ventilation_stopped',
    version: 1,
    name: { zh: '生产期间主要通风机停止', en: 'Main fan stopped during production' },
    pack,
    pattern: 'safety_off_in_production',
    match: { kinds: ['ventilation'] },
    seriousViolation: true,
    severity: 'red',
    params: { unsafeStates: ['stopped'] },
    standard: STD.coalMajor,
    note: {
      zh: '停风状态下采煤：甲烷积聚；红色。',
      en: 'Coal cutting without ventilation: methane accumulates; red.',
    },
  },
];
