/**
 * Shelving (搁置) in the console, in real Chromium: county K1's duty officer opens an orange alarm's
 * detail, shelves it for 2 h with a reason (the duration select offers 30 分钟 to 8 小时), sees
 * 已搁置至 HH:mm there and in the live list, and takes it off the shelf from the list (取消搁置).
 * A red alarm's detail offers no 搁置. No page logs an error.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../alerts/state/index.ts';
import type { Platform } from '../../../platform/platform.ts';
import { storeFiredAlert } from '../../../testkit/alerts.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { launchBrowser, openPage, signIn, type WatchedPage } from '../../../testkit/browser.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const PASSWORD = 'duty-officer-pass';
let svc: TestServices;
let platform: Platform;
let browser: Browser;
let officer: WatchedPage;
let base: string;
let orange: Alert;
let red: Alert;

beforeAll(async () => {
  svc = await startTestServices('consoleshelve');
  ({ platform } = await startTestPlatform(svc, 'consoleshelve', { notify: { escalation: {} } }));
  base = `http://127.0.0.1:${platform.httpPort}`;
  const admin = new AdminClient(base, platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'K1', name: '甲县应急管理局', level: 'county' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '企业 E1', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await admin.ok('POST', '/api/v1/officers', { id: 'duty-k1', name: '甲县值班员', authorityId: 'K1', role: 'duty_officer', password: PASSWORD });
  const at = Date.now() - 60_000;
  orange = await storeFiredAlert(platform.db, { id: 'A-ORANGE', enterpriseId: 'E1', ruleId: 'gas.combustible', severity: 'orange', subject: 'GT-101', at });
  red = await storeFiredAlert(platform.db, { id: 'A-RED', enterpriseId: 'E1', ruleId: 'gas.combustible', severity: 'red', subject: 'GT-102', at });
  browser = await launchBrowser();
  officer = await openPage(browser);
  await signIn(officer.page, base, 'duty-k1', PASSWORD);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
});

const cst = (ms: number) => new Date(ms).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false });

describe('搁置 in the console', () => {
  it('a red alarm offers no 搁置', async () => {
    await officer.page.goto(`${base}/#/alerts/${red.id}`);
    await officer.page.waitForSelector('dl.facts');
    expect(await officer.page.locator('[data-testid=shelve]').count()).toBe(0);
  });

  it('shelves an orange alarm from its detail for 2 h with a reason, marked 已搁置至 HH:mm', async () => {
    await officer.page.goto(`${base}/#/alerts/${orange.id}`);
    await officer.page.click('[data-testid=shelve]');
    const options = await officer.page.locator('[data-testid=shelve-minutes] option').allTextContents();
    expect(options).toEqual(['30 分钟', '1 小时', '2 小时', '4 小时', '8 小时']);
    expect(await officer.page.isDisabled('[data-testid=confirm-shelve]')).toBe(true); // no reason yet
    await officer.page.selectOption('[data-testid=shelve-minutes]', '120');
    await officer.page.fill('[data-testid=shelve-reason]', '仪表标定中，读数不可信');
    const before = Date.now();
    await officer.page.click('[data-testid=confirm-shelve]');
    const mark = await officer.page.waitForSelector('[data-testid=shelve-control] [data-testid=shelved-mark]');
    const stored = (await platform.db.query<{ data: Alert }>('SELECT data FROM alerts WHERE id = $1', [orange.id])).rows[0]!.data;
    expect(stored.shelvedUntil).toBeGreaterThanOrEqual(before + 120 * 60_000);
    expect(stored).toMatchObject({ shelvedBy: 'user:duty-k1', shelveReason: '仪表标定中，读数不可信' });
    expect(await mark.textContent()).toBe(`已搁置至 ${cst(stored.shelvedUntil!)}`);
  });

  it('the list marks it, and 取消搁置 there takes it off the shelf', async () => {
    await officer.page.goto(`${base}/#/alerts`);
    const row = `[data-testid="alert-${orange.id}"]`;
    await officer.page.waitForSelector(`${row} [data-testid=shelved-mark]:has-text("已搁置至")`);
    expect(await officer.page.locator(`[data-testid="alert-${red.id}"] [data-testid=shelved-mark]`).count()).toBe(0);
    await officer.page.click(`${row} [data-testid=unshelve]`);
    await officer.page.waitForSelector(`${row} [data-testid=shelved-mark]`, { state: 'detached' });
    const stored = (await platform.db.query<{ data: Alert }>('SELECT data FROM alerts WHERE id = $1', [orange.id])).rows[0]!.data;
    expect(stored.shelvedUntil).toBeUndefined();
    expect(officer.errors).toEqual([]);
  });
});
