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
import { WARNING_NAMES, rankOf, type WarningLevel, type WarningResult } from '../../alerts/warnings/policy.ts';
import type { RiskWarning } from '../../alerts/warnings/store.ts';
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
  /**
   * An alert that is a factor of a risk warning (预警, alerts/warnings/) at this level or above — of its
   * enterprise or of the major hazard source it belongs to. Default orange (较大风险; platform default, for the
   * bureau to set); `undefined`: warnings open no task.
   */
  warning: WarningLevel | undefined;
}

export const DEFAULT_TASK_POLICY: TaskPolicy = {
  red: true,
  patterns: ['safety_off_in_production', 'interlock_failure', 'frozen', 'drop_to_zero'],
  gatewayOfflineMs: 24 * 3_600_000,
  orangeUndisposedMs: 24 * 3_600_000,
  chattering: true,
  looseLimit: true,
  warning: 'orange',
};

/** The risk warnings an alert is a factor of (the enterprise's or its hazard sources'), as the task policy reads them. */
export interface AlertWarnings {
  /** The highest level among the warnings that list the alert as a factor, and the enterprise's own if one of them is its hazard source's. */
  level: WarningResult;
  /** The factors of that warning, in words. */
  reasons: string[];
}

type WarningView = Pick<RiskWarning, 'hazardSourceCode' | 'level' | 'factors'>;
const ALARM_FACTORS = new Set(['alarm', 'standing', 'repeats', 'pattern']);

/** The alarm that leads a warning: the one of its highest factor (an enterprise's through its hazard source's warning), if an alarm leads it. */
function leadAlarm(w: WarningView, all: readonly WarningView[]): string | undefined {
  const lead = w.factors.find((f) => ALARM_FACTORS.has(f.kind) || f.kind === 'hazard_source');
  if (!lead?.ref) return undefined;
  if (lead.kind !== 'hazard_source') return lead.ref;
  const source = all.find((x) => x.hazardSourceCode === lead.ref);
  return source && leadAlarm(source, all);
}

/**
 * What the task policy reads of an enterprise's risk warnings for one alert: the highest warning the alert
 * leads (its factor is the warning's highest; alarms in the order they began), so that a warning opens one
 * task, on its leading alarm, not one per alarm that adds to it. Undefined when the alert leads none.
 */
export function alertWarningsOf(alert: Pick<Alert, 'id'>, warnings: readonly WarningView[]): AlertWarnings | undefined {
  const led = warnings.filter((w) => w.level !== 'none' && leadAlarm(w, warnings) === alert.id);
  if (led.length === 0) return undefined;
  const top = led.reduce((a, b) => (rankOf(b.level) > rankOf(a.level) ? b : a));
  return { level: top.level, reasons: top.factors.map((f) => f.zh) };
}

/** `manual`: a duty officer or leader dispatched the task from the alert. */
export type TaskTrigger = 'manual' | 'red' | 'pattern' | 'risk_warning' | 'gateway_offline_long' | 'orange_undisposed' | 'chattering' | 'loose_limit';

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
export function taskDecision(
  alert: Alert,
  pattern: string,
  now: number,
  policy: TaskPolicy = DEFAULT_TASK_POLICY,
  seriousRule = false,
  warnings?: AlertWarnings,
): TaskDecision {
  if (alert.firedAt === undefined) return { open: false, why: 'not_fired' };
  if (alert.state === 'disposed') return { open: false, why: 'not_active' };
  const d = triggerOf(alert, alert.firedAt, pattern, now, policy, warnings);
  return d.open ? { ...d, kind: taskKindOf(alert, seriousRule) } : d;
}

function triggerOf(
  alert: Alert,
  firedAt: number,
  pattern: string,
  now: number,
  policy: TaskPolicy,
  warnings: AlertWarnings | undefined,
): Omit<Extract<TaskDecision, { open: true }>, 'kind'> | Extract<TaskDecision, { open: false }> {
  const matter = matterOf(alert.ruleId);
  const at = `${alert.subject}（${alert.ruleId}）`;
  if (policy.red && alert.severity === 'red')
    return { open: true, trigger: 'red', matter, reason: { zh: `红色报警：${at}`, en: `red alert: ${alert.subject} (${alert.ruleId})` } };
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
  // a shelved alarm (搁置: an authorised officer judged it a nuisance, for a limited time) opens no task by time
  // or by the warnings it adds to while shelved; the event-driven triggers above still apply
  const shelved = alert.shelvedUntil !== undefined && alert.shelvedUntil > now;
  const active = (alert.state === 'firing' || alert.state === 'acknowledged') && !shelved;
  if (active && policy.warning !== undefined && warnings && rankOf(warnings.level) >= rankOf(policy.warning)) {
    const name = WARNING_NAMES[warnings.level];
    return {
      open: true,
      trigger: 'risk_warning',
      matter,
      reason: { zh: `${name.zh}：${warnings.reasons.join('；')}`, en: `${name.en}: ${alert.subject} (${alert.ruleId}) is one of its factors` },
    };
  }
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
            zh: `橙色报警 ${hours(waited)} 小时未处置：${at}`,
            en: `orange alert not disposed for ${hours(waited)} h: ${alert.subject} (${alert.ruleId})`,
          },
        }
      : { open: false, why: 'not_yet' };
  }
  return { open: false, why: 'no_trigger' };
}
