/** The notifier's counters (`nss_notify_*`). */
import { Counter, type Registry } from 'prom-client';

/** A counter on `registry`, or the one already registered under that name (a notifier rebuilt in one process). */
function counter<L extends string>(registry: Registry | undefined, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  const existing = registry?.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter<L>({ name, help, labelNames, registers: registry ? [registry] : [] });
}

export interface NotifierMetrics {
  sent: Counter<'channel' | 'outcome'>;
  escalations: Counter<'outcome'>;
  enqueued: Counter;
}

export function notifierMetrics(registry: Registry | undefined): NotifierMetrics {
  return {
    sent: counter(registry, 'nss_notify_notifications_total', 'Notification attempts by channel and outcome (sent, retrying, failed)', ['channel', 'outcome']),
    escalations: counter(registry, 'nss_notify_escalation_jobs_total', 'Escalation jobs run, by outcome', ['outcome']),
    enqueued: counter(
      registry,
      'nss_notify_jobs_enqueued_total',
      'Notification jobs enqueued by the dispatcher (re-enqueues deduplicated by BullMQ included)',
      [],
    ),
  };
}
