/**
 * Which alerts open an off-plan inspection task (计划外/动态检查; domain rule
 * 4). Pure and configurable: the same function serves an alert event as it
 * happens and the periodic sweep of active alerts (for the triggers that
 * need time to pass: a gateway offline for a day, an orange alert not
 * disposed within its limit). Tasks are sent to the enterprise's own
 * authority only (routing is the caller's).
 *
 * What kind of task (`taskKindOf`; issue #15 item 16, 应急〔2025〕11号 §三
 * and §七): a serious violation found by data monitoring (a red alert, or
 * one of a rule the catalogue marks `seriousViolation`) opens an on-site
 * inspection task, whose visit is exempt from the yearly cap; any other
 * alert (chattering, frozen or dropped readings, a loose registered limit, a
 * long offline, an orange alert left undisposed) opens a remote
 * verification task (online patrol: call the enterprise, review the data or
 * the video) that records no inspection and does not count. Turning it into
 * an on-site inspection needs a reason and is subject to the cap.
 */
import type { Alert } from '../../alerts/state/index.ts';
import { isSeriousViolation } from '../caps.ts';
import { matterOf, type Matter } from './matters.ts';

/** `inspection`: on site (执法检查); `remote_verification`: online patrol (线上巡查), no inspection recorded. */
export const TASK_KINDS = ['inspection', 'remote_verification'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** The kind of task an alert calls for: on site only for a serious violation. */
export const taskKindOf = (alert: Pick<Alert, 'severity'>, seriousRule: boolean): TaskKind =>
  isSeriousViolation({ severity: alert.severity, seriousRule }) ? 'inspection' : 'remote_verification';

export interface TaskPolicy {
  /** A red alert (fired red, or raised to red). Default on. */
  red: boolean;
  /** Patterns that open a task whatever their grade: disabled safety devices, interlock failures, signs of tampering. */
  patterns: readonly string[];
  /** A gateway offline this long (ms). Default 24 h; `undefined`: never. */
  gatewayOfflineMs: number | undefined;
  /** An orange alert still not disposed this long after it fired (ms). Default 24 h; `undefined`: never. */
  orangeUndisposedMs: number | undefined;
  /** A chattering alert (the same point alarming repeatedly within a day). Default on. */
  chattering: boolean;
  /** A registered alarm limit looser than the standard. Default on. */
  looseLimit: boolean;
}

export const DEFAULT_TASK_POLICY: TaskPolicy = {
  red: true,
  patterns: ['safety_off_in_production', 'interlock_failure', 'frozen', 'drop_to_zero'],
  gatewayOfflineMs: 24 * 3_600_000,
  orangeUndisposedMs: 24 * 3_600_000,
  chattering: true,
  looseLimit: true,
};

/** `manual`: a duty officer or leader dispatched the task from the alert. */
export type TaskTrigger = 'manual' | 'red' | 'pattern' | 'gateway_offline_long' | 'orange_undisposed' | 'chattering' | 'loose_limit';

export type TaskDecision =
  | { open: true; trigger: TaskTrigger; kind: TaskKind; matter: Matter; reason: { zh: string; en: string } }
  | { open: false; why: 'not_fired' | 'not_active' | 'no_trigger' | 'not_yet' };

const HOUR = 3_600_000;
const hours = (ms: number) => Math.round((ms / HOUR) * 10) / 10;

/**
 * Whether `alert`, as it is at `now`, calls for an inspection task. `pattern`
 * is the pattern of the alert's rule (from the catalogue). A disposed alert
 * never opens one: the officer judged it; a resolved one still does for the
 * event-driven triggers (a red alert that came and went is still a serious
 * violation found by data monitoring). `seriousRule`: whether the
 * catalogue marks the alert's rule `seriousViolation` (the task's kind).
 */
export function taskDecision(alert: Alert, pattern: string, now: number, policy: TaskPolicy = DEFAULT_TASK_POLICY, seriousRule = false): TaskDecision {
  if (alert.firedAt === undefined) return { open: false, why: 'not_fired' };
  if (alert.state === 'disposed') return { open: false, why: 'not_active' };
  const d = triggerOf(alert, alert.firedAt, pattern, now, policy);
  return d.open ? { ...d, kind: taskKindOf(alert, seriousRule) } : d;
}

function triggerOf(
  alert: Alert,
  firedAt: number,
  pattern: string,
  now: number,
  policy: TaskPolicy,
): Omit<Extract<TaskDecision, { open: true }>, 'kind'> | Extract<TaskDecision, { open: false }> {
  const matter = matterOf(alert.ruleId);
  const at = `${alert.subject}（${alert.ruleId}）`;
  if (policy.red && alert.severity === 'red')
    return { open: true, trigger: 'red', matter, reason: { zh: `红色预警：${at}`, en: `red alert: ${alert.subject} (${alert.ruleId})` } };
  if (alert.ruleId === 'common.chattering')
    return policy.chattering
      ? { open: true, trigger: 'chattering', matter, reason: { zh: `频繁报警：${alert.subject}`, en: `chattering: ${alert.subject}` } }
      : { open: false, why: 'no_trigger' };
  if (alert.ruleId === 'common.loose_limit')
    return policy.looseLimit
      ? {
          open: true,
          trigger: 'loose_limit',
          matter,
          reason: { zh: `登记报警值宽于标准：${alert.subject}`, en: `registered limit looser than the standard: ${alert.subject}` },
        }
      : { open: false, why: 'no_trigger' };
  if (policy.patterns.includes(pattern)) return { open: true, trigger: 'pattern', matter, reason: { zh: `${alert.message.zh}`, en: `${alert.message.en}` } };
  const active = alert.state === 'firing' || alert.state === 'acknowledged';
  if (pattern === 'gateway_offline' && policy.gatewayOfflineMs !== undefined) {
    if (!active) return { open: false, why: 'not_active' };
    const lasted = now - alert.startedAt;
    return lasted >= policy.gatewayOfflineMs
      ? {
          open: true,
          trigger: 'gateway_offline_long',
          matter,
          reason: { zh: `网关离线已超过 ${hours(lasted)} 小时：${alert.subject}`, en: `gateway offline for more than ${hours(lasted)} h: ${alert.subject}` },
        }
      : { open: false, why: 'not_yet' };
  }
  if (alert.severity === 'orange' && policy.orangeUndisposedMs !== undefined) {
    if (!active) return { open: false, why: 'not_active' };
    const waited = now - firedAt;
    return waited >= policy.orangeUndisposedMs
      ? {
          open: true,
          trigger: 'orange_undisposed',
          matter,
          reason: {
            zh: `橙色预警 ${hours(waited)} 小时未处置：${at}`,
            en: `orange alert not disposed for ${hours(waited)} h: ${alert.subject} (${alert.ruleId})`,
          },
        }
      : { open: false, why: 'not_yet' };
  }
  return { open: false, why: 'no_trigger' };
}
