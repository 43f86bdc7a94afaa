/** Topic ACL: what a gateway may publish and subscribe to, with the reason for each refusal. */
import { describe, expect, it } from 'vitest';
import {
  decideDelivery,
  decidePublish,
  decideSubscribe,
  decideWill,
  topicMatchesFilter,
  type DeliveryDecision,
  type GatewayIdentity,
  type PublishDecision,
  type SubscribeDecision,
  type WillDecision,
} from '../../../gateway/acl.ts';

const me: GatewayIdentity = { clientId: 'G1', enterpriseId: 'E1', gatewayId: 'G1' };

describe('decidePublish', () => {
  const cases: { name: string; topic: string; want: PublishDecision }[] = [
    { name: 'own readings', topic: 'v1/E1/G1/readings', want: { allow: true, channel: 'readings' } },
    { name: 'own signals', topic: 'v1/E1/G1/signals', want: { allow: true, channel: 'signals' } },
    { name: 'own status', topic: 'v1/E1/G1/status', want: { allow: true, channel: 'status' } },
    { name: 'foreign enterprise', topic: 'v1/E2/G1/readings', want: { allow: false, reason: 'foreign_enterprise' } },
    { name: 'foreign enterprise and gateway', topic: 'v1/E2/G2/readings', want: { allow: false, reason: 'foreign_enterprise' } },
    { name: 'foreign gateway', topic: 'v1/E1/G2/readings', want: { allow: false, reason: 'foreign_gateway' } },
    { name: 'gateway id differing only in case', topic: 'v1/E1/g1/readings', want: { allow: false, reason: 'foreign_gateway' } },
    { name: 'own cmd topic', topic: 'v1/E1/G1/cmd', want: { allow: false, reason: 'downlink_topic' } },
    { name: 'own cmd subtopic', topic: 'v1/E1/G1/cmd/reboot', want: { allow: false, reason: 'downlink_topic' } },
    { name: 'another gateway cmd', topic: 'v1/E1/G2/cmd/reboot', want: { allow: false, reason: 'downlink_topic' } },
    { name: 'unknown channel', topic: 'v1/E1/G1/telemetry', want: { allow: false, reason: 'topic_not_in_contract' } },
    { name: 'extra level', topic: 'v1/E1/G1/readings/x', want: { allow: false, reason: 'topic_not_in_contract' } },
    { name: 'wrong root', topic: 'v2/E1/G1/readings', want: { allow: false, reason: 'topic_not_in_contract' } },
    { name: 'system topic', topic: '$SYS/broker/uptime', want: { allow: false, reason: 'topic_not_in_contract' } },
    { name: 'wildcard in place of the gateway', topic: 'v1/E1/+/readings', want: { allow: false, reason: 'topic_not_in_contract' } },
  ];
  it.each(cases)('$name: $topic', ({ topic, want }) => {
    expect(decidePublish(me, topic)).toEqual(want);
  });
});

describe('decideSubscribe', () => {
  const cases: { name: string; filter: string; want: SubscribeDecision }[] = [
    { name: 'own cmd', filter: 'v1/E1/G1/cmd', want: { allow: true } },
    { name: 'own cmd/#', filter: 'v1/E1/G1/cmd/#', want: { allow: true } },
    { name: 'deeper under own cmd', filter: 'v1/E1/G1/cmd/reboot', want: { allow: true } },
    { name: 'wildcard below own cmd', filter: 'v1/E1/G1/cmd/+/now', want: { allow: true } },
    { name: 'everything', filter: '#', want: { allow: false, reason: 'wildcard_outside_own_commands' } },
    { name: 'whole contract', filter: 'v1/#', want: { allow: false, reason: 'wildcard_outside_own_commands' } },
    { name: 'every gateway cmd of own enterprise', filter: 'v1/E1/+/cmd/#', want: { allow: false, reason: 'wildcard_outside_own_commands' } },
    { name: 'own uplinks by wildcard', filter: 'v1/E1/G1/+', want: { allow: false, reason: 'wildcard_outside_own_commands' } },
    { name: 'another gateway cmd', filter: 'v1/E1/G2/cmd', want: { allow: false, reason: 'not_own_command_topic' } },
    { name: 'another gateway cmd/#', filter: 'v1/E1/G2/cmd/#', want: { allow: false, reason: 'wildcard_outside_own_commands' } },
    { name: 'another enterprise, same gateway id', filter: 'v1/E2/G1/cmd', want: { allow: false, reason: 'not_own_command_topic' } },
    { name: 'own readings', filter: 'v1/E1/G1/readings', want: { allow: false, reason: 'not_own_command_topic' } },
    { name: 'prefix of own cmd', filter: 'v1/E1/G1/cmdx', want: { allow: false, reason: 'not_own_command_topic' } },
    { name: 'gateway id sharing a prefix', filter: 'v1/E1/G10/cmd', want: { allow: false, reason: 'not_own_command_topic' } },
    { name: 'shared subscription to own cmd', filter: '$share/g/v1/E1/G1/cmd', want: { allow: false, reason: 'not_own_command_topic' } },
  ];
  it.each(cases)('$name: $filter', ({ filter, want }) => {
    expect(decideSubscribe(me, filter)).toEqual(want);
  });
});

