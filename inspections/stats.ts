/**
 * Statistics per authority and period (issue #4 §6): alerts by grade,
 * disposal rate and time to acknowledge, tasks opened and closed, findings
 * and major hazards, the re-check pass rate, the enterprises' data online
 * rate and offline hours, with rankings of the authorities directly below
 * and of the enterprises.
 *
 * What counts in a period [from, to): alerts that started in it; tasks
 * opened in it; findings of those tasks; re-check results recorded in it;
 * online time of each enterprise's gateways within it (from the gateway
 * status events; a gateway counts from its creation, and one never seen
 * is offline). An enterprise's online rate is its gateways' online time
 * over their observed time; an authority's is over all its enterprises'.
 *
 * The SQL gathers facts per enterprise (`Statistics`); the arithmetic is
 * pure (`summarise`, `onlineMs`) and unit-tested.
 */
import { cstDay } from '../alerts/quality.ts';
import type { Queryable } from '../core/db/db.ts';
import { Params, scopeSql, type Scope } from '../core/jurisdiction.ts';
import { ORIGINS, type Origin } from './caps.ts';
import type { TaskFinding } from './tasks/lifecycle.ts';

export const GRADES_ORDER = ['red', 'orange', 'yellow', 'blue'] as const;
type Grade = (typeof GRADES_ORDER)[number];

/** What one enterprise did in the period. */
export interface EnterpriseFacts {
  enterpriseId: string;
  name: string;
  authorityId: string | null;
  alerts: Record<Grade, number>;
  /** Alerts that fired (not only pending), and of those disposed by an officer. */
  fired: number;
  disposed: number;
  /** Firing → acknowledged (or disposed without acknowledgement), ms, per handled alert. */
  ackMs: number[];
  tasksOpened: number;
  tasksClosed: number;
  tasksEscalated: number;
  hazards: number;
  majorHazards: number;
  rechecks: number;
  rechecksPassed: number;
  /** Gateways' online and observed time in the period, ms (summed over gateways). */
  onlineMs: number;
  observedMs: number;
}

export interface Metrics {
  enterprises: number;
  alerts: { total: number; byGrade: Record<Grade, number>; fired: number; disposed: number; disposalRate: number | null };
  acknowledge: { count: number; meanMs: number | null; p50Ms: number | null; p90Ms: number | null };
  tasks: { opened: number; closed: number; escalated: number };
  findings: { hazards: number; majorHazards: number };
  rechecks: { total: number; passed: number; passRate: number | null };
  online: { rate: number | null; offlineHours: number };
}

const ratio = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null);

const percentile = (sorted: number[], p: number): number | null =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** Sums enterprises' facts into the figures shown. */
export function summarise(facts: readonly EnterpriseFacts[]): Metrics {
  const byGrade: Record<Grade, number> = { red: 0, orange: 0, yellow: 0, blue: 0 };
  const ack: number[] = [];
  let fired = 0,
    disposed = 0,
    opened = 0,
    closed = 0,
    escalated = 0,
    hazards = 0,
    major = 0,
    rechecks = 0,
    passed = 0,
    online = 0,
    observed = 0;
  for (const f of facts) {
    for (const g of GRADES_ORDER) byGrade[g] += f.alerts[g];
    fired += f.fired;
    disposed += f.disposed;
    ack.push(...f.ackMs);
    opened += f.tasksOpened;
    closed += f.tasksClosed;
    escalated += f.tasksEscalated;
    hazards += f.hazards;
    major += f.majorHazards;
    rechecks += f.rechecks;
    passed += f.rechecksPassed;
    online += f.onlineMs;
    observed += f.observedMs;
  }
  ack.sort((a, b) => a - b);
  return {
    enterprises: facts.length,
    alerts: { total: GRADES_ORDER.reduce((n, g) => n + byGrade[g], 0), byGrade, fired, disposed, disposalRate: ratio(disposed, fired) },
    acknowledge: {
      count: ack.length,
      meanMs: ack.length > 0 ? Math.round(ack.reduce((a, b) => a + b, 0) / ack.length) : null,
      p50Ms: percentile(ack, 0.5),
      p90Ms: percentile(ack, 0.9),
    },
    tasks: { opened, closed, escalated },
    findings: { hazards, majorHazards: major },
    rechecks: { total: rechecks, passed, passRate: ratio(passed, rechecks) },
    online: { rate: ratio(online, observed), offlineHours: Math.round(((observed - online) / 3_600_000) * 10) / 10 },
  };
}

