/**
 * Alarm limits an enterprise registers (issue #3 point 1), admin token only:
 *
 *   PUT    /api/v1/rule-overrides   { enterpriseId, sensorId?, ruleId, params } → { override, loose }
 *   GET    /api/v1/rule-overrides?enterpriseId=                                → { overrides, loose }
 *   DELETE /api/v1/rule-overrides?enterpriseId=&ruleId=&sensorId=            → 204
 *
 * `params` is merged deeply into the rule's own (alerts/rules/overrides.ts);
 * a PUT replaces the registration with the same enterprise, sensor and rule.
 * A limit looser than the standard allows is accepted and stored as
 * registered, answered in `loose`, not used by the rules (the standard's
 * applies) and raised as a `common.loose_limit` alert by the rules worker.
 * Every change is announced on Redis (`${redisPrefix}registry-changed`,
 * message `overrides`); the worker also re-reads them every `rules.reloadIntervalMs`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import type { Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { PATTERNS } from '../alerts/patterns/index.ts';
import { applyOverride, findLooseOverrides, getPath, overrideSchema, type Catalogue, type Rule } from '../alerts/rules/index.ts';
import { OverrideStore, overrideOf } from '../alerts/rules/override-store.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';

/** What the platform passes (as `ApiDeps.ruleOverrides`) to switch these routes on. */
export interface RuleOverrideApiDeps {
  /** The catalogue the rules worker evaluates: `rules.catalogueFile` when set, else the shipped default. */
  catalogue: () => Promise<Catalogue>;
  /** Tells the rules worker and every API process that the overrides changed. A failure is logged; the worker's poll catches up. */
  announce: () => Promise<void>;
}

export interface RuleOverrideRouteDeps {
  db: Queryable;
  provisioning: { getSensor(enterpriseId: string, sensorId: string): Promise<unknown> };
  clock: { now(): number };
  ruleOverrides: RuleOverrideApiDeps;
}

/** How long a change waits for its announcement before answering anyway. */
const ANNOUNCE_WAIT_MS = 2000;

const listQuery = z.strictObject({ enterpriseId: idSchema.optional() });
const deleteQuery = z.strictObject({ enterpriseId: idSchema, ruleId: z.string().min(1), sensorId: idSchema.optional() });

/** The routes as a fastify plugin: `app.register(ruleOverrideApi({ auth }, deps))`. */
export function ruleOverrideApi(config: { auth: Authenticator }, deps: RuleOverrideRouteDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    const { auth } = config;
    const store = new OverrideStore(deps.db);

    /** Waits for the announcement (so a caller that then waits for the worker finds it delivered), at most ANNOUNCE_WAIT_MS. */
    const announce = async (req: FastifyRequest) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ANNOUNCE_WAIT_MS} ms`)), ANNOUNCE_WAIT_MS);
      });
      try {
        await Promise.race([deps.ruleOverrides.announce(), late]);
      } catch (err) {
        req.log.error({ err }, 'rule override change not announced; the rules worker picks it up at its next poll');
      } finally {
        clearTimeout(timer);
      }
    };

    /** The rule, or 400 naming the catalogue it is missing from. */
    const ruleOf = (catalogue: Catalogue, ruleId: string): Rule => {
      const rule = catalogue.rules.find((r) => r.id === ruleId);
      if (!rule) throw new AppError('BAD_REQUEST', `body: ruleId: unknown rule '${ruleId}' (rule catalogue version ${catalogue.version})`);
      return rule;
    };

    const requireTarget = async (enterpriseId: string, sensorId: string | undefined) => {
      const { rows } = await deps.db.query('SELECT 1 FROM enterprises WHERE id = $1', [enterpriseId]);
      if (rows.length === 0) throw new AppError('NOT_FOUND', `enterprise ${enterpriseId} not found`);
      if (sensorId !== undefined && !(await deps.provisioning.getSensor(enterpriseId, sensorId)))
        throw new AppError('NOT_FOUND', `sensor ${sensorId} of enterprise ${enterpriseId} not found`);
    };

    app.put('/api/v1/rule-overrides', { schema: { body: overrideSchema } }, async (req) => {
      const who = await auth.requireAdmin(req);
      const o = parse(overrideSchema, req.body, 'body');
      const catalogue = await deps.ruleOverrides.catalogue();
      const rule = ruleOf(catalogue, o.ruleId);
      await requireTarget(o.enterpriseId, o.sensorId);
      const scope = PATTERNS[rule.pattern].pattern.scope;
      if (o.sensorId !== undefined && scope !== 'point')
        throw new AppError(
          'BAD_REQUEST',
          `body: sensorId: rule ${rule.id} is evaluated per ${scope}, not per sensor; register it for the enterprise (without sensorId)`,
        );
      // A limit a standard bounds must be registered as a number: a reference (e.g. to the sensor's marks) could
      // resolve to nothing for some point and silently drop the level, and could not be checked against the standard.
      for (const l of rule.standardLimits) {
        const v = getPath(o.params, l.param);
        if (v !== undefined && typeof v !== 'number')
          throw new AppError('BAD_REQUEST', `body: params.${l.param}: must be a number (the limit is bounded by ${l.standard})`);
      }
      const applied = applyOverride(rule, o);
      if (!applied.ok) throw new AppError('BAD_REQUEST', `body: ${applied.errors.join('; ')}`, { details: applied.errors });
      const override = await store.upsert(o, who.actor, deps.clock.now()).catch((err: unknown) => {
        // The enterprise was removed after the check above.
        if ((err as { code?: string }).code === '23503') throw new AppError('NOT_FOUND', `enterprise ${o.enterpriseId} not found`, { cause: err });
        throw err;
      });
      await announce(req);
      const loose = findLooseOverrides(catalogue, [o]);
      req.log.info(
        { enterpriseId: o.enterpriseId, sensorId: o.sensorId, ruleId: o.ruleId, loose: loose.map((l) => l.param), actor: who.actor },
        'rule override registered',
      );
      return { override, loose };
    });

    app.get('/api/v1/rule-overrides', { schema: { querystring: listQuery } }, async (req) => {
      await auth.requireAdmin(req);
      const q = parse(listQuery, req.query, 'query');
      const overrides = await store.list(q.enterpriseId);
      const catalogue = await deps.ruleOverrides.catalogue();
      // and the catalogue's rules by name, for the admin's rule select
      return { overrides, loose: findLooseOverrides(catalogue, overrides.map(overrideOf)), rules: catalogue.rules.map((r) => ({ id: r.id, name: r.name })) };
    });

    app.delete('/api/v1/rule-overrides', { schema: { querystring: deleteQuery } }, async (req, reply) => {
      const who = await auth.requireAdmin(req);
      const q = parse(deleteQuery, req.query, 'query');
      const removed = await store.delete(q, who.actor, deps.clock.now());
      if (!removed) {
        const target = q.sensorId === undefined ? `enterprise ${q.enterpriseId}` : `sensor ${q.sensorId} of enterprise ${q.enterpriseId}`;
        throw new AppError('NOT_FOUND', `no override of rule ${q.ruleId} registered for ${target}`);
      }
      await announce(req);
      req.log.info({ enterpriseId: q.enterpriseId, sensorId: q.sensorId, ruleId: q.ruleId, actor: who.actor }, 'rule override removed');
      return reply.status(204).send();
    });
  };
}
