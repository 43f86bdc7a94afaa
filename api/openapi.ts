/**
 * The API's OpenAPI 3.1 description, served at `GET /api/v1/openapi.json`
 * (and readable at `GET /api/docs`). Every route the server registers must
 * have an entry in `ROUTES` — `undocumented()` lists those that do not, and
 * a test keeps it empty — with its summary in Chinese and English, who may
 * call it (a permission of `roles.ts`, `admin`, `session` or `public`), and
 * its request schemas, generated from the same zod schemas that validate
 * the requests.
 */
import { z } from 'zod';
import { overrideSchema } from '../alerts/rules/overrides.ts';
import { authorityInput, enterpriseInput, gatewayInput, sensorInput } from '../ledger/provisioning.ts';
import { inspectionInput } from '../inspections/inspection-records.ts';
import { ledgerPatch } from '../ledger/enterprise-facts.ts';
import { acknowledgeBody, disposeBody } from './alert-params.ts';
import { officerInput, passwordSchema } from './officers.ts';
import type { Access } from './auth.ts';
import { PERMISSIONS } from './roles.ts';
import { changeBody, loginBody } from './sessions.ts';
import { taskBodies } from './tasks.ts';

interface RouteDoc {
  zh: string;
  en: string;
  tag: 'console' | 'session' | 'alerts' | 'tasks' | 'ledger' | 'statistics' | 'audit' | 'provisioning' | 'operations';
  access: Access;
  body?: z.ZodType;
  /** Not JSON: the content type of the body. */
  bodyType?: string;
}

const r = (zh: string, en: string, tag: RouteDoc['tag'], access: Access, body?: z.ZodType): RouteDoc => ({ zh, en, tag, access, ...(body ? { body } : {}) });

