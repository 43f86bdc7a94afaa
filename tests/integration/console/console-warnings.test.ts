/**
 * The console keeps point alarms (报警) and risk warnings (风险预警) apart (issue #17 item 3), in real
 * Chromium, in Chinese: a simulated gas leak on GT-101, a point of the plant's major hazard source 液氨储罐区,
 * raises alarms over MQTT → the rules worker; the risk warnings are judged from them. The enterprise board
 * shows the enterprise's warning level (filterable, with the counts per level apart from the alarm counts);
 * the enterprise file lists the warning's factors, the hazard source's level and the change of level (its
 * time in China Standard Time, from → to, the factors); the alarm list and detail show the alarm's own grade
 * and the enterprise's warning side by side, and whether this alarm is one of its factors. No English word
 * or code shows on these Chinese screens.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../core/clock.ts';
import { WARNING_NAMES, type WarningResult } from '../../../alerts/warnings/policy.ts';
import type { RiskWarning, RiskWarningEvent } from '../../../alerts/warnings/store.ts';
import type { Platform } from '../../../platform/platform.ts';
import { planFleet, provisionFleet } from '../../../simulators/fleet.ts';
import { SimGateway } from '../../../simulators/gateway.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { accessibilityViolations, launchBrowser, openPage, screenshot, signIn, type WatchedPage } from '../../../testkit/browser.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { runSimulation } from '../../../testkit/sim.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const SEED = 17;
const MIN = 60_000;
const START = Date.UTC(2026, 11, 5, 1); // 09:00 CST
const LEAK = START + 2 * MIN;
const PASSWORD = 'warnings-officer-pass';
const QUIET = 'A-QUIET-001';
const LEDGER = 'B-LEDGER-001';

const plan = planFleet({ seed: SEED, enterprises: 1, authorityId: 'county-a' });
const chem = plan.gateways[0]!;
const clock = new FakeClock(START);

let svc: TestServices;
let platform: Platform;
let sim: SimGateway;
let browser: Browser;
let base: string;
let officer: WatchedPage;
let enterprise: RiskWarning;
let source: RiskWarning;
let events: RiskWarningEvent[];
let redAlarm: string;

/** What must not show on the Chinese screens: level, kind and sector ids, rule ids, file paths, English a lookup fell back to. */
const NOT_CHINESE =
  /[a-z]+_[a-z]+|\b(none|blue|yellow|orange|red|alarm|standing|repeats|pattern|offline|silent|ledger|inherent|aggregate|warning|gas|combustible|undefined|null|NaN|platform|default)\b|\.(md|ts)\b/i;
