/**
 * An alarm list an officer can work (issue #20 §3), in real Chromium: more undisposed red alarms than a page of the
 * API (500) are all loaded and counted — paging never drops one —; the filters (grade, state, enterprise,
 * authority, rule family, search), the grouping by enterprise and the counts per grade; resolved non-red alarms
 * disposed together with one reason (a red one never); in both languages at desktop and phone sizes, nothing
 * untranslated and nothing serious for axe.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transition, type Alert } from '../../../alerts/state/index.ts';
import { AlertStore } from '../../../alerts/store.ts';
import type { Platform } from '../../../platform/platform.ts';
import { storeFiredAlert } from '../../../testkit/alerts.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { createCityAndCounties } from '../../../testkit/fixtures.ts';
import { accessibilityViolations, launchBrowser, LANGUAGES_AND_SIZES, openPage, signIn } from '../../../testkit/browser.ts';
import { screenTexts, untranslated } from '../../../testkit/language.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const PASSWORD = 'duty-officer-pass';
const REDS = 520;
let svc: TestServices;
let platform: Platform;
let browser: Browser;
let base: string;

/** Clears a fired alarm (its condition gone): resolved, still to be disposed. */
async function resolve(a: Alert, at: number): Promise<void> {
  const store = new AlertStore(platform.db);
  const before = await store.current(a.fingerprint);
  const finding = {
    ruleId: a.ruleId,
    ruleVersion: 1,
    enterpriseId: a.enterpriseId,
    subject: a.subject,
    severity: a.severity,
    message: a.message,
    evidence: [],
  };
  await store.save(before, transition(before, { type: 'finding', finding: { ...finding, condition: 'clear', at } }, { forMs: 0, newId: () => a.id }));
}

beforeAll(async () => {
  svc = await startTestServices('alertlist');
  ({ platform } = await startTestPlatform(svc, 'alertlist', { notify: { escalation: {} } }));
  base = `http://127.0.0.1:${platform.httpPort}`;
  const admin = new AdminClient(base, platform.adminToken);
  await createCityAndCounties(admin, 'city');
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '甲化工有限公司', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E2', name: '乙制药有限公司', sector: 'hazardous_chemicals', authorityId: 'K2' });
  await admin.ok('POST', '/api/v1/officers', { id: 'duty-city', name: '市局值班员', authorityId: 'city', role: 'duty_officer', password: PASSWORD });
  const at = Date.now() - 30 * 60_000;
  for (let i = 0; i < REDS; i++)
    await storeFiredAlert(platform.db, { id: `R${i}`, enterpriseId: 'E1', ruleId: 'gas.combustible', severity: 'red', subject: `GT-${1000 + i}`, at: at + i });
  await storeFiredAlert(platform.db, { id: 'O1', enterpriseId: 'E2', ruleId: 'gas.combustible', severity: 'orange', subject: 'GT-201', at });
  for (const [id, subject] of [
    ['Y1', 'TT-201'],
    ['Y2', 'TT-202'],
  ] as const)
    await resolve(await storeFiredAlert(platform.db, { id, enterpriseId: 'E2', ruleId: 'common.frozen', severity: 'yellow', subject, at }), at + 60_000);
  await resolve(
    await storeFiredAlert(platform.db, { id: 'RR', enterpriseId: 'E2', ruleId: 'gas.combustible', severity: 'red', subject: 'GT-299', at }),
    at + 60_000,
  );
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
});

const rows = '[data-testid=alerts] li.alert';