export const ROUTES: Record<string, RouteDoc> = {
  'GET /': r('控制台页面', 'The console page', 'console', 'public'),
  'GET /console/app.js': r('控制台程序', 'The console application', 'console', 'public'),
  'GET /console/app.css': r('控制台样式', 'The console styles', 'console', 'public'),
  'GET /health': r('健康检查', 'Health of the platform and its stores', 'operations', 'public'),
  'GET /metrics': r('Prometheus 指标', 'Prometheus metrics', 'operations', 'public'),
  'GET /api/v1/openapi.json': r('接口说明（OpenAPI）', 'This description (OpenAPI 3.1)', 'operations', 'public'),
  'GET /api/v1/vocabulary': r(
    '规则所依赖的名称：行业、传感器/信号类型、各类型的位置/用途（中英文）',
    'The names the rules depend on: sectors, sensor and signal kinds, the roles of each kind (with Chinese and English names)',
    'provisioning',
    'public',
  ),
  'GET /api/docs': r('接口说明（网页）', 'This description, as a page', 'operations', 'public'),

  'POST /api/v1/session': r('登录', 'Sign in (sets the session cookie)', 'session', 'public', loginBody),
  'GET /api/v1/session': r('当前用户', 'Who is signed in, with their permissions (user: null if nobody)', 'session', 'public'),
  'DELETE /api/v1/session': r('退出', 'Sign out', 'session', 'session'),
  'POST /api/v1/session/password': r('修改本人密码', "Change one's own password", 'session', 'session', changeBody),
  'POST /api/v1/officers/:id/password': r('设置人员密码', "Set an officer's password", 'provisioning', 'admin', z.strictObject({ password: passwordSchema })),
  'POST /api/v1/officers': r('新建人员', 'Create an officer (role, authority, password)', 'provisioning', 'admin', officerInput),
  'GET /api/v1/officers': r('人员列表', 'List officers', 'provisioning', 'admin'),
  'POST /api/v1/officers/:id/unlock': r('解除登录锁定', "Clear an officer's sign-in locks, from every address", 'provisioning', 'admin'),
  'POST /api/v1/officers/:id/disable': r('停用人员', 'Disable an officer (tokens and sessions end)', 'provisioning', 'admin'),

  'POST /api/v1/authorities': r('新建执法主体', 'Create an authority', 'provisioning', 'admin', authorityInput),
  'POST /api/v1/enterprises': r('新建企业', 'Create an enterprise', 'provisioning', 'admin', enterpriseInput),
  'POST /api/v1/gateways': r('接入网关（密钥只返回一次）', 'Provision a gateway (the secret is returned once)', 'provisioning', 'admin', gatewayInput),
  'POST /api/v1/gateways/:id/rotate-secret': r('更换网关密钥', "Rotate a gateway's secret", 'provisioning', 'admin'),
  'POST /api/v1/gateways/:id/disable': r('停用网关', 'Revoke a gateway', 'provisioning', 'admin'),
  'POST /api/v1/gateways/:id/enable': r('恢复网关', 'Restore a gateway', 'provisioning', 'admin'),
  'GET /api/v1/gateways': r('网关列表', 'List gateways', 'provisioning', 'admin'),
  'POST /api/v1/sensors': r(
    '新建传感器',
    'Register a sensor (kind, unit, period, zone, role, alarm marks); answers its effective rules and warnings',
    'provisioning',
    'admin',
    sensorInput,
  ),
  'GET /api/v1/coverage': r(
    '监测覆盖：测点、生效规则、未受监测的测点及原因',
    "Coverage: an enterprise's points, the rules in force on each, and the points no hazard rule watches (or only with default limits), with the reasons",
    'ledger',
    'ledger.read',
  ),
  'GET /api/v1/enterprises/:enterpriseId/sensors': r('企业传感器列表', "An enterprise's sensors", 'provisioning', 'admin'),
  'GET /api/v1/dead-letters': r('拒收数据', 'Refused messages and items (dead letters)', 'operations', 'admin'),
  'PUT /api/v1/rule-overrides': r('备案报警阈值', 'Register an alarm limit (rule override)', 'provisioning', 'admin', overrideSchema),
  'GET /api/v1/rule-overrides': r('报警阈值备案列表', 'List registered alarm limits (and those looser than the standard)', 'provisioning', 'admin'),
  'DELETE /api/v1/rule-overrides': r('删除报警阈值备案', 'Remove a registered alarm limit', 'provisioning', 'admin'),

  'GET /api/v1/alerts': r('预警列表', 'List alerts (filters, keyset pages)', 'alerts', 'alerts.read'),
  'GET /api/v1/alerts/stream': r('预警实时推送（SSE）', 'Live alert events (server-sent events, resumable)', 'alerts', 'alerts.read'),
  'GET /api/v1/alerts/:id': r('预警详情', 'An alert with its events, evidence, rule and readings', 'alerts', 'alerts.read'),
  'POST /api/v1/alerts/:id/acknowledge': r('签收预警', 'Acknowledge an alert', 'alerts', 'alerts.act', acknowledgeBody),
  'POST /api/v1/alerts/:id/escalate': r('报请上级督办', 'Refer an open alert to the authority above', 'alerts', 'alerts.act', acknowledgeBody),
  'POST /api/v1/alerts/:id/dispose': r('处置预警', 'Dispose of an alert (the reason is required)', 'alerts', 'alerts.act', disposeBody),

  'GET /api/v1/tasks': r('检查任务列表', 'List inspection tasks', 'tasks', 'tasks.read'),
  'GET /api/v1/tasks/:id': r('检查任务详情', 'A task with its events and inspections', 'tasks', 'tasks.read'),
  'GET /api/v1/tasks/:id/inspectors': r('可派发的执法人员', 'Inspectors who may be assigned (joint if above the task’s authority)', 'tasks', 'tasks.dispatch'),
  'POST /api/v1/tasks': r('由预警派发检查任务', 'Dispatch a task from an alert', 'tasks', 'tasks.dispatch', taskBodies.open),
  'POST /api/v1/tasks/:id/assign': r('派发给执法人员', 'Assign to an inspector', 'tasks', 'tasks.dispatch', taskBodies.assign),
  'POST /api/v1/tasks/:id/accept': r('接收任务', 'Accept (the assigned inspector)', 'tasks', 'tasks.work', taskBodies.empty),
  'POST /api/v1/tasks/:id/arrive': r('到达现场', 'Arrive on site (recorded as an inspection)', 'tasks', 'tasks.work', taskBodies.empty),
  'POST /api/v1/tasks/:id/findings': r('记录检查结果', 'Record findings for every checklist item', 'tasks', 'tasks.work', taskBodies.findings),
  'POST /api/v1/tasks/:id/rectification': r('责令限期整改', 'Order rectification with a deadline', 'tasks', 'tasks.order', taskBodies.rectification),
  'POST /api/v1/tasks/:id/recheck': r('复查', 'Record the re-check', 'tasks', 'tasks.work', taskBodies.recheck),
  'POST /api/v1/tasks/:id/escalate': r('升级督办', 'Escalate the task', 'tasks', 'tasks.escalate', taskBodies.escalate),
  'POST /api/v1/tasks/:id/verify-remotely': r(
    '远程核查结果',
    'Record a remote verification (call, data review, video check) and close it; no inspection is recorded',
    'tasks',
    'tasks.dispatch',
    taskBodies.verifyRemotely,
  ),
  'POST /api/v1/tasks/:id/convert': r(
    '转为现场检查',
    'Turn a remote verification into an on-site inspection (a reason; counted against the yearly cap)',
    'tasks',
    'tasks.dispatch',
    taskBodies.convert,
  ),

  'GET /api/v1/enterprises': r('企业看板', 'The enterprise board', 'ledger', 'ledger.read'),
  'GET /api/v1/enterprises/:id/file': r('一企一档', "An enterprise's file", 'ledger', 'ledger.read'),
  'GET /api/v1/enterprises/:id/ledger': r('企业监管信息', "An enterprise's ledger facts", 'ledger', 'ledger.read'),
  'PATCH /api/v1/enterprises/:id/ledger': r('修改企业监管信息', "Change an enterprise's ledger facts", 'ledger', 'ledger.write', ledgerPatch),
  'GET /api/v1/enterprises/:id/inspection-summary': r('扫码入企', 'This year’s inspections against the cap, and open tasks', 'ledger', 'ledger.read'),
  'POST /api/v1/enterprises/import': { ...r('导入企业名单（CSV）', "Import a bureau's enterprise list (CSV)", 'ledger', 'ledger.write'), bodyType: 'text/csv' },
  'POST /api/v1/inspections': r(
    '记录检查',
    'Record an inspection (planned ones against the cap; exempt ones name their basis: alertIds of a serious violation, or basisRef)',
    'ledger',
    'inspections.record',
    inspectionInput,
  ),
  'GET /api/v1/enterprises/:enterpriseId/sensors/:sensorId/readings': r('监测数据历史', "A sensor's readings", 'ledger', 'ledger.read'),

  'GET /api/v1/stats': r('统计', 'Statistics of an authority subtree over a period', 'statistics', 'stats.read'),
  'GET /api/v1/audit': r('审计记录', 'Audit records', 'audit', 'audit.read'),
  'GET /api/v1/audit/verify': r('校验审计链', 'Verify the audit chains and the stored records', 'audit', 'audit.read'),
};

