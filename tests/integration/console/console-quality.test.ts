/**
 * The console's 报警质量 (alarm quality) and 停产检修 (planned stops) screens in real Chromium, in Chinese
 * (issue #17 items 4 and 5): a pressure transmitter of 示例化工厂 has two instrument-fault episodes over MQTT
 * (the rules worker makes one alarm of each), and eleven gas alarms of 乙化工 within five minutes (stored through
 * the alert store) make a flood of the county; the platform admin opens 报警质量 and reads 13 alarms, one flood
 * (示例县应急管理局, from–to in China Standard Time, peak 11), the enterprises by name with their daily figures,
 * and the bad actors named for people (示例化工厂 · PT-101 反应釜压力 · 仪表故障（冻结/超量程/突降为零） · 2 ·
 * 15.4%; 乙化工's detectors · 可燃气体浓度报警), with the limits and their sources. Then,
 * in 停产检修, a stop with no reason is refused in Chinese with the field named; a maintenance of the
 * transmitter from five minutes ago is registered (the times entered in China Standard Time reach the
 * server with +08:00), listed as 进行中 with its held-back count, and ended after a confirmation (the API
 * confirms); a future one is listed as 计划中 and cancelled. Neither screen shows English words or codes.
 */
import type { MqttClient } from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeReadings, topics } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import { storeFiredAlert } from '../../../testkit/alerts.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { accessibilityViolations, launchBrowser, openPage, screenshot, signIn, type WatchedPage } from '../../../testkit/browser.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let admin: AdminClient;
let client: MqttClient;
let browser: Browser;
let base: string;
let page: WatchedPage;
const PASSWORD = 'quality-admin-password';
const MIN = 60_000;
const CST = 8 * 3_600_000;

/** What must not show on a Chinese screen: snake_case or dotted codes, status/scope/kind ids, English words a lookup fell back to, raw ISO times. */
const CODES = /[a-z]+_[a-z]+|\b[a-z]+\.[a-z_]+\b|\d{4}-\d{2}-\d{2}T\d/;
const ENGLISH =
  /\b(undefined|null|NaN|true|false|planned|active|overrunning|ended|cancelled|production|maintenance|enterprise|zone|gateway|points|hazard|instrument|fault|common|raised|standing|chattering|fleeting|suppressed|flood|user|from|to)\b/i;

const t0 = Date.now() - 30 * MIN;
const FLOOD = Date.now() - 2 * 3_600_000;

/** Publishes PT-1 values 5 s apart from `from`; returns the time after the last. */
async function pressure(from: number, values: number[]): Promise<number> {
  const readings = values.map((value, i) => ({ sensor: 'PT-1', value, unit: 'MPa', quality: 'good' as const, ts: from + i * 5000 }));
  await publish(client, topics.readings('EQ', 'GQ'), encodeReadings(readings));
  await platform.rules.drained();
  return from + values.length * 5000;
}

/** A `datetime-local` value for a time, China Standard Time. */
const cstInput = (ms: number) => new Date(ms + CST).toISOString().slice(0, 16);

interface ApiStop {
  id: string;
  status: string;
  targets: string[];
  kind: string;
  startsAt: string;
  expectedEndAt: string;
  endedAt: string | null;
  cancelledAt: string | null;
  suppressedAlerts: number;
}

