/**
 * Alerts and tasks linked both ways in the console (issue #20 §5), in real Chromium, in Chinese and in English:
 * the duty officer (desktop) sees on a red gas alarm the inspection task it opened (已生成检查任务, its state, a
 * link) and on the task the alarms that opened and joined it (grade, message, time, state, links back); the
 * inspector (390×844 phone) passes the re-check while those alarms still fire — refused, the firing alarms shown
 * with "报警仍在持续，确认复查合格" to tick — and, ticked, the task closes with its re-check on it (result, note,
 * time, inspector, evidence, the alarms confirmed over), the confirmation in its event. Every screen changed is
 * read for untranslated text and checked with axe-core; no page logs an error.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../../platform/platform.ts';
import { storeFiredAlert } from '../../../testkit/alerts.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { accessibilityViolations, launchBrowser, openPage, screenshot, signIn, type WatchedPage } from '../../../testkit/browser.ts';
import { knownDataStrings, settledScreenTexts, type LanguageFinding, untranslated } from '../../../testkit/language.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';
import { advanceTask } from '../../../testkit/tasks.ts';

const PASSWORD = 'duty-officer-pass';
const NOTE = { zh: '探头已更换，测试报警正常', en: '探头已更换，报警为残余浓度' };
const EVIDENCE = 'photo:gt-101-new.jpg';
let svc: TestServices;
let platform: Platform;
let browser: Browser;
let base: string;
/** Per language: the enterprise, its red alarm (opened the task), its orange one (joined it), the task. */
const cases = {
  zh: { enterprise: 'E1', red: 'A1-RED', orange: 'A1-ORANGE', task: '' },
  en: { enterprise: 'E2', red: 'A2-RED', orange: 'A2-ORANGE', task: '' },
};

/** The firing alarms as the refusal names them: oldest first, then by id (both here began at the same time). */
const firingOrder = (c: { red: string; orange: string }): string[] => [c.red, c.orange].sort();

/** Opens (or finds) the task of the alarm as the admin. */
async function dispatch(admin: AdminClient, alertId: string): Promise<string> {
  const r = await admin.ok<{ task: { id: string } }>('POST', '/api/v1/tasks', { alertId });
  return r.task.id;
}

