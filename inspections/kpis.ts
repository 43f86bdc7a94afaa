/**
 * The figures bureaus are judged on (issue #17 item 6; docs/kpis.md): per point, per enterprise and per
 * authority — online rate, offline hours and counts, data integrity, alarm disposal and time to clear, a
 * composite score and the rankings. Pure arithmetic over facts gathered elsewhere (`kpi-source.ts`: SQL and
 * InfluxQL), unit-tested against hand-computed figures.
 *
 * Periods are half-open [from, to) in epoch ms; a month is a calendar month in China Standard Time (`cstMonth`).
 */
import { median, rate } from './kpi-math.ts';
import { emptyResponseFacts, responseKpis, sumResponseFacts, type EnterpriseTierKpis, type ResponseFacts } from './response-kpis.ts';
import { onlineMs } from './stats.ts';

const HOUR_MS = 3_600_000;
const CST_MS = 8 * HOUR_MS;
/** Width of one rollup bucket (core/influx/retention.ts ROLLUP_INTERVAL_MS): 5 minutes. */
export const BUCKET_MS = 5 * 60_000;

/**
 * Weights of the composite score. The platform's default, for the bureau to set: no national rule fixes them.
 * A component with nothing to divide by (no alarm fired: no disposal rate; nothing judged of the enterprise
 * tier: no response rate) is left out and the others' weights are scaled up to sum to 1. The enterprise tier's
 * response rate (issue #18 item 6, `response-kpis.ts`) takes 20 %; the other three keep their 2 : 2 : 1, so a
 * score without the enterprise tier is what it was before it entered.
 */
export const DEFAULT_KPI_WEIGHTS = { online: 0.32, integrity: 0.32, disposal: 0.16, response: 0.2 } as const;
/** `response` absent: 0 (the enterprise tier left out). */
export type KpiWeights = { online: number; integrity: number; disposal: number; response?: number | undefined };
/** How many of an enterprise's points with the lowest integrity are named (the platform's default). */
export const WORST_POINTS = 5;

export { median, rate };
const hours = (ms: number): number => Math.round((ms / HOUR_MS) * 100) / 100;

/** The calendar month `YYYY-MM` in China Standard Time as [from, to); undefined if it is no month (2026-13). */
export function cstMonth(month: string): { from: number; to: number } | undefined {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12 || y < 2000) return undefined;
  return { from: Date.UTC(y, mo - 1, 1) - CST_MS, to: Date.UTC(y, mo, 1) - CST_MS };
}

// ── per point ──────────────────────────────────────────────────────────────

/** A stop (停用) or resumption of a point on record, in time order. */
export interface StopEvent {
  at: number;
  stopped: boolean;
}

/**
 * The parts of [from, to) in which a point was registered (from `registeredAt`) and in use (not stopped on
 * record). `stoppedAtFrom` is its state at `from` (the last stop event before it); `events` its stops and
 * resumptions within the period, in time order.
 */
export function inUseIntervals(registeredAt: number, stoppedAtFrom: boolean, events: readonly StopEvent[], from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  let stopped = stoppedAtFrom;
  let t = Math.max(from, registeredAt);
  if (t >= to) return out;
  for (const e of events) {
    if (e.at >= to) break;
    if (e.at > t) {
      if (!stopped) out.push([t, e.at]);
      t = e.at;
    }
    stopped = e.stopped;
  }
  if (!stopped && t < to) out.push([t, to]);
  return out;
}

/** Readings expected in `inUseMs` at one every `periodS`: whole periods only (rounded down; a part-period expects none). */
export const expectedReadings = (inUseMs: number, periodS: number): number => Math.floor(inUseMs / (periodS * 1000));

/** Most readings one 5-minute bucket may count: its expected count, rounded up (at least 1: a 10-minute point reports in every other bucket). */
export const bucketCap = (periodS: number): number => Math.max(1, Math.ceil(BUCKET_MS / (periodS * 1000)));

/**
 * Readings of one point in the period as InfluxDB sums them: `total` over all its 5-minute buckets, and over the
 * buckets that counted more than `bucketCap` (bursts, duplicates under other timestamps) their sum and number.
 */
export interface ReceivedCounts {
  total: number;
  overSum: number;
  overBuckets: number;
}

/** Readings received, each bucket counted at most up to its cap: Σ min(count, cap) = total − (overSum − cap × overBuckets). */
export const cappedReceived = (c: ReceivedCounts, cap: number): number => c.total - Math.max(0, c.overSum - cap * c.overBuckets);

export interface PointFacts {
  enterpriseId: string;
  pointId: string;
  tagNo: string;
  name: string;
  periodS: number;
  /** ms registered and in use within the period (Σ `inUseIntervals`). */
  inUseMs: number;
  counts: ReceivedCounts;
}

export interface PointKpi {
  enterpriseId: string;
  pointId: string;
  tagNo: string;
  name: string;
  periodS: number;
  inUseHours: number;
  expected: number;
  /** Received after the per-bucket cap, then capped at `expected`. */
  received: number;
  /** As stored in its time in use (the whole period for a point not stopped within it), before any cap. */
  receivedRaw: number;
  integrity: number | null;
}