beforeAll(async () => {
  svc = await startTestServices('console-quality');
  ({ platform } = await startTestPlatform(svc, 'console-quality', { rules: { tickMs: 50, snapshotIntervalMs: 200 } }));
  base = `http://127.0.0.1:${platform.httpPort}`;
  admin = new AdminClient(base, platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'city', name: '示例市应急管理局', level: 'city' });
  await admin.ok('POST', '/api/v1/authorities', { id: 'county-q', name: '示例县应急管理局', level: 'county', parentId: 'city' });
  await admin.ok('POST', '/api/v1/officers', { id: 'chief', name: '张管理', authorityId: 'city', role: 'admin', password: PASSWORD });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'EQ', name: '示例化工厂', sector: 'hazardous_chemicals', authorityId: 'county-q' });
  const gw = await admin.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: 'GQ', enterpriseId: 'EQ' });
  await admin.ok('POST', '/api/v1/sensors', {
    id: 'PT-1',
    enterpriseId: 'EQ',
    gatewayId: 'GQ',
    kind: 'pressure',
    unit: 'MPa',
    periodS: 5,
    name: '反应釜压力',
    tagNo: 'PT-101',
    zone: '合成车间',
    range: { min: 0, max: 2.5 },
    resolution: 0.001,
  });
  // a second plant's combustible-gas detectors: eleven alarms within five minutes, an alarm flood of the county
  await admin.ok('POST', '/api/v1/enterprises', { id: 'EF', name: '乙化工', sector: 'hazardous_chemicals', authorityId: 'county-q' });
  await admin.ok('POST', '/api/v1/gateways', { id: 'GF', enterpriseId: 'EF' });
  for (let i = 1; i <= 11; i++) {
    await admin.ok('POST', '/api/v1/sensors', {
      id: `GT-${i}`,
      enterpriseId: 'EF',
      gatewayId: 'GF',
      kind: 'combustible_gas',
      unit: '%LEL',
      periodS: 5,
      name: `可燃气体探测器${i}`,
      tagNo: `GT-${100 + i}`,
    });
    await storeFiredAlert(platform.db, {
      id: `flood-${i}`,
      enterpriseId: 'EF',
      ruleId: 'gas.combustible',
      severity: 'orange',
      subject: `GT-${i}`,
      at: FLOOD + i * 30_000,
    });
  }
  client = await connect(platform.mqttPort, { clientId: 'GQ', username: 'GQ', password: gw.secret });
  // two instrument-fault episodes: a drop to zero then below the range; ten minutes later above the range
  let t = await pressure(t0, [1.2, 1.21, 1.19, 1.2]);
  t = await pressure(t, [0, 0, -0.4, -0.4, 0, 1.2, 1.21, 1.2, 1.19, 1.2, 1.21, 1.2, 1.19, 1.2, 1.21, 1.2]);
  await pressure(t + 10 * MIN, [1.2, 3.1, 3.1, 1.2, 1.21, 1.2]);
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  client?.end(true);
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
});

const text = async (selector: string) => (await page.page.textContent(selector)) ?? '';

