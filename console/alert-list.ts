/**
 * The alarm list's filters, sorting and grouping (issue #20 §3), pure: the list holds every alarm still needing an
 * officer and the latest disposed ones (screens/alerts.tsx); these say which of them show, and in what order.
 */
import { t, type Key } from './i18n.ts';
import type { Alert, AlertState, Grade } from './types.ts';

export const GRADES: readonly Grade[] = ['red', 'orange', 'yellow', 'blue'];
const GRADE_ORDER: Record<Grade, number> = { red: 0, orange: 1, yellow: 2, blue: 3 };
const OPEN: readonly AlertState[] = ['pending', 'firing', 'acknowledged'];

export type StateFilter = 'needs_officer' | 'firing' | 'acknowledged' | 'resolved' | 'disposed' | 'all';
export type SortBy = 'urgency' | 'newest' | 'oldest' | 'enterprise';

export interface AlertFilters {
  /** Grades shown (empty: every grade). */
  grades: readonly Grade[];
  state: StateFilter;
  enterpriseId: string;
  authorityId: string;
  /** The rule family: the first part of the rule id (gas, common, chem, mine, dust, metal, fireworks). */
  family: string;
  /** `YYYY-MM-DDTHH:mm`, China Standard Time, on the alarm's time (fired, else started); '' for no bound. */
  from: string;
  to: string;
  q: string;
  sort: SortBy;
  group: boolean;
}

export const NO_FILTERS: AlertFilters = {
  grades: [],
  state: 'needs_officer',
  enterpriseId: '',
  authorityId: '',
  family: '',
  from: '',
  to: '',
  q: '',
  sort: 'urgency',
  group: false,
};

/** Still needs an officer: fired and not disposed (a resolved alarm still needs its disposal text). */
export const needsOfficer = (a: Alert): boolean => a.state !== 'disposed' && a.firedAt !== undefined;

/** The rule families' names (the packs of the catalogue). */
const FAMILIES: Record<string, Key> = {
  gas: 'familyGas',
  common: 'familyCommon',
  chem: 'familyChem',
  mine: 'familyMine',
  dust: 'familyDust',
  metal: 'familyMetal',
  fireworks: 'familyFireworks',
};
export const familyOf = (ruleId: string): string => ruleId.split('.')[0] ?? ruleId;
export const familyName = (f: string): string => (FAMILIES[f] ? t(FAMILIES[f]) : f);

/** A `datetime-local` value, read as China Standard Time. */
const cst = (v: string): number => Date.parse(`${v}:00+08:00`);
const when = (a: Alert): number => a.firedAt ?? a.startedAt;

/** Open first (red before orange …), then newest first. */
export const byUrgency = (a: Alert, b: Alert): number =>
  Number(OPEN.includes(b.state)) - Number(OPEN.includes(a.state)) || GRADE_ORDER[a.severity] - GRADE_ORDER[b.severity] || b.startedAt - a.startedAt;

/**
 * The alarms the filters let through, sorted. `authorityOf`: an enterprise's authority (the board's); `nameOf`: an
 * enterprise's name (the search and the sort by enterprise read it).
 */
export function applyFilters(
  alerts: Iterable<Alert>,
  f: AlertFilters,
  ctx: { authorityOf: (enterpriseId: string) => string | null | undefined; nameOf: (enterpriseId: string) => string },
): Alert[] {
  const q = f.q.trim().toLowerCase();
  const [from, to] = [f.from ? cst(f.from) : -Infinity, f.to ? cst(f.to) : Infinity];
  const out = [...alerts].filter(
    (a) =>
      (f.state === 'all' ? a.firedAt !== undefined : f.state === 'needs_officer' ? needsOfficer(a) : a.state === f.state) &&
      (f.grades.length === 0 || f.grades.includes(a.severity)) &&
      (!f.enterpriseId || a.enterpriseId === f.enterpriseId) &&
      (!f.authorityId || ctx.authorityOf(a.enterpriseId) === f.authorityId) &&
      (!f.family || familyOf(a.ruleId) === f.family) &&
      when(a) >= from &&
      when(a) <= to &&
      (!q || [ctx.nameOf(a.enterpriseId), a.enterpriseId, a.subject, a.message.zh, a.message.en].some((s) => s.toLowerCase().includes(q))),
  );
  const sorts: Record<SortBy, (a: Alert, b: Alert) => number> = {
    urgency: byUrgency,
    newest: (a, b) => when(b) - when(a),
    oldest: (a, b) => when(a) - when(b),
    enterprise: (a, b) => ctx.nameOf(a.enterpriseId).localeCompare(ctx.nameOf(b.enterpriseId), 'zh-CN') || byUrgency(a, b),
  };
  return out.sort(sorts[f.sort]);
}

/** The alarms by enterprise, in the list's order of first appearance. */
export function groupByEnterprise(list: readonly Alert[]): [string, Alert[]][] {
  const groups = new Map<string, Alert[]>();
  for (const a of list) groups.set(a.enterpriseId, [...(groups.get(a.enterpriseId) ?? []), a]);
  return [...groups];
}

/** A resolved non-red alarm: may be disposed with others at once (a red one is disposed alone, with its own reason). */
export const bulkDisposable = (a: Alert): boolean => a.state === 'resolved' && a.severity !== 'red';
