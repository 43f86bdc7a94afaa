/**
 * Topic ACL derived from the contract (core/contract.ts). Pure: decisions are
 * functions of the gateway's identity and the topic, with a named reason.
 */
import { TOPIC_ROOT, parseTopic, type UplinkChannel } from '../core/contract.ts';

export interface GatewayIdentity {
  clientId: string;
  enterpriseId: string;
  gatewayId: string;
}

export type PublishDecision =
  { allow: true; channel: UplinkChannel } | { allow: false; reason: 'topic_not_in_contract' | 'foreign_enterprise' | 'foreign_gateway' | 'downlink_topic' };

export function decidePublish(id: GatewayIdentity, topic: string): PublishDecision {
  const t = parseTopic(topic);
  switch (t.kind) {
    case 'invalid':
      return { allow: false, reason: 'topic_not_in_contract' };
    case 'downlink':
      return { allow: false, reason: 'downlink_topic' };
    case 'uplink':
      if (t.enterpriseId !== id.enterpriseId) return { allow: false, reason: 'foreign_enterprise' };
      if (t.gatewayId !== id.gatewayId) return { allow: false, reason: 'foreign_gateway' };
      return { allow: true, channel: t.channel };
  }
}

export type SubscribeDecision = { allow: true } | { allow: false; reason: 'not_own_command_topic' | 'wildcard_outside_own_commands' };

/**
 * A gateway may subscribe only to its own command topics:
 * `v1/{ent}/{gw}/cmd`, `v1/{ent}/{gw}/cmd/#` or anything under them.
 * Wildcards are allowed only below `cmd/`.
 */
export function decideSubscribe(id: GatewayIdentity, filter: string): SubscribeDecision {
  const own = `${TOPIC_ROOT}/${id.enterpriseId}/${id.gatewayId}/cmd`;
  if (filter === own || filter === `${own}/#`) return { allow: true };
  if (!filter.startsWith(`${own}/`)) {
    return { allow: false, reason: /[+#]/.test(filter) ? 'wildcard_outside_own_commands' : 'not_own_command_topic' };
  }
  return { allow: true };
}