describe('报警质量 (alarm quality)', () => {
  it('shows the counts, the enterprises by name with their days, the flood and the bad actors named in Chinese', async () => {
    const report = await admin.ok<{
      totals: { raised: number; suppressed: number; standing: number; chattering: number; fleeting: number; floods: number };
      floods: { authorityId: string; startedAt: number; endedAt: number; peak: number; alarms: number }[];
      names: { rules: Record<string, { zh: string; en: string }>; points: Record<string, Record<string, string>> };
    }>('GET', '/api/v1/alarm-quality');
    // the bad actors' rule (or group) names from the catalogue in force, and their points' tag numbers and names
    expect(report.names.rules).toEqual({
      'common.instrument_fault': { zh: '仪表故障（冻结/超量程/突降为零）', en: 'Instrument fault (frozen, out of range, dropped to zero)' },
      'gas.combustible': { zh: '可燃气体浓度报警', en: 'Combustible gas alarm' },
    });
    expect(report.names.points.EQ).toEqual({ 'PT-1': 'PT-101 反应釜压力' });
    expect(report.totals).toMatchObject({ raised: 13, floods: 1 });
    expect(report.floods).toEqual([{ authorityId: 'county-q', startedAt: FLOOD + 30_000, endedAt: FLOOD + 11 * 30_000, peak: 11, alarms: 11 }]);
    page = await openPage(browser);
    await signIn(page.page, base, 'chief', PASSWORD);
    await page.page.click('header.top nav a:has-text("报警质量")');
    await page.page.waitForSelector('[data-testid=quality-bad-actor-0]');

    const kpi = (id: string) => text(`[data-testid=kpi-${id}] [data-testid=value]`);
    expect(await kpi('raised')).toBe('13');
    expect(await kpi('floods')).toBe('1');
    for (const k of ['suppressed', 'standing', 'chattering', 'fleeting'] as const) expect(await kpi(k)).toBe(String(report.totals[k]));
    expect(await text('[data-testid=kpi-per-ten]')).toContain('≤1 可接受，≤2 可管理');
    // the authority select: the caller's own jurisdiction by default (the platform's admin: all), the ones below to pick
    expect(await page.page.locator('[data-testid=quality-authority] option').allTextContents()).toEqual(['全部辖区', '示例市应急管理局']);
    expect(await page.page.inputValue('[data-testid=quality-period]')).toBe('7');

    // the enterprises by name, most alarms first; one's days on demand
    expect(await page.page.locator('[data-testid=quality-enterprises] tbody tr td:first-child').allTextContents()).toEqual(['乙化工', '示例化工厂']);
    await page.page.click('[data-testid=quality-days-EQ]');
    const today = new Date(t0 + CST).toISOString().slice(0, 10);
    await page.page.waitForSelector(`[data-testid=quality-day-EQ-${today}]`);
    expect(await text(`[data-testid=quality-day-EQ-${today}]`)).toContain(`日期 ${today}`);

    // the flood: the county by name, from–to in China Standard Time, the peak
    const stamp = (ms: number) => new Date(ms + CST).toISOString().slice(0, 19).replace('T', ' ');
    expect(await page.page.locator('[data-testid=quality-floods] tbody tr td').allTextContents()).toEqual([
      '示例县应急管理局',
      stamp(FLOOD + 30_000),
      stamp(FLOOD + 11 * 30_000),
      '11',
      '11',
    ]);

    // the bad actors: enterprise, point, rule in Chinese, count, share
    const rows = page.page.locator('[data-testid=quality-bad-actors] tbody tr');
    const actors: string[][] = [];
    for (let i = 0; i < (await rows.count()); i++) actors.push(await rows.nth(i).locator('td').allTextContents());
    expect(actors).toHaveLength(10);
    expect(actors[0]).toEqual(['示例化工厂', 'PT-101 反应釜压力', '仪表故障（冻结/超量程/突降为零）', '2', '15.4%']);
    for (const row of actors.slice(1)) {
      expect(row).toEqual(['乙化工', expect.stringMatching(/^GT-1\d\d 可燃气体探测器\d+$/), '可燃气体浓度报警', '1', '7.7%']);
    }

    // the limits, collapsed, with their sources
    await page.page.click('[data-testid=quality-limits] summary');
    const limits = await text('[data-testid=quality-limits]');
    expect(limits).toContain('报警泛滥：时间窗内报警数超过10 条');
    expect(limits).toContain('EEMUA 191 / ISA-18.2：10 分钟内超过 10 条为报警泛滥');
    expect(limits).toContain('平台默认值，由监管部门设定');

    const screen = await text('[data-testid=quality]');
    expect(screen).not.toMatch(CODES);
    expect(screen).not.toMatch(ENGLISH);
    expect(await accessibilityViolations(page.page)).toEqual([]);
    await screenshot(page.page, 'alarm-quality');

    // the language switch: the same screen in English, the rule named from the catalogue's English side
    await page.page.click('[data-testid=lang]');
    await page.page.waitForSelector('[data-testid=quality] h3:has-text("Top ten alarm sources")');
    expect(await page.page.locator('[data-testid=quality-bad-actor-0] td').nth(2).textContent()).toBe(
      'Instrument fault (frozen, out of range, dropped to zero)',
    );
    await page.page.click('[data-testid=lang]');
    await page.page.waitForSelector('[data-testid=quality] h3:has-text("前十报警源")');

    // 30 days and the city: the same alarms
    await page.page.selectOption('[data-testid=quality-period]', '30');
    await page.page.selectOption('[data-testid=quality-authority]', 'city');
    await page.page.waitForSelector('[data-testid=quality-bad-actor-0]');
    expect(await kpi('raised')).toBe('13');
  });
});

