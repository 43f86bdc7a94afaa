/**
 * The admin's routes over the ledger (the admin token or an admin user; the
 * actor of each change is who it was): authorities, enterprises (and their
 * identity: credit code, address, coordinates, safety manager; and their
 * major hazard sources, 重大危险源: create, change, delete), gateways
 * (provision — the secret is shown once —, rotate, revoke, restore), sensors
 * with the rules now watching them, the officers' list, and dead letters.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { idSchema, topics } from '../core/contract.ts';
import type { Db } from '../core/db/db.ts';
import { listDeadLetters } from '../ingest/dead-letters.ts';
import { officerListQuery, type Officers } from '../ledger/officers.ts';
import {
  authorityInput,
  enterpriseInput,
  gatewayInput,
  hazardSourceInput,
  hazardSourcePatch,
  hazardSourcePath,
  identityPatch,
  sensorInput,
  sensorPatch,
  stopInput,
  type Provisioning,
} from '../ledger/provisioning.ts';
import type { Authenticator } from './auth.ts';
import { sensorCoverage, warningsOf, type CoverageDeps } from './coverage.ts';
import { parse } from './parse.ts';

/** Where a gateway connects (the broker's listeners as the platform runs them): for the provisioning answer's instructions. */
export interface MqttListeners {
  /** The plain MQTT port (undefined when `mqtt.plain` is off). */
  plainPort?: number;
  /** The MQTT over TLS port (undefined without `mqtt.tls`). */
  tlsPort?: number;
}

export interface ProvisioningRouteDeps {
  provisioning: Provisioning;
  /** The broker's listeners now (undefined: not known to this process, the console then says so). */
  mqttListeners?: () => MqttListeners | undefined;
  officers: Officers;
  db: Db;
  coverage: CoverageDeps;
}

