/** The rule catalogue: schema, default packs, overrides, resolution per point, hot replacement. */
export * from './limits.ts';
export * from './schema.ts';
export * from './overrides.ts';
export * from './resolve.ts';
export * from './store.ts';
export * from './gases.ts';
export * from './coverage.ts';
export { defaultCatalogue, defaultCatalogueInput, DEFAULT_CATALOGUE_VERSION } from './packs/index.ts';