export function pointKpi(p: PointFacts): PointKpi {
  const expected = expectedReadings(p.inUseMs, p.periodS);
  const received = Math.min(expected, cappedReceived(p.counts, bucketCap(p.periodS)));
  return {
    enterpriseId: p.enterpriseId,
    pointId: p.pointId,
    tagNo: p.tagNo,
    name: p.name,
    periodS: p.periodS,
    inUseHours: hours(p.inUseMs),
    expected,
    received,
    receivedRaw: p.counts.total,
    integrity: rate(received, expected),
  };
}

// ── per gateway and enterprise ────────────────────────────────────────────

/**
 * One gateway's online time, observed time and offline count within [from, to): the online time as `stats.ts`
 * `onlineMs` counts it; the offline count is the number of online → offline changes within the period (a gateway
 * never seen online has none; one offline since before `from` none either).
 */
export function gatewayKpi(
  initial: 'online' | 'offline',
  events: readonly { state: string; at: number }[],
  from: number,
  to: number,
  since = from,
): { online: number; observed: number; offlineCount: number } {
  const start = Math.max(from, since);
  const { online, observed } = onlineMs(initial, events, from, to, since);
  let state: string = initial;
  let offlineCount = 0;
  for (const e of events) {
    if (e.at >= to) break;
    const next = e.state === 'online' ? 'online' : 'offline';
    if (e.at >= start && state === 'online' && next === 'offline') offlineCount++;
    state = next;
  }
  return { online, observed, offlineCount };
}

export interface EnterpriseKpiFacts {
  enterpriseId: string;
  name: string;
  authorityId: string | null;
  /** Σ over its gateways (`gatewayKpi`), ms. */
  onlineMs: number;
  observedMs: number;
  offlineCount: number;
  points: PointKpi[];
  /** Alarms that fired with their start in the period. */
  fired: number;
  disposed: number;
  /** Fired → resolved (the condition cleared), ms, per fired alarm that cleared. */
  clearMs: number[];
  /** The enterprise tier: its response to the alarms handed to it, its self-inspection reports (`response-kpis.ts`); none: nothing. */
  tier?: ResponseFacts | undefined;
}

/** The figures of one enterprise, or of many summed (an authority). */
export interface Kpis {
  enterprises: number;
  points: number;
  onlineRate: number | null;
  offlineHours: number;
  offlineCount: number;
  expected: number;
  received: number;
  integrity: number | null;
  alarms: number;
  disposed: number;
  disposalRate: number | null;
  clear: { count: number; meanMs: number | null; medianMs: number | null };
  /** The enterprise tier (issue #18 item 6): sign-for and feedback timeliness, false alarms, rejections, 督办, clearing, self-inspection. */
  enterpriseTier: EnterpriseTierKpis;
  /** 0–100, weighted (`DEFAULT_KPI_WEIGHTS`); null when no component has a denominator. */
  score: number | null;
}

/** Σ w·rate over the components that have one, ÷ Σ of their weights, × 100, to 2 decimals. */
export function compositeScore(
  r: { onlineRate: number | null; integrity: number | null; disposalRate: number | null; responseRate?: number | null | undefined },
  w: KpiWeights = DEFAULT_KPI_WEIGHTS,
): number | null {
  const parts: [number, number | null][] = [
    [w.online, r.onlineRate],
    [w.integrity, r.integrity],
    [w.disposal, r.disposalRate],
    [w.response ?? 0, r.responseRate ?? null],
  ];
  let sum = 0;
  let weight = 0;
  for (const [wi, v] of parts)
    if (v !== null && wi > 0) {
      sum += wi * v;
      weight += wi;
    }
  return weight > 0 ? Math.round((sum / weight) * 10_000) / 100 : null;
}

export function sumKpis(facts: readonly EnterpriseKpiFacts[], w: KpiWeights = DEFAULT_KPI_WEIGHTS): Kpis {
  let online = 0,
    observed = 0,
    offlineCount = 0,
    expected = 0,
    received = 0,
    points = 0,
    fired = 0,
    disposed = 0;
  const clear: number[] = [];
  const tiers: ResponseFacts[] = [];
  for (const f of facts) {
    tiers.push(f.tier ?? emptyResponseFacts());
    online += f.onlineMs;
    observed += f.observedMs;
    offlineCount += f.offlineCount;
    for (const p of f.points) {
      expected += p.expected;
      received += p.received;
    }
    points += f.points.length;
    fired += f.fired;
    disposed += f.disposed;
    clear.push(...f.clearMs);
  }
  clear.sort((a, b) => a - b);
  const onlineRate = rate(online, observed);
  const integrity = rate(received, expected);
  const disposalRate = rate(disposed, fired);
  const enterpriseTier = responseKpis(sumResponseFacts(tiers));
  return {
    enterprises: facts.length,
    points,
    onlineRate,
    offlineHours: hours(observed - online),
    offlineCount,
    expected,
    received,
    integrity,
    alarms: fired,
    disposed,
    disposalRate,
    clear: {
      count: clear.length,
      meanMs: clear.length > 0 ? Math.round(clear.reduce((a, b) => a + b, 0) / clear.length) : null,
      medianMs: median(clear),
    },
    enterpriseTier,
    score: compositeScore({ onlineRate, integrity, disposalRate, responseRate: enterpriseTier.responseRate }, w),
  };
}