/** The time as officers read it: 2026-12-05 09:13:00, Asia/Shanghai. */
const cst = (iso: string) => new Date(new Date(iso).getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
const name = (l: WarningResult) => WARNING_NAMES[l].zh;
const short = (l: WarningResult) => name(l).replace(/（.*$/, '');

beforeAll(async () => {
  svc = await startTestServices('console-warnings');
  ({ platform } = await startTestPlatform(
    svc,
    'console-warnings',
    { rules: { tickMs: 50, snapshotIntervalMs: 10 * MIN }, ingest: { maxFutureSkewMs: 10 * MIN }, notify: { escalation: {} } },
    { clock },
  ));
  base = `http://127.0.0.1:${platform.httpPort}`;
  const admin = new AdminClient(base, platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'county-a', name: '甲县应急管理局', level: 'county' });
  const secrets = await provisionFleet(plan, admin);
  await admin.ok('POST', `/api/v1/enterprises/${chem.enterpriseId}/hazard-sources`, {
    code: 'HZ-001',
    name: '液氨储罐区',
    rValue: 62.5, // 二级 (GB 18218-2018): lifts a warning of yellow or above one grade (the policy's default)
    persons: {
      main: { name: '张主要', phone: '13800138000' },
      technical: { name: '李技术', phone: '0591-87654321' },
      operational: { name: '王操作', phone: '13900000000' },
    },
  });
  await admin.ok('PATCH', `/api/v1/enterprises/${chem.enterpriseId}/sensors/GT-101`, { hazardSourceCode: 'HZ-001' });
  // two more, without alarms: one never judged (无预警), one with an overdue major hazard on its ledger (yellow, the policy's default)
  await admin.ok('POST', '/api/v1/enterprises', { id: QUIET, name: '甲县安全仓储', sector: 'hazardous_chemicals', authorityId: 'county-a' });
  await admin.ok('POST', '/api/v1/enterprises', { id: LEDGER, name: '甲县隐患化工', sector: 'hazardous_chemicals', authorityId: 'county-a' });
  await admin.ok('PATCH', `/api/v1/enterprises/${LEDGER}/ledger`, { riskFactors: ['overdue_major_hazard'] });
  await platform.warnings.evaluate(LEDGER);
  expect((await platform.warnings.store.ofEnterprise(LEDGER)).map((w) => w.level)).toEqual(['yellow']);
  await admin.ok('POST', '/api/v1/officers', { id: 'duty-a', name: '甲县值班员', authorityId: 'county-a', role: 'duty_officer', password: PASSWORD });
  sim = new SimGateway(chem, { secret: secrets.get(chem.gatewayId)!, port: platform.mqttPort, seed: SEED, readingsPerMessage: 200 });
  await sim.connect();
  await runSimulation(sim, () => platform, clock, START, LEAK + 12 * MIN, [
    { type: 'gas_leak', gatewayId: chem.gatewayId, sensorId: 'GT-101', startMs: LEAK, durationMs: 60 * MIN },
  ]);
  // the red alarm stands; the warnings are judged from it (on the alert-events announcement)
  const { rows } = await platform.db.query<{ id: string }>(
    `SELECT id FROM alerts WHERE enterprise_id = $1 AND subject = 'GT-101' AND severity = 'red' AND state = 'firing' ORDER BY started_at LIMIT 1`,
    [chem.enterpriseId],
  );
  expect(rows, 'the leak raised a red alarm on GT-101').toHaveLength(1);
  redAlarm = rows[0]!.id;
  await vi.waitFor(
    async () => {
      const now = await platform.warnings.store.ofEnterprise(chem.enterpriseId);
      source = now.find((w) => w.hazardSourceCode === 'HZ-001')!;
      enterprise = now.find((w) => w.hazardSourceCode === '')!;
      expect(
        source?.factors.some((f) => f.ref === redAlarm),
        'the red alarm is a factor of the hazard source',
      ).toBe(true);
      expect(enterprise?.level).toBe(source.level);
    },
    { timeout: 20_000, interval: 100 },
  );
  events = await platform.warnings.store.events(chem.enterpriseId);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await sim?.close();
  await platform?.stop();
  await svc?.stop();
});

