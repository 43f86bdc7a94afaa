/** Drives one simulated gateway minute by minute under a fake clock, the rules worker drained at each step. */
import type { FakeClock } from '../core/clock.ts';
import type { Platform } from '../platform/platform.ts';
import type { SimGateway } from '../simulators/gateway.ts';
import type { Scenario } from '../simulators/scenarios.ts';

const MIN = 60_000;

export async function runSimulation(
  sim: SimGateway,
  platform: () => Platform,
  clock: FakeClock,
  from: number,
  to: number,
  scenarios: Scenario[],
): Promise<void> {
  for (let t = from; t < to; t += MIN) {
    const end = Math.min(t + MIN, to);
    await sim.publishSpan(t, end, scenarios);
    clock.set(end);
    await platform().rules.drained(60_000);
  }
}
