/**
 * Jurisdiction (domain rule 1): an officer of authority X sees and acts on
 * the enterprises whose authority is X or any authority below X
 * (`authorities.parent_id`, walked with a recursive CTE; `UNION` stops on a
 * cycle). Enterprises without an authority are seen only with scope `all`.
 * An enterprise is supervised by exactly one authority; one above it acting
 * on it makes a joint inspection (联合检查).
 */
import type { Queryable } from './db/db.ts';

/**
 * What a caller may see: everything (admin), one authority's subtree (an
 * officer), or one enterprise (its own people, issue #18: nothing of any other).
 */
export type Scope = { kind: 'all' } | { kind: 'authority'; authorityId: string } | { kind: 'enterprise'; enterpriseId: string };

/** Collects positional parameters while a statement is assembled. */
export class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** The CTE and the condition restricting `column` (an enterprise id) to `scope`. */
export function scopeSql(scope: Scope, params: Params, column: string): { cte: string; cond: string | undefined } {
  if (scope.kind === 'all') return { cte: '', cond: undefined };
  if (scope.kind === 'enterprise') return { cte: '', cond: `${column} = ${params.add(scope.enterpriseId)}` };
  const root = params.add(scope.authorityId);
  return {
    cte: `WITH RECURSIVE scope_authorities(id) AS (
            SELECT id FROM authorities WHERE id = ${root}
            UNION SELECT a.id FROM authorities a JOIN scope_authorities s ON a.parent_id = s.id
          ) `,
    cond: `${column} IN (SELECT e.id FROM enterprises e JOIN scope_authorities s ON e.authority_id = s.id)`,
  };
}

export const whereAll = (conds: (string | undefined)[]): string => {
  const c = conds.filter((x): x is string => x !== undefined);
  return c.length > 0 ? `WHERE ${c.join(' AND ')}` : '';
};

/** The authority and its ancestors, nearest first (empty if it does not exist). */
export async function authorityChain(q: Queryable, authorityId: string): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `WITH RECURSIVE up(id, parent_id, depth) AS (
       SELECT id, parent_id, 0 FROM authorities WHERE id = $1
       UNION ALL SELECT a.id, a.parent_id, up.depth + 1 FROM authorities a JOIN up ON a.id = up.parent_id WHERE up.depth < 16
     ) SELECT id FROM up ORDER BY depth`,
    [authorityId],
  );
  return rows.map((r) => r.id);
}

/** Whether `authorityId` is `scope`'s authority or below it (never for an enterprise's scope: an authority is not its own). */
export async function authorityInScope(q: Queryable, scope: Scope, authorityId: string): Promise<boolean> {
  if (scope.kind === 'enterprise') return false;
  return scope.kind === 'all' || (await authorityChain(q, authorityId)).includes(scope.authorityId);
}

/** Whether the enterprise exists and is within `scope` (its authority is the scope's or below it). */
export async function enterpriseInScope(q: Queryable, scope: Scope, enterpriseId: string): Promise<boolean> {
  const { rows } = await q.query<{ authority_id: string | null }>('SELECT authority_id FROM enterprises WHERE id = $1', [enterpriseId]);
  const e = rows[0];
  if (!e) return false;
  if (scope.kind === 'all') return true;
  if (scope.kind === 'enterprise') return scope.enterpriseId === enterpriseId;
  return e.authority_id !== null && (await authorityChain(q, e.authority_id)).includes(scope.authorityId);
}