describe('topicMatchesFilter', () => {
  const cases: [filter: string, topic: string, match: boolean][] = [
    ['v1/E1/G1/cmd/#', 'v1/E1/G1/cmd/reboot', true],
    ['v1/E1/G1/cmd/#', 'v1/E1/G1/cmd', true], // '#' matches the parent level too [MQTT-4.7.1-2]
    ['v1/E1/G1/cmd/+', 'v1/E1/G1/cmd/reboot', true],
    ['v1/E1/G1/cmd/+', 'v1/E1/G1/cmd/a/b', false],
    ['v1/E1/G1/cmd/+/now', 'v1/E1/G1/cmd/x/now', true],
    ['v1/E1/G1/cmd', 'v1/E1/G1/cmd', true],
    ['v1/E1/G1/cmd', 'v1/E1/G1/cmd/reboot', false],
    ['v1/E1/G1/cmd/#', 'v1/E1/G2/cmd/reboot', false],
    ['#', '$SYS/broker/uptime', false], // [MQTT-4.7.2-1]
    ['+/E1/G1/cmd', 'v1/E1/G1/cmd', true],
  ];
  it.each(cases)('%s ~ %s: %s', (filter, topic, match) => {
    expect(topicMatchesFilter(filter, topic)).toBe(match);
  });
});

describe('decideDelivery', () => {
  const subs = ['v1/E1/G1/cmd/#'];
  const cases: { name: string; topic: string; subs: string[]; want: DeliveryDecision }[] = [
    { name: 'own command under its subscription', topic: 'v1/E1/G1/cmd/reboot', subs, want: { allow: true } },
    {
      name: "another gateway's command (a colliding store entry)",
      topic: 'v1/E2/G2/cmd/reboot',
      subs,
      want: { allow: false, reason: 'not_own_command_topic' },
    },
    { name: 'same gateway id of another enterprise', topic: 'v1/E2/G1/cmd/reboot', subs, want: { allow: false, reason: 'not_own_command_topic' } },
    { name: 'an uplink topic', topic: 'v1/E1/G1/status', subs, want: { allow: false, reason: 'not_own_command_topic' } },
    {
      name: 'own command it did not subscribe to',
      topic: 'v1/E1/G1/cmd/reboot',
      subs: ['v1/E1/G1/cmd/config/#'],
      want: { allow: false, reason: 'not_subscribed' },
    },
    { name: 'no subscriptions at all', topic: 'v1/E1/G1/cmd/reboot', subs: [], want: { allow: false, reason: 'not_subscribed' } },
  ];
  it.each(cases)('$name', ({ topic, subs: s, want }) => {
    expect(decideDelivery(me, topic, s)).toEqual(want);
  });
});

describe('decideWill', () => {
  it.each([
    ['v1/E1/G1/status', { allow: true, channel: 'status' }],
    ['v1/E1/G1/readings', { allow: true, channel: 'readings' }],
    ['v1/E1/G2/cmd/open-valve', { allow: false, reason: 'will_downlink_topic' }],
    ['v1/E2/G1/status', { allow: false, reason: 'will_foreign_enterprise' }],
    ['v1/E1/G2/status', { allow: false, reason: 'will_foreign_gateway' }],
  ] as [string, WillDecision][])('%s', (topic, want) => {
    expect(decideWill(me, topic)).toEqual(want);
  });
});
