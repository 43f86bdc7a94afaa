/**
 * Closing the connections the ledger no longer lets in: a gateway disabled,
 * deleted or re-keyed (its secret rotated) loses its connection on this
 * broker at once, and anything it still sends is refused.
 */
import type { Logger } from '../core/logger.ts';
import type { Registry } from '../ledger/registry.ts';
import type { BrokerClients } from './clients.ts';
import type { Refusals } from './refusals.ts';

export interface RevalidationDeps {
  clients: BrokerClients;
  registry: Registry;
  refusals: Refusals;
  log: Logger;
}

export interface Revalidation {
  /**
   * Checks this broker's connection of a gateway against the ledger as it is now (call after the ledger changed,
   * with the registry's entry invalidated): a disabled, deleted or re-keyed gateway's connection is closed at once,
   * and anything it still sends is refused. Resolves when that is done.
   */
  revalidate(gatewayId: string): Promise<void>;
  stop(): void;
}

/** `everyMs`: how often every live connection is checked against the registry anyway. Default 60 s. */
export function startRevalidation(deps: RevalidationDeps, everyMs = 60_000): Revalidation {
  const { clients, log } = deps;

  /** Closes this broker's connection of a gateway if the ledger (as the registry has it) no longer lets it in. */
  async function checkConnection(gatewayId: string): Promise<void> {
    const client = clients.authenticated(gatewayId);
    if (!client) return;
    const gw = await deps.registry.gateway(gatewayId);
    const reason = !gw
      ? 'gateway_deleted'
      : gw.disabled
        ? 'gateway_disabled'
        : gw.secretHash !== clients.authenticatedWith.get(client)
          ? 'secret_rotated'
          : undefined;
    if (!reason || clients.revoked.has(client)) return;
    clients.revoked.add(client);
    deps.refusals.refuse('revoke', reason, { clientId: gatewayId });
    await new Promise<void>((resolve) => client.close(() => resolve()));
  }

  // A safety net for an announcement this broker missed (a Redis blip): the registry reloads a gateway from the
  // ledger at least every minute, and every live connection is checked against it as often.
  const revalidateLive = setInterval(() => {
    for (const gatewayId of clients.live.keys()) {
      void checkConnection(gatewayId).catch((err: unknown) => log.warn({ err, gatewayId }, 'could not re-check a gateway connection'));
    }
  }, everyMs);
  revalidateLive.unref();

  return {
    async revalidate(gatewayId: string): Promise<void> {
      // an authentication under way when the ledger changed checks the ledger again (authenticate.ts)
      clients.changes.set(gatewayId, (clients.changes.get(gatewayId) ?? 0) + 1);
      await checkConnection(gatewayId);
    },
    stop(): void {
      clearInterval(revalidateLive);
    },
  };
}
