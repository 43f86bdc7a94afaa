/**
 * Why a broker connection ended, the reason its gateway's offline transition
 * carries: the platform's shutdown first, then a revocation, then an uplink
 * the platform could not store, else the gateway's own reason.
 */
import type { Client } from 'aedes';
import { describe, expect, it } from 'vitest';
import { BrokerClients } from '../../../gateway/clients.ts';
import { GATEWAY_REVOKED, PLATFORM_SHUTDOWN, PLATFORM_UNAVAILABLE } from '../../../gateway/status.ts';

describe('BrokerClients.endReason', () => {
  const cases: { name: string; stopped?: boolean; revoked?: boolean; closedByPlatform?: boolean; want: string }[] = [
    { name: 'the gateway’s own end keeps its reason', want: 'disconnected' },
    { name: 'a connection the platform closed (uplink not stored)', closedByPlatform: true, want: PLATFORM_UNAVAILABLE },
    { name: 'a revoked gateway', revoked: true, closedByPlatform: true, want: GATEWAY_REVOKED },
    { name: 'shutdown first, whatever else', stopped: true, revoked: true, closedByPlatform: true, want: PLATFORM_SHUTDOWN },
  ];
  it.each(cases)('$name: $want', ({ stopped, revoked, closedByPlatform, want }) => {
    const clients = new BrokerClients();
    const client = {} as Client;
    clients.stopped = stopped ?? false;
    if (revoked) clients.revoked.add(client);
    if (closedByPlatform) clients.closedByPlatform.add(client);
    expect(clients.endReason(client, 'disconnected')).toBe(want);
  });
});
