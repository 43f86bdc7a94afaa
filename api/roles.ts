/**
 * Roles and what each may do (issue #4 §7). Pure: the route files ask
 * `Authenticator.authorize(req, permission)`, which checks the caller's role
 * here; *where* a caller may act (its authority's subtree) is checked by the
 * routes against the enterprise concerned (`jurisdiction.ts`).
 *
 * - duty officer (值班员): watches alerts, acknowledges and disposes them,
 *   dispatches inspection tasks to the inspectors of the authority;
 * - inspector (执法人员): works the tasks assigned to them (accept, on site,
 *   findings, rectification order, re-check) and records inspections;
 * - leader (带班领导/分管领导): everything the duty officer may, plus
 *   escalating tasks, recording inspections and reading statistics;
 * - admin: the platform's admin token — the ledger, provisioning, officers,
 *   rule overrides and the audit trail, everywhere. The lifecycle still
 *   lets only the assigned inspector do an inspector's steps.
 * - enterprise safety manager (安全管理负责人) and responsible person
 *   (包保责任人), issue #18: their own enterprise's alarms (read, sign for,
 *   feed back, ask to clear), its monitoring data and its self-inspection
 *   reports; never another enterprise, never the bureau's tasks, inspections,
 *   statistics or ledger. The safety manager also keeps the enterprise's
 *   notification settings.
 */

// the roles an officer record may have are the officer ledger's (ledger/officers.ts)
import { ENTERPRISE_ROLES, isEnterpriseRole, OFFICER_ROLES, USER_ROLES, type EnterpriseRole, type OfficerRole, type UserRole } from '../ledger/officers.ts';
export { ENTERPRISE_ROLES, isEnterpriseRole, OFFICER_ROLES, USER_ROLES, type EnterpriseRole, type OfficerRole, type UserRole };

export type Role = OfficerRole | 'admin' | EnterpriseRole;

/** An enterprise's own people: what they may read and do is always limited to their own enterprise (scope `enterprise`). */
const ENTERPRISE = ['safety_manager', 'responsible_person'] as const satisfies readonly EnterpriseRole[];

export const PERMISSIONS = {
  /** List and read alerts, their events and readings, and the live stream. */
  'alerts.read': ['duty_officer', 'inspector', 'leader', 'admin', ...ENTERPRISE],
  /** The enterprise's answer to its own alarm: sign for (签收), feed back (cause, measures, attachments), ask to clear (消警). */
  'alerts.respond': [...ENTERPRISE],
  /** Review an enterprise's feedback (accept or reject with a reason) and record a remote verification (网络巡查). */
  'alerts.review': ['duty_officer', 'leader', 'admin'],
  /** Read monitoring data: readings, coverage, major hazard sources, planned stops (an enterprise user: its own). */
  'monitoring.read': ['duty_officer', 'inspector', 'leader', 'admin', ...ENTERPRISE],
  /** An enterprise's notification settings (channels and recipients). */
  'notify.settings': ['safety_manager', 'admin'],
  /** Submit the enterprise's self-inspection report on its major hazards (domain rule 11). */
  'self_inspection.report': [...ENTERPRISE],
  /** Read self-inspection reports (an enterprise user: its own; an officer: the jurisdiction's, with the overdue ones). */
  'self_inspection.read': ['duty_officer', 'inspector', 'leader', 'admin', ...ENTERPRISE],
  /** Acknowledge and dispose alerts. */
  'alerts.act': ['duty_officer', 'leader', 'admin'],
  /** Read an enterprise's ledger entry and its "scan into enterprise" summary. */
  'ledger.read': ['duty_officer', 'inspector', 'leader', 'admin'],
  /** Change ledger facts, import a bureau's list, provision gateways and sensors, manage officers and rule overrides. */
  'ledger.write': ['admin'],
  /** Record an inspection (planned ones count against the yearly cap). */
  'inspections.record': ['inspector', 'leader', 'admin'],
  /** List and read inspection tasks. */
  'tasks.read': ['duty_officer', 'inspector', 'leader', 'admin'],
  /** Open a task from an alert and assign it to an inspector. */
  'tasks.dispatch': ['duty_officer', 'leader', 'admin'],
  /** Accept, arrive, record findings and the re-check (the lifecycle checks it is the assigned inspector). */
  'tasks.work': ['inspector'],
  /** Order rectification with a deadline (the inspector on site, or a leader). */
  'tasks.order': ['inspector', 'leader'],
  /** Escalate a task to the authority above. */
  'tasks.escalate': ['leader', 'admin'],
  /** Statistics and rankings. */
  'stats.read': ['duty_officer', 'leader', 'admin'],
  /** Read and verify the audit trail (it spans every authority). */
  'audit.read': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export const can = (role: Role, permission: Permission): boolean => (PERMISSIONS[permission] as readonly Role[]).includes(role);

export const ROLE_NAMES: Record<Role, { zh: string; en: string }> = {
  duty_officer: { zh: '值班员', en: 'duty officer' },
  inspector: { zh: '执法人员', en: 'inspector' },
  leader: { zh: '领导', en: 'leader' },
  admin: { zh: '管理员', en: 'admin' },
  safety_manager: { zh: '企业安全管理负责人', en: 'enterprise safety manager' },
  responsible_person: { zh: '企业包保责任人', en: 'enterprise responsible person' },
};
