/**
 * The admin screens for people (issue #20 §9) in real Chromium, in Chinese and English, on a desktop and a
 * 390×844 phone: selects by name (sector, authority, role, rule, point), table headers, the new gateway's secret
 * shown once in a box with a copy button and the instructions to connect it — whose mosquitto_pub lines, plain and
 * TLS, are run as shown and store their reading —, a confirm step in the page before disabling a user or a gateway
 * and deleting an alarm limit, and the audit trail filtered and paged. No admin tab shows untranslated text, and
 * axe-core finds no serious or critical violation on any.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDevCerts, type DevCerts } from '../../../platform/dev-certs.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { accessibilityViolations, launchBrowser, openPage, signIn, type WatchedPage } from '../../../testkit/browser.ts';
import { storedReadings } from '../../../testkit/fixtures.ts';
import { knownDataStrings, settledScreenTexts, untranslated } from '../../../testkit/language.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const run = promisify(execFile);

let svc: TestServices;
let platform: Platform;
let browser: Browser;
let base: string;
let admin: AdminClient;
let certs: DevCerts;

beforeAll(async () => {
  svc = await startTestServices('console-admin-people');
  certs = makeDevCerts(join(svc.dir, 'certs'), { gateways: [] });
  ({ platform } = await startTestPlatform(svc, 'console-admin-people', {
    parts: ['gateway', 'api'],
    mqtt: { host: '127.0.0.1', port: 0, tls: { port: 0, certFile: certs.serverCert, keyFile: certs.serverKey } },
  }));
  base = `http://127.0.0.1:${platform.httpPort}`;
  admin = new AdminClient(base, platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'city', name: '示例市应急管理局', level: 'city' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '甲化工', sector: 'hazardous_chemicals', authorityId: 'city' });
  await admin.ok('POST', '/api/v1/officers', { id: 'duty-1', name: '值班员甲', role: 'duty_officer', authorityId: 'city', password: 'duty-password-1' });
  // more records than a page of the audit screen (50): "load more" has something to load
  for (let i = 0; i < 55; i++) await admin.ok('POST', '/api/v1/officers/duty-1/unlock');
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
});

const TABS = ['users', 'enterprises', 'import', 'gateways', 'registry', 'overrides', 'stops', 'audit'] as const;

async function open(lang: 'zh' | 'en', phone: boolean): Promise<WatchedPage> {
  const w = await openPage(browser, { phone, locale: lang === 'zh' ? 'zh-CN' : 'en-US', lang });
  await signIn(w.page, base, 'admin', platform.adminToken);
  await w.page.waitForSelector('[data-testid=admin]');
  return w;
}

const pick = async (page: Page) => {
  const picker = page.locator('[data-testid=pick-enterprise]');
  if ((await picker.count()) > 0) await picker.selectOption('E1');
};

/** Runs a shown mosquitto_pub line as it is (TLS: `--cafile ca.pem` next to it). */
const runLine = (line: string) => run('sh', ['-c', line], { cwd: certs.dir, timeout: 20_000 });

