/**
 * Planned stops on record (停产/检修, issue #17 item 4; ledger/stops.ts, ADR 0009):
 *
 *   POST /api/v1/enterprises/:id/stops                      { scope, targets, kind, reason, person, startsAt, expectedEndAt }   ledger.write
 *   GET  /api/v1/enterprises/:id/stops?active=&limit=       → { stops }                                                       monitoring.read
 *   GET  /api/v1/enterprises/:id/stops/:stopId              → the stop                                                        monitoring.read
 *   POST /api/v1/enterprises/:id/stops/:stopId/end          { note? }   (early end allowed)                                   ledger.write
 *   POST /api/v1/enterprises/:id/stops/:stopId/cancel       { note? }   (registered in error)                                 ledger.write
 *
 * Today the admin (and any role given `ledger.write`) registers on the enterprise's behalf; enterprise
 * users (issue #18) will register their own — the record keeps who did (`registeredBy`). Each stop is
 * answered with its `status` at the platform's time (planned, active, overrunning, ended, cancelled).
 * An enterprise user (issue #18, `monitoring.read`) reads its own enterprise's stops; another's are 404.
 * Every change is announced to the rules worker (registry-changed, message `stops`); it also re-reads the
 * stops every `rules.reloadIntervalMs`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import type { Db } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { enterpriseInScope } from '../core/jurisdiction.ts';
import { PlannedStops, stopCloseInput, stopInput, stopStatus, type PlannedStop } from '../ledger/stops.ts';
import type { Authenticator, Principal } from './auth.ts';
import { parse } from './parse.ts';

/** What the platform passes (as `ApiDeps.plannedStops`) to tell the rules worker; without it the worker's poll catches up. */
export interface StopApiDeps {
  announce: () => Promise<void>;
}

export interface StopRouteDeps {
  db: Db;
  clock: { now(): number };
  plannedStops?: StopApiDeps | undefined;
}

/** How long a change waits for its announcement before answering anyway (as the rule overrides do). */
const ANNOUNCE_WAIT_MS = 2000;

const enterprisePath = z.strictObject({ id: idSchema });
const stopPath = z.strictObject({ id: idSchema, stopId: z.string().uuid({ error: '停产记录编号格式不对 / stopId is not a stop id' }) });
const listQuery = z.strictObject({
  active: z
    .enum(['true', 'false'], { error: 'active 取 true 或 false / active must be true or false' })
    .transform((v) => v === 'true')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export function stopApi(config: { auth: Authenticator }, deps: StopRouteDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    const { auth } = config;
    const stops = new PlannedStops({ db: deps.db, clock: { now: () => deps.clock.now() } });
    const shown = (s: PlannedStop) => ({ ...s, status: stopStatus(s, deps.clock.now()) });

    /** 404 alike for a missing enterprise and one outside the caller's jurisdiction. */
    const inScope = async (who: Principal, enterpriseId: string): Promise<void> => {
      if (!(await enterpriseInScope(deps.db, who.scope, enterpriseId)))
        throw new AppError('NOT_FOUND', `企业 ${enterpriseId} 不存在 / enterprise ${enterpriseId} not found`);
    };

    const announce = async (req: FastifyRequest) => {
      if (!deps.plannedStops) return;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ANNOUNCE_WAIT_MS} ms`)), ANNOUNCE_WAIT_MS);
      });
      try {
        await Promise.race([deps.plannedStops.announce(), late]);
      } catch (err) {
        req.log.error({ err }, 'planned stop change not announced; the rules worker picks it up at its next poll');
      } finally {
        clearTimeout(timer);
      }
    };

    app.post('/api/v1/enterprises/:id/stops', { schema: { params: enterprisePath, body: stopInput } }, async (req, reply) => {
      const who = await auth.authorize(req, 'ledger.write');
      const { id } = parse(enterprisePath, req.params, 'path');
      await inScope(who, id);
      const created = await stops.register(id, req.body, who.actor);
      await announce(req);
      req.log.info(
        { enterpriseId: id, stopId: created.id, scope: created.scope, targets: created.targets, kind: created.kind, actor: who.actor },
        'planned stop registered',
      );
      return reply.status(201).send(shown(created));
    });

    app.get('/api/v1/enterprises/:id/stops', { schema: { params: enterprisePath, querystring: listQuery } }, async (req) => {
      const who = await auth.authorize(req, 'monitoring.read');
      const { id } = parse(enterprisePath, req.params, 'path');
      const q = parse(listQuery, req.query, 'query');
      await inScope(who, id);
      return { stops: (await stops.list(id, { active: q.active, limit: q.limit, now: deps.clock.now() })).map(shown) };
    });

    app.get('/api/v1/enterprises/:id/stops/:stopId', { schema: { params: stopPath } }, async (req) => {
      const who = await auth.authorize(req, 'monitoring.read');
      const { id, stopId } = parse(stopPath, req.params, 'path');
      await inScope(who, id);
      const s = await stops.get(id, stopId);
      if (!s) throw new AppError('NOT_FOUND', `企业 ${id} 没有停产/检修记录 ${stopId} / stop ${stopId} of enterprise ${id} not found`);
      return shown(s);
    });

    for (const [action, verb] of [
      ['end', 'ended'],
      ['cancel', 'cancelled'],
    ] as const)
      app.post(`/api/v1/enterprises/:id/stops/:stopId/${action}`, { schema: { params: stopPath, body: stopCloseInput } }, async (req) => {
        const who = await auth.authorize(req, 'ledger.write');
        const { id, stopId } = parse(stopPath, req.params, 'path');
        await inScope(who, id);
        const s = action === 'end' ? await stops.end(id, stopId, req.body, who.actor) : await stops.cancel(id, stopId, req.body, who.actor);
        await announce(req);
        req.log.info({ enterpriseId: id, stopId, actor: who.actor }, `planned stop ${verb}`);
        return shown(s);
      });
  };
}
