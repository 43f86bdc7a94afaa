/**
 * The live feed reconnects by itself and catches up (issue #5 §2): with a
 * duty officer's console open, the platform goes down; an alert is raised
 * while it is down (written straight to its database); the platform comes
 * back on the same address; the browser's event stream reconnects with the
 * last event it saw and the missed alert appears — no reload, the session
 * still valid.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from '../../../alerts/store.ts';
import { openDb } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { launchBrowser, openPage, signIn, type WatchedPage } from '../../../testkit/browser.ts';
import { AlertDriver } from '../../../testkit/notify.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const ADMIN = TEST_ADMIN_TOKEN;
let svc: TestServices;
let platform: Platform;
let browser: Browser;
/** The API's port: 0 (a free one) at the first start, the same one after a restart, for the browser to reconnect to. */
let port = 0;
let officer: WatchedPage;

const start = async () => {
  ({ platform } = await startTestPlatform(svc, 'reconnect', { parts: ['api'], http: { host: '127.0.0.1', port, adminToken: ADMIN } }));
  port = platform.httpPort;
};

beforeAll(async () => {
  svc = await startTestServices('reconnect');
  await start();
  const admin = new AdminClient(`http://127.0.0.1:${port}`, ADMIN);
  await admin.ok('POST', '/api/v1/authorities', { id: 'city', name: '示例市应急管理局', level: 'city' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '甲化工', sector: 'hazardous_chemicals', authorityId: 'city' });
  await admin.ok('POST', '/api/v1/officers', { id: 'duty-1', name: '值班员', authorityId: 'city', password: 'duty-password-1' });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
});

describe('the live feed across an outage', () => {
  it('reconnects by itself and shows the alert raised while it was down', async () => {
    officer = await openPage(browser);
    await signIn(officer.page, `http://127.0.0.1:${port}`, 'duty-1', 'duty-password-1');
    await officer.page.waitForSelector('[data-testid=stream-state].ok');
    expect(await officer.page.$$('li.alert')).toEqual([]);

    await platform.stop();
    await officer.page.waitForSelector('[data-testid=stream-state]:not(.ok)');
    expect(await officer.page.textContent('[data-testid=stream-state]')).toContain('正在重新连接');

    // an alert raised while the API is down
    const db = await openDb({ pgliteDir: join(svc.dir, 'platform-reconnect', 'pglite'), logger: createLogger({ level: 'silent' }) });
    const alertId = await new AlertDriver(new AlertStore(db)).fire('GT-7', { enterpriseId: 'E1' });
    await db.close();

    await start();
    await officer.page.waitForSelector(`[data-testid="alert-${alertId}"][data-grade=red]`, { timeout: 30_000 });
    await officer.page.waitForSelector('[data-testid=stream-state].ok');
    // the only errors: the browser's reports of the refused connections while the platform was down
    expect(officer.errors.filter((e) => !/ERR_CONNECTION_REFUSED|net::ERR_/.test(e))).toEqual([]);
  });
});
