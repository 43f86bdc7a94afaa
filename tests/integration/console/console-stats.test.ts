/**
 * The leaders' statistics screen (issue #20 §10) in real Chromium, in Chinese and in English, at desktop and phone
 * (390×844) sizes: a city leader picks April 2026 with the date inputs, sees each headline figure beside April 2025
 * and the change (同比), the inspections and cases by origin by name, the counties and enterprises by name; a reversed
 * period is refused in the screen's language; the quick picks set the dates; the XLSX link answers the workbook of
 * the period in the screen's language. Nothing shows untranslated and axe-core finds no serious or critical
 * violation. Alarms, tasks, inspections and gateway events are seeded a year apart directly in the ledger.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from '../../../alerts/store.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { createCityAndCounties } from '../../../testkit/fixtures.ts';
import { accessibilityViolations, launchBrowser, openPage, screenshot, signIn } from '../../../testkit/browser.ts';
import { screenTexts, untranslated } from '../../../testkit/language.ts';
import { AlertDriver } from '../../../testkit/notify.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';
import { insertInspection, insertTask } from '../../../testkit/ledger-rows.ts';

const H = 3_600_000;
/** A CST day's midnight (plus hours), as epoch ms. */
const cst = (y: number, m: number, d: number, hour = 0) => Date.UTC(y, m - 1, d, hour) - 8 * H;

let svc: TestServices;
let platform: Platform;
let browser: Browser;
let base: string;
const PASSWORD = 'stats-leader-password';
const KNOWN = ['示例市应急管理局', '甲县应急管理局', '乙县应急管理局', '甲化工', '乙化工', '王局长', 'leader', 'C', 'K1', 'K2', 'E1', 'E2'];

const task = (enterpriseId: string, authorityId: string, origin: string, at: number, state: string, results: string[]) =>
  insertTask(platform.db, { enterpriseId, authorityId, origin, at, state, results });
const inspection = (enterpriseId: string, authorityId: string, origin: string, at: number) =>
  insertInspection(platform.db, { enterpriseId, authorityId, origin, at });

beforeAll(async () => {
  svc = await startTestServices('console-stats');
  ({ platform } = await startTestPlatform(svc, 'console-stats', { parts: ['api'] }));
  base = `http://127.0.0.1:${platform.httpPort}`;
  const admin = new AdminClient(base, platform.adminToken);
  await createCityAndCounties(admin);
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '甲化工', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E2', name: '乙化工', sector: 'hazardous_chemicals', authorityId: 'K2' });
  await admin.ok('POST', '/api/v1/gateways', { id: 'G1', enterpriseId: 'E1' });
  await admin.ok('POST', '/api/v1/officers', { id: 'leader', name: '王局长', authorityId: 'C', role: 'leader', password: PASSWORD });

  const db = platform.db;
  // G1 since 2025: offline for the second half of April 2025 (50 % online that month), online all of April 2026
  await db.query('UPDATE gateways SET created_at = $1', [new Date(cst(2025, 1, 1))]);
  const ev = (state: string, at: number) =>
    db.query('INSERT INTO gateway_events (gateway_id, state, reason, at) VALUES ($1, $2, $3, $4)', ['G1', state, 'test', new Date(at)]);
  await ev('online', cst(2025, 1, 1));
  await ev('offline', cst(2025, 4, 16));
  await ev('online', cst(2025, 5, 1));

  const alerts = new AlertDriver(new AlertStore(db));
  // April 2026: four alarms, three disposed; April 2025: two, one disposed
  for (const [i, e, disposed] of [
    [1, 'E1', true],
    [2, 'E1', true],
    [3, 'E2', true],
    [4, 'E2', false],
  ] as const) {
    const id = await alerts.fire(`GT-A${i}`, { enterpriseId: e, at: cst(2026, 4, 2 + i, 9) });
    if (disposed) await alerts.dispose(id, cst(2026, 4, 2 + i, 10));
  }
  const a = await alerts.fire('GT-B1', { enterpriseId: 'E1', at: cst(2025, 4, 10, 9) });
  await alerts.dispose(a, cst(2025, 4, 10, 10));
  await alerts.fire('GT-B2', { enterpriseId: 'E2', at: cst(2025, 4, 20, 9) });

  await task('E1', 'K1', 'data_monitoring', cst(2026, 4, 5), 'closed', ['hazard', 'major_hazard', 'ok']);
  await task('E1', 'K1', 'complaint', cst(2026, 4, 7), 'assigned', []);
  await task('E2', 'K2', 'data_monitoring', cst(2025, 4, 5), 'closed', ['hazard']);
  await inspection('E1', 'K1', 'data_monitoring', cst(2026, 4, 8));
  await inspection('E2', 'K2', 'data_monitoring', cst(2026, 4, 9));
  await inspection('E1', 'K1', 'random', cst(2026, 4, 30, 23));
  await inspection('E2', 'K2', 'random', cst(2025, 4, 8));
  await inspection('E2', 'K2', 'random', cst(2025, 4, 9));
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
});

