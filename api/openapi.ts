/**
 * The API's OpenAPI 3.1 description, served at `GET /api/v1/openapi.json`
 * and browsable at `GET /api/docs` (Swagger UI, its assets served by the
 * API itself: bureaus run on intranets, no CDN). The document is generated
 * by `@fastify/swagger` from the routes as registered: each route carries
 * its zod schemas in its options (`schema: { params, querystring, body }`,
 * the same schemas its handler parses with, `parse.ts`), turned into JSON
 * Schema by `fastify-type-provider-zod`'s `jsonSchemaTransform`.
 *
 * What the routes do not carry is here, in `ROUTES`: each route's summary
 * in Chinese and English and who may call it (a permission of `roles.ts`,
 * `admin`, `session` or `public`) — one table, because the server checks
 * the caller against it before a body is read. Every route the server
 * registers must have an entry — `undocumented()` lists those that do not,
 * and a test keeps it empty; the server refuses a route without one.
 */
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import type { FastifySchemaCompiler } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import type { Access } from './auth.ts';
import { PERMISSIONS } from './roles.ts';
import { CONSOLE_CSP } from './console.ts';

interface RouteDoc {
  zh: string;
  en: string;
  tag: 'console' | 'session' | 'alerts' | 'tasks' | 'ledger' | 'statistics' | 'audit' | 'provisioning' | 'operations';
  access: Access;
}

const r = (zh: string, en: string, tag: RouteDoc['tag'], access: Access): RouteDoc => ({ zh, en, tag, access });

