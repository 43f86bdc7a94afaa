import { defineConfig } from 'vitest/config';

/** The source parts whose coverage we report; tests, the test kit, benches and the console (browser code) are not. */
const SOURCE_PARTS = ['core', 'ledger', 'gateway', 'ingest', 'alerts', 'inspections', 'api', 'platform', 'simulators'];

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    // `npm test` reports it; the floor is the whole suite's figure when it was set (2026-12-05: statements 92.1 %,
    // branches 87.8 %, functions 93.7 %, lines 94.2 %), rounded down: it may only rise — raise it when it does
    coverage: {
      thresholds: { statements: 92, branches: 87, functions: 93, lines: 94 },
      provider: 'v8',
      include: SOURCE_PARTS.map((part) => `${part}/**/*.ts`),
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
    },
  },
});
