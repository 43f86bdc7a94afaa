/**
 * The rules part: the streaming rules worker, the inspections' task worker and
 * the notifier, which hands the task worker each alert that fired or rose in
 * grade (alerts publish, inspections consume). In a cluster one node runs the
 * rules at a time, under a lease (see `buildRulesPart`).
 */
import { buildNotifier, type Notifier } from '../alerts/notify/index.ts';
import { responsePolicy } from '../alerts/response/policy.ts';
import { ResponseService } from '../alerts/response/service.ts';
import { buildRiskWarnings, type RiskWarnings } from '../alerts/warnings/evaluator.ts';
import { RiskWarningStore } from '../alerts/warnings/store.ts';
import { buildRulesWorker, type RulesWorker } from '../alerts/worker/worker.ts';
import { randomUUID } from 'node:crypto';
import { PartitionLease } from '../alerts/worker/lease.ts';
import { agreePartitions } from '../core/partitions.ts';
import { rulesNodesKey } from '../core/redis-keys.ts';
import { AlertStore } from '../alerts/store.ts';
import { buildTaskWorker, type TaskWorker } from '../inspections/tasks/worker.ts';
import type { PlatformContext, StopStep } from './context.ts';

export interface RulesPart {
  /** The rules worker of this node's term (throws on a standby node). */
  readonly rules: RulesWorker;
  /** Risk warnings (预警), judged beside the rules (throws on a standby node). */
  readonly warnings: RiskWarnings;
  start(): Promise<void>;
  stopSteps: StopStep[];
}

/** What one term of a partition's lease runs: its rules worker; partition 0's also the risk warnings, the response sweep and the notifier. */
interface Term {
  rules: RulesWorker;
  warnings: RiskWarnings | undefined;
  start(): Promise<void>;
  stopSteps: StopStep[];
}

/**
 * The rules part of a node. The inspections' task worker (BullMQ, safe on every node) runs on each. The rules run by
 * partition of the enterprises (`rules.partitions`, core/partitions.ts): a node runs a partition while it holds that
 * partition's lease (alerts/worker/lease.ts), with a worker built afresh for each term from the partition's snapshot
 * and feed, its alert writes fenced by the term's token. The nodes share the partitions: each takes free ones up to
 * its share (the partitions over the live nodes, rounded up; a node is live while it says so within a lease) and
 * hands back, one at a time and cleanly (a final snapshot, then the release), what it holds beyond it. Every fifth
 * of a lease a node renews what it holds and looks again; a node that dies is replaced once its leases lapse.
 * Partition 0's holder also runs what must run once: the notifier, the risk warnings, the response sweep.
 */
