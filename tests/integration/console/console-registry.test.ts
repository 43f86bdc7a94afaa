/**
 * The console's point registry (测点登记, issue #17 items 1 and 2) in real Chromium, in Chinese: an admin
 * opens the registry of a provisioned enterprise, sees tag numbers, indicator codes and thresholds, filters
 * by state, hazard source and text, edits a threshold and a link (the platform's warning on a level point
 * without its inlet valve shown; the server's state checked through the API), is refused a CAS number with
 * a wrong check digit (the reason in Chinese), stops a point with a reason (已停用, the reason, the person
 * and the time) and puts it back in use, and registers, changes and deletes a major hazard source (the level
 * R gives shown while typing). The Chinese screen shows no English words or raw codes; the language switch
 * shows English. The point list goes in through the real import route (a list with a bad row refused whole, its
 * problem shown by row and column; a good one checked, then imported, with its counts) and comes out through
 * the export link (a UTF-8 CSV with its BOM and Chinese header row).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { accessibilityViolations, launchBrowser, openPage, screenshot, signIn, type WatchedPage } from '../../../testkit/browser.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let browser: Browser;
let base: string;
let admin: AdminClient;
let page: WatchedPage;
const PASSWORD = 'registry-admin-password';

interface ApiPoint {
  id: string;
  tagNo: string;
  marks?: Record<string, number>;
  links?: Record<string, string[]>;
  casNo?: string;
  stopped?: { at: string; reason: string; by: string };
}

const persons = (n: number) => ({
  main: { name: '王主要', phone: `1380013800${n}` },
  technical: { name: '李技术', phone: `1390013900${n}` },
  operational: { name: '陈操作', phone: `1370013700${n}` },
});

beforeAll(async () => {
  svc = await startTestServices('console-registry');
  ({ platform } = await startTestPlatform(svc, 'console-registry', { parts: ['gateway', 'api'] }));
  base = `http://127.0.0.1:${platform.httpPort}`;
  admin = new AdminClient(base, platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'city', name: '示例市应急管理局', level: 'city' });
  await admin.ok('POST', '/api/v1/officers', { id: 'chief', name: '张管理', authorityId: 'city', role: 'admin', password: PASSWORD });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '甲化工', sector: 'hazardous_chemicals', authorityId: 'city' });
  await admin.ok('POST', '/api/v1/gateways', { id: 'G1', enterpriseId: 'E1' });
  await admin.ok('POST', '/api/v1/enterprises/E1/hazard-sources', { code: 'HZ-1', name: '甲类罐区', rValue: 60, persons: persons(1) });
  const point = (p: Record<string, unknown>) => admin.ok('POST', '/api/v1/sensors', { enterpriseId: 'E1', gatewayId: 'G1', periodS: 5, ...p });
  await point({ id: 'XV101', kind: 'valve', tagNo: 'XV-101', name: '1号储罐进料阀', zone: 'TK1' });
  await point({ id: 'XV102', kind: 'valve', tagNo: 'XV-102', name: '1号储罐备用进料阀', zone: 'TK1' });
  await point({
    id: 'LT101',
    kind: 'level',
    unit: 'm',
    tagNo: 'LT-101',
    name: '1号储罐液位',
    zone: 'TK1',
    location: '罐区东侧',
    range: { min: 0, max: 10 },
    marks: { low: 1, high: 8, highHigh: 9 },
    hazardSourceCode: 'HZ-1',
    links: [{ relation: 'inlet_valve', target: 'XV101' }],
  });
  await point({
    id: 'AT201',
    kind: 'combustible_gas',
    unit: '%LEL',
    tagNo: 'AT-201',
    name: '装卸区可燃气体',
    casNo: '74-82-8',
    marks: { high: 20, highHigh: 40 },
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
});

const pointsOf = async (): Promise<Map<string, ApiPoint>> =>
  new Map((await admin.ok<{ sensors: ApiPoint[] }>('GET', '/api/v1/enterprises/E1/sensors')).sensors.map((p) => [p.id, p]));
const registryText = async () => (await page.page.textContent('[data-testid=registry]')) ?? '';
const rowText = async (id: string) => (await page.page.textContent(`[data-testid=point-${id}]`)) ?? '';
const editorNote = '[data-testid=point-editor] [data-testid=admin-note]';
/** What must not show on the Chinese screen: kind, relation and state ids, snake_case codes, English words a lookup fell back to. */
const NOT_CHINESE = /[a-z]+_[a-z]+|\b(stopped|inUse|level|valve|flow|gas|combustible|inlet|hazard|undefined|null|NaN|true|false|user)\b/;

