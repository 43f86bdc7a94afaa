/**
 * The names people read beside the ids an API answer carries (issue #20 §2: names, not ids): officers (an event's
 * actor `user:{id}`), authorities (where an alert was escalated to) and enterprises. One query per kind, only for
 * the ids asked; an id without a row keeps no name (the console then shows the id).
 */
import type { Queryable } from '../core/db/db.ts';

export interface Names {
  officers: Record<string, string>;
  authorities: Record<string, string>;
  enterprises: Record<string, string>;
}

const TABLES = { officers: 'officers', authorities: 'authorities', enterprises: 'enterprises' } as const;

export async function namesOf(db: Queryable, ids: { [K in keyof Names]?: Iterable<string | undefined> }): Promise<Names> {
  const out: Names = { officers: {}, authorities: {}, enterprises: {} };
  await Promise.all(
    (Object.keys(TABLES) as (keyof Names)[]).map(async (kind) => {
      const wanted = [...new Set([...(ids[kind] ?? [])].filter((id): id is string => typeof id === 'string' && id !== ''))];
      if (wanted.length === 0) return;
      const { rows } = await db.query<{ id: string; name: string }>(`SELECT id, name FROM ${TABLES[kind]} WHERE id = ANY($1)`, [wanted]);
      for (const r of rows) out[kind][r.id] = r.name;
    }),
  );
  return out;
}

/** The officer id of an actor `user:{id}` (undefined for `system` and other actors). */
export const officerOfActor = (actor: string | undefined): string | undefined => (actor?.startsWith('user:') ? actor.slice(5) : undefined);
