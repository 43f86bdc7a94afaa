/** The enterprise tier's KPIs (issue #18 item 6; inspections/response-kpis.ts, docs/kpis.md) against figures computed by hand. */
import { describe, expect, it } from 'vitest';
import { compositeScore, sumKpis, type EnterpriseKpiFacts } from '../../../inspections/kpis.ts';
import { durationStats, emptyResponseFacts, responseFactsOf, responseKpis, sumResponseFacts, timeliness, type ResponseRow } from '../../../inspections/response-kpis.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 2); // 2 Nov 2026 10:00 CST
const NOW = T0 + 10 * 24 * 60 * MIN;

/** An alarm handed at T0 with sign-for due in 30 min and feedback in 2 h; nothing done yet. */
const row = (r: Partial<ResponseRow> = {}): ResponseRow => ({
  enterpriseId: 'E1',
  openedAt: T0,
  signDueAt: T0 + 30 * MIN,
  feedbackDueAt: T0 + 120 * MIN,
  signedAt: null,
  feedbackAt: null,
  cause: null,
  feedbackRejected: false,
  repeatedFalseAlarm: false,
  rejections: 0,
  supervisions: 0,
  firedAt: T0,
  clearedAt: null,
  disposedAt: null,
  closed: false,
  ...r,
});

describe('timeliness', () => {
  it('done exactly at the due time is on time, a millisecond later late', () => {
    expect(timeliness(T0 + 30 * MIN, T0 + 30 * MIN, NOW)).toBe(true);
    expect(timeliness(T0 + 30 * MIN + 1, T0 + 30 * MIN, NOW)).toBe(false);
  });
  it('not done and past due is late; not done and not yet due is not judged', () => {
    expect(timeliness(null, T0, T0 + 1)).toBe(false);
    expect(timeliness(null, T0, T0)).toBeUndefined(); // at the due instant it may still come in time
    expect(timeliness(null, T0, T0 - 1)).toBeUndefined();
  });
});

describe('responseFactsOf', () => {
  it('judges sign-for and feedback as of now', () => {
    const f = responseFactsOf(
      [
        row({ signedAt: T0 + 30 * MIN, feedbackAt: T0 + 120 * MIN, cause: 'genuine_hazard' }), // both exactly on time
        row({ signedAt: T0 + 31 * MIN, feedbackAt: T0 + 121 * MIN, cause: 'false_alarm' }), // both late
        row(), // nothing, both overdue by now
        row({ openedAt: NOW - MIN, signDueAt: NOW + 29 * MIN, feedbackDueAt: NOW + 119 * MIN }), // not yet due: not counted
      ],
      NOW,
    );
    expect(f).toMatchObject({ handed: 4, signJudged: 3, signOnTime: 1, feedbackJudged: 3, feedbackOnTime: 1, feedbacks: 2, falseAlarms: 1 });
    expect(f.signMs).toEqual([30 * MIN, 31 * MIN]);
    const k = responseKpis(f);
    expect(k.sign).toMatchObject({ judged: 3, onTime: 1, late: 2, onTimeRate: 0.3333 });
    expect(k.sign.time).toEqual({ count: 2, meanMs: 30.5 * MIN, medianMs: 30.5 * MIN });
    expect(k.feedback).toEqual({ judged: 3, onTime: 1, late: 2, onTimeRate: 0.3333 });
    expect(k.falseAlarmRate).toBe(0.5);
  });

  it('signed but feedback not yet due: the sign-for is judged, the feedback not', () => {
    const f = responseFactsOf([row({ signedAt: T0 + 5 * MIN })], T0 + 60 * MIN);
    expect(f).toMatchObject({ signJudged: 1, signOnTime: 1, feedbackJudged: 0 });
  });

  it('a rejected feedback does not stand: new feedback is owed by the re-feedback due time', () => {
    const rejected = row({ signedAt: T0, feedbackAt: T0 + 10 * MIN, cause: 'false_alarm', feedbackRejected: true, rejections: 1, feedbackDueAt: T0 + 60 * MIN });
    expect(responseFactsOf([rejected], T0 + 50 * MIN)).toMatchObject({ feedbackJudged: 0, rejections: 1, feedbacks: 1, falseAlarms: 1 });
    expect(responseFactsOf([rejected], T0 + 61 * MIN)).toMatchObject({ feedbackJudged: 1, feedbackOnTime: 0 });
    // fed back again in time after the rejection: on time, the rejection still counted
    const again = row({ signedAt: T0, feedbackAt: T0 + 55 * MIN, cause: 'instrument_fault', rejections: 1, feedbackDueAt: T0 + 60 * MIN });
    expect(responseFactsOf([again], NOW)).toMatchObject({ feedbackJudged: 1, feedbackOnTime: 1, rejections: 1 });
  });

  it('a response closed by the bureau owed nothing after the disposal', () => {
    // disposed 10 min after it was handed, never signed: not judged
    expect(responseFactsOf([row({ closed: true, disposedAt: T0 + 10 * MIN })], NOW)).toMatchObject({ signJudged: 0, feedbackJudged: 0 });
    // disposed after the sign-for fell due: the sign-for was late, the feedback not yet due then
    expect(responseFactsOf([row({ closed: true, disposedAt: T0 + 60 * MIN })], NOW)).toMatchObject({ signJudged: 1, signOnTime: 0, feedbackJudged: 0 });
  });

  it('clearing time: fired → cleared (消警) or disposed, whichever first; supervisions and repeated false alarms summed', () => {
    const f = responseFactsOf(
      [
        row({ firedAt: T0 - 5 * MIN, clearedAt: T0 + 40 * MIN, supervisions: 2 }),
        row({ disposedAt: T0 + 20 * MIN, clearedAt: T0 + 90 * MIN }),
        row({ disposedAt: T0 + 100 * MIN, repeatedFalseAlarm: true, cause: 'false_alarm', feedbackAt: T0, signedAt: T0 }),
        row(), // neither
      ],
      NOW,
    );
    expect(f.clearMs).toEqual([45 * MIN, 20 * MIN, 100 * MIN]);
    expect(responseKpis(f).clear).toEqual({ count: 3, meanMs: 55 * MIN, medianMs: 45 * MIN });
    expect(f).toMatchObject({ supervisions: 2, repeatedFalseAlarms: 1 });
  });
});