/**
 * Online time of one gateway within [from, to): `initial` is its state at
 * `from` (the last event before it), `events` its changes within the
 * period in time order; observation starts at `since` (its creation) if later.
 */
export function onlineMs(
  initial: 'online' | 'offline',
  events: readonly { state: string; at: number }[],
  from: number,
  to: number,
  since = from,
): { online: number; observed: number } {
  const start = Math.max(from, since);
  if (start >= to) return { online: 0, observed: 0 };
  let state = initial;
  let t = start;
  let online = 0;
  for (const e of events) {
    if (e.at >= to) break;
    if (e.at > t) {
      if (state === 'online') online += e.at - t;
      t = e.at;
    }
    state = e.state === 'online' ? 'online' : 'offline';
  }
  if (state === 'online') online += to - t;
  return { online, observed: to - start };
}

export interface AuthorityNode {
  id: string;
  name: string;
  parentId: string | null;
}

export interface StatisticsReport {
  authorityId: string | null;
  from: number;
  to: number;
  totals: Metrics;
  /** The authorities directly below, each over its subtree: by disposal rate, then online rate, best first. */
  authorities: ({ authorityId: string; name: string } & Metrics)[];
  /** Enterprises with the most alerts first (then the lowest online rate). */
  enterprises: ({ enterpriseId: string; name: string; authorityId: string | null } & Metrics)[];
  /** Alerts started per day (China Standard Time) by grade, every day of the period (at most the last 366). */
  daily: DayCount[];
}

export interface DayCount extends Record<Grade, number> {
  /** YYYY-MM-DD, China Standard Time. */
  day: string;
}

const DAY_MS = 86_400_000;
const dateOf = (ms: number): string => cstDay(ms).date;

/** Alerts per CST day by grade, with a zero row for every day of [from, to) that had none (the last 366 days at most). */
export function dailySeries(from: number, to: number, alerts: readonly { at: number; severity: Grade }[]): DayCount[] {
  const days = new Map<string, DayCount>();
  const first = Math.max(from, to - 366 * DAY_MS);
  for (let t = cstDay(first).start; t < to; t += DAY_MS) {
    const day = dateOf(t);
    days.set(day, { day, red: 0, orange: 0, yellow: 0, blue: 0 });
  }
  for (const a of alerts) {
    const d = days.get(dateOf(a.at));
    if (d) d[a.severity] += 1;
  }
  return [...days.values()];
}

const better = (a: number | null, b: number | null): number => (b ?? -1) - (a ?? -1);

