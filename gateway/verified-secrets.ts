/**
 * The cluster's verified-secret digests (ledger/credentials.ts
 * `VerifiedSecretCache`), in one Redis hash `{prefix}gateway-verified`
 * (gateway id → SHA-256 of the stored hash and the secret): after a node dies
 * its gateways reconnect to the others, and a node restarts, without a scrypt
 * check each (issue #19 §6). A rotated secret has another stored hash, so its
 * old digest matches nothing.
 */
import type { Redis } from 'ioredis';
import { verifiedSecretsKey } from '../core/redis-keys.ts';
import type { SharedVerifiedSecrets } from '../ledger/credentials.ts';

export function redisVerifiedSecrets(redis: Redis, redisPrefix: string): SharedVerifiedSecrets {
  const key = verifiedSecretsKey(redisPrefix);
  return {
    get: async (gatewayId) => (await redis.hget(key, gatewayId)) ?? undefined,
    set: async (gatewayId, digest) => {
      await redis.hset(key, gatewayId, digest);
    },
  };
}