describe('durationStats', () => {
  it('median of an odd and an even count; none', () => {
    expect(durationStats([5, 1, 3])).toEqual({ count: 3, meanMs: 3, medianMs: 3 });
    expect(durationStats([4, 1, 3, 10])).toEqual({ count: 4, meanMs: 5, medianMs: 4 }); // (3 + 4) ÷ 2 = 3.5 → 4
    expect(durationStats([])).toEqual({ count: 0, meanMs: null, medianMs: null });
  });
});

describe('the response rate', () => {
  it('on time sign-fors, feedbacks and self-inspection reports, less rejections and repeated false alarms, over all judged', () => {
    const f = { ...emptyResponseFacts(), signJudged: 4, signOnTime: 3, feedbackJudged: 4, feedbackOnTime: 2, selfInspectionDue: 2, selfInspectionOnTime: 1, rejections: 1, repeatedFalseAlarms: 1 };
    // (3 + 2 + 1 − 1 − 1) ÷ (4 + 4 + 2) = 0.4
    expect(responseKpis(f)).toMatchObject({ responseRate: 0.4, selfInspection: { due: 2, onTime: 1, rate: 0.5 } });
    // never below 0
    expect(responseKpis({ ...emptyResponseFacts(), signJudged: 1, rejections: 3 }).responseRate).toBe(0);
    // nothing judged: none
    expect(responseKpis({ ...emptyResponseFacts(), handed: 2, rejections: 1 }).responseRate).toBeNull();
  });

  it('sums enterprises', () => {
    const a = responseFactsOf([row({ signedAt: T0 })], NOW);
    const b = responseFactsOf([row({ signedAt: T0 + 40 * MIN }), row()], NOW);
    const s = sumResponseFacts([a, b]);
    expect(s).toMatchObject({ handed: 3, signJudged: 3, signOnTime: 1, feedbackJudged: 3 });
    expect(s.signMs).toEqual([0, 40 * MIN]);
  });
});

describe('the composite score with the enterprise tier', () => {
  it('takes 20 % (the platform default); without it the other three keep 2 : 2 : 1', () => {
    // 0.32 × 1 + 0.32 × 0.5 + 0.16 × 1 + 0.2 × 0.4 = 0.72
    expect(compositeScore({ onlineRate: 1, integrity: 0.5, disposalRate: 1, responseRate: 0.4 })).toBe(72);
    expect(compositeScore({ onlineRate: 1, integrity: 0.5, disposalRate: 1, responseRate: null })).toBe(80); // 0.4 + 0.2 + 0.2
    expect(compositeScore({ onlineRate: null, integrity: null, disposalRate: null, responseRate: 0.25 })).toBe(25);
  });

  it('enters an enterprise\'s and an authority\'s figures through sumKpis', () => {
    const facts = (id: string, tier = emptyResponseFacts()): EnterpriseKpiFacts => ({
      enterpriseId: id,
      name: id,
      authorityId: 'K1',
      onlineMs: 100,
      observedMs: 100,
      offlineCount: 0,
      points: [],
      fired: 0,
      disposed: 0,
      clearMs: [],
      tier,
    });
    const late = responseFactsOf([row()], NOW); // sign-for and feedback both late: rate 0
    const k = sumKpis([facts('E1', late), facts('E2')]);
    expect(k.enterpriseTier).toMatchObject({ handed: 1, responseRate: 0, sign: { judged: 1, onTime: 0 } });
    // online 1 (0.32) and response 0 (0.2): 0.32 ÷ 0.52
    expect(k.score).toBe(61.54);
    expect(sumKpis([facts('E2')]).score).toBe(100);
  });
});
