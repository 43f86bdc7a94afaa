/**
 * Who an escalation goes to. Authorities form a tree (province → city →
 * county, table `authorities`); an enterprise belongs to one
 * (`enterprises.authority_id`). Its chain is that authority and its
 * ancestors, nearest first: level n of an escalation goes to `chain[n]` (1 =
 * the parent, 2 = the grandparent, …), so the highest level is the number of
 * ancestors (0: the alert never escalates).
 *
 * `chainFrom`, `escalationTarget` and `maxEscalationLevel` are pure; the
 * `AuthorityDirectory` reads the chain with one recursive query and caches it
 * briefly (authorities change rarely, escalations happen minutes apart).
 */
import type { Clock } from '../../core/clock.ts';
import type { Queryable } from '../../core/db/db.ts';

export type AuthorityLevel = 'province' | 'city' | 'county';

export interface Authority {
  id: string;
  name: string;
  level: AuthorityLevel;
  parentId: string | null;
}

/** An enterprise and its authority chain, nearest first (empty when it has no authority or is unknown). */
export interface EnterpriseAuthorities {
  enterpriseId: string;
  /** `undefined` when the enterprise is not in the ledger. */
  enterpriseName: string | undefined;
  chain: readonly Authority[];
}

/** Deepest chain followed; guards against a cycle in bad data. */
export const MAX_CHAIN = 16;

/**
 * The chain from `startId` up to the root, nearest first, from any set of
 * authorities containing it. Stops at a missing parent, a cycle or
 * {@link MAX_CHAIN} links.
 */
export function chainFrom(authorities: Iterable<Authority>, startId: string | null | undefined): Authority[] {
  const byId = new Map<string, Authority>();
  for (const a of authorities) byId.set(a.id, a);
  const chain: Authority[] = [];
  const seen = new Set<string>();
  let id = startId ?? null;
  while (id !== null && !seen.has(id) && chain.length < MAX_CHAIN) {
    const a = byId.get(id);
    if (!a) break;
    seen.add(id);
    chain.push(a);
    id = a.parentId;
  }
  return chain;
}

/** Highest escalation level: the number of ancestors of the enterprise's own authority. */
export const maxEscalationLevel = (chain: readonly Authority[]): number => Math.max(0, chain.length - 1);

/**
 * The highest escalation level of each of these enterprises' alerts (`maxEscalationLevel` of its chain), in one
 * query: 0, or absent, for an enterprise whose authority has none above it (or that has no authority).
 */
export async function escalationLevelsOf(db: Queryable, enterpriseIds: readonly string[]): Promise<Record<string, number>> {
  if (enterpriseIds.length === 0) return {};
  const { rows } = await db.query<{ enterprise_id: string; levels: number | string }>(
    `WITH RECURSIVE up(enterprise_id, parent_id, depth) AS (
       SELECT e.id, a.parent_id, 0 FROM enterprises e JOIN authorities a ON a.id = e.authority_id WHERE e.id = ANY($1)
       UNION ALL
       SELECT up.enterprise_id, a.parent_id, up.depth + 1 FROM up JOIN authorities a ON a.id = up.parent_id WHERE up.depth < $2
     )
     SELECT enterprise_id, max(depth) AS levels FROM up GROUP BY enterprise_id`,
    [[...new Set(enterpriseIds)], MAX_CHAIN],
  );
  return Object.fromEntries(rows.map((r) => [r.enterprise_id, Number(r.levels)]));
}

/** The authority escalation `level` (≥ 1) goes to, or `undefined` when the chain is not that long. */
export const escalationTarget = (chain: readonly Authority[], level: number): Authority | undefined =>
  Number.isInteger(level) && level >= 1 ? chain[level] : undefined;

interface Row {
  id: string;
  name: string;
  level: AuthorityLevel;
  parent_id: string | null;
}

/** Reads enterprises' authority chains from the ledger, cached for `ttlMs` (default 60 s). */
export class AuthorityDirectory {
  private readonly cache = new Map<string, { at: number; value: EnterpriseAuthorities }>();
  private readonly ttlMs: number;

  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    opts: { ttlMs?: number } = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 60_000;
  }

  async of(enterpriseId: string): Promise<EnterpriseAuthorities> {
    const now = this.clock.now();
    const hit = this.cache.get(enterpriseId);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = await this.read(enterpriseId);
    this.cache.set(enterpriseId, { at: now, value });
    return value;
  }

  private async read(enterpriseId: string): Promise<EnterpriseAuthorities> {
    const ent = await this.db.query<{ name: string; authority_id: string | null }>('SELECT name, authority_id FROM enterprises WHERE id = $1', [enterpriseId]);
    const e = ent.rows[0];
    if (!e) return { enterpriseId, enterpriseName: undefined, chain: [] };
    const { rows } = await this.db.query<Row>(
      `WITH RECURSIVE up(id, name, level, parent_id, depth) AS (
         SELECT id, name, level, parent_id, 0 FROM authorities WHERE id = $1
         UNION ALL
         SELECT a.id, a.name, a.level, a.parent_id, up.depth + 1 FROM authorities a JOIN up ON a.id = up.parent_id WHERE up.depth < $2
       )
       SELECT id, name, level, parent_id FROM up`,
      [e.authority_id, MAX_CHAIN],
    );
    const chain = chainFrom(
      rows.map((r) => ({ id: r.id, name: r.name, level: r.level, parentId: r.parent_id })),
      e.authority_id,
    );
    return { enterpriseId, enterpriseName: e.name, chain };
  }
}