/** Registered routes (`METHOD /path`) without an entry. */
export const undocumented = (routes: readonly string[]): string[] => routes.filter((k) => !ROUTES[k]);

const schemaOf = (s: z.ZodType): unknown => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          enum: [
            'BAD_REQUEST',
            'UNAUTHENTICATED',
            'FORBIDDEN',
            'NOT_FOUND',
            'CONFLICT',
            'PAYLOAD_TOO_LARGE',
            'UNSUPPORTED_MEDIA_TYPE',
            'TOO_MANY_REQUESTS',
            'INTERNAL',
          ],
        },
        message: { type: 'string' },
        reason: { type: 'object', properties: { zh: { type: 'string' }, en: { type: 'string' } } },
      },
      additionalProperties: true,
    },
  },
};

const who = (a: Access): string =>
  a === 'public' ? 'anyone' : a === 'session' ? 'any signed-in user' : a === 'admin' ? 'admin' : `${a}: ${(PERMISSIONS[a] as readonly string[]).join(', ')}`;

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, d] of Object.entries(ROUTES)) {
    const [method, url] = key.split(' ') as [string, string];
    const path = url.replace(/:([A-Za-z]+)/g, '{$1}');
    const params = [...url.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    (paths[path] ??= {})[method.toLowerCase()] = {
      tags: [d.tag],
      summary: d.en,
      description: `${d.zh}\n\nWho: ${who(d.access)}.`,
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(d.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(d.body) } } } } : {}),
      ...(d.bodyType ? { requestBody: { required: true, content: { [d.bodyType]: { schema: { type: 'string' } } } } } : {}),
      ...(d.access === 'public' ? { security: [] } : {}),
      responses: {
        '200': { description: 'OK' },
        default: { description: 'An error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: '非现场监管平台 API · Remote work-safety supervision API',
      version: '1',
      description:
        'Bearer token (the admin token, an officer API token or a session token) or the console session cookie. A role without the permission gets 403; an enterprise, alert or task outside the caller’s jurisdiction 404.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { session: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'nss_session' } },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A plain page listing the routes (no script: it passes the console's CSP). */
export function docsPage(): string {
  const rows = Object.entries(ROUTES)
    .map(([k, d]) => `<tr><td><code>${esc(k)}</code></td><td>${esc(d.zh)}<br><small>${esc(d.en)}</small></td><td>${esc(who(d.access))}</td></tr>`)
    .join('\n');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td{border-bottom:1px solid #ddd;padding:.3rem .6rem;vertical-align:top}</style></head>
<body><h1>非现场监管平台 API</h1><p>OpenAPI 3.1: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a></p><table>${rows}</table></body></html>`;
}