/** The report for the subtree of `root` (all when null) from the enterprises' facts and the authority tree. */
export function report(
  root: string | null,
  from: number,
  to: number,
  facts: readonly EnterpriseFacts[],
  tree: readonly AuthorityNode[],
  enterpriseLimit = 50,
  daily: DayCount[] = [],
): StatisticsReport {
  const parent = new Map(tree.map((a) => [a.id, a.parentId]));
  const under = (authorityId: string | null, top: string): boolean => {
    for (let a = authorityId, depth = 0; a !== null && a !== undefined && depth < 32; a = parent.get(a) ?? null, depth++) if (a === top) return true;
    return false;
  };
  const children = tree.filter((a) => a.parentId === root || (root === null && a.parentId === null));
  const authorities = children
    .map((c) => ({ authorityId: c.id, name: c.name, ...summarise(facts.filter((f) => under(f.authorityId, c.id))) }))
    .sort((a, b) => better(a.alerts.disposalRate, b.alerts.disposalRate) || better(a.online.rate, b.online.rate) || a.authorityId.localeCompare(b.authorityId));
  const enterprises = facts
    .map((f) => ({ enterpriseId: f.enterpriseId, name: f.name, authorityId: f.authorityId, ...summarise([f]) }))
    .sort((a, b) => b.alerts.total - a.alerts.total || (a.online.rate ?? 2) - (b.online.rate ?? 2) || a.enterpriseId.localeCompare(b.enterpriseId))
    .slice(0, enterpriseLimit);
  return { authorityId: root, from, to, totals: summarise(facts), authorities, enterprises, daily };
}

/** An enterprise that did nothing in the period. */
export const emptyFacts = (enterpriseId: string, name: string, authorityId: string | null): EnterpriseFacts => ({
  enterpriseId,
  name,
  authorityId,
  alerts: { red: 0, orange: 0, yellow: 0, blue: 0 },
  fired: 0,
  disposed: 0,
  ackMs: [],
  tasksOpened: 0,
  tasksClosed: 0,
  tasksEscalated: 0,
  hazards: 0,
  majorHazards: 0,
  rechecks: 0,
  rechecksPassed: 0,
  onlineMs: 0,
  observedMs: 0,
});

/**
 * Inspections and cases by origin (issue #20 §10): the inspections done in the period (their `at`), the tasks
 * (cases) opened in it and the hazards and major hazards their findings record, per origin, every origin listed.
 */
export interface OriginCount {
  origin: Origin;
  inspections: number;
  tasks: number;
  hazards: number;
  majorHazards: number;
}

/** Zero counts for every origin, in `ORIGINS` order. */
export const emptyOrigins = (): OriginCount[] => ORIGINS.map((origin) => ({ origin, inspections: 0, tasks: 0, hazards: 0, majorHazards: 0 }));

const CST_OFFSET = 8 * 3_600_000;

/**
 * The same moment one year earlier on the calendar of China Standard Time (2026-03-15 08:00 → 2025-03-15 08:00);
 * 29 February becomes 28 February. The period "a year earlier" of a year-on-year comparison (同比).
 */
export function yearEarlier(ms: number): number {
  const d = new Date(ms + CST_OFFSET);
  const y = d.getUTCFullYear() - 1;
  const m = d.getUTCMonth();
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const day = Math.min(d.getUTCDate(), lastDay);
  return Date.UTC(y, m, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()) - CST_OFFSET;
}

/** The change from `earlier` to `now` as a fraction of `earlier` (0.25 = up 25 %); null when there is no earlier value or it is 0. */
export function change(now: number | null, earlier: number | null): number | null {
  if (now === null || earlier === null || earlier === 0) return null;
  return Math.round(((now - earlier) / earlier) * 10_000) / 10_000;
}

/** Gathers the facts from PostgreSQL. */
export class Statistics {
  constructor(private readonly db: Queryable) {}