describe.each([
  ['zh', false],
  ['en', false],
  ['zh', true],
  ['en', true],
] as const)('admin screens in %s (phone: %s)', (lang, phone) => {
  const tag = `${lang}${phone ? 'p' : 'd'}`;
  let w: WatchedPage;
  let page: Page;
  const extraKnown: string[] = [];

  beforeAll(async () => {
    w = await open(lang, phone);
    page = w.page;
  });
  afterAll(async () => {
    await w?.context.close();
  });

  it('offers sector, authority and role by name, and creates with them', async () => {
    await page.click('[data-testid=tab-enterprises]');
    const sector = page.locator('select[name=sector]');
    await expect.poll(() => sector.locator('option').allTextContents()).toContain(lang === 'zh' ? '危险化学品' : 'Hazardous chemicals');
    await page.fill('input[name=id] >> nth=0', `E-${tag}`);
    await page.fill('input[name=name] >> nth=0', `企业${tag}`);
    await sector.selectOption({ label: lang === 'zh' ? '烟花爆竹' : 'Fireworks' });
    await page.locator('select[name=authorityId]').selectOption({ label: '示例市应急管理局' });
    await page.click('[data-testid=create-enterprise]');
    await page.waitForSelector('[data-testid=admin-note].ok');
    expect((await platform.db.query('SELECT sector, authority_id FROM enterprises WHERE id = $1', [`E-${tag}`])).rows).toEqual([
      { sector: 'fireworks', authority_id: 'city' },
    ]);

    // the ledger's grade: the enterprise chosen by name
    const gradeForm = page.locator('form.grid-form', { has: page.locator('[data-testid=pick-enterprise]') });
    await gradeForm.locator('[data-testid=pick-enterprise] option[value=E1]').waitFor({ state: 'attached' });
    expect(await gradeForm.locator('[data-testid=pick-enterprise] option[value=E1]').textContent()).toBe(lang === 'zh' ? '甲化工（E1）' : '甲化工 (E1)');
    await gradeForm.locator('[data-testid=pick-enterprise]').selectOption('E1');
    const grade = tag.endsWith('d') ? '2' : '3';
    await gradeForm.locator('select').nth(1).selectOption(grade);
    await gradeForm.locator('button[type=submit]').click();
    await expect
      .poll(async () => (await platform.db.query<{ g: string }>("SELECT standardization_grade AS g FROM enterprises WHERE id = 'E1'")).rows[0]?.g)
      .toBe(grade);

    await page.click('[data-testid=tab-users]');
    const role = page.locator('select[name=role]');
    expect(await role.locator('option').allTextContents()).toContain(lang === 'zh' ? '值班员' : 'Duty officer');
    await page.waitForSelector('select[name=authorityId] option:has-text("示例市应急管理局")', { state: 'attached' });
    expect(await page.locator('table.ranking thead th').allTextContents()).toEqual(
      lang === 'zh' ? ['用户名', '姓名', '角色', '所属', '状态', '操作'] : expect.arrayContaining(['Role', 'Belongs to', 'Status', 'Actions']),
    );
  });

  it('asks before disabling a user, and disables only on yes', async () => {
    const id = `u-${tag}`;
    await admin.ok('POST', '/api/v1/officers', { id, name: `用户${tag}`, role: 'inspector', authorityId: 'city' });
    await page.click('[data-testid=tab-enterprises]');
    await page.click('[data-testid=tab-users]');
    await page.click(`[data-testid=disable-${id}]`);
    const ask = page.locator(`[data-testid=disable-${id}-confirm]`);
    expect(await ask.textContent()).toContain(
      lang === 'zh' ? `停用用户 ${id}（用户${tag}）？停用后该用户无法登录。` : `Disable user ${id} (用户${tag})? They can no longer sign in.`,
    );
    expect(await accessibilityViolations(page)).toEqual([]);
    await ask.locator('[data-testid=confirm-no]').click();
    expect((await platform.db.query<{ disabled: boolean }>('SELECT disabled FROM officers WHERE id = $1', [id])).rows[0]?.disabled).toBe(false);
    await page.click(`[data-testid=disable-${id}]`);
    await page.click(`[data-testid=disable-${id}-confirm] [data-testid=confirm-yes]`);
    await page.waitForSelector(`[data-testid=disable-${id}]`, { state: 'detached' });
    expect((await platform.db.query<{ disabled: boolean }>('SELECT disabled FROM officers WHERE id = $1', [id])).rows[0]?.disabled).toBe(true);
  });

  it('shows a new gateway’s secret once, with a copy button and connection lines that work as shown; the same after rotation', async () => {
    const gw = `G-${tag}`;
    if (!phone) await w.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await page.click('[data-testid=tab-gateways]');
    await pick(page);
    await page.fill('input[name=id] >> nth=0', gw);
    await page.click('[data-testid=provision]');
    const box = page.locator('[data-testid=secret-box]');
    await box.waitFor();
    const secret = (await box.locator('[data-testid=secret]').textContent())!.trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await box.textContent()).toContain(lang === 'zh' ? '密钥只显示这一次' : 'shown only this once');
    expect(await box.locator('[data-testid=conn-plain]').textContent()).toBe(String(platform.mqttPort));
    expect(await box.locator('[data-testid=conn-tls]').textContent()).toBe(String(platform.mqttTlsPort));
    expect(await box.textContent()).toContain(`v1/E1/${gw}/readings`);
    expect(await box.textContent()).toContain(`v1/E1/${gw}/cmd/#`);

    await box.locator('[data-testid=copy-secret]').click();
    if (!phone) {
      // copied to the clipboard, and said so
      await expect.poll(() => box.locator('[data-testid=copy-secret-said]').textContent()).toBe(lang === 'zh' ? '已复制' : 'Copied');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    } else {
      // no clipboard permission: the secret is selected for Ctrl+C instead, or copied — either is said
      await expect.poll(() => box.locator('[data-testid=copy-secret-said]').textContent()).toMatch(lang === 'zh' ? /已复制|已选中/ : /Copied|selected/);
      const said = await box.locator('[data-testid=copy-secret-said]').textContent();
      if (!/已复制|Copied/.test(said!)) expect(await page.evaluate(() => window.getSelection()?.toString())).toBe(secret);
    }

    // a point of this gateway, then the rotated secret: the lines publish its reading
    await admin.ok('POST', '/api/v1/sensors', { id: `GT-${tag}`, enterpriseId: 'E1', gatewayId: gw, kind: 'combustible_gas', unit: '%LEL', periodS: 5 });
    await page.click(`[data-testid=rotate-${gw}]`);
    await box.locator('[data-testid=secret]', { hasNotText: secret }).waitFor();
    const rotated = (await box.locator('[data-testid=secret]').textContent())!.trim();
    await box
      .locator('pre', { hasText: `GT-${tag}` })
      .first()
      .waitFor();
    const lines = await box.locator('[data-testid=mosquitto-line]').allTextContents();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(`-p ${platform.mqttTlsPort} --cafile ca.pem`);
    expect(lines[1]).toContain(`-p ${platform.mqttPort} -V`);
    for (const line of lines) {
      expect(line).toContain(rotated);
      await runLine(line);
    }
    // mosquitto_pub exits after the PUBACK: by contract both readings are stored now
    const rows = await storedReadings(platform.influx, 'E1', `GT-${tag}`);
    expect(rows.map((r) => [r[1], r[2]])).toEqual([
      [12.5, 'good'],
      [12.5, 'good'],
    ]);
    // the old secret is refused as shown
    await expect(runLine(lines[1]!.replace(rotated, secret))).rejects.toThrow();
    extraKnown.push(rotated, ...lines, ...lines.flatMap((l) => l.split(/\s+/)));
    expect(await accessibilityViolations(page)).toEqual([]);

    // revoking asks first
    await page.click(`[data-testid=toggle-${gw}]`);
    const ask = page.locator(`[data-testid=toggle-${gw}-confirm]`);
    expect(await ask.textContent()).toContain(lang === 'zh' ? `停用网关 ${gw}？` : `Disable gateway ${gw}?`);
    await ask.locator('[data-testid=confirm-no]').click();
    expect((await platform.db.query<{ disabled: boolean }>('SELECT disabled FROM gateways WHERE id = $1', [gw])).rows[0]?.disabled).toBe(false);
    await page.click(`[data-testid=toggle-${gw}]`);
    await page.click(`[data-testid=toggle-${gw}-confirm] [data-testid=confirm-yes]`);
    await page.waitForSelector(`[data-testid=toggle-${gw}]:has-text("${lang === 'zh' ? '恢复' : 'Restore'}")`);
    expect((await platform.db.query<{ disabled: boolean }>('SELECT disabled FROM gateways WHERE id = $1', [gw])).rows[0]?.disabled).toBe(true);
  });

  it('registers an alarm limit with the rule and point chosen by name, and deletes it only after asking', async () => {
    await page.click('[data-testid=tab-overrides]');
    await pick(page);
    const rule = page.locator('select[name=ruleId]');
    await rule.locator('option[value="gas.combustible"]').waitFor({ state: 'attached' });
    expect(await rule.locator('option[value="gas.combustible"]').textContent()).toMatch(lang === 'zh' ? /[\u4e00-\u9fff]/ : /^[^\u4e00-\u9fff]+$/);
    await page.locator('select[name=sensorId]').selectOption(`GT-${tag}`);
    await page.click('form.grid-form button[type=submit]');
    const row = page.locator(`[data-testid=overrides] tr[data-rule="gas.combustible"]`, { hasText: `GT-${tag}` });
    await row.waitFor();
    await row.locator('[data-testid="delete-override-gas.combustible"]').click();
    expect(await row.textContent()).toContain(lang === 'zh' ? '删除企业报警限值' : 'Delete the registered alarm limit');
    await row.locator('[data-testid=confirm-yes]').click();
    await row.waitFor({ state: 'detached' });
    expect((await platform.db.query('SELECT 1 FROM rule_overrides WHERE sensor_id = $1', [`GT-${tag}`])).rows).toEqual([]);
  });

  it('filters the audit trail by action, actor, subject and time, and loads more', async () => {
    await page.click('[data-testid=tab-audit]');
    const rows = page.locator('[data-testid=audit-records] tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await page.locator('[data-testid=audit-records] thead th').count()).toBe(5);
    await page.click('[data-testid=audit-more]');
    await expect.poll(() => rows.count()).toBeGreaterThan(50);
    // times as 2026-12-05 18:43:03
    expect(await rows.first().locator('td').nth(1).textContent()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    await page.locator('select[name=action]').selectOption({ label: lang === 'zh' ? '新建网关' : 'gateway provisioned' });
    await page.click('[data-testid=audit-apply]');
    await expect.poll(async () => [...new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action'))))]).toEqual(['gateway.created']);
    await page.fill('input[name=subjectId]', `G-${tag}`);
    await page.click('[data-testid=audit-apply]');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(lang === 'zh' ? '新建网关' : 'gateway provisioned');

    await page.click('[data-testid=audit-reset]');
    await page.locator('select[name=actor]').selectOption({ label: '值班员甲' });
    await page.click('[data-testid=audit-apply]');
    await expect.poll(() => page.textContent('[data-testid=audit-count]')).toBe(lang === 'zh' ? '没有符合条件的记录' : 'No matching record');
    await page.locator('select[name=actor]').selectOption('');
    await page.fill('input[name=from]', '2099-01-01T00:00:00');
    await page.click('[data-testid=audit-apply]');
    await expect.poll(() => rows.count()).toBe(0);
    await page.fill('input[name=from]', '2000-01-01T00:00:00');
    await page.fill('input[name=to]', '2099-01-01T00:00:00');
    await page.click('[data-testid=audit-apply]');
    await expect.poll(() => rows.count()).toBe(50);
  });

  it('shows no untranslated text and no serious accessibility violation on any admin tab', async () => {
    // the data shown as it is: the signed-in admin's name (the token's user), the audit trail's subject ids
    const subjects = (await platform.db.query<{ subject_id: string }>('SELECT DISTINCT subject_id FROM audit_log')).rows.map((r) => r.subject_id);
    const known = [...(await knownDataStrings(platform.db)), ...subjects, 'admin', ...extraKnown, `企业${tag}`, '{"levels":{"level1":{"threshold":20}}}'];
    const findings = [];
    for (const tab of TABS) {
      await page.click(`[data-testid=tab-${tab}]`);
      await pick(page);
      findings.push(...untranslated(`admin ${tab} ${tag}`, await settledScreenTexts(page), lang, known));
      expect(await accessibilityViolations(page), `${tab} ${tag}`).toEqual([]);
    }
    expect(findings).toEqual([]);
    expect(w.errors).toEqual([]);
  });
});
