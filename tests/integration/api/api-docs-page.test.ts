/**
 * The API docs page (`/api/docs`, Swagger UI) in real Chromium: it renders
 * every operation of the generated description under its same-origin
 * Content-Security-Policy — no violation, no script error — and asks
 * nothing of any other host (bureaus run on intranets).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { buildApi } from '../../../api/server.ts';
import type { Db } from '../../../core/db/db.ts';
import { launchBrowser, openPage, screenshot } from '../../../testkit/browser.ts';
import { buildTestApi } from '../../../testkit/test-api.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

let db: Db;
let app: ReturnType<typeof buildApi>;
let browser: Browser;
let base: string;

beforeAll(async () => {
  ({ app, db } = await buildTestApi(TEST_ADMIN_TOKEN));
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await db?.close();
});

describe('the API docs page', () => {
  it('shows every operation, within its CSP, from this server only', async () => {
    const { page, context, errors } = await openPage(browser);
    const elsewhere: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) elsewhere.push(r.url());
    });
    await page.goto(`${base}/api/docs`);
    await page.waitForSelector('.opblock-summary');
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(await page.locator('.opblock').count()).toBe(operations);
    await expect.poll(() => page.getByText('Record findings for every checklist item').count()).toBeGreaterThan(0);
    await screenshot(page, 'api-docs');
    expect(errors).toEqual([]);
    expect(elsewhere).toEqual([]);
    await context.close();
  });
});
