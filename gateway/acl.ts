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

/** Whether a concrete topic matches an MQTT topic filter (3.1.1 §4.7: `+` one level, `#` the rest, `$` topics only by name). */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && !filter.startsWith('$')) return false; // [MQTT-4.7.2-1]
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true; // matches the parent level too [MQTT-4.7.1-2]
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

export type DeliveryDecision = { allow: true } | { allow: false; reason: 'not_own_command_topic' | 'not_subscribed' };

/**
 * Whether a message may be delivered to a gateway's session (checked on every delivery, including messages queued
 * while it was offline): only its own command topics, and only topics one of its subscriptions matches. Defence in
 * depth: a message that reaches a session any other way (a corrupt or colliding store entry) is dropped.
 */
export function decideDelivery(id: GatewayIdentity, topic: string, subscriptions: Iterable<string>): DeliveryDecision {
  const t = parseTopic(topic);
  if (t.kind !== 'downlink' || t.enterpriseId !== id.enterpriseId || t.gatewayId !== id.gatewayId) {
    return { allow: false, reason: 'not_own_command_topic' };
  }
  for (const filter of subscriptions) if (topicMatchesFilter(filter, topic)) return { allow: true };
  return { allow: false, reason: 'not_subscribed' };
}

export type WillDecision = { allow: true; channel: UplinkChannel } | { allow: false; reason: `will_${Exclude<PublishDecision, { allow: true }>['reason']}` };

/** A last will set at CONNECT is authorised like a publish of that client: its own uplink topics only. */
export function decideWill(id: GatewayIdentity, topic: string): WillDecision {
  const d = decidePublish(id, topic);
  return d.allow ? d : { allow: false, reason: `will_${d.reason}` };
}
