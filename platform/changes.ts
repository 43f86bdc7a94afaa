/**
 * What crosses processes over Redis channels, wired for one process: ledger
 * changes (the registry cache drops the gateway, a broker re-checks its
 * connections), revocations (every broker closes the gateway's connections and
 * acknowledges), and new alert events (the live streams wake). One subscriber
 * connection carries them all (`RedisConnections.channels`).
 */
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db/db.ts';
import type { RedisConnections } from '../core/connections.ts';
import type { Logger } from '../core/logger.ts';
import { alertEventsChannel, registryChangedChannel, revocationChannel } from '../core/redis-keys.ts';
import type { Registry } from '../ledger/registry.ts';
import { Provisioning } from '../ledger/provisioning.ts';
import type { Broker } from '../gateway/broker.ts';
import { acknowledgeRevocation, announceRevocation, parseRevocation } from '../gateway/revocation.ts';
import type { SubscribeAlertEvents } from '../api/alert-stream.ts';

export interface ChangeDeps {
  redis: RedisConnections;
  redisPrefix: string;
  /** This process's broker id (config `mqtt.brokerId`), named in its revocation acknowledgements. */
  brokerId: string;
  registry: Registry;
  logger: Logger;
}

/**
 * Subscribes this process to the ledger changes, the alert events and — when it `takesRevocations` (a process
 * running the gateway part: the revoking call waits for each subscriber to confirm) — the revocations. Resolves once Redis confirms every subscription, with the live streams' wake-ups (one
 * subscription, fanned out).
 */
export async function listenForChanges(deps: ChangeDeps, broker: () => Broker | undefined, takesRevocations: boolean): Promise<SubscribeAlertEvents> {
  const { redis, registry, logger } = deps;
  const onAlertEvents = new Set<(seq: number) => void>();
  await redis.channels.subscribe(registryChangedChannel(deps.redisPrefix), (gatewayId) => {
    registry.invalidate(gatewayId);
    void broker()
      ?.revalidate(gatewayId)
      .catch((err: unknown) => logger.warn({ err, gatewayId }, 'could not re-check a gateway connection'));
  });
  await redis.channels.subscribe(alertEventsChannel(deps.redisPrefix), (message) => {
    const seq = Number(message);
    if (Number.isSafeInteger(seq)) for (const f of onAlertEvents) f(seq);
  });
  if (takesRevocations) {
    await redis.channels.subscribe(revocationChannel(deps.redisPrefix), (message) => {
      const m = parseRevocation(message);
      if (!m) return;
      registry.invalidate(m.gatewayId);
      const b = broker();
      void (b ? b.revalidate(m.gatewayId) : Promise.resolve())
        .then(() => acknowledgeRevocation(redis.command, m, deps.brokerId))
        .catch((err: unknown) => logger.error({ err, gatewayId: m.gatewayId }, 'could not apply a gateway revocation'));
    });
  }
  return (onSeq) => {
    onAlertEvents.add(onSeq);
    return () => onAlertEvents.delete(onSeq);
  };
}

/**
 * The ledger's provisioning, announcing its changes: a changed gateway is dropped from this process's cache and
 * announced to the others; a credential change waits until every broker has closed the gateway's connections.
 */
export function announcingProvisioning(db: Db, clock: Clock, deps: ChangeDeps): Provisioning {
  const { redis, registry, logger } = deps;
  return new Provisioning(db, clock, {
    onGatewayChanged: (gatewayId) => {
      registry.invalidate(gatewayId);
      void redis.command.publish(registryChangedChannel(deps.redisPrefix), gatewayId).catch(() => undefined);
    },
    onCredentialsChanged: async (gatewayId) => {
      const r = await announceRevocation(redis.command, deps.redisPrefix, gatewayId);
      if (r.applied.length < r.brokers) {
        logger.error({ gatewayId, brokers: r.brokers, applied: r.applied }, 'gateway credential change not confirmed by every broker within 1 s');
      } else logger.info({ gatewayId, brokers: r.applied }, 'gateway credential change applied by every broker');
    },
  });
}
