/**
 * Runs the platform (gateway + ingest + API) in one process. Reads config from
 * the environment (README §Configuration); starts local Redis/InfluxDB when
 * REDIS_URL / INFLUX_URL are unset (no Redis when REDIS_SENTINELS is set).
 */
import { configInputFromEnv, parseConfig } from './core/config.ts';
import { createLogger } from './core/logger.ts';
import { buildPlatform } from './platform/platform.ts';
import { ensureLocalServices } from './platform/local-services.ts';

async function main(): Promise<void> {
  const input = configInputFromEnv(process.env);
  const dataDir = (input.dataDir as string | undefined) ?? 'var';
  const { redisUrl, influxUrl } = await ensureLocalServices(process.env, dataDir);
  const config = parseConfig({ ...input, ...(redisUrl !== undefined ? { redisUrl } : {}), influx: { ...(input.influx as object), url: influxUrl } });
  const logger = createLogger({ level: config.logLevel });
  const platform = await buildPlatform(config, { logger });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    platform.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  await platform.start();
  logger.info({ adminTokenFile: config.http.adminToken ? undefined : `${config.dataDir}/admin-token` }, 'ready');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
