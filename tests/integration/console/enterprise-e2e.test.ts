/**
 * The enterprise tier end to end (issue #18), on the whole platform (MQTT gateway → ingest → rules worker →
 * notifier → response service → API → console in real Chromium), with a simulated plant publishing over MQTT:
 *
 * 1. a combustible-gas leak (peak 35 %LEL: orange) at GT-101 reaches the enterprise's safety manager's open
 *    console live, without a reload, 待企业签收 with its time left; the manager signs for it and feeds back
 *    the cause and measures with a photo; the county's duty officer sees the feedback and accepts it; once
 *    the leak is over the manager asks to clear it (消警) and the alarm is disposed;
 * 2. a second leak (peak 60 %LEL: red) at GT-102 is left unanswered: at its sign-for limit (3 s, shortened
 *    through the platform's config `response.signMs.red`; the platform's default is 5 min) the overdue sweep
 *    (`response.sweepMs` 200 ms) makes it a supervision item (督办：超时未签收) on the county officer's feed,
 *    live; its escalation clock starts then and at the red limit (`notify.escalation.red` 3 s) it escalates to
 *    the city: the `escalated` event names the city, and the city's duty officer reads 逐级督办 on it.
 *
 * The platform runs on the test's clock (data time = platform time, as the simulated gateway publishes
 * minute by minute); a limit passes when the test moves the clock past it. Waits are on the pages and on
 * the database (vi.waitFor), never sleeps.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../core/clock.ts';
import type { Platform } from '../../../platform/platform.ts';
import { planFleet, provisionFleet } from '../../../simulators/fleet.ts';
import { SimGateway } from '../../../simulators/gateway.ts';
import type { Scenario } from '../../../simulators/scenarios.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { launchBrowser, openPage, signIn, type WatchedPage } from '../../../testkit/browser.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';
import { aliyunParams, checkDingSign, shanghai, startProviders, type Providers } from '../../../testkit/channel-providers.ts';

const SEED = 18;
const MIN = 60_000;
const SIGN_RED_MS = 3000;
const ESCALATE_RED_MS = 3000;
/** Recent platform times (the clock is the test's, near the real one). */
const START = Math.floor(Date.now() / MIN) * MIN - 90 * MIN;
const PASSWORD = 'e2e-password-18';
/** A real 1×1 PNG (a phone's photo stands in). */
const PHOTO = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** The enterprise's channels (issue #18 §2), received by a local stand-in for the providers. */
const DING_TOKEN = 'e2e-ding-token-18';
const DING_SECRET = 'SEC-e2e-ding-secret-18';
const WECOM_KEY = 'e2e-wecom-key-18';
const ALIYUN_SECRET = 'e2e-aliyun-secret-18';
const MANAGER_PHONE = '13800000018';
let providers: Providers;

const plan = planFleet({ seed: SEED, enterprises: 1, authorityId: 'county-a' });
const chem = plan.gateways[0]!;
const clock = new FakeClock(START);

let svc: TestServices;
let platform: Platform;
let sim: SimGateway;
let browser: Browser;
let base: string;
let admin: AdminClient;
let manager: WatchedPage;
let county: WatchedPage;
let city: WatchedPage;
/** Data time published so far. */
let published = START;
let firstId: string;
let secondId: string;

interface AlertRow {
  id: string;
  severity: string;
  state: string;
}
const alertOf = async (subject: string): Promise<AlertRow | undefined> =>
  (
    await platform.db.query<AlertRow>('SELECT id, severity, state FROM alerts WHERE enterprise_id = $1 AND subject = $2 ORDER BY started_at DESC LIMIT 1', [
      chem.enterpriseId,
      subject,
    ])
  ).rows[0];

/** Publishes minute by minute (the clock follows the data) until `done` holds after a minute, at most `maxMinutes`. */
async function publishUntil(scenarios: Scenario[], done: () => Promise<boolean>, maxMinutes: number): Promise<void> {
  for (let i = 0; i < maxMinutes; i++) {
    await sim.publishSpan(published, published + MIN, scenarios);
    published += MIN;
    clock.set(published);
    await platform.rules.drained(60_000);
    if (await done()) return;
  }
  throw new Error(`not reached within ${maxMinutes} simulated minutes`);
}

const leak1: Scenario = {
  type: 'gas_leak',
  gatewayId: chem.gatewayId,
  sensorId: 'GT-101',
  startMs: START + 3 * MIN,
  rampMinutes: 4,
  peak: 35,
  durationMs: 8 * MIN,
};