describe('the alarm list', () => {
  it('loads every undisposed red alarm, past a page of the API, and counts them per grade', async () => {
    const w = await openPage(browser);
    await signIn(w.page, base, 'duty-city', PASSWORD);
    await w.page.waitForSelector(rows);
    expect(await w.page.textContent('[data-testid=red-banner]')).toBe(`红色报警未处置：${REDS + 1}`);
    expect(await w.page.locator('[data-testid=grade-counts] [data-grade]').allTextContents()).toEqual([`红色 ${REDS + 1}`, '橙色 1', '黄色 2', '蓝色 0']);
    await w.page.check('[data-testid=filter-grade-red]');
    await expect.poll(() => w.page.locator(rows).count()).toBe(REDS + 1);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  it('filters by authority, rule family, state and search; groups by enterprise', async () => {
    const w = await openPage(browser);
    await signIn(w.page, base, 'duty-city', PASSWORD);
    await w.page.waitForSelector(rows);
    await w.page.selectOption('[data-testid=filter-authority]', 'K2');
    await expect.poll(() => w.page.locator(rows).count()).toBe(4);
    await w.page.selectOption('[data-testid=filter-family]', 'common');
    await expect.poll(() => w.page.locator(rows).count()).toBe(2);
    await w.page.fill('[data-testid=filter-q]', 'TT-202');
    await expect.poll(() => w.page.locator(rows).count()).toBe(1);
    await w.page.click('[data-testid=filter-reset]');
    await w.page.selectOption('[data-testid=filter-enterprise]', 'E2');
    await w.page.check('[data-testid=filter-group]');
    expect(await w.page.textContent('[data-testid=group-E2]')).toContain('乙制药有限公司');
    await w.page.selectOption('[data-testid=filter-state]', 'firing');
    await expect.poll(() => w.page.locator(rows).count()).toBe(1);
    await w.context.close();
  });

  it('disposes resolved non-red alarms together with one reason; a red one is disposed alone', async () => {
    const w = await openPage(browser);
    await signIn(w.page, base, 'duty-city', PASSWORD);
    await w.page.waitForSelector(rows);
    await w.page.selectOption('[data-testid=filter-state]', 'resolved');
    await expect.poll(() => w.page.locator(rows).count()).toBe(3);
    expect(await w.page.locator('[data-testid="alert-RR"] [data-testid=choose]').count()).toBe(0);
    await w.page.check('[data-testid="alert-Y1"] [data-testid=choose]');
    await w.page.check('[data-testid="alert-Y2"] [data-testid=choose]');
    expect(await w.page.textContent('[data-testid=bulk-dispose] strong')).toBe('已选 2 条已恢复报警');
    expect(await w.page.isDisabled('[data-testid=bulk-confirm]')).toBe(true); // a reason is required
    await w.page.fill('[data-testid=bulk-reason]', '仪表标定期间数据冻结，已核实无异常');
    await w.page.click('[data-testid=bulk-confirm]');
    await w.page.waitForSelector('[data-testid=bulk-note]:has-text("已处置 2 条")');
    const { rows: stored } = await platform.db.query<{ id: string; state: string; data: { disposal: string } }>(
      "SELECT id, state, data FROM alerts WHERE id IN ('Y1', 'Y2', 'RR') ORDER BY id",
    );
    expect(stored.map((r) => [r.id, r.state, r.data.disposal ?? null])).toEqual([
      ['RR', 'resolved', null],
      ['Y1', 'disposed', '仪表标定期间数据冻结，已核实无异常'],
      ['Y2', 'disposed', '仪表标定期间数据冻结，已核实无异常'],
    ]);
    await expect.poll(() => w.page.locator(rows).count()).toBe(1);
    await w.context.close();
  });

  it.each(LANGUAGES_AND_SIZES)('reads in %s (phone: %s): nothing untranslated, nothing serious for axe', async (lang, phone) => {
    const w = await openPage(browser, { phone, lang });
    await signIn(w.page, base, 'duty-city', PASSWORD);
    await w.page.waitForSelector(rows);
    // a short list, grouped, for axe to read (on a phone the filters are folded first)
    if (phone) await w.page.click('[data-testid=filters-toggle]');
    await w.page.selectOption('[data-testid=filter-enterprise]', 'E2');
    await w.page.check('[data-testid=filter-group]');
    await w.page.waitForSelector('[data-testid=group-E2]');
    const known = [
      '甲化工有限公司',
      '乙制药有限公司',
      '示例市应急管理局',
      '甲县应急管理局',
      '乙县应急管理局',
      '市局值班员',
      'GT-201',
      'GT-299',
      'TT-201',
      'TT-202',
    ];
    expect(untranslated(`alerts ${lang}`, await screenTexts(w.page), lang, known)).toEqual([]);
    expect(await accessibilityViolations(w.page)).toEqual([]);
    await w.context.close();
  });
});
