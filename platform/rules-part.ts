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
import { PartitionLease } from '../alerts/worker/lease.ts';
import { AlertStore } from '../alerts/store.ts';
import { buildTaskWorker, type TaskWorker } from '../inspections/tasks/worker.ts';
import type { PlatformContext, StopStep } from './context.ts';

export interface RulesPart {
  /** The rules worker of this node's term (throws on a standby node). */
  readonly rules: RulesWorker;
  /** Risk warnings (预警), judged beside the rules (throws on a standby node). */
  readonly warnings: RiskWarnings;
  /** Whether this node runs the rules now (holds the lease). */
  readonly active: boolean;
  start(): Promise<void>;
  stopSteps: StopStep[];
}

/** The rules' partition: one for now, so one node of a cluster runs the rules at a time (issue #19 §3). */
const PARTITION = 0;

/** What one term of the lease runs: the rules worker, the risk warnings, the response sweep and the notifier. */
interface Term {
  rules: RulesWorker;
  warnings: RiskWarnings;
  start(): Promise<void>;
  stopSteps: StopStep[];
}

/**
 * The rules part of a node. The inspections' task worker (BullMQ, safe on every node) runs on each; the rest runs on
 * the node that holds the rules' lease (alerts/worker/lease.ts), built afresh for each term from the snapshot and the
 * feed, its alert writes fenced by the term's token. A standby node tries for the lease every fifth of it; the holder
 * renews it every third, and stops its term at once when it finds the lease lost.
 */
export function buildRulesPart(ctx: PlatformContext): RulesPart {
  const { config, db, clock, logger, metrics, redis, catalogues } = ctx;
  const log = logger.child({ part: 'rules', component: 'lease' });
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
  const lease = new PartitionLease(
    { redis: redis.command, db, redisPrefix: config.redisPrefix, leaseMs: config.rules.leaseMs },
    PARTITION,
    config.mqtt.brokerId,
  );
  let term: Term | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let busy: Promise<void> = Promise.resolve();

  const endTerm = async (why: string): Promise<void> => {
    const t = term;
    if (!t) return;
    term = undefined;
    metrics.rulesLeaseHeld.set(0);
    log.warn({ holder: lease.holder, why }, 'rules term ended');
    for (const step of t.stopSteps) {
      try {
        await step.run();
      } catch (err) {
        log.error({ err, step: step.name }, 'error while ending the rules term');
      }
    }
  };
  const beat = async (): Promise<void> => {
    if (stopped) return;
    if (term) {
      const kept = await lease.renew().catch((err: unknown) => {
        log.warn({ err: (err as Error).message }, 'could not renew the rules lease');
        return undefined;
      });
      if (kept === false) {
        lease.lost();
        await endTerm('lease lost');
      } else if (kept === true) lastRenewed = Date.now();
      else if (Date.now() - lastRenewed >= config.rules.leaseMs) {
        // Redis unreachable for a whole lease: another node may hold it by now
        lease.lost();
        await endTerm('lease not renewed in time');
      }
      return;
    }
    const acquired = await lease.tryAcquire().catch((err: unknown) => {
      log.warn({ err: (err as Error).message }, 'could not try for the rules lease');
      return false;
    });
    if (!acquired || stopped) return;
    lastRenewed = Date.now();
    const t = buildTerm(ctx, taskWorker, lease);
    const began = Date.now();
    // the lease is kept while the term starts (loading the ledger and the snapshot may take a while)
    const keep = setInterval(() => void lease.renew().catch(() => undefined), Math.floor(config.rules.leaseMs / 3));
    try {
      await t.start();
    } catch (err) {
      log.error({ err }, 'rules term could not start; giving the lease up');
      for (const step of t.stopSteps) await step.run().catch(() => undefined);
      await lease.release().catch(() => undefined);
      return;
    } finally {
      clearInterval(keep);
    }
    term = t;
    metrics.rulesLeaseHeld.set(1);
    metrics.rulesTerms.inc();
    log.info({ holder: lease.holder, token: lease.token, startMs: Date.now() - began }, 'rules term started: this node runs the rules');
  };
  let lastRenewed = 0;
  const schedule = (): void => {
    const every = term ? Math.floor(config.rules.leaseMs / 3) : Math.floor(config.rules.leaseMs / 5);
    timer = setTimeout(() => {
      busy = beat().finally(() => {
        if (!stopped) schedule();
      });
    }, every);
    timer.unref();
  };

  return {
    get rules(): RulesWorker {
      if (!term) throw new Error('this node does not run the rules now (another node holds the lease)');
      return term.rules;
    },
    get warnings(): RiskWarnings {
      if (!term) throw new Error('this node does not run the rules now (another node holds the lease)');
      return term.warnings;
    },
    get active(): boolean {
      return term !== undefined;
    },
    start: async () => {
      await taskWorker.start();
      // the first try at once: a single node runs its rules from the start
      await beat();
      schedule();
    },
    stopSteps: [
      {
        name: 'rules lease',
        run: async () => {
          stopped = true;
          clearTimeout(timer);
          await busy;
          await endTerm('platform stopping');
          await lease.release().catch(() => undefined);
        },
      },
      { name: 'task worker', run: () => taskWorker.stop() },
    ],
  };
}

/** One term's parts, its alert writes fenced by the lease's token. */
function buildTerm(ctx: PlatformContext, taskWorker: TaskWorker, lease: PartitionLease): Term {
  const { config, db, clock, logger, metrics, announce, redis, catalogues } = ctx;
  // the term's alert writes: each checks, in its transaction, that the term's token is still current
  const store = new AlertStore(db, lease.fence);
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
  });
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
