/**
 * Which connection, on which node, is each gateway's live one — kept in Redis
 * for the whole cluster (issue #19 §2).
 *
 * A connection claims its gateway once authenticated, before aedes registers
 * it (and so before aedes tells the other nodes to close an older connection
 * of that id). When a connection ends, it releases the claim only if the claim
 * is still its own: one that another connection has taken over — here or on
 * another node — ends without recording the gateway offline and without its
 * will (the gateway is connected, elsewhere). A will a dead node left behind is
 * published by one surviving node only, and only if the gateway has not
 * reconnected meanwhile.
 *
 * Key `{prefix}gateway-connection:{gatewayId}` = `{brokerId}|{connectionId}`.
 */
import type { Redis } from 'ioredis';
import { brokerAliveKey, gatewayConnectionKey, storedWillClaimKey, storedWillKey } from '../core/redis-keys.ts';

/**
 * Ends the claim of connection ARGV[1]: 1 if it was still its own, or nobody's (then the gateway has no live
 * connection); 2 if another connection of this broker (ARGV[2] is `{brokerId}|`) holds it; 0 if one on another broker does.
 */
const RELEASE = `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
if string.sub(v, 1, string.len(ARGV[2])) == ARGV[2] then return 2 end
return 0`;

/** What ending a connection's claim found: the gateway `gone` (no other live connection), or taken over `here` or `elsewhere`. */
export type Release = 'gone' | 'here' | 'elsewhere';
const RELEASES: Record<number, Release> = { 1: 'gone', 2: 'here', 0: 'elsewhere' };

/**
 * A stored will of broker ARGV[1] may be published (1) unless that broker is alive (2; KEYS[3]: it publishes its own
 * wills; aedes' sweep takes a broker it has not heard from yet for a dead one), the gateway's live connection is on
 * another broker, or another node has already taken this will (0). The taking is this node's (ARGV[2]) for ARGV[3]
 * ms, so that asking again (aedes asks twice) gives the same answer; the dead broker's claim is removed with it.
 */
const TAKE_WILL = `
if redis.call('EXISTS', KEYS[3]) == 1 then return 2 end
local owner = redis.call('GET', KEYS[1])
if owner and string.sub(owner, 1, string.len(ARGV[1]) + 1) ~= ARGV[1] .. '|' then return 0 end
local taker = redis.call('GET', KEYS[2])
if taker and taker ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
if owner then redis.call('DEL', KEYS[1]) end
return 1`;

/**
 * Takes a gateway whose claim is still ARGV[1] (on a broker found not alive) once (1): not if its broker is alive
 * after all (KEYS[2]), nor while that broker's will of it is stored (KEYS[3]: the will sweep publishes it), nor if
 * another node took it (KEYS[4], the same mark as a taken will, ARGV[2] for ARGV[3] ms); the claim is removed.
 */
const TAKE_ORPHAN = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if not redis.call('SET', KEYS[4], ARGV[2], 'NX', 'PX', ARGV[3]) then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

