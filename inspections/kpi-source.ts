/**
 * Gathers the facts of the KPIs (`kpis.ts`, docs/kpis.md) from PostgreSQL (enterprises, points and their stops on
 * record, gateways and their status events, alarms) and InfluxDB (readings received per point), then hands them to
 * the pure arithmetic.
 *
 * Readings received come from the 5-minute rollups (`rollup.reading_5m`, field `count`: exactly the readings of
 * the bucket) for the buckets the continuous query has finished with — those older than its `RESAMPLE FOR`
 * window (1 h) — and from the raw readings (`reading`, counted per 5 minutes in a subquery) for the rest: the
 * rollups hold years at one row per 5 minutes per point, while raw readings are kept only 30 days (the platform's
 * default), and the last hour's buckets may still change. A platform that does not read rollups
 * (INFLUX_READ_ROLLUPS=false) counts raw readings only. Every statement is returned with the report.
 *
 * Signal points (states, reported on change into `signal`) are not counted: the rollups cover readings only.
 */
import { SIGNAL_KINDS } from '../core/contract.ts';
import type { Db } from '../core/db/db.ts';
import { quoteString, type InfluxClient } from '../core/influx/client.ts';
import { ROLLUP } from '../core/influx/retention.ts';
import { MEASUREMENTS } from '../core/influx/schema.ts';
import { Params, scopeSql, type Scope } from '../core/jurisdiction.ts';
import {
  BUCKET_MS,
  bucketCap,
  gatewayKpi,
  inUseIntervals,
  kpiReport,
  pointKpi,
  type EnterpriseKpiFacts,
  type KpiReport,
  type ReceivedCounts,
  type StopEvent,
} from './kpis.ts';
import { emptyResponseFacts, responseFactsOf, type ResponseFacts, type ResponseRow } from './response-kpis.ts';
import { DEFAULT_SELF_INSPECTION_POLICY, type SelfInspectionPolicy } from './self-inspection-policy.ts';
import { SelfInspections } from './self-inspections.ts';

/** Buckets younger than this may still be rolled up again (retention.ts ROLLUP.resampleFor, 1 h): read them raw. */
export const ROLLUP_SETTLE_MS = 3_600_000;

/** Where the rollups are final: the start of the bucket an hour before now. */
export const rollupUntil = (now: number): number => Math.floor((now - ROLLUP_SETTLE_MS) / BUCKET_MS) * BUCKET_MS;

export interface ReceivedQuery {
  source: 'rollup' | 'raw';
  /** null: the total per point; a number: the buckets counting more than it (per-bucket cap). */
  cap: number | null;
  influxql: string;
}

/**
 * The InfluxQL counting each point's readings in [from, to) for the enterprises named (all when null): per
 * source segment, one total and, per distinct bucket cap, the buckets above it.
 */
export function receivedQueries(q: {
  enterpriseIds: readonly string[] | null;
  /** One point only (of the one enterprise named). */
  sensorId?: string;
  from: number;
  to: number;
  caps: readonly number[];
  rollupUntil: number | null;
}): ReceivedQuery[] {
  if (q.enterpriseIds !== null && q.enterpriseIds.length === 0) return [];
  const ent =
    (q.enterpriseIds === null ? '' : `(${q.enterpriseIds.map((e) => `"ent" = ${quoteString(e)}`).join(' OR ')}) AND `) +
    (q.sensorId === undefined ? '' : `"sensor" = ${quoteString(q.sensorId)} AND `);
  const segments: { source: 'rollup' | 'raw'; from: number; to: number }[] = [];
  if (q.rollupUntil === null) segments.push({ source: 'raw', from: q.from, to: q.to });
  else {
    if (q.from < q.rollupUntil) segments.push({ source: 'rollup', from: q.from, to: Math.min(q.to, q.rollupUntil) });
    if (q.rollupUntil < q.to) segments.push({ source: 'raw', from: Math.max(q.from, q.rollupUntil), to: q.to });
  }
  const out: ReceivedQuery[] = [];
  for (const s of segments) {
    const time = `time >= ${s.from}ms AND time < ${s.to}ms`;
    const from =
      s.source === 'rollup'
        ? `"${ROLLUP.policy}"."${ROLLUP.measurement}"`
        : `(SELECT count("value") AS "count" FROM "${MEASUREMENTS.reading}" WHERE ${ent}${time} GROUP BY time(${BUCKET_MS / 60_000}m), "ent", "sensor")`;
    // the subquery has the range already (its buckets start on 5-minute marks, possibly before `from`)
    const where = s.source === 'rollup' ? `${ent}${time}` : '';
    const and = (cond: string): string => (where ? `WHERE ${where} AND ${cond}` : `WHERE ${cond}`);
    out.push({ source: s.source, cap: null, influxql: `SELECT sum("count") AS "total" FROM ${from}${where ? ` WHERE ${where}` : ''} GROUP BY "ent", "sensor"` });
    for (const cap of [...new Set(q.caps)].sort((a, b) => a - b))
      out.push({
        source: s.source,
        cap,
        influxql: `SELECT sum("count") AS "over", count("count") AS "buckets" FROM ${from} ${and(`"count" > ${cap}`)} GROUP BY "ent", "sensor"`,
      });
  }
  return out;
}

