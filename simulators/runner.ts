/**
 * The running fleet behind `npm run simulate`: provisions the planned fleet,
 * connects one SimGateway per enterprise, and on every tick publishes the
 * simulated time elapsed since the previous tick, with the scenarios received
 * so far. Simulated time runs `speed` times faster than real time from
 * `backfillS` seconds in the past, and never more than `maxAheadS` ahead of
 * real time (the platform refuses device timestamps more than 10 minutes in
 * the future) — so a fast replay catches up with the present and then
 * continues live.
 */
import { z } from 'zod';
import { systemClock, type Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { fleetOptionsSchema, planFleet, provisionFleet, type AdminApi, type FleetPlan } from './fleet.ts';
import { SimGateway } from './gateway.ts';
import { checkScenario, scenarioSchema, type Scenario } from './scenarios.ts';

export const runnerConfigSchema = z.strictObject({
  fleet: fleetOptionsSchema,
  mqtt: z.strictObject({
    /** Broker host. Default '127.0.0.1'. */
    host: z.string().default('127.0.0.1'),
    /** Broker port. Default 1883. */
    port: z.number().int().min(1).max(65535).default(1883),
  }),
  /** Simulated seconds per real second. Default 1. */
  speed: z.number().positive().max(100_000).default(1),
  /** Simulated time starts this many seconds before the real start. Default 0. */
  backfillS: z.number().nonnegative().default(0),
  /** How far simulated time may run ahead of real time, seconds. Default 0. */
  maxAheadS: z.number().nonnegative().max(600).default(0),
  /** Real milliseconds between ticks. Default 1000. */
  tickMs: z.number().int().min(10).default(1000),
  /** Real seconds between summary lines. Default 5. */
  summaryEveryS: z.number().positive().default(5),
  /** Readings each gateway keeps while offline. Default 1,000,000. */
  maxBacklog: z.number().int().nonnegative().default(1_000_000),
  /** Messages in flight per gateway. Default 100. */
  maxInflight: z.number().int().min(1).max(10_000).default(100),
  /** Real milliseconds to wait for acknowledgements when stopping. Default 5000. */
  drainTimeoutMs: z.number().int().nonnegative().default(5000),
  /** Scenario commands applied at the start (see parseScenarioCommand). */
  scenarios: z.array(z.unknown()).default([]),
});
export type RunnerConfig = z.output<typeof runnerConfigSchema>;
export type RunnerConfigInput = z.input<typeof runnerConfigSchema>;

export interface RunnerDeps {
  api: AdminApi;
  /** Prints one line for the operator (summaries, accepted scenarios, errors). */
  print: (line: string) => void;
  clock?: Clock;
  logger?: Logger;
}

/**
 * A scenario as typed by an operator: a Scenario whose start is either
 * `startMs` (epoch ms of simulated time) or `startInS` (seconds of simulated
 * time after `simNowMs`; default 0, i.e. now).
 */
export function parseScenarioCommand(input: unknown, simNowMs: number): Scenario {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('a scenario must be a JSON object');
  const { startInS, ...rest } = input as Record<string, unknown>;
  if (startInS !== undefined && (typeof startInS !== 'number' || !Number.isFinite(startInS) || startInS < 0)) {
    throw new Error('startInS must be a non-negative number of seconds');
  }
  if (startInS !== undefined && rest.startMs !== undefined) throw new Error('give startMs or startInS, not both');
  const withStart = rest.startMs === undefined ? { ...rest, startMs: Math.round(simNowMs + (startInS ?? 0) * 1000) } : rest;
  const r = scenarioSchema.safeParse(withStart);
  if (!r.success) throw new Error(r.error.issues.map((i) => `${i.path.join('.') || '(scenario)'}: ${i.message}`).join('; '));
  return r.data;
}

export function buildFleetRunner(input: RunnerConfigInput, deps: RunnerDeps) {
  const parsed = runnerConfigSchema.safeParse(input);
  if (!parsed.success)
    throw new Error(`invalid simulator options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const config = parsed.data;
  const clock = deps.clock ?? systemClock;
  const plan: FleetPlan = planFleet(config.fleet);
  const defs = new Map(plan.gateways.map((g) => [g.gatewayId, g]));
  const scenarios: Scenario[] = [];
  let gateways: SimGateway[] = [];
  let realStart = 0;
  let simStart = 0;
  let lastTo = 0;
  let running = false;
  let tickTimer: NodeJS.Timeout | undefined;
  let summaryTimer: NodeJS.Timeout | undefined;
  let last = { at: 0, acked: 0 };
  let stopping: Promise<void> | undefined;
  /** Gateways whose publishing failure was already reported (reported once, not every tick). */
  const reported = new Set<string>();

  const simNow = (): number => {
    const real = clock.now();
    return Math.floor(Math.min(simStart + (real - realStart) * config.speed, real + config.maxAheadS * 1000));
  };

  function addScenario(cmd: unknown, relativeTo = simNow()): Scenario {
    const s = parseScenarioCommand(cmd, relativeTo);
    const problem = checkScenario(defs.get(s.gatewayId), s);
    if (problem) throw new Error(problem);
    scenarios.push(s);
    return s;
  }

  function tick(): void {
    const to = simNow();
    if (!running || to <= lastTo) return;
    const from = lastTo;
    lastTo = to;
    for (const g of gateways) {
      g.publishSpan(from, to, scenarios).catch((err: unknown) => {
        if (!running || reported.has(g.def.gatewayId)) return;
        reported.add(g.def.gatewayId);
        deps.print(`${g.def.gatewayId}: publishing failed: ${(err as Error).message}`);
      });
    }
  }

  function summary(): string {
    const now = clock.now();
    const t = { acked: 0, backlog: 0, inflight: 0, dropped: 0, resent: 0, online: 0 };
    for (const g of gateways) {
      const s = g.stats;
      t.acked += s.ackedReadings;
      t.backlog += s.backlog;
      t.inflight += s.inflight;
      t.dropped += s.droppedFromBacklog;
      t.resent += s.resentMessages;
      if (g.online) t.online++;
    }
    const rate = now > last.at ? ((t.acked - last.acked) * 1000) / (now - last.at) : 0;
    last = { at: now, acked: t.acked };
    return (
      `sim ${new Date(lastTo).toISOString()} | acked ${rate.toFixed(1)} readings/s (total ${t.acked}) | backlog ${t.backlog} | in flight ${t.inflight} msgs` +
      ` | online ${t.online}/${gateways.length} | dropped ${t.dropped} | resent ${t.resent} | scenarios ${scenarios.length}`
    );
  }

  return {
    plan,
    config,
    /** Simulated time now, epoch ms. */
    simNow,
    get gateways(): readonly SimGateway[] {
      return gateways;
    },
    get scenarios(): readonly Scenario[] {
      return scenarios;
    },
    addScenario,
    summary,

    /** Provisions the fleet, connects every gateway, applies the start-up scenarios and starts ticking. */
    async start(): Promise<void> {
      const secrets = await provisionFleet(plan, deps.api);
      deps.print(`provisioned ${plan.gateways.length} enterprises (${plan.gateways.reduce((n, g) => n + g.sensors.length, 0)} sensors)`);
      gateways = plan.gateways.map(
        (def) =>
          new SimGateway(def, {
            secret: secrets.get(def.gatewayId)!,
            host: config.mqtt.host,
            port: config.mqtt.port,
            seed: config.fleet.seed,
            readingsPerMessage: config.fleet.readingsPerMessage,
            maxBacklog: config.maxBacklog,
            maxInflight: config.maxInflight,
            ...(deps.logger ? { logger: deps.logger } : {}),
          }),
      );
      const connected = await Promise.allSettled(gateways.map((g) => g.connect()));
      const failed = connected.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        await Promise.allSettled(gateways.map((g) => g.close()));
        throw new Error(`could not connect to the broker at ${config.mqtt.host}:${config.mqtt.port}: ${(failed.reason as Error).message}`);
      }
      realStart = clock.now();
      simStart = realStart - config.backfillS * 1000;
      lastTo = simStart;
      last = { at: realStart, acked: 0 };
      for (const cmd of config.scenarios) deps.print(`scenario ${JSON.stringify(addScenario(cmd, simStart))}`);
      running = true;
      tickTimer = setInterval(tick, config.tickMs);
      summaryTimer = setInterval(() => deps.print(summary()), config.summaryEveryS * 1000);
    },

    /** Stops ticking, waits up to drainTimeoutMs for acknowledgements, closes every gateway. Idempotent. */
    stop(): Promise<void> {
      stopping ??= (async () => {
        running = false;
        clearInterval(tickTimer);
        clearInterval(summaryTimer);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled(gateways.map((g) => g.drain())),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, config.drainTimeoutMs))),
        ]);
        clearTimeout(timer);
        deps.print(summary());
        await Promise.allSettled(gateways.map((g) => g.close()));
      })();
      return stopping;
    },
  };
}

export type FleetRunner = ReturnType<typeof buildFleetRunner>;
