/**
 * The audit trail as people read it (issue #20 §9, and §1: no codes in the Chinese console): each action and subject
 * type by name in both languages, and who acted by name. The records keep their codes (the hash chain covers them);
 * the names are added when they are listed.
 */
import type { Queryable } from '../core/db/db.ts';
import type { AuditRecord } from '../core/audit.ts';
import { namesOf, officerOfActor } from './names.ts';

type Text = { zh: string; en: string };

/** Every action the platform writes to the audit trail (tests/unit/api/audit-names.test.ts checks the sources against it). */
export const AUDIT_ACTION_NAMES: Readonly<Record<string, Text>> = {
  'authority.created': { zh: '新建执法主体', en: 'authority created' },
  'enterprise.created': { zh: '新建企业', en: 'enterprise created' },
  'enterprise.imported': { zh: '导入企业名单', en: 'enterprises imported' },
  'enterprise.reimported': { zh: '重新导入企业名单', en: 'enterprises re-imported' },
  'enterprise.identity_updated': { zh: '修改企业基本信息', en: 'enterprise identity updated' },
  'enterprise_users.imported': { zh: '导入企业账号', en: 'enterprise accounts imported' },
  'ledger.updated': { zh: '修改企业台账', en: 'enterprise ledger updated' },
  'gateway.created': { zh: '新建网关', en: 'gateway provisioned' },
  'gateway.disabled': { zh: '停用网关', en: 'gateway disabled' },
  'gateway.enabled': { zh: '启用网关', en: 'gateway enabled' },
  'gateway.secret_rotated': { zh: '更换网关密钥', en: 'gateway secret rotated' },
  'sensor.created': { zh: '新建测点', en: 'point created' },
  'sensor.updated': { zh: '修改测点', en: 'point updated' },
  'sensor.stopped': { zh: '停用测点', en: 'point stopped' },
  'sensor.resumed': { zh: '恢复测点', en: 'point resumed' },
  'registry.imported': { zh: '导入测点表', en: 'point list imported' },
  'hazard_source.created': { zh: '登记重大危险源', en: 'major hazard source registered' },
  'hazard_source.updated': { zh: '修改重大危险源', en: 'major hazard source updated' },
  'hazard_source.deleted': { zh: '删除重大危险源', en: 'major hazard source deleted' },
  'planned_stop.registered': { zh: '登记停产检修', en: 'planned stop registered' },
  'planned_stop.ended': { zh: '停产检修结束', en: 'planned stop ended' },
  'planned_stop.cancelled': { zh: '取消停产检修登记', en: 'planned stop cancelled' },
  'rule_override.registered': { zh: '登记企业报警限值', en: 'alarm limit registered' },
  'rule_override.deleted': { zh: '删除企业报警限值', en: 'alarm limit deleted' },
  'officer.created': { zh: '新建用户', en: 'user created' },
  'officer.disabled': { zh: '停用用户', en: 'user disabled' },
  'officer.password_set': { zh: '设置用户密码', en: 'user password set' },
  'officer.unlocked': { zh: '解除登录锁定', en: 'sign-in lock lifted' },
  'notify_settings.updated': { zh: '修改通知设置', en: 'notification settings updated' },
  'inspection.recorded': { zh: '登记执法检查', en: 'inspection recorded' },
  'inspection.refused': { zh: '执法检查登记被拒（超出频次）', en: 'inspection refused (over the cap)' },
  'alert.verified_remotely': { zh: '远程核查报警', en: 'alarm verified remotely' },
  'attachment.stored': { zh: '上传附件', en: 'attachment uploaded' },
  'self_inspection.reported': { zh: '提交季度自查报告', en: 'quarterly self-inspection reported' },
  'self_inspection.corrected': { zh: '更正季度自查报告', en: 'quarterly self-inspection corrected' },
  'self_inspection.hazard_rectified': { zh: '自查隐患整改完成', en: 'self-reported hazard rectified' },
  // a task's steps (inspections/tasks/lifecycle.ts): `task.{event}`
  'task.created': { zh: '生成检查任务', en: 'task created' },
  'task.unroutable': { zh: '检查任务无法派发（无执法主体）', en: 'task could not be routed' },
  'task.assign': { zh: '派发检查任务', en: 'task assigned' },
  'task.accept': { zh: '接受检查任务', en: 'task accepted' },
  'task.arrive': { zh: '到达现场', en: 'arrived on site' },
  'task.record_findings': { zh: '记录检查结果', en: 'findings recorded' },
  'task.record_inspection': { zh: '登记检查记录', en: 'inspection record entered' },
  'task.order_rectification': { zh: '责令限期整改', en: 'rectification ordered' },
  'task.schedule_recheck': { zh: '安排复查', en: 're-check scheduled' },
  'task.recheck_due': { zh: '复查到期', en: 're-check due' },
  'task.recheck_result': { zh: '复查结果', en: 're-check result' },
  'task.schedule_overdue': { zh: '登记超时提醒', en: 'overdue reminder scheduled' },
  'task.escalate': { zh: '任务超时上报', en: 'task escalated' },
  'task.attach_alert': { zh: '报警并入任务', en: 'alarm joined the task' },
  'task.alert_attached': { zh: '报警并入任务', en: 'alarm joined the task' },
  'task.verify_remotely': { zh: '远程核查', en: 'verified remotely' },
  'task.convert_to_inspection': { zh: '转为现场检查', en: 'converted to an on-site inspection' },
  // the enterprise's response to an alarm (alerts/response/lifecycle.ts): `alert_response.{event}`
  'alert_response.opened': { zh: '报警推送企业', en: 'alarm handed to the enterprise' },
  'alert_response.signed': { zh: '企业签收', en: 'signed for by the enterprise' },
  'alert_response.fed_back': { zh: '企业反馈', en: 'enterprise fed back' },
  'alert_response.reviewed': { zh: '审核企业反馈', en: 'feedback reviewed' },
  'alert_response.clear_requested': { zh: '企业申请消警', en: 'enterprise asked to clear' },
  'alert_response.cleared': { zh: '消警', en: 'cleared' },
  'alert_response.supervised': { zh: '转为督办', en: 'supervised' },
  'alert_response.closed': { zh: '响应结束', en: 'response closed' },
  'alert_response.regraded': { zh: '报警等级变化', en: 'alarm regraded' },
};

