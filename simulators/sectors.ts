/**
 * Sector templates: which instruments and process signals a simulated
 * enterprise of each high-risk sector has, and how each instrument behaves
 * under normal operation. Values are chosen to sit well inside the normal
 * band (combustible gas < 10 %LEL, methane < 0.5 %, CO < 15 ppm, tank level
 * between its low and high marks, …) so that only injected scenarios cross
 * hazard thresholds.
 */
import type { SensorKind, SignalKind } from '../core/contract.ts';
import type { PointRelation } from '../core/vocabulary.ts';
import type { EnterpriseInput } from '../ledger/provisioning.ts';
import type { SensorModel } from './model.ts';

/** The sectors the fleet simulates, in the order enterprises are dealt out (round-robin). */
export const SIM_SECTORS = ['hazardous_chemicals', 'mine', 'explosive_dust', 'metal_smelting'] as const satisfies readonly EnterpriseInput['sector'][];
export type SimSector = (typeof SIM_SECTORS)[number];

/** Alarm marks of an instrument (tank level, pressure), in its unit. */
export interface AlarmMarks {
  lowLow?: number;
  low?: number;
  high?: number;
  highHigh?: number;
}

export interface SensorTemplate {
  /** Id prefix, unique within the sector; ids are `${prefix}-${first + i}`. */
  prefix: string;
  first: number;
  /** Instances per enterprise at sensor scale 1; scale k gives k times as many. */
  count: number;
  kind: SensorKind;
  unit: string;
  periodS: number;
  /** Zone name; instances beyond `count` go to further zones (`${zone}-2`, …). */
  zone: string;
  role?: string;
  /** Chinese label, used in the sensor's name. */
  label: string;
  model: SensorModel;
  /** Relative spread of the baseline between instances (0.1 = ±10 %), so plants differ. */
  jitter: number;
  marks?: AlarmMarks;
  /** Whether the instrument has a power/health signal point of kind `detector` (`D-<sensor id>`). */
  detector?: boolean;
  /** CAS number of the gas it measures (gas detectors whose gas the template names). */
  casNo?: string;
  /**
   * The links the compound rules follow (core/vocabulary.ts POINT_RELATIONS). `to` is a sensor template's
   * prefix (the same instance of it: FT-IN-102 → FT-OUT-102), a per-instance signal's id (the instance's own:
   * LT-202 → V-IN-2) or a signal's id (that one point: PWR-1).
   */
  links?: { relation: PointRelation; to: string }[];
  /** Whether its instances belong to the enterprise's major hazard source (SectorTemplate.hazardSource). */
  inHazardSource?: boolean;
}

export interface SignalTemplate {
  id: string;
  kind: SignalKind;
  /** State under normal operation. */
  normal: string;
  periodS: number;
  label: string;
  /**
   * One such signal per instance of the sensor template of this prefix (each tank its own inlet valve):
   * the first instance's is `id`, the next ones count on from `id`'s trailing number (V-IN-1, V-IN-2, …).
   */
  perInstanceOf?: string;
  /** Whether it belongs to the enterprise's major hazard source (SectorTemplate.hazardSource). */
  inHazardSource?: boolean;
}

/** A major hazard source (重大危险源, ledger/hazard-sources.ts) the template's enterprises register. */
export interface HazardSourceTemplate {
  code: string;
  name: string;
  /** R value (GB 18218-2018); the ledger grades the level by it. */
  rValue: number;
}

export interface SectorTemplate {
  sector: SimSector;
  /** Short code used in ids: E-CHEM-001, GW-CHEM-001-1. */
  code: string;
  enterpriseName: (number: string) => string;
  sensors: SensorTemplate[];
  signals: SignalTemplate[];
  /** Reporting period of the generated `detector` signal points. */
  detectorPeriodS: number;
  /** The major hazard source its enterprises register, if any. */
  hazardSource?: HazardSourceTemplate;
  /** Where its enterprises are (address: `${street}${n}号`). */
  street: string;
}

const m = (base: number, dailyAmplitude: number, peakHour: number, noiseSd: number, resolution: number, min: number, max: number): SensorModel => ({
  base,
  dailyAmplitude,
  peakHour,
  noiseSd,
  resolution,
  min,
  max,
});

const running = (id: string, label: string): SignalTemplate => ({ id, kind: 'production', normal: 'running', periodS: 60, label });

