/** Alerts stored through the real alert store (transition + AlertStore.save), for tests that need alerts as a basis. */
import { AlertStore } from '../alerts/store.ts';
import { transition, type Alert } from '../alerts/state/index.ts';
import type { Severity } from '../alerts/types.ts';
import type { Db } from '../core/db/db.ts';

/** Stores a fired alert of `ruleId` at `enterpriseId` (raised at `at`, no hold) and returns it. */
export async function storeFiredAlert(
  db: Db,
  a: { id: string; enterpriseId: string; ruleId: string; severity: Severity; subject?: string; at: number },
): Promise<Alert> {
  const r = transition(
    undefined,
    {
      type: 'finding',
      finding: {
        ruleId: a.ruleId,
        ruleVersion: 1,
        enterpriseId: a.enterpriseId,
        subject: a.subject ?? `P-${a.id}`,
        condition: 'raise',
        severity: a.severity,
        at: a.at,
        message: { zh: '报警', en: 'alarm' },
        evidence: [],
      },
    },
    { forMs: 0, newId: () => a.id },
  );
  await new AlertStore(db).save(undefined, r);
  return r.alert!;
}
