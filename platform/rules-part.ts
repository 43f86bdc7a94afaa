/**
 * The rules part: the streaming rules worker, the inspections' task worker and
 * the notifier, which hands the task worker each alert that fired or rose in
 * grade (alerts publish, inspections consume).
 */
import { buildNotifier, type Notifier } from '../alerts/notify/index.ts';
import { responsePolicy } from '../alerts/response/policy.ts';
import { ResponseService } from '../alerts/response/service.ts';
import { buildRiskWarnings, type RiskWarnings } from '../alerts/warnings/evaluator.ts';
import { buildRulesWorker, type RulesWorker } from '../alerts/worker/worker.ts';
import { buildTaskWorker, type TaskWorker } from '../inspections/tasks/worker.ts';
import type { PlatformContext, StopStep } from './context.ts';

export interface RulesPart {
  rules: RulesWorker;
  /** Risk warnings (预警), judged beside the rules. */
  warnings: RiskWarnings;
  start(): Promise<void>;
  stopSteps: StopStep[];
}

export function buildRulesPart(ctx: PlatformContext): RulesPart {
  const { config, db, clock, logger, metrics, announce, redis, catalogues } = ctx;
  const store = ctx.alertStore;
  const rules = buildRulesWorker(config, { db, store, clock, logger, metrics, announce, redis, catalogue: catalogues });
  // risk warnings (预警) judged from the alarms, data quality and the ledger, re-judged as alerts change
  const warnings = buildRiskWarnings({
    db,
    clock,
    logger,
    patternOf: (ruleId) => catalogues.patternOf(ruleId),
    nameOf: (ruleId) => catalogues.nameOf(ruleId),
    subscribeAlertEvents: ctx.subscribeAlertEvents,
  });
  const taskWorker: TaskWorker = buildTaskWorker(config, {
    db,
    alerts: store,
    redis,
    clock,
    logger,
    // the task policy reads a rule's pattern from the catalogue in force (a catalogue file's, reloaded)
    patternOf: (ruleId) => catalogues.patternOf(ruleId),
    // and whether it is a serious violation (an on-site task, exempt from the cap; otherwise a remote verification)
    seriousOf: (ruleId) => catalogues.seriousOf(ruleId),
    // and the risk warnings an alert is a factor of (an orange or red warning opens a task)
    warningsOf: (enterpriseId) => warnings.store.ofEnterprise(enterpriseId),
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
      await taskWorker.start();
      await notifier.start();
      await warnings.start();
      responseSweep.start();
    },
    stopSteps: [
      { name: 'response sweep', run: () => responseSweep.stop() },
      { name: 'risk warnings', run: () => warnings.stop() },
      { name: 'rules', run: () => rules.stop() },
      { name: 'notifier', run: () => notifier.stop() },
      { name: 'task worker', run: () => taskWorker.stop() },
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
