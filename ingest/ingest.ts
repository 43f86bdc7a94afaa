/**
 * Ingest: from an authorised uplink message to durably stored points. The
 * broker calls `handleUplink` inside its publish hook and acknowledges the
 * message only when the returned promise resolves, i.e. when every valid item
 * is in InfluxDB and every invalid one is in the dead-letter store.
 */
import type { UplinkChannel } from '../core/contract.ts';
import type { Clock } from '../core/clock.ts';
import type { PlatformConfig } from '../core/config.ts';
import type { Queryable } from '../core/db/db.ts';
import type { InfluxClient } from '../core/influx/client.ts';
import { gatewayStatusLine } from '../core/influx/schema.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Registry } from '../ledger/registry.ts';
import { GroupCommitBatcher } from './batcher.ts';
import { DeadLetterStore, type DeadLetter } from './dead-letters.ts';
import { decodeReadings, decodeSignals, type DecodeContext, type Decoded, type Normalised } from './decode.ts';

export interface UplinkSource {
  clientId: string;
  enterpriseId: string;
  gatewayId: string;
}

export interface IngestDeps {
  influx: InfluxClient;
  db: Queryable;
  registry: Registry;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /**
   * Called with each message's stored items once they are durable; the message is acknowledged only when
   * the returned promise resolves (the rules worker's feed: what a gateway was told is stored is also queued).
   */
  onStored?: (source: UplinkSource, items: Normalised[]) => Promise<void> | void;
}

export type Ingest = ReturnType<typeof buildIngest>;

