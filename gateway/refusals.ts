/**
 * The broker's refusals, kept the same way whatever refused: every one is
 * counted (`nss_mqtt_refusals_total{action,reason}`) and logged with the
 * client id and reason. Refusals that come in floods (a connect storm, a
 * client that does not read what it is sent) are counted every time but
 * logged at most once a second per action and reason, with the number left
 * out since the last line.
 */
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';

/** What was refused: the `action` label of the metric and the log. */
export type RefusalAction = 'connect' | 'publish' | 'subscribe' | 'deliver' | 'will' | 'revoke' | 'idle';

export interface Refusals {
  /** Counts and logs a refusal. */
  refuse: (action: RefusalAction, reason: string, ctx: Record<string, unknown>) => void;
  /** For refusals that come in floods: counted every time, logged at most once a second per reason. */
  refuseQuietly: (action: RefusalAction, reason: string, ctx: Record<string, unknown>) => void;
}

/** `now` (ms) paces the quiet refusals' log lines. Default `Date.now`. */
export function createRefusals(log: Logger, metrics: Pick<Metrics, 'mqttRefusals'>, now: () => number = Date.now): Refusals {
  const lastLogged = new Map<string, { at: number; unlogged: number }>();
  return {
    refuse: (action, reason, ctx) => {
      metrics.mqttRefusals.inc({ action, reason });
      log.warn({ action, reason, ...ctx }, `${action} refused`);
    },
    refuseQuietly: (action, reason, ctx) => {
      metrics.mqttRefusals.inc({ action, reason });
      const key = `${action}:${reason}`;
      const last = lastLogged.get(key) ?? { at: 0, unlogged: 0 };
      const at = now();
      if (at - last.at < 1000) {
        last.unlogged++;
        lastLogged.set(key, last);
        return;
      }
      log.warn({ action, reason, ...ctx, notLoggedSinceLast: last.unlogged }, `${action} refused`);
      lastLogged.set(key, { at, unlogged: 0 });
    },
  };
}
