/** Topic ACL: what a gateway may publish and subscribe to, with the reason for each refusal. */
import { describe, expect, it } from 'vitest';
import { decidePublish, decideSubscribe, type GatewayIdentity, type PublishDecision, type SubscribeDecision } from '../../gateway/acl.ts';

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
