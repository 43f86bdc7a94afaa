/**
 * 一张图 (issue #20 §7) in real Chromium, in Chinese and in English, at desktop and phone (390×844) sizes: a city
 * duty officer opens the map of the bureau's area (the bundled demo area, 福州市, served by the platform — no tile
 * server); the enterprises are drawn where their coordinates are, in their risk warning's colour (read back from
 * the canvas) and their link state's shape; the authority and sector filters take points off; a click on an
 * enterprise opens its file; an enterprise without coordinates is listed under the map, not lost; the map's script
 * is loaded only when the map is opened. Nothing untranslated, nothing serious for axe-core. Also the area's route:
 * GeoJSON, gzip, ETag, signed-in officers only.
 */
import { gunzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../../platform/platform.ts';
import { CHARTS_SCRIPT } from '../../../console/lazy.ts';
import { LEVEL_COLOR, MAP_SCRIPT } from '../../../console/map-style.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { createCityAndCounties } from '../../../testkit/fixtures.ts';
import { accessibilityViolations, launchBrowser, LANGUAGES_AND_SIZES, openPage, screenshot, signIn } from '../../../testkit/browser.ts';
import { screenTexts, untranslated } from '../../../testkit/language.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let browser: Browser;
let base: string;
const PASSWORD = 'map-officer-password';

/** The enterprises: where they are (鼓楼区, 仓山区, 马尾区 of 福州市), their warning and their gateway. */
const PLANTS = [
  { id: 'E1', name: '甲化工有限公司', authorityId: 'K1', sector: 'hazardous_chemicals', at: [119.3, 26.08], level: 'red', gateway: 'online' },
  { id: 'E2', name: '乙矿业有限公司', authorityId: 'K2', sector: 'mine', at: [119.27, 26.04], level: 'none', gateway: 'online' },
  { id: 'E3', name: '丙冶金有限公司', authorityId: 'K1', sector: 'metal_smelting', at: [119.45, 25.99], level: 'yellow', gateway: 'offline' },
] as const;
// the area's name is the data's (the GeoJSON's)
const KNOWN = ['福州市', '示例市应急管理局', '甲县应急管理局', '乙县应急管理局', '市值班员', '丁粉尘有限公司', ...PLANTS.map((p) => p.name)];

beforeAll(async () => {
  svc = await startTestServices('console-map');
  ({ platform } = await startTestPlatform(svc, 'console-map', { parts: ['api'] }));
  base = `http://127.0.0.1:${platform.httpPort}`;
  const admin = new AdminClient(base, platform.adminToken);
  await createCityAndCounties(admin);
  for (const p of PLANTS) {
    await admin.ok('POST', '/api/v1/enterprises', {
      id: p.id,
      name: p.name,
      sector: p.sector,
      authorityId: p.authorityId,
      longitude: p.at[0],
      latitude: p.at[1],
    });
    await admin.ok('POST', '/api/v1/gateways', { id: `G-${p.id}`, enterpriseId: p.id });
    await platform.db.query('UPDATE gateways SET status = $1 WHERE id = $2', [p.gateway, `G-${p.id}`]);
    if (p.level !== 'none')
      await platform.db.query(
        `INSERT INTO risk_warnings (enterprise_id, hazard_source_code, level, since, factors, policy_version, evaluated_at)
         VALUES ($1, '', $2, now(), '[]', 1, now())`,
        [p.id, p.level],
      );
  }
  // no coordinates on record: listed, not drawn
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E4', name: '丁粉尘有限公司', sector: 'explosive_dust', authorityId: 'K2' });
  await admin.ok('POST', '/api/v1/officers', { id: 'duty-city', name: '市值班员', authorityId: 'C', role: 'duty_officer', password: PASSWORD });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await svc?.stop();
});

/** The colour drawn on the map's canvas at an enterprise's point, as `#rrggbb`, and where (CSS pixels). */
async function drawnAt(page: Page, id: string): Promise<{ color: string; x: number; y: number }> {
  const p = PLANTS.find((x) => x.id === id)!;
  // a string, not a function: the test runner would rewrite a function's import() for Node
  return page.evaluate(`(async () => {
    const box = document.querySelector('[data-testid=area-map]');
    // the console's own map script (the same module instance the screen loaded)
    const m = await import(${JSON.stringify(MAP_SCRIPT)});
    const [x, y] = m.pixelOf(box, ${p.at[0]}, ${p.at[1]});
    const canvas = box.querySelector('canvas');
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const px = canvas.getContext('2d').getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data;
    const hex = (n) => n.toString(16).padStart(2, '0');
    return { color: '#' + hex(px[0]) + hex(px[1]) + hex(px[2]), x, y };
  })()`);
}

describe('the area map', () => {
  it('serves the area as GeoJSON to signed-in officers: gzip when taken, 304 when unchanged', async () => {
    expect((await fetch(`${base}/api/v1/map/area`)).status).toBe(401);
    const signedIn = await fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'duty-city', password: PASSWORD }),
    });
    const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
    const r = await fetch(`${base}/api/v1/map/area`, { headers: { cookie } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('application/geo+json');
    const area = (await r.json()) as { type: string; name: string; features: { properties: { name: string } }[] };
    expect(area.type).toBe('FeatureCollection');
    expect(area.name).toBe('福州市');
    expect(area.features.map((f) => f.properties.name)).toContain('鼓楼区');
    expect(area.features).toHaveLength(13);
    // raw bytes: gzip taken (node's fetch would unpack it)
    const { request } = await import('node:http');
    const gz = await new Promise<{ encoding: string | undefined; body: Buffer; etag: string }>((resolve, reject) => {
      request(`${base}/api/v1/map/area`, { headers: { cookie, 'accept-encoding': 'gzip' } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(parts), etag: String(res.headers.etag) }));
      })
        .on('error', reject)
        .end();
    });
    expect(gz.encoding).toBe('gzip');
    expect(JSON.parse(gunzipSync(gz.body).toString('utf8'))).toEqual(area);
    expect((await fetch(`${base}/api/v1/map/area`, { headers: { cookie, 'if-none-match': gz.etag } })).status).toBe(304);
  });

  it('loads the map script only when the map is opened, and the charts’ script with neither', async () => {
    const w = await openPage(browser);
    const scripts: string[] = [];
    w.page.on('request', (r) => r.resourceType() === 'script' && scripts.push(new URL(r.url()).pathname));
    await signIn(w.page, base, 'duty-city', PASSWORD);
    await w.page.waitForSelector('section.feed');
    await w.page.click('nav a[href="#/enterprises"]');
    await w.page.waitForSelector('[data-testid=board] table');
    expect(scripts).not.toContain(MAP_SCRIPT);
    await w.page.click('[data-testid=tab-map]');
    await w.page.waitForSelector('[data-testid=area-map][data-drawn]');
    expect(scripts).toContain(MAP_SCRIPT);
    // the alarm list, the board and the map draw no chart: uPlot is not loaded
    expect(scripts).not.toContain(CHARTS_SCRIPT);
    expect(w.errors).toEqual([]);
    await w.context.close();
  });

  describe.each(LANGUAGES_AND_SIZES)('in %s (phone: %s)', (lang, phone) => {
    it('draws the enterprises in their warning’s colour and link state’s shape, filters them, and opens a file on a click', async () => {
      const w = await openPage(browser, { phone, lang });
      await signIn(w.page, base, 'duty-city', PASSWORD);
      await w.page.goto(`${base}/#/map`);
      await w.page.waitForSelector('[data-testid=area-map][data-drawn="3"]');
      // the colours and shapes, as listed
      for (const p of PLANTS) {
        const li = `[data-testid=map-point-${p.id}]`;
        expect(await w.page.getAttribute(li, 'data-level')).toBe(p.level);
        expect(await w.page.getAttribute(li, 'data-status')).toBe(p.gateway);
        expect(await w.page.getAttribute(li, 'data-color')).toBe(LEVEL_COLOR[p.level]);
      }
      // and as drawn: the red warning's red where E1 is, the yellow's where E3 is
      await expect.poll(async () => (await drawnAt(w.page, 'E1')).color).toBe(LEVEL_COLOR.red);
      expect((await drawnAt(w.page, 'E3')).color).toBe(LEVEL_COLOR.yellow);
      // not lost: the enterprise without coordinates
      expect(await w.page.textContent('[data-testid=map-unlocated]')).toContain('丁粉尘有限公司');
      expect(await w.page.textContent('[data-testid=map-unlocated]')).toContain(lang === 'zh' ? '未登记经纬度' : 'without coordinates');
      const legend = (await w.page.textContent('[data-testid=map-legend]'))!;
      expect(legend).toContain(lang === 'zh' ? '离线' : 'Offline');
      expect(untranslated(`map ${lang}`, await screenTexts(w.page), lang, KNOWN)).toEqual([]);
      expect(await accessibilityViolations(w.page)).toEqual([]);
      if (lang === 'zh') await screenshot(w.page, `console-map${phone ? '-phone' : ''}`);

      // filters: the county K2 has E2 (drawn) and E4 (listed); then a sector of K1
      await w.page.selectOption('[data-testid=filter-authority]', 'K2');
      await w.page.waitForSelector('[data-testid=area-map][data-drawn="1"]');
      expect(await w.page.locator('[data-testid^=map-point-]').count()).toBe(1);
      expect(await w.page.locator('[data-testid=map-point-E2]').count()).toBe(1);
      await w.page.selectOption('[data-testid=filter-authority]', '');
      await w.page.selectOption('[data-testid=filter-sector]', 'metal_smelting');
      await w.page.waitForSelector('[data-testid=area-map][data-drawn="1"]');
      expect(await w.page.locator('[data-testid=map-point-E3]').count()).toBe(1);
      await w.page.selectOption('[data-testid=filter-sector]', '');
      await w.page.waitForSelector('[data-testid=area-map][data-drawn="3"]');

      // a click on E1 opens its file
      await w.page.locator('[data-testid=area-map]').scrollIntoViewIfNeeded();
      const at = await drawnAt(w.page, 'E1');
      const box = (await w.page.locator('[data-testid=area-map]').boundingBox())!;
      if (phone) await w.page.touchscreen.tap(box.x + at.x, box.y + at.y);
      else await w.page.mouse.click(box.x + at.x, box.y + at.y);
      await w.page.waitForFunction(() => location.hash === '#/enterprises/E1');
      expect(w.errors).toEqual([]);
      await w.context.close();
    });
  });
});
