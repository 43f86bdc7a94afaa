/**
 * The KPIs of the enterprise tier (issue #18 item 6; domain rule 13, docs/kpis.md "The enterprise tier"): how
 * each enterprise answered the alarms handed to it — sign-for (签收) and feedback (反馈) timeliness, false-alarm
 * rate, repeated false alarms, rejected feedback, supervision (督办) marks, clearing time — and its
 * self-inspection reporting rate (domain rule 11). The arithmetic is pure (`responseFactsOf`, `sumResponseFacts`,
 * `responseKpis`); `kpi-source.ts` `loadResponseFacts` gathers the rows from `alert_responses` (migration 19) with
 * their alarms and the self-inspection reports (`SelfInspections.reportingRate`).
 *
 * Which alarms: those handed to the enterprise (`opened_at`) within the half-open period [from, to). Their
 * timeliness is judged as of `now` (the report's time): a sign-for or feedback still owed and past its due time
 * counts as late, one still owed and not yet due is not counted yet. Exactly at the due time is on time.
 */
import { median, rate } from './kpi-math.ts';

/** One alarm's response as the KPIs need it (epoch ms). */
export interface ResponseRow {
  enterpriseId: string;
  openedAt: number;
  signDueAt: number;
  feedbackDueAt: number;
  signedAt: number | null;
  /** The feedback in force (the latest), null when none was given. */
  feedbackAt: number | null;
  /** Its cause category (`alerts/response/policy.ts` RESPONSE_CAUSES). */
  cause: string | null;
  /** The feedback in force was rejected by the officer (it awaits new feedback, or the alarm was closed meanwhile). */
  feedbackRejected: boolean;
  repeatedFalseAlarm: boolean;
  rejections: number;
  supervisions: number;
  /** When the alarm fired (the alarm's `fired_at`; the time it was handed when unknown). */
  firedAt: number;
  /** 消警 through the enterprise's response (`cleared_at`). */
  clearedAt: number | null;
  /** The alarm disposed (处置) by an officer (`alerts.data.disposedAt`). */
  disposedAt: number | null;
  /** The response closed because an officer disposed of the alarm (state `closed`): nothing more was owed after. */
  closed: boolean;
}

/** Counts and durations of one enterprise or many (summed); what `responseKpis` turns into rates. */
export interface ResponseFacts {
  handed: number;
  /** Sign-fors judged (given, or owed past their due time) and of them on time. */
  signJudged: number;
  signOnTime: number;
  /** Opened → signed, ms, per alarm signed for. */
  signMs: number[];
  feedbackJudged: number;
  feedbackOnTime: number;
  /** Alarms with feedback on record (the latest of each), and of them explained as false alarms. */
  feedbacks: number;
  falseAlarms: number;
  repeatedFalseAlarms: number;
  rejections: number;
  supervisions: number;
  /** Fired → cleared (消警) or disposed, whichever came first, ms. */
  clearMs: number[];
  /** Self-inspection reports due in the period and of them made on time (`SelfInspections.reportingRate`). */
  selfInspectionDue: number;
  selfInspectionOnTime: number;
}

export const emptyResponseFacts = (): ResponseFacts => ({
  handed: 0,
  signJudged: 0,
  signOnTime: 0,
  signMs: [],
  feedbackJudged: 0,
  feedbackOnTime: 0,
  feedbacks: 0,
  falseAlarms: 0,
  repeatedFalseAlarms: 0,
  rejections: 0,
  supervisions: 0,
  clearMs: [],
  selfInspectionDue: 0,
  selfInspectionOnTime: 0,
});

/**
 * Whether a step due at `dueAt` was done on time: done at `doneAt` ≤ due → on time, after → late; not done
 * and past due (`until` > due) → late; not done and not yet due → undefined (not judged yet). `until` is now,
 * or when the response was closed (nothing was owed after the bureau disposed of the alarm).
 */
export function timeliness(doneAt: number | null, dueAt: number, until: number): boolean | undefined {
  if (doneAt !== null) return doneAt <= dueAt;
  return until > dueAt ? false : undefined;
}

