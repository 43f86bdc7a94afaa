/**
 * One request per route of `ROUTES` (api/openapi.ts) for the enterprise roles' authorization test
 * (authorization-enterprise.test.ts), keyed as `ROUTES` is: that test fails when a route has no case here, so a
 * route added later must add one; authorization.test.ts checks through it that the permissions no officer role
 * has are tested. A case builds the request for a caller of the enterprise "inside" (its own) or "outside"
 * (another), preparing what it needs through `RouteContext`.
 *
 * - `refused(key)`: a route no enterprise role may call (bureau-internal or admin): the request is the route's
 *   path with the enterprise put in, and the server's access check answers 403 before anything else is read.
 * - An allowed route says whether it names an enterprise (`names: 'enterprise'`: 404 outside) or not (a list or
 *   the stream: scoped to the caller's own enterprise, checked by `check`), and its success status.
 * - A public route is answered to an enterprise user as to anyone (the same status as without a token).
 */
import type { EnterpriseRole } from '../../../api/roles.ts';

export type Where = 'inside' | 'outside';
type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RouteRequest {
  method: Method;
  url: string;
  body?: unknown;
  /** Sent instead of the role's token (a user made for this request). */
  token?: string;
  /** The live stream: opened over a socket, not `app.inject` (it never ends by itself). */
  stream?: boolean;
  /** Extra request headers (a file upload's content type). */
  headers?: Record<string, string>;
}

export interface RouteContext {
  role: EnterpriseRole;
  /** The enterprise id: the caller's own (inside) or another's (outside). */
  enterprise(where: Where): string;
  /** A fresh firing alert of the enterprise, handed to it to answer first (its response record open). */
  alert(where: Where): Promise<string>;
  /** A photo attached to a fresh alert of the enterprise (by one of its users). */
  attachment(where: Where): Promise<string>;
  /** A hazard of a self-inspection report of the enterprise, not yet rectified. */
  selfReportedHazard(where: Where): Promise<string>;
  /** A planned stop registered for the enterprise. */
  stop(where: Where): string;
  /** A sensor of each enterprise (readings). */
  sensor: string;
  /** A new enterprise user of the role (inside), with a console password. */
  freshUser(): Promise<{ id: string; token: string; password: string }>;
}

export interface RouteCase {
  /** 'refused': no enterprise role may call it; 'public' and 'session': as anyone and any signed-in user. */
  kind: 'refused' | 'public' | 'session' | 'allowed';
  /** An allowed route: 'enterprise' if the request names an enterprise (outside: 404), 'none' if not (scoped lists). */
  names?: 'enterprise' | 'none';
  /** The status of success (allowed and session routes). */
  ok?: number;
  request(c: RouteContext, where: Where): RouteRequest | Promise<RouteRequest>;
  /** A check of an allowed route's successful answer (e.g. nothing of another enterprise). */
  check?(body: unknown, c: RouteContext): void;
}

/** The route's path with the enterprise of `where` for its enterprise parameter and `x` for the others. */
export function pathOf(key: string, enterpriseId: string): { method: Method; url: string } {
  const [method, path] = key.split(' ') as [Method, string];
  const url = path.replace(/:(id|enterpriseId)(?=\/|$)/, enterpriseId).replace(/:[A-Za-z]+/g, 'x');
  return { method, url };
}

