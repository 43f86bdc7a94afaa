/**
 * Gateway online/offline tracking. A gateway is online from its CONNACK and
 * offline at once when its connection ends, its keepalive lapses, its last
 * will fires, or it says so on its status topic. Each transition is written to
 * PostgreSQL (current state + an event) and to the time series, in order per
 * gateway.
 */
import type { Clock } from '../core/clock.ts';
import type { Queryable } from '../core/db/db.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';

export type GatewayState = 'online' | 'offline';

export class GatewayStatusTracker {
  private readonly state = new Map<string, GatewayState>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: {
      db: Queryable;
      clock: Clock;
      logger: Logger;
      metrics: Metrics;
      record?: (enterpriseId: string, gatewayId: string, state: GatewayState, reason: string, at: number) => Promise<void>;
    },
  ) {}

  current(gatewayId: string): GatewayState | undefined {
    return this.state.get(gatewayId);
  }

  /** Marks gateways left "online" by a previous process as offline; they come back online when they reconnect. */
  async resetAfterRestart(): Promise<number> {
    const now = new Date(this.deps.clock.now());
    const { rows } = await this.deps.db.query<{ id: string }>(
      "UPDATE gateways SET status = 'offline', status_changed_at = $1 WHERE status = 'online' RETURNING id",
      [now],
    );
    for (const r of rows) {
      await this.deps.db.query('INSERT INTO gateway_events (gateway_id, state, reason, at) VALUES ($1, $2, $3, $4)', [
        r.id,
        'offline',
        'platform_restart',
        now,
      ]);
    }
    return rows.length;
  }

  /** Records a transition if it changes the state; returns the promise of its persistence. */
  set(enterpriseId: string, gatewayId: string, next: GatewayState, reason: string): Promise<void> {
    const previous = this.state.get(gatewayId);
    if (previous === next) return this.chains.get(gatewayId) ?? Promise.resolve();
    this.state.set(gatewayId, next);
    const at = this.deps.clock.now();
    this.deps.metrics.gatewayStatusChanges.inc({ state: next });
    this.deps.logger.info({ enterpriseId, gatewayId, previous: previous ?? 'unknown', next, reason }, 'gateway status changed');
    const prior = this.chains.get(gatewayId) ?? Promise.resolve();
    const chain = prior
      .then(async () => {
        const when = new Date(at);
        await this.deps.db.query('UPDATE gateways SET status = $2, status_changed_at = $3 WHERE id = $1', [gatewayId, next, when]);
        await this.deps.db.query('INSERT INTO gateway_events (gateway_id, state, reason, at) VALUES ($1, $2, $3, $4)', [gatewayId, next, reason, when]);
        await this.deps.record?.(enterpriseId, gatewayId, next, reason, at);
      })
      .catch((err: unknown) => this.deps.logger.error({ err, gatewayId, next }, 'could not persist gateway status'))
      .finally(() => {
        if (this.chains.get(gatewayId) === chain) this.chains.delete(gatewayId);
      });
    this.chains.set(gatewayId, chain);
    return chain;
  }

  /** Waits for every pending status write. */
  async settle(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }
}
