/**
 * Real Chromium for console tests (Debian's, never a downloaded one), driven
 * by playwright-core. Every page's console errors and uncaught exceptions are
 * collected so a test can assert there were none.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and page errors seen so far. */
  errors: string[];
}

/** Every language of the console at desktop and phone (390×844) sizes: `[lang, phone]`, as each screen is read (issue #20). */
export const LANGUAGES_AND_SIZES = [
  ['zh', false],
  ['en', false],
  ['zh', true],
  ['en', true],
] as const;

/**
 * A new page in a context of its own: desktop (1280×800) or phone (390×844, touch); `lang`: the console's language
 * chosen before it loads (as a user's choice is kept); `serviceWorkers: 'block'`: the console's worker is not
 * registered (so `page.route` sees every request).
 */
export async function openPage(
  browser: Browser,
  opts: { phone?: boolean; locale?: string; lang?: 'zh' | 'en'; serviceWorkers?: 'allow' | 'block' } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    ...(opts.phone
      ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
      : { viewport: { width: 1280, height: 800 } }),
    locale: opts.locale ?? 'zh-CN',
    serviceWorkers: opts.serviceWorkers ?? 'allow',
  });
  const page = await context.newPage();
  if (opts.lang) await page.addInitScript((l) => localStorage.setItem('nss.lang', l), opts.lang);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return { page, context, errors };
}

/** Where screenshots go: NSS_SCREENSHOTS_DIR (docs/screenshots via `npm run screenshots`), else nowhere. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.NSS_SCREENSHOTS_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

export async function signIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(base);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('form.login button[type=submit]');
  await page.waitForSelector('header.top');
}

export interface A11yViolation {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

let axeSource: string | undefined;

/**
 * axe-core's serious and critical violations on the page as it is now
 * (injected through the DevTools protocol, so the console's CSP stays on).
 */
export async function accessibilityViolations(page: Page): Promise<A11yViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const all = await page.evaluate<A11yViolation[]>(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })))`,
  );
  return all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
