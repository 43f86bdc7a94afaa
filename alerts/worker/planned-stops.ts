/**
 * Planned stops (停产/检修, ledger/stops.ts) as the rules see them — pure, explicit time (ADR 0009):
 *
 * - what a stop covers: a point by the stop's scope (the enterprise, a zone, a major hazard source, a
 *   gateway, the points named); a gateway (`gateway:<id>` subjects) when the stop names the gateway or
 *   the enterprise, or when every point on the gateway is covered (it serves nothing but the stopped unit);
 * - which alerts a stop holds back: raises, below red, of the silence and offline rules (patterns
 *   `data_silence`, `gateway_points_silent`, `gateway_offline`) whose subject the stop covers at the
 *   finding's data time. Hazard rules (gas, level, …) are never held back: a stopped plant can still leak;
 * - the overrun decision: a stop begun, neither ended nor cancelled, past its expected end;
 * - production during a stop: a `production` signal reporting `running` for a point a stop covers.
 *
 * A held-back alert is opened `pending` with `suppressedBy: 'stop:<id>'` — the state model's root-cause
 * suppression (alerts/state/suppression.ts), the stop standing in for the root cause — so the silence is on
 * record and counted, never notified; it is lifted once the stop is over (stop-watch.ts).
 */
import type { PlannedStop, StopKind, StopScope } from '../../ledger/stops.ts';
import { STOP_KIND_NAMES, STOP_SCOPE_NAMES } from '../../ledger/stops.ts';
import type { Finding, Observation, Severity } from '../types.ts';

/** `suppressedBy` of an alert held back by a stop; never a fingerprint (those contain `|`). */
export const STOP_ROOT_PREFIX = 'stop:';
export const stopRoot = (stopId: string): string => `${STOP_ROOT_PREFIX}${stopId}`;
/** The stop id of a `stop:<id>` root; undefined for another root (an alert's fingerprint). */
export const stopIdOfRoot = (root: string): string | undefined => (root.startsWith(STOP_ROOT_PREFIX) ? root.slice(STOP_ROOT_PREFIX.length) : undefined);

/** Rule id of the alert raised when a stop runs past its expected end (计划停产超期未恢复). */
export const STOP_OVERRUN_RULE_ID = 'common.planned_stop_overrun';
/** Rule id of the alert raised when production reports running during a registered stop (停产期间生产运行). */
export const PRODUCTION_DURING_STOP_RULE_ID = 'common.production_during_stop';

export const STOP_RULES: Readonly<Record<string, { name: { zh: string; en: string }; severity: Severity }>> = {
  /** Yellow: platform default (the plant is still stopped, so not a hazard in itself; the record needs updating). */
  [STOP_OVERRUN_RULE_ID]: { name: { zh: '计划停产超期未恢复', en: 'Planned stop overran' }, severity: 'yellow' },
  /** Orange: platform default (running while registered as stopped: the record is false, or production resumed without notice). */
  [PRODUCTION_DURING_STOP_RULE_ID]: { name: { zh: '停产期间生产运行', en: 'Production running during a registered stop' }, severity: 'orange' },
};

/** The patterns whose raises a stop holds back: data interruption, all of a gateway's points silent, gateway offline. */
export const STOP_SUPPRESSIBLE_PATTERNS: readonly string[] = ['data_silence', 'gateway_points_silent', 'gateway_offline'];

/** A stop with times in ms; `closedAt`: when it was ended or cancelled. */
export interface StopWindow {
  id: string;
  enterpriseId: string;
  scope: StopScope;
  targets: readonly string[];
  kind: StopKind;
  reason: string;
  person: { name: string; phone: string };
  startsAt: number;
  expectedEndAt: number;
  endedAt?: number | undefined;
  cancelledAt?: number | undefined;
}

export function toWindow(s: PlannedStop): StopWindow {
  return {
    id: s.id,
    enterpriseId: s.enterpriseId,
    scope: s.scope,
    targets: s.targets,
    kind: s.kind,
    reason: s.reason,
    person: s.person,
    startsAt: Date.parse(s.startsAt),
    expectedEndAt: Date.parse(s.expectedEndAt),
    ...(s.endedAt !== null && { endedAt: Date.parse(s.endedAt) }),
    ...(s.cancelledAt !== null && { cancelledAt: Date.parse(s.cancelledAt) }),
  };
}

