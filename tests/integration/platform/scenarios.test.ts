/**
 * End-to-end timelines: the simulated fleet publishes over MQTT to the real
 * platform (broker, ingest, InfluxDB, the Redis feed, the rules worker,
 * PostgreSQL) with a simulated clock that the test moves forward chunk by
 * chunk: set the time, publish the chunk (PUBACKed = stored and queued),
 * wait for the worker to process it and tick. A whole day of normal
 * operation raises no alert; then each scenario, at its own hour of the next
 * day, raises exactly the expected alerts, with the expected grades, within
 * a bounded delay of the moment the hazard became real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../core/clock.ts';
import type { Alert } from '../../../alerts/state/index.ts';
import type { Platform } from '../../../platform/platform.ts';
import { planFleet, provisionFleet } from '../../../simulators/fleet.ts';
import { SimGateway } from '../../../simulators/gateway.ts';
import type { Scenario } from '../../../simulators/scenarios.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const SEED = 42;
const MIN = 60_000;
const HOUR = 60 * MIN;
/** Midnight, China Standard Time, a few days ago (ingest accepts a backlog of days, and the clock is ours). */
const DAY0 = Date.UTC(2026, 10, 20) - 8 * HOUR;

const plan = planFleet({ seed: SEED, enterprises: 4 });
const gatewayOf = (sector: string) => plan.gateways.find((g) => g.sector === sector)!;
const chem = gatewayOf('hazardous_chemicals');
const mine = gatewayOf('mine');

const clock = new FakeClock(DAY0);
let svc: TestServices;
let platform: Platform;
const sims: SimGateway[] = [];

beforeAll(async () => {
  svc = await startTestServices('scenarios');
  ({ platform } = await startTestPlatform(
    svc,
    'scenarios',
    { rules: { tickMs: 50, snapshotIntervalMs: 10 * MIN }, ingest: { maxFutureSkewMs: 10 * MIN } },
    { clock },
  ));
  const api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
  const secrets = await provisionFleet(plan, api);
  for (const g of plan.gateways) {
    const sim = new SimGateway(g, { secret: secrets.get(g.gatewayId)!, port: platform.mqttPort, seed: SEED, readingsPerMessage: 200 });
    await sim.connect();
    sims.push(sim);
  }
  await platform.rules.drained();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(sims.map((g) => g.close()));
  await platform?.stop();
  await svc?.stop();
});

/** When each alert event was first seen in PostgreSQL, in simulated time (`seen.get(seq)`). */
const seen = new Map<number, number>();
let lastSeq = 0;

async function recordNewEvents(): Promise<void> {
  const { rows } = await platform.db.query<{ seq: string }>('SELECT seq FROM alert_events WHERE seq > $1 ORDER BY seq', [lastSeq]);
  for (const r of rows) seen.set(Number(r.seq), clock.now());
  if (rows.length > 0) lastSeq = Number(rows.at(-1)!.seq);
}

/**
 * Moves simulated time from `from` to `to` in `chunkMs` steps: every gateway
 * publishes the chunk (until PUBACKed, or into its backlog while a scenario
 * holds it offline), then the clock goes to the end of the chunk and the
 * worker drains and ticks there. (The device timestamps are up to a chunk
 * ahead of the clock while publishing, within ingest's future-skew allowance;
 * moving the clock first would let the worker tick before the chunk's data.)
 */
async function run(from: number, to: number, scenarios: Scenario[] = [], chunkMs = MIN): Promise<void> {
  for (let t = from; t < to; t += chunkMs) {
    const end = Math.min(t + chunkMs, to);
    await Promise.all(sims.map((s) => s.publishSpan(t, end, scenarios)));
    clock.set(end);
    await platform.rules.drained(60_000);
    // the risk warnings as they stand at the chunk's end (their sweep runs on the platform's own timer)
    await platform.warnings.sweep();
    await recordNewEvents();
  }
}

