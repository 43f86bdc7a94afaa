/**
 * Every Redis key, key prefix and channel the platform uses, in one place.
 * All live under the deployment's prefix (config `redisPrefix`, REDIS_PREFIX),
 * so several platforms — or tests — can share one Redis
 * (`tests/integration/platform/redis-prefix.test.ts` checks nothing escapes it).
 */

/**
 * The ingest → rules feed of a partition of the enterprises (`core/partitions.ts`): a stream appended before each
 * PUBACK (`core/feed.ts`). Partition 0 keeps the key of the unpartitioned feed, so one partition is the feed as it was.
 */
export const feedKey = (redisPrefix: string, partition = 0): string => `${redisPrefix}rules:feed${partition === 0 ? '' : `:${partition}`}`;

/** The rules worker's snapshot: its state and the feed position it covers (ADR 0005). */
export const snapshotKey = (redisPrefix: string, partition = 0): string => `${redisPrefix}rules:snapshot${partition === 0 ? '' : `:${partition}`}`;

/** How many partitions the feed is in (config `rules.partitions`): written by the first node, every node must agree. */
export const rulesPartitionsKey = (redisPrefix: string): string => `${redisPrefix}rules:partitions`;

/** The nodes that take part in running the rules, by when each last said so (a sorted set). */
export const rulesNodesKey = (redisPrefix: string): string => `${redisPrefix}rules:nodes`;

/** The broker's sessions, subscriptions, queued messages and wills (aedes-persistence-redis, as an ioredis keyPrefix). */
export const brokerKeyPrefix = (redisPrefix: string): string => `${redisPrefix}mqtt:`;

/** The counter the brokers reserve packet-id blocks from (`gateway/packet-ids.ts`); a key under `brokerKeyPrefix`. */
export const PACKET_BLOCKS_KEY = 'packet-blocks';

/** Channel: a gateway's credentials changed; every broker closes its connections and acknowledges (`gateway/revocation.ts`). */
export const revocationChannel = (redisPrefix: string): string => `${redisPrefix}gateway-revoked`;

/** The list a broker acknowledges one revocation on. */
export const revocationAckKey = (redisPrefix: string, id: string): string => `${redisPrefix}gateway-revoked:ack:${id}`;

/** Channel: the ledger changed (message: a gateway id) or the rule overrides did (message `OVERRIDES_CHANGED`). */
export const registryChangedChannel = (redisPrefix: string): string => `${redisPrefix}registry-changed`;

/** Channel: new alert events are stored (message: the highest event seq), for live streams and the notifier. */
export const alertEventsChannel = (redisPrefix: string): string => `${redisPrefix}alert-events`;

/** The notifier's position in the alert events. */
export const notifyCursorKey = (redisPrefix: string): string => `${redisPrefix}notify:cursor`;

/** BullMQ's key prefix for the platform's queues (`notify`, `escalate`, `tasks`). */
export const bullPrefix = (redisPrefix: string): string => `${redisPrefix}bull`;

/** Sign-in failure counts (rate-limiter-flexible key prefixes): per user and address together, and per address. */
export const signInKeyPrefixes = (redisPrefix: string) => ({
  userAddress: `${redisPrefix}sign-in:user-address`,
  address: `${redisPrefix}sign-in:address`,
});

/** A gateway's live connection in the cluster: `{brokerId}|{connectionId}` (`gateway/owners.ts`). */
export const gatewayConnectionKey = (redisPrefix: string, gatewayId: string): string => `${redisPrefix}gateway-connection:${gatewayId}`;

/**
 * A broker's stored will of a gateway, as aedes-persistence-redis keeps it under `brokerKeyPrefix`:
 * `will:{brokerId}:{encodeURIComponent(clientId)}`.
 */
export const storedWillKey = (redisPrefix: string, brokerId: string, gatewayId: string): string =>
  `${brokerKeyPrefix(redisPrefix)}will:${brokerId}:${encodeURIComponent(gatewayId)}`;

/** The node that took a dead broker's stored will of a gateway, so that one node publishes it (`gateway/owners.ts`). */
export const storedWillClaimKey = (redisPrefix: string, gatewayId: string, brokerId: string): string => `${redisPrefix}gateway-will:${brokerId}:${gatewayId}`;

/** Present while a broker is alive (renewed every heartbeat, `gateway/owners.ts`): the others leave its stored wills to it. */
export const brokerAliveKey = (redisPrefix: string, brokerId: string): string => `${redisPrefix}broker-alive:${brokerId}`;

/** The channels of the brokers' cluster emitter: `{channel prefix}{MQTT topic}` (`gateway/cluster.ts`). */
export const mqttClusterChannelPrefix = (redisPrefix: string): string => `${redisPrefix}mqtt-cluster:`;

/** The lease under which one node runs the rules of a partition (`alerts/worker/lease.ts`); value: the holder's id. */
export const rulesLeaseKey = (redisPrefix: string, partition: number): string => `${redisPrefix}rules:lease:${partition}`;

/** Digests of gateway secrets verified by any node (a hash: gateway id → digest), `gateway/verified-secrets.ts`. */
export const verifiedSecretsKey = (redisPrefix: string): string => `${redisPrefix}gateway-verified`;
