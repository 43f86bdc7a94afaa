/**
 * The enterprise tier in the console (issue #18), in real Chromium on a running platform:
 *
 * - the admin creates an enterprise user (安全管理负责人 of E1, with its phone) in the officers tab;
 * - the enterprise user, on a phone-sized screen, sees its own enterprise's alarms only (not E2's), no
 *   bureau navigation (tasks, statistics, enterprises, admin; a typed bureau address leads back to the
 *   alarms), each alarm's response state and time left; asks to clear too early and is told why (the
 *   server's reason), signs for one, feeds back with a cause, measures and a photo, and files a quarter's
 *   self-inspection report with a hazard that it then marks rectified;
 * - the county's duty officer sees the response state, the 督办 mark (超时未签收) and 已超时 on the
 *   supervised alarm, the feedback with its photo, rejects it with a reason, accepts the second feedback,
 *   and records a 网络巡查 the enterprise cannot read.
 *
 * The alarms are stored through the real alert store and handed to E1 by the response service, as the
 * notifier does; one is supervised by the overdue sweep under a red sign-for limit of 1 ms (a test policy).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { responsePolicy } from '../../../alerts/response/policy.ts';
import { ResponseService } from '../../../alerts/response/service.ts';
import type { Alert } from '../../../alerts/state/index.ts';
import { AlertStore } from '../../../alerts/store.ts';
import { systemClock } from '../../../core/clock.ts';
import { createLogger } from '../../../core/logger.ts';
import type { Platform } from '../../../platform/platform.ts';
import { storeFiredAlert } from '../../../testkit/alerts.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { accessibilityViolations, launchBrowser, openPage, screenshot, signIn, type WatchedPage } from '../../../testkit/browser.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const PASSWORD = 'enterprise-pass-1';
/** A real 1×1 PNG (the browser draws it: the officer's thumbnail is checked to have loaded). */
const PHOTO = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

let svc: TestServices;
let platform: Platform;
let browser: Browser;
let base: string;
let admin: AdminClient;
let ent: WatchedPage;
let officer: WatchedPage;
let responses: ResponseService;

const stored = async (id: string) => (await platform.db.query<{ data: Alert }>('SELECT data FROM alerts WHERE id = $1', [id])).rows[0]!.data;

