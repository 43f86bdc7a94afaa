/**
 * "A PUBACK means the reading is durably stored", on real processes.
 *
 * 1. End to end: the simulator publishes a known number of readings —
 *    computed from the pure generator — including a gateway that goes offline,
 *    buffers and flushes its backlog on reconnect, while the platform process
 *    (the one that writes to InfluxDB) is restarted. InfluxDB ends up with
 *    exactly that number, with the right timestamps and values.
 * 2. Kill test: while the simulator streams, the process that acknowledges
 *    gateway messages is killed with SIGKILL several times at random moments
 *    and restarted; every acknowledged reading is in InfluxDB exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadingOut } from '../../../core/contract.ts';
import { planFleet, provisionFleet, type SimGatewayDef } from '../../../simulators/fleet.ts';
import { SimGateway } from '../../../simulators/gateway.ts';
import { generate } from '../../../simulators/generate.ts';
import { mulberry32 } from '../../../simulators/prng.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { platformProcess, type PlatformProcess } from '../../../testkit/platform-process.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;

beforeAll(async () => {
  svc = await startTestServices('durability');
});
afterAll(async () => {
  await svc?.stop();
});

const key = (enterpriseId: string, r: { sensor: string; ts: number | string }) => `${enterpriseId}|${r.sensor}|${Number(r.ts)}`;

/** Every stored reading of the enterprises, as key → value. */
async function readAll(database: string, enterpriseIds: string[]): Promise<Map<string, number>> {
  const { InfluxClient } = await import('../../../core/influx/client.ts');
  const influx = new InfluxClient({ url: svc.influx.url, database });
  const out = new Map<string, number>();
  for (const ent of enterpriseIds) {
    const series = await influx.query(`SELECT "value" FROM "reading" WHERE "ent" = '${ent}' GROUP BY "sensor"`);
    for (const s of series) for (const [t, v] of s.values as [number, number][]) out.set(`${ent}|${s.tags?.sensor}|${t}`, v);
  }
  return out;
}

async function startFleet(p: PlatformProcess, opts: { seed: number; enterprises: number }) {
  const plan = planFleet({ seed: opts.seed, enterprises: opts.enterprises });
  const secrets = await provisionFleet(plan, new AdminClient(`http://127.0.0.1:${p.httpPort}`, p.token));
  const acked = new Map<string, number>();
  const gateways = plan.gateways.map((def: SimGatewayDef) => {
    const g = new SimGateway(def, { secret: secrets.get(def.gatewayId) as string, port: p.mqttPort, seed: opts.seed });
    g.onAcked = (readings: ReadingOut[]) => {
      for (const r of readings) acked.set(key(def.enterpriseId, r), r.value);
    };
    return g;
  });
  await Promise.all(gateways.map((g) => g.connect()));
  return { plan, gateways, acked };
}

describe('end to end with an offline gateway and a platform restart', () => {
  it('stores exactly the generated readings, with their timestamps and values', async () => {
    const p = platformProcess(svc, { name: 'e2e' });
    await p.start();
    const seed = 7;
    const { plan, gateways } = await startFleet(p, { seed, enterprises: 4 });
    const step = 60_000;
    const t0 = Math.floor((Date.now() - 6 * 3600_000) / step) * step; // six hours of simulated history
    const spans = 30;
    const offline = gateways[1] as SimGateway;

    for (let i = 0; i < spans; i++) {
      const from = t0 + i * step;
      if (i === 5) await offline.goOffline(); // its link drops; it buffers from now on
      if (i === 12) {
        // the platform is restarted while the other gateways stream and one is offline
        await p.stop();
        await p.start();
      }
      if (i === 20) await offline.goOnline(); // reconnects and flushes its backlog, oldest first
      await Promise.all(gateways.map((g) => g.publishSpan(from, from + step)));
    }
    await Promise.all(gateways.map((g) => g.drain()));

    const expected = new Map<string, number>();
    for (const def of plan.gateways) {
      for (const r of generate(def, seed, t0, t0 + spans * step).readings) expected.set(key(def.enterpriseId, r), r.value);
    }
    const actual = await readAll(
      'p_e2e',
      plan.gateways.map((g) => g.enterpriseId),
    );
    expect(expected.size).toBeGreaterThan(1000);
    expect(offline.stats.backlog).toBe(0);
    expect(actual.size).toBe(expected.size);
    expect(actual).toEqual(expected);

    await Promise.all(gateways.map((g) => g.close()));
    await p.stop();
  }, 180_000);
});

describe('kill -9 of the acknowledging process while the simulator streams', () => {
  it('keeps every acknowledged reading, exactly once', async () => {
    const p = platformProcess(svc, { name: 'kill' });
    await p.start();
    const seed = 11;
    const { plan, gateways, acked } = await startFleet(p, { seed, enterprises: 4 });
    const random = mulberry32(seed);
    const step = 20_000;
    const t0 = Math.floor((Date.now() - 12 * 3600_000) / step) * step;
    let span = 0;
    let streaming = true;
    // The simulator streams as fast as the platform acknowledges.
    const stream = (async () => {
      while (streaming) {
        const from = t0 + span++ * step;
        await Promise.all(gateways.map((g) => g.publishSpan(from, from + step)));
      }
    })();

    const kills = 4;
    for (let k = 0; k < kills; k++) {
      const before = acked.size;
      // let some acknowledgements through, then kill at a random moment
      await expect.poll(() => acked.size, { timeout: 60_000, interval: 20 }).toBeGreaterThan(before + 200);
      await new Promise((r) => setTimeout(r, Math.floor(random() * 700)));
      await p.kill9();
      await p.start();
    }
    await expect.poll(() => acked.size, { timeout: 60_000, interval: 20 }).toBeGreaterThan(acked.size + 200);
    streaming = false;
    await stream;
    await Promise.all(gateways.map((g) => g.drain()));

    const actual = await readAll(
      'p_kill',
      plan.gateways.map((g) => g.enterpriseId),
    );
    const missing = [...acked.keys()].filter((k) => !actual.has(k));
    expect(missing).toEqual([]);
    for (const [k, v] of acked) expect(actual.get(k), k).toBe(v);
    // Exactly once: nothing but what the simulator generated for the spans it published (re-sends overwrite themselves).
    const generated = new Map<string, number>();
    for (const def of plan.gateways) for (const r of generate(def, seed, t0, t0 + span * step).readings) generated.set(key(def.enterpriseId, r), r.value);
    expect(actual.size).toBe(acked.size);
    expect([...actual.keys()].every((k) => generated.has(k))).toBe(true);

    await Promise.all(gateways.map((g) => g.close()));
    await p.stop();
  }, 240_000);
});
