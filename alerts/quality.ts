/**
 * Alarm quality, measured (issue #17 item 5), by the alarm-management practice of ISA-18.2 / IEC 62682 and
 * EEMUA 191 applied to remote supervision: an alarm nobody can act on drowns the ones that matter (the
 * national system's headline result was fewer alarms: ~21,000 → ~4,500 a day). Pure: the figures of a list of
 * alarms over a period; `alerts/quality-report.ts` reads the alarms.
 *
 * What is counted (each limit is `QUALITY_LIMITS`, with its source):
 * - **raised**: alarms that fired (notified) in the period, per enterprise and per day (China Standard Time);
 * - **suppressed**: alarms held back and never notified (behind a gateway-offline root cause or a planned stop);
 * - **standing**: alarms still active more than 24 h after they fired, at the end of a day (EEMUA 191: alarms
 *   standing for more than 24 h);
 * - **chattering**: one alarm source (rule or group + point) firing 3 or more times within 60 s (ISA-18.2 TR:
 *   chattering alarms); each such source counts once, on the day it first chattered;
 * - **fleeting**: alarms that fired and cleared within 60 s (platform default, for the bureau to set: data come
 *   every few seconds, a shorter alarm is rarely actionable);
 * - **floods**: more than 10 alarms within 10 minutes for one duty officer's jurisdiction (an authority)
 *   (EEMUA 191 / ISA-18.2: an alarm flood is more than 10 alarms per 10 minutes per operator), as episodes:
 *   when it began, how long, how many alarms at the peak;
 * - **bad actors**: the alarm sources raising the most alarms, ranked, with their share of all alarms (EEMUA 191:
 *   a few bad actors usually produce most of the load).
 */
export const QUALITY_LIMITS = {
  standingMs: { value: 24 * 3_600_000, source: 'EEMUA 191：持续超过 24 小时的报警为常驻报警 / standing alarms: active more than 24 h' },
  chatteringCount: { value: 3, source: 'ISA-18.2 TR：60 秒内 3 次及以上为颤振报警 / 3 or more in 60 s' },
  chatteringWindowMs: { value: 60_000, source: 'ISA-18.2 TR' },
  fleetingMs: { value: 60_000, source: '平台默认值，由监管部门设定 / platform default, for the bureau to set' },
  floodCount: { value: 10, source: 'EEMUA 191 / ISA-18.2：10 分钟内超过 10 条为报警泛滥 / more than 10 alarms in 10 min per operator' },
  floodWindowMs: { value: 10 * 60_000, source: 'EEMUA 191 / ISA-18.2' },
  badActors: { value: 10, source: 'EEMUA 191：报警最多的前 10 个报警源 / the top ten' },
} as const;

/** One alarm as the report reads it. */
export interface QualityAlarm {
  id: string;
  /** Its source: rule (or consolidation group) + enterprise + subject. */
  fingerprint: string;
  ruleId: string;
  enterpriseId: string;
  authorityId: string | null;
  subject: string;
  severity: string;
  startedAt: number;
  /** Undefined: never notified (held back). */
  firedAt?: number | undefined;
  /** When it stopped being active: its clear or, if it never cleared, its disposal. */
  endedAt?: number | undefined;
  /** Held back behind a root cause or a planned stop. */
  suppressed: boolean;
}

export interface DayFigures {
  /** yyyy-MM-dd, China Standard Time. */
  date: string;
  raised: number;
  suppressed: number;
  standing: number;
  chattering: number;
  fleeting: number;
}

export interface FloodEpisode {
  authorityId: string | null;
  startedAt: number;
  endedAt: number;
  /** Most alarms within one 10-minute window of the episode. */
  peak: number;
  alarms: number;
}

export interface BadActor {
  fingerprint: string;
  /** The source's rule, or its consolidation group. */
  ruleId: string;
  enterpriseId: string;
  subject: string;
  raised: number;
  /** Share of all alarms raised in the period, 0–1 (4 decimals). */
  share: number;
}

export interface QualityFigures {
  enterprises: { enterpriseId: string; days: DayFigures[]; totals: Omit<DayFigures, 'date'> }[];
  floods: FloodEpisode[];
  badActors: BadActor[];
  totals: Omit<DayFigures, 'date'> & { floods: number; perTenMinutes: number | null };
}

const CST_MS = 8 * 3_600_000;
const DAY = 86_400_000;
/** The China Standard Time day of a time: its date and its start (epoch ms). */
export const cstDay = (t: number): { date: string; start: number } => {
  const start = Math.floor((t + CST_MS) / DAY) * DAY - CST_MS;
  return { date: new Date(start + CST_MS).toISOString().slice(0, 10), start };
};

const zero = (): Omit<DayFigures, 'date'> => ({ raised: 0, suppressed: 0, standing: 0, chattering: 0, fleeting: 0 });
const add = (a: Omit<DayFigures, 'date'>, b: Omit<DayFigures, 'date'>) => {
  for (const k of Object.keys(a) as (keyof typeof a)[]) a[k] += b[k];
};

/** Sources (fingerprints) that fired `count` or more times within `windowMs`, with the time of the chatter (the first alarm of the run). */
function chatterers(alarms: readonly QualityAlarm[]): Map<string, number> {
  const times = new Map<string, number[]>();
  for (const a of alarms) if (a.firedAt !== undefined) (times.get(a.fingerprint) ?? times.set(a.fingerprint, []).get(a.fingerprint)!).push(a.firedAt);
  const out = new Map<string, number>();
  const n = QUALITY_LIMITS.chatteringCount.value;
  for (const [fp, ts] of times) {
    ts.sort((x, y) => x - y);
    for (let i = 0; i + n - 1 < ts.length; i++)
      if (ts[i + n - 1]! - ts[i]! <= QUALITY_LIMITS.chatteringWindowMs.value) {
        out.set(fp, ts[i]!);
        break;
      }
  }
  return out;
}