/** The facts of a set of response rows (one enterprise's, or any) as of `now`. */
export function responseFactsOf(rows: readonly ResponseRow[], now: number, into: ResponseFacts = emptyResponseFacts()): ResponseFacts {
  const f = into;
  for (const r of rows) {
    f.handed += 1;
    // a closed response owed nothing after the disposal; without a disposal time, up to now
    const until = r.closed ? Math.min(now, r.disposedAt ?? now) : now;
    const sign = timeliness(r.signedAt, r.signDueAt, until);
    if (sign !== undefined) {
      f.signJudged += 1;
      if (sign) f.signOnTime += 1;
    }
    if (r.signedAt !== null) f.signMs.push(Math.max(0, r.signedAt - r.openedAt));
    // a rejected feedback does not stand: new feedback is owed by the re-feedback due time
    const fb = timeliness(r.feedbackRejected ? null : r.feedbackAt, r.feedbackDueAt, until);
    if (fb !== undefined) {
      f.feedbackJudged += 1;
      if (fb) f.feedbackOnTime += 1;
    }
    if (r.feedbackAt !== null) {
      f.feedbacks += 1;
      if (r.cause === 'false_alarm') f.falseAlarms += 1;
    }
    if (r.repeatedFalseAlarm) f.repeatedFalseAlarms += 1;
    f.rejections += r.rejections;
    f.supervisions += r.supervisions;
    const ends = [r.clearedAt, r.disposedAt].filter((x): x is number => x !== null);
    if (ends.length > 0) f.clearMs.push(Math.max(0, Math.min(...ends) - r.firedAt));
  }
  return f;
}

export function sumResponseFacts(list: readonly ResponseFacts[]): ResponseFacts {
  const s = emptyResponseFacts();
  for (const f of list) {
    s.handed += f.handed;
    s.signJudged += f.signJudged;
    s.signOnTime += f.signOnTime;
    s.signMs.push(...f.signMs);
    s.feedbackJudged += f.feedbackJudged;
    s.feedbackOnTime += f.feedbackOnTime;
    s.feedbacks += f.feedbacks;
    s.falseAlarms += f.falseAlarms;
    s.repeatedFalseAlarms += f.repeatedFalseAlarms;
    s.rejections += f.rejections;
    s.supervisions += f.supervisions;
    s.clearMs.push(...f.clearMs);
    s.selfInspectionDue += f.selfInspectionDue;
    s.selfInspectionOnTime += f.selfInspectionOnTime;
  }
  return s;
}

/** Count, mean and median of durations, ms (null when none). */
export interface DurationStats {
  count: number;
  meanMs: number | null;
  medianMs: number | null;
}

export function durationStats(values: readonly number[]): DurationStats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    meanMs: sorted.length > 0 ? Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length) : null,
    medianMs: median(sorted),
  };
}

/** The enterprise tier's figures of one enterprise or of an authority's subtree. */
export interface EnterpriseTierKpis {
  /** Alarms handed to the enterprise(s) in the period. */
  handed: number;
  sign: { judged: number; onTime: number; late: number; onTimeRate: number | null } & { time: DurationStats };
  feedback: { judged: number; onTime: number; late: number; onTimeRate: number | null };
  /** Feedbacks on record (the latest of each alarm), false alarms among them, their rate. */
  feedbacks: number;
  falseAlarms: number;
  falseAlarmRate: number | null;
  /** Counts against the enterprise. */
  repeatedFalseAlarms: number;
  /** Feedback rejected by the officer (each rejection once); counts against the enterprise. */
  rejections: number;
  /** Supervision (督办) marks: sign-for or feedback overdue. */
  supervisions: number;
  clear: DurationStats;
  selfInspection: { due: number; onTime: number; rate: number | null };
  /**
   * The enterprise tier's component of the composite score: (on-time sign-fors + on-time feedbacks + on-time
   * self-inspection reports − rejections − repeated false alarms) ÷ (sign-fors judged + feedbacks judged +
   * reports due), at least 0, 4 decimals; null when nothing was judged or due.
   */
  responseRate: number | null;
}

export function responseKpis(f: ResponseFacts): EnterpriseTierKpis {
  const judged = f.signJudged + f.feedbackJudged + f.selfInspectionDue;
  const earned = f.signOnTime + f.feedbackOnTime + f.selfInspectionOnTime - f.rejections - f.repeatedFalseAlarms;
  return {
    handed: f.handed,
    sign: { judged: f.signJudged, onTime: f.signOnTime, late: f.signJudged - f.signOnTime, onTimeRate: rate(f.signOnTime, f.signJudged), time: durationStats(f.signMs) },
    feedback: { judged: f.feedbackJudged, onTime: f.feedbackOnTime, late: f.feedbackJudged - f.feedbackOnTime, onTimeRate: rate(f.feedbackOnTime, f.feedbackJudged) },
    feedbacks: f.feedbacks,
    falseAlarms: f.falseAlarms,
    falseAlarmRate: rate(f.falseAlarms, f.feedbacks),
    repeatedFalseAlarms: f.repeatedFalseAlarms,
    rejections: f.rejections,
    supervisions: f.supervisions,
    clear: durationStats(f.clearMs),
    selfInspection: { due: f.selfInspectionDue, onTime: f.selfInspectionOnTime, rate: rate(f.selfInspectionOnTime, f.selfInspectionDue) },
    responseRate: judged > 0 ? rate(Math.max(0, earned), judged) : null,
  };
}