beforeAll(async () => {
  providers = await startProviders();
  svc = await startTestServices('enterprisee2e');
  ({ platform } = await startTestPlatform(
    svc,
    'enterprisee2e',
    {
      rules: { tickMs: 50, snapshotIntervalMs: 10 * MIN },
      ingest: { maxFutureSkewMs: 10 * MIN },
      notify: {
        escalation: { red: ESCALATE_RED_MS },
        // the stand-in providers are plain http on loopback (tests only)
        allowInsecureChannelUrls: true,
        wecomUrl: `${providers.base}/cgi-bin/webhook/send`,
        sms: {
          provider: 'aliyun',
          aliyun: {
            endpoint: `${providers.base}/aliyun/`,
            accessKeyId: 'AK-e2e',
            accessKeySecret: ALIYUN_SECRET,
            signName: '应急管理',
            templateCode: 'SMS_18',
          },
        },
      },
      response: { signMs: { red: SIGN_RED_MS }, sweepMs: 200 },
    },
    { clock },
  ));
  base = `http://127.0.0.1:${platform.httpPort}`;
  admin = new AdminClient(base, platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'city', name: '示例市应急管理局', level: 'city' });
  const secrets = await provisionFleet(
    { ...plan, authority: { id: 'county-a', name: '甲县应急管理局', level: 'county', parentId: 'city' } as unknown as typeof plan.authority },
    admin,
  );
  await admin.ok('POST', '/api/v1/officers', { id: 'duty-a', name: '甲县值班员', authorityId: 'county-a', role: 'duty_officer', password: PASSWORD });
  await admin.ok('POST', '/api/v1/officers', { id: 'duty-city', name: '市局值班员', authorityId: 'city', role: 'duty_officer', password: PASSWORD });
  // the enterprise's own safety manager: from now on its alarms are handed to it first
  await admin.ok('POST', '/api/v1/officers', {
    id: 'mgr-chem',
    name: '张安全',
    enterpriseId: chem.enterpriseId,
    role: 'safety_manager',
    phone: MANAGER_PHONE,
    password: PASSWORD,
  });
  // its notification settings: SMS to the manager, its DingTalk and WeCom group robots
  await admin.ok('PUT', `/api/v1/enterprises/${chem.enterpriseId}/notify-settings`, {
    sms: { enabled: true, userIds: ['mgr-chem'] },
    dingtalk: { webhook: `${providers.base}/robot/send?access_token=${DING_TOKEN}`, secret: DING_SECRET },
    wecom: { key: WECOM_KEY },
  });
  sim = new SimGateway(chem, { secret: secrets.get(chem.gatewayId)!, port: platform.mqttPort, seed: SEED, readingsPerMessage: 200 });
  await sim.connect();
  // a quiet start: baselines only
  await publishUntil([], async () => published >= START + 3 * MIN, 3);
  browser = await launchBrowser();
  manager = await openPage(browser, { phone: true });
  await signIn(manager.page, base, 'mgr-chem', PASSWORD);
  county = await openPage(browser);
  await signIn(county.page, base, 'duty-a', PASSWORD);
  city = await openPage(browser);
  await signIn(city.page, base, 'duty-city', PASSWORD);
  for (const p of [manager, county, city]) await p.page.waitForSelector('[data-testid=stream-state].ok');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await sim?.close();
  await platform?.stop();
  await svc?.stop();
  await providers?.close();
});

/** The DingTalk texts the enterprise's group received about a point, each request's signature checked. */
const dingTexts = (point: string): string[] =>
  providers
    .of('dingtalk')
    .map((d) => {
      checkDingSign(d, DING_TOKEN, DING_SECRET, false);
      return (JSON.parse(d.body) as { text: { content: string } }).text.content;
    })
    .filter((t) => t.includes(point));