export const ROUTES: Record<string, RouteDoc> = {
  'GET /': r('控制台页面', 'The console page', 'console', 'public'),
  'GET /console/app.js': r('控制台程序', 'The console application', 'console', 'public'),
  'GET /console/app.css': r('控制台样式', 'The console styles', 'console', 'public'),
  'GET /console/charts.js': r('控制台图表程序（首次显示图表时加载）', 'The console’s charts (loaded when a chart is first shown)', 'console', 'public'),
  'GET /console/map.js': r('控制台“一张图”程序（打开地图时加载）', 'The console’s map (loaded when the map is opened)', 'console', 'public'),
  'GET /manifest.webmanifest': r('控制台 Web 应用清单（可安装到手机桌面）', 'The console’s web app manifest (installable on a phone)', 'console', 'public'),
  'GET /sw.js': r('控制台 Service Worker（离线打开任务页面）', 'The console’s service worker (the task screens open offline)', 'console', 'public'),
  'GET /console/icon-192.png': r('应用图标 192×192', 'The app icon, 192×192', 'console', 'public'),
  'GET /console/icon-512.png': r('应用图标 512×512', 'The app icon, 512×512', 'console', 'public'),
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

  'POST /api/v1/session': r('登录', 'Sign in (sets the session cookie)', 'session', 'public'),
  'GET /api/v1/session': r('当前用户', 'Who is signed in, with their permissions (user: null if nobody)', 'session', 'public'),
  'DELETE /api/v1/session': r('退出', 'Sign out', 'session', 'session'),
  'GET /api/v1/names': r(
    '编号对应的名称',
    'The names of enterprises (within your jurisdiction), authorities and officers, by id (comma-separated lists)',
    'session',
    'session',
  ),
  'POST /api/v1/session/password': r('修改本人密码', "Change one's own password", 'session', 'session'),
  'POST /api/v1/officers/:id/password': r('设置人员密码', "Set an officer's password", 'provisioning', 'admin'),
  'POST /api/v1/officers': r(
    '新建人员（执法人员或企业用户：安全管理负责人、包保责任人）',
    'Create an officer (role, authority, password) or an enterprise user (safety manager, responsible person: enterpriseId, phone)',
    'provisioning',
    'admin',
  ),
  'GET /api/v1/officers': r('人员列表（可按企业筛选）', 'List officers and enterprise users (?enterpriseId= for one enterprise’s)', 'provisioning', 'admin'),
  'POST /api/v1/enterprise-users/import': r(
    '导入企业用户（CSV UTF-8/GBK 或 XLSX，全部或全不；令牌只返回一次）',
    "Import enterprise users (CSV in UTF-8 or GBK, or XLSX): every row or none; dryRun=true checks only; each user's API token is returned once",
    'provisioning',
    'admin',
  ),
  'POST /api/v1/officers/:id/unlock': r('解除登录锁定', "Clear an officer's sign-in locks, from every address", 'provisioning', 'admin'),
  'POST /api/v1/officers/:id/disable': r('停用人员', 'Disable an officer (tokens and sessions end)', 'provisioning', 'admin'),

  'GET /api/v1/authorities': r('执法主体列表', 'List the authorities (id, name, level, parent)', 'provisioning', 'admin'),
  'POST /api/v1/authorities': r('新建执法主体', 'Create an authority', 'provisioning', 'admin'),
  'POST /api/v1/enterprises': r('新建企业', 'Create an enterprise', 'provisioning', 'admin'),
  'PATCH /api/v1/enterprises/:id': r(
    '修改企业基本信息（统一社会信用代码、地址、坐标、安全管理负责人）',
    "Change an enterprise's identity: unified social credit code, address, coordinates, safety manager",
    'provisioning',
    'admin',
  ),
  'POST /api/v1/gateways': r('接入网关（密钥只返回一次）', 'Provision a gateway (the secret is returned once)', 'provisioning', 'admin'),
  'POST /api/v1/gateways/:id/rotate-secret': r('更换网关密钥', "Rotate a gateway's secret", 'provisioning', 'admin'),
  'POST /api/v1/gateways/:id/disable': r('停用网关', 'Revoke a gateway', 'provisioning', 'admin'),
  'POST /api/v1/gateways/:id/enable': r('恢复网关', 'Restore a gateway', 'provisioning', 'admin'),
  'GET /api/v1/gateways': r('网关列表', 'List gateways', 'provisioning', 'admin'),
  'POST /api/v1/sensors': r(
    '新建传感器',
    'Register a sensor (kind, unit, period, zone, role, alarm marks); answers its effective rules and warnings',
    'provisioning',
    'admin',
  ),
  'GET /api/v1/coverage': r(
    '监测覆盖：测点、生效规则、未受监测的测点及原因',
    "Coverage: an enterprise's points, the rules in force on each, and the points no hazard rule watches (or only with default limits), with the reasons",
    'ledger',
    'monitoring.read',
  ),
  'POST /api/v1/enterprises/:id/hazard-sources': r('登记重大危险源', 'Register a major hazard source of an enterprise', 'provisioning', 'admin'),
  'PATCH /api/v1/enterprises/:id/hazard-sources/:code': r('修改重大危险源', 'Change a major hazard source', 'provisioning', 'admin'),
  'DELETE /api/v1/enterprises/:id/hazard-sources/:code': r('删除重大危险源', 'Delete a major hazard source', 'provisioning', 'admin'),
  'GET /api/v1/risk-warnings': r(
    '风险预警：辖区内有预警的企业（红橙黄蓝），按等级排序，含成因',
    'Risk warnings: the enterprises of the jurisdiction with a warning, highest first, with their factors',
    'alerts',
    'alerts.read',
  ),
  'GET /api/v1/enterprises/:enterpriseId/risk-warnings': r(
    '企业及其重大危险源的风险预警、成因与等级变化记录',
    "An enterprise's and its major hazard sources' risk warnings, their factors and the changes of level",
    'alerts',
    'alerts.read',
  ),
  'GET /api/v1/enterprises/:enterpriseId/sensors': r('企业传感器列表', "An enterprise's sensors", 'provisioning', 'admin'),
  'PATCH /api/v1/enterprises/:enterpriseId/sensors/:sensorId': r(
    '修改测点登记信息（null 清除，关联整体替换）',
    'Change a registered point (null clears a field; links are replaced); answers its effective rules and warnings',
    'provisioning',
    'admin',
  ),
  'POST /api/v1/enterprises/:enterpriseId/sensors/:sensorId/stop': r(
    '测点停用登记（原因必填）',
    'Stop a point on record (停用; the reason is required)',
    'provisioning',
    'admin',
  ),
  'POST /api/v1/enterprises/:enterpriseId/sensors/:sensorId/resume': r('测点恢复使用', 'Put a stopped point back in use', 'provisioning', 'admin'),
  'GET /api/v1/dead-letters': r('拒收数据', 'Refused messages and items (dead letters)', 'operations', 'admin'),
  'PUT /api/v1/rule-overrides': r('备案报警阈值', 'Register an alarm limit (rule override)', 'provisioning', 'admin'),
  'GET /api/v1/rule-overrides': r('报警阈值备案列表', 'List registered alarm limits (and those looser than the standard)', 'provisioning', 'admin'),
  'DELETE /api/v1/rule-overrides': r('删除报警阈值备案', 'Remove a registered alarm limit', 'provisioning', 'admin'),

  'GET /api/v1/alerts': r('报警列表', 'List alarms (filters, keyset pages)', 'alerts', 'alerts.read'),
  'GET /api/v1/alerts/stream': r('报警实时推送（SSE）', 'Live alarm events (server-sent events, resumable)', 'alerts', 'alerts.read'),
  'GET /api/v1/alerts/:id': r(
    '报警详情',
    'An alarm with its events, evidence, rule, readings and (for officers) the tasks it opened or joined',
    'alerts',
    'alerts.read',
  ),
  'POST /api/v1/alerts/:id/acknowledge': r('签收报警', 'Acknowledge an alarm', 'alerts', 'alerts.act'),
  'POST /api/v1/alerts/:id/escalate': r('报请上级督办', 'Refer an open alert to the authority above', 'alerts', 'alerts.act'),
  'POST /api/v1/alerts/:id/dispose': r('处置报警', 'Dispose of an alarm (the reason is required)', 'alerts', 'alerts.act'),
  'POST /api/v1/alerts/:id/shelve': r(
    '限时搁置扰动报警',
    'Shelve a nuisance alarm for a limited time, with a reason (never red or safety-critical)',
    'alerts',
    'alerts.act',
  ),
  'GET /api/v1/alerts/:id/response': r(
    '企业响应：签收、反馈、审核、消警、督办记录及剩余时限',
    "The enterprise's response to the alarm: sign-for, feedback, review, clearing, supervision, and the time left",
    'alerts',
    'alerts.read',
  ),
  'POST /api/v1/alerts/:id/sign': r('企业签收报警', 'The enterprise signs for its alarm (签收)', 'alerts', 'alerts.respond'),
  'POST /api/v1/alerts/:id/feedback': r(
    '企业反馈原因、措施与附件',
    'The enterprise feeds back: cause category, measures taken, attachments',
    'alerts',
    'alerts.respond',
  ),
  'POST /api/v1/alerts/:id/clear-request': r('企业申请消警', 'The enterprise asks to clear the alarm (消警)', 'alerts', 'alerts.respond'),
  'POST /api/v1/alerts/:id/review': r(
    '审核企业反馈（橙色、红色报警：通过或退回并说明理由）',
    "Review the enterprise's feedback on an orange or red alarm: accept, or reject with a reason",
    'alerts',
    'alerts.review',
  ),
  'POST /api/v1/alerts/:id/verifications': r(
    '网络巡查记录（电话核实、数据核查、视频查看）',
    'Record a remote verification of the alarm (call, data review, video check); completes its remote-verification task',
    'alerts',
    'alerts.review',
  ),
  'GET /api/v1/response-policy': r('企业响应时限及其来源', "The enterprise's response time limits and their sources", 'alerts', 'alerts.read'),
  'POST /api/v1/alerts/:id/unshelve': r('取消搁置', 'Unshelve an alarm (it also ends by itself at its time)', 'alerts', 'alerts.act'),
  'POST /api/v1/alerts/:id/attachments': r(
    '上传报警附件（照片 JPEG/PNG/WebP/HEIC 或 PDF，原始请求体，?name= 文件名；企业本企业报警，或审核人员上传核查证据；上限为本局设置，平台默认 10 MiB）',
    "Attach a file to an alarm (a JPEG/PNG/WebP/HEIC photo or a PDF as the raw body, ?name= its file name): the enterprise to its own alarm (alerts.respond), or an officer reviewing it (alerts.review); at most the bureau's attachments.maxBytes (default 10 MiB)",
    'alerts',
    'alerts.read',
  ),
  'GET /api/v1/alerts/:id/attachments': r('报警附件列表', "An alarm's attachments (name, type, size, SHA-256; no content)", 'alerts', 'alerts.read'),
  'GET /api/v1/attachments/:id': r(
    '下载附件（校验 SHA-256 后提供；不符则拒绝）',
    'Download an attachment (its SHA-256 checked first and sent as X-Content-SHA256 and Repr-Digest; a file that no longer matches is refused)',
    'alerts',
    'alerts.read',
  ),

  'GET /api/v1/tasks': r('检查任务列表', 'List inspection tasks', 'tasks', 'tasks.read'),
  'GET /api/v1/tasks/:id': r('检查任务详情', 'A task with its events, inspections and the alarms that opened or joined it', 'tasks', 'tasks.read'),
  'GET /api/v1/tasks/:id/inspectors': r('可派发的执法人员', 'Inspectors who may be assigned (joint if above the task’s authority)', 'tasks', 'tasks.dispatch'),
  'POST /api/v1/tasks': r('由报警派发检查任务', 'Dispatch a task from an alarm', 'tasks', 'tasks.dispatch'),
  'POST /api/v1/tasks/:id/assign': r('派发给执法人员', 'Assign to an inspector', 'tasks', 'tasks.dispatch'),
  'POST /api/v1/tasks/:id/accept': r('接收任务', 'Accept (the assigned inspector)', 'tasks', 'tasks.work'),
  'POST /api/v1/tasks/:id/arrive': r('到达现场', 'Arrive on site (recorded as an inspection)', 'tasks', 'tasks.work'),
  'POST /api/v1/tasks/:id/findings': r('记录检查结果', 'Record findings for every checklist item', 'tasks', 'tasks.work'),
  'POST /api/v1/tasks/:id/rectification': r('责令限期整改', 'Order rectification with a deadline', 'tasks', 'tasks.order'),
  'POST /api/v1/tasks/:id/recheck': r('复查', 'Record the re-check', 'tasks', 'tasks.work'),
  'POST /api/v1/tasks/:id/attachments': r(
    '上传现场照片（执法人员在现场检查或复查时；JPEG/PNG/WebP/HEIC 或 PDF，原始请求体，?name= 文件名；上限为本局设置，平台默认 10 MiB）',
    "Attach a photo to the task (its assigned inspector, on site or at the re-check; a JPEG/PNG/WebP/HEIC photo or a PDF as the raw body, ?name= its file name); at most the bureau's attachments.maxBytes (default 10 MiB)",
    'tasks',
    'tasks.work',
  ),
  'GET /api/v1/tasks/:id/attachments': r('检查任务附件列表', "A task's photos and files (name, type, size, SHA-256; no content)", 'tasks', 'tasks.read'),
  'POST /api/v1/tasks/:id/escalate': r('升级督办', 'Escalate the task', 'tasks', 'tasks.escalate'),
  'POST /api/v1/tasks/:id/verify-remotely': r(
    '远程核查结果',
    'Record a remote verification (call, data review, video check) and close it; no inspection is recorded',
    'tasks',
    'tasks.dispatch',
  ),
  'POST /api/v1/tasks/:id/convert': r(
    '转为现场检查',
    'Turn a remote verification into an on-site inspection (a reason; counted against the yearly cap)',
    'tasks',
    'tasks.dispatch',
  ),

  'GET /api/v1/enterprises': r('企业看板', 'The enterprise board', 'ledger', 'ledger.read'),
  'GET /api/v1/map/area': r(
    '辖区地图（行政区划边界 GeoJSON，“一张图”）',
    "The bureau's area for the map: its divisions' boundaries as GeoJSON",
    'ledger',
    'ledger.read',
  ),
  'GET /api/v1/enterprises/:id/file': r('一企一档', "An enterprise's file", 'ledger', 'ledger.read'),
  'GET /api/v1/enterprises/:id/hazard-sources': r('企业重大危险源', "An enterprise's major hazard sources", 'ledger', 'monitoring.read'),
  'GET /api/v1/enterprises/:id/ledger': r('企业监管信息', "An enterprise's ledger facts", 'ledger', 'ledger.read'),
  'PATCH /api/v1/enterprises/:id/ledger': r('修改企业监管信息', "Change an enterprise's ledger facts", 'ledger', 'ledger.write'),
  'GET /api/v1/enterprises/:id/inspection-summary': r('扫码入企', 'This year’s inspections against the cap, and open tasks', 'ledger', 'ledger.read'),
  'POST /api/v1/enterprises/import': r('导入企业名单（CSV）', "Import a bureau's enterprise list (CSV)", 'ledger', 'ledger.write'),
  'POST /api/v1/enterprises/:enterpriseId/points/import': r(
    '导入测点登记表（CSV UTF-8/GBK 或 XLSX，全部或全不）',
    "Import an enterprise's point registry (CSV in UTF-8 or GBK, or XLSX): every row or none; dryRun=true checks only",
    'ledger',
    'ledger.write',
  ),
  'GET /api/v1/enterprises/:enterpriseId/points/export': r(
    '导出测点登记表（CSV 或 XLSX）',
    "Export an enterprise's point registry (CSV in UTF-8 or GBK, or XLSX), in the layout the import takes",
    'ledger',
    'ledger.write',
  ),
  'POST /api/v1/enterprises/:id/stops': r(
    '登记停产/检修（企业、装置、网关或测点；原因、负责人、开始与预计恢复时间）',
    'Register a planned stop (production stop or maintenance) of the enterprise, a unit, a gateway or points',
    'ledger',
    'ledger.write',
  ),
  'GET /api/v1/enterprises/:id/stops': r('停产/检修记录', "An enterprise's planned stops (active=true: those in force)", 'ledger', 'monitoring.read'),
  'GET /api/v1/enterprises/:id/stops/:stopId': r('停产/检修记录详情', 'One planned stop', 'ledger', 'monitoring.read'),
  'POST /api/v1/enterprises/:id/stops/:stopId/end': r('结束停产/检修（可提前）', 'End a planned stop (early is allowed)', 'ledger', 'ledger.write'),
  'GET /api/v1/enterprises/:id/notify-settings': r(
    '企业报警推送设置（短信接收人、钉钉/企业微信机器人、推送等级；密钥不返回）',
    "An enterprise's alarm notification settings (SMS recipients, DingTalk and WeCom robots, grades pushed; secrets masked)",
    'ledger',
    'notify.settings',
  ),
  'PUT /api/v1/enterprises/:id/notify-settings': r(
    '修改企业报警推送设置（未给出的字段不变，null 删除机器人）',
    "Change an enterprise's alarm notification settings (fields left out stay; null removes a robot)",
    'ledger',
    'notify.settings',
  ),
  'GET /api/v1/alerts/:id/deliveries': r(
    '报警推送记录（短信、钉钉、企业微信：状态、次数、服务商返回码）',
    "What was sent for an alarm to the enterprise's channels: status, attempts, the provider's code",
    'alerts',
    'alerts.read',
  ),
  'POST /api/v1/enterprises/:id/stops/:stopId/cancel': r('撤销停产/检修登记', 'Cancel a planned stop registered in error', 'ledger', 'ledger.write'),
  'POST /api/v1/inspections': r(
    '记录检查',
    'Record an inspection (planned ones against the cap; exempt ones name their basis: alertIds of a serious violation, or basisRef)',
    'ledger',
    'inspections.record',
  ),
  'GET /api/v1/enterprises/:enterpriseId/sensors/:sensorId/readings': r('监测数据历史', "A sensor's readings", 'ledger', 'monitoring.read'),

  'POST /api/v1/enterprises/:id/self-inspections': r(
    '报送企业隐患自查报告（季度；更正即报送同一季度的新报告）',
    "Submit the enterprise's self-inspection report on its major hazards for a quarter (a correction is a new report for the same quarter)",
    'ledger',
    'self_inspection.report',
  ),
  'GET /api/v1/enterprises/:id/self-inspections': r(
    '企业隐患自查报告及报送情况',
    "An enterprise's self-inspection reports (the latest of each quarter counts) and whether the last quarter due is reported",
    'ledger',
    'self_inspection.read',
  ),
  'POST /api/v1/enterprises/:id/self-reported-hazards/:hazardId/rectified': r(
    '自查隐患整改完成',
    'Record a self-reported hazard as rectified (once)',
    'ledger',
    'self_inspection.report',
  ),
  'GET /api/v1/self-inspections/overdue': r(
    '逾期未报送自查报告的企业（上一个已到期季度）',
    "The enterprises of the caller's jurisdiction that must report and have not reported the last quarter now due, with the days overdue",
    'ledger',
    'self_inspection.read',
  ),
  'GET /api/v1/stats': r(
    '统计（JSON 或 XLSX）：自定义统计期（北京时间日期）、同比、按检查来源的检查与案件',
    'Statistics of an authority subtree over a period (JSON or XLSX): a custom period of China Standard Time days, year-on-year, inspections and cases by origin',
    'statistics',
    'stats.read',
  ),
  'GET /api/v1/alarm-quality': r(
    '报警质量：逐日报警数、常驻、颤振、瞬时报警，报警泛滥，报警最多的报警源排名（ISA-18.2 / EEMUA 191）',
    'Alarm quality: per enterprise and day raised, held back, standing, chattering and fleeting alarms; floods; bad actors ranked (ISA-18.2 / EEMUA 191)',
    'statistics',
    'stats.read',
  ),
  'GET /api/v1/kpis': r(
    '考核指标：在线率、离线时长与次数、数据完整率、报警处置、综合得分与排名',
    'KPIs of an authority subtree over a period: online rate, offline hours and counts, data integrity, alarm disposal, composite score and rankings',
    'statistics',
    'stats.read',
  ),
  'GET /api/v1/reports/monthly': r('月报（JSON 或 XLSX）', 'The monthly report of an authority (JSON or XLSX)', 'statistics', 'stats.read'),
  'GET /api/v1/audit': r('审计记录', 'Audit records', 'audit', 'audit.read'),
  'GET /api/v1/audit/verify': r('校验审计链', 'Verify the audit chains and the stored records', 'audit', 'audit.read'),
};

