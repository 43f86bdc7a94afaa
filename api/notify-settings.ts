/**
 * An enterprise's notification channels (issue #18, domain rule 13) and the
 * record of what was sent for an alarm:
 *
 *   GET /api/v1/enterprises/:id/notify-settings   → the settings, secrets masked                 notify.settings
 *   PUT /api/v1/enterprises/:id/notify-settings   { sms?, dingtalk?, wecom?, grades? } (merge)   notify.settings
 *   GET /api/v1/alerts/:id/deliveries             → { deliveries } per event × channel           alerts.read
 *
 * `notify.settings` is the enterprise's safety manager (its own enterprise)
 * and the admin. An enterprise outside the caller's scope is answered 404 like
 * a missing one; so is an alert (the alert queries' scoped `get`). Secrets (the
 * DingTalk webhook's access_token and 加签 secret, the WeCom key) are never
 * returned: only whether each is set and its last 4 characters. Each change is
 * audited (`notify_settings.updated`, without the secrets).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AlertQueries } from '../alerts/query.ts';
import { deliveriesOf, EnterpriseSettingsStore, maskedSettings, notifySettingsInput } from '../alerts/notify/index.ts';
import { idSchema } from '../core/contract.ts';
import type { Db } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { enterpriseInScope } from '../core/jurisdiction.ts';
import { alertPath } from './alert-params.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';

export interface NotifySettingsRouteDeps {
  db: Db;
  clock: { now(): number };
  /** config `notify.allowInsecureChannelUrls` (http:// robot webhooks for tests and development). Default false. */
  notifySettings?: { allowInsecureUrls: boolean } | undefined;
}

const enterprisePath = z.strictObject({ id: idSchema });

export function notifySettingsApi(config: { auth: Authenticator }, deps: NotifySettingsRouteDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    const { auth } = config;
    const store = new EnterpriseSettingsStore(deps.db, deps.clock, { allowInsecureUrls: deps.notifySettings?.allowInsecureUrls ?? false });
    const alerts = new AlertQueries(deps.db);

    const inScope = async (scope: Parameters<typeof enterpriseInScope>[1], id: string): Promise<void> => {
      if (!(await enterpriseInScope(deps.db, scope, id))) throw new AppError('NOT_FOUND', `企业 ${id} 不存在 / enterprise ${id} not found`);
    };

    app.get('/api/v1/enterprises/:id/notify-settings', { schema: { params: enterprisePath } }, async (req) => {
      const who = await auth.authorize(req, 'notify.settings');
      const { id } = parse(enterprisePath, req.params, 'path');
      await inScope(who.scope, id);
      return maskedSettings(await store.get(id), id);
    });

    app.put('/api/v1/enterprises/:id/notify-settings', { schema: { params: enterprisePath, body: notifySettingsInput } }, async (req) => {
      const who = await auth.authorize(req, 'notify.settings');
      const { id } = parse(enterprisePath, req.params, 'path');
      const body = parse(notifySettingsInput, req.body, 'body');
      await inScope(who.scope, id);
      const saved = await store.update(id, body, who.actor);
      req.log.info(
        {
          enterpriseId: id,
          actor: who.actor,
          sms: saved.sms.enabled,
          dingtalk: saved.dingtalk !== undefined,
          wecom: saved.wecom !== undefined,
          grades: saved.grades,
        },
        'enterprise notification settings updated',
      );
      return maskedSettings(saved, id);
    });

    app.get('/api/v1/alerts/:id/deliveries', { schema: { params: alertPath } }, async (req) => {
      const who = await auth.authorize(req, 'alerts.read');
      const { id } = parse(alertPath, req.params, 'path');
      const alert = await alerts.get(who.scope, id);
      if (!alert) throw new AppError('NOT_FOUND', `报警 ${id} 不存在 / alert ${id} not found`);
      return { deliveries: await deliveriesOf(deps.db, id) };
    });
  };
}