export function buildRulesPart(ctx: PlatformContext): RulesPart {
  const { config, db, clock, logger, metrics, redis, catalogues } = ctx;
  const log = logger.child({ part: 'rules', component: 'lease' });
  const count = config.rules.partitions;
  const leaseMs = config.rules.leaseMs;
  // the task worker reads the risk warnings from the database, whichever node judged them
  const warningStore = new RiskWarningStore(db);
  const taskWorker: TaskWorker = buildTaskWorker(config, {
    db,
    alerts: ctx.alertStore,
    redis,
    clock,
    logger,
    // the task policy reads a rule's pattern from the catalogue in force (a catalogue file's, reloaded)
    patternOf: (ruleId) => catalogues.patternOf(ruleId),
    // and whether it is a serious violation (an on-site task, exempt from the cap; otherwise a remote verification)
    seriousOf: (ruleId) => catalogues.seriousOf(ruleId),
    // and the risk warnings an alert is a factor of (an orange or red warning opens a task)
    warningsOf: (enterpriseId) => warningStore.ofEnterprise(enterpriseId),
  });
  const node = `${config.mqtt.brokerId}/${randomUUID().slice(0, 8)}`;
  const leases = Array.from({ length: count }, (_, p) => new PartitionLease({ redis: redis.command, db, redisPrefix: config.redisPrefix, leaseMs }, p, node));
  const terms = new Map<number, Term>();
  /** The partitions whose lease this node holds: a term starting, running or ending. Renewed on their own timer. */
  const leased = new Set<number>();
  const renewedAt = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  let renewTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  // the rounds and the ends of terms, one at a time (an end queued by the renewal runs between rounds)
  let chain: Promise<void> = Promise.resolve();
  const serial = (work: () => Promise<void>): Promise<void> =>
    (chain = chain.then(work).catch((err: unknown) => log.error({ err }, 'rules leases: round failed')));

  const endTerm = async (p: number, why: string, release: boolean): Promise<void> => {
    const t = terms.get(p);
    terms.delete(p);
    metrics.rulesLeaseHeld.set(terms.size);
    if (t) {
      log.warn({ node, partition: p, why }, 'rules term ended');
      for (const step of t.stopSteps) {
        try {
          await step.run();
        } catch (err) {
          log.error({ err, step: step.name, partition: p }, 'error while ending the rules term');
        }
      }
    }
    if (release && leased.has(p)) await leases[p]!.release().catch(() => undefined);
    leased.delete(p);
  };
  /** The lease of `p` is gone: its writes are refused from now (the token is forgotten), its term is ended next. */
  const lost = (p: number, why: string): void => {
    if (!leased.delete(p)) return;
    leases[p]!.lost();
    void serial(() => endTerm(p, why, false));
  };

  // every held lease renewed every third of it, whatever the rounds are doing (a term starting or ending may take long)
  const renewAll = async (): Promise<void> => {
    const now = Date.now();
    for (const p of [...leased]) {
      const kept = await leases[p]!.renew().catch((err: unknown) => {
        log.warn({ err: (err as Error).message, partition: p }, 'could not renew a rules lease');
        return undefined;
      });
      if (kept === true) renewedAt.set(p, now);
      else if (kept === false) lost(p, 'lease lost');
      // Redis unreachable for a whole lease: another node may hold it by now
      else if (now - (renewedAt.get(p) ?? 0) >= leaseMs) lost(p, 'lease not renewed in time');
    }
  };

  const startTerm = async (p: number): Promise<void> => {
    const lease = leases[p]!;
    // a write refused by the fence (this node lost the lease while paused, say) ends the term at once
    const t = buildTerm(ctx, taskWorker, lease, { index: p, count }, () => lost(p, 'a write was fenced off'));
    const began = Date.now();
    try {
      await t.start();
    } catch (err) {
      log.error({ err, partition: p }, 'rules term could not start; giving the lease up');
      for (const step of t.stopSteps) await step.run().catch(() => undefined);
      if (leased.delete(p)) await lease.release().catch(() => undefined);
      return;
    }
    if (!leased.has(p)) {
      // lost while it started: its end is queued (it finds no term) — stop this one here
      for (const step of t.stopSteps) await step.run().catch(() => undefined);
      return;
    }
    terms.set(p, t);
    metrics.rulesLeaseHeld.set(terms.size);
    metrics.rulesTerms.inc();
    log.info({ node, partition: p, token: lease.token, startMs: Date.now() - began }, 'rules term started: this node runs the partition');
  };

  const beat = async (): Promise<void> => {
    if (stopped) return;
    const now = Date.now();
    // this node's share: the partitions over the nodes alive within a lease (itself included)
    let live = 1;
    try {
      const nodes = rulesNodesKey(config.redisPrefix);
      await redis.command.zadd(nodes, now, node);
      await redis.command.zremrangebyscore(nodes, '-inf', now - 10 * leaseMs);
      live = Math.max(1, await redis.command.zcount(nodes, now - leaseMs, '+inf'));
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not count the nodes running the rules');
      return;
    }
    const share = Math.ceil(count / live);
    if (leased.size > share) {
      // handed back cleanly, the highest first (partition 0, with the notifier, last)
      const p = Math.max(...leased);
      await endTerm(p, `more than this node's share (${share} of ${count} over ${live} nodes)`, true);
      return;
    }
    const free = leases.map((_, p) => p).filter((p) => !leased.has(p));
    for (const p of shuffle(free)) {
      if (leased.size >= share || stopped) break;
      const acquired = await leases[p]!.tryAcquire().catch((err: unknown) => {
        log.warn({ err: (err as Error).message, partition: p }, 'could not try for a rules lease');
        return false;
      });
      if (!acquired) continue;
      leased.add(p);
      renewedAt.set(p, Date.now());
      await startTerm(p);
    }
  };
  const schedule = (): void => {
    timer = setTimeout(
      () =>
        void serial(beat).finally(() => {
          if (!stopped) schedule();
        }),
      Math.floor(leaseMs / 5),
    );
    timer.unref();
  };
  const first = (): Term => {
    const t = terms.get(0);
    if (!t) throw new Error('this node does not run the rules of partition 0 now (another node holds its lease)');
    return t;
  };

  return {
    get rules(): RulesWorker {
      return first().rules;
    },
    get warnings(): RiskWarnings {
      return first().warnings!;
    },
    start: async () => {
      await taskWorker.start();
      // the partitions agree with the feed the gateways write, or nothing starts
      await agreePartitions(redis.command, config.redisPrefix, count);
      // the leases renewed from before the first round: its terms' starts (the ledger, the feed's replay) may take
      // longer than a lease
      renewTimer = setInterval(() => void renewAll(), Math.floor(leaseMs / 3));
      renewTimer.unref();
      // the first round at once: a single node runs its rules from the start
      await serial(beat);
      schedule();
    },
    stopSteps: [
      {
        name: 'rules leases',
        run: async () => {
          stopped = true;
          clearTimeout(timer);
          await chain;
          for (const p of [...leased]) await endTerm(p, 'platform stopping', true);
          clearInterval(renewTimer);
          await redis.command.zrem(rulesNodesKey(config.redisPrefix), node).catch(() => undefined);
        },
      },
      { name: 'task worker', run: () => taskWorker.stop() },
    ],
  };
}