/** Where the docs page (Swagger UI) lives; its own assets below it are public and left out of the description. */
export const DOCS_PREFIX = '/api/docs';

/** Who may call a registered route (`METHOD /path`); undefined if it has no entry (the server then refuses it). */
export const accessOf = (route: string): Access | undefined => ROUTES[route]?.access ?? (route.startsWith(`GET ${DOCS_PREFIX}/`) ? 'public' : undefined);

/** Registered routes (`METHOD /path`) without an entry. */
export const undocumented = (routes: readonly string[]): string[] => routes.filter((k) => accessOf(k) === undefined);

/**
 * The route schemas are for the description only: requests are validated
 * by the handlers (`parse.ts`), whose 400s name the field in the platform's
 * error shape — fastify's validator passes every request through unchanged.
 */
export const passThroughValidator: FastifySchemaCompiler<unknown> = () => () => true;

const errorSchema: OpenAPIV3_1.SchemaObject = {
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
            'INTEGRITY_FAILED',
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

const INFO = {
  title: '非现场监管平台 API · Remote work-safety supervision API',
  version: '1',
  description:
    'Bearer token (the admin token, an officer API token or a session token) or the console session cookie. A role without the permission gets 403; an enterprise, alert or task outside the caller’s jurisdiction 404.',
};

const RESPONSES = {
  '200': { description: 'OK' },
  default: { description: 'An error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
};

/** An operation's tag, summary, description (with who may call it) and, for a public route, no security. */
const described = (d: RouteDoc) => ({
  tags: [d.tag],
  summary: d.en,
  description: `${d.zh}\n\nWho: ${who(d.access)}.`,
  ...(d.access === 'public' ? { security: [] } : {}),
});

/** Each route's schemas to JSON Schema (`jsonSchemaTransform`), with its entry of `ROUTES`. */
const transform: FastifyDynamicSwaggerOptions['transform'] = (doc) => {
  const method = [doc.route.method].flat().find((m) => m !== 'HEAD') ?? 'GET';
  const d = ROUTES[`${method} ${doc.url}`];
  if (!d) return jsonSchemaTransform(doc);
  const out = jsonSchemaTransform({ ...doc, schema: doc.schema ?? {} });
  return { ...out, schema: { ...out.schema, ...described(d) } };
};

/**
 * Every operation answers OK or an error of the platform's shape
 * (`core/errors.ts`). The docs page is described too: its plugin
 * (`@fastify/swagger-ui`) registers it where `@fastify/swagger` does not see it.
 */
const transformObject: FastifyDynamicSwaggerOptions['transformObject'] = (doc) => {
  if (!('openapiObject' in doc)) return doc.swaggerObject;
  const paths = (doc.openapiObject.paths ??= {});
  const page = ROUTES[`GET ${DOCS_PREFIX}`];
  if (page) paths[DOCS_PREFIX] ??= { get: { ...described(page), responses: {} } };
  for (const ops of Object.values(paths))
    for (const op of Object.values(ops ?? {})) if (op && typeof op === 'object' && 'responses' in op) op.responses = RESPONSES;
  return doc.openapiObject;
};

/** `@fastify/swagger`'s options: the document's head (OpenAPI 3.1, info, security schemes, the error shape) and the transforms above. */
export const swaggerOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: INFO,
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { session: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'nss_session' } },
      schemas: { Error: errorSchema },
    },
  },
  transform,
  transformObject,
};

/**
 * The docs page's Content-Security-Policy: what the console's allows
 * (console.ts) — same origin only; Swagger UI styles with style attributes
 * and draws icons from data: URLs. No validator badge (it would call out).
 */
export const DOCS_CSP = CONSOLE_CSP;

/** `@fastify/swagger-ui`'s options: the page at `/api/docs`, its assets from the package itself (no CDN). */
export const swaggerUiOptions: FastifySwaggerUiOptions = {
  routePrefix: DOCS_PREFIX,
  staticCSP: DOCS_CSP,
  validatorUrl: false,
  theme: { title: '非现场监管平台 API' },
  uiConfig: { docExpansion: 'list', deepLinking: true },
};