const key = (enterpriseId: string, pointId: string): string => `${enterpriseId}\u0000${pointId}`;

export interface KpiSourceOptions {
  /** Whether the 5-minute rollups are read (config INFLUX_READ_ROLLUPS; the platform's default: yes). */
  rollups: boolean;
  /** When self-inspection reports are due (the bureau's setting; default: the platform's), for the enterprise tier. */
  selfInspectionPolicy?: SelfInspectionPolicy | undefined;
}

export class KpiSource {
  constructor(
    private readonly db: Db,
    private readonly influx: InfluxClient,
    private readonly opts: KpiSourceOptions,
  ) {}

  /** The KPI report of `root`'s subtree (all when null) over [from, to); `now` decides which buckets the rollups hold. */
  async report(root: string | null, from: number, to: number, now: number): Promise<KpiReport> {
    const scope: Scope = root === null ? { kind: 'all' } : { kind: 'authority', authorityId: root };
    const inScope = (column: string) => {
      const p = new Params();
      const s = scopeSql(scope, p, column);
      return { p, cte: s.cte, cond: s.cond ?? 'true' };
    };

    const facts = new Map<string, EnterpriseKpiFacts>();
    {
      const q = inScope('e.id');
      const { rows } = await this.db.query<{ id: string; name: string; authority_id: string | null }>(
        `${q.cte}SELECT e.id, e.name, e.authority_id FROM enterprises e WHERE ${q.cond} ORDER BY e.id`,
        q.p.values,
      );
      for (const r of rows)
        facts.set(r.id, { enterpriseId: r.id, name: r.name, authorityId: r.authority_id, onlineMs: 0, observedMs: 0, offlineCount: 0, points: [], fired: 0, disposed: 0, clearMs: [] });
    }

    // the points (readings only), their time in use, and what InfluxDB received of them
    const q = inScope('s.enterprise_id');
    const kinds = q.p.add(SIGNAL_KINDS);
    const { rows: sensors } = await this.db.query<{
      enterprise_id: string;
      id: string;
      tag_no: string;
      name: string;
      period_s: number;
      created_at: Date;
      stopped_at: Date | null;
    }>(
      `${q.cte}SELECT s.enterprise_id, s.id, s.tag_no, s.name, s.period_s, s.created_at, s.stopped_at FROM sensors s
        WHERE ${q.cond} AND NOT (s.kind = ANY(${kinds})) AND s.created_at < ${q.p.add(new Date(to))} ORDER BY s.enterprise_id, s.id`,
      q.p.values,
    );
    const stops = new Map<string, StopEvent[]>();
    if (sensors.length > 0) {
      const { rows } = await this.db.query<{ subject_id: string; action: string; at: Date }>(
        `SELECT subject_id, action, at FROM audit_log WHERE subject_type = 'sensor' AND action IN ('sensor.stopped', 'sensor.resumed')
           AND subject_id = ANY($1) AND at < $2 ORDER BY seq`,
        [sensors.map((s) => `${s.enterprise_id}/${s.id}`), new Date(to)],
      );
      for (const r of rows) {
        const list = stops.get(r.subject_id) ?? [];
        list.push({ at: new Date(r.at).getTime(), stopped: r.action === 'sensor.stopped' });
        stops.set(r.subject_id, list);
      }
    }
    // each point's time in use: registered, not stopped on record
    const inUse = new Map<string, [number, number][]>();
    for (const s of sensors) {
      let events = stops.get(`${s.enterprise_id}/${s.id}`) ?? [];
      // stopped on record without a recorded event (a row written outside the ledger): stopped since then
      if (events.length === 0 && s.stopped_at !== null) events = [{ at: new Date(s.stopped_at).getTime(), stopped: true }];
      const before = events.filter((e) => e.at < from);
      inUse.set(
        key(s.enterprise_id, s.id),
        inUseIntervals(
          new Date(s.created_at).getTime(),
          before.at(-1)?.stopped ?? false,
          events.filter((e) => e.at >= from),
          from,
          to,
        ),
      );
    }
    // what InfluxDB received: all points at once over the period; a point stopped within it, again over its time in
    // use only (readings it sends while stopped are stored, but must not stand in for readings missing in use)
    const until = this.opts.rollups ? rollupUntil(now) : null;
    const capOf = new Map(sensors.map((s) => [key(s.enterprise_id, s.id), bucketCap(s.period_s)]));
    const queries = receivedQueries({
      enterpriseIds: root === null ? null : [...new Set(sensors.map((s) => s.enterprise_id))],
      from,
      to,
      caps: [...capOf.values()],
      rollupUntil: until,
    });
    const counts = await this.received(queries, capOf);
    for (const s of sensors) {
      const k = key(s.enterprise_id, s.id);
      const intervals = inUse.get(k)!;
      const whole = intervals.length === 1 && intervals[0]![0] === Math.max(from, new Date(s.created_at).getTime()) && intervals[0]![1] === to;
      if (whole || intervals.length === 0) continue;
      const own = intervals.flatMap(([a, b]) =>
        receivedQueries({ enterpriseIds: [s.enterprise_id], sensorId: s.id, from: a, to: b, caps: [capOf.get(k)!], rollupUntil: until }),
      );
      queries.push(...own);
      counts.set(k, (await this.received(own, capOf)).get(k) ?? { total: 0, overSum: 0, overBuckets: 0 });
    }
    for (const s of sensors) {
      const f = facts.get(s.enterprise_id);
      if (!f) continue;
      const k = key(s.enterprise_id, s.id);
      f.points.push(
        pointKpi({
          enterpriseId: s.enterprise_id,
          pointId: s.id,
          tagNo: s.tag_no,
          name: s.name,
          periodS: s.period_s,
          inUseMs: inUse.get(k)!.reduce((n, [a, b]) => n + (b - a), 0),
          counts: counts.get(k) ?? { total: 0, overSum: 0, overBuckets: 0 },
        }),
      );
    }

    // gateways: online time and offline count
    {
      const g = inScope('g.enterprise_id');
      const f = g.p.add(new Date(from));
      const t = g.p.add(new Date(to));
      const { rows: gws } = await this.db.query<{ id: string; enterprise_id: string; created_at: Date; initial: string | null }>(
        `${g.cte}SELECT g.id, g.enterprise_id, g.created_at,
                (SELECT ev.state FROM gateway_events ev WHERE ev.gateway_id = g.id AND ev.at < ${f} ORDER BY ev.at DESC, ev.id DESC LIMIT 1) AS initial
           FROM gateways g WHERE ${g.cond} AND NOT g.disabled AND g.created_at < ${t}`,
        g.p.values,
      );
      const { rows: evs } = await this.db.query<{ gateway_id: string; state: string; at: Date }>(
        `SELECT ev.gateway_id, ev.state, ev.at FROM gateway_events ev WHERE ev.gateway_id = ANY($1) AND ev.at >= $2 AND ev.at < $3 ORDER BY ev.gateway_id, ev.at, ev.id`,
        [gws.map((x) => x.id), new Date(from), new Date(to)],
      );
      const byGateway = new Map<string, { state: string; at: number }[]>();
      for (const ev of evs) {
        const list = byGateway.get(ev.gateway_id) ?? [];
        list.push({ state: ev.state, at: new Date(ev.at).getTime() });
        byGateway.set(ev.gateway_id, list);
      }
      for (const gw of gws) {
        const e = facts.get(gw.enterprise_id);
        if (!e) continue;
        const r = gatewayKpi(gw.initial === 'online' ? 'online' : 'offline', byGateway.get(gw.id) ?? [], from, to, new Date(gw.created_at).getTime());
        e.onlineMs += r.online;
        e.observedMs += r.observed;
        e.offlineCount += r.offlineCount;
      }
    }

    // alarms that started in the period and fired: disposed, time to clear
    {
      const a = inScope('a.enterprise_id');
      const f = a.p.add(new Date(from));
      const t = a.p.add(new Date(to));
      const { rows } = await this.db.query<{ enterprise_id: string; state: string; data: { firedAt?: number; resolvedAt?: number } }>(
        `${a.cte}SELECT a.enterprise_id, a.state, a.data FROM alerts a WHERE ${a.cond} AND a.started_at >= ${f} AND a.started_at < ${t}`,
        a.p.values,
      );
      for (const r of rows) {
        const e = facts.get(r.enterprise_id);
        const firedAt = r.data.firedAt;
        if (!e || firedAt === undefined) continue;
        e.fired += 1;
        if (r.state === 'disposed') e.disposed += 1;
        if (r.data.resolvedAt !== undefined) e.clearMs.push(Math.max(0, r.data.resolvedAt - firedAt));
      }
    }

    // the enterprise tier (issue #18 item 6): the alarms handed to each enterprise in the period, its self-inspection reports due
    const tiers = await loadResponseFacts(this.db, { kind: 'enterprises', ids: [...facts.keys()] }, { from, to }, now, this.opts.selfInspectionPolicy);
    for (const [id, tier] of tiers) {
      const e = facts.get(id);
      if (e) e.tier = tier;
    }

    const { rows: tree } = await this.db.query<{ id: string; name: string; parent_id: string | null }>('SELECT id, name, parent_id FROM authorities');
    return kpiReport(
      root,
      from,
      to,
      [...facts.values()],
      tree.map((x) => ({ id: x.id, name: x.name, parentId: x.parent_id })),
      { rollupUntil: until, influxql: queries.map((x) => x.influxql) },
    );
  }