describe('the enterprise answers its alarm first', () => {
  it('the leak’s alarm reaches the safety manager’s console live, awaiting its sign-for', async () => {
    const navigations: string[] = [];
    manager.page.on('framenavigated', (f) => navigations.push(f.url()));
    await publishUntil([leak1], async () => (await alertOf('GT-101'))?.state === 'firing', 10);
    firstId = (await alertOf('GT-101'))!.id;
    const row = `[data-testid="alert-${firstId}"]`;
    await manager.page.waitForSelector(`${row}[data-grade=orange] [data-testid=response-state]:has-text("待企业签收")`, { timeout: 20_000 });
    // the platform's default orange sign-for limit, 15 min, from when it reached the enterprise
    expect(await manager.page.textContent(`${row} [data-testid=response-left]`)).toMatch(/^签收时限 剩余 1[45]:\d\d$/);
    expect(navigations).toEqual([]);
    const handed = await platform.db.query("SELECT 1 FROM alert_events WHERE alert_id = $1 AND type = 'handed_to_enterprise'", [firstId]);
    expect(handed.rows).toHaveLength(1);

    // the enterprise's channels received correctly signed requests, each telling by when to sign for it
    const signDue = (await platform.db.query<{ sign_due_at: Date }>('SELECT sign_due_at FROM alert_responses WHERE alert_id = $1', [firstId])).rows[0]!
      .sign_due_at;
    const signBy = `请于 ${shanghai(new Date(signDue).getTime())} 前签收`;
    await vi.waitFor(() => expect(providers.seen.filter((x) => x.body.includes('GT-101') || x.body.includes('GT%2D101'))).toHaveLength(3), { timeout: 20_000 });
    const [ding] = dingTexts('GT-101');
    expect(ding).toContain('【橙色报警】');
    expect(ding).toContain(signBy);
    const wecom = providers.of('wecom').find((w) => w.body.includes('GT-101'))!;
    expect(wecom.rawQuery).toBe(`key=${WECOM_KEY}`);
    expect(JSON.parse(wecom.body)).toMatchObject({ msgtype: 'text', text: { mentioned_mobile_list: [MANAGER_PHONE] } });
    const sms = aliyunParams(providers.of('aliyun')[0]!, ALIYUN_SECRET);
    expect(sms).toMatchObject({ Action: 'SendSms', PhoneNumbers: MANAGER_PHONE, SignName: '应急管理', TemplateCode: 'SMS_18' });
    expect(JSON.parse(sms.TemplateParam!)).toMatchObject({ point: 'GT-101', grade: '橙色', signForBy: shanghai(new Date(signDue).getTime()) });
    // and the outcome is recorded on the alarm, visible to the enterprise
    const deliveries = await vi.waitFor(
      async () => {
        type Ds = { deliveries: { channel: string; status: string }[] };
        const r = await manager.page.evaluate(async (id): Promise<Ds> => (await fetch(`/api/v1/alerts/${id}/deliveries`)).json() as Promise<Ds>, firstId);
        const ds = r.deliveries;
        expect(ds.filter((d) => d.status === 'delivered')).toHaveLength(3);
        return ds;
      },
      { timeout: 20_000 },
    );
    expect(deliveries.map((d) => d.channel).sort()).toEqual(['dingtalk', 'sms', 'wecom']);
  });

  it('the manager signs for it and feeds back the cause and measures with a photo', async () => {
    await manager.page.click(`[data-testid="alert-${firstId}"] .alert-main`);
    await manager.page.click('[data-testid=sign]');
    await manager.page.waitForSelector('[data-testid=response-state]:has-text("待企业反馈")');
    await manager.page.selectOption('[data-testid=feedback-cause-select]', 'genuine_hazard');
    await manager.page.fill('[data-testid=feedback-measures-input]', '关闭进料阀，现场通风，紧固泄漏法兰');
    await manager.page.setInputFiles('[data-testid=photo-input]', { name: '泄漏点.png', mimeType: 'image/png', buffer: PHOTO });
    await manager.page.waitForSelector('[data-testid=picked] [data-testid=attachment]');
    await manager.page.click('[data-testid=submit-feedback]');
    // orange: the duty officer reviews it
    await manager.page.waitForSelector('[data-testid=response-state]:has-text("待值班员审核")');
    await manager.page.waitForSelector('[data-testid=feedback] [data-testid=attachment]:has-text("泄漏点.png")');
  });

  it('the county officer sees the response with the photo and accepts it', async () => {
    // the county's feed, open all along, shows the enterprise's answer live (the step is an event of the alarm)
    await county.page.waitForSelector(`[data-testid="alert-${firstId}"] [data-testid=response-state]:has-text("待值班员审核")`, { timeout: 20_000 });
    await county.page.click(`[data-testid="alert-${firstId}"] .alert-main`);
    await county.page.waitForSelector('[data-testid=officer-response] [data-testid=response-state]:has-text("待值班员审核")');
    expect(await county.page.textContent('[data-testid=feedback-measures]')).toBe('关闭进料阀，现场通风，紧固泄漏法兰');
    await county.page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid=feedback] img.thumb');
      return img !== null && img.complete && img.naturalWidth === 1;
    });
    await county.page.fill('[data-testid=review-reason]', '原因清楚，措施得当');
    await county.page.click('[data-testid=review-accept]');
    await county.page.waitForSelector('[data-testid=officer-response] [data-testid=response-state]:has-text("反馈已审核通过")');
    await county.page.click('section.detail button.link');
  });

  it('once the leak is over the manager asks to clear it, and the alarm is disposed (消警)', async () => {
    await publishUntil([leak1], async () => (await alertOf('GT-101'))?.state === 'resolved', 15);
    await manager.page.reload();
    await manager.page.waitForSelector('[data-testid=response-state]:has-text("反馈已审核通过")');
    await manager.page.click('[data-testid=clear-request]');
    await manager.page.waitForSelector('[data-testid=response-state]:has-text("已消警")');
    expect((await alertOf('GT-101'))!.state).toBe('disposed');
    await manager.page.click('section.detail button.link');
    await manager.page.waitForSelector('[data-testid=stream-state].ok');
    expect(await manager.page.locator(`[data-testid="alert-${firstId}"]`).count()).toBe(0);
  });
});

