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
    // `npm run test:coverage`; no thresholds yet: the floor is set once the full suite has been measured
    coverage: {
      provider: 'v8',
      include: SOURCE_PARTS.map((part) => `${part}/**/*.ts`),
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
    },
  },
});