describe('the point registry', () => {
  it('shows an enterprise’s points with tag numbers, indicator codes, thresholds and links, in Chinese only', async () => {
    page = await openPage(browser);
    await signIn(page.page, base, 'chief', PASSWORD);
    await page.page.waitForSelector('[data-testid=admin]');
    await page.page.click('[data-testid=tab-registry]');
    await page.page.selectOption('[data-testid=pick-enterprise]', 'E1');
    await page.page.waitForSelector('[data-testid=point-LT101]');
    const lt = page.page.locator('[data-testid=point-LT101]');
    expect(await lt.locator('[data-testid=tag]').textContent()).toBe('LT-101');
    expect(await lt.locator('[data-testid=mark-lowLow]').textContent()).toBe('');
    expect(await lt.locator('[data-testid=mark-low]').textContent()).toBe('1');
    expect(await lt.locator('[data-testid=mark-high]').textContent()).toBe('8');
    expect(await lt.locator('[data-testid=mark-highHigh]').textContent()).toBe('9');
    const row = await rowText('LT101');
    for (const s of ['YW 液位', '0–10', '甲类罐区', 'TK1 / 罐区东侧', '在用']) expect(row).toContain(s);
    expect(await lt.locator('[data-testid=point-links]').textContent()).toBe('进料阀 → XV-101');
    expect(await rowText('AT201')).toContain('KRQT 可燃气体');
    expect(await rowText('XV101')).toContain('FMZT 阀门开关状态');
    expect(await registryText()).not.toMatch(NOT_CHINESE);
    expect(await accessibilityViolations(page.page)).toEqual([]);
    await screenshot(page.page, 'admin-registry');

    // filters: by hazard source, by text (tag or name), by state
    await page.page.selectOption('[data-testid=filter-hazard-source]', 'HZ-1');
    await page.page.waitForSelector('[data-testid=point-AT201]', { state: 'detached' });
    expect(await page.page.locator('[data-testid=points] tbody tr').count()).toBe(1);
    await page.page.selectOption('[data-testid=filter-hazard-source]', '');
    await page.page.fill('[data-testid=point-search]', '进料阀');
    await page.page.waitForSelector('[data-testid=point-LT101]', { state: 'detached' });
    expect(await page.page.locator('[data-testid=points] tbody tr').count()).toBe(2);
    await page.page.fill('[data-testid=point-search]', 'at-2');
    await page.page.waitForSelector('[data-testid=point-XV101]', { state: 'detached' });
    expect(await page.page.locator('[data-testid=points] tbody tr').count()).toBe(1);
    await page.page.fill('[data-testid=point-search]', '');
    await page.page.selectOption('[data-testid=filter-point-state]', 'stopped');
    await page.page.waitForSelector('[data-testid=points] tbody tr:has-text("没有符合条件的测点")');
    await page.page.selectOption('[data-testid=filter-point-state]', '');
    await page.page.waitForSelector('[data-testid=point-LT101]');

    // the language switch shows the same screen in English
    await page.page.click('[data-testid=lang]');
    await page.page.waitForSelector('[data-testid=registry] th:has-text("Tag no.")');
    expect(await page.page.locator('[data-testid=point-LT101] [data-testid=point-links]').textContent()).toBe('inlet valve → XV-101');
    expect(await rowText('LT101')).toContain('In use');
    await page.page.click('[data-testid=lang]');
    await page.page.waitForSelector('[data-testid=registry] th:has-text("位号")');
  });

  it('edits a threshold and a link: marks only as the kind allows, targets only as the relation allows, the platform’s warnings shown', async () => {
    await page.page.click('[data-testid=edit-LT101]');
    const editor = page.page.locator('[data-testid=point-editor]');
    await editor.waitFor();
    // a level point takes all four marks; its relations are the inlet valve, the production and the ventilation signals
    expect(await editor.locator('input[name=lowLow]').count()).toBe(1);
    expect(await editor.locator('[data-testid=link-relation-0] option').allTextContents()).toEqual(['进料阀', '所属生产装置运行信号', '通风/除尘系统运行信号']);
    // an inlet valve is a valve: the gas detector and the tank itself are not offered
    expect(await editor.locator('[data-testid=link-target-0] option').allTextContents()).toEqual(['—', 'XV-101 1号储罐进料阀', 'XV-102 1号储罐备用进料阀']);
    expect(await page.page.textContent('[data-testid=point-editor]')).not.toMatch(NOT_CHINESE);

    // marks out of order are refused before anything is sent, in Chinese
    await editor.locator('input[name=high]').fill('9.5');
    await editor.locator('[data-testid=save-point]').click();
    await page.page.waitForSelector(`${editorNote}.error:has-text("报警值应满足 低低报 ≤ 低报 ≤ 高报 ≤ 高高报")`);
    expect((await pointsOf()).get('LT101')!.marks).toEqual({ low: 1, high: 8, highHigh: 9 });

    // drop the inlet valve link and raise the high mark: the overfill interlock rule now finds its valve by zone, and says so
    await editor.locator('input[name=high]').fill('8.5');
    await editor.locator('[data-testid=link-editor] button:has-text("移除")').click();
    await editor.locator('[data-testid=save-point]').click();
    await page.page.waitForSelector(`${editorNote}.ok`);
    await page.page.waitForSelector('[data-testid=point-warnings]:has-text("测点 LT-101：规则「储罐高高液位联锁失效」未登记“进料阀”关联，按区域TK1匹配")');
    // the rule by its name, not its id
    expect(await page.page.textContent('[data-testid=point-warnings]')).not.toMatch(NOT_CHINESE);
    let lt = (await pointsOf()).get('LT101')!;
    expect(lt.marks).toEqual({ low: 1, high: 8.5, highHigh: 9 });
    expect(lt.links).toBeUndefined();
    expect(await page.page.locator('[data-testid=point-LT101] [data-testid=mark-high]').textContent()).toBe('8.5');

    // link the other valve
    await editor.locator('[data-testid=add-link]').click();
    await editor.locator('[data-testid=link-relation-0]').selectOption('inlet_valve');
    await editor.locator('[data-testid=link-target-0]').selectOption('XV102');
    await editor.locator('[data-testid=save-point]').click();
    await page.page.waitForSelector('[data-testid=point-LT101] [data-testid=point-links]:has-text("进料阀 → XV-102")');
    expect(await page.page.locator('[data-testid=point-warnings]:has-text("进料阀")').count()).toBe(0);
    lt = (await pointsOf()).get('LT101')!;
    expect(lt.links).toEqual({ inlet_valve: ['XV102'] });
    expect(lt.marks).toEqual({ low: 1, high: 8.5, highHigh: 9 });
    await screenshot(page.page, 'admin-registry-edit');

    // a gas point alarms upwards only: no low marks offered; a wrong CAS check digit is refused, in Chinese
    await page.page.click('[data-testid=edit-AT201]');
    await page.page.waitForSelector('[data-testid=point-editor] h3:has-text("AT-201")');
    expect(await editor.locator('input[name=low]').count()).toBe(0);
    expect(await editor.locator('input[name=lowLow]').count()).toBe(0);
    expect(await editor.locator('input[name=highHigh]').count()).toBe(1);
    await editor.locator('input[name=casNo]').fill('74-82-9');
    await editor.locator('[data-testid=save-point]').click();
    await page.page.waitForSelector(`${editorNote}.error`);
    const refusal = (await page.page.textContent(editorNote))!;
    expect(refusal).toContain('CAS 号：CAS 号校验位不符');
    expect(refusal).not.toMatch(/[a-z]{3,}/);
    expect((await pointsOf()).get('AT201')!.casNo).toBe('74-82-8');
    expect(await accessibilityViolations(page.page)).toEqual([]);
    await editor.locator('button:has-text("取消")').last().click();
    await editor.waitFor({ state: 'detached' });
  });

  it('stops a point with a reason (已停用, who and when) and puts it back in use', async () => {
    await page.page.click('[data-testid=stop-AT201]');
    // the reason is required
    expect(await page.page.isDisabled('[data-testid=confirm-stop]')).toBe(true);
    await page.page.fill('[data-testid=stop-reason]', '探头送检');
    await page.page.click('[data-testid=confirm-stop]');
    await page.page.waitForSelector('[data-testid=point-AT201] [data-testid=point-state]:has-text("已停用")');
    const stopped = (await pointsOf()).get('AT201')!.stopped!;
    expect(stopped).toMatchObject({ reason: '探头送检', by: 'user:chief' });
    const at = new Intl.DateTimeFormat('sv-SE', {
      timeZone: 'Asia/Shanghai',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
    }).format(new Date(stopped.at));
    expect(at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const state = await page.page.textContent('[data-testid=point-AT201] [data-testid=point-state]');
    expect(state).toBe(`已停用 探头送检张管理 · ${at}`);
    expect(await registryText()).not.toMatch(NOT_CHINESE);
    await page.page.selectOption('[data-testid=filter-point-state]', 'inUse');
    await page.page.waitForSelector('[data-testid=point-AT201]', { state: 'detached' });
    await page.page.selectOption('[data-testid=filter-point-state]', 'stopped');
    await page.page.waitForSelector('[data-testid=point-LT101]', { state: 'detached' });
    expect(await page.page.locator('[data-testid=points] tbody tr').count()).toBe(1);
    await screenshot(page.page, 'admin-registry-stopped');

    await page.page.click('[data-testid=resume-AT201]');
    await page.page.waitForSelector('[data-testid=points] tbody tr:has-text("没有符合条件的测点")');
    await page.page.selectOption('[data-testid=filter-point-state]', '');
    await page.page.waitForSelector('[data-testid=point-AT201] [data-testid=point-state]:has-text("在用")');
    expect((await pointsOf()).get('AT201')!.stopped).toBeUndefined();
  });

  it('registers, changes and deletes a major hazard source, the level R gives shown as it is typed', async () => {
    const form = page.page.locator('[data-testid=hazard-form]');
    await form.locator('input[name=code]').fill('HZ-2');
    await form.locator('input[name=name]').fill('乙类仓库');
    await form.locator('input[name=rValue]').fill('12');
    await page.page.waitForSelector('[data-testid=level-hint]:has-text("按 R 值定级：三级")');
    for (const [role, n] of [
      ['main', '赵一'],
      ['technical', '钱二'],
      ['operational', '孙三'],
    ] as const) {
      await form.locator(`input[name=${role}Name]`).fill(n);
      await form.locator(`input[name=${role}Phone]`).fill(role === 'technical' ? '12345' : '0591-87654321');
    }
    // a wrong phone is refused, the person and field named in Chinese
    await form.locator('[data-testid=save-hazard]').click();
    const hazardNote = '[data-testid=hazard-admin] [data-testid=admin-note]';
    await page.page.waitForSelector(`${hazardNote}.error`);
    const refusal = (await page.page.textContent(hazardNote))!;
    expect(refusal).toContain('技术负责人 · 电话：“12345”不是有效的电话号码');
    expect(refusal).not.toMatch(/[a-z]{3,}/);
    await form.locator('input[name=technicalPhone]').fill('0591-87654321');
    await form.locator('[data-testid=save-hazard]').click();
    await page.page.waitForSelector('[data-testid=hazard-HZ-2]:has-text("三级")');
    const sources = async () =>
      (await admin.ok<{ hazardSources: { code: string; level: number; rValue: number }[] }>('GET', '/api/v1/enterprises/E1/hazard-sources')).hazardSources;
    expect((await sources()).find((h) => h.code === 'HZ-2')).toMatchObject({ level: 3, rValue: 12 });
    // the new source is offered by the registry's filter
    expect(await page.page.locator('[data-testid=filter-hazard-source] option').allTextContents()).toContain('乙类仓库（HZ-2）');
    expect(await page.page.textContent('[data-testid=hazard-admin]')).not.toMatch(NOT_CHINESE);
    expect(await accessibilityViolations(page.page)).toEqual([]);

    await page.page.click('[data-testid=edit-hazard-HZ-2]');
    expect(await form.locator('input[name=technicalName]').inputValue()).toBe('钱二');
    await form.locator('input[name=rValue]').fill('55');
    await page.page.waitForSelector('[data-testid=level-hint]:has-text("按 R 值定级：二级")');
    await form.locator('[data-testid=save-hazard]').click();
    await page.page.waitForSelector('[data-testid=hazard-HZ-2]:has-text("二级")');
    expect((await sources()).find((h) => h.code === 'HZ-2')).toMatchObject({ level: 2, rValue: 55 });

    await page.page.click('[data-testid=delete-hazard-HZ-2]');
    await page.page.click('[data-testid=confirm-delete-HZ-2]');
    await page.page.waitForSelector('[data-testid=hazard-HZ-2]', { state: 'detached' });
    expect((await sources()).map((h) => h.code)).toEqual(['HZ-1']);
  });

  it('imports a point list through the real routes (checked first; problems as row, column, problem; then counts) and exports it', async () => {
    const exportsAt = async (id: string) => page.page.getAttribute(`[data-testid=${id}]`, 'href');
    expect(await exportsAt('export-csv-utf8')).toBe('/api/v1/enterprises/E1/points/export?format=csv&encoding=utf-8');
    expect(await exportsAt('export-csv-gbk')).toBe('/api/v1/enterprises/E1/points/export?format=csv&encoding=gbk');
    expect(await exportsAt('export-xlsx')).toBe('/api/v1/enterprises/E1/points/export?format=xlsx');
    const note = '[data-testid=point-import] [data-testid=admin-note]';
    const header = '指标编码,位号,测点名称,网关编码,计量单位,上报周期(秒),高报,高高报';
    const good = '液位,LT-102,2号储罐液位,G1,m,10,8,9';

    // one bad row (the third, the header being the first): refused whole, the problem listed with its row and column
    const bad = `${header}\r\n${good}\r\n液位,LT-103,3号储罐液位,G1,m,10,八,9\r\n`;
    await page.page.setInputFiles('[data-testid=point-file]', { name: '测点表.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await page.page.click('[data-testid=check-points]');
    await page.page.waitForSelector('[data-testid=point-problems]');
    const cells = await page.page.locator('[data-testid=point-problems] tbody tr td').allTextContents();
    expect(cells.length).toBe(3);
    expect(cells[0]).toBe('3');
    expect(cells[1]).toBe('高报');
    expect(cells[2]).toContain('高报');
    expect(await page.page.textContent(note)).toMatch(/^测点登记表未导入：1 处问题/);
    expect(await page.page.textContent('[data-testid=point-import]')).not.toMatch(NOT_CHINESE);
    expect((await pointsOf()).has('LT-102')).toBe(false);

    // a good list: checked (nothing written), then imported, the counts shown
    await page.page.setInputFiles('[data-testid=point-file]', { name: '测点表.csv', mimeType: 'text/csv', buffer: Buffer.from(`${header}\r\n${good}\r\n`) });
    await page.page.click('[data-testid=check-points]');
    await page.page.waitForSelector(`${note}:has-text("校验通过：新增 1 · 修改 0 · 停用 0 · 恢复在用 0")`);
    expect(await page.page.locator('[data-testid=point-problems]').count()).toBe(0);
    expect((await pointsOf()).has('LT-102')).toBe(false);
    await page.page.click('[data-testid=import-points]');
    await page.page.waitForSelector(`${note}:has-text("已导入：新增 1 · 修改 0 · 停用 0 · 恢复在用 0")`);
    expect((await pointsOf()).get('LT-102')).toMatchObject({ tagNo: 'LT-102', marks: { high: 8, highHigh: 9 } });
    await page.page.waitForSelector('[data-testid=point-LT-102]');

    // the export link downloads the list: UTF-8 with a BOM, the Chinese header row, the imported point
    const [download] = await Promise.all([page.page.waitForEvent('download'), page.page.click('[data-testid=export-csv-utf8]')]);
    const chunks: Buffer[] = [];
    for await (const c of (await download.createReadStream()) as AsyncIterable<Buffer>) chunks.push(c);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.startsWith('\uFEFF指标编码,位号,测点编号,测点名称,网关编码')).toBe(true);
    expect(text).toContain('LT-102');
    expect(text).toContain('2号储罐液位');
    // the only errors: the browser's reports of the refused (400) CAS number and the refused list
    expect(page.errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });
});