beforeAll(async () => {
  svc = await startTestServices('consolelinks');
  ({ platform } = await startTestPlatform(svc, 'consolelinks'));
  base = `http://127.0.0.1:${platform.httpPort}`;
  const admin = new AdminClient(base, platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'K1', name: '甲县应急管理局', level: 'county' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '甲化工有限公司', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E2', name: '乙化工有限公司', sector: 'hazardous_chemicals', authorityId: 'K1' });
  await admin.ok('POST', '/api/v1/officers', { id: 'duty-k1', name: '甲县值班员', authorityId: 'K1', role: 'duty_officer', password: PASSWORD });
  await admin.ok('POST', '/api/v1/officers', { id: 'insp-k1', name: '甲县执法员', authorityId: 'K1', role: 'inspector', password: PASSWORD });
  const at = Date.now() - 120_000;
  for (const c of Object.values(cases)) {
    await storeFiredAlert(platform.db, { id: c.red, enterpriseId: c.enterprise, ruleId: 'gas.combustible', severity: 'red', subject: 'GT-101', at });
    c.task = await dispatch(admin, c.red);
    await storeFiredAlert(platform.db, { id: c.orange, enterpriseId: c.enterprise, ruleId: 'gas.toxic.h2s.ppm', severity: 'orange', subject: 'AT-101', at });
    expect(await dispatch(admin, c.orange)).toBe(c.task);
    await advanceTask(platform.db, c.task, { inspectorId: 'insp-k1', dutyOfficerId: 'duty-k1', until: 'rechecking', hazardNote: '探头堵塞' });
  }
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
});

/** The data's ids, names and the texts users wrote: they show as they are in either language. */
const knownStrings = async (): Promise<string[]> => [...(await knownDataStrings(platform.db)), NOTE.zh, NOTE.en, EVIDENCE, '探头堵塞'];

/** A page in `lang`, signed in. */
async function pageIn(lang: 'zh' | 'en', user: string, phone: boolean): Promise<WatchedPage> {
  const w = await openPage(browser, { phone, lang });
  await signIn(w.page, base, user, PASSWORD);
  return w;
}

/** The screen as it stands: nothing untranslated, no serious accessibility violation. */
async function checkScreen(page: Page, name: string, lang: 'zh' | 'en'): Promise<void> {
  const findings: LanguageFinding[] = untranslated(name, await settledScreenTexts(page), lang, await knownStrings());
  expect(findings).toEqual([]);
  expect(await accessibilityViolations(page)).toEqual([]);
  await screenshot(page, `task-links-${name}-${lang}`);
}

const WORDS = {
  zh: {
    linkTasks: '已生成检查任务',
    rechecking: '待复查',
    closed: '已闭环',
    red: '红色',
    orange: '橙色',
    confirm: '报警仍在持续，确认复查合格',
    passed: '复查合格',
  },
  en: {
    linkTasks: 'Inspection task opened',
    rechecking: 'Re-check due',
    closed: 'Closed',
    red: 'Red',
    orange: 'Orange',
    confirm: 'The alarm is still firing: I confirm the re-check passed',
    passed: 'Re-check passed',
  },
};

describe.each(['zh', 'en'] as const)('alerts and tasks linked, in %s', (lang) => {
  const c = cases[lang];
  const w = WORDS[lang];

  it('the duty officer (desktop) sees the task on the alarm, and the alarms on the task, each linked', async () => {
    const duty = await pageIn(lang, 'duty-k1', false);
    const page = duty.page;
    await page.goto(`${base}/#/alerts/${c.red}`);
    const link = await page.waitForSelector(`[data-testid=alert-tasks] [data-testid="alert-task-${c.task}"]`);
    expect(await page.textContent('[data-testid=alert-tasks] h3')).toBe(w.linkTasks);
    expect(await link.getAttribute('data-state')).toBe('rechecking');
    expect(await page.textContent(`[data-testid="alert-task-${c.task}"] [data-testid=alert-task-state]`)).toBe(w.rechecking);
    expect(await page.getAttribute(`[data-testid="alert-task-${c.task}"] a`, 'href')).toBe(`#/tasks/${c.task}`);
    await checkScreen(page, 'alert', lang);

    await page.click(`[data-testid="alert-task-${c.task}"] a`);
    await page.waitForSelector('[data-testid=task-alerts]');
    const rows = page.locator('[data-testid=task-alerts] li');
    expect(await rows.count()).toBe(2);
    expect(await page.textContent(`[data-testid="task-alert-${c.red}"] .chip`)).toBe(w.red);
    expect(await page.textContent(`[data-testid="task-alert-${c.orange}"] .chip`)).toBe(w.orange);
    // times as 2026-12-05 18:43:03
    expect(await page.textContent(`[data-testid="task-alert-${c.red}"]`)).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    expect(await page.getAttribute(`[data-testid="task-alert-${c.orange}"] a`, 'href')).toBe(`#/alerts/${c.orange}`);
    await checkScreen(page, 'task', lang);
    // and back to the joining alarm, which names the same task
    await page.click(`[data-testid="task-alert-${c.orange}"] a`);
    await page.waitForSelector(`[data-testid=alert-tasks] [data-testid="alert-task-${c.task}"]`);
    expect(duty.errors).toEqual([]);
    await duty.context.close();
  });

  it('the inspector (phone) is stopped on a pass while the alarms fire, confirms it, and sees the re-check on the closed task', async () => {
    const insp = await pageIn(lang, 'insp-k1', true);
    const page = insp.page;
    await page.goto(`${base}/#/tasks/${c.task}`);
    await page.waitForSelector('[data-testid=task-view][data-state=rechecking]');
    await page.fill('[data-testid=recheck-note]', NOTE[lang]);
    await page.fill('[data-testid=recheck-evidence]', EVIDENCE);
    await page.click('[data-testid=recheck-pass]');
    await page.waitForSelector('[data-testid=recheck-firing]');
    expect(await page.locator('[data-testid=recheck-firing] li').count()).toBe(2);
    await page.waitForSelector(`[data-testid="firing-${c.red}"]`);
    expect(await page.textContent('[data-testid=recheck-firing] label')).toContain(w.confirm);
    expect(await page.isDisabled('[data-testid=recheck-pass]')).toBe(true);
    // nothing closed yet
    const stateNow = await platform.db.query<{ state: string }>('SELECT state FROM tasks WHERE id = $1', [c.task]);
    expect(stateNow.rows[0]?.state).toBe('rechecking');
    await checkScreen(page, 'recheck-firing', lang);

    await page.check('[data-testid=confirm-firing]');
    await page.click('[data-testid=recheck-pass]');
    await page.waitForSelector('[data-testid=task-view][data-state=closed]');
    const record = await page.waitForSelector('[data-testid=recheck-record][data-passed=true]');
    expect(await page.textContent('[data-testid=recheck-result]')).toBe(w.passed);
    expect(await page.textContent('[data-testid=recheck-record-note]')).toBe(NOTE[lang]);
    expect(await page.textContent('[data-testid=recheck-record-evidence]')).toBe(EVIDENCE);
    await expect.poll(async () => record.textContent()).toContain('甲县执法员');
    expect(await record.textContent()).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    expect(await page.locator('[data-testid=recheck-firing-confirmed] a').allTextContents()).toEqual(firingOrder(c));
    await checkScreen(page, 'task-closed', lang);

    // the confirmation is on the record: the closing event names the alarms
    const { rows } = await platform.db.query<{ detail: string; actor: string }>(
      "SELECT detail, actor FROM task_events WHERE task_id = $1 AND type = 'recheck_result'",
      [c.task],
    );
    expect(rows).toEqual([
      {
        actor: 'user:insp-k1',
        detail: `re-check passed (confirmed by the inspector while alarm(s) ${firingOrder(c).join(', ')} of the same matter were still firing): ${NOTE[lang]}`,
      },
    ]);

    // the alarm, on the phone, shows its task closed
    await page.goto(`${base}/#/alerts/${c.red}`);
    await page.waitForSelector(`[data-testid="alert-task-${c.task}"][data-state=closed]`);
    expect(await page.textContent(`[data-testid="alert-task-${c.task}"] [data-testid=alert-task-state]`)).toBe(w.closed);
    await checkScreen(page, 'alert-phone', lang);
    // the refused pass is a 409 the browser logs as a failed request; nothing else
    expect(insp.errors.filter((e) => !/status of 409/.test(e))).toEqual([]);
    await insp.context.close();
  });
});