/** When a stop stopped being in force (ended or cancelled); undefined while open. */
export const closedAt = (s: StopWindow): number | undefined => s.endedAt ?? s.cancelledAt;

/**
 * In force at `at` (data time): begun, not ended by then, never cancelled (a cancelled stop was
 * registered in error: nothing is held back under it any more).
 */
export const inForce = (s: StopWindow, at: number): boolean => s.cancelledAt === undefined && s.startsAt <= at && (s.endedAt === undefined || at < s.endedAt);

/** What the rules know of a point that a scope can name. */
export interface StopPoint {
  id: string;
  gatewayId: string;
  zone?: string | undefined;
  hazardSourceCode?: string | undefined;
}

export function coversPoint(s: Pick<StopWindow, 'scope' | 'targets'>, p: StopPoint): boolean {
  switch (s.scope) {
    case 'enterprise':
      return true;
    case 'zone':
      return p.zone !== undefined && s.targets.includes(p.zone);
    case 'hazard_source':
      return p.hazardSourceCode !== undefined && s.targets.includes(p.hazardSourceCode);
    case 'gateway':
      return s.targets.includes(p.gatewayId);
    case 'points':
      return s.targets.includes(p.id);
  }
}

/**
 * Whether the stop covers an alert subject of its enterprise: a point id, or `gateway:<id>` (named, the
 * enterprise, or every point on it covered). Other subjects (zones, limits, stops) only by an enterprise stop.
 */
export function coversSubject(s: StopWindow, enterpriseId: string, subject: string, points: readonly StopPoint[]): boolean {
  if (s.enterpriseId !== enterpriseId) return false;
  if (s.scope === 'enterprise') return true;
  if (subject.startsWith('gateway:')) {
    const gatewayId = subject.slice('gateway:'.length);
    if (s.scope === 'gateway') return s.targets.includes(gatewayId);
    const on = points.filter((p) => p.gatewayId === gatewayId);
    return on.length > 0 && on.every((p) => coversPoint(s, p));
  }
  const p = points.find((q) => q.id === subject);
  return p !== undefined && coversPoint(s, p);
}