export function provisioningApi(config: { auth: Authenticator }, deps: ProvisioningRouteDeps) {
  const { auth } = config;
  return async (admin: FastifyInstance): Promise<void> => {
    // the admin token or an admin user; the actor of each change is who it was
    const actors = new WeakMap<FastifyRequest, string>();
    admin.addHook('onRequest', async (req) => {
      actors.set(req, (await auth.requireAdmin(req)).actor);
    });
    const actor = (req: FastifyRequest): string => actors.get(req) ?? 'user:admin';
    const p = deps.provisioning;
    const gatewayPath = z.object({ id: idSchema });
    const enterprisePath = z.object({ id: idSchema });
    const gatewaysQuery = z.strictObject({ enterpriseId: idSchema.optional() });
    const sensorsPath = z.object({ enterpriseId: idSchema });
    const sensorPath = z.object({ enterpriseId: idSchema, sensorId: idSchema });
    const deadLettersQuery = z.strictObject({ gatewayId: idSchema.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });

    admin.post('/api/v1/authorities', { schema: { body: authorityInput } }, async (req, reply) =>
      reply.status(201).send(await p.createAuthority(req.body, actor(req))),
    );
    // every authority (执法主体), for the admin's selects: id, name, level, parent
    admin.get('/api/v1/authorities', async () => ({
      authorities: (
        await deps.db.query<{ id: string; name: string; level: string; parent_id: string | null }>(
          'SELECT id, name, level, parent_id FROM authorities ORDER BY id',
        )
      ).rows.map((r) => ({ id: r.id, name: r.name, level: r.level, parentId: r.parent_id })),
    }));
    admin.post('/api/v1/enterprises', { schema: { body: enterpriseInput } }, async (req, reply) =>
      reply.status(201).send(await p.createEnterprise(req.body, actor(req))),
    );
    // the enterprise's identity on record: credit code, address, coordinates, safety manager (absent: unchanged; null: cleared)
    admin.patch('/api/v1/enterprises/:id', { schema: { params: enterprisePath, body: identityPatch } }, async (req) => {
      const { id } = parse(enterprisePath, req.params, 'path');
      const identity = await p.updateEnterpriseIdentity(id, req.body, actor(req));
      req.log.info({ enterpriseId: id, fields: Object.keys(req.body as object), actor: actor(req) }, 'enterprise identity updated');
      return { id, ...identity };
    });
    // major hazard sources (重大危险源): level checked against R (GB 18218-2018), the three responsible persons with phones
    admin.post('/api/v1/enterprises/:id/hazard-sources', { schema: { params: enterprisePath, body: hazardSourceInput } }, async (req, reply) => {
      const { id } = parse(enterprisePath, req.params, 'path');
      const created = await p.createHazardSource(id, req.body, actor(req));
      req.log.info({ enterpriseId: id, code: created.code, level: created.level, actor: actor(req) }, 'major hazard source registered');
      return reply.status(201).send(created);
    });
    admin.patch('/api/v1/enterprises/:id/hazard-sources/:code', { schema: { params: hazardSourcePath, body: hazardSourcePatch } }, async (req) => {
      const { id, code } = parse(hazardSourcePath, req.params, 'path');
      const updated = await p.updateHazardSource(id, code, req.body, actor(req));
      req.log.info({ enterpriseId: id, code, fields: Object.keys(req.body as object), actor: actor(req) }, 'major hazard source updated');
      return updated;
    });
    admin.delete('/api/v1/enterprises/:id/hazard-sources/:code', { schema: { params: hazardSourcePath } }, async (req, reply) => {
      const { id, code } = parse(hazardSourcePath, req.params, 'path');
      await p.deleteHazardSource(id, code, actor(req));
      req.log.info({ enterpriseId: id, code, actor: actor(req) }, 'major hazard source deleted');
      return reply.status(204).send();
    });
    // how the gateway connects, with its secret: the broker's ports, its client id and username, its topics (core/contract.ts)
    const connection = (enterpriseId: string, gatewayId: string) => ({
      mqtt: deps.mqttListeners?.() ?? null,
      clientId: gatewayId,
      username: gatewayId,
      publishes: {
        readings: topics.readings(enterpriseId, gatewayId),
        signals: topics.signals(enterpriseId, gatewayId),
        status: topics.status(enterpriseId, gatewayId),
      },
      subscribes: topics.commands(enterpriseId, gatewayId),
    });
    admin.post('/api/v1/gateways', { schema: { body: gatewayInput } }, async (req, reply) => {
      const created = await p.createGateway(req.body, actor(req));
      req.log.info({ gatewayId: created.id, enterpriseId: created.enterpriseId, actor: actor(req) }, 'gateway provisioned');
      return reply
        .status(201)
        .header('cache-control', 'no-store')
        .send({ ...created, connection: connection(created.enterpriseId, created.id) });
    });
    admin.post('/api/v1/gateways/:id/rotate-secret', { schema: { params: gatewayPath } }, async (req, reply) => {
      const { id } = parse(gatewayPath, req.params, 'path');
      const rotated = await p.rotateGatewaySecret(id, actor(req));
      const gw = (await deps.db.query<{ enterprise_id: string }>('SELECT enterprise_id FROM gateways WHERE id = $1', [id])).rows[0];
      return reply.header('cache-control', 'no-store').send({ ...rotated, ...(gw ? { connection: connection(gw.enterprise_id, id) } : {}) });
    });
    // revoke (the broker refuses it from the next connection on; its sessions are dropped) and restore
    for (const [path, disabled] of [
      ['disable', true],
      ['enable', false],
    ] as const)
      admin.post(`/api/v1/gateways/:id/${path}`, { schema: { params: gatewayPath } }, async (req, reply) => {
        const { id } = parse(gatewayPath, req.params, 'path');
        await p.setGatewayDisabled(id, disabled, actor(req));
        req.log.info({ gatewayId: id, disabled, actor: actor(req) }, disabled ? 'gateway disabled' : 'gateway enabled');
        return reply.status(204).send();
      });
    admin.get('/api/v1/gateways', { schema: { querystring: gatewaysQuery } }, async (req) => {
      const q = parse(gatewaysQuery, req.query, 'query');
      return { gateways: await p.listGateways(q.enterpriseId) };
    });
    // the answer shows the rules now watching the point (resolved as the rules worker does) and warns when none or only defaults do
    admin.post('/api/v1/sensors', { schema: { body: sensorInput } }, async (req, reply) => {
      const created = await p.createSensor(req.body, actor(req));
      const c = await sensorCoverage(deps.coverage, created.enterpriseId, created.id);
      const coverage = c ? { status: c.status, effectiveRules: c.rules, notApplied: c.notApplied } : undefined;
      return reply.status(201).send({ ...created, ...coverage, warnings: c ? warningsOf(c) : [] });
    });
    // the point registry: change a point (null clears a field; links are replaced), stop it on record (停用) and resume it
    admin.patch('/api/v1/enterprises/:enterpriseId/sensors/:sensorId', { schema: { params: sensorPath, body: sensorPatch } }, async (req) => {
      const { enterpriseId, sensorId } = parse(sensorPath, req.params, 'path');
      const updated = await p.updateSensor(enterpriseId, sensorId, req.body, actor(req));
      req.log.info({ enterpriseId, sensorId, fields: Object.keys(req.body as object), actor: actor(req) }, 'point updated');
      const c = await sensorCoverage(deps.coverage, enterpriseId, sensorId);
      return { ...updated, ...(c ? { status: c.status, effectiveRules: c.rules } : {}), warnings: c ? warningsOf(c) : [] };
    });
    admin.post('/api/v1/enterprises/:enterpriseId/sensors/:sensorId/stop', { schema: { params: sensorPath, body: stopInput } }, async (req) => {
      const { enterpriseId, sensorId } = parse(sensorPath, req.params, 'path');
      const stopped = await p.setPointStopped(enterpriseId, sensorId, req.body, actor(req));
      req.log.info({ enterpriseId, sensorId, reason: stopped.stopped?.reason, actor: actor(req) }, 'point stopped on record');
      return stopped;
    });
    admin.post('/api/v1/enterprises/:enterpriseId/sensors/:sensorId/resume', { schema: { params: sensorPath } }, async (req) => {
      const { enterpriseId, sensorId } = parse(sensorPath, req.params, 'path');
      const resumed = await p.setPointStopped(enterpriseId, sensorId, null, actor(req));
      req.log.info({ enterpriseId, sensorId, actor: actor(req) }, 'point back in use');
      return resumed;
    });
    admin.get('/api/v1/enterprises/:enterpriseId/sensors', { schema: { params: sensorsPath } }, async (req) => {
      const { enterpriseId } = parse(sensorsPath, req.params, 'path');
      return { sensors: await p.listSensors(enterpriseId) };
    });
    // every user, or one enterprise's (?enterpriseId=): each with its enterprise, phone, whether disabled and has a password
    admin.get('/api/v1/officers', { schema: { querystring: officerListQuery } }, async (req) => ({
      officers: await deps.officers.list(parse(officerListQuery, req.query, 'query')),
    }));

    admin.get('/api/v1/dead-letters', { schema: { querystring: deadLettersQuery } }, async (req) => {
      const q = parse(deadLettersQuery, req.query, 'query');
      return { deadLetters: await listDeadLetters(deps.db, q) };
    });
  };
}