  /** Runs the counting statements; sums per point (of those in `capOf`), each "over" statement for the points of its cap. */
  private async received(queries: readonly ReceivedQuery[], capOf: ReadonlyMap<string, number>): Promise<Map<string, ReceivedCounts>> {
    const counts = new Map<string, ReceivedCounts>();
    for (const rq of queries) {
      for (const series of await this.influx.query(rq.influxql, { method: 'POST' })) {
        const ent = series.tags?.ent;
        const sensor = series.tags?.sensor;
        if (ent === undefined || sensor === undefined) continue;
        const k = key(ent, sensor);
        if (!capOf.has(k) || (rq.cap !== null && capOf.get(k) !== rq.cap)) continue;
        const c = counts.get(k) ?? { total: 0, overSum: 0, overBuckets: 0 };
        const row = series.values[0] ?? [];
        const num = (name: string): number => Number(row[series.columns.indexOf(name)] ?? 0) || 0;
        if (rq.cap === null) c.total += num('total');
        else {
          c.overSum += num('over');
          c.overBuckets += num('buckets');
        }
        counts.set(k, c);
      }
    }
    return counts;
  }
}

const msOf = (d: Date | string | null): number | null => (d === null ? null : new Date(d).getTime());

/**
 * The facts per enterprise of `scope` (each enterprise in it, with or without alarms) over [from, to) as of
 * `now`: the alarms handed in the period from `alert_responses` joined with their alarms, and the self-inspection
 * reports due in the period.
 */
