/** Stored wills are re-authorised against the ledger before any sweep publishes them (gateway/wills.ts). */
import { describe, expect, it } from 'vitest';
import type { GatewayRecord } from '../../../ledger/registry.ts';
import { decideStoredWill, isStoredWill, parseStatusPayload, type StoredWill } from '../../../gateway/wills.ts';
import type { Client, PublishPacket } from 'aedes';

const ledger: Record<string, GatewayRecord> = {
  G1: { id: 'G1', enterpriseId: 'E1', secretHash: 'x', disabled: false },
  G2: { id: 'G2', enterpriseId: 'E2', secretHash: 'y', disabled: false },
};
const lookup = async (id: string) => ledger[id];
const will = (over: Partial<StoredWill>): StoredWill => ({
  cmd: 'publish',
  topic: 'v1/E1/G1/status',
  payload: Buffer.from('{"v":1,"state":"offline"}'),
  qos: 1,
  retain: true,
  dup: false,
  clientId: 'G1',
  brokerId: 'b',
  ...over,
});

describe('decideStoredWill', () => {
  const cases: { name: string; will: StoredWill; connected?: string[]; takenBy?: string; want: string }[] = [
    { name: 'its own status, gateway away', will: will({}), want: 'allow' },
    { name: "another gateway's command topic", will: will({ topic: 'v1/E2/G2/cmd/open' }), want: 'stored_will_not_own_status_topic' },
    { name: 'its own readings (data is never swept)', will: will({ topic: 'v1/E1/G1/readings' }), want: 'stored_will_not_own_status_topic' },
    { name: "another gateway's status", will: will({ topic: 'v1/E2/G2/status' }), want: 'stored_will_not_own_status_topic' },
    { name: 'no client id', will: will({ clientId: undefined }), want: 'will_without_client_id' },
    { name: 'a client id the ledger does not know', will: will({ clientId: 'G9' }), want: 'will_of_unknown_gateway' },
    { name: 'not JSON', will: will({ payload: Buffer.from('offline') }), want: 'bad_will_payload' },
    { name: 'not the status schema', will: will({ payload: Buffer.from('{"v":1,"state":"gone"}') }), want: 'bad_will_payload' },
    { name: 'the gateway is connected here again', will: will({}), connected: ['G1'], want: 'stale_will_gateway_connected' },
    { name: 'connected through another broker, or taken by another node', will: will({}), takenBy: 'other', want: 'stored_will_not_this_nodes' },
    { name: 'its broker alive (it publishes its own)', will: will({}), takenBy: 'alive', want: 'stored_will_broker_alive' },
  ];
  it.each(cases)('$name → $want', async ({ will: w, connected = [], takenBy, want }) => {
    const asked: string[] = [];
    const take = async (gw: string, broker: string) => {
      asked.push(`${gw}@${broker}`);
      return takenBy === undefined ? ('publish' as const) : takenBy === 'alive' ? ('broker_alive' as const) : ('not_ours' as const);
    };
    const d = await decideStoredWill(w, lookup, (id) => connected.includes(id), take);
    expect(d.allow ? 'allow' : d.reason).toBe(want);
    // the cluster is asked only about a will that passed every other check, for the broker that stored it
    expect(asked).toEqual(want === 'allow' || takenBy !== undefined ? ['G1@b'] : []);
  });
});

describe('isStoredWill', () => {
  const own = { topic: 't', payload: Buffer.from('') } as PublishPacket;
  const client = { will: own } as unknown as Client;
  it('a publish without a client is a swept will', () => expect(isStoredWill(null, own)).toBe(true));
  it("the client's own will at its close is not", () => expect(isStoredWill(client, own)).toBe(false));
  it('a stored will handed to whatever client of that id is connected is', () =>
    expect(isStoredWill(client, { ...own, clientId: 'G1', brokerId: 'old' } as PublishPacket)).toBe(true));
  it("a client's PUBLISH is not", () => expect(isStoredWill(client, { ...own })).toBe(false));
});

describe('parseStatusPayload', () => {
  it.each([
    ['{"v":1,"state":"online"}', 'online'],
    ['{"v":1,"state":"offline","ts":1795680000000}', 'offline'],
    ['{"v":2,"state":"online"}', undefined],
    ['offline', undefined],
    ['', undefined],
  ])('%j → %s', (payload, state) => expect(parseStatusPayload(Buffer.from(payload))?.state).toBe(state));
});