const refused = (key: string): RouteCase => ({
  kind: 'refused',
  request: (c, w) => ({ ...pathOf(key, c.enterprise(w)), ...(key.startsWith('GET ') ? {} : { body: {} }) }),
});
/** The calendar quarter now, in China Standard Time (`2026-Q4`). */
export const currentQuarter = (now = Date.now()): string => {
  const d = new Date(now + 8 * 3_600_000);
  return `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
};

const pub = (request: RouteCase['request']): RouteCase => ({ kind: 'public', request });
const get = (url: string): RouteRequest => ({ method: 'GET', url });

/** Throws unless every item of `list` is of the caller's own enterprise (and there is at least one). */
const onlyOwn = (list: { enterpriseId: string }[] | undefined, c: RouteContext): void => {
  if (!list || list.length === 0) throw new Error('expected at least one item of the own enterprise');
  const other = list.find((x) => x.enterpriseId !== c.enterprise('inside'));
  if (other) throw new Error(`an item of enterprise ${other.enterpriseId} was shown`);
};

export const ENTERPRISE_ROUTE_CASES: Record<string, RouteCase> = {
  'GET /': pub(() => get('/')),
  'GET /console/app.js': pub(() => get('/console/app.js')),
  'GET /console/app.css': pub(() => get('/console/app.css')),
  'GET /console/charts.js': pub(() => get('/console/charts.js')),
  'GET /console/map.js': pub(() => get('/console/map.js')),
  'GET /manifest.webmanifest': pub(() => get('/manifest.webmanifest')),
  'GET /sw.js': pub(() => get('/sw.js')),
  'GET /console/icon-192.png': pub(() => get('/console/icon-192.png')),
  'GET /console/icon-512.png': pub(() => get('/console/icon-512.png')),
  'GET /health': pub(() => get('/health')),
  'GET /metrics': pub(() => get('/metrics')),
  'GET /api/v1/openapi.json': pub(() => get('/api/v1/openapi.json')),
  'GET /api/v1/vocabulary': pub(() => get('/api/v1/vocabulary')),
  'GET /api/docs': pub(() => get('/api/docs')),
  'POST /api/v1/session': pub(async (c) => {
    const u = await c.freshUser();
    return { method: 'POST', url: '/api/v1/session', body: { username: u.id, password: u.password } };
  }),
  'GET /api/v1/session': {
    kind: 'public',
    request: () => get('/api/v1/session'),
    check: (body, c) => {
      const user = (body as { user: { enterpriseId?: string; enterpriseName?: string } | null }).user;
      if (user && (user.enterpriseId !== c.enterprise('inside') || !user.enterpriseName))
        throw new Error(`the session does not name the enterprise: ${JSON.stringify(user)}`);
    },
  },
  'DELETE /api/v1/session': { kind: 'session', ok: 204, request: () => ({ method: 'DELETE', url: '/api/v1/session' }) },
  // its own enterprise's name, never another's
  'GET /api/v1/names': {
    kind: 'session',
    ok: 200,
    request: (c) => get(`/api/v1/names?enterprises=${c.enterprise('inside')},${c.enterprise('outside')}`),
    check: (body, c) => {
      const named = Object.keys((body as { enterprises: Record<string, string> }).enterprises);
      if (named.join() !== c.enterprise('inside')) throw new Error(`names of ${named.join()} were given`);
    },
  },
  'POST /api/v1/session/password': {
    kind: 'session',
    ok: 204,
    request: async (c) => {
      const u = await c.freshUser();
      return { method: 'POST', url: '/api/v1/session/password', token: u.token, body: { current: u.password, next: `${u.password}-new` } };
    },
  },
  'POST /api/v1/officers/:id/password': refused('POST /api/v1/officers/:id/password'),
  'POST /api/v1/officers': refused('POST /api/v1/officers'),
  'GET /api/v1/officers': refused('GET /api/v1/officers'),
  'POST /api/v1/enterprise-users/import': refused('POST /api/v1/enterprise-users/import'),
  'POST /api/v1/officers/:id/unlock': refused('POST /api/v1/officers/:id/unlock'),
  'POST /api/v1/officers/:id/disable': refused('POST /api/v1/officers/:id/disable'),
  'POST /api/v1/authorities': refused('POST /api/v1/authorities'),
  'GET /api/v1/authorities': refused('GET /api/v1/authorities'),
  'POST /api/v1/enterprises': refused('POST /api/v1/enterprises'),
  'PATCH /api/v1/enterprises/:id': refused('PATCH /api/v1/enterprises/:id'),
  'POST /api/v1/gateways': refused('POST /api/v1/gateways'),
  'POST /api/v1/gateways/:id/rotate-secret': refused('POST /api/v1/gateways/:id/rotate-secret'),
  'POST /api/v1/gateways/:id/disable': refused('POST /api/v1/gateways/:id/disable'),
  'POST /api/v1/gateways/:id/enable': refused('POST /api/v1/gateways/:id/enable'),
  'GET /api/v1/gateways': refused('GET /api/v1/gateways'),
  'POST /api/v1/sensors': refused('POST /api/v1/sensors'),
  'GET /api/v1/coverage': { kind: 'allowed', names: 'enterprise', ok: 200, request: (c, w) => get(`/api/v1/coverage?enterpriseId=${c.enterprise(w)}`) },
  'POST /api/v1/enterprises/:id/hazard-sources': refused('POST /api/v1/enterprises/:id/hazard-sources'),
  'PATCH /api/v1/enterprises/:id/hazard-sources/:code': refused('PATCH /api/v1/enterprises/:id/hazard-sources/:code'),
  'DELETE /api/v1/enterprises/:id/hazard-sources/:code': refused('DELETE /api/v1/enterprises/:id/hazard-sources/:code'),
  'GET /api/v1/risk-warnings': {
    kind: 'allowed',
    names: 'none',
    ok: 200,
    request: () => get('/api/v1/risk-warnings'),
    check: (body, c) => {
      const other = (body as { warnings: { enterpriseId: string }[] }).warnings.find((x) => x.enterpriseId !== c.enterprise('inside'));
      if (other) throw new Error(`a warning of enterprise ${other.enterpriseId} was shown`);
    },
  },
  'GET /api/v1/enterprises/:enterpriseId/risk-warnings': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: (c, w) => get(`/api/v1/enterprises/${c.enterprise(w)}/risk-warnings`),
  },
  'GET /api/v1/enterprises/:enterpriseId/sensors': refused('GET /api/v1/enterprises/:enterpriseId/sensors'),
  'PATCH /api/v1/enterprises/:enterpriseId/sensors/:sensorId': refused('PATCH /api/v1/enterprises/:enterpriseId/sensors/:sensorId'),
  'POST /api/v1/enterprises/:enterpriseId/sensors/:sensorId/stop': refused('POST /api/v1/enterprises/:enterpriseId/sensors/:sensorId/stop'),
  'POST /api/v1/enterprises/:enterpriseId/sensors/:sensorId/resume': refused('POST /api/v1/enterprises/:enterpriseId/sensors/:sensorId/resume'),
  'GET /api/v1/dead-letters': refused('GET /api/v1/dead-letters'),
  'PUT /api/v1/rule-overrides': refused('PUT /api/v1/rule-overrides'),
  'GET /api/v1/rule-overrides': refused('GET /api/v1/rule-overrides'),
  'DELETE /api/v1/rule-overrides': refused('DELETE /api/v1/rule-overrides'),

  'GET /api/v1/alerts': {
    kind: 'allowed',
    names: 'none',
    ok: 200,
    request: async (c) => {
      await c.alert('inside');
      await c.alert('outside');
      return get('/api/v1/alerts?limit=500');
    },
    check: (body, c) => onlyOwn((body as { alerts: { enterpriseId: string }[] }).alerts, c),
  },
  'GET /api/v1/alerts/stream': { kind: 'allowed', names: 'none', ok: 200, request: () => ({ ...get('/api/v1/alerts/stream'), stream: true }) },
  'GET /api/v1/alerts/:id': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: async (c, w) => get(`/api/v1/alerts/${await c.alert(w)}`),
    check: (body) => {
      if ('acknowledgeNote' in (body as { alert: object }).alert || 'escalations' in (body as { alert: object }).alert)
        throw new Error('the bureau’s parts of the alert were shown');
    },
  },
  'GET /api/v1/alerts/:id/response': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: async (c, w) => get(`/api/v1/alerts/${await c.alert(w)}/response`),
    check: (body) => {
      const b = body as { response: { state: string } | null; verifications: unknown[] };
      if (b.response?.state !== 'awaiting_sign') throw new Error('expected the open response of a handed alarm');
      if (b.verifications.length !== 0) throw new Error('the bureau’s verification notes were shown');
    },
  },
  'POST /api/v1/alerts/:id/sign': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: async (c, w) => ({ method: 'POST', url: `/api/v1/alerts/${await c.alert(w)}/sign`, body: {} }),
  },
  'POST /api/v1/alerts/:id/feedback': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: async (c, w) => ({
      method: 'POST',
      url: `/api/v1/alerts/${await c.alert(w)}/feedback`,
      body: { cause: 'process_fluctuation', measures: '进料波动，已调整' },
    }),
  },
  'POST /api/v1/alerts/:id/clear-request': {
    kind: 'allowed',
    names: 'enterprise',
    // the alarm has no feedback yet: the enterprise may ask, and is told what comes first (409), never 403/404 inside
    ok: 409,
    request: async (c, w) => ({ method: 'POST', url: `/api/v1/alerts/${await c.alert(w)}/clear-request`, body: {} }),
  },
  'POST /api/v1/alerts/:id/review': refused('POST /api/v1/alerts/:id/review'),
  'POST /api/v1/alerts/:id/verifications': refused('POST /api/v1/alerts/:id/verifications'),
  'GET /api/v1/response-policy': { kind: 'allowed', names: 'none', ok: 200, request: () => get('/api/v1/response-policy') },
  'POST /api/v1/alerts/:id/attachments': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 201,
    request: async (c, w) => ({
      method: 'POST',
      url: `/api/v1/alerts/${await c.alert(w)}/attachments?name=photo.png`,
      headers: { 'content-type': 'image/png' },
      body: Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(64)]),
    }),
  },
  'GET /api/v1/alerts/:id/attachments': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: async (c, w) => get(`/api/v1/alerts/${await c.alert(w)}/attachments`),
  },
  'GET /api/v1/attachments/:id': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: async (c, w) => get(`/api/v1/attachments/${await c.attachment(w)}`),
  },
  'POST /api/v1/enterprises/:id/self-inspections': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 201,
    request: (c, w) => ({
      method: 'POST',
      url: `/api/v1/enterprises/${c.enterprise(w)}/self-inspections`,
      body: { period: currentQuarter(), summary: '安全副总带队检查罐区', hazards: [] },
    }),
  },
  'GET /api/v1/enterprises/:id/self-inspections': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: (c, w) => get(`/api/v1/enterprises/${c.enterprise(w)}/self-inspections`),
  },
  'POST /api/v1/enterprises/:id/self-reported-hazards/:hazardId/rectified': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: async (c, w) => ({
      method: 'POST',
      url: `/api/v1/enterprises/${c.enterprise(w)}/self-reported-hazards/${await c.selfReportedHazard(w)}/rectified`,
      body: { note: '已更换探头并标定' },
    }),
  },
  // an enterprise user's scope is its own enterprise: whether it is late itself
  'GET /api/v1/self-inspections/overdue': { kind: 'allowed', names: 'none', ok: 200, request: () => get('/api/v1/self-inspections/overdue') },

  'GET /api/v1/enterprises/:id/notify-settings': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    // the safety manager keeps the settings; a responsible person is refused (403, by permission)
    request: (c, w) => get(`/api/v1/enterprises/${c.enterprise(w)}/notify-settings`),
  },
  'PUT /api/v1/enterprises/:id/notify-settings': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: (c, w) => ({ method: 'PUT', url: `/api/v1/enterprises/${c.enterprise(w)}/notify-settings`, body: { wecom: { key: 'e2e-wecom-key-0001' } } }),
  },
  'GET /api/v1/alerts/:id/deliveries': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: async (c, w) => get(`/api/v1/alerts/${await c.alert(w)}/deliveries`),
  },

  'POST /api/v1/alerts/:id/acknowledge': refused('POST /api/v1/alerts/:id/acknowledge'),
  'POST /api/v1/alerts/:id/escalate': refused('POST /api/v1/alerts/:id/escalate'),
  'POST /api/v1/alerts/:id/dispose': refused('POST /api/v1/alerts/:id/dispose'),
  'POST /api/v1/alerts/:id/shelve': refused('POST /api/v1/alerts/:id/shelve'),
  'POST /api/v1/alerts/:id/unshelve': refused('POST /api/v1/alerts/:id/unshelve'),

  'GET /api/v1/tasks': refused('GET /api/v1/tasks'),
  'GET /api/v1/tasks/:id': refused('GET /api/v1/tasks/:id'),
  'GET /api/v1/tasks/:id/inspectors': refused('GET /api/v1/tasks/:id/inspectors'),
  'POST /api/v1/tasks': refused('POST /api/v1/tasks'),
  'POST /api/v1/tasks/:id/assign': refused('POST /api/v1/tasks/:id/assign'),
  'POST /api/v1/tasks/:id/accept': refused('POST /api/v1/tasks/:id/accept'),
  'POST /api/v1/tasks/:id/arrive': refused('POST /api/v1/tasks/:id/arrive'),
  'POST /api/v1/tasks/:id/findings': refused('POST /api/v1/tasks/:id/findings'),
  'POST /api/v1/tasks/:id/rectification': refused('POST /api/v1/tasks/:id/rectification'),
  'POST /api/v1/tasks/:id/recheck': refused('POST /api/v1/tasks/:id/recheck'),
  'POST /api/v1/tasks/:id/escalate': refused('POST /api/v1/tasks/:id/escalate'),
  'POST /api/v1/tasks/:id/attachments': refused('POST /api/v1/tasks/:id/attachments'),
  'GET /api/v1/tasks/:id/attachments': refused('GET /api/v1/tasks/:id/attachments'),
  'POST /api/v1/tasks/:id/verify-remotely': refused('POST /api/v1/tasks/:id/verify-remotely'),
  'POST /api/v1/tasks/:id/convert': refused('POST /api/v1/tasks/:id/convert'),

  'GET /api/v1/enterprises': refused('GET /api/v1/enterprises'),
  'GET /api/v1/map/area': refused('GET /api/v1/map/area'),
  'GET /api/v1/enterprises/:id/file': refused('GET /api/v1/enterprises/:id/file'),
  'GET /api/v1/enterprises/:id/hazard-sources': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: (c, w) => get(`/api/v1/enterprises/${c.enterprise(w)}/hazard-sources`),
  },
  'GET /api/v1/enterprises/:id/ledger': refused('GET /api/v1/enterprises/:id/ledger'),
  'PATCH /api/v1/enterprises/:id/ledger': refused('PATCH /api/v1/enterprises/:id/ledger'),
  'GET /api/v1/enterprises/:id/inspection-summary': refused('GET /api/v1/enterprises/:id/inspection-summary'),
  'POST /api/v1/enterprises/import': refused('POST /api/v1/enterprises/import'),
  'POST /api/v1/enterprises/:enterpriseId/points/import': refused('POST /api/v1/enterprises/:enterpriseId/points/import'),
  'GET /api/v1/enterprises/:enterpriseId/points/export': refused('GET /api/v1/enterprises/:enterpriseId/points/export'),
  'POST /api/v1/enterprises/:id/stops': refused('POST /api/v1/enterprises/:id/stops'),
  'GET /api/v1/enterprises/:id/stops': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: (c, w) => get(`/api/v1/enterprises/${c.enterprise(w)}/stops`),
    check: (body, c) => onlyOwn((body as { stops: { enterpriseId: string }[] }).stops, c),
  },
  'GET /api/v1/enterprises/:id/stops/:stopId': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: (c, w) => get(`/api/v1/enterprises/${c.enterprise(w)}/stops/${c.stop(w)}`),
  },
  'POST /api/v1/enterprises/:id/stops/:stopId/end': refused('POST /api/v1/enterprises/:id/stops/:stopId/end'),
  'POST /api/v1/enterprises/:id/stops/:stopId/cancel': refused('POST /api/v1/enterprises/:id/stops/:stopId/cancel'),
  'POST /api/v1/inspections': refused('POST /api/v1/inspections'),
  'GET /api/v1/enterprises/:enterpriseId/sensors/:sensorId/readings': {
    kind: 'allowed',
    names: 'enterprise',
    ok: 200,
    request: (c, w) => get(`/api/v1/enterprises/${c.enterprise(w)}/sensors/${c.sensor}/readings`),
  },

  'GET /api/v1/stats': refused('GET /api/v1/stats'),
  'GET /api/v1/alarm-quality': refused('GET /api/v1/alarm-quality'),
  'GET /api/v1/kpis': refused('GET /api/v1/kpis'),
  'GET /api/v1/reports/monthly': refused('GET /api/v1/reports/monthly'),
  'GET /api/v1/audit': refused('GET /api/v1/audit'),
  'GET /api/v1/audit/verify': refused('GET /api/v1/audit/verify'),
};