/** The texts of a headline figure: its value, the value a year earlier and the change. */
async function figure(page: Page, id: string): Promise<string[]> {
  const kpi = page.locator(`[data-testid=kpi-${id}]`);
  return [
    (await kpi.locator('strong').textContent()) ?? '',
    (await kpi.locator('[data-testid=yoy-before]').textContent()) ?? '',
    (await kpi.locator('[data-testid=yoy-change]').textContent()) ?? '',
  ];
}
const cells = (page: Page, row: string) => page.locator(`[data-testid=${row}] > *`).allTextContents();

const WORDS = {
  zh: {
    title: '示例市应急管理局 · 2026-04-01 至 2026-04-30（北京时间）',
    legend: '同比：与去年同期 2025-04-01 至 2025-04-30 相比',
    before: '去年同期',
    yoy: '同比',
    dataMonitoring: '数据监测监控发现',
    random: '双随机抽查',
    complaint: '投诉举报',
    total: '合计',
    reversed: '开始日期 2026-04-30 晚于结束日期 2026-04-01',
    file: '统计报表-示例市应急管理局-2026-04-01至2026-04-30.xlsx',
  },
  en: {
    title: '示例市应急管理局 · 2026-04-01 to 2026-04-30 (China Standard Time)',
    legend: 'Year-on-year: against the same period a year earlier, 2025-04-01 to 2025-04-30',
    before: 'A year earlier',
    yoy: 'Year-on-year',
    dataMonitoring: 'found by data monitoring',
    random: 'random sampling',
    complaint: 'complaint or report',
    total: 'Total',
    reversed: 'the start date 2026-04-30 is after the end date 2026-04-01',
    file: 'statistics-示例市应急管理局-2026-04-01-2026-04-30.xlsx',
  },
} as const;

