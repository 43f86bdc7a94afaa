/**
 * The console in real Chromium (issue #5, proof): the simulated gas leak at
 * a plant of county A raises a red alert over MQTT → the rules worker →
 * PostgreSQL → the event stream; it appears in county A's duty officer's
 * open console without a reload, red and impossible to miss; the officer
 * opens its detail (the rule, the readings chart with the limits),
 * acknowledges and disposes it, and assigns the inspection task the alert
 * opened; the inspector, on a phone-sized screen, accepts it, arrives,
 * records findings, orders rectification, and after the deadline passes the
 * re-check and closes it. County B's officer sees none of it. No page logs
 * an error.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../core/clock.ts';
import type { Platform } from '../../../platform/platform.ts';
import { planFleet, provisionFleet } from '../../../simulators/fleet.ts';
import { SimGateway } from '../../../simulators/gateway.ts';
import type { Scenario } from '../../../simulators/scenarios.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { accessibilityViolations, LANGUAGES_AND_SIZES, launchBrowser, openPage, screenshot, signIn, type WatchedPage } from '../../../testkit/browser.ts';
import { knownDataStrings, settledScreenTexts, untranslated, type LanguageFinding } from '../../../testkit/language.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { runSimulation } from '../../../testkit/sim.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const SEED = 11;
const MIN = 60_000;
const START = Date.UTC(2026, 10, 23, 1); // 09:00 CST
const LEAK = START + 3 * MIN;
const PASSWORD = 'duty-officer-pass';

const plan = planFleet({ seed: SEED, enterprises: 1, authorityId: 'county-a' });
const chem = plan.gateways[0]!;
const clock = new FakeClock(START);

let svc: TestServices;
let platform: Platform;
let sim: SimGateway;
let browser: Browser;
let base: string;
let officer: WatchedPage;
let alertId: string;
let taskId: string;

const run = (from: number, to: number, scenarios: Scenario[]) => runSimulation(sim, () => platform, clock, from, to, scenarios);

beforeAll(async () => {
  svc = await startTestServices('console');
  ({ platform } = await startTestPlatform(
    svc,
    'console',
    { rules: { tickMs: 50, snapshotIntervalMs: 10 * MIN }, ingest: { maxFutureSkewMs: 10 * MIN }, notify: { escalation: {} } },
    { clock },
  ));
  base = `http://127.0.0.1:${platform.httpPort}`;
  const admin = new AdminClient(base, platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'city', name: '示例市应急管理局', level: 'city' });
  await admin.ok('POST', '/api/v1/authorities', { id: 'county-b', name: '乙县应急管理局', level: 'county', parentId: 'city' });
  const secrets = await provisionFleet(
    { ...plan, authority: { id: 'county-a', name: '甲县应急管理局', level: 'county', parentId: 'city' } as unknown as typeof plan.authority },
    admin,
  );
  await admin.ok('POST', `/api/v1/enterprises/${chem.enterpriseId}/hazard-sources`, {
    code: 'HZ-001',
    name: '液氨储罐区',
    rValue: 62.5,
    persons: {
      main: { name: '张主要', phone: '13800138000' },
      technical: { name: '李技术', phone: '0591-87654321' },
      operational: { name: '王操作', phone: '13900000000' },
    },
  });
  for (const [id, name, authorityId, role] of [
    ['duty-a', '甲县值班员', 'county-a', 'duty_officer'],
    ['insp-a', '甲县执法人员', 'county-a', 'inspector'],
    ['duty-b', '乙县值班员', 'county-b', 'duty_officer'],
    ['lead-city', '市局领导', 'city', 'leader'],
  ] as const)
    await admin.ok('POST', '/api/v1/officers', { id, name, authorityId, role, password: PASSWORD });
  sim = new SimGateway(chem, { secret: secrets.get(chem.gatewayId)!, port: platform.mqttPort, seed: SEED, readingsPerMessage: 200 });
  await sim.connect();
  await run(START, LEAK, []);
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await sim?.close();
  await platform?.stop();
  await svc?.stop();
});

describe('the duty officer’s console', () => {
  it('signs in (in Chinese by default) and shows the live feed', async () => {
    officer = await openPage(browser);
    await officer.page.goto(base);
    expect(await officer.page.textContent('form.login h1')).toBe('非现场监管平台');
    expect(await accessibilityViolations(officer.page)).toEqual([]);
    await signIn(officer.page, base, 'duty-a', PASSWORD);
    await officer.page.waitForSelector('[data-testid=stream-state].ok');
    expect(await officer.page.textContent('.empty')).toBe('当前没有报警');
  });

  it('shows the red alert of the simulated gas leak without a reload', async () => {
    const navigations: string[] = [];
    officer.page.on('framenavigated', (f) => navigations.push(f.url()));
    await run(LEAK, LEAK + 12 * MIN, [{ type: 'gas_leak', gatewayId: chem.gatewayId, sensorId: 'GT-101', startMs: LEAK, durationMs: 60 * MIN }]);
    const row = await officer.page.waitForSelector('li.alert[data-grade=red][data-state=firing]', { timeout: 20_000 });
    alertId = (await row.getAttribute('data-testid'))!.replace(/^alert-/, '');
    expect(await officer.page.textContent('[data-testid=red-banner]')).toContain('红色报警未处置');
    // the enterprise by name, not its id
    await officer.page.waitForSelector(`li.alert .enterprise-name:has-text("${chem.enterpriseName}")`);
    expect(navigations).toEqual([]); // no reload, no navigation
    await screenshot(officer.page, 'console-alerts');
    expect(await accessibilityViolations(officer.page)).toEqual([]);
  });

  it('opens the alert’s detail: the rule, its standard, the readings chart with the limits', async () => {
    await officer.page.click(`[data-testid="alert-${alertId}"] .alert-main`);
    await officer.page.waitForSelector('[data-testid=readings-chart] canvas');
    const text = await officer.page.textContent('section.detail');
    expect(text).toContain('可燃气体浓度报警');
    expect(text).toContain('GB/T 50493-2019');
    expect(text).toContain('一级报警 25 %LEL（爆炸下限的百分数'); // the rule's note, in Chinese (issue #20 §1)
    const legend = await officer.page.textContent('[data-testid=readings-chart]');
    expect(legend).toContain('报警阈值 一级报警');
    expect(legend).toContain('报警阈值 二级报警');
    // the current value under the chart, and the chart's time range: around the alarm, or a range picked
    expect(await officer.page.textContent('section.detail [data-testid=current-value]')).toMatch(/^当前值 [\d.]+ %LEL（2026-11-23 \d\d:\d\d:\d\d）$/);
    await officer.page.click('[data-testid=readings-range] [data-range="6h"]');
    await officer.page.waitForSelector('[data-testid=readings-range] [data-range="6h"][aria-pressed=true]');
    await officer.page.click('section.detail [data-range=alarm]');
    await officer.page.waitForSelector('section.detail [data-range=alarm][aria-pressed=true]');
    await officer.page.waitForSelector('[data-testid=readings-chart] canvas');
    // who to call: the hazard source's responsible persons, a tap calls them; the enterprise by name
    const contacts = await officer.page.textContent('[data-testid=contacts]');
    expect(contacts).toContain('主要负责人（液氨储罐区） 张主要 13800138000');
    expect(await officer.page.getAttribute('[data-testid=contacts] a.phone:has-text("0591-87654321")', 'href')).toBe('tel:059187654321');
    expect(await officer.page.textContent('[data-testid=who-to-call]')).toContain(chem.enterpriseName);
    await screenshot(officer.page, 'console-alert-detail');
    expect(await accessibilityViolations(officer.page)).toEqual([]);
    await officer.page.click('section.detail button.link');
    await officer.page.waitForSelector(`[data-testid="alert-${alertId}"]`);
  });

  it('acknowledges it, refers it to the authority above, and disposes it with a reason', async () => {
    const row = `[data-testid="alert-${alertId}"]`;
    await officer.page.click(`${row} [data-testid=acknowledge]`);
    await officer.page.waitForSelector(`${row}[data-state=acknowledged]`);
    // refer it to the city (the authority above county A)
    await officer.page.click(`${row} [data-testid=escalate]`);
    await officer.page.waitForSelector(`${row} .note:has-text("已报请上级督办")`);
    const { rows: escalated } = await platform.db.query<{ actor: string; extra: unknown }>(
      "SELECT actor, extra FROM alert_events WHERE alert_id = $1 AND type = 'escalated'",
      [alertId],
    );
    expect(escalated).toHaveLength(1);
    expect(escalated[0]!.actor).toBe('user:duty-a');
    expect(JSON.stringify(escalated[0]!.extra)).toContain('"to":"city"');
    await officer.page.click(`${row} [data-testid=dispose]`);
    // the reason is required
    expect(await officer.page.isDisabled(`${row} [data-testid=confirm-dispose]`)).toBe(true);
    await officer.page.fill(`${row} [data-testid=disposal-text]`, '已通知企业关闭阀门并排查泄漏点');
    await officer.page.click(`${row} [data-testid=confirm-dispose]`);
    await officer.page.waitForSelector(row, { state: 'detached' });
    const { rows } = await platform.db.query<{ state: string; data: { disposal: string; acknowledgedBy: string } }>(
      'SELECT state, data FROM alerts WHERE id = $1',
      [alertId],
    );
    expect(rows[0]).toMatchObject({ state: 'disposed', data: { disposal: '已通知企业关闭阀门并排查泄漏点', acknowledgedBy: 'user:duty-a' } });
  });

  it('assigns the inspection task the red alert opened', async () => {
    await officer.page.click('header.top nav a[href="#/tasks"]');
    const item = await officer.page.waitForSelector('ul.tasks li.task', { timeout: 20_000 });
    taskId = (await item.getAttribute('data-testid'))!.replace(/^task-/, '');
    await item.click();
    // only county A's inspectors (and those above it) are offered
    await officer.page.waitForSelector('[data-testid=assign-to] option[value=insp-a]', { state: 'attached' });
    expect(await officer.page.locator('[data-testid=assign-to] option').allTextContents()).toEqual(['—', '甲县执法人员 (insp-a)']);
    await officer.page.selectOption('[data-testid=assign-to]', 'insp-a');
    await officer.page.click('[data-testid=assign]');
    await officer.page.waitForSelector('[data-testid=task-view][data-state=assigned]');
  });

  it('shows the enterprise board and the enterprise’s file with its sensors’ history', async () => {
    await officer.page.click('header.top nav a[href="#/enterprises"]');
    const row = await officer.page.waitForSelector(`[data-testid="enterprise-${chem.enterpriseId}"]`);
    expect(await row.textContent()).toContain('在线');
    await screenshot(officer.page, 'console-enterprises');
    expect(await accessibilityViolations(officer.page)).toEqual([]);
    // county B's enterprises are not on county A's board
    expect(await officer.page.locator('[data-testid=board] tbody tr').count()).toBe(1);
    await row.click();
    await officer.page.waitForSelector('[data-testid=enterprise-file]');
    await officer.page.click('[data-testid="sensor-GT-101"]');
    await officer.page.waitForSelector('[data-testid=sensor-chart] canvas');
    // its time range picked (the last 24 hours by default; here the last 30 days, up to the platform's present)
    await officer.page.click('[data-testid=sensor-range] [data-range="30d"]');
    await officer.page.waitForSelector('[data-testid=sensor-range] [data-range="30d"][aria-pressed=true]');
    const file = await officer.page.textContent('[data-testid=enterprise-file]');
    expect(file).toContain(chem.gatewayId);
    expect(file).toContain('可燃气体浓度报警');
    // its major hazard sources, graded by R (62.5: 二级, GB 18218-2018) with the three responsible persons
    expect(await officer.page.textContent('[data-testid=hazard-sources]')).toMatch(
      /HZ-001液氨储罐区二级62\.5张主要 · 13800138000李技术 · 0591-87654321王操作 · 13900000000/,
    );
    // the coverage line: every point of the simulated tank farm is watched (its process signals are read by other rules)
    await officer.page.waitForSelector('[data-testid=coverage]');
    expect(await officer.page.textContent('[data-testid=coverage]')).toMatch(/^\d+ 个测点受规则监测 · 0 个未受监测 · 2 个过程信号$/);
    await screenshot(officer.page, 'console-enterprise-file');
    expect(await accessibilityViolations(officer.page)).toEqual([]);
  });

  it('switches to English and back', async () => {
    await officer.page.click('[data-testid=lang]');
    expect(await officer.page.textContent('header.top nav')).toContain('Tasks');
    await officer.page.click('[data-testid=lang]');
    expect(await officer.page.textContent('header.top nav')).toContain('检查任务');
  });
});

describe('the inspector’s app, phone-sized', () => {
  let insp: WatchedPage;

  it('accepts, arrives, records findings and orders rectification', async () => {
    insp = await openPage(browser, { phone: true });
    await signIn(insp.page, base, 'insp-a', PASSWORD);
    await insp.page.click(`[data-testid="task-${taskId}"]`);
    await insp.page.click('[data-testid=accept]');
    await insp.page.waitForSelector('[data-testid=task-view][data-state=accepted]');
    await insp.page.click('[data-testid=arrive]');
    await insp.page.waitForSelector('[data-testid=findings-form]');
    await screenshot(insp.page, 'inspector-checklist');
    expect(await accessibilityViolations(insp.page)).toEqual([]);
    await insp.page.check('[data-testid="item-gas.detectors"] input[value=hazard]');
    await insp.page.fill('[data-testid="item-gas.detectors"] input[placeholder^="说明"]', 'GT-101 探头堵塞');
    // no item starts answered (issue #20 §8): the others are answered compliant one by one
    for (const ok of await insp.page.locator('[data-testid=findings-form] fieldset:not([data-testid="item-gas.detectors"]) input[value=ok]').all())
      await ok.check();
    await insp.page.click('[data-testid=submit-findings]');
    await insp.page.waitForSelector('[data-testid=task-view][data-state=findings_recorded]');
    // the detector item is a major hazard by the criteria
    expect(await insp.page.textContent('ol.checklist')).toContain('重大隐患');
    // a deadline a few seconds after the (simulated) present, in China Standard Time
    const deadline = new Date(clock.now() + 8 * 3600_000 + 4000).toISOString().slice(0, 19);
    await insp.page.fill('[data-testid=deadline]', deadline);
    await insp.page.click('[data-testid=order]');
    await insp.page.waitForSelector('[data-testid=task-view][data-state=rectifying]');
    await screenshot(insp.page, 'inspector-task');
  });

  it('re-checks once the deadline has passed, and closes the task', async () => {
    // the delayed job makes the re-check due; then the inspector opens the task again
    await vi.waitFor(
      async () => {
        const { rows } = await platform.db.query<{ state: string }>('SELECT state FROM tasks WHERE id = $1', [taskId]);
        expect(rows[0]?.state, 'the re-check fell due').toBe('rechecking');
      },
      { timeout: 30_000, interval: 100 },
    );
    await insp.page.reload();
    await insp.page.waitForSelector('[data-testid=task-view][data-state=rechecking]');
    // past its rectification deadline, not closed: 逾期
    expect(await insp.page.textContent('[data-testid=overdue-mark]')).toMatch(/^逾期 /);
    await insp.page.fill('[data-testid=recheck-note]', '探头已更换，测试报警正常');
    await insp.page.click('[data-testid=recheck-pass]');
    await insp.page.waitForSelector('[data-testid=task-view][data-state=closed]');
    expect(await insp.page.locator('[data-testid=overdue-mark]').count()).toBe(0);
    expect(insp.errors).toEqual([]);
  });
});

describe('the leader’s view', () => {
  it('shows the city’s statistics as figures and charts, the counties compared and the enterprises ranked', async () => {
    const leader = await openPage(browser);
    await signIn(leader.page, base, 'lead-city', PASSWORD);
    await leader.page.waitForSelector('[data-testid=daily-chart] canvas');
    await leader.page.waitForSelector('[data-testid=rate-chart] canvas');
    const kpis = await leader.page.textContent('.kpis');
    expect(kpis).toContain('处置率');
    expect(kpis).toContain('100.0%'); // the one alert was disposed
    expect(await leader.page.textContent('[data-testid=rate-chart]')).toContain('数据在线率');
    const rows = await leader.page.locator('[data-testid=ranking] tbody tr').allTextContents();
    expect(rows).toHaveLength(1);
    await screenshot(leader.page, 'leader-stats');
    expect(await accessibilityViolations(leader.page)).toEqual([]);
    expect(leader.errors).toEqual([]);
  });
});

describe('jurisdiction in the console', () => {
  it('shows county B’s officer nothing of county A', async () => {
    const other = await openPage(browser);
    await signIn(other.page, base, 'duty-b', PASSWORD);
    await other.page.waitForSelector('[data-testid=stream-state].ok');
    expect(await other.page.$$('li.alert')).toEqual([]);
    await other.page.goto(`${base}/#/alerts/${alertId}`);
    await other.page.waitForSelector('section.detail, p.error');
    expect(await other.page.textContent('main')).toContain('404');
    await other.page.goto(`${base}/#/tasks`);
    await other.page.waitForSelector('p.empty');
    // the only errors: the browser's report of the refused (404) request
    expect(other.errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
  });

  it('logged no error in the officer’s console', () => {
    expect(officer.errors).toEqual([]);
  });
});

describe('every screen in Chinese and in English (issue #20 §1)', () => {
  /** The data's ids, names and the texts users wrote: they show as they are in either language. */
  async function knownStrings(): Promise<string[]> {
    const typed = ['已通知企业关闭阀门并排查泄漏点', 'GT-101 探头堵塞', '探头已更换，测试报警正常'];
    // the platform's admin, signed in with the admin token, is named by its id; the map's area is named by its GeoJSON
    return [...(await knownDataStrings(platform.db)), ...typed, 'admin', '福州市'];
  }

  /** A screen: its route, the tab opened there, what is done on it before it is read (a form opened, a pick made). */
  interface Screen {
    route: string;
    tab?: string;
    then?: (page: Page) => Promise<void>;
  }
  const pickEnterprise = async (page: Page) => {
    await page.selectOption('[data-testid=pick-enterprise]', chem.enterpriseId);
  };
  const ROLES: { user: string; password: () => string; phone?: boolean; screens: Screen[] }[] = [
    {
      user: 'duty-a',
      password: () => PASSWORD,
      screens: [
        // every alert, disposed ones included (on a phone the filters are folded first)
        {
          route: '/alerts',
          then: async (page) => {
            if (!(await page.isVisible('[data-testid=filter-state]'))) await page.click('[data-testid=filters-toggle]');
            await page.selectOption('[data-testid=filter-state]', 'all');
          },
        },
        { route: '/alerts/ALERT' },
        { route: '/tasks' },
        { route: '/tasks/TASK' },
        { route: '/enterprises' },
        { route: '/map', then: (page) => page.waitForSelector('[data-testid=area-map][data-drawn]').then(() => undefined) },
        { route: `/enterprises/${chem.enterpriseId}`, then: (page) => page.click('[data-testid="sensor-GT-101"]') },
        { route: '/stats' },
        { route: '/quality' },
      ],
    },
    { user: 'insp-a', password: () => PASSWORD, phone: true, screens: [{ route: '/tasks' }, { route: '/tasks/TASK' }] },
    {
      user: 'lead-city',
      password: () => PASSWORD,
      screens: [
        { route: '/stats' },
        { route: '/stats', tab: 'monthly' },
        { route: '/quality' },
        { route: '/alerts' },
        { route: '/enterprises' },
        { route: '/map', then: (page) => page.waitForSelector('[data-testid=area-map][data-drawn]').then(() => undefined) },
      ],
    },
    {
      user: 'admin',
      password: () => platform.adminToken,
      screens: [
        ...['users', 'enterprises', 'import', 'audit'].map((tab) => ({ route: '/admin', tab })),
        ...['gateways', 'registry', 'overrides', 'stops'].map((tab) => ({ route: '/admin', tab, then: pickEnterprise })),
      ],
    },
    // the enterprise's safety manager: its own alarms, answered first, and its quarterly self-inspections
    { user: 'mgr-chem', password: () => PASSWORD, screens: [{ route: '/alerts' }, { route: '/alerts/ALERT' }, { route: '/self-inspections' }] },
  ];

  it.each(LANGUAGES_AND_SIZES)(
    'shows nothing untranslated, nothing serious for axe, in %s (every role on a phone: %s)',
    async (lang, phone) => {
      const admin = new AdminClient(base, platform.adminToken);
      if (lang === 'zh' && !phone)
        await admin.ok('POST', '/api/v1/officers', {
          id: 'mgr-chem',
          name: '化工安全负责人',
          enterpriseId: chem.enterpriseId,
          role: 'safety_manager',
          password: PASSWORD,
        });
      const known = await knownStrings();
      const findings: LanguageFinding[] = [];
      const blocked: ({ screen: string } & Awaited<ReturnType<typeof accessibilityViolations>>[number])[] = [];
      for (const role of ROLES) {
        const w = await openPage(browser, { phone: phone || (role.phone ?? false), lang });
        // the browser's time is the platform's (simulated) time: "the last 7 days" end now, not in the platform's future
        await w.context.clock.setFixedTime(clock.now() - 1000);
        await signIn(w.page, base, role.user, role.password());
        for (const screen of role.screens) {
          const route = screen.route.replace('TASK', taskId).replace('ALERT', alertId);
          await w.page.evaluate((r) => (location.hash = r), route);
          if (screen.tab) await w.page.click(`[data-testid=tab-${screen.tab}]`);
          await settledScreenTexts(w.page);
          await screen.then?.(w.page);
          const name = `${role.user} ${route}${screen.tab ? ` ${screen.tab}` : ''}`;
          findings.push(...untranslated(name, await settledScreenTexts(w.page), lang, known));
          // and nothing serious or critical for axe-core, on every screen at every size
          blocked.push(...(await accessibilityViolations(w.page)).map((v) => ({ screen: name, ...v })));
        }
        expect(w.errors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
        await w.context.close();
      }
      expect(findings).toEqual([]);
      expect(blocked).toEqual([]);
      // five roles, 25 screens, each read and checked by axe-core: longer than one test's default minute
    },
    180_000,
  );
});
