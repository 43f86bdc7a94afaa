/** The HTTP API on an in-memory PGlite ledger, for `app.inject` tests (InfluxDB answers empty). */
import { buildApi, type ApiDeps } from '../api/server.ts';
import { defaultCatalogue } from '../alerts/rules/index.ts';
import { openDb, type Db } from '../core/db/db.ts';
import type { InfluxClient } from '../core/influx/client.ts';
import { createLogger } from '../core/logger.ts';
import { createMetrics } from '../core/metrics.ts';
import { Provisioning } from '../ledger/provisioning.ts';
import { systemClock } from '../core/clock.ts';

export async function buildTestApi(
  adminToken: string,
  clock: { now(): number } = Date,
  /** Dependencies to replace, or a function of the ledger giving them (e.g. `(db) => ({ alerts: { db, heartbeatMs: 100 } })`). */
  extra: Partial<ApiDeps> | ((db: Db) => Partial<ApiDeps>) = {},
): Promise<{ app: ReturnType<typeof buildApi>; db: Db }> {
  const logger = createLogger({ level: 'silent' });
  const db = await openDb({ pgliteDir: 'memory://', logger });
  const app = buildApi(
    { adminToken },
    {
      db,
      influx: { query: () => Promise.resolve([]), ping: () => Promise.resolve(true) } as unknown as InfluxClient,
      provisioning: new Provisioning(db, systemClock),
      metrics: createMetrics({ defaultMetrics: false }),
      logger,
      clock,
      alerts: { db },
      ruleOverrides: { catalogue: () => Promise.resolve(defaultCatalogue()), announce: () => Promise.resolve() },
      ...(typeof extra === 'function' ? extra(db) : extra),
    },
  );
  await app.ready();
  return { app, db };
}
