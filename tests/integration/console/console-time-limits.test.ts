/**
 * Time limits in sight (issue #20 §4), in real Chromium: each alarm shows how long it has been in its state and the
 * time left before it is escalated (the bureau's limit per grade, here the platform's defaults: red 5 min, orange
 * 15 min); an escalated alarm is marked 督办, for the county's officer and the city's above it; the grade counts;
 * a new red alarm rings (sound and a flashing banner) and shows a desktop notification once the officer turned the
 * alarm on; and in both languages, at desktop and phone sizes, nothing is untranslated and axe finds nothing serious.
 */
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAnnouncer } from '../../../alerts/bus.ts';
import type { Platform } from '../../../platform/platform.ts';
import { storeFiredAlert } from '../../../testkit/alerts.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { accessibilityViolations, launchBrowser, LANGUAGES_AND_SIZES, openPage, signIn } from '../../../testkit/browser.ts';
import { screenTexts, untranslated } from '../../../testkit/language.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const PASSWORD = 'duty-officer-pass';
const MIN = 60_000;
let svc: TestServices;
let platform: Platform;
let browser: Browser;
let base: string;
let redis: Redis;

beforeAll(async () => {
  svc = await startTestServices('timelimits');
  ({ platform } = await startTestPlatform(svc, 'timelimits'));
  base = `http://127.0.0.1:${platform.httpPort}`;
  redis = new Redis(svc.redis.url);
  const admin = new AdminClient(base, platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'city', name: '示例市应急管理局', level: 'city' });
  await admin.ok('POST', '/api/v1/authorities', { id: 'K1', name: '甲县应急管理局', level: 'county', parentId: 'city' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '甲化工有限公司', sector: 'hazardous_chemicals', authorityId: 'K1' });
  // supervised by the city itself: no authority above it, its alarms are escalated nowhere
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E2', name: '乙化工有限公司', sector: 'hazardous_chemicals', authorityId: 'city' });
  for (const [id, name, authorityId] of [
    ['duty-k1', '甲县值班员', 'K1'],
    ['duty-city', '市局值班员', 'city'],
  ] as const)
    await admin.ok('POST', '/api/v1/officers', { id, name, authorityId, role: 'duty_officer', password: PASSWORD });
  const now = Date.now();
  // orange, fired 10 min ago: 5 min left of its 15
  await storeFiredAlert(platform.db, {
    id: 'A-ORANGE',
    enterpriseId: 'E1',
    ruleId: 'gas.combustible',
    severity: 'orange',
    subject: 'GT-101',
    at: now - 10 * MIN,
  });
  // yellow, fired 2 min ago: never escalates (no limit for yellow), and referred to the city by the county
  await storeFiredAlert(platform.db, { id: 'A-YELLOW', enterpriseId: 'E1', ruleId: 'common.frozen', severity: 'yellow', subject: 'TT-201', at: now - 2 * MIN });
  const county = new AdminClient(
    base,
    (await admin.ok<{ token: string }>('POST', '/api/v1/officers', { id: 'duty-k1-api', name: '甲县接口', authorityId: 'K1' })).token,
  );
  await county.ok('POST', '/api/v1/alerts/A-YELLOW/escalate', {});
  // red, fired a minute ago, at the city's own enterprise: nothing to count down to
  await storeFiredAlert(platform.db, { id: 'A-TOP', enterpriseId: 'E2', ruleId: 'gas.combustible', severity: 'red', subject: 'GT-301', at: now - MIN });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  redis?.disconnect();
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
});

/** A new alarm stored and announced, as the rules worker does: the open consoles get it through their live stream. */
async function newRedAlarm(id: string, subject: string): Promise<void> {
  await storeFiredAlert(platform.db, { id, enterpriseId: 'E1', ruleId: 'gas.combustible', severity: 'red', subject, at: Date.now() });
  const { rows } = await platform.db.query<{ seq: string }>('SELECT max(seq) AS seq FROM alert_events');
  redisAnnouncer(redis, 'timelimits:', () => undefined)([Number(rows[0]!.seq)]);
}

/** Records the console's desktop notifications and the tones it plays (the page's own Notification and Web Audio). */
const SPY = () => {
  const w = window as unknown as { __alarm: { notifications: { title: string; body: string }[]; tones: number } };
  w.__alarm = { notifications: [], tones: 0 };
  const Real = window.Notification;
  class Spy extends Real {
    constructor(title: string, options?: NotificationOptions) {
      super(title, options);
      w.__alarm.notifications.push({ title, body: options?.body ?? '' });
    }
  }
  Object.defineProperty(window, 'Notification', { value: Spy });
  const start: (this: OscillatorNode, when?: number) => void = Reflect.get(OscillatorNode.prototype, 'start');
  OscillatorNode.prototype.start = function (this: OscillatorNode, when?: number) {
    w.__alarm.tones++;
    return start.call(this, when);
  };
};
const alarmOf = (page: Page) =>
  page.evaluate(() => (window as unknown as { __alarm: { notifications: { title: string; body: string }[]; tones: number } }).__alarm);

