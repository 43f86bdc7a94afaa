/**
 * The console's monthly report (月报, issue #17 item 6) in real Chromium, in Chinese: a city leader opens 统计 →
 * 月报, sees last month by default with its XLSX link, picks the current month (reported up to now), and finds
 * the enterprises ranked worst first (a gateway never seen: 0.0 % online; an enterprise without a gateway: —),
 * the counties below ranked, the composite weights labelled as the platform default, and downloads the workbook
 * with the session cookie.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { createCityAndCounties } from '../../../testkit/fixtures.ts';
import { accessibilityViolations, launchBrowser, openPage, screenshot, signIn } from '../../../testkit/browser.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let browser: Browser;
let base: string;
const PASSWORD = 'monthly-leader-password';
/** `YYYY-MM` of a time in China Standard Time. */
const cstMonthOf = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 7);
/** The month before the current one (CST), the screen's default. */
const lastMonth = (): string => {
  const d = new Date(Date.now() + 8 * 3_600_000);
  return cstMonthOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - 8 * 3_600_000 - 1);
};

beforeAll(async () => {
  svc = await startTestServices('console-monthly');
  ({ platform } = await startTestPlatform(svc, 'console-monthly', { parts: ['api'] }));
  base = `http://127.0.0.1:${platform.httpPort}`;
  const admin = new AdminClient(base, platform.adminToken);
  await createCityAndCounties(admin);
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '甲化工', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E2', name: '乙化工', sector: 'hazardous_chemicals', authorityId: 'K2' });
  await admin.ok('POST', '/api/v1/gateways', { id: 'G1', enterpriseId: 'E1' });
  await admin.ok('POST', '/api/v1/officers', { id: 'leader', name: '王局长', authorityId: 'C', role: 'leader', password: PASSWORD });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
});

describe('the monthly report screen', () => {
  it('shows a month’s KPIs and rankings in Chinese, with the XLSX download', async () => {
    const { page } = await openPage(browser);
    await signIn(page, base, 'leader', PASSWORD);
    await page.click('[data-testid=tab-monthly]');
    const previous = lastMonth();
    await page.waitForSelector(`[data-testid=monthly-title]:has-text("${previous}")`);
    expect(await page.getAttribute('[data-testid=monthly-xlsx]', 'href')).toBe(`/api/v1/reports/monthly?month=${previous}&format=xlsx`);

    const current = cstMonthOf(Date.now());
    await page.fill('[data-testid=month]', current);
    await page.waitForSelector('[data-testid=monthly-title]:has-text("本月尚未结束")');
    await page.waitForSelector('[data-testid=kpi-enterprise-E1]');
    const cells = (row: number) => page.locator(`[data-testid=kpi-enterprises] tbody tr:nth-child(${row}) td`).allTextContents();
    // E1's gateway has never been seen: 0 % online, score 0, the worst; E2 has no gateway and no points: nothing to score
    // (its offline time is the time since it was registered, as people say it: seconds, or minutes and seconds)
    const offline: unknown = expect.stringMatching(/^(\d+ 分 )?\d+ 秒 · 0 次$|^\d+ 分 · 0 次$/);
    // no alarm handed to either and no self-inspection report due: no response rate (the column before the worst points)
    expect(await cells(1)).toEqual(['1', '甲化工 E1', '0', '0.0 %', offline, '—', '0', '—', '—', '—', '—']);
    expect(await cells(2)).toEqual(['2', '乙化工 E2', '—', '—', '0 秒 · 0 次', '—', '0', '—', '—', '—', '—']);
    const counties = await page.locator('[data-testid=kpi-authorities] tbody tr').allTextContents();
    expect(counties.map((r) => r.slice(0, 8))).toEqual(['1甲县应急管理局', '2乙县应急管理局']);
    expect(await page.textContent('[data-testid=weights]')).toContain(
      '在线率 32% · 数据完整率 32% · 处置率 16% · 企业响应率 20% — 权重为平台默认值，由监管部门设定',
    );
    expect(await page.textContent('[data-testid=monthly-tier]')).toContain('交办企业报警0');
    const text = (await page.textContent('[data-testid=monthly]')) ?? '';
    expect(text).not.toMatch(/undefined|null|NaN/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'monthly-report');

    // the download link answers the workbook to the signed-in session
    const href = (await page.getAttribute('[data-testid=monthly-xlsx]', 'href'))!;
    const got = await page.evaluate(async (url) => {
      const r = await fetch(url, { credentials: 'same-origin' });
      return {
        status: r.status,
        type: r.headers.get('content-type'),
        disposition: r.headers.get('content-disposition'),
        size: (await r.arrayBuffer()).byteLength,
      };
    }, href);
    expect(got).toMatchObject({ status: 200, type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
    expect(got.disposition).toContain(`filename*=UTF-8''${encodeURIComponent(`月报-示例市应急管理局-${current}.xlsx`)}`);
    expect(got.size).toBeGreaterThan(1000);
  });
});