/** Lowest integrity first (points expecting nothing last), then the tag number. */
const byIntegrity = (a: PointKpi, b: PointKpi): number => (a.integrity ?? 2) - (b.integrity ?? 2) || a.tagNo.localeCompare(b.tagNo);
/** Lowest score first (no score last). */
const worstFirst = (a: Kpis, b: Kpis): number => (a.score ?? 101) - (b.score ?? 101);

export interface EnterpriseKpi extends Kpis {
  enterpriseId: string;
  name: string;
  authorityId: string | null;
  /** 1 = the worst in the ranking. */
  rank: number;
  worstPoints: PointKpi[];
}

export interface AuthorityKpi extends Kpis {
  authorityId: string;
  name: string;
  /** 1 = the best of the authorities directly below. */
  rank: number;
}

export interface KpiReport {
  authorityId: string | null;
  authorityName: string | null;
  from: number;
  to: number;
  weights: Required<KpiWeights> & { source: string };
  totals: Kpis;
  /** Enterprises, worst first (lowest composite score, then lowest integrity, then most offline hours). */
  enterprises: EnterpriseKpi[];
  /** The authorities directly below, each over its subtree, best first. */
  authorities: AuthorityKpi[];
  /** The points with the lowest integrity across the subtree. */
  worstPoints: PointKpi[];
  /** Where the received counts came from, and the InfluxQL issued. */
  source: { rollupUntil: number | null; influxql: string[] };
}

export interface AuthorityNode {
  id: string;
  name: string;
  parentId: string | null;
}

export const WEIGHTS_SOURCE = '平台默认值，由监管部门设定 / the platform default, for the bureau to set';

/** The report of `root`'s subtree (all when null) from its enterprises' facts and the authority tree. */
export function kpiReport(
  root: string | null,
  from: number,
  to: number,
  facts: readonly EnterpriseKpiFacts[],
  tree: readonly AuthorityNode[],
  source: KpiReport['source'],
  opts: { weights?: KpiWeights; worstPoints?: number } = {},
): KpiReport {
  const w = opts.weights ?? DEFAULT_KPI_WEIGHTS;
  const worstN = opts.worstPoints ?? WORST_POINTS;
  const parent = new Map(tree.map((a) => [a.id, a.parentId]));
  const under = (authorityId: string | null, top: string): boolean => {
    for (let a = authorityId, depth = 0; a !== null && a !== undefined && depth < 32; a = parent.get(a) ?? null, depth++) if (a === top) return true;
    return false;
  };
  const enterprises = facts
    .map((f) => ({
      enterpriseId: f.enterpriseId,
      name: f.name,
      authorityId: f.authorityId,
      rank: 0,
      ...sumKpis([f], w),
      worstPoints: [...f.points].filter((p) => p.integrity !== null && p.integrity < 1).sort(byIntegrity).slice(0, worstN),
    }))
    .sort((a, b) => worstFirst(a, b) || (a.integrity ?? 2) - (b.integrity ?? 2) || b.offlineHours - a.offlineHours || a.enterpriseId.localeCompare(b.enterpriseId))
    .map((e, i) => ({ ...e, rank: i + 1 }));
  const authorities = tree
    .filter((a) => a.parentId === root || (root === null && a.parentId === null))
    .map((c) => ({ authorityId: c.id, name: c.name, rank: 0, ...sumKpis(facts.filter((f) => under(f.authorityId, c.id)), w) }))
    .sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || a.authorityId.localeCompare(b.authorityId))
    .map((a, i) => ({ ...a, rank: i + 1 }));
  return {
    authorityId: root,
    authorityName: root === null ? null : (tree.find((a) => a.id === root)?.name ?? null),
    from,
    to,
    weights: { ...w, response: w.response ?? 0, source: WEIGHTS_SOURCE },
    totals: sumKpis(facts, w),
    enterprises,
    authorities,
    worstPoints: facts
      .flatMap((f) => f.points)
      .filter((p) => p.integrity !== null && p.integrity < 1)
      .sort(byIntegrity)
      .slice(0, 50),
    source,
  };
}

/** A duration in Chinese as officers read it: `3 小时 12 分` (`45 分`, `2 天 3 小时`); '—' when there is none. */
export function durationZh(ms: number | null): string {
  if (ms === null) return '—';
  const minutes = Math.round(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return h > 0 ? `${d} 天 ${h} 小时` : `${d} 天`;
  if (h > 0) return m > 0 ? `${h} 小时 ${m} 分` : `${h} 小时`;
  return `${m} 分`;
}

/** A rate as a percentage to one decimal, `99.5 %`; '—' when there was nothing to divide by. */
export const percentZh = (r: number | null): string => (r === null ? '—' : `${(Math.round(r * 1000) / 10).toFixed(1)} %`);
