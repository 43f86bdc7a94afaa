/**
 * The routes every deployment answers without a session: health, the
 * vocabulary, the OpenAPI document and the Prometheus metrics. A plugin of its
 * own, registered after @fastify/swagger so that these routes are described too.
 */
import type { FastifyInstance } from 'fastify';
import type { Db } from '../core/db/db.ts';
import type { InfluxClient } from '../core/influx/client.ts';
import type { Metrics } from '../core/metrics.ts';
import { indicatorCodeList } from '../core/indicator-codes.ts';
import { POINT_RELATION_IDS, POINT_RELATIONS, vocabulary } from '../core/vocabulary.ts';
import { COLUMN_CODES, REGISTRY_COLUMNS } from '../ledger/registry-sheet.ts';
import { ORIGIN_NAMES, ORIGINS } from '../inspections/caps.ts';

export interface RootDeps {
  db: Db;
  influx: InfluxClient;
  metrics: Metrics;
  /** Extra health facts from the running parts (ingest buffer, broker connections). */
  health?: () => Record<string, unknown>;
}

export function rootRoutes(deps: RootDeps) {
  return async (root: FastifyInstance): Promise<void> => {
    root.get('/health', async (_req, reply) => {
      const [influx, db] = await Promise.all([
        deps.influx.ping(),
        deps.db.query('SELECT 1').then(
          () => true,
          () => false,
        ),
      ]);
      const ok = influx && db;
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', checks: { influx, db }, ...(deps.health?.() ?? {}) });
    });

    // the names the rules depend on (kinds, roles per kind, sectors), with their Chinese and English names
    root.get('/api/v1/vocabulary', async () => ({
      ...vocabulary(),
      indicatorCodes: indicatorCodeList(),
      // an inspection's origin (inspections/caps.ts), as the console shows it
      origins: ORIGINS.map((id) => ({ id, ...ORIGIN_NAMES[id] })),
      relations: POINT_RELATION_IDS.map((id) => ({ id, ...POINT_RELATIONS[id] })),
      // the point list's columns (ledger/registry-sheet.ts): an import problem names its column by code
      sheetColumns: COLUMN_CODES.map((code) => ({ code, zh: REGISTRY_COLUMNS[code].zh })),
    }));
    // generated from the routes (@fastify/swagger); the page at /api/docs (@fastify/swagger-ui) shows the same document
    root.get('/api/v1/openapi.json', async (_req, reply) => reply.header('cache-control', 'no-cache').send(root.swagger()));

    root.get('/metrics', async (_req, reply) => {
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    });
  };
}
