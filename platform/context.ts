/** What the parts of one process share, built once by the composition root before any part starts. */
import type { Clock } from '../core/clock.ts';
import type { PlatformConfig } from '../core/config.ts';
import type { RedisConnections } from '../core/connections.ts';
import type { Db } from '../core/db/db.ts';
import type { InfluxClient } from '../core/influx/client.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Registry } from '../ledger/registry.ts';
import type { Provisioning } from '../ledger/provisioning.ts';
import type { Announce } from '../alerts/bus.ts';
import type { CatalogueSource } from '../alerts/rules/catalogue-source.ts';
import type { AlertStore } from '../alerts/store.ts';
import type { SubscribeAlertEvents } from '../api/alert-stream.ts';

export interface PlatformContext {
  config: PlatformConfig;
  logger: Logger;
  clock: Clock;
  metrics: Metrics;
  adminToken: string;
  influx: InfluxClient;
  db: Db;
  redis: RedisConnections;
  registry: Registry;
  provisioning: Provisioning;
  alertStore: AlertStore;
  announce: Announce;
  /** The one owner of the rule catalogue in this process: the worker evaluates it, the tasks and the API read it. */
  catalogues: CatalogueSource;
  subscribeAlertEvents: SubscribeAlertEvents;
}

/** A part of the process: built from the context, then started; its stop steps run in the order the platform lists them. */
export interface StopStep {
  name: string;
  run: () => Promise<unknown>;
}