export class ConnectionOwners {
  private aliveTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly redisPrefix: string,
    /** This node's broker id (config `mqtt.brokerId`). */
    readonly brokerId: string,
  ) {}

  /**
   * Says this broker is alive, now and every `everyMs` for 3 × `everyMs` (as aedes' heartbeats), until `stopAlive`:
   * the other nodes leave its stored wills to it.
   */
  async keepAlive(everyMs: number, onError: (err: Error) => void): Promise<void> {
    const key = brokerAliveKey(this.redisPrefix, this.brokerId);
    const say = () => this.redis.set(key, '1', 'PX', 3 * everyMs);
    await say();
    this.aliveTimer = setInterval(() => void say().catch(onError), everyMs);
    this.aliveTimer.unref();
  }

  /** Stops saying so and says it is gone (a clean stop: its connections have ended and published their wills). */
  async stopAlive(): Promise<void> {
    clearInterval(this.aliveTimer);
    await this.redis.del(brokerAliveKey(this.redisPrefix, this.brokerId)).catch(() => undefined);
  }

  private value(connectionId: string): string {
    return `${this.brokerId}|${connectionId}`;
  }

  /** Makes `connectionId` (of this node) the gateway's live connection. */
  async claim(gatewayId: string, connectionId: string): Promise<void> {
    await this.redis.set(gatewayConnectionKey(this.redisPrefix, gatewayId), this.value(connectionId));
  }

  /** Claims it back for a connection still live here if nobody holds it (a claimant that never got through released it). */
  async reassert(gatewayId: string, connectionId: string): Promise<boolean> {
    return (await this.redis.set(gatewayConnectionKey(this.redisPrefix, gatewayId), this.value(connectionId), 'NX')) === 'OK';
  }

  /** Ends the connection's claim, unless another connection (here or on another node) holds the gateway now. */
  async release(gatewayId: string, connectionId: string): Promise<Release> {
    const r = await this.redis.eval(RELEASE, 1, gatewayConnectionKey(this.redisPrefix, gatewayId), this.value(connectionId), `${this.brokerId}|`);
    return RELEASES[Number(r)] ?? 'gone';
  }

  /** Whether the connection is still the gateway's live one. */
  async holds(gatewayId: string, connectionId: string): Promise<boolean> {
    return (await this.redis.get(gatewayConnectionKey(this.redisPrefix, gatewayId))) === this.value(connectionId);
  }

  /** The broker each gateway's live connection is on (undefined: none recorded). */
  async brokersOf(gatewayIds: readonly string[]): Promise<(string | undefined)[]> {
    if (gatewayIds.length === 0) return [];
    const values = await this.redis.mget(gatewayIds.map((g) => gatewayConnectionKey(this.redisPrefix, g)));
    return values.map((v) => (v === null ? undefined : v.slice(0, v.indexOf('|'))));
  }

  /**
   * Of `gatewayIds` (recorded online), those whose live connection was on a broker that is no longer alive and that
   * have not reconnected since: each is taken by one node only, which records it offline (`GatewayPart`'s sweep). A
   * gateway that left a will is published offline by it instead, whichever comes first.
   */
  async takeOrphans(gatewayIds: readonly string[]): Promise<string[]> {
    if (gatewayIds.length === 0) return [];
    // the claims, then whether their brokers are alive (one look per broker): only the dead ones' gateways are tried
    const claims = await this.redis.mget(gatewayIds.map((g) => gatewayConnectionKey(this.redisPrefix, g)));
    const brokerOf = (claim: string | null) => (claim === null ? undefined : claim.slice(0, claim.indexOf('|')));
    const brokers = [...new Set(claims.map(brokerOf).filter((b): b is string => b !== undefined && b !== this.brokerId))];
    if (brokers.length === 0) return [];
    const alive = await this.redis.mget(brokers.map((b) => brokerAliveKey(this.redisPrefix, b)));
    const dead = new Set(brokers.filter((_, i) => alive[i] === null));
    const candidates = gatewayIds.flatMap((gw, i) => {
      const broker = brokerOf(claims[i]!);
      return broker !== undefined && dead.has(broker) ? [{ gw, broker, claim: claims[i]! }] : [];
    });
    const taken: string[] = [];
    for (const c of candidates) {
      const r = await this.redis.eval(
        TAKE_ORPHAN,
        4,
        gatewayConnectionKey(this.redisPrefix, c.gw),
        brokerAliveKey(this.redisPrefix, c.broker),
        storedWillKey(this.redisPrefix, c.broker, c.gw),
        storedWillClaimKey(this.redisPrefix, c.gw, c.broker),
        c.claim,
        `${this.brokerId}:orphan`,
        60_000,
      );
      if (r === 1) taken.push(c.gw);
    }
    return taken;
  }

  /**
   * Whether this node may publish the will `willBrokerId` stored for the gateway: not if that broker is alive, the
   * gateway is connected through another broker now, or another node took the will first. Asking again gives the same answer.
   */
  async takeStoredWill(gatewayId: string, willBrokerId: string): Promise<WillTaking> {
    const r = await this.redis.eval(
      TAKE_WILL,
      3,
      gatewayConnectionKey(this.redisPrefix, gatewayId),
      storedWillClaimKey(this.redisPrefix, gatewayId, willBrokerId),
      brokerAliveKey(this.redisPrefix, willBrokerId),
      willBrokerId,
      this.brokerId,
      60_000,
    );
    return r === 1 ? 'publish' : r === 2 ? 'broker_alive' : 'not_ours';
  }
}

/**
 * Whether this node publishes a stored will: yes; no, its broker is alive (it publishes its own: the will is left in
 * the store); no, the gateway is connected through another broker or another node took the will (it is stale).
 */
export type WillTaking = 'publish' | 'broker_alive' | 'not_ours';