export async function loadResponseFacts(
  db: Db,
  scope: Scope | { kind: 'enterprises'; ids: readonly string[] },
  range: { from: number; to: number },
  now: number,
  policy: SelfInspectionPolicy = DEFAULT_SELF_INSPECTION_POLICY,
): Promise<Map<string, ResponseFacts>> {
  const p = new Params();
  let cte = '';
  let cond: string;
  if (scope.kind === 'enterprises') cond = `e.id = ANY(${p.add([...scope.ids])}::text[])`;
  else {
    const s = scopeSql(scope, p, 'e.id');
    cte = s.cte;
    cond = s.cond ?? 'true';
  }
  const { rows: ents } = await db.query<{ id: string }>(`${cte}SELECT e.id FROM enterprises e WHERE ${cond} ORDER BY e.id`, p.values);
  const out = new Map<string, ResponseFacts>(ents.map((e) => [e.id, emptyResponseFacts()]));
  if (ents.length === 0) return out;
  const ids = ents.map((e) => e.id);
  const { rows } = await db.query<{
    enterprise_id: string;
    state: string;
    opened_at: Date;
    sign_due_at: Date;
    feedback_due_at: Date;
    signed_at: Date | null;
    feedback_at: Date | null;
    cause: string | null;
    repeated_false_alarm: boolean;
    rejections: number;
    cleared_at: Date | null;
    supervisions: number | null;
    reviewed: { decision?: string; at?: number } | null;
    fired_at: Date | null;
    disposed_at: string | number | null;
  }>(
    `SELECT r.enterprise_id, r.state, r.opened_at, r.sign_due_at, r.feedback_due_at, r.signed_at, r.feedback_at, r.cause,
            r.repeated_false_alarm, r.rejections, r.cleared_at, jsonb_array_length(COALESCE(r.data->'supervisions', '[]'::jsonb)) AS supervisions,
            r.data->'reviewed' AS reviewed, a.fired_at, a.data->>'disposedAt' AS disposed_at
       FROM alert_responses r JOIN alerts a ON a.id = r.alert_id
      WHERE r.enterprise_id = ANY($1::text[]) AND r.opened_at >= $2 AND r.opened_at < $3`,
    [ids, new Date(range.from), new Date(range.to)],
  );
  const byEnterprise = new Map<string, ResponseRow[]>();
  for (const r of rows) {
    const openedAt = new Date(r.opened_at).getTime();
    const feedbackAt = msOf(r.feedback_at);
    const reviewed = r.reviewed;
    const list = byEnterprise.get(r.enterprise_id) ?? [];
    list.push({
      enterpriseId: r.enterprise_id,
      openedAt,
      signDueAt: new Date(r.sign_due_at).getTime(),
      feedbackDueAt: new Date(r.feedback_due_at).getTime(),
      signedAt: msOf(r.signed_at),
      feedbackAt,
      cause: r.cause,
      feedbackRejected: feedbackAt !== null && reviewed?.decision === 'reject' && typeof reviewed.at === 'number' && reviewed.at >= feedbackAt,
      repeatedFalseAlarm: r.repeated_false_alarm,
      rejections: Number(r.rejections),
      supervisions: Number(r.supervisions ?? 0),
      firedAt: msOf(r.fired_at) ?? openedAt,
      clearedAt: msOf(r.cleared_at),
      disposedAt: r.disposed_at === null || r.disposed_at === '' ? null : Number(r.disposed_at),
      closed: r.state === 'closed',
    });
    byEnterprise.set(r.enterprise_id, list);
  }
  for (const [id, list] of byEnterprise) {
    const f = out.get(id);
    if (f) responseFactsOf(list, now, f);
  }
  const si = await new SelfInspections(db, policy).reportingRate(ids, range, now);
  for (const item of si.items) {
    const f = out.get(item.enterpriseId);
    if (!f) continue;
    f.selfInspectionDue += 1;
    if (item.onTime) f.selfInspectionOnTime += 1;
  }
  return out;
}