describe('time limits in sight', () => {
  it('shows time in state and time left before escalation, 督办 on the escalated alarm, and the counts per grade', async () => {
    const w = await openPage(browser);
    await signIn(w.page, base, 'duty-k1', PASSWORD);
    const orange = '[data-testid="alert-A-ORANGE"]';
    await w.page.waitForSelector(`${orange} [data-testid=escalation-due]`);
    expect(await w.page.textContent(`${orange} [data-testid=escalation-due]`)).toMatch(/^距督办 (4 分 \d+ 秒|5 分)$/);
    expect(await w.page.textContent(`${orange} [data-testid=time-in-state]`)).toMatch(/^已持续 10 分( \d+ 秒)?$/);
    // the yellow one never escalates by itself; the county referred it up: 督办
    const yellow = '[data-testid="alert-A-YELLOW"]';
    expect(await w.page.locator(`${yellow} [data-testid=escalation-due]`).count()).toBe(0);
    expect(await w.page.textContent(`${yellow} [data-testid=escalated-mark]`)).toBe('督办');
    expect(await w.page.locator('[data-testid=grade-counts] [data-grade]').allTextContents()).toEqual(['红色 0', '橙色 1', '黄色 1', '蓝色 0']);
    // on the alarm's page too, with its actions
    await w.page.click(`${orange} .alert-main`);
    await w.page.waitForSelector('section.detail [data-testid=escalation-due]');
    expect(await w.page.locator('section.detail [data-testid=acknowledge]').count()).toBe(1);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('shows the city’s officer the alarm its county referred up, marked 督办, and no countdown where the city is the top', async () => {
    const w = await openPage(browser);
    await signIn(w.page, base, 'duty-city', PASSWORD);
    await w.page.waitForSelector('[data-testid="alert-A-YELLOW"] [data-testid=escalated-mark]');
    // the county's orange alarm would go to the city next: counted down here too
    expect(await w.page.textContent('[data-testid="alert-A-ORANGE"] [data-testid=escalation-due]')).toMatch(/^距督办 /);
    // the city's own enterprise: the city is the top, the alarm goes nowhere — time in state, no countdown
    const top = '[data-testid="alert-A-TOP"]';
    expect(await w.page.textContent(`${top} [data-testid=time-in-state]`)).toMatch(/^已持续 1 分/);
    expect(await w.page.locator(`${top} [data-testid=escalation-due]`).count()).toBe(0);
    await w.page.click(`${top} .alert-main`);
    await w.page.waitForSelector('section.detail [data-testid=time-in-state]');
    expect(await w.page.locator('section.detail [data-testid=escalation-due]').count()).toBe(0);
    await w.context.close();
  });

  it('rings for a new red alarm, once turned on: tones, a flashing banner and a desktop notification', async () => {
    const w = await openPage(browser);
    await w.context.grantPermissions(['notifications'], { origin: base });
    await w.page.addInitScript(SPY);
    await signIn(w.page, base, 'duty-k1', PASSWORD);
    await w.page.waitForSelector('[data-testid=stream-state].ok');
    await w.page.click('[data-testid=enable-alarm]');
    await w.page.waitForSelector('[data-testid=alarm-on]');
    const before = await alarmOf(w.page);
    expect(before.tones).toBe(1); // the officer heard what it sounds like
    await newRedAlarm('A-RED', 'GT-102');
    await w.page.waitForSelector('[data-testid="alert-A-RED"][data-grade=red]');
    await w.page.waitForSelector('[data-testid=red-banner].ringing');
    const after = await alarmOf(w.page);
    expect(after.tones).toBe(4);
    expect(after.notifications).toEqual([{ title: '红色报警 · 甲化工有限公司', body: '报警 · GT-102' }]);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('does not ring before it is turned on', async () => {
    const w = await openPage(browser);
    await w.page.addInitScript(SPY);
    await signIn(w.page, base, 'duty-k1', PASSWORD);
    await w.page.waitForSelector('[data-testid=stream-state].ok');
    await newRedAlarm('A-RED-2', 'GT-103');
    await w.page.waitForSelector('[data-testid="alert-A-RED-2"]');
    expect(await alarmOf(w.page)).toEqual({ notifications: [], tones: 0 });
    expect(await w.page.locator('[data-testid=red-banner].ringing').count()).toBe(0);
    await w.context.close();
  });

  it.each(LANGUAGES_AND_SIZES)('reads in %s (phone: %s), nothing untranslated, nothing serious for axe', async (lang, phone) => {
    const w = await openPage(browser, { phone, lang });
    await signIn(w.page, base, 'duty-k1', PASSWORD);
    await w.page.waitForSelector('[data-testid="alert-A-ORANGE"] [data-testid=escalation-due]');
    const known = ['甲化工有限公司', '甲县值班员', 'GT-101', 'GT-102', 'GT-103', 'TT-201', 'E1', 'gas.combustible', 'common.frozen'];
    expect(untranslated(`alerts ${lang}`, await screenTexts(w.page), lang, known)).toEqual([]);
    if (lang === 'en') expect(await w.page.textContent('[data-testid="alert-A-ORANGE"] [data-testid=escalation-due]')).toMatch(/^escalates in /);
    expect(await accessibilityViolations(w.page)).toEqual([]);
    await w.page.click('[data-testid="alert-A-ORANGE"] .alert-main');
    await w.page.waitForSelector('section.detail [data-testid=escalation-due]');
    expect(untranslated(`detail ${lang}`, await screenTexts(w.page), lang, known)).toEqual([]);
    expect(await accessibilityViolations(w.page)).toEqual([]);
    await w.context.close();
  });
});