describe('the leaders’ statistics screen', () => {
  it.each([
    ['zh', false],
    ['zh', true],
    ['en', false],
    ['en', true],
  ] as const)('shows a custom period beside a year earlier, by origin, in %s (phone: %s)', async (lang, phone) => {
    const w = WORDS[lang];
    const { page, context, errors } = await openPage(browser, { phone, lang });
    await signIn(page, base, 'leader', PASSWORD);
    await page.evaluate(() => (location.hash = '/stats'));
    await page.waitForSelector('[data-testid=stats-title]');
    // the default: the last 30 days, its quick pick pressed
    expect(await page.getAttribute('[data-testid=pick-last30]', 'aria-pressed')).toBe('true');

    // a reversed period is refused in the screen's language
    await page.fill('[data-testid=stats-to]', '2026-04-01');
    await page.fill('[data-testid=stats-from]', '2026-04-30');
    await expect.poll(() => page.textContent('[data-testid=stats-error]')).toContain(w.reversed);
    await page.fill('[data-testid=stats-from]', '2026-04-01');
    await page.fill('[data-testid=stats-to]', '2026-04-30');
    await page.waitForSelector(`[data-testid=stats-title]:has-text("${w.title}")`);
    expect(await page.locator('[data-testid=stats-error]').count()).toBe(0);
    expect(await page.textContent('[data-testid=stats-yoy-legend]')).toContain(w.legend);

    expect(await figure(page, 'alerts')).toEqual(['4', `${w.before} 2`, `${w.yoy} ↑ 100.0%`]);
    expect(await figure(page, 'disposal')).toEqual(['75.0%', `${w.before} 50.0%`, `${w.yoy} ↑ 50.0%`]);
    expect(await figure(page, 'tasks')).toEqual(['2 / 1', `${w.before} 1 / 1`, `${w.yoy} ↑ 100.0% / 0.0%`]);
    expect(await figure(page, 'findings')).toEqual(['2 / 1', `${w.before} 1 / 0`, `${w.yoy} ↑ 100.0% / —`]);
    expect(await figure(page, 'recheck')).toEqual(['—', `${w.before} —`, `${w.yoy} —`]);
    expect(await figure(page, 'online')).toEqual(['100.0%', `${w.before} 50.0%`, `${w.yoy} ↑ 100.0%`]);
    expect(await page.getAttribute('[data-testid=kpi-alerts] .yoy', 'title')).toContain(
      lang === 'zh' ? '（本期 − 去年同期）÷ 去年同期' : '(this period − a year earlier) ÷ a year earlier',
    );

    // by origin, by name (the vocabulary's), with the inspections a year earlier
    await expect.poll(() => cells(page, 'origin-data_monitoring')).toEqual([w.dataMonitoring, '2', '1', '2', '1', '0', '—']);
    expect(await cells(page, 'origin-random')).toEqual([w.random, '1', '0', '0', '0', '2', '↓ 50.0%']);
    expect(await cells(page, 'origin-complaint')).toEqual([w.complaint, '0', '1', '0', '0', '0', '—']);
    expect(await cells(page, 'origin-total')).toEqual([w.total, '3', '2', '2', '1', '2', '↑ 50.0%']);
    expect(await page.locator('[data-testid=origin-chart] canvas').count()).toBe(1);
    // counties and enterprises by name
    const counties = await page.locator('[data-testid=stats-authorities] tbody tr').allTextContents();
    expect(counties.map((r) => r.slice(0, 8))).toEqual(['1甲县应急管理局', '2乙县应急管理局']);
    expect(await page.locator('[data-testid=ranking] tbody tr:first-child td').allTextContents()).toEqual([
      '1',
      '甲化工',
      '甲县应急管理局',
      '2',
      '100.0%',
      '100.0%',
      '0',
    ]);

    const text = (await page.textContent('[data-testid=stats]')) ?? '';
    expect(text).not.toMatch(/undefined|null|NaN|annual_plan|data_monitoring/);
    expect(untranslated(`stats ${lang}${phone ? ' phone' : ''}`, await screenTexts(page), lang, KNOWN)).toEqual([]);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, `leader-stats-${lang}${phone ? '-phone' : ''}`);

    // the export: the period's workbook in the screen's language, with the session cookie
    const href = (await page.getAttribute('[data-testid=stats-xlsx]', 'href'))!;
    expect(href).toBe(`/api/v1/stats?fromDate=2026-04-01&toDate=2026-04-30&format=xlsx&lang=${lang}`);
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
    expect(got.disposition).toContain(`filename*=UTF-8''${encodeURIComponent(w.file)}`);
    expect(got.size).toBeGreaterThan(1000);

    // a quick pick sets the dates: last month (China Standard Time)
    await page.click('[data-testid=pick-lastMonth]');
    const now = new Date(Date.now() + 8 * H);
    const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
    const first = `${last.toISOString().slice(0, 7)}-01`;
    expect([await page.inputValue('[data-testid=stats-from]'), await page.inputValue('[data-testid=stats-to]')]).toEqual([
      first,
      last.toISOString().slice(0, 10),
    ]);
    await page.waitForSelector(`[data-testid=stats-title]:has-text("${first}")`);
    expect(await page.getAttribute('[data-testid=pick-lastMonth]', 'aria-pressed')).toBe('true');

    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    await context.close();
  });
});
