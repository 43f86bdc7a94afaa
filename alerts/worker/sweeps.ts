/**
 * The rules worker's sweeps over the alerts it persisted: chattering (the same
 * point's alerts firing again and again, 频繁报警, is an alert of its own)
 * lifting suppressions whose root cause is over, and unshelving alarms whose
 * shelve (搁置) has run out. The decisions are the
 * alert state machine's (`detectChattering`, `isActive`); the rows come from
 * sweep-store.ts.
 */
import type { Applied } from '../apply.ts';
import { SYSTEM_ACTOR, detectChattering, isActive } from '../state/index.ts';
import type { AlertStore } from '../store.ts';
import { fingerprintOf, type Finding } from '../types.ts';
import type { RulesEngine } from './engine.ts';
import type { FindingWriter } from './findings.ts';
import type { SweepStore } from './sweep-store.ts';

/** Rule id of the alert raised when one point's alerts keep firing (频繁报警). */
export const CHATTERING_RULE_ID = 'common.chattering';

export interface SweepsDeps {
  store: AlertStore;
  sweepStore: SweepStore;
  engine: RulesEngine;
  writer: Pick<FindingWriter, 'command'>;
}

export class Sweeps {
  constructor(private readonly deps: SweepsDeps) {}

  /** The same point's alerts firing again and again within a day is an alert of its own. */
  async chattering(f: Finding, applied: Applied): Promise<void> {
    const alert = applied.alert;
    if (!alert || f.ruleId === CHATTERING_RULE_ID || alert.firedAt === undefined) return;
    const day = 24 * 3_600_000;
    const times = await this.deps.sweepStore.firedSince(f.enterpriseId, f.subject, CHATTERING_RULE_ID, new Date(alert.firedAt - day));
    if (!detectChattering(times, alert.firedAt)) return;
    const chattering: Finding = {
      ruleId: CHATTERING_RULE_ID,
      ruleVersion: 1,
      enterpriseId: f.enterpriseId,
      subject: f.subject,
      condition: 'raise',
      severity: 'yellow',
      at: alert.firedAt,
      message: {
        zh: `频繁报警：${f.subject} 24 小时内已报警 ${new Set(times).size} 次，请核查仪表、报警设定值或工艺`,
        en: `Chattering: ${f.subject} alarmed ${new Set(times).size} times within 24 h; check the instrument, its limits or the process`,
      },
      evidence: f.evidence,
    };
    await this.deps.writer.command({ fingerprint: fingerprintOf(chattering) }, { type: 'finding', finding: chattering }, chattering);
  }

  /**
   * Lifts suppressions whose root cause (a gateway offline) is over: a silence alert kept pending
   * behind it fires if the sensor is still silent 3 periods after the gateway came back (one that
   * came back has cleared by then and was discarded, never notified).
   */
  async suppressed(now: number): Promise<void> {
    for (const r of await this.deps.sweepStore.suppressed()) {
      if (r.root.startsWith('stop:')) continue; // held back by a planned stop: lifted by stop-watch.ts
      const root = await this.deps.store.current(r.root);
      if (isActive(root)) continue;
      const end = root?.resolvedAt ?? root?.disposedAt ?? now;
      const periodMs = (this.deps.engine.point(r.enterprise_id, r.subject)?.periodS ?? 60) * 1000;
      if (now - end < 3 * periodMs) continue;
      await this.deps.writer.command(
        { alertId: r.id },
        { type: 'unsuppress', at: end },
        { ruleId: r.fingerprint.split('|')[0]!, enterpriseId: r.enterprise_id, subject: r.subject },
      );
    }
  }

  /**
   * Unshelves the alarms whose shelve has run out (at `now`, the injected clock): `unshelve` by the system at
   * `shelvedUntil`, so a re-run is a no-op and the escalation clock resumes from the shelve's end, not from
   * when this sweep happened to run. The 'unshelved' event makes the notifier schedule the next level.
   */
  async shelved(now: number): Promise<void> {
    for (const r of await this.deps.sweepStore.shelveExpired(now)) {
      await this.deps.writer.command(
        { alertId: r.id },
        { type: 'unshelve', actor: SYSTEM_ACTOR, at: r.until },
        { ruleId: r.rule_id, enterpriseId: r.enterprise_id, subject: r.subject },
      );
    }
  }
}
