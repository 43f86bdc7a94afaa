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
  _containsWildcard(topic: string): boolean;
  _close(cb: () => void): void;
  closing?: boolean;
}

/**
 * aedes' `mq` for a node of a cluster: `sub` and `pub` are two connections of the node's own (no key prefix),
 * closed with the emitter. `channelPrefix` is `{redisPrefix}mqtt-cluster:`.
 */
export function clusterEmitter(opts: {
  sub: Redis;
  pub: Redis;
  channelPrefix: string;
  concurrency: number;
  onError: (err: Error) => void;
  /** This broker's id (config `mqtt.brokerId`). */
  brokerId: string;
  /**
   * Whether the gateway's newest connection is the one this node holds (owners.ts): then another broker's
   * `new/clients` for it is stale (delayed, e.g. across a Redis failover) and must not close it.
   */
  newestHere: (clientId: string) => Promise<boolean>;
  /** Called for each such stale announcement ignored. */
  onStale: (clientId: string) => void;
}): MQEmitter {
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
  // every gateway's command filter (`v1/{e}/{g}/cmd/#`) is one pattern of the node's, `v1/*/*/cmd/*` (mqemitter-redis
  // counts the filters per pattern): Redis matches each PUBLISH against every pattern of every node, so a pattern per
  // gateway would make a storm of connections cost gateways × patterns; aedes' own matching still picks the gateway
  const commandPattern = `${escapeGlob(channelPrefix)}${TOPIC_ROOT}/*/*/cmd/*`;
  const containsWildcard = inner._containsWildcard.bind(inner);
  inner._containsWildcard = (topic) => !topic.startsWith('$') || containsWildcard(topic); // a pattern, SUBSCRIBE never
  inner._subTopic = (topic) => {
    if (!topic.startsWith('$')) return commandPattern;
    const channel = subTopic(topic);
    return channel === topic ? channelPrefix + channel : escapeGlob(channelPrefix) + channel;
  };
  const on = inner.on.bind(inner);
  const removeListener = inner.removeListener.bind(inner);
  const emit = inner.emit.bind(inner);
  const soon = (done?: () => void) => done && setImmediate(done);
  // aedes closes its connection of a gateway when another broker announces one: not when the announcement is older
  // than the connection held here (the gateway moved there and came back before the message arrived)
  const keepNewest =
    (listener: Listener): Listener =>
    (message, done) => {
      if (message.topic.split('/')[1] === opts.brokerId) return listener(message, done);
      const clientId = Buffer.from(message.payload as Uint8Array).toString('utf8');
      opts.newestHere(clientId).then(
        (stale) => {
          if (!stale) return listener(message, done);
          opts.onStale(clientId);
          done();
        },
        () => listener(message, done),
      );
    };
  const wrapped = new Map<Listener, Listener>();
  inner.on = (topic, listener, done) => {
    if (topic === '$SYS/+/new/clients') {
      const guard = keepNewest(listener);
      wrapped.set(listener, guard);
      return on(topic, guard, done);
    }
    if (clusterWide(topic)) return on(topic, listener, done);
    inner._on(topic, listener);
    soon(done);
    return inner;
  };
  inner.removeListener = (topic, listener, done) => {
    if (clusterWide(topic)) return removeListener(topic, wrapped.get(listener) ?? listener, done);
    inner._removeListener(topic, listener);
    soon(done);
  };
  inner.emit = (message, done) => {
    if (clusterWide(message.topic)) return emit(message, done);
    inner._emit(message, done);
  };
  // closed by dropping both connections: mqemitter-redis sends QUIT and leaves its promise unhandled, which rejects
  // ("Connection is closed") when the connection is already going, as at a platform's stop
  inner.close = (cb) => {
    if (inner.closing) return cb();
    inner.closing = true;
    opts.sub.disconnect();
    opts.pub.disconnect();
    inner._close(cb);
  };
  return mq;
}