describe('risk warnings apart from the alarms, in the Chinese console', () => {
  it('judged the plant: a red alarm in a 二级 major hazard source is a red warning (the default policy)', () => {
    // the red alarm gives an orange factor; the 二级 hazard source lifts it one grade; the enterprise takes its source's level
    expect(source.level).toBe('red');
    expect(enterprise.level).toBe('red');
    expect(events.length).toBeGreaterThan(0);
  });

  it('shows each enterprise’s warning level on the board, with the counts per level apart from the alarm counts, and filters by level', async () => {
    officer = await openPage(browser);
    await signIn(officer.page, base, 'duty-a', PASSWORD);
    await officer.page.goto(`${base}/#/enterprises`);
    const row = `[data-testid="enterprise-${chem.enterpriseId}"]`;
    await officer.page.waitForSelector(`${row} [data-testid=warning][data-level=${enterprise.level}]`);
    expect(await officer.page.textContent(`${row} [data-testid=warning]`)).toBe(name(enterprise.level));
    expect(await officer.page.textContent('[data-testid=board] thead')).toContain('风险预警');
    expect(await officer.page.textContent('[data-testid=board] thead')).toContain('未处置报警');
    const counts = (await officer.page.textContent('[data-testid=warning-counts]'))!;
    expect(counts).toMatch(/^风险预警企业数：/);
    expect(counts).toContain(`${short(enterprise.level)} 1`);
    expect(counts).toContain('蓝色预警 0');
    const alarms = (await officer.page.textContent('[data-testid=alarm-counts]'))!;
    expect(alarms).toMatch(/^未处置报警数：/);
    expect(alarms).toMatch(/红色 [1-9]/);
    for (const s of [counts, alarms, (await officer.page.textContent(`${row} [data-testid=warning]`))!]) expect(s).not.toMatch(NOT_CHINESE);

    const quiet = `[data-testid="enterprise-${QUIET}"]`;
    expect(await officer.page.textContent(`${quiet} [data-testid=warning]`)).toBe('无预警');
    expect(await officer.page.getAttribute(`${quiet} [data-testid=warning]`, 'data-level')).toBe('none');
    expect(await officer.page.textContent(`[data-testid="enterprise-${LEDGER}"] [data-testid=warning]`)).toBe('黄色预警（一般风险）');
    expect(counts).toContain('黄色预警 1');
    const order = () => officer.page.locator('[data-testid=board] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-testid')));
    const ids = (...xs: string[]) => xs.map((x) => `enterprise-${x}`);
    // the board's own order (open alarms first, then by id); sorted by warning level: red, yellow, none
    await expect.poll(order).toEqual(ids(chem.enterpriseId, QUIET, LEDGER));
    await officer.page.selectOption('[data-testid=sort-warning]', 'warning');
    await expect.poll(order).toEqual(ids(chem.enterpriseId, LEDGER, QUIET));
    await officer.page.selectOption('[data-testid=sort-warning]', '');
    await expect.poll(order).toEqual(ids(chem.enterpriseId, QUIET, LEDGER));

    // filtered by level: 无预警 shows only the quiet one, a level only its enterprises
    await officer.page.selectOption('[data-testid=filter-warning]', 'none');
    await officer.page.waitForSelector(row, { state: 'detached' });
    await expect.poll(order).toEqual(ids(QUIET));
    await officer.page.selectOption('[data-testid=filter-warning]', 'yellow');
    await expect.poll(order).toEqual(ids(LEDGER));
    await officer.page.selectOption('[data-testid=filter-warning]', enterprise.level);
    await officer.page.waitForSelector(row);
    await expect.poll(order).toEqual(ids(chem.enterpriseId));
    expect(await officer.page.locator('[data-testid=filter-warning] option').allTextContents()).toEqual([
      '预警等级: 全部',
      '红色预警（重大风险）',
      '橙色预警（较大风险）',
      '黄色预警（一般风险）',
      '蓝色预警（低风险）',
      '无预警',
    ]);
    await screenshot(officer.page, 'console-board-warnings');
    expect(await accessibilityViolations(officer.page)).toEqual([]);
  });

  it('lists the warning’s factors, the hazard source’s level and the changes of level in the enterprise file', async () => {
    await officer.page.click(`[data-testid="enterprise-${chem.enterpriseId}"]`);
    await officer.page.waitForSelector('[data-testid=risk-warnings] [data-testid=enterprise-warning-level]');
    const section = '[data-testid=risk-warnings]';
    expect(await officer.page.textContent(`${section} h3`)).toBe('风险预警');
    expect(await officer.page.textContent(`${section} [data-testid=enterprise-warning-level]`)).toBe(name(enterprise.level));
    expect(await officer.page.textContent(`${section} [data-testid=enterprise-warning]`)).toContain(`起始时间 ${cst(enterprise.since)}`);
    // the enterprise's factors: its hazard source's warning, each coloured by its level
    const own = officer.page.locator(`${section} [data-testid=enterprise-factors] li`);
    expect(await own.count()).toBe(enterprise.factors.length);
    expect(await officer.page.textContent(`${section} [data-testid=enterprise-factors]`)).toContain(`重大危险源 液氨储罐区（HZ-001）${name(source.level)}`);
    expect(await own.first().getAttribute('data-level')).toBe(enterprise.factors[0]!.level);
    // the hazard source's own level and factors: the red alarm on GT-101 (linked), and the lift of a 二级 source
    const hz = `${section} [data-testid=hazard-warning-HZ-001]`;
    const hzText = (await officer.page.textContent(hz))!;
    expect(hzText).toContain('液氨储罐区（HZ-001）');
    expect(hzText).toContain(name(source.level));
    expect(hzText).toContain('GT-101 红色报警');
    expect(hzText).toContain('二级重大危险源，预警升一级');
    expect(await officer.page.getAttribute(`${hz} a[href="#/alerts/${redAlarm}"]`, 'href')).toBe(`#/alerts/${redAlarm}`);
    expect(await officer.page.getAttribute(`${hz} li[data-kind=alarm][data-level=orange]`, 'class')).toContain('grade-orange');
    // the changes of level, newest first: time (CST), from → to, the factors that caused it
    const rows = officer.page.locator(`${section} [data-testid=warning-events] tbody tr`);
    expect(await rows.count()).toBe(events.length);
    const newest = events[0]!;
    const first = (await rows.first().textContent())!;
    expect(first.startsWith(cst(newest.at))).toBe(true);
    expect(cst(newest.at)).toMatch(/^2026-12-05 09:\d{2}:\d{2}$/);
    expect(first).toContain(`${short(newest.from)} → ${short(newest.to)}`);
    for (const f of newest.factors.filter((x) => x.kind === 'alarm')) expect(first).toContain(f.zh.replace(/（[a-z.]+）$/, ''));
    const toRed = events.find((e) => e.hazardSourceCode === '' && e.to === enterprise.level)!;
    expect(await officer.page.textContent(`${section} [data-testid=warning-event-${toRed.id}]`)).toContain(`企业整体${short(toRed.from)} → ${short(toRed.to)}`);
    // the policy's version and where its numbers come from, folded away
    expect(await officer.page.textContent(`${section} [data-testid=warning-policy] summary`)).toBe('预警规则版本 1 · 各项数值的依据');
    expect(await officer.page.isVisible(`${section} [data-testid=warning-policy] dl`)).toBe(false);
    await officer.page.click(`${section} [data-testid=warning-policy] summary`);
    const policy = (await officer.page.textContent(`${section} [data-testid=warning-policy] dl`))!;
    expect(policy).toContain('GB 18218-2018');
    expect(policy).toContain('平台默认值，由监管部门设定');
    expect(await officer.page.textContent(section)).not.toMatch(NOT_CHINESE);
    await screenshot(officer.page, 'console-enterprise-warnings');
    expect(await accessibilityViolations(officer.page)).toEqual([]);
  });

  it('shows the alarm’s grade and the enterprise’s warning side by side, and that the alarm is one of its factors', async () => {
    await officer.page.click(`[data-testid=risk-warnings] [data-testid=hazard-warning-HZ-001] a[href="#/alerts/${redAlarm}"]`);
    await officer.page.waitForSelector('section.detail [data-testid=alarm-risk]');
    expect(await officer.page.textContent('section.detail [data-testid=alarm-grade]')).toBe('红色');
    expect(await officer.page.textContent('section.detail [data-testid=enterprise-risk]')).toBe(`企业风险：${short(enterprise.level)}`);
    expect(await officer.page.getAttribute('section.detail [data-testid=alarm-factor]', 'data-factor')).toBe('true');
    expect(await officer.page.textContent('section.detail [data-testid=alarm-factor]')).toBe('本报警是企业风险预警的成因之一');
    expect(await officer.page.textContent('section.detail [data-testid=alarm-risk]')).not.toMatch(NOT_CHINESE);
    expect(await accessibilityViolations(officer.page)).toEqual([]);

    // the alarm list: each alarm with the enterprise's warning beside its grade
    await officer.page.click('header.top nav a[href="#/alerts"]');
    const item = `[data-testid="alert-${redAlarm}"]`;
    await officer.page.waitForSelector(`${item} [data-testid=enterprise-risk][data-level=${enterprise.level}]`);
    expect(await officer.page.textContent(`${item} .chip.grade-red`)).toBe('红色');
    expect(await officer.page.textContent(`${item} [data-testid=enterprise-risk]`)).toBe(`企业风险：${short(enterprise.level)}`);
    expect(await officer.page.textContent('header.top nav')).toContain('报警');
    expect(await officer.page.textContent('[data-testid=red-banner]')).toContain('红色报警未处置');
    await screenshot(officer.page, 'console-alerts-warnings');

    // in English: alarm and risk warning, not one word for both
    await officer.page.click('[data-testid=lang]');
    await officer.page.waitForSelector(`${item} [data-testid=enterprise-risk]:has-text("Enterprise risk: ${enterprise.level} warning")`);
    expect(await officer.page.textContent('header.top nav')).toContain('Alarms');
    await officer.page.click('[data-testid=lang]');
    expect(officer.errors).toEqual([]);
  });
});
