/**
 * Occupational exposure limits of the toxic gases the default pack knows,
 * keyed by the detector's `role` (the gas it measures). OEL as GB/T
 * 50493-2019 uses it: the MAC where GBZ 2.1-2019 sets one, else the PC-STEL,
 * else the PC-TWA, in mg/m³; converted to ppm at 20 °C, 101.325 kPa
 * (24.04 L/mol) and rounded down (stricter) to the 0.1 ppm. A toxic-gas
 * detector whose role names no gas here gets the default (H2S: the commonest
 * toxic hazard in the tank farms and the gas of the simulated detectors).
 */
import { GAS_TERMS, termIn } from '../../core/vocabulary.ts';

export interface Gas {
  /** The detector role that names the gas. */
  role: string;
  zh: string;
  en: string;
  /** OEL, mg/m³ (GBZ 2.1-2019), and which limit it is. */
  oelMgM3: number;
  limit: 'MAC' | 'PC-STEL' | 'PC-TWA';
  molarMass: number;
}

/** A gas's role and names (core/vocabulary.ts). */
function gasTerm(role: string): Pick<Gas, 'role' | 'zh' | 'en'> {
  const { id, zh, en } = termIn(GAS_TERMS, role);
  return { role: id, zh, en };
}

export const GASES: readonly Gas[] = [
  { ...gasTerm('h2s'), oelMgM3: 10, limit: 'MAC', molarMass: 34.08 },
  { ...gasTerm('co'), oelMgM3: 30, limit: 'PC-STEL', molarMass: 28.01 },
  { ...gasTerm('nh3'), oelMgM3: 30, limit: 'PC-STEL', molarMass: 17.03 },
  { ...gasTerm('cl2'), oelMgM3: 1, limit: 'MAC', molarMass: 70.9 },
  { ...gasTerm('so2'), oelMgM3: 10, limit: 'PC-STEL', molarMass: 64.07 },
  { ...gasTerm('hcn'), oelMgM3: 1, limit: 'MAC', molarMass: 27.03 },
];

/** The gas assumed for a toxic-gas detector of unknown gas. */
export const DEFAULT_GAS: Gas = GASES[0]!;

export const MOLAR_VOLUME_L = 24.04;

export const TOXIC_UNITS = ['ppm', 'mg/m³'] as const;
export type ToxicUnit = (typeof TOXIC_UNITS)[number];

/** `percent` % of the OEL in the detector's unit, rounded down to 0.1 (GB/T 50493-2019: level 1 at 100 %, level 2 at 200 %). */
export function oelIn(gas: Gas, unit: ToxicUnit, percent = 100): number {
  const mg = (gas.oelMgM3 * percent) / 100;
  const v = unit === 'ppm' ? (mg * MOLAR_VOLUME_L) / gas.molarMass : mg;
  return Math.floor(v * 10 + 1e-9) / 10;
}