  async report(root: string | null, from: number, to: number): Promise<StatisticsReport> {
    const scope = root === null ? ({ kind: 'all' } as const) : ({ kind: 'authority', authorityId: root } as const);
    const inScope = (column: string) => {
      const p = new Params();
      const s = scopeSql(scope, p, column);
      return { p, cte: s.cte, cond: s.cond ?? 'true' };
    };
    const period = (p: Params) => [p.add(new Date(from)), p.add(new Date(to))] as const;

    const facts = new Map<string, EnterpriseFacts>();
    {
      const q = inScope('e.id');
      const { rows } = await this.db.query<{ id: string; name: string; authority_id: string | null }>(
        `${q.cte}SELECT e.id, e.name, e.authority_id FROM enterprises e WHERE ${q.cond} ORDER BY e.id`,
        q.p.values,
      );
      for (const r of rows) facts.set(r.id, emptyFacts(r.id, r.name, r.authority_id));
    }
    const of = (id: string) => facts.get(id);
    const started: { at: number; severity: Grade }[] = [];

    {
      const q = inScope('a.enterprise_id');
      const [f, t] = period(q.p);
      const { rows } = await this.db.query<{
        enterprise_id: string;
        started_at: Date;
        severity: Grade;
        state: string;
        data: { firedAt?: number; acknowledgedAt?: number; disposedAt?: number };
      }>(
        `${q.cte}SELECT a.enterprise_id, a.started_at, a.severity, a.state, a.data FROM alerts a WHERE ${q.cond} AND a.started_at >= ${f} AND a.started_at < ${t}`,
        q.p.values,
      );
      for (const r of rows) {
        const e = of(r.enterprise_id);
        if (!e) continue;
        started.push({ at: new Date(r.started_at).getTime(), severity: r.severity });
        e.alerts[r.severity] += 1;
        const firedAt = r.data.firedAt;
        if (firedAt === undefined) continue;
        e.fired += 1;
        if (r.state === 'disposed') e.disposed += 1;
        const handled = r.data.acknowledgedAt ?? r.data.disposedAt;
        if (handled !== undefined) e.ackMs.push(Math.max(0, handled - firedAt));
      }
    }

    {
      const q = inScope('k.enterprise_id');
      const [f, t] = period(q.p);
      const { rows } = await this.db.query<{ enterprise_id: string; state: string; findings: TaskFinding[] | null }>(
        `${q.cte}SELECT k.enterprise_id, k.state, k.data->'findings' AS findings FROM tasks k WHERE ${q.cond} AND k.created_at >= ${f} AND k.created_at < ${t}`,
        q.p.values,
      );
      for (const r of rows) {
        const e = of(r.enterprise_id);
        if (!e) continue;
        e.tasksOpened += 1;
        if (r.state === 'closed') e.tasksClosed += 1;
        if (r.state === 'escalated') e.tasksEscalated += 1;
        for (const x of r.findings ?? []) {
          if (x.result !== 'ok') e.hazards += 1;
          if (x.result === 'major_hazard') e.majorHazards += 1;
        }
      }
    }

    {
      const q = inScope('k.enterprise_id');
      const [f, t] = period(q.p);
      const { rows } = await this.db.query<{ enterprise_id: string; to_state: string }>(
        `${q.cte}SELECT k.enterprise_id, v.to_state FROM task_events v JOIN tasks k ON k.id = v.task_id
          WHERE ${q.cond} AND v.type = 'recheck_result' AND v.at >= ${f} AND v.at < ${t}`,
        q.p.values,
      );
      for (const r of rows) {
        const e = of(r.enterprise_id);
        if (!e) continue;
        e.rechecks += 1;
        if (r.to_state === 'closed') e.rechecksPassed += 1;
      }
    }

    for (const [enterpriseId, o] of await this.online(scope, from, to)) {
      const e = of(enterpriseId);
      if (!e) continue;
      e.onlineMs += o.online;
      e.observedMs += o.observed;
    }

    const { rows: tree } = await this.db.query<{ id: string; name: string; parent_id: string | null }>('SELECT id, name, parent_id FROM authorities');
    return report(
      root,
      from,
      to,
      [...facts.values()],
      tree.map((a) => ({ id: a.id, name: a.name, parentId: a.parent_id })),
      50,
      dailySeries(from, to, started),
    );
  }

