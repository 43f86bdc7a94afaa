/** The shipped default catalogue: the common packs and one pack per high-risk sector. */
import { parseCatalogue, type Catalogue, type CatalogueInput } from '../schema.ts';
import { COMMON_RULES } from './common.ts';
import { EXPLOSIVE_DUST_RULES } from './explosive-dust.ts';
import { GAS_RULES } from './gas.ts';
import { HAZARDOUS_CHEMICALS_RULES } from './hazardous-chemicals.ts';
import { METAL_SMELTING_RULES } from './metal-smelting.ts';
import { MINE_RULES } from './mine.ts';

export const DEFAULT_CATALOGUE_VERSION = 2;

/** The default catalogue as data (what a catalogue file would hold). */
export function defaultCatalogueInput(): CatalogueInput {
  return {
    version: DEFAULT_CATALOGUE_VERSION,
    rules: structuredClone([...GAS_RULES, ...COMMON_RULES, ...HAZARDOUS_CHEMICALS_RULES, ...MINE_RULES, ...METAL_SMELTING_RULES, ...EXPLOSIVE_DUST_RULES]),
  };
}

/** The default catalogue, parsed (throws if the shipped packs are invalid: a programming error caught by the tests). */
export function defaultCatalogue(): Catalogue {
  const r = parseCatalogue(defaultCatalogueInput());
  if (!r.ok) throw new Error(`default catalogue is invalid: ${r.errors.join('; ')}`);
  return r.value;
}
