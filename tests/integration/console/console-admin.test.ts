/**
 * The console's admin screens in real Chromium: the admin signs in with the
 * admin token, creates an admin user with a password; that user creates an
 * officer, provisions a gateway (its secret shown once), rotates the secret,
 * revokes the gateway (the broker then refuses it) and restores it, and
 * registers an alarm limit, sets an enterprise's credit code, coordinates
 * and safety manager; every change is on the audit trail under the
 * user who made it. An officer sees no admin screen.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../../core/audit.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { accessibilityViolations, launchBrowser, openPage, screenshot, signIn, type WatchedPage } from '../../../testkit/browser.ts';
import { connect } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let browser: Browser;
let base: string;
let page: WatchedPage;
const PASSWORD = 'admin-user-password';

beforeAll(async () => {
  svc = await startTestServices('console-admin');
  ({ platform } = await startTestPlatform(svc, 'console-admin', { parts: ['gateway', 'api'] }));
  base = `http://127.0.0.1:${platform.httpPort}`;
  const admin = new AdminClient(base, platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'city', name: '示例市应急管理局', level: 'city' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '甲化工', sector: 'hazardous_chemicals', authorityId: 'city' });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
});

const note = () => page.page.textContent('[data-testid=admin-note]');

describe('admin screens', () => {
  it('lets the admin (by token) create an admin user', async () => {
    page = await openPage(browser);
    await signIn(page.page, base, 'admin', platform.adminToken);
    await page.page.waitForSelector('[data-testid=admin]');
    await page.page.fill('input[name=id]', 'chief');
    await page.page.fill('input[name=name]', '平台管理员');
    await page.page.selectOption('select[name=role]', 'admin');
    await page.page.selectOption('select[name=authorityId]', { label: '示例市应急管理局' });
    await page.page.fill('input[name=password]', PASSWORD);
    await page.page.click('[data-testid=create-officer]');
    await page.page.waitForSelector('td:has-text("chief")');
    await page.page.click('header.top button.link:last-child');
    await page.page.waitForSelector('form.login');
  });

  it('lets the admin user create an officer, provision, rotate, revoke and restore a gateway, and register a limit', async () => {
    await signIn(page.page, base, 'chief', PASSWORD);
    await page.page.waitForSelector('[data-testid=admin]');
    await page.page.fill('input[name=id]', 'duty-1');
    await page.page.fill('input[name=name]', '值班员');
    await page.page.selectOption('select[name=authorityId]', 'city');
    await page.page.fill('input[name=password]', 'duty-password-1');
    await page.page.click('[data-testid=create-officer]');
    await page.page.waitForSelector('td:has-text("duty-1")');
    await screenshot(page.page, 'admin-users');
    expect(await accessibilityViolations(page.page)).toEqual([]);
    // lifting an officer's sign-in locks (#15 item 7): through the platform's Redis, on the audit trail
    await page.page.click('[data-testid=unlock-duty-1]');
    await page.page.waitForSelector('[data-testid=admin-note].ok');
    const { rows } = await platform.db.query<{ actor: string }>("SELECT actor FROM audit_log WHERE action = 'officer.unlocked' AND subject_id = 'duty-1'");
    expect(rows).toEqual([{ actor: 'user:chief' }]);

    await page.page.click('[data-testid=tab-gateways]');
    await page.page.selectOption('[data-testid=pick-enterprise]', 'E1');
    await page.page.fill('input[name=id]', 'G1');
    await page.page.click('[data-testid=provision]');
    await page.page.waitForSelector('code.secret');
    const secret = (await page.page.textContent('code.secret'))!.trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ok = await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: secret });
    ok.end(true);

    await page.page.click('[data-testid=gateway-G1] button:first-child'); // rotate
    await page.page.locator('code.secret', { hasNotText: secret }).waitFor();
    const rotated = (await page.page.textContent('code.secret'))!.trim();
    await expect(connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: secret, reconnectPeriod: 0 })).rejects.toThrow();
    await page.page.click('[data-testid=toggle-G1]');
    await page.page.click('[data-testid=toggle-G1-confirm] [data-testid=confirm-yes]');
    await page.page.waitForSelector('[data-testid=toggle-G1]:has-text("恢复")');
    await expect(connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: rotated, reconnectPeriod: 0 })).rejects.toThrow();
    await page.page.click('[data-testid=toggle-G1]');
    await page.page.waitForSelector('[data-testid=toggle-G1]:has-text("停用")');
    (await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: rotated })).end(true);
    await screenshot(page.page, 'admin-gateways');
    expect(await accessibilityViolations(page.page)).toEqual([]);

    await page.page.click('[data-testid=tab-overrides]');
    await page.page.selectOption('[data-testid=pick-enterprise]', 'E1');
    await page.page.click('form.grid-form button[type=submit]');
    await page.page.waitForSelector('[data-testid=overrides] tr[data-rule="gas.combustible"]');
    expect(await note()).toBe('已保存');
  });

  it('lets the admin user load and set an enterprise’s credit code, coordinates and safety manager, refusing a wrong check character, shown on its file', async () => {
    await page.page.click('[data-testid=tab-enterprises]');
    const form = '[data-testid=identity-form]';
    await page.page.fill(`${form} input[name=id]`, 'E1');
    expect(await page.page.isDisabled('[data-testid=save-identity]')).toBe(true);
    await page.page.click('[data-testid=load-identity]');
    await page.page.waitForSelector('[data-testid=admin-note]:has-text("甲化工")');
    await page.page.fill(`${form} input[name=creditCode]`, '91350100M000100Y4Z');
    await page.page.fill(`${form} input[name=longitude]`, '119.3');
    await page.page.fill(`${form} input[name=latitude]`, '26.08');
    await page.page.fill(`${form} input[name=safetyManagerName]`, '林安全');
    await page.page.fill(`${form} input[name=safetyManagerPhone]`, '138 0013 8000');
    await page.page.click('[data-testid=save-identity]');
    await page.page.waitForSelector('[data-testid=admin-note].error:has-text("应为“3”")');
    await page.page.fill(`${form} input[name=creditCode]`, '91350100m000100y43');
    await page.page.click('[data-testid=save-identity]');
    await page.page.waitForSelector('[data-testid=admin-note].ok');
    // the form shows what was stored, normalised
    expect(await page.page.inputValue(`${form} input[name=creditCode]`)).toBe('91350100M000100Y43');
    expect(await page.page.inputValue(`${form} input[name=safetyManagerPhone]`)).toBe('13800138000');
    expect((await platform.db.query("SELECT credit_code, longitude, latitude, safety_manager_phone FROM enterprises WHERE id = 'E1'")).rows).toEqual([
      { credit_code: '91350100M000100Y43', longitude: 119.3, latitude: 26.08, safety_manager_phone: '13800138000' },
    ]);
    await screenshot(page.page, 'admin-enterprise-identity');
    expect(await accessibilityViolations(page.page)).toEqual([]);
    await page.page.goto(`${base}/#/enterprises/E1`);
    await page.page.waitForSelector('[data-testid=credit-code]:has-text("91350100M000100Y43")');
    expect(await page.page.textContent('[data-testid=enterprise-file]')).toContain('林安全 · 13800138000');
    await page.page.goto(`${base}/#/admin`);
    await page.page.waitForSelector('[data-testid=admin]');
  });

  it('imports a bureau’s list — all of it, or none with every problem shown — and verifies the audit chain', async () => {
    await page.page.click('[data-testid=tab-import]');
    await page.page.fill('[data-testid=import-csv]', '企业编号,企业名称,行业,执法主体,标准化等级\nE-A,乙化工,危险化学品,city,二级\nE-B,丙厂,造纸,city,一级\n');
    await page.page.click('[data-testid=import]');
    await page.page.waitForSelector('[data-testid=import-problems]');
    expect(await page.page.textContent('[data-testid=import-problems]')).toContain('造纸');
    expect((await platform.db.query("SELECT id FROM enterprises WHERE id IN ('E-A', 'E-B')")).rows).toEqual([]);
    await page.page.fill('[data-testid=import-csv]', '企业编号,企业名称,行业,执法主体,标准化等级\nE-A,乙化工,危险化学品,city,二级\nE-B,丙厂,其他,city,一级\n');
    await page.page.click('[data-testid=import]');
    await page.page.waitForSelector('[data-testid=admin-note]:has-text("+2")');
    expect(
      (
        await platform.db.query<{ id: string; standardization_grade: string }>(
          "SELECT id, standardization_grade FROM enterprises WHERE id IN ('E-A', 'E-B') ORDER BY id",
        )
      ).rows,
    ).toEqual([
      { id: 'E-A', standardization_grade: '2' },
      { id: 'E-B', standardization_grade: '1' },
    ]);

    await page.page.click('[data-testid=tab-audit]');
    await page.page.click('[data-testid=verify]');
    await page.page.waitForSelector('[data-testid=admin-note]:has-text("审计链完整")');
    expect(await page.page.textContent('[data-testid=audit-records]')).toContain('导入企业名单');
    expect(await accessibilityViolations(page.page)).toEqual([]);
  });

  it('puts every change on the audit trail under the user who made it', async () => {
    const records = await new AuditTrail(platform.db).list({ limit: 1000 });
    const byAction = (a: string) => records.filter((r) => r.action === a).map((r) => r.actor);
    expect(byAction('officer.created')).toEqual(['user:admin', 'user:chief']);
    expect(byAction('gateway.created')).toEqual(['user:chief']);
    expect(byAction('gateway.secret_rotated')).toEqual(['user:chief']);
    expect(byAction('gateway.disabled')).toEqual(['user:chief']);
    expect(byAction('gateway.enabled')).toEqual(['user:chief']);
    expect(byAction('enterprise.identity_updated')).toEqual(['user:chief']);
    expect(records.filter((r) => r.action.startsWith('rule_override')).map((r) => r.actor)).toEqual(['user:chief']);
    expect(await new AuditTrail(platform.db).verify()).toMatchObject({ ok: true });
    // the only errors: the browser's reports of the refused (400) identity change and import
    expect(page.errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });

  it('shows an officer no admin screen, and the API refuses them', async () => {
    const officer = await openPage(browser);
    await signIn(officer.page, base, 'duty-1', 'duty-password-1');
    await officer.page.waitForSelector('[data-testid=stream-state]');
    expect(await officer.page.$('header.top nav a[href="#/admin"]')).toBeNull();
    const status = await officer.page.evaluate(async () => (await fetch('/api/v1/officers')).status);
    expect(status).toBe(403);
  });
});
