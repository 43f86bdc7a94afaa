/**
 * The gateway status tracker's persistence: a write that fails is retried in
 * order until it lands, nothing is written twice, and `settle()` ends the
 * retries at shutdown. The stores are a scripted stand-in that fails on demand.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../core/clock.ts';
import type { Queryable } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import { createMetrics } from '../../../core/metrics.ts';
import { concernsGateway, GatewayStatusTracker, PLATFORM_SHUTDOWN, PLATFORM_UNAVAILABLE, type GatewayState } from '../../../gateway/status.ts';

/** A database that refuses the next `failing` statements, then records what it runs. */
class FlakyDb implements Queryable {
  failing = 0;
  attempts = 0;
  readonly events: [string, string, string][] = [];
  readonly current = new Map<string, string>();
  async query<T extends object>(sql: string, params: unknown[] = []): Promise<{ rows: T[] }> {
    this.attempts++;
    if (this.failing > 0) {
      this.failing--;
      throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    }
    // the tracker's one statement: the stored state changes, and then only, an event is written with it
    if (sql.includes('UPDATE gateways') && sql.includes('INSERT INTO gateway_events')) {
      const [gw, state, , reason] = params as [string, string, Date, string];
      if (this.current.get(gw) !== state) {
        this.current.set(gw, state);
        this.events.push([gw, state, reason]);
      }
    }
    return { rows: [] };
  }
}

function tracker(db: FlakyDb, record?: (state: GatewayState, reason: string) => Promise<void>) {
  const metrics = createMetrics({ defaultMetrics: false });
  const t = new GatewayStatusTracker({
    db,
    clock: new FakeClock(1_700_000_000_000),
    logger: createLogger({ level: 'silent' }),
    metrics,
    record: record && ((_e, _g, state, reason) => record(state, reason)),
    retry: { baseDelayMs: 1, maxDelayMs: 4 },
  });
  const counter = async (name: 'gatewayStatusRetries' | 'gatewayStatusLost') => (await metrics[name].get()).values.reduce((sum, v) => sum + v.value, 0);
  return { t, counter };
}

describe('gateway status persistence', () => {
  it('retries a failed write until the database is back, keeping each gateway’s transitions in order', async () => {
    const db = new FlakyDb();
    const { t, counter } = tracker(db);
    db.failing = 7;
    const writes = [
      t.set('E1', 'G1', 'online', 'connected'),
      t.set('E1', 'G1', 'offline', 'last_will'),
      t.set('E1', 'G2', 'online', 'connected'),
      t.set('E1', 'G1', 'online', 'connected'),
    ];
    await Promise.all(writes);
    expect(db.events.filter((e) => e[0] === 'G1')).toEqual([
      ['G1', 'online', 'connected'],
      ['G1', 'offline', 'last_will'],
      ['G1', 'online', 'connected'],
    ]);
    expect(db.events.filter((e) => e[0] === 'G2')).toEqual([['G2', 'online', 'connected']]);
    expect(db.current).toEqual(
      new Map([
        ['G1', 'online'],
        ['G2', 'online'],
      ]),
    );
    expect(await counter('gatewayStatusRetries')).toBe(7);
    expect(await counter('gatewayStatusLost')).toBe(0);
  });

  it('retries a failed record (time series, rules feed) without writing the event twice', async () => {
    const db = new FlakyDb();
    let refusals = 3;
    const recorded: string[] = [];
    const { t, counter } = tracker(db, async (state, reason) => {
      if (refusals-- > 0) throw new Error('Connection is closed.');
      recorded.push(`${state}:${reason}`);
    });
    await t.set('E1', 'G1', 'offline', 'last_will');
    expect(db.events).toEqual([['G1', 'offline', 'last_will']]);
    expect(recorded).toEqual(['offline:last_will']);
    expect(await counter('gatewayStatusRetries')).toBe(3);
  });

  it('regression: hands each transition to the rules at once, in order, before PostgreSQL has it (a reconnected gateway’s backlog cannot overtake its online)', async () => {
    const db = new FlakyDb();
    db.failing = Number.MAX_SAFE_INTEGER; // PostgreSQL down
    const announced: string[] = [];
    let refusals = 2;
    const t = new GatewayStatusTracker({
      db,
      clock: new FakeClock(1_700_000_000_000),
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics({ defaultMetrics: false }),
      announce: async (_e, g, state, reason) => {
        if (refusals-- > 0) throw new Error('Connection is closed.'); // Redis blips: retried, order kept
        announced.push(`${g}:${state}:${reason}`);
      },
      retry: { baseDelayMs: 1, maxDelayMs: 4 },
    });
    const writes = [t.set('E1', 'G1', 'offline', 'last_will'), t.set('E1', 'G1', 'online', 'connected'), t.set('E1', 'G2', 'online', 'connected')];
    await expect.poll(() => announced.length, { interval: 1 }).toBe(3);
    expect(announced.filter((a) => a.startsWith('G1'))).toEqual(['G1:offline:last_will', 'G1:online:connected']);
    expect(db.events).toEqual([]); // nothing persisted yet
    db.failing = 0;
    await Promise.all(writes);
    expect(db.events.filter((e) => e[0] === 'G1').map((e) => e[1])).toEqual(['offline', 'online']);
  });

  it('gives up at shutdown: settle() ends the retries, counting what was not persisted', async () => {
    const db = new FlakyDb();
    const { t, counter } = tracker(db);
    db.failing = Number.MAX_SAFE_INTEGER;
    const write = t.set('E1', 'G1', 'offline', 'disconnected');
    // the write is being retried; wait until it has failed a few times
    await expect.poll(() => db.attempts, { interval: 1 }).toBeGreaterThan(3);
    await t.settle();
    await write;
    expect(db.events).toEqual([]);
    expect(await counter('gatewayStatusLost')).toBe(1);
    const before = db.attempts;
    await t.set('E1', 'G1', 'online', 'connected');
    expect(db.attempts, 'after settle(), one attempt and no retries').toBe(before + 1);
  });

  it('tells the platform’s own closes from the gateway’s', () => {
    expect(concernsGateway('last_will')).toBe(true);
    expect(concernsGateway('disconnected')).toBe(true);
    expect(concernsGateway('status_message')).toBe(true);
    expect(concernsGateway(PLATFORM_UNAVAILABLE)).toBe(false);
    expect(concernsGateway(PLATFORM_SHUTDOWN)).toBe(false);
  });
});
