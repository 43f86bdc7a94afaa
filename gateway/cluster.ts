/**
 * The brokers of several platform nodes as one: aedes' own clustering, its
 * message emitter over Redis (mqemitter-redis) beside the shared session store.
 *
 * What crosses nodes through it: aedes' `$SYS/<broker>/…` messages — the
 * heartbeats by which a broker knows which others are alive (and publishes a
 * dead one's wills), and `new/clients`, by which a node where a gateway
 * connects makes the node holding that gateway's older connection close it
 * (one session per gateway) — and the platform's commands (`v1/{e}/{g}/cmd/…`),
 * which reach the gateway on whichever node it is connected to. Gateways'
 * uplinks (readings, signals, status) have no subscriber anywhere (a gateway may
 * subscribe only to its own commands, gateway/acl.ts): they stay in the node, so
 * the readings' rate does not become Redis PUBLISHes matched against every node's
 * subscriptions.
 *
 * The channels are the topics under `{prefix}mqtt-cluster:`, so platforms with
 * different prefixes on one Redis are separate clusters (core/redis-keys.ts).
 */
import MQEmitterRedis from 'mqemitter-redis';
import type { MQEmitter } from 'mqemitter';
import type { Redis } from 'ioredis';
import { TOPIC_ROOT } from '../core/contract.ts';

/** Whether messages on `topic` (or matching the filter) go to every node: aedes' `$SYS` and the platform's commands. */
export function clusterWide(topic: string): boolean {
  if (topic.startsWith('$SYS/')) return true;
  const levels = topic.split('/');
  return levels[0] === TOPIC_ROOT && levels[3] === 'cmd';
}

/** The Redis glob special characters, escaped in a pattern's literal prefix. */
const escapeGlob = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&');

type Listener = (message: MQEmitterRedis.Message, done: () => void) => void;

interface Internals {
  _on(topic: string, listener: Listener): unknown;
  _removeListener(topic: string, listener: Listener): unknown;
  _emit(message: MQEmitterRedis.Message, done?: (err?: Error) => void): unknown;
  _subTopic(topic: string): string;
}

/**
 * aedes' `mq` for a node of a cluster: `sub` and `pub` are two connections of the node's own (no key prefix),
 * closed with the emitter. `channelPrefix` is `{redisPrefix}mqtt-cluster:`.
 */
export function clusterEmitter(opts: { sub: Redis; pub: Redis; channelPrefix: string; concurrency: number; onError: (err: Error) => void }): MQEmitter {
  const { channelPrefix } = opts;
  // mqemitter-redis publishes on the message's topic: the channel gets the prefix here
  const publish: (channel: string, message: Buffer) => Promise<number> = opts.pub.publish.bind(opts.pub);
  (opts.pub as unknown as { publish: typeof publish }).publish = (channel, message) => publish(channelPrefix + channel, message);
  const mq = new (MQEmitterRedis as unknown as new (o: MQEmitterRedis.MQEmitterOptions) => MQEmitterRedis.MQEmitterRedis)({
    subConn: opts.sub,
    pubConn: opts.pub,
    concurrency: opts.concurrency,
    matchEmptyLevels: true, // as aedes' own emitter [MQTT-4.7.1-3]
  });
  const inner = mq as unknown as Internals & MQEmitterRedis.MQEmitterRedis & { state: NodeJS.EventEmitter };
  // the connections' errors (Redis away: they reconnect by themselves); unhandled, this emitter's 'error' would end the process
  inner.state.on('error', opts.onError);
  // and its subscriptions (SUBSCRIBE, or PSUBSCRIBE for a filter with wildcards)
  const subTopic = inner._subTopic.bind(inner);
  inner._subTopic = (topic) => {
    const channel = subTopic(topic);
    return channel === topic ? channelPrefix + channel : escapeGlob(channelPrefix) + channel;
  };
  const on = inner.on.bind(inner);
  const removeListener = inner.removeListener.bind(inner);
  const emit = inner.emit.bind(inner);
  const soon = (done?: () => void) => done && setImmediate(done);
  inner.on = (topic, listener, done) => {
    if (clusterWide(topic)) return on(topic, listener, done);
    inner._on(topic, listener);
    soon(done);
    return inner;
  };
  inner.removeListener = (topic, listener, done) => {
    if (clusterWide(topic)) return removeListener(topic, listener, done);
    inner._removeListener(topic, listener);
    soon(done);
  };
  inner.emit = (message, done) => {
    if (clusterWide(message.topic)) return emit(message, done);
    inner._emit(message, done);
  };
  return mq;
}
