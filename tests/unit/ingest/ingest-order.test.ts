/**
 * Ingest completes a client's messages in the order they arrived, whatever
 * order their storage finishes in: PUBACKs in PUBLISH order (MQTT 3.1.1
 * §4.6) and the rules feed in the gateway's order. Storage is faked here so
 * that writes can be finished out of order on purpose.
 */
import { describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../core/clock.ts';
import { encodeReadings } from '../../../core/contract.ts';
import { parseConfig } from '../../../core/config.ts';
import type { InfluxClient } from '../../../core/influx/client.ts';
import { createLogger } from '../../../core/logger.ts';
import { createMetrics } from '../../../core/metrics.ts';
import type { PointRecord, Registry } from '../../../ledger/registry.ts';
import { buildIngest, type UplinkSource } from '../../../ingest/ingest.ts';

const T0 = Date.UTC(2026, 10, 1);
const src: UplinkSource = { clientId: 'G1', enterpriseId: 'E1', gatewayId: 'G1' };
const point: PointRecord = {
  type: 'sensor',
  id: 'GT-1',
  enterpriseId: 'E1',
  gatewayId: 'G1',
  kind: 'combustible_gas',
  unit: '%LEL',
  periodS: 5,
  seriesKey: 'E1/GT-1',
};

/** An ingest whose InfluxDB writes wait until the test settles them, one batch per message. */
function setup(feedFails?: (value: number) => boolean) {
  const writes: { body: string; settle: (err?: Error) => void }[] = [];
  const influx = {
    write: (body: string) => new Promise<void>((resolve, reject) => writes.push({ body, settle: (err) => (err ? reject(err) : resolve()) })),
  } as unknown as InfluxClient;
  const registry = { points: async () => new Map([[point.id, point]]), reloadPointsAfterMiss: async () => new Map([[point.id, point]]) } as unknown as Registry;
  const config = parseConfig({
    redisUrl: 'redis://unused',
    influx: { url: 'http://unused' },
    ingest: { batchMaxPoints: 1, batchMaxDelayMs: 0, maxInflightWrites: 16, retryBaseDelayMs: 1, retryMaxDelayMs: 1 },
  });
  const fed: number[] = [];
  const ingest = buildIngest(config, {
    influx,
    db: { query: async () => ({ rows: [] }) } as never,
    registry,
    clock: new FakeClock(T0 + 60_000),
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics({ defaultMetrics: false }),
    onStored: async (_src, items) => {
      const v = (items[0] as { value: number }).value;
      if (feedFails?.(v)) throw new Error('feed down');
      fed.push(v);
    },
  });
  const send = (value: number) =>
    ingest.handleUplink(
      src,
      'readings',
      'v1/E1/G1/readings',
      Buffer.from(encodeReadings([{ sensor: 'GT-1', value, unit: '%LEL', quality: 'good', ts: T0 + value }])),
    );
  return { writes, fed, send };
}

/** The writes start asynchronously: look every millisecond, for as long as the test may run. */
const POLL = { timeout: 60_000, interval: 1 };

describe('ingest ordering per client', () => {
  it('completes messages in arrival order when their writes finish in reverse order', async () => {
    const { writes, fed, send } = setup();
    const done: number[] = [];
    const all = [1, 2, 3, 4, 5].map((v) => send(v).then(() => done.push(v)));
    await vi.waitFor(() => expect(writes).toHaveLength(5), POLL);
    for (const w of [...writes].reverse()) w.settle();
    await Promise.all(all);
    expect(done).toEqual([1, 2, 3, 4, 5]);
    expect(fed).toEqual([1, 2, 3, 4, 5]);
  });

  it('fails the later messages in flight when an earlier one cannot be queued, so none is acknowledged out of order', async () => {
    const { writes, fed, send } = setup((v) => v === 2);
    const results = [1, 2, 3].map((v) =>
      send(v).then(
        () => 'ok',
        (err: Error) => err.message,
      ),
    );
    await vi.waitFor(() => expect(writes).toHaveLength(3), POLL);
    for (const w of writes) w.settle();
    expect(await Promise.all(results)).toEqual(['ok', 'feed down', expect.stringMatching(/earlier message of this client/)]);
    expect(fed).toEqual([1]);
    // the client's next message (after it reconnects and re-sends) goes through
    const again = send(4);
    await vi.waitFor(() => expect(writes).toHaveLength(4), POLL);
    writes[3]!.settle();
    await again;
    expect(fed).toEqual([1, 4]);
  });
});
