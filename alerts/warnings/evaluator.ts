/**
 * Judges the risk warnings (policy.ts) of an enterprise and its major hazard sources from the ledger and the
 * live alarms, and records each change of level with its factors (store.ts). Runs beside the rules worker
 * (one per deployment): an enterprise is re-judged when its alerts change (the alert-events announcement;
 * a lost one is caught by the sweep) and every `sweepMs` while it has standing alarms, a warning above none
 * or ledger risk factors (standing and offline durations grow with time alone).
 *
 * How the live alerts are read: a firing or acknowledged alert counts (pending ones have not held yet,
 * resolved and disposed ones are over; suppressed ones stay pending). `gateway_offline` alerts are the
 * offline gateways, `data_silence` and `gateway_points_silent` alerts the silent points (data quality);
 * `common.chattering` and `common.loose_limit` are about the alarms' quality and registration, not a
 * hazard, and are left out; every other alert is a live alarm. An alarm belongs to a major hazard source
 * when its point does (a zone's alarm when every point of the zone that names a source names the same one);
 * gateway alarms and the rest belong to the enterprise. An enterprise takes its hazard sources' warnings as
 * factors; its own inherent lift is by sector only (the hazard sources' levels already lifted theirs).
 */
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../core/db/db.ts';
import type { Logger } from '../../core/logger.ts';
import type { Alert } from '../state/index.ts';
import { DEFAULT_RISK_POLICY, judge, type AlarmInput, type RiskInputs, type RiskPolicy, type WarningResult } from './policy.ts';
import { RiskWarningStore, type Judged, type RiskWarningEvent } from './store.ts';

/** Rules about the alarms' quality or registration, not a hazard. */
const NOT_HAZARD_RULES = new Set(['common.chattering', 'common.loose_limit']);

export interface RiskWarningDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** The pattern of a rule in the catalogue in force. */
  patternOf(ruleId: string): string | undefined;
  /** The name of a rule in the catalogue in force, for the explanations. Default: the rule's id stands. */
  nameOf?: ((ruleId: string) => { zh: string; en: string } | undefined) | undefined;
  /** Calls back with the highest new alert-event seq; returns the unsubscribe. */
  subscribeAlertEvents?: ((onSeq: (seq: number) => void) => () => void) | undefined;
  policy?: RiskPolicy | undefined;
  /** Interval of the sweep, ms. Default 60,000 (platform default: the standing and offline limits are minutes to hours). */
  sweepMs?: number | undefined;
}

export interface RiskWarnings {
  /** Judges one enterprise now and records it; the events of the levels that changed. */
  evaluate(enterpriseId: string): Promise<RiskWarningEvent[]>;
  /** Judges every enterprise the sweep covers. */
  sweep(): Promise<RiskWarningEvent[]>;
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly store: RiskWarningStore;
}

interface PointRow {
  id: string;
  zone: string | null;
  gateway_id: string;
  hazard_source_code: string | null;
}

/** The inputs of an enterprise and of each of its major hazard sources, read from the ledger and the alerts. */
async function gather(db: Db, enterpriseId: string, now: number, policy: RiskPolicy, catalogue: Pick<RiskWarningDeps, 'patternOf' | 'nameOf'>) {
  const [ent, sources, points, active, repeats] = await Promise.all([
    db.query<{ sector: string; risk_factors: string[] }>('SELECT sector, risk_factors FROM enterprises WHERE id = $1', [enterpriseId]),
    db.query<{ code: string; name: string; level: number }>('SELECT code, name, level FROM major_hazard_sources WHERE enterprise_id = $1 ORDER BY code', [
      enterpriseId,
    ]),
    db.query<PointRow>('SELECT id, zone, gateway_id, hazard_source_code FROM sensors WHERE enterprise_id = $1 AND stopped_at IS NULL', [enterpriseId]),
    db.query<{ data: Alert }>(`SELECT data FROM alerts WHERE enterprise_id = $1 AND state IN ('firing', 'acknowledged') ORDER BY started_at`, [enterpriseId]),
    db.query<{ fingerprint: string; n: string | number }>(
      'SELECT fingerprint, count(*) AS n FROM alerts WHERE enterprise_id = $1 AND started_at >= $2 GROUP BY fingerprint',
      [enterpriseId, new Date(now - policy.alarms.repeatWindowMs)],
    ),
  ]);
  const e = ent.rows[0];
  if (!e) return undefined;
  const sourceOfPoint = new Map(points.rows.map((p) => [p.id, p.hazard_source_code ?? undefined]));
  const sourceOfZone = new Map<string, string | null>();
  for (const p of points.rows) {
    if (p.zone === null || p.hazard_source_code === null) continue;
    const seen = sourceOfZone.get(p.zone);
    sourceOfZone.set(p.zone, seen === undefined || seen === p.hazard_source_code ? p.hazard_source_code : null);
  }
  const sourceOf = (subject: string): string | undefined => {
    if (subject.startsWith('zone:')) return sourceOfZone.get(subject.slice(5)) ?? undefined;
    if (subject.startsWith('gateway:')) return undefined;
    return sourceOfPoint.get(subject);
  };
  const repeatsOf = new Map(repeats.rows.map((r) => [r.fingerprint, Number(r.n)]));

  const empty = (): { alarms: AlarmInput[]; offline: { gatewayId: string; since: number }[]; points: number; silent: Set<string> } => ({
    alarms: [],
    offline: [],
    points: 0,
    silent: new Set(),
  });
  const own = empty();
  const bySource = new Map(sources.rows.map((s) => [s.code, empty()]));
  for (const p of points.rows) (bySource.get(p.hazard_source_code ?? '') ?? own).points++;

  for (const { data: a } of active.rows) {
    if (NOT_HAZARD_RULES.has(a.ruleId)) continue;
    const pattern = catalogue.patternOf(a.ruleId) ?? '';
    if (pattern === 'gateway_offline') {
      own.offline.push({ gatewayId: a.subject.replace(/^gateway:/, ''), since: a.startedAt });
      continue;
    }
    if (pattern === 'data_silence' || pattern === 'gateway_points_silent') {
      const silent = pattern === 'data_silence' ? [a.subject] : points.rows.filter((p) => `gateway:${p.gateway_id}` === a.subject).map((p) => p.id);
      for (const id of silent) (bySource.get(sourceOfPoint.get(id) ?? '') ?? own).silent.add(id);
      continue;
    }
    const alarm: AlarmInput = {
      id: a.id,
      ruleId: a.ruleId,
      pattern,
      severity: a.severity,
      subject: a.subject,
      firedAt: a.firedAt ?? a.startedAt,
      repeats: Math.max(1, repeatsOf.get(a.fingerprint) ?? 1),
      ruleName: catalogue.nameOf?.(a.ruleId),
    };
    (bySource.get(sourceOf(a.subject) ?? '') ?? own).alarms.push(alarm);
  }
  const finish = (x: ReturnType<typeof empty>): Omit<RiskInputs, 'sector' | 'ledgerFactors' | 'children'> => ({
    alarms: x.alarms,
    offline: x.offline,
    points: x.points,
    silentPoints: x.silent.size,
  });
  return {
    sector: e.sector,
    ledgerFactors: e.risk_factors ?? [],
    own: finish(own),
    sources: sources.rows.map((s) => ({ code: s.code, name: s.name, level: Number(s.level), inputs: finish(bySource.get(s.code)!) })),
  };
}

