/**
 * The console on a slow connection: an inspector's phone (390×844) in
 * Debian's Chromium with the network throttled through the DevTools
 * protocol, against the platform as one process. Prints, per profile, the
 * bytes transferred and the time to the sign-in form, from sign-in to
 * "my tasks" listed (an inspector) and to the first alarm list (a duty
 * officer) — cold (empty cache) and warm (revalidated: 304s).
 *
 *   npm run bench:console -- [--runs 3]
 *
 * Builds the console from its sources first (console/dist/, as `npm run
 * build:console`), so what is measured is what is checked out.
 */
import { parseArgs } from 'node:util';
import { buildConsole } from '../api/console-build.ts';
import { AdminApi } from '../simulators/admin-api.ts';
import { launchBrowser } from '../testkit/browser.ts';
import { pct, startBenchPlatform } from './common.ts';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(args.runs);

/** Throughput in bytes/s, latency in ms (DevTools' emulation; "slow 3G" / "regular 3G" / "4G" like profiles). */
const PROFILES = [
  { name: 'slow 3G (400 kbit/s, 400 ms)', download: 50_000, upload: 50_000, latency: 400 },
  { name: '3G (1.6 Mbit/s, 150 ms)', download: 200_000, upload: 96_000, latency: 150 },
  { name: '4G (9 Mbit/s, 60 ms)', download: 1_125_000, upload: 375_000, latency: 60 },
];

await buildConsole();
const platform = await startBenchPlatform({ PARTS: 'gateway,api' });
const base = `http://127.0.0.1:${platform.httpPort}`;
const browser = await launchBrowser();
try {
  const admin = new AdminApi(base, platform.token);
  await admin.ok('POST', '/api/v1/authorities', { id: 'city', name: '示例市应急管理局', level: 'city' });
  await admin.ok('POST', '/api/v1/officers', { id: 'insp-1', name: '执法人员', authorityId: 'city', role: 'inspector', password: 'inspector-pass-1' });
  await admin.ok('POST', '/api/v1/officers', { id: 'duty-1', name: '值班员', authorityId: 'city', role: 'duty_officer', password: 'duty-officer-pass-1' });

  console.log(`console load on a throttled phone, ${RUNS} runs each (median; min–max)`);
  for (const profile of PROFILES) {
    const results: { bytes: number; login: number; tasks: number; alerts: number; warmBytes: number; warmLogin: number }[] = [];
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, locale: 'zh-CN' });
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: profile.latency,
        downloadThroughput: profile.download,
        uploadThroughput: profile.upload,
      });
      let bytes = 0;
      cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => (bytes += e.encodedDataLength));

      let t0 = performance.now();
      await page.goto(base);
      await page.waitForSelector('form.login input[name=username]');
      const login = performance.now() - t0;
      const coldBytes = bytes;
      await page.fill('input[name=username]', 'insp-1');
      await page.fill('input[name=password]', 'inspector-pass-1');
      t0 = performance.now();
      await page.click('form.login button[type=submit]');
      await page.waitForSelector('p.empty, ul.tasks');
      const tasks = performance.now() - t0;

      bytes = 0;
      t0 = performance.now();
      await page.reload();
      await page.waitForSelector('header.top');
      const warmLogin = performance.now() - t0;
      // a duty officer, signing in on the warm page: to the first alarm list (its live stream open)
      await page.click('header.top button.link:last-child');
      await page.waitForSelector('form.login input[name=username]');
      await page.fill('input[name=username]', 'duty-1');
      await page.fill('input[name=password]', 'duty-officer-pass-1');
      // the alarm list shown, or "no alarm" (since #20 only once the lists are read; before, "no alarm" showed at once)
      t0 = performance.now();
      await page.click('form.login button[type=submit]');
      await page.waitForSelector('p.empty, ul.alerts');
      const alerts = performance.now() - t0;
      results.push({ bytes: coldBytes, login, tasks, alerts, warmBytes: bytes, warmLogin });
      await context.close();
    }
    const stat = (k: keyof (typeof results)[number]) => {
      const v = results.map((r) => r[k]).sort((a, b) => a - b);
      return `${pct(v, 50).toFixed(0)} (${v[0]!.toFixed(0)}–${v.at(-1)!.toFixed(0)})`;
    };
    console.log(`\n${profile.name}`);
    console.log(`  cold: ${stat('bytes')} bytes transferred, sign-in form after ${stat('login')} ms`);
    console.log(`  sign-in → my tasks listed: ${stat('tasks')} ms`);
    console.log(`  sign-in → alarm list shown (duty officer): ${stat('alerts')} ms`);
    console.log(`  warm reload (signed in): ${stat('warmBytes')} bytes, first screen after ${stat('warmLogin')} ms`);
  }
} finally {
  await browser.close();
  await platform.stop();
}