/** Flood episodes of one jurisdiction: from the first alarm of a window holding more than `floodCount` alarms to the last alarm of the last such window. */
export function floodsOf(firedTimes: readonly number[], authorityId: string | null): FloodEpisode[] {
  const ts = [...firedTimes].sort((a, b) => a - b);
  const limit = QUALITY_LIMITS.floodCount.value;
  const win = QUALITY_LIMITS.floodWindowMs.value;
  const out: FloodEpisode[] = [];
  let cur: FloodEpisode | undefined;
  let lo = 0;
  for (let hi = 0; hi < ts.length; hi++) {
    while (ts[hi]! - ts[lo]! >= win) lo++;
    const count = hi - lo + 1;
    if (count > limit) {
      if (cur && ts[lo]! <= cur.endedAt) {
        cur.endedAt = ts[hi]!;
        cur.peak = Math.max(cur.peak, count);
      } else {
        cur = { authorityId, startedAt: ts[lo]!, endedAt: ts[hi]!, peak: count, alarms: 0 };
        out.push(cur);
      }
    }
  }
  for (const f of out) f.alarms = ts.filter((t) => t >= f.startedAt && t <= f.endedAt).length;
  return out;
}

/** The figures of the alarms over [from, to). Alarms that started before `from` count only for standing. */
export function qualityOf(alarms: readonly QualityAlarm[], from: number, to: number): QualityFigures {
  const byEnterprise = new Map<string, Map<string, DayFigures>>();
  const day = (enterpriseId: string, t: number): DayFigures => {
    const { date } = cstDay(t);
    const days = byEnterprise.get(enterpriseId) ?? byEnterprise.set(enterpriseId, new Map()).get(enterpriseId)!;
    return days.get(date) ?? days.set(date, { date, ...zero() }).get(date)!;
  };
  const inPeriod = (t: number | undefined): t is number => t !== undefined && t >= from && t < to;
  for (const a of alarms) {
    if (inPeriod(a.firedAt)) {
      day(a.enterpriseId, a.firedAt).raised++;
      if (a.endedAt !== undefined && a.endedAt - a.firedAt < QUALITY_LIMITS.fleetingMs.value) day(a.enterpriseId, a.firedAt).fleeting++;
    } else if (a.firedAt === undefined && a.suppressed && inPeriod(a.startedAt)) day(a.enterpriseId, a.startedAt).suppressed++;
    // standing at the end of each day of the period it was active through
    if (a.firedAt !== undefined) {
      for (let d = cstDay(Math.max(from, a.firedAt)).start; d < to; d += DAY) {
        const end = Math.min(d + DAY, to);
        if (a.endedAt !== undefined && a.endedAt <= end) break;
        if (end - a.firedAt > QUALITY_LIMITS.standingMs.value) day(a.enterpriseId, d).standing++;
      }
    }
  }
  const inWindow = alarms.filter((a) => inPeriod(a.firedAt));
  for (const [fp, at] of chatterers(inWindow)) {
    const a = inWindow.find((x) => x.fingerprint === fp)!;
    day(a.enterpriseId, at).chattering++;
  }
  const byAuthority = new Map<string | null, number[]>();
  for (const a of inWindow) (byAuthority.get(a.authorityId) ?? byAuthority.set(a.authorityId, []).get(a.authorityId)!).push(a.firedAt!);
  const floods = [...byAuthority].flatMap(([authorityId, ts]) => floodsOf(ts, authorityId)).sort((a, b) => a.startedAt - b.startedAt);

  const raisedBy = new Map<string, { a: QualityAlarm; n: number }>();
  for (const a of inWindow) {
    const r = raisedBy.get(a.fingerprint);
    if (r) r.n++;
    else raisedBy.set(a.fingerprint, { a, n: 1 });
  }
  const total = inWindow.length;
  const badActors = [...raisedBy.values()]
    .sort((x, y) => y.n - x.n || x.a.fingerprint.localeCompare(y.a.fingerprint))
    .slice(0, QUALITY_LIMITS.badActors.value)
    .map(({ a, n }) => ({
      fingerprint: a.fingerprint,
      ruleId: a.fingerprint.split('|')[0]!,
      enterpriseId: a.enterpriseId,
      subject: a.subject,
      raised: n,
      share: Math.round((n / total) * 10_000) / 10_000,
    }));

  const totals = zero();
  const enterprises = [...byEnterprise].map(([enterpriseId, days]) => {
    const list = [...days.values()].sort((a, b) => a.date.localeCompare(b.date));
    const t = zero();
    for (const d of list) add(t, d);
    add(totals, t);
    return { enterpriseId, days: list, totals: t };
  });
  enterprises.sort((a, b) => b.totals.raised - a.totals.raised || a.enterpriseId.localeCompare(b.enterpriseId));
  const tenMinutes = (to - from) / QUALITY_LIMITS.floodWindowMs.value;
  return {
    enterprises,
    floods,
    badActors,
    totals: { ...totals, floods: floods.length, perTenMinutes: tenMinutes > 0 ? Math.round((totals.raised / tenMinutes) * 1000) / 1000 : null },
  };
}