beforeAll(async () => {
  svc = await startTestServices('consoleent');
  ({ platform } = await startTestPlatform(svc, 'consoleent', { notify: { escalation: {} } }));
  base = `http://127.0.0.1:${platform.httpPort}`;
  admin = new AdminClient(base, platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'K1', name: '甲县应急管理局', level: 'county' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '甲化工有限公司', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E2', name: '乙化工有限公司', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await admin.ok('POST', '/api/v1/officers', { id: 'duty-k1', name: '甲县值班员', authorityId: 'K1', role: 'duty_officer', password: PASSWORD });
  await admin.ok('POST', '/api/v1/officers', { id: 'mgr-e2', name: '乙安全', enterpriseId: 'E2', role: 'safety_manager', password: PASSWORD });
  // a red alarm's sign-for limit of 1 ms: it is overdue at once (the platform's default is 5 min)
  responses = new ResponseService({
    db: platform.db,
    alerts: new AlertStore(platform.db),
    clock: systemClock,
    logger: createLogger({ level: 'silent' }),
    policy: responsePolicy({ signMs: { red: 1 } }),
    patternOf: () => 'threshold',
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
});

describe('the enterprise tier in the console', () => {
  it('the admin creates an enterprise user: role, enterprise, phone', async () => {
    const page = await openPage(browser);
    await signIn(page.page, base, 'admin', platform.adminToken);
    await page.page.waitForSelector('[data-testid=admin]');
    const roles = await page.page.locator('select[name=role] option').allTextContents();
    expect(roles).toEqual(expect.arrayContaining(['安全管理负责人', '包保责任人']));
    await page.page.selectOption('select[name=role]', 'safety_manager');
    // an enterprise user takes its enterprise's authority: the enterprise select replaces the authority
    expect(await page.page.locator('[name=authorityId]').count()).toBe(0);
    await page.page.waitForSelector('select[name=enterpriseId] option[value=E1]', { state: 'attached' });
    await page.page.selectOption('select[name=enterpriseId]', 'E1');
    await page.page.fill('input[name=id]', 'mgr-e1');
    await page.page.fill('input[name=name]', '张安全');
    await page.page.fill('input[name=phone]', '13800000001');
    await page.page.fill('input[name=password]', PASSWORD);
    await page.page.click('[data-testid=create-officer]');
    await page.page.waitForSelector('td:has-text("mgr-e1")');
    const { officers } = await admin.ok<{ officers: { id: string; role: string; enterpriseId?: string; phone: string | null }[] }>(
      'GET',
      '/api/v1/officers?enterpriseId=E1',
    );
    expect(officers).toEqual([expect.objectContaining({ id: 'mgr-e1', role: 'safety_manager', enterpriseId: 'E1', phone: '13800000001' })]);
    expect(page.errors).toEqual([]);
    await page.context.close();
  });

  it('hands E1’s alarms to it; the red one becomes a supervision item when its sign-for limit passes', async () => {
    const at = Date.now() - 60_000;
    for (const [id, enterpriseId, severity, subject] of [
      ['A-OR', 'E1', 'orange', 'GT-101'],
      ['A-RED', 'E1', 'red', 'GT-102'],
      ['A-E2', 'E2', 'orange', 'GT-201'],
    ] as const) {
      const a = await storeFiredAlert(platform.db, { id, enterpriseId, ruleId: 'gas.combustible', severity, subject, at });
      expect(await responses.consider(a)).toBe(true);
    }
    await vi.waitFor(
      async () => {
        await responses.sweep();
        expect((await stored('A-RED')).supervisions).toEqual(['sign_overdue']);
      },
      { timeout: 10_000 },
    );
    expect((await stored('A-OR')).supervisions).toBeUndefined();
  });

  it('the enterprise user sees only its own alarms, with the response state and the time left, and no bureau navigation', async () => {
    ent = await openPage(browser, { phone: true });
    await signIn(ent.page, base, 'mgr-e1', PASSWORD);
    await ent.page.waitForSelector('[data-testid=stream-state].ok');
    expect(await ent.page.textContent('[data-testid=who-enterprise]')).toContain('甲化工有限公司');
    expect(await ent.page.textContent('[data-testid=enterprise-heading]')).toContain('本企业报警');
    expect(await ent.page.locator('header.top nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual(['#/alerts', '#/self-inspections']);
    await ent.page.waitForSelector('[data-testid="alert-A-OR"]');
    const ids = await ent.page.locator('li.alert').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-testid')));
    expect(ids.sort()).toEqual(['alert-A-OR', 'alert-A-RED']);
    const row = ent.page.locator('[data-testid="alert-A-OR"]');
    expect(await row.locator('[data-testid=response-state]').textContent()).toBe('待企业签收');
    // the orange alarm's sign-for limit: the platform's default 15 min, counting down
    const left = row.locator('[data-testid=response-left]');
    expect(await left.textContent()).toMatch(/^签收时限 剩余 1[34]:\d\d$/);
    const first = await left.textContent();
    await vi.waitFor(async () => expect(await left.textContent()).not.toBe(first), { timeout: 5000 });
    const red = ent.page.locator('[data-testid="alert-A-RED"]');
    expect(await red.locator('[data-testid=response-left]').getAttribute('data-overdue')).toBe('true');
    expect(await red.locator('[data-testid=response-left]').textContent()).toContain('已超时');
    // no action buttons of the bureau's on its alarms
    expect(await ent.page.locator('[data-testid=acknowledge], [data-testid=dispose], [data-testid=escalate]').count()).toBe(0);
    // a bureau address typed in leads back to the alarms
    await ent.page.goto(`${base}/#/stats`);
    await ent.page.waitForFunction(() => location.hash === '#/alerts');
    await ent.page.waitForSelector('[data-testid="alert-A-OR"]');
  });

  it('asks to clear too early and is told why; signs for it; feeds back with a cause, measures and a photo', async () => {
    await ent.page.click('[data-testid="alert-A-OR"] .alert-main');
    await ent.page.waitForSelector('[data-testid=enterprise-response]');
    // no bureau-only panel: the 网络巡查 records are not the enterprise's to read
    expect(await ent.page.locator('[data-testid=officer-response], [data-testid=patrol-form]').count()).toBe(0);
    await ent.page.click('[data-testid=clear-request]');
    expect(await ent.page.locator('[data-testid=response-note]').textContent()).toBe('请先签收并反馈原因和措施，再申请消警');
    await ent.page.click('[data-testid=sign]');
    await ent.page.waitForSelector('[data-testid=response-state]:has-text("待企业反馈")');
    expect(await ent.page.textContent('[data-testid=response-left]')).toMatch(/^反馈时限 剩余/);
    expect(await ent.page.locator('[data-testid=sign]').count()).toBe(0);
    // the causes are the policy's, in Chinese
    const causes = await ent.page.locator('[data-testid=feedback-cause-select] option').allTextContents();
    expect(causes).toEqual(['请选择', '真实隐患', '误报', '仪表故障', '检修作业', '工艺波动', '其他']);
    expect(await ent.page.getAttribute('[data-testid=photo-input]', 'accept')).toBe('image/*');
    expect(await ent.page.getAttribute('[data-testid=photo-input]', 'capture')).toBe('environment');
    await ent.page.selectOption('[data-testid=feedback-cause-select]', 'genuine_hazard');
    await ent.page.fill('[data-testid=feedback-measures-input]', '已关闭阀门并通风，泄漏点已紧固');
    await ent.page.setInputFiles('[data-testid=photo-input]', { name: '现场照片.png', mimeType: 'image/png', buffer: PHOTO });
    await ent.page.waitForSelector('[data-testid=picked] [data-testid=attachment]:has-text("现场照片.png")');
    expect(await accessibilityViolations(ent.page)).toEqual([]);
    await ent.page.click('[data-testid=submit-feedback]');
    await ent.page.waitForSelector('[data-testid=response-state]:has-text("待值班员审核")');
    await screenshot(ent.page, 'console-enterprise-feedback');
    expect(await ent.page.textContent('[data-testid=feedback-cause]')).toContain('真实隐患');
    await ent.page.waitForSelector('[data-testid=feedback] [data-testid=attachment]:has-text("现场照片.png")');
    const { response } = await admin.ok<{ response: { state: string; feedback: { cause: string; attachmentIds: string[] } } }>(
      'GET',
      '/api/v1/alerts/A-OR/response',
    );
    expect(response).toMatchObject({ state: 'awaiting_review', feedback: { cause: 'genuine_hazard' } });
    expect(response.feedback.attachmentIds).toHaveLength(1);
    // the alarm still stands (firing): 消警 is refused, with the server's reason
    await ent.page.click('[data-testid=clear-request]');
    await ent.page.waitForSelector('[data-testid=response-note]:has-text("报警条件仍在，消除后方可申请消警")');
  });

  it('the duty officer sees the response state and the 督办 mark, rejects the feedback with a reason, then accepts the next', async () => {
    officer = await openPage(browser);
    await signIn(officer.page, base, 'duty-k1', PASSWORD);
    await officer.page.waitForSelector('[data-testid="alert-A-RED"]');
    const red = officer.page.locator('[data-testid="alert-A-RED"]');
    expect(await red.locator('[data-testid=supervised-mark]').textContent()).toBe('督办：超时未签收');
    expect(await red.locator('[data-testid=response-left]').textContent()).toMatch(/^签收时限 已超时 \d+:\d\d$/);
    expect(await officer.page.locator('[data-testid="alert-A-OR"] [data-testid=response-state]').textContent()).toBe('待值班员审核');
    expect(await officer.page.locator('[data-testid="alert-A-OR"] [data-testid=supervised-mark]').count()).toBe(0);
    expect(await officer.page.locator('[data-testid="alert-A-E2"] [data-testid=response-state]').textContent()).toBe('待企业签收');

    await officer.page.click('[data-testid="alert-A-OR"] .alert-main');
    await officer.page.waitForSelector('[data-testid=officer-response] [data-testid=feedback]');
    expect(await officer.page.textContent('[data-testid=feedback-measures]')).toBe('已关闭阀门并通风，泄漏点已紧固');
    // the photo, drawn from GET /api/v1/attachments/:id
    await officer.page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid=feedback] img.thumb');
      return img !== null && img.complete && img.naturalWidth === 1;
    });
    await screenshot(officer.page, 'console-enterprise-review');
    expect(await accessibilityViolations(officer.page)).toEqual([]);
    expect(await officer.page.isDisabled('[data-testid=review-reject]')).toBe(true); // a rejection needs a reason
    await officer.page.fill('[data-testid=review-reason]', '未说明泄漏原因，请补充');
    await officer.page.click('[data-testid=review-reject]');
    await officer.page.waitForSelector('[data-testid=review-outcome][data-decision=reject]');
    expect(await officer.page.textContent('[data-testid=officer-response] [data-testid=response-state]')).toBe('待企业反馈');

    // the enterprise sees why, and feeds back again
    await ent.page.reload();
    await ent.page.waitForSelector('[data-testid=rejected-note]');
    expect(await ent.page.textContent('[data-testid=rejected-note]')).toBe('审核退回：未说明泄漏原因，请补充');
    await ent.page.selectOption('[data-testid=feedback-cause-select]', 'genuine_hazard');
    await ent.page.fill('[data-testid=feedback-measures-input]', '法兰垫片老化导致泄漏，已更换垫片');
    await ent.page.click('[data-testid=submit-feedback]');
    await ent.page.waitForSelector('[data-testid=response-state]:has-text("待值班员审核")');

    await officer.page.reload();
    await officer.page.waitForSelector('[data-testid=review-form]');
    await officer.page.click('[data-testid=review-accept]');
    await officer.page.waitForSelector('[data-testid=review-outcome][data-decision=accept]');
    expect(await officer.page.textContent('[data-testid=officer-response] [data-testid=response-state]')).toBe('反馈已审核通过');
    expect(await officer.page.locator('[data-testid=review-form]').count()).toBe(0);
  });

  it('the officer records a 网络巡查 on the supervised alarm; the enterprise cannot read it', async () => {
    await officer.page.goto(`${base}/#/alerts/A-RED`);
    await officer.page.waitForSelector('[data-testid=patrol-form]');
    expect(await officer.page.locator('[data-testid=officer-response] [data-testid=supervised-mark]').textContent()).toBe('督办：超时未签收');
    await officer.page.selectOption('[data-testid=patrol-method]', 'call');
    await officer.page.selectOption('[data-testid=patrol-outcome]', 'hazard_confirmed');
    await officer.page.fill('[data-testid=patrol-note]', '电话联系张安全，确认储罐区可燃气体泄漏');
    await officer.page.click('[data-testid=patrol-submit]');
    await officer.page.waitForSelector('[data-testid=verifications] li:has-text("电话核实")');
    expect(await officer.page.textContent('[data-testid=verifications]')).toContain('确认存在隐患');
    const asOfficer = await officer.page.evaluate(async () => (await (await fetch('/api/v1/alerts/A-RED/response')).json()) as { verifications: unknown[] });
    expect(asOfficer.verifications).toHaveLength(1);
    const asEnterprise = await ent.page.evaluate(async () => (await (await fetch('/api/v1/alerts/A-RED/response')).json()) as { verifications: unknown[] });
    expect(asEnterprise.verifications).toEqual([]);
    expect(officer.errors).toEqual([]);
  });

  it('the enterprise user files a quarter’s self-inspection report with a hazard, lists it and marks the hazard rectified', async () => {
    await ent.page.goto(`${base}/#/self-inspections`);
    await ent.page.waitForSelector('[data-testid=si-form]');
    expect(await ent.page.textContent('[data-testid=si-status]')).toMatch(/\d{4}年第[一二三四]季度/);
    await ent.page.fill('[data-testid=si-period]', '2026-Q4');
    await ent.page.fill('[data-testid=si-summary]', '对储罐区、装卸区开展全面自查');
    await ent.page.click('[data-testid=si-add-hazard]');
    const draft = ent.page.locator('[data-testid=si-hazard-draft]');
    await draft.locator('textarea').nth(0).fill('储罐区可燃气体探测器未定期标定');
    await draft.locator('input[type=checkbox]').check();
    await draft.locator('textarea').nth(1).fill('委托有资质单位标定并建立台账');
    await draft.locator('input[type=date]').fill('2027-01-31');
    await ent.page.click('[data-testid=si-submit]');
    await ent.page.waitForSelector('[data-testid=si-note]:has-text("报告已提交")');
    const report = ent.page.locator('[data-testid=si-report-2026-Q4]');
    await report.waitFor();
    expect(await report.textContent()).toContain('2026年第四季度');
    expect(await report.textContent()).toContain('储罐区可燃气体探测器未定期标定');
    expect(await report.locator('[data-testid=si-hazard]').getAttribute('data-rectified')).toBe('false');
    await report.locator('[data-testid=si-rectify]').click();
    await report.locator('[data-testid=si-rectify-note]').fill('已完成标定，台账已建立');
    await report.locator('[data-testid=si-rectify-confirm]').click();
    await ent.page.waitForSelector('[data-testid=si-report-2026-Q4] [data-testid=si-hazard][data-rectified=true]');
    await screenshot(ent.page, 'console-self-inspections');
    expect(await accessibilityViolations(ent.page)).toEqual([]);
    const { reports } = await admin.ok<{ reports: { period: string; hazards: { major: boolean; deadline: number; rectifiedNote: string | null }[] }[] }>(
      'GET',
      '/api/v1/enterprises/E1/self-inspections',
    );
    expect(reports[0]).toMatchObject({
      period: '2026-Q4',
      hazards: [{ major: true, deadline: Date.parse('2027-01-31T23:59:59+08:00'), rectifiedNote: '已完成标定，台账已建立' }],
    });
    // English on a click: the response in the enterprise's view
    await ent.page.goto(`${base}/#/alerts/A-OR`);
    await ent.page.waitForSelector('[data-testid=response-state]:has-text("反馈已审核通过")');
    await ent.page.click('[data-testid=lang]');
    await ent.page.waitForSelector('[data-testid=response-state]:has-text("feedback accepted")');
    expect(await ent.page.textContent('[data-testid=review-outcome]')).toContain('Accepted');
    expect(await ent.page.textContent('[data-testid=feedback-cause]')).toContain('genuine hazard');
    // the only errors: the browser's reports of the refused (409) requests to clear
    expect(ent.errors.filter((e) => !/status of 409/.test(e))).toEqual([]);
  });
  it("the county officer sees on an enterprise's file that its quarterly self-inspection report is overdue", async () => {
    // E2 has been on the ledger for a year and never reported: the last quarter due is late
    await platform.db.query("UPDATE enterprises SET created_at = now() - interval '400 days' WHERE id = 'E2'");
    await officer.page.goto(`${base}/#/enterprises/E2`);
    const flag = officer.page.locator('[data-testid=file-self-inspection]');
    await flag.waitFor();
    expect(await flag.getAttribute('data-overdue')).toBe('true');
    expect(await flag.textContent()).toMatch(/^季度自查报告 \d{4}-Q[1-4]：逾期未报 \d+ 天/);
    // E1 reported the current quarter, which is not yet due: not flagged as late
    await officer.page.goto(`${base}/#/enterprises/E1`);
    await officer.page.waitForSelector('h2:has-text("甲化工有限公司")');
    expect(await officer.page.locator('[data-testid=file-self-inspection][data-overdue=true]').count()).toBe(0);
  });
});
