/**
 * The console's words in Simplified Chinese (the default) and English. A
 * missing English entry falls back to the Chinese one, never to a key.
 */
import { signal } from './state.ts';

export type Lang = 'zh' | 'en';

const stored = (): Lang => {
  try {
    return localStorage.getItem('nss.lang') === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
};

export const lang = signal<Lang>(stored());

export function setLang(l: Lang): void {
  lang.set(l);
  try {
    localStorage.setItem('nss.lang', l);
  } catch {
    // private mode: the choice lasts this page
  }
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
}

const ZH = {
  appName: '非现场监管平台',
  signIn: '登录',
  signOut: '退出',
  username: '用户名',
  password: '密码',
  signingIn: '正在登录…',
  alerts: '预警',
  tasks: '检查任务',
  myTasks: '我的任务',
  enterprises: '企业',
  stats: '统计',
  admin: '管理',
  live: '实时',
  reconnecting: '正在重新连接…',
  active: '未处置',
  all: '全部',
  noAlerts: '当前没有预警',
  acknowledge: '签收',
  dispose: '处置',
  disposalText: '处置情况（必填）',
  openTask: '派发检查任务',
  taskOpened: '已派发检查任务',
  confirm: '确定',
  cancel: '取消',
  detail: '详情',
  back: '返回',
  rule: '规则',
  subject: '监测点',
  enterprise: '企业',
  started: '开始时间',
  state: '状态',
  grade: '等级',
  events: '过程记录',
  readings: '监测数据',
  noReadings: '无监测数据',
  limits: '报警阈值',
  red: '红色',
  orange: '橙色',
  yellow: '黄色',
  blue: '蓝色',
  pending: '待确认',
  firing: '报警中',
  acknowledged: '已签收',
  resolved: '已恢复',
  disposed: '已处置',
  redBanner: '红色预警未处置',
  created: '待派发',
  assigned: '已派发',
  accepted: '已接收',
  on_site: '现场检查',
  findings_recorded: '已记录问题',
  rectifying: '整改中',
  rechecking: '待复查',
  closed: '已闭环',
  escalated: '已升级督办',
  accept: '接收任务',
  arrive: '到达现场',
  checklist: '检查事项',
  ok: '符合',
  hazard: '隐患',
  major_hazard: '重大隐患',
  note: '说明',
  evidence: '证据（照片编号等）',
  selfReported: '企业自查上报、正在整改',
  saveFindings: '提交检查结果',
  rectificationDeadline: '整改期限',
  orderRectification: '责令限期整改',
  recheck: '复查',
  recheckPassed: '复查合格',
  recheckFailed: '复查不合格',
  assign: '派发给',
  inspector: '执法人员',
  noTasks: '没有任务',
  matter: '事项',
  error: '出错了',
  retry: '重试',
  language: 'English',
  period: '统计期',
  last7: '近7天',
  last30: '近30天',
  last90: '近90天',
  alertsByGrade: '按等级的预警数',
  disposalRate: '处置率',
  ackTime: '签收用时（中位）',
  tasksOpenedClosed: '任务 派发/闭环',
  findings: '隐患/重大隐患',
  recheckPassRate: '复查合格率',
  onlineRate: '数据在线率',
  offlineHours: '离线小时',
  ranking: '排名',
  authority: '执法主体',
  minutes: '分钟',
  online: '在线',
  offline: '离线',
  sector: '行业',
  openAlerts: '未处置预警',
  gateways: '网关',
  sensors: '传感器',
  history: '历史',
  inspections: '检查记录',
  officers: '人员',
  create: '新建',
  name: '名称',
  role: '角色',
  duty_officer: '值班员',
  leader: '领导',
  provision: '接入网关',
  rotate: '更换密钥',
  revoke: '停用',
  secretOnce: '密钥只显示这一次：',
  ruleOverrides: '报警阈值备案',
  saved: '已保存',
  joint: '联合检查',
  repeated: '重复隐患',
  required: '必填',
  highRisk: '高危',
  keyEnterprise: '重点企业',
  riskFactors: '风险因素',
  partial: '部分在线',
  no_gateway: '未接入',
  restore: '恢复',
  escalate: '报请上级',
  escalatedUp: '已报请上级督办',
  importList: '导入企业名单',
  importHelp: 'CSV，首行为表头：企业编号,企业名称,行业,执法主体,高危行业,标准化等级,重点企业,风险因素（或英文表头）。整份名单要么全部导入，要么一条不导入。',
  audit: '审计记录',
  verifyChain: '校验审计链',
  chainIntact: '审计链完整，记录未被改动',
  chainBroken: '审计链校验失败',
} as const;

export type Key = keyof typeof ZH;

const EN: Partial<Record<Key, string>> = {
  appName: 'Remote supervision',
  signIn: 'Sign in',
  signOut: 'Sign out',
  username: 'Username',
  password: 'Password',
  signingIn: 'Signing in…',
  alerts: 'Alerts',
  tasks: 'Tasks',
  myTasks: 'My tasks',
  enterprises: 'Enterprises',
  stats: 'Statistics',
  admin: 'Admin',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  active: 'Open',
  all: 'All',
  noAlerts: 'No alerts',
  acknowledge: 'Acknowledge',
  dispose: 'Dispose',
  disposalText: 'What was done (required)',
  openTask: 'Dispatch an inspection',
  taskOpened: 'Inspection task dispatched',
  confirm: 'OK',
  cancel: 'Cancel',
  detail: 'Detail',
  back: 'Back',
  rule: 'Rule',
  subject: 'Point',
  enterprise: 'Enterprise',
  started: 'Started',
  state: 'State',
  grade: 'Grade',
  events: 'Events',
  readings: 'Readings',
  noReadings: 'No readings',
  limits: 'Alarm limits',
  red: 'Red',
  orange: 'Orange',
  yellow: 'Yellow',
  blue: 'Blue',
  pending: 'Pending',
  firing: 'Firing',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
  disposed: 'Disposed',
  redBanner: 'Red alerts not disposed',
  created: 'To dispatch',
  assigned: 'Assigned',
  accepted: 'Accepted',
  on_site: 'On site',
  findings_recorded: 'Findings recorded',
  rectifying: 'Rectifying',
  rechecking: 'Re-check due',
  closed: 'Closed',
  escalated: 'Escalated',
  accept: 'Accept',
  arrive: 'Arrived on site',
  checklist: 'Checklist',
  ok: 'OK',
  hazard: 'Hazard',
  major_hazard: 'Major hazard',
  note: 'Note',
  evidence: 'Evidence (photo ids…)',
  selfReported: 'Self-reported, being fixed',
  saveFindings: 'Submit findings',
  rectificationDeadline: 'Rectification deadline',
  orderRectification: 'Order rectification',
  recheck: 'Re-check',
  recheckPassed: 'Re-check passed',
  recheckFailed: 'Re-check failed',
  assign: 'Assign to',
  inspector: 'Inspector',
  noTasks: 'No tasks',
  matter: 'Matter',
  error: 'Something went wrong',
  retry: 'Retry',
  language: '中文',
  period: 'Period',
  last7: 'Last 7 days',
  last30: 'Last 30 days',
  last90: 'Last 90 days',
  alertsByGrade: 'Alerts by grade',
  disposalRate: 'Disposal rate',
  ackTime: 'Time to acknowledge (median)',
  tasksOpenedClosed: 'Tasks opened / closed',
  findings: 'Hazards / major',
  recheckPassRate: 'Re-check pass rate',
  onlineRate: 'Data online rate',
  offlineHours: 'Offline hours',
  ranking: 'Ranking',
  authority: 'Authority',
  minutes: 'min',
  online: 'Online',
  offline: 'Offline',
  sector: 'Sector',
  openAlerts: 'Open alerts',
  gateways: 'Gateways',
  sensors: 'Sensors',
  history: 'History',
  inspections: 'Inspections',
  officers: 'Officers',
  create: 'Create',
  name: 'Name',
  role: 'Role',
  duty_officer: 'Duty officer',
  leader: 'Leader',
  provision: 'Provision gateway',
  rotate: 'Rotate secret',
  revoke: 'Disable',
  secretOnce: 'The secret is shown this once:',
  ruleOverrides: 'Registered alarm limits',
  saved: 'Saved',
  joint: 'Joint inspection',
  repeated: 'Repeated hazard',
  required: 'Required',
  highRisk: 'High-risk',
  keyEnterprise: 'Key enterprise',
  riskFactors: 'Risk factors',
  partial: 'Partly online',
  no_gateway: 'Not connected',
  restore: 'Restore',
  escalate: 'Refer upward',
  escalatedUp: 'Referred to the authority above',
  importList: 'Import an enterprise list',
  importHelp:
    'CSV, a header line first: id,name,sector,authorityId,highRisk,grade,keyEnterprise,riskFactors (or the Chinese headers). The whole list is imported, or none of it.',
  audit: 'Audit trail',
  verifyChain: 'Verify the chain',
  chainIntact: 'The chain is intact; no record was changed',
  chainBroken: 'The chain does not verify',
};

/** The word for `key` in the current language. */
export function t(key: Key): string {
  return lang.get() === 'en' ? (EN[key] ?? ZH[key]) : ZH[key];
}

/** A server text given in both languages (`{ zh, en }`). */
export function both(text: { zh: string; en: string } | undefined): string {
  if (!text) return '';
  return lang.get() === 'en' ? text.en : text.zh;
}

const SECTOR_NAMES: Record<string, { zh: string; en: string }> = {
  mine: { zh: '矿山', en: 'Mining' },
  hazardous_chemicals: { zh: '危险化学品', en: 'Hazardous chemicals' },
  fireworks: { zh: '烟花爆竹', en: 'Fireworks' },
  metal_smelting: { zh: '金属冶炼', en: 'Metal smelting' },
  explosive_dust: { zh: '涉爆粉尘', en: 'Explosive dust' },
  other: { zh: '其他', en: 'Other' },
};

const EVENT_NAMES: Record<string, { zh: string; en: string }> = {
  pending: { zh: '待确认', en: 'pending' },
  fired: { zh: '触发报警', en: 'fired' },
  updated: { zh: '更新', en: 'updated' },
  severity_raised: { zh: '等级升高', en: 'grade raised' },
  suppressed: { zh: '抑制（网关离线）', en: 'suppressed (gateway offline)' },
  unsuppressed: { zh: '解除抑制', en: 'no longer suppressed' },
  acknowledged: { zh: '签收', en: 'acknowledged' },
  escalated: { zh: '逐级督办', en: 'escalated' },
  resolved: { zh: '恢复正常', en: 'resolved' },
  discarded: { zh: '未达保持时间', en: 'discarded' },
  disposed: { zh: '处置', en: 'disposed' },
};

/** An alert event type's name in the current language. */
export const eventName = (type: string): string => (EVENT_NAMES[type] ? both(EVENT_NAMES[type]) : type);

/** A sector's name in the current language (its id if unknown). */
export const sectorName = (id: string): string => (SECTOR_NAMES[id] ? both(SECTOR_NAMES[id]) : id);

/** A rate (0–1) as a percentage; '—' when there was nothing to divide by. */
export const percent = (r: number | null): string => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);

/** A time in China Standard Time, as officers read it. */
export function time(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return new Date(ms).toLocaleString(lang.get() === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}