type Row = Alert & { rowState: string };

/** Alerts that started in [from, to), oldest first. */
async function alertsStarted(from: number, to: number): Promise<Row[]> {
  const { rows } = await platform.db.query<{ data: Alert; state: string }>(
    'SELECT data, state FROM alerts WHERE started_at >= $1 AND started_at < $2 ORDER BY started_at, fingerprint',
    [new Date(from), new Date(to)],
  );
  return rows.map((r) => ({ ...r.data, rowState: r.state }));
}

const brief = (as: Row[]) => as.map((a) => `${a.ruleId} ${a.subject} ${a.severity} ${a.state}`);

describe('simulated fleet end to end', () => {
  const DAY1 = DAY0 + 24 * HOUR;
  const at = (h: number) => DAY1 + h * HOUR;
  /** Clock step of the scenario day: the bound on how late a tick-driven detection may be seen. */
  const CHUNK = 2 * MIN;

  it('a normal day of the whole fleet raises no alert', async () => {
    await run(DAY0, DAY1, [], 5 * MIN);
    expect(brief(await alertsStarted(0, Date.UTC(2100, 0, 1)))).toEqual([]);
    expect(seen.size).toBe(0);
    // and no risk warning either
    expect((await platform.db.query('SELECT * FROM risk_warning_events')).rows).toEqual([]);
  }, 240_000);

  const leak = at(10);
  const overfill = at(12);
  const frozen = at(14);
  const detectorOff = at(16);
  const offline = at(18);
  const scenarios: Scenario[] = [
    { type: 'gas_leak', gatewayId: chem.gatewayId, sensorId: 'GT-101', startMs: leak, durationMs: 30 * MIN },
    { type: 'overfill', gatewayId: chem.gatewayId, startMs: overfill, durationMs: HOUR },
    { type: 'frozen', gatewayId: chem.gatewayId, sensorId: 'TT-301', startMs: frozen, durationMs: HOUR },
    { type: 'detector_off', gatewayId: chem.gatewayId, sensorId: 'GT-102', startMs: detectorOff, durationMs: 30 * MIN },
    { type: 'offline', gatewayId: mine.gatewayId, startMs: offline, durationMs: 10 * MIN },
  ];

  describe('a day with the five scenarios, hours apart', () => {
    let fired: Row[];
    /** Events of an alert as [type, severity, data time, delay until it was seen]. */
    const timeline = async (a: Row) =>
      (await platform.alerts.events(a.id)).map((e) => ({ type: e.type, severity: e.severity, at: e.at, seenAfter: seen.get(e.seq)! - e.at }));
    const one = (ruleId: string, subject: string) => {
      const as = fired.filter((a) => a.ruleId === ruleId && a.subject === subject);
      expect(as, `${ruleId} ${subject}`).toHaveLength(1);
      return as[0]!;
    };

    beforeAll(async () => {
      await run(DAY1, at(9.5), scenarios, 5 * MIN);
      await run(at(9.5), at(19), scenarios, CHUNK);
      fired = (await alertsStarted(DAY1, at(24))).filter((a) => a.firedAt !== undefined);
    }, 300_000);

    it('fires exactly the expected alerts, one per hazard, all resolved once it ends', () => {
      expect(brief(fired)).toEqual([
        'gas.combustible GT-101 red resolved',
        'chem.tank_level.high LT-201 orange resolved',
        'chem.overfill_interlock LT-201 red resolved',
        'common.frozen TT-301 yellow resolved',
        'common.detector_off D-GT-102 orange resolved',
        `common.gateway_offline gateway:${mine.gatewayId} orange resolved`,
      ]);
      expect(new Set(fired.map((a) => a.enterpriseId))).toEqual(new Set([chem.enterpriseId, mine.enterpriseId]));
    });

    it('gas leak: orange at 25 %LEL, red at 50 %LEL, each seen as soon as its reading is stored', async () => {
      const a = one('gas.combustible', 'GT-101');
      const [f, r, c, ...more] = await timeline(a);
      expect(more).toEqual([]);
      // 0.6 → 60 %LEL over 10 min: 25 %LEL after ~4 min, 50 %LEL after ~8.3 min
      expect(f).toMatchObject({ type: 'fired', severity: 'orange' });
      expect(f!.at - leak).toBeGreaterThan(3 * MIN);
      expect(f!.at - leak).toBeLessThan(5 * MIN);
      expect(r).toMatchObject({ type: 'severity_raised', severity: 'red' });
      expect(r!.at - leak).toBeGreaterThan(7 * MIN);
      expect(r!.at - leak).toBeLessThan(9.5 * MIN);
      expect(c).toMatchObject({ type: 'resolved' });
      expect(c!.at - (leak + 30 * MIN)).toBeLessThanOrEqual(MIN);
      for (const e of [f, r, c]) expect(e!.seenAfter).toBeLessThanOrEqual(CHUNK);
      expect(a.startedAt).toBe(f!.at);
    });

    it('overfill with the valve failing open: high (yellow) → high-high (orange), interlock failure (red) 30 s after high-high', async () => {
      const level = await timeline(one('chem.tank_level.high', 'LT-201'));
      expect(level.map((e) => [e.type, e.severity])).toEqual([
        ['fired', 'yellow'],
        ['severity_raised', 'orange'],
        ['resolved', 'orange'],
      ]);
      const hh = level[1]!.at;
      expect(hh - overfill).toBeLessThan(30 * MIN);
      const interlock = await timeline(one('chem.overfill_interlock', 'LT-201'));
      expect(interlock.map((e) => [e.type, e.severity])).toEqual([
        ['fired', 'red'],
        ['resolved', 'red'],
      ]);
      expect(interlock[0]!.at - hh).toBeGreaterThanOrEqual(30_000);
      expect(interlock[0]!.at - hh).toBeLessThanOrEqual(30_000 + CHUNK);
      for (const e of [...level, ...interlock]) expect(e.seenAfter).toBeLessThanOrEqual(CHUNK);
    });

    it('frozen temperature while production runs: raised from the start of the flat run once the 30 min window is full, cleared when it varies', async () => {
      const [f, c, ...more] = await timeline(one('common.frozen', 'TT-301'));
      expect(more).toEqual([]);
      expect(f).toMatchObject({ type: 'fired', severity: 'yellow' });
      expect(f!.at - frozen).toBeGreaterThanOrEqual(0);
      expect(f!.at - frozen).toBeLessThan(MIN);
      expect(f!.seenAfter).toBeGreaterThanOrEqual(30 * MIN - MIN);
      expect(f!.seenAfter).toBeLessThanOrEqual(30 * MIN + CHUNK);
      expect(c).toMatchObject({ type: 'resolved' });
      expect(c!.at - (frozen + HOUR)).toBeLessThan(MIN);
      expect(c!.seenAfter).toBeLessThanOrEqual(CHUNK);
    });

    it('detector switched off during production: one orange alert for its power point, no silence alert for the detector', async () => {
      const [f, c, ...more] = await timeline(one('common.detector_off', 'D-GT-102'));
      expect(more).toEqual([]);
      expect(f).toMatchObject({ type: 'fired', severity: 'orange', at: detectorOff });
      expect(c).toMatchObject({ type: 'resolved', at: detectorOff + 30 * MIN });
      for (const e of [f, c]) expect(e!.seenAfter).toBeLessThanOrEqual(CHUNK);
      expect(brief(await alertsStarted(detectorOff - HOUR, detectorOff + HOUR)).filter((s) => s.includes('GT-102') && !s.includes('D-GT-102'))).toEqual([]);
    });

    it("gateway offline: one root-cause alert; its points' silence alerts are suppressed, never fire, and are discarded when the backlog arrives", async () => {
      const [f, c, ...more] = await timeline(one('common.gateway_offline', `gateway:${mine.gatewayId}`));
      expect(more).toEqual([]);
      expect(f).toMatchObject({ type: 'fired', severity: 'orange', at: offline });
      expect(c).toMatchObject({ type: 'resolved', at: offline + 10 * MIN });
      for (const e of [f, c]) expect(e!.seenAfter).toBeLessThanOrEqual(CHUNK);

      const silence = (await alertsStarted(offline - HOUR, offline + HOUR)).filter((a) => a.ruleId === 'common.data_silence');
      expect(silence.length).toBeGreaterThan(0);
      for (const a of silence) {
        expect(a.enterpriseId).toBe(mine.enterpriseId);
        expect(a.firedAt).toBeUndefined();
        expect((await timeline(a)).map((e) => e.type)).toEqual(['suppressed', 'discarded']);
      }
    });

    it('risk warnings (预警) rise and fall with the alarms, each change explained by its factors', async () => {
      const { rows } = await platform.db.query<{
        hazard_source_code: string;
        from_level: string;
        to_level: string;
        at: Date;
        factors: { kind: string; zh: string }[];
      }>(`SELECT hazard_source_code, from_level, to_level, at, factors FROM risk_warning_events WHERE enterprise_id = $1 ORDER BY id`, [chem.enterpriseId]);
      const own = rows.filter((r) => r.hazard_source_code === '');
      const between = (from: number, to: number) => own.filter((r) => r.at.getTime() >= from && r.at.getTime() < to);
      // gas leak on GT-101: the orange alarm is a yellow warning, the red alarm an orange one (one detector is not a major risk); over when it clears
      expect(between(leak, leak + HOUR).map((r) => `${r.from_level}→${r.to_level}`)).toEqual(['none→yellow', 'yellow→orange', 'orange→none']);
      // GT-101 belongs to the tank farm, a major hazard source (三级: no lift): the enterprise's factor is the source's warning, whose own factor is the alarm
      expect(between(leak, leak + HOUR)[0]!.factors.map((f) => f.zh)).toEqual([expect.stringMatching(/^重大危险源 储罐区（MHS-TANK-FARM）黄色预警/)]);
      const source = rows.filter((r) => r.hazard_source_code === 'MHS-TANK-FARM' && r.at.getTime() >= leak && r.at.getTime() < leak + HOUR);
      expect(source.map((r) => `${r.from_level}→${r.to_level}`)).toEqual(['none→yellow', 'yellow→orange', 'orange→none']);
      expect(source[0]!.factors.map((f) => f.zh)).toEqual(['GT-101 橙色报警（可燃气体浓度报警）']);
      // overfill with the interlock failing: red, for the interlock that did not act
      const overfillEvents = between(overfill, overfill + 2 * HOUR);
      const red = overfillEvents.find((r) => r.to_level === 'red');
      expect(red, JSON.stringify(overfillEvents)).toBeDefined();
      expect(red!.factors.map((f) => f.zh).join('；')).toMatch(/联锁未动作|重大危险源/);
      expect(overfillEvents.at(-1)!.to_level).toBe('none');
      // every rise lists its factors; the day ends without a warning
      for (const r of rows) if (r.to_level !== 'none') expect(r.factors.length).toBeGreaterThan(0);
      const now = await platform.warnings.store.ofEnterprise(chem.enterpriseId);
      expect(now.every((w) => w.level === 'none')).toBe(true);
      // the mine's gateway offline 10 min is below the 1 h data-quality limit: no warning for it
      expect((await platform.warnings.store.events(mine.enterpriseId)).filter((e) => e.at >= new Date(offline).toISOString())).toEqual([]);
    });

    it('keeps an intact hash chain over every event of both days', async () => {
      expect(await platform.alerts.verifyChain()).toMatchObject({ ok: true });
    });
  });
});