describe('an alarm left unanswered', () => {
  const leak2 = (): Scenario => ({ type: 'gas_leak', gatewayId: chem.gatewayId, sensorId: 'GT-102', startMs: published, rampMinutes: 4 });

  it('is red and awaiting its sign-for under the shortened limit, on both feeds', async () => {
    const scenario = leak2();
    await publishUntil([scenario], async () => (await alertOf('GT-102'))?.severity === 'red', 12);
    secondId = (await alertOf('GT-102'))!.id;
    // handed over with the red limit (config response.signMs.red) from the moment it turned red
    await vi.waitFor(
      async () => {
        const r = await admin.ok<{ response: { severity: string; signDueAt: number } | null }>('GET', `/api/v1/alerts/${secondId}/response`);
        expect(r.response).toMatchObject({ severity: 'red', signDueAt: clock.now() + SIGN_RED_MS });
      },
      { timeout: 10_000 },
    );
    const row = `[data-testid="alert-${secondId}"]`;
    await manager.page.waitForSelector(`${row}[data-grade=red] [data-testid=response-state]:has-text("待企业签收")`, { timeout: 20_000 });
    await county.page.waitForSelector(`${row}[data-grade=red] [data-testid=response-left]:has-text("签收时限")`);
    expect(await county.page.locator(`${row} [data-testid=supervised-mark]`).count()).toBe(0);
  });

  it('becomes a supervision item (督办：超时未签收) on the county officer’s feed at the limit, live', async () => {
    const dueAt = clock.now() + SIGN_RED_MS;
    clock.set(dueAt);
    const row = `[data-testid="alert-${secondId}"]`;
    await county.page.waitForSelector(`${row} [data-testid=supervised-mark]:has-text("督办：超时未签收")`, { timeout: 20_000 });
    const { rows } = await platform.db.query<{ data: { supervisedAt: number; supervisions: string[] } }>('SELECT data FROM alerts WHERE id = $1', [secondId]);
    expect(rows[0]!.data).toMatchObject({ supervisedAt: dueAt, supervisions: ['sign_overdue'] });
    // the enterprise sees it too: overdue, supervised
    await manager.page.waitForSelector(`${row} [data-testid=supervised-mark]`);
    await manager.page.waitForSelector(`${row} [data-testid=response-left][data-overdue=true]:has-text("已超时")`);

    // the enterprise's group is told of the supervision too (signed, like every request)
    await vi.waitFor(() => expect(dingTexts('GT-102').some((t) => t.includes('督办'))).toBe(true), { timeout: 20_000 });
  });

  it('escalates to the city at the red limit counted from the supervision', async () => {
    const supervisedAt = clock.now();
    clock.set(supervisedAt + ESCALATE_RED_MS);
    await vi.waitFor(
      async () => {
        const { rows } = await platform.db.query<{ extra: { to?: string } }>("SELECT extra FROM alert_events WHERE alert_id = $1 AND type = 'escalated'", [
          secondId,
        ]);
        expect(rows).toHaveLength(1);
        expect(JSON.stringify(rows[0]!.extra)).toContain('"to":"city"');
      },
      { timeout: 20_000 },
    );
    const row = `[data-testid="alert-${secondId}"]`;
    await city.page.waitForSelector(`${row} [data-testid=supervised-mark]`, { timeout: 20_000 });
    await city.page.click(`${row} .alert-main`);
    await city.page.waitForSelector('ol.events li:has-text("逐级督办")');
    expect(await city.page.textContent('ol.events')).toContain('督办');
    for (const p of [manager, county, city]) expect(p.errors).toEqual([]);
  });
});
