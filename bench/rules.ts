/**
 * The rules engine alone, in process: the default catalogue over a simulated
 * fleet's points, fed an hour of its readings per round in data-time order
 * (each round an hour later). Prints µs per reading and readings/s per round;
 * the first round includes building each point's route (which instances
 * want its readings). No I/O: this is the CPU the rules worker spends per
 * reading, the part of the hot path a profile of `bench:ingest` puts at ~20 %.
 *
 *   npm run bench:rules -- [--enterprises 20] [--rounds 5] [--minutes 60]
 */
import { parseArgs } from 'node:util';
import { defaultCatalogue } from '../alerts/rules/packs/index.ts';
import { RulesEngine, type RawObservation } from '../alerts/worker/engine.ts';
import { planFleet } from '../simulators/fleet.ts';
import { generate } from '../simulators/generate.ts';
import { pointsOf } from '../testkit/rules.ts';

const { values: args } = parseArgs({
  options: {
    enterprises: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '5' },
    minutes: { type: 'string', default: '60' },
  },
});
const SPAN = Number(args.minutes) * 60_000;
const T0 = Date.UTC(2026, 0, 1);

const plan = planFleet({ enterprises: Number(args.enterprises), seed: 1 });
const engine = new RulesEngine(defaultCatalogue());
const byEnterprise = new Map<string, ReturnType<typeof pointsOf>>();
for (const g of plan.gateways) byEnterprise.set(g.enterpriseId, [...(byEnterprise.get(g.enterpriseId) ?? []), ...pointsOf(g)]);
for (const [id, points] of byEnterprise) engine.setEnterprise(id, points);

const hour: RawObservation[] = plan.gateways
  .flatMap((g) =>
    generate(g, 1, T0, T0 + SPAN).readings.map((r): RawObservation => ({
      type: 'reading',
      enterpriseId: g.enterpriseId,
      pointId: r.sensor,
      value: r.value,
      quality: r.quality,
      ts: typeof r.ts === 'number' ? r.ts : Date.parse(r.ts), // the simulator reports epoch ms
    })),
  )
  .sort((a, b) => a.ts - b.ts);
const points = [...byEnterprise.values()].reduce((n, p) => n + p.length, 0);
process.stdout.write(`rules engine: ${byEnterprise.size} enterprises, ${points} points, ${hour.length.toLocaleString('en')} readings per round\n`);

for (let round = 0; round < Number(args.rounds); round++) {
  const shifted = hour.map((o) => ({ ...o, ts: o.ts + round * SPAN }));
  const started = performance.now();
  let findings = 0;
  for (const o of shifted) {
    const r = engine.observe(o);
    if (r.ok) findings += r.findings.length;
  }
  engine.tick(T0 + (round + 1) * SPAN);
  const ms = performance.now() - started;
  const us = (ms * 1000) / shifted.length;
  process.stdout.write(
    `round ${round + 1}: ${us.toFixed(2)} µs/reading, ${Math.round(shifted.length / (ms / 1000)).toLocaleString('en')} readings/s, ${findings} findings\n`,
  );
}