describe('停产检修 (planned stops)', () => {
  const stops = async () => (await admin.ok<{ stops: ApiStop[] }>('GET', '/api/v1/enterprises/EQ/stops')).stops;

  it('refuses a stop without a reason in Chinese, naming the field', async () => {
    await page.page.goto(`${base}/#/admin`);
    await page.page.click('[data-testid=tab-stops]');
    await page.page.selectOption('[data-testid=stops] [data-testid=pick-enterprise]', 'EQ');
    await page.page.waitForSelector('[data-testid=stop-list] td:has-text("没有停产检修记录")');
    await page.page.fill('[data-testid=stop-form] input[name=personName]', '刘检修');
    await page.page.fill('[data-testid=stop-form] input[name=personPhone]', '13800138000');
    await page.page.click('[data-testid=stop-register]');
    const note = await page.page.waitForSelector('[data-testid=stops] p.error');
    expect(await note.textContent()).toBe('原因：停产/检修原因必填');
    expect(await stops()).toEqual([]);
  });

  it('registers a maintenance of a point, lists it as 进行中 with its held-back count, and ends it after a confirmation', async () => {
    const form = '[data-testid=stop-form]';
    await page.page.selectOption(`${form} select[name=scope]`, 'points');
    expect(await page.page.locator(`${form} select[name=targets] option`).allTextContents()).toEqual(['PT-101 反应釜压力']);
    await page.page.selectOption(`${form} select[name=targets]`, ['PT-1']);
    await page.page.selectOption(`${form} select[name=kind]`, 'maintenance');
    await page.page.fill(`${form} input[name=reason]`, '压力变送器更换');
    await page.page.fill(`${form} input[name=personName]`, '刘检修');
    await page.page.fill(`${form} input[name=personPhone]`, '13800138000');
    const start = Math.floor((Date.now() - 5 * MIN) / MIN) * MIN;
    await page.page.fill(`${form} input[name=startsAt]`, cstInput(start));
    await page.page.fill(`${form} input[name=expectedEndAt]`, cstInput(start + 4 * 3_600_000));
    await page.page.click('[data-testid=stop-register]');
    await page.page.waitForSelector('[data-testid=stops] [data-testid=admin-note]:has-text("已登记停产检修")');

    const [stop] = await stops();
    expect(stop).toMatchObject({ status: 'active', kind: 'maintenance', targets: ['PT-1'], endedAt: null });
    // entered in China Standard Time: the same instant
    expect(Date.parse(stop!.startsAt)).toBe(start);
    expect(Date.parse(stop!.expectedEndAt)).toBe(start + 4 * 3_600_000);

    const row = `[data-testid=stop-${stop!.id}]`;
    expect(await text(`${row} [data-testid=stop-status]`)).toBe('进行中');
    expect(await text(`${row} [data-testid=stop-suppressed]`)).toBe(String(stop!.suppressedAlerts));
    const cells = await text(row);
    for (const s of [
      '检修',
      '测点',
      'PT-101 反应釜压力',
      '压力变送器更换',
      '刘检修13800138000',
      new Date(start + CST).toISOString().slice(0, 16).replace('T', ' '),
    ])
      expect(cells).toContain(s);

    await page.page.click(`${row} [data-testid=stop-end]`);
    expect(await text(`${row} [data-testid=stop-confirm]`)).toContain('确认恢复生产、结束此次停产检修？');
    await page.page.click(`${row} [data-testid=stop-confirm-yes]`);
    await page.page.waitForSelector(`${row}[data-status=ended]`);
    expect(await text(`${row} [data-testid=stop-status]`)).toBe('已结束');
    const ended = (await stops()).find((s) => s.id === stop!.id)!;
    expect(ended.status).toBe('ended');
    expect(ended.endedAt).not.toBeNull();
  });

  it('lists a future stop of the whole enterprise as 计划中 and cancels it; the screen shows no English or codes', async () => {
    const form = '[data-testid=stop-form]';
    await page.page.selectOption(`${form} select[name=scope]`, 'enterprise');
    await page.page.selectOption(`${form} select[name=kind]`, 'production_stop');
    await page.page.fill(`${form} input[name=reason]`, '春节停产');
    await page.page.fill(`${form} input[name=personName]`, '王厂长');
    await page.page.fill(`${form} input[name=personPhone]`, '0591-87654321');
    const start = Math.floor((Date.now() + 2 * 24 * 3_600_000) / MIN) * MIN;
    await page.page.fill(`${form} input[name=startsAt]`, cstInput(start));
    await page.page.fill(`${form} input[name=expectedEndAt]`, cstInput(start + 3 * 24 * 3_600_000));
    await page.page.click('[data-testid=stop-register]');
    await page.page.waitForSelector('[data-testid=stop-list] tr[data-status=planned]');
    const planned = (await stops()).find((s) => s.status === 'planned')!;
    const row = `[data-testid=stop-${planned.id}]`;
    expect(await text(`${row} [data-testid=stop-status]`)).toBe('计划中');
    expect(await text(row)).toContain('全厂所有测点和网关');
    // not begun: it can only be cancelled
    expect(await page.page.locator(`${row} [data-testid=stop-end]`).count()).toBe(0);

    const list = await text('[data-testid=stops]');
    expect(list).not.toMatch(CODES);
    expect(list).not.toMatch(ENGLISH);
    expect(await accessibilityViolations(page.page)).toEqual([]);
    await screenshot(page.page, 'admin-planned-stops');

    await page.page.click(`${row} [data-testid=stop-cancel]`);
    await page.page.click(`${row} [data-testid=stop-confirm-yes]`);
    await page.page.waitForSelector(`${row}[data-status=cancelled]`);
    expect(await text(`${row} [data-testid=stop-status]`)).toBe('已取消');
    expect((await stops()).find((s) => s.id === planned.id)!.cancelledAt).not.toBeNull();
  });
});
