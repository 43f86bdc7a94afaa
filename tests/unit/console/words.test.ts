/** How the console says times, durations, remarks, refusals and an alert's events, in Chinese and in English (issue #20 §1). */
import { afterEach, describe, expect, it } from 'vitest';
import { actorName, eventText } from '../../../console/alert-words.ts';
import { inLanguage } from '../../../console/api.ts';
import { limitName } from '../../../console/history-series.ts';
import { colon, duration, fill, lang, paren, time } from '../../../console/i18n.ts';
import type { AlertEvent } from '../../../console/types.ts';

afterEach(() => lang.set('zh'));

describe('durations, as people say them', () => {
  it.each([
    [192_000, '3 分 12 秒', '3 min 12 s'],
    [7_500_000, '2 小时 5 分', '2 h 5 min'],
    [7_200_000, '2 小时', '2 h'],
    [7_205_000, '2 小时', '2 h'],
    [90_061_000, '1 天 1 小时', '1 d 1 h'],
    [45_238, '45 秒', '45 s'],
    [300_004, '5 分', '5 min'],
    [500, '0 秒', '0 s'],
  ])('%i ms is %s', (ms, zh, en) => {
    expect(duration(ms)).toBe(zh);
    lang.set('en');
    expect(duration(ms)).toBe(en);
  });
});

describe('times, remarks and labels', () => {
  it('a time reads 2026-12-05 18:43:03, China Standard Time, in either language', () => {
    const at = Date.UTC(2026, 11, 5, 10, 43, 3);
    expect(time(at)).toBe('2026-12-05 18:43:03');
    lang.set('en');
    expect(time(at)).toBe('2026-12-05 18:43:03');
    expect(time(undefined)).toBe('—');
  });

  it('brackets and colons are full-width in Chinese only', () => {
    expect(`处置率${paren('3/4')}`).toBe('处置率（3/4）');
    expect(`期间${colon()}今天`).toBe('期间：今天');
    lang.set('en');
    expect(`Disposal${paren('3/4')}`).toBe('Disposal (3/4)');
    expect(`Period${colon()}today`).toBe('Period: today');
  });

  it('fills a word’s places', () => {
    expect(fill('evAckAfter', { d: '3 分' })).toBe('报警后 3 分');
    lang.set('en');
    expect(fill('evAckAfter', { d: '3 min' })).toBe('3 min after firing');
  });

  it('names the limits of a chart (a bureau’s own label as it is)', () => {
    expect(limitName('level1')).toBe('一级报警');
    expect(limitName('highHigh')).toBe('高高报');
    expect(limitName('bureau_limit')).toBe('bureau_limit');
    lang.set('en');
    expect(limitName('level2')).toBe('level 2');
  });
});

describe('a refusal in the console’s language', () => {
  const message = 'query: 起始时间须早于结束时间（且早于当前） / from must be before to (and before now)';
  it('keeps the side of the language shown and drops the request part', () => {
    expect(inLanguage(message)).toBe('起始时间须早于结束时间（且早于当前）');
    lang.set('en');
    expect(inLanguage(message)).toBe('from must be before to (and before now)');
  });

  it('keeps each problem’s field, problem by problem', () => {
    const two = 'body: rows.2.kind: 未知的测点类型 / unknown point kind; rows.3.unit: 缺少单位 / unit missing';
    expect(inLanguage(two)).toBe('rows.2.kind: 未知的测点类型; rows.3.unit: 缺少单位');
    lang.set('en');
    expect(inLanguage(two)).toBe('rows.2.kind: unknown point kind; rows.3.unit: unit missing');
  });

  it('leaves a message in one language as it is', () => {
    expect(inLanguage('Not Found')).toBe('Not Found');
    expect(inLanguage('E1 / E2 are missing')).toBe('E1 / E2 are missing');
  });
});

describe('an alert’s events in words', () => {
  const alert = { startedAt: Date.UTC(2026, 10, 23, 1, 3), firedAt: Date.UTC(2026, 10, 23, 1, 3, 30) };
  const names = { officers: { 'duty-a': '甲县值班员' }, authorities: { city: '示例市应急管理局' }, enterprises: {} };
  const event = (e: Partial<AlertEvent>): AlertEvent => ({
    seq: 1,
    type: 'acknowledged',
    at: alert.firedAt + 470_000,
    actor: 'user:duty-a',
    from: 'firing',
    to: 'acknowledged',
    severity: 'red',
    reason: 'acknowledged_by_officer',
    detail: 'acknowledged 470000 ms after firing',
    ...e,
  });

  it('says the reason, how long after firing, and the state change; the officer by name', () => {
    expect(eventText(event({}), alert, names)).toBe('值班员已签收 · 报警后 7 分 50 秒 · 报警中 → 已签收');
    expect(actorName('user:duty-a', names)).toBe('甲县值班员');
    expect(actorName('system', names)).toBe('系统');
    expect(actorName('user:gone', names)).toBe('gone');
    lang.set('en');
    expect(eventText(event({}), alert, names)).toBe('Acknowledged by the duty officer · 7 min 50 s after firing · Firing → Acknowledged');
  });

  it('names the authority an alert was escalated to, and how long it went unacknowledged', () => {
    const escalated = event({
      type: 'escalated',
      actor: 'system',
      reason: 'ack_time_limit_exceeded',
      from: 'firing',
      to: 'firing',
      at: alert.firedAt + 300_004,
      escalation: { level: 1, to: 'city' },
    });
    expect(eventText(escalated, alert, names)).toBe('超时未签收，逐级督办 · 第 1 级 · 示例市应急管理局 · 报警后 5 分 未签收');
    lang.set('en');
    expect(eventText(escalated, alert, names)).toBe(
      'Not acknowledged within the time limit; escalated · level 1 · 示例市应急管理局 · not acknowledged 5 min after firing',
    );
  });

  it('says how long a cleared alert lasted, never in milliseconds', () => {
    const resolved = event({ type: 'resolved', reason: 'condition_cleared', from: 'acknowledged', to: 'resolved', at: alert.startedAt + 45_238 });
    expect(eventText(resolved, alert, names)).toBe('报警条件已消除 · 开始后 45 秒 消除 · 已签收 → 已恢复');
    const fired = event({ type: 'fired', reason: 'raised_without_hold', from: null, to: 'firing', at: alert.startedAt });
    expect(eventText(fired, alert, names)).toBe('报警条件出现（无需持续时间确认）');
  });
});