/** A copy in random order (Fisher–Yates): nodes trying for free partitions do not all try the same one first. */
function shuffle<T>(list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** One term's parts, its alert writes fenced by the lease's token; partition 0's with what runs once. */
function buildTerm(
  ctx: PlatformContext,
  taskWorker: TaskWorker,
  lease: PartitionLease,
  partition: { index: number; count: number },
  onFenced: () => void,
): Term {
  const { config, db, clock, logger, metrics, announce, redis, catalogues } = ctx;
  // the term's alert writes: each checks, in its transaction, that the term's token is still current
  const fence = lease.fenceOfTerm();
  const store = new AlertStore(db, fence);
  const rules = buildRulesWorker(config, {
    db,
    store,
    clock,
    logger,
    metrics,
    announce,
    redis,
    catalogue: catalogues,
    lease: { key: lease.leaseKey, holder: lease.holder },
    partition,
    onFenced,
  });
  if (partition.index !== 0) {
    return { rules, warnings: undefined, start: () => rules.start(), stopSteps: [{ name: `rules ${partition.index}`, run: () => rules.stop() }] };
  }
  // risk warnings (预警) judged from the alarms, data quality and the ledger, re-judged as alerts change
  const warnings = buildRiskWarnings({
    db,
    clock,
    logger,
    patternOf: (ruleId) => catalogues.patternOf(ruleId),
    nameOf: (ruleId) => catalogues.nameOf(ruleId),
    subscribeAlertEvents: ctx.subscribeAlertEvents,
  });
  // the enterprise answers its alarms first (issue #18): handed over as they fire, overdue answers supervised
  const responses = new ResponseService({
    db,
    alerts: store,
    clock,
    logger: logger.child({ part: 'responses' }),
    policy: responsePolicy(config.response),
    patternOf: (ruleId) => catalogues.patternOf(ruleId),
    announce,
  });
  const responseSweep = everySweep(config.response.sweepMs, () => responses.sweep(), logger);
  const notifier: Notifier = buildNotifier(config, { db, store, clock, logger, metrics, announce, redis, tasks: taskWorker, responses });
  return {
    rules,
    warnings,
    start: async () => {
      await rules.start();
      await notifier.start();
      await warnings.start();
      responseSweep.start();
    },
    stopSteps: [
      { name: 'response sweep', run: () => responseSweep.stop() },
      { name: 'risk warnings', run: () => warnings.stop() },
      { name: 'rules', run: () => rules.stop() },
      { name: 'notifier', run: () => notifier.stop() },
    ],
  };
}

/** Runs `sweep` every `ms`, one run at a time; a failed run is logged and the next one tries again. */
function everySweep(ms: number, sweep: () => Promise<unknown>, logger: PlatformContext['logger']): { start(): void; stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  return {
    start() {
      timer ??= setInterval(() => {
        running ??= sweep()
          .catch((err: unknown) => logger.error({ err }, 'response sweep failed'))
          .finally(() => (running = undefined));
      }, ms);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