export const AUDIT_SUBJECT_NAMES: Readonly<Record<string, Text>> = {
  authority: { zh: '执法主体', en: 'authority' },
  enterprise: { zh: '企业', en: 'enterprise' },
  gateway: { zh: '网关', en: 'gateway' },
  sensor: { zh: '测点', en: 'point' },
  hazard_source: { zh: '重大危险源', en: 'major hazard source' },
  planned_stop: { zh: '停产检修', en: 'planned stop' },
  rule_override: { zh: '报警限值', en: 'alarm limit' },
  officer: { zh: '用户', en: 'user' },
  notify_settings: { zh: '通知设置', en: 'notification settings' },
  inspection: { zh: '执法检查', en: 'inspection' },
  task: { zh: '检查任务', en: 'task' },
  alert: { zh: '报警', en: 'alarm' },
  attachment: { zh: '附件', en: 'attachment' },
  self_inspection_report: { zh: '季度自查报告', en: 'self-inspection report' },
  self_reported_hazard: { zh: '自查隐患', en: 'self-reported hazard' },
  registry: { zh: '测点表', en: 'point list' },
};

/** An audit actor's name: an officer's, the platform's own workers as 系统, anything else as it is. */
export const SYSTEM_ACTORS: Readonly<Record<string, Text>> = {
  system: { zh: '系统', en: 'system' },
  'system:tasks': { zh: '系统（检查任务）', en: 'system (tasks)' },
  'system:rules': { zh: '系统（规则）', en: 'system (rules)' },
  'system:responses': { zh: '系统（企业响应）', en: 'system (responses)' },
};

export interface NamedAuditRecord extends AuditRecord {
  actionName: Text;
  subjectTypeName: Text;
  actorName: Text;
}

const same = (s: string): Text => ({ zh: s, en: s });

/** The records with their names; a code not in the lists keeps its code as its name (and is logged by the caller's test). */
export async function namedAuditRecords(db: Queryable, records: readonly AuditRecord[]): Promise<NamedAuditRecord[]> {
  const names = await namesOf(db, { officers: records.map((r) => officerOfActor(r.actor)) });
  return records.map((r) => {
    const officer = officerOfActor(r.actor);
    const actorName = SYSTEM_ACTORS[r.actor] ?? same(officer ? (names.officers[officer] ?? officer) : r.actor);
    return {
      ...r,
      actionName: AUDIT_ACTION_NAMES[r.action] ?? same(r.action),
      subjectTypeName: AUDIT_SUBJECT_NAMES[r.subjectType] ?? same(r.subjectType),
      actorName,
    };
  });
}
