/**
 * Keeps the rules in line with the ledger and the registered rules: the
 * worker listens on `registryChangedChannel` (a gateway id when provisioning
 * changed a gateway or its points, `OVERRIDES_CHANGED` when the overrides
 * did), and a timer asks for a poll of the catalogue file and the overrides
 * (a lost announcement only delays a change by one interval). The changes are
 * applied between feed entries (`apply`), never while one is processed: the
 * directory (directory.ts) is re-read for the enterprises concerned.
 */
import type { Clock } from '../../core/clock.ts';
import type { ChannelHub } from '../../core/connections.ts';
import type { Logger } from '../../core/logger.ts';
import { OVERRIDES_CHANGED } from '../rules/override-store.ts';
import type { CatalogueReload } from './catalogue-reload.ts';
import type { CoverageGauge } from './coverage-gauge.ts';
import type { PointDirectory } from './directory.ts';
import type { RulesEngine } from './engine.ts';

export interface LedgerSyncDeps {
  directory: PointDirectory;
  engine: RulesEngine;
  coverage: CoverageGauge;
  reload: CatalogueReload;
  clock: Clock;
  log: Logger;
}

export class LedgerSync {
  private readonly missReloads = new Map<string, number>();
  private readonly changedGateways = new Set<string>();
  /** The overrides may have changed (announced, polled, catalogue reloaded): the loop re-reads them. True at start: the loose-limit alerts are brought in line once. */
  private overridesStale = true;
  /** Registry changes received, and how many of them the loop has applied (`drained` waits for the ones before its call). The start counts as one. */
  private changesSeen = 1;
  private changesApplied = 0;
  private catalogueCheckDue = false;
  private channels: ChannelHub | undefined;
  private channel: string | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(private readonly deps: LedgerSyncDeps) {}

  /** Registry changes received so far. */
  get seen(): number {
    return this.changesSeen;
  }

  /** Registry changes applied so far. */
  get applied(): number {
    return this.changesApplied;
  }

  /** Loads every enterprise's points into the engine (at start). */
  async loadAll(): Promise<void> {
    for (const [ent, points] of await this.deps.directory.all()) this.deps.engine.setEnterprise(ent, points);
  }

  /** Listens for registry changes on `channel`; resolves once subscribed. */
  async listen(channels: ChannelHub, channel: string): Promise<void> {
    this.channels = channels;
    this.channel = channel;
    this.unsubscribe = await channels.subscribe(channel, (message) => this.received(message));
  }

  /** Stops listening. Idempotent. */
  async close(): Promise<void> {
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.();
  }

  /**
   * Resolves once every change published before the call has arrived: Redis answers in order on a connection, and
   * the subscriber's confirmation of a (repeated) SUBSCRIBE comes after every message published before it.
   */
  async barrier(): Promise<void> {
    if (!this.channels || !this.channel) throw new Error('rules worker not listening');
    await this.channels.barrier();
  }

  /** The poll timer fired: the overrides and the catalogue file are re-checked by the next `apply`. */
  poll(): void {
    // A lost announcement (Redis reconnecting) only delays an override change by one interval.
    this.overridesStale = true;
    // checked by the loop between entries: the rules never change under an entry being evaluated
    this.catalogueCheckDue = true;
  }

  /** A reading of an unknown point: re-reads its gateway's enterprises, at most every 5 s per gateway. True when re-read. */
  async afterMiss(gatewayId: string): Promise<boolean> {
    const now = this.deps.clock.now();
    if (now - (this.missReloads.get(gatewayId) ?? -Infinity) < 5000) return false;
    this.missReloads.set(gatewayId, now);
    await this.reloadGateway(gatewayId);
    return true;
  }

  /** Applies the registry changes received so far, between feed entries (never while one is processed). */
  async apply(): Promise<void> {
    const seen = this.changesSeen;
    if (this.catalogueCheckDue) {
      this.catalogueCheckDue = false;
      if (await this.deps.reload.reloadCatalogue()) this.overridesStale = true; // the standard's limits may have changed: loose-limit alerts are re-checked
    }
    if (this.changedGateways.size > 0) {
      const ids = [...this.changedGateways];
      this.changedGateways.clear();
      for (const id of ids) await this.reloadGateway(id);
      this.deps.log.info({ gateways: ids.length, instances: this.deps.engine.instanceCount }, 'ledger changes applied to the rules');
    }
    if (this.overridesStale) {
      this.overridesStale = false;
      try {
        await this.deps.reload.applyOverrides();
      } catch (err) {
        this.overridesStale = true;
        throw err;
      }
    }
    this.changesApplied = seen;
  }

  private received(message: string): void {
    this.changesSeen++;
    if (message === OVERRIDES_CHANGED) this.overridesStale = true;
    // Otherwise a gateway id; a gateway may be called 'overrides' too, so that one is reloaded as well (one query).
    this.changedGateways.add(message);
  }

  private async reloadGateway(gatewayId: string): Promise<void> {
    const changed = await this.deps.directory.ofGateway(gatewayId);
    for (const [ent, points] of changed) this.deps.engine.setEnterprise(ent, points);
    this.deps.coverage.rulesChanged([...changed.keys()]);
  }
}