  /** Inspections and tasks by origin over [from, to) for the subtree of `root` (all when null), every origin listed. */
  async byOrigin(root: string | null, from: number, to: number): Promise<OriginCount[]> {
    const scope = root === null ? ({ kind: 'all' } as const) : ({ kind: 'authority', authorityId: root } as const);
    const out = emptyOrigins();
    const of = (origin: string) => out.find((o) => o.origin === origin);
    {
      const p = new Params();
      const s = scopeSql(scope, p, 'i.enterprise_id');
      const [f, t] = [p.add(new Date(from)), p.add(new Date(to))];
      const { rows } = await this.db.query<{ origin: string; n: number | string }>(
        `${s.cte}SELECT i.origin, count(*) AS n FROM inspections i WHERE ${s.cond ?? 'true'} AND i.at >= ${f} AND i.at < ${t} GROUP BY i.origin`,
        p.values,
      );
      for (const r of rows) {
        const o = of(r.origin);
        if (o) o.inspections += Number(r.n);
      }
    }
    {
      const p = new Params();
      const s = scopeSql(scope, p, 'k.enterprise_id');
      const [f, t] = [p.add(new Date(from)), p.add(new Date(to))];
      const { rows } = await this.db.query<{ origin: string; findings: TaskFinding[] | null }>(
        `${s.cte}SELECT k.origin, k.data->'findings' AS findings FROM tasks k WHERE ${s.cond ?? 'true'} AND k.created_at >= ${f} AND k.created_at < ${t}`,
        p.values,
      );
      for (const r of rows) {
        const o = of(r.origin);
        if (!o) continue;
        o.tasks += 1;
        for (const x of r.findings ?? []) {
          if (x.result !== 'ok') o.hazards += 1;
          if (x.result === 'major_hazard') o.majorHazards += 1;
        }
      }
    }
    return out;
  }

  /** Online and observed time of each enterprise's gateways within [from, to), from the gateways' status events. */
  async online(scope: Scope, from: number, to: number): Promise<Map<string, { online: number; observed: number }>> {
    const p = new Params();
    const s1 = scopeSql(scope, p, 'g.enterprise_id');
    const [f, t] = [p.add(new Date(from)), p.add(new Date(to))];
    const { rows: gws } = await this.db.query<{ id: string; enterprise_id: string; created_at: Date; initial: string | null }>(
      `${s1.cte}SELECT g.id, g.enterprise_id, g.created_at,
              (SELECT ev.state FROM gateway_events ev WHERE ev.gateway_id = g.id AND ev.at < ${f} ORDER BY ev.at DESC, ev.id DESC LIMIT 1) AS initial
         FROM gateways g WHERE ${s1.cond ?? 'true'} AND NOT g.disabled AND g.created_at < ${t}`,
      p.values,
    );
    const p2 = new Params();
    const s2 = scopeSql(scope, p2, 'g.enterprise_id');
    const [f2, t2] = [p2.add(new Date(from)), p2.add(new Date(to))];
    const { rows: evs } = await this.db.query<{ gateway_id: string; state: string; at: Date }>(
      `${s2.cte}SELECT ev.gateway_id, ev.state, ev.at FROM gateway_events ev JOIN gateways g ON g.id = ev.gateway_id
        WHERE ${s2.cond ?? 'true'} AND ev.at >= ${f2} AND ev.at < ${t2} ORDER BY ev.gateway_id, ev.at, ev.id`,
      p2.values,
    );
    const byGateway = new Map<string, { state: string; at: number }[]>();
    for (const ev of evs) {
      const list = byGateway.get(ev.gateway_id) ?? [];
      list.push({ state: ev.state, at: new Date(ev.at).getTime() });
      byGateway.set(ev.gateway_id, list);
    }
    const out = new Map<string, { online: number; observed: number }>();
    for (const g of gws) {
      const r = onlineMs(g.initial === 'online' ? 'online' : 'offline', byGateway.get(g.id) ?? [], from, to, new Date(g.created_at).getTime());
      const o = out.get(g.enterprise_id) ?? { online: 0, observed: 0 };
      o.online += r.online;
      o.observed += r.observed;
      out.set(g.enterprise_id, o);
    }
    return out;
  }
}
