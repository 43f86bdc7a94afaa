/**
 * Tampering and silence, any sector (domain rule 7): data interruption,
 * gateway offline, frozen readings, a detector switched off or an interlock
 * bypassed during production, out-of-range and sudden drop to zero.
 */
import type { RuleInput } from '../schema.ts';
import { ANALOG_KINDS, MINUTE, STD } from './standards.ts';

export const COMMON_RULES: RuleInput[] = [
  {
    id: 'common.data_silence',
    version: 2, // 2: first-data grace (issue #15)
    name: { zh: '数据中断', en: 'Data interruption' },
    pack: 'common',
    pattern: 'data_silence',
    severity: 'yellow',
    suppressibleByGatewayOffline: true,
    params: { factor: 3, firstDataGraceMs: 5 * MINUTE },
    standard: STD.tampering,
    note: {
      zh: '测点连续 3 × 采集周期无数据：黄色。自开始监视以来尚未收到过数据的测点（刚登记）按 max(3 × 周期, 5 min) 计，其中 5 min 为平台默认值。其网关离线或网关全部测点无数据期间不单独报警（只报一条根因报警）。',
      en: 'Nothing from a point for 3 × its period; yellow. A point not heard since the watch began (just provisioned) has max(3 × period, 5 min) — the 5 min is the platform default. Suppressed while its gateway is offline or its points are all silent (one root-cause alert).',
    },
  },
  {
    id: 'common.gateway_points_silent',
    version: 1,
    name: { zh: '网关在线但全部测点无数据', en: 'Gateway connected, all its points silent' },
    pack: 'common',
    pattern: 'gateway_points_silent',
    severity: 'orange',
    params: { factor: 3, leadMs: 1000 },
    standard: STD.tampering,
    note: {
      zh: '网关保持连接，但其全部测点在 3 × 最短在用采集周期减 1 s 内均无数据（平台默认值：恰在各测点自身的数据中断报警之前）：网关与 PLC 的连接已中断。对该网关报一条橙色报警，其测点的数据中断报警归于其下、不单独报警。',
      en: "The gateway keeps its connection but nothing comes from any of its points for 3 × the shortest live period less 1 s (platform default: just before the points' own silence): the link to the PLC is lost. One orange alert for the gateway; the points' silence alerts are suppressed under it.",
    },
  },
  {
    id: 'common.gateway_offline',
    version: 1,
    name: { zh: '网关离线', en: 'Gateway offline' },
    pack: 'common',
    pattern: 'gateway_offline',
    severity: 'orange',
    params: { heartbeatMs: 3 * MINUTE },
    standard: STD.tampering,
    note: {
      zh: '企业全部仪表同时失去监测；橙色。',
      en: 'Every instrument of the enterprise goes dark at once; orange.',
    },
  },
  {
    id: 'common.frozen',
    // 2: one instrument-fault alarm per point and episode with the other fault rules (group, issue #17 item 5)
    version: 2,
    group: 'common.instrument_fault',
    name: { zh: '数据冻结', en: 'Frozen readings' },
    pack: 'common',
    pattern: 'frozen',
    match: { kinds: ANALOG_KINDS },
    severity: 'yellow',
    params: { windowMs: 30 * MINUTE, tolerance: { ref: 'resolution' }, floor: { ref: 'range.min' }, minSamples: 10 },
    standard: STD.tampering,
    note: {
      zh: '生产期间 30 min 内读数变化均未超过分辨率；黄色。',
      en: 'No variation beyond the resolution for 30 min while production runs; yellow.',
    },
  },
  {
    id: 'common.detector_off',
    version: 1,
    name: { zh: '生产期间探测器关闭或故障', en: 'Detector off or faulted during production' },
    pack: 'common',
    pattern: 'safety_off_in_production',
    match: { kinds: ['detector'] },
    seriousViolation: true,
    severity: 'orange',
    params: { unsafeStates: ['off', 'faulted'] },
    standard: `${STD.tampering}; ${STD.gds}`,
    note: {
      zh: '装置运行期间气体检测出现盲区；橙色（该区域其他探测器仍在监测）。',
      en: 'A blind spot in gas detection while the plant runs; orange (the other detectors of the zone still watch).',
    },
  },
  {
    id: 'common.interlock_bypassed',
    version: 1,
    name: { zh: '生产期间联锁旁路', en: 'Interlock bypassed during production' },
    pack: 'common',
    pattern: 'safety_off_in_production',
    match: { kinds: ['interlock'] },
    seriousViolation: true,
    severity: 'red',
    params: { unsafeStates: ['bypassed'] },
    standard: `${STD.tampering}; ${STD.tankInterlock}`,
    note: {
      zh: '运行期间安全仪表功能退出运行（联锁旁路）属重大事故隐患；红色。',
      en: 'A safety instrumented function out of service while running is a major accident hazard; red.',
    },
  },
  {
    id: 'common.out_of_range',
    // 2: one instrument-fault alarm per point and episode with the other fault rules (group, issue #17 item 5)
    version: 2,
    group: 'common.instrument_fault',
    name: { zh: '读数超出量程', en: 'Reading outside the instrument range' },
    pack: 'common',
    pattern: 'out_of_range',
    match: { kinds: [...ANALOG_KINDS, 'spark_count'] },
    severity: 'yellow',
    params: { min: { ref: 'range.min' }, max: { ref: 'range.max' } },
    standard: STD.tampering,
    note: {
      zh: '物理上不可能出现的读数：仪表故障或人为篡改；黄色。需登记量程（或该类测点的物理界限）。',
      en: 'Physically impossible value: instrument fault or manipulation; yellow. Needs the registered range (or a physical bound of the kind).',
    },
  },
  {
    id: 'common.drop_to_zero',
    // 2: one instrument-fault alarm per point and episode with the other fault rules (group, issue #17 item 5)
    version: 2,
    group: 'common.instrument_fault',
    name: { zh: '读数突降为零', en: 'Reading dropped to zero' },
    pack: 'common',
    pattern: 'drop_to_zero',
    match: { kinds: ['level', 'pressure', 'flow', 'wind_speed', 'differential_pressure', 'current'] },
    severity: 'yellow',
    params: { fromAtLeast: { ref: 'range.span', scale: 0.05 }, zeroAtMost: 0, withinMs: MINUTE },
    standard: STD.tampering,
    note: {
      zh: '1 min 内从不低于满量程的 5 % 降至零：电缆被切断或变送器被关闭；黄色。',
      en: 'From at least 5 % of full scale to zero within a minute: cut cable or switched-off transmitter; yellow.',
    },
  },
];
