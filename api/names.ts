/**
 * The names people read beside the ids an API answer carries (issue #20 §2: names, not ids): officers (an event's
 * actor `user:{id}`), authorities (where an alert was escalated to) and enterprises. One query per kind, only for
 * the ids asked; an id without a row keeps no name (the console then shows the id).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Queryable } from '../core/db/db.ts';
import { Params, scopeSql, whereAll, type Scope } from '../core/jurisdiction.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';

export interface Names {
  officers: Record<string, string>;
  authorities: Record<string, string>;
  enterprises: Record<string, string>;
}

const TABLES = { officers: 'officers', authorities: 'authorities', enterprises: 'enterprises' } as const;

/** `scope`: only the enterprises in it are named (a name outside it is not the caller's to read). */
export async function namesOf(db: Queryable, ids: { [K in keyof Names]?: Iterable<string | undefined> }, scope?: Scope): Promise<Names> {
  const out: Names = { officers: {}, authorities: {}, enterprises: {} };
  await Promise.all(
    (Object.keys(TABLES) as (keyof Names)[]).map(async (kind) => {
      const wanted = [...new Set([...(ids[kind] ?? [])].filter((id): id is string => typeof id === 'string' && id !== ''))];
      if (wanted.length === 0) return;
      const params = new Params();
      const only = kind === 'enterprises' && scope ? scopeSql(scope, params, 'id') : { cte: '', cond: undefined };
      const sql = `${only.cte}SELECT id, name FROM ${TABLES[kind]} ${whereAll([`id = ANY(${params.add(wanted)})`, only.cond])}`;
      const { rows } = await db.query<{ id: string; name: string }>(sql, params.values);
      for (const r of rows) out[kind][r.id] = r.name;
    }),
  );
  return out;
}

/** The officer id of an actor `user:{id}` (undefined for `system` and other actors). */
export const officerOfActor = (actor: string | undefined): string | undefined => (actor?.startsWith('user:') ? actor.slice(5) : undefined);

const idList = z
  .string()
  .max(20_000)
  .optional()
  .transform((s) => (s ? s.split(',').filter((x) => x !== '') : []))
  .refine((ids) => ids.length <= 500, { message: '一次最多 500 个编号 / at most 500 ids at a time' });

const namesQuery = z.strictObject({ enterprises: idList, authorities: idList, officers: idList });

/**
 * `GET /api/v1/names?enterprises=E1,E2&authorities=city&officers=duty-a`: the names of those ids, for any signed-in
 * user — the enterprises only within the caller's jurisdiction (an enterprise user: its own). The console asks for
 * the names it shows beside the ids of any answer (console/names.ts).
 */
export function namesApi(config: { auth: Authenticator }, deps: { db: Queryable }) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/v1/names', async (req) => {
      const who = await config.auth.authenticate(req);
      const q = parse(namesQuery, req.query, 'query');
      return namesOf(deps.db, q, who.scope);
    });
  };
}