export function buildIngest(config: Pick<PlatformConfig, 'ingest' | 'mqtt'>, deps: IngestDeps) {
  const log = deps.logger.child({ part: 'ingest' });
  const c = config.ingest;
  const batcher = new GroupCommitBatcher({
    write: (body) => deps.influx.write(body),
    maxPoints: c.batchMaxPoints,
    maxDelayMs: c.batchMaxDelayMs,
    maxInflight: c.maxInflightWrites,
    writeWhenIdle: c.writeWhenIdle,
    maxBufferedPoints: c.maxBufferedPoints,
    retryBaseDelayMs: c.retryBaseDelayMs,
    retryMaxDelayMs: c.retryMaxDelayMs,
    logger: log.child({ component: 'batcher' }),
    metrics: deps.metrics,
  });
  const dlLog = log.child({ component: 'dead-letters' });
  const deadLetters = new DeadLetterStore(
    deps.db,
    dlLog,
    { maxPayloadBytes: config.mqtt.maxPacketBytes, cap: { rows: c.deadLetterCapPerGateway, windowMs: c.deadLetterCapWindowMs } },
    deps.metrics,
  );

  /** Deletes dead letters older than the retention (the gateway part owns their writes, so it expires them too). */
  const expireDeadLetters = async (): Promise<number> => {
    const now = deps.clock.now();
    const before = now - c.deadLetterRetentionDays * 86_400_000;
    const n = await deadLetters.expire(before);
    if (n > 0) {
      deps.metrics.deadLettersExpired.inc(n);
      dlLog.info({ deleted: n, before: new Date(before).toISOString(), retentionDays: c.deadLetterRetentionDays }, 'expired dead letters deleted');
    }
    return n;
  };
  const runExpiry = () =>
    void expireDeadLetters().catch((err: unknown) => dlLog.error({ err }, 'expired dead letters could not be deleted; retried at the next interval'));
  // the summaries of windows that dropped dead letters, once each window is over
  const reportTimer = setInterval(() => deadLetters.reportDropped(deps.clock.now()), c.deadLetterCapWindowMs);
  reportTimer.unref();
  const expiryTimer = setInterval(runExpiry, c.deadLetterExpiryIntervalMs);
  expiryTimer.unref();
  runExpiry();

  const decoders: Record<'readings' | 'signals', (payload: Uint8Array, ctx: DecodeContext) => Decoded> = {
    readings: decodeReadings,
    signals: decodeSignals,
  };

  async function decode(channel: 'readings' | 'signals', src: UplinkSource, payload: Uint8Array): Promise<Decoded> {
    const ctx = (points: DecodeContext['points']): DecodeContext => ({
      points,
      now: deps.clock.now(),
      maxFutureSkewMs: c.maxFutureSkewMs,
      maxAgeMs: c.maxAgeMs,
    });
    const first = decoders[channel](payload, ctx(await deps.registry.points(src.gatewayId)));
    if (first.unknownPoints.length === 0) return first;
    // A point provisioned a moment ago may not be in the cache yet: reload once (rate-limited) and decode again.
    const fresh = await deps.registry.reloadPointsAfterMiss(src.gatewayId);
    return first.unknownPoints.some((id) => fresh.has(id)) ? decoders[channel](payload, ctx(fresh)) : first;
  }

  function deadLetter(src: UplinkSource, topic: string, payload: Uint8Array, d: Decoded): Promise<void>[] {
    const receivedAt = deps.clock.now();
    return d.rejections.map((r) => {
      deps.metrics.rejected.inc({ reason: r.code });
      const dl: DeadLetter = {
        receivedAt,
        clientId: src.clientId,
        enterpriseId: src.enterpriseId,
        gatewayId: src.gatewayId,
        topic,
        reasonCode: r.code,
        reason: r.reason,
        itemIndex: r.index,
        payload: r.index === undefined ? payload : r.item,
      };
      return deadLetters.add(dl).then(
        (outcome) => {
          // one line per stored dead letter; those over the cap are summed up once per window (dead-letters.ts)
          if (outcome === 'stored')
            log.warn(
              { clientId: src.clientId, enterpriseId: src.enterpriseId, gatewayId: src.gatewayId, topic, code: r.code, reason: r.reason, index: r.index },
              'dead-lettered',
            );
        },
        (err: unknown) => {
          deps.metrics.deadLetterFailures.inc();
          throw err;
        },
      );
    });
  }

  /**
   * Stores one message's items (concurrently with others: they share the
   * group-commit batches) and resolves with the items stored.
   */
  const store = async (src: UplinkSource, channel: Exclude<UplinkChannel, 'status'>, topic: string, payload: Uint8Array): Promise<Normalised[]> => {
    await batcher.admit();
    deps.metrics.messagesReceived.inc({ channel });
    const d = await decode(channel, src, payload);
    if (d.itemCount > 0) deps.metrics.itemsReceived.inc({ type: channel }, d.itemCount);
    const pending = deadLetter(src, topic, payload, d);
    pending.push(
      batcher.submit(d.lines).catch(async (err: unknown) => {
        // InfluxDB refused these points outright (not a transient failure): keep them as dead letters instead.
        if ((err as { code?: string }).code !== 'INFLUX_REJECTED') throw err;
        const reason = (err as Error).message;
        await Promise.all(deadLetter(src, topic, payload, { ...d, rejections: [{ code: 'bad_item', reason: `InfluxDB refused the points: ${reason}` }] }));
        d.items.length = 0;
      }),
    );
    await Promise.all(pending);
    return d.items;
  };

  /** Per client, the completion of its latest message. */
  const latest = new Map<string, Promise<void>>();

  /**
   * Stores one uplink message. Resolves when everything in it is durable and
   * queued for the rules; rejects (so the broker must not acknowledge) if
   * that cannot be done. Messages are stored concurrently but complete in the
   * order they arrived from their client: PUBACKs go out in the order of the
   * PUBLISHes (MQTT 3.1.1 §4.6) and the rules see each gateway's data in the
   * order it was sent. When a message fails, the client's later messages in
   * flight fail too (the broker closes the connection; the gateway re-sends
   * them in order).
   */
  const handleUplink = (src: UplinkSource, channel: Exclude<UplinkChannel, 'status'>, topic: string, payload: Uint8Array): Promise<void> => {
    const stored = store(src, channel, topic, payload);
    stored.catch(() => undefined); // awaited below; this only marks it handled while an earlier message completes
    const previous = latest.get(src.clientId);
    const done = (async () => {
      if (previous) {
        try {
          await previous;
        } catch {
          throw new Error('an earlier message of this client was not stored; not acknowledged, to keep the order');
        }
      }
      const items = await stored;
      if (items.length > 0 && deps.onStored) {
        try {
          await deps.onStored(src, items);
        } catch (err) {
          deps.metrics.feedAppendFailures.inc();
          log.error({ err, clientId: src.clientId, gatewayId: src.gatewayId }, 'stored message could not be queued for the rules; not acknowledged');
          throw err;
        }
      }
    })();
    latest.set(src.clientId, done);
    const forget = () => {
      if (latest.get(src.clientId) === done) latest.delete(src.clientId);
    };
    done.then(forget, forget);
    return done;
  };

  /** Records a gateway's online/offline transition in the time series. */
  const recordStatus = (enterpriseId: string, gatewayId: string, state: 'online' | 'offline', reason: string, at: number): Promise<void> =>
    batcher.submit([gatewayStatusLine(enterpriseId, gatewayId, state, reason, at)]);

  return {
    batcher,
    deadLetters,
    expireDeadLetters,
    handleUplink,
    recordStatus,

    /** Writes what is buffered, waiting up to `timeoutMs`; keeps accepting (the gateway's status lines come after). */
    drain: (timeoutMs?: number): Promise<void> => batcher.drain(timeoutMs),

    async stop(timeoutMs?: number): Promise<void> {
      clearInterval(reportTimer);
      clearInterval(expiryTimer);
      deadLetters.reportDropped(deps.clock.now(), true);
      await batcher.close(timeoutMs);
    },
  };
}