export function buildRiskWarnings(deps: RiskWarningDeps): RiskWarnings {
  const policy = deps.policy ?? DEFAULT_RISK_POLICY;
  const store = new RiskWarningStore(deps.db);
  const logger = deps.logger.child({ component: 'risk-warnings' });
  let cursor = 0;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const evaluate = async (enterpriseId: string): Promise<RiskWarningEvent[]> => {
    const now = deps.clock.now();
    const x = await gather(deps.db, enterpriseId, now, policy, deps);
    if (!x) return [];
    const judged: Judged[] = [];
    const children: { code: string; name: string; level: WarningResult }[] = [];
    for (const s of x.sources) {
      const j = judge({ ...s.inputs, hazardLevel: s.level, sector: x.sector, ledgerFactors: [], children: [] }, policy, now);
      judged.push({ hazardSourceCode: s.code, level: j.level, factors: j.factors, policyVersion: j.policyVersion });
      children.push({ code: s.code, name: s.name, level: j.level });
    }
    const j = judge({ ...x.own, sector: x.sector, ledgerFactors: x.ledgerFactors, children }, policy, now);
    judged.unshift({ hazardSourceCode: '', level: j.level, factors: j.factors, policyVersion: j.policyVersion });
    const events = await store.record(enterpriseId, judged, now);
    for (const ev of events)
      logger.info(
        { enterpriseId, hazardSourceCode: ev.hazardSourceCode || undefined, previous: ev.from, next: ev.to, reasons: ev.factors.map((f) => f.zh) },
        'risk warning level changed',
      );
    return events;
  };

  /** Runs one job at a time, in order (judgements of one enterprise must not interleave). */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };

  const sweep = () =>
    serial(async () => {
      const { rows } = await deps.db.query<{ enterprise_id: string }>(
        `SELECT DISTINCT enterprise_id FROM alerts WHERE state IN ('firing', 'acknowledged')
         UNION SELECT enterprise_id FROM risk_warnings WHERE level <> 'none'
         UNION SELECT id FROM enterprises WHERE risk_factors <> '[]'::jsonb`,
      );
      const out: RiskWarningEvent[] = [];
      for (const r of rows) out.push(...(await evaluate(r.enterprise_id)));
      return out;
    });

  /** The enterprises with alert events after the cursor, re-judged. */
  const onEvents = () =>
    serial(async () => {
      const { rows } = await deps.db.query<{ enterprise_id: string; seq: string | number }>(
        'SELECT enterprise_id, max(seq) AS seq FROM alert_events WHERE seq > $1 GROUP BY enterprise_id',
        [cursor],
      );
      for (const r of rows) cursor = Math.max(cursor, Number(r.seq));
      for (const r of rows) await evaluate(r.enterprise_id);
    });

  const logFailure = (what: string) => (err: unknown) => logger.error({ err }, `risk warnings: ${what} failed; the next sweep retries`);

  return {
    store,
    evaluate: (id) => serial(() => evaluate(id)),
    sweep,
    async start() {
      const { rows } = await deps.db.query<{ seq: string | number | null }>('SELECT max(seq) AS seq FROM alert_events');
      cursor = Number(rows[0]?.seq ?? 0);
      unsubscribe = deps.subscribeAlertEvents?.(() => {
        if (!stopped) onEvents().catch(logFailure('re-judging after alert events'));
      });
      await sweep();
      timer = setInterval(() => {
        if (!stopped) sweep().catch(logFailure('the sweep'));
      }, deps.sweepMs ?? 60_000);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      unsubscribe?.();
      await chain;
    },
  };
}