/** The stop in force at `at` that covers the subject; several: the earliest begun, then the smallest id. */
export function stopCovering(
  stops: readonly StopWindow[],
  enterpriseId: string,
  subject: string,
  at: number,
  points: readonly StopPoint[],
): StopWindow | undefined {
  return stops
    .filter((s) => inForce(s, at) && coversSubject(s, enterpriseId, subject, points))
    .sort((a, b) => a.startsAt - b.startsAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
}

/**
 * The root (`stop:<id>`) a finding is held back by, if any: a raise below red of a silence or offline
 * rule (`patternOf` its rule) whose subject a stop covers, in force at the finding's data time or when the
 * worker judged it (`judgedAt`, its clock): a silence is stamped with the last data, which is often just
 * before the stop begins (the plant shut down at 08:00, last reading 07:59:58), and judged 3 periods later.
 */
export function stopSuppressionFor(
  f: Pick<Finding, 'ruleId' | 'enterpriseId' | 'subject' | 'condition' | 'severity' | 'at'>,
  stops: readonly StopWindow[],
  points: readonly StopPoint[],
  patternOf: (ruleId: string) => string | undefined,
  judgedAt: number = f.at,
): string | undefined {
  if (f.condition !== 'raise' || f.severity === 'red') return undefined;
  const pattern = patternOf(f.ruleId);
  if (pattern === undefined || !STOP_SUPPRESSIBLE_PATTERNS.includes(pattern)) return undefined;
  const s = stopCovering(stops, f.enterpriseId, f.subject, f.at, points) ?? stopCovering(stops, f.enterpriseId, f.subject, judgedAt, points);
  return s === undefined ? undefined : stopRoot(s.id);
}

/** The overrun alert of a stop: raise once begun, open and past its expected end; clear once ended or cancelled; else nothing. */
export function overrunDecision(s: StopWindow, now: number): 'raise' | 'clear' | 'none' {
  if (closedAt(s) !== undefined) return 'clear';
  return now >= s.expectedEndAt && now >= s.startsAt ? 'raise' : 'none';
}

const iso = (t: number): string => new Date(t).toISOString();

/** `检修（网关 G1）` / `maintenance (gateway G1)`. */
export function describeStop(s: Pick<StopWindow, 'kind' | 'scope' | 'targets'>): { zh: string; en: string } {
  const kind = STOP_KIND_NAMES[s.kind];
  const scope = STOP_SCOPE_NAMES[s.scope];
  const list = s.targets.join(', ');
  return s.scope === 'enterprise'
    ? { zh: `${kind.zh}（全厂）`, en: `${kind.en} (the whole enterprise)` }
    : { zh: `${kind.zh}（${scope.zh} ${list}）`, en: `${kind.en} (${scope.en} ${list})` };
}

export const stopSubject = (stopId: string): string => `stop:${stopId}`;

export function overrunFinding(s: StopWindow, condition: 'raise' | 'clear', at: number): Finding {
  const rule = STOP_RULES[STOP_OVERRUN_RULE_ID]!;
  const d = describeStop(s);
  const message =
    condition === 'raise'
      ? {
          zh: `${rule.name.zh}：${d.zh} 预计 ${iso(s.expectedEndAt)} 恢复，至今未登记结束；原因：${s.reason}；负责人 ${s.person.name} ${s.person.phone}`,
          en: `${rule.name.en}: ${d.en} was expected to end at ${iso(s.expectedEndAt)} and is not recorded as ended; reason: ${s.reason}; responsible: ${s.person.name} ${s.person.phone}`,
        }
      : s.cancelledAt !== undefined
        ? { zh: `${rule.name.zh}已消除：${d.zh} 已撤销`, en: `${rule.name.en} is over: ${d.en} was cancelled` }
        : { zh: `${rule.name.zh}已消除：${d.zh} 已结束`, en: `${rule.name.en} is over: ${d.en} has ended` };
  return {
    ruleId: STOP_OVERRUN_RULE_ID,
    ruleVersion: 1,
    enterpriseId: s.enterpriseId,
    subject: stopSubject(s.id),
    condition,
    severity: rule.severity,
    at,
    message,
    evidence: [],
  };
}

/** A production signal point's report, for `productionDecision`. */
export interface ProductionReport {
  enterpriseId: string;
  pointId: string;
  state: string;
  ts: number;
}

/**
 * What a production signal means for the stops: `running` while a stop in force covers the point → raise
 * (naming the stop); any other state (`stopped`) → clear; a point of another kind → nothing.
 */
export function productionDecision(
  r: ProductionReport,
  kind: string | undefined,
  stops: readonly StopWindow[],
  points: readonly StopPoint[],
): { condition: 'raise'; stop: StopWindow } | { condition: 'clear' } | undefined {
  if (kind !== 'production') return undefined;
  if (r.state !== 'running') return { condition: 'clear' };
  const stop = stopCovering(stops, r.enterpriseId, r.pointId, r.ts, points);
  return stop === undefined ? { condition: 'clear' } : { condition: 'raise', stop };
}

export function productionFinding(
  r: ProductionReport,
  condition: 'raise' | 'clear',
  at: number,
  stop: StopWindow | undefined,
  evidence: Observation[] = [],
): Finding {
  const rule = STOP_RULES[PRODUCTION_DURING_STOP_RULE_ID]!;
  const d = stop ? describeStop(stop) : undefined;
  const message =
    condition === 'raise' && stop && d
      ? {
          zh: `${rule.name.zh}：${r.pointId} 报告生产运行，而 ${d.zh} 自 ${iso(stop.startsAt)} 起登记停止（原因：${stop.reason}；负责人 ${stop.person.name} ${stop.person.phone}）——停产记录不实，或未报告即恢复生产`,
          en: `${rule.name.en}: ${r.pointId} reports production running while ${d.en} is registered as stopped since ${iso(stop.startsAt)} (reason: ${stop.reason}; responsible: ${stop.person.name} ${stop.person.phone}): the record is false, or production resumed without notice`,
        }
      : { zh: `${rule.name.zh}已消除：${r.pointId} 生产已停止或停产记录已结束`, en: `${rule.name.en} is over: ${r.pointId} stopped, or the stop has ended` };
  return {
    ruleId: PRODUCTION_DURING_STOP_RULE_ID,
    ruleVersion: 1,
    enterpriseId: r.enterpriseId,
    subject: r.pointId,
    condition,
    severity: rule.severity,
    at,
    message,
    evidence,
  };
}