export const SECTOR_TEMPLATES: Record<SimSector, SectorTemplate> = {
  hazardous_chemicals: {
    sector: 'hazardous_chemicals',
    code: 'CHEM',
    enterpriseName: (n) => `示例化工有限公司 ${n}`,
    detectorPeriodS: 60,
    street: '示例化工园区纬一路',
    // R 36.8: a level-3 (三级) source by GB 18218-2018 (50 > R ≥ 10), a plausible demo tank farm
    hazardSource: { code: 'MHS-TANK-FARM', name: '储罐区', rValue: 36.8 },
    sensors: [
      {
        prefix: 'GT',
        first: 101,
        count: 4,
        kind: 'combustible_gas',
        unit: '%LEL',
        periodS: 5,
        zone: 'tank-farm',
        label: '储罐区可燃气体探测器',
        model: m(0.6, 0.3, 14, 0.25, 0.1, 0, 100),
        jitter: 0.2,
        detector: true,
        inHazardSource: true,
      },
      {
        prefix: 'AT',
        first: 101,
        count: 1,
        kind: 'toxic_gas',
        unit: 'ppm',
        periodS: 5,
        zone: 'tank-farm',
        role: 'h2s',
        label: '储罐区有毒气体(H2S)探测器',
        model: m(1.2, 0.4, 14, 0.2, 0.1, 0, 100),
        jitter: 0.2,
        detector: true,
        casNo: '7783-06-4', // hydrogen sulphide
        inHazardSource: true,
      },
      {
        prefix: 'LT',
        first: 201,
        count: 1,
        kind: 'level',
        unit: 'm',
        periodS: 10,
        zone: 'tank-farm',
        role: 'tank_level',
        label: '储罐液位计',
        model: m(8, 1.2, 20, 0.02, 0.01, 0, 15),
        jitter: 0.05,
        marks: { lowLow: 1, low: 2, high: 12, highHigh: 13.5 },
        links: [{ relation: 'inlet_valve', to: 'V-IN-1' }],
        inHazardSource: true,
      },
      {
        prefix: 'TT',
        first: 301,
        count: 1,
        kind: 'temperature',
        unit: '°C',
        periodS: 10,
        zone: 'tank-farm',
        label: '储罐温度',
        model: m(22, 4, 15, 0.2, 0.1, -40, 150),
        jitter: 0.05,
        marks: { high: 45, highHigh: 55 },
        inHazardSource: true,
      },
      {
        prefix: 'PT',
        first: 401,
        count: 1,
        kind: 'pressure',
        unit: 'kPa',
        periodS: 5,
        zone: 'tank-farm',
        label: '储罐压力',
        model: m(650, 40, 15, 2, 1, 0, 2500),
        jitter: 0.05,
        marks: { high: 1000, highHigh: 1200 },
        inHazardSource: true,
      },
    ],
    signals: [
      running('P-RUN', '生产运行状态'),
      { id: 'V-IN-1', kind: 'valve', normal: 'open', periodS: 60, label: '储罐进料阀', perInstanceOf: 'LT', inHazardSource: true },
      { id: 'I-SIS-1', kind: 'interlock', normal: 'enabled', periodS: 60, label: 'SIS 高高液位联锁', inHazardSource: true },
    ],
  },

  mine: {
    sector: 'mine',
    code: 'MINE',
    enterpriseName: (n) => `示例煤矿 ${n}`,
    detectorPeriodS: 60,
    street: '示例矿区井口路',
    sensors: [
      {
        prefix: 'CH4-WF',
        first: 101,
        count: 2,
        kind: 'methane',
        unit: '%CH4',
        periodS: 5,
        zone: 'working-face',
        role: 'working_face',
        label: '采煤工作面甲烷传感器',
        model: m(0.12, 0.04, 10, 0.015, 0.01, 0, 4),
        jitter: 0.1,
        detector: true,
        casNo: '74-82-8', // methane
        links: [{ relation: 'power_feed', to: 'PWR-1' }],
      },
      {
        prefix: 'CH4-RA',
        first: 101,
        count: 1,
        kind: 'methane',
        unit: '%CH4',
        periodS: 5,
        zone: 'return-airway',
        role: 'return_airway',
        label: '回风巷甲烷传感器',
        model: m(0.2, 0.05, 10, 0.015, 0.01, 0, 4),
        jitter: 0.1,
        detector: true,
        casNo: '74-82-8', // methane
        links: [{ relation: 'power_feed', to: 'PWR-1' }],
      },
      {
        prefix: 'CO',
        first: 201,
        count: 1,
        kind: 'carbon_monoxide',
        unit: 'ppm',
        periodS: 10,
        zone: 'working-face',
        label: '一氧化碳传感器',
        model: m(4, 1.5, 10, 0.5, 1, 0, 1000),
        jitter: 0.1,
        detector: true,
        casNo: '630-08-0', // carbon monoxide
      },
      {
        prefix: 'FS',
        first: 301,
        count: 1,
        kind: 'wind_speed',
        unit: 'm/s',
        periodS: 10,
        zone: 'working-face',
        role: 'face_or_coal_heading',
        label: '工作面风速传感器',
        model: m(2.2, 0.15, 10, 0.05, 0.01, 0, 15),
        jitter: 0.05,
        marks: { low: 0.25, high: 4 },
      },
    ],
    signals: [
      { id: 'F-VENT-1', kind: 'ventilation', normal: 'running', periodS: 60, label: '主要通风机' },
      { id: 'PWR-1', kind: 'power', normal: 'energised', periodS: 60, label: '工作面馈电' },
      running('P-RUN', '采煤机运行状态'),
    ],
  },

  explosive_dust: {
    sector: 'explosive_dust',
    code: 'DUST',
    enterpriseName: (n) => `示例铝制品有限公司 ${n}`,
    detectorPeriodS: 60,
    street: '示例工业园区经二路',
    sensors: [
      {
        prefix: 'DT',
        first: 101,
        count: 2,
        kind: 'dust_concentration',
        unit: 'mg/m³',
        periodS: 5,
        zone: 'polishing-workshop',
        label: '粉尘浓度传感器',
        model: m(3, 1.2, 10, 0.4, 0.1, 0, 1000),
        jitter: 0.1,
        marks: { high: 10, highHigh: 20 },
      },
      {
        prefix: 'TT',
        first: 201,
        count: 1,
        kind: 'temperature',
        unit: '°C',
        periodS: 10,
        zone: 'dust-collector',
        role: 'collector',
        label: '除尘器灰斗温度',
        model: m(38, 5, 15, 0.3, 0.1, -20, 200),
        jitter: 0.05,
        marks: { high: 70 },
      },
      {
        prefix: 'PDT',
        first: 301,
        count: 1,
        kind: 'differential_pressure',
        unit: 'Pa',
        periodS: 10,
        zone: 'dust-collector',
        role: 'collector',
        label: '除尘器进出口压差',
        model: m(950, 60, 10, 8, 1, 0, 5000),
        jitter: 0.05,
        marks: { low: 300, high: 1800 },
      },
      {
        prefix: 'SC',
        first: 401,
        count: 1,
        kind: 'spark_count',
        unit: 'count',
        periodS: 10,
        zone: 'duct',
        label: '管道火花探测器',
        model: m(0, 0, 0, 0, 1, 0, 1000),
        jitter: 0,
      },
    ],
    signals: [running('P-RUN', '生产运行状态'), { id: 'F-DR-1', kind: 'ventilation', normal: 'running', periodS: 60, label: '除尘系统运行' }],
  },

  metal_smelting: {
    sector: 'metal_smelting',
    code: 'METAL',
    enterpriseName: (n) => `示例钢铁有限公司 ${n}`,
    detectorPeriodS: 60,
    street: '示例工业园区钢城大道',
    sensors: [
      {
        prefix: 'TT-IN',
        first: 101,
        count: 1,
        kind: 'temperature',
        unit: '°C',
        periodS: 5,
        zone: 'furnace',
        role: 'cooling_inlet',
        label: '炉体冷却水进水温度',
        model: m(30, 2, 15, 0.1, 0.1, 0, 100),
        jitter: 0,
      },
      {
        prefix: 'TT-OUT',
        first: 101,
        count: 1,
        kind: 'temperature',
        unit: '°C',
        periodS: 5,
        zone: 'furnace',
        role: 'cooling_outlet',
        label: '炉体冷却水出水温度',
        model: m(38, 2, 15, 0.15, 0.1, 0, 100),
        jitter: 0,
        marks: { high: 50, highHigh: 55 },
      },
      {
        prefix: 'FT-IN',
        first: 101,
        count: 1,
        kind: 'flow',
        unit: 'm³/h',
        periodS: 5,
        zone: 'furnace',
        role: 'cooling_inlet',
        label: '炉体冷却水进水流量',
        model: m(220, 4, 10, 0.8, 0.1, 0, 600),
        jitter: 0,
        marks: { low: 180 },
        links: [
          { relation: 'cooling_outlet', to: 'FT-OUT' },
          { relation: 'cooling_interlock', to: 'I-COOL-1' },
        ],
      },
      {
        prefix: 'FT-OUT',
        first: 101,
        count: 1,
        kind: 'flow',
        unit: 'm³/h',
        periodS: 5,
        zone: 'furnace',
        role: 'cooling_outlet',
        label: '炉体冷却水出水流量',
        model: m(218.5, 4, 10, 0.8, 0.1, 0, 600),
        jitter: 0,
        marks: { low: 180 },
      },
    ],
    signals: [running('P-RUN', '生产运行状态'), { id: 'I-COOL-1', kind: 'interlock', normal: 'enabled', periodS: 60, label: '冷却水低流量联锁' }],
  },
};

/** The id of the `detector` signal point of a sensor. */
export const detectorPointId = (sensorId: string): string => `D-${sensorId}`;
