/** Admin · audit: the latest records of the audit trail, and a check of its hash chains. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { both, t, time } from '../../i18n.ts';
import type { Text } from '../../types.ts';
import { useAction } from './shared.tsx';

interface AuditRecord {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  actionName: Text;
  subjectTypeName: Text;
  actorName: Text;
}

interface Verification {
  ok: boolean;
  audit: { ok: boolean; records: number; brokenAt?: number; reason?: string };
  alertEvents: { ok: boolean; brokenAt?: number; reason?: string };
  records: { ok: boolean; table?: string; key?: string; reason?: string };
}

export function Audit() {
  const [records, setRecords] = useState<AuditRecord[]>([]);
  const [check, setCheck] = useState<Verification | undefined>();
  const { run, busy, view } = useAction();
  useEffect(() => void api<{ records: AuditRecord[] }>('GET', '/api/v1/audit?limit=1000').then((r) => setRecords(r.records.slice(-200).reverse())), []);
  return (
    <>
      <button
        class="primary"
        disabled={busy}
        data-testid="verify"
        onClick={() =>
          void run(async () => {
            const v = await api<Verification>('GET', '/api/v1/audit/verify');
            setCheck(v);
            return v.ok ? t('chainIntact') : t('chainBroken');
          })
        }
      >
        {t('verifyChain')}
      </button>
      {view}
      {check && !check.ok && (
        <p class="error" data-testid="broken">
          {[
            !check.audit.ok && `audit #${check.audit.brokenAt}: ${check.audit.reason}`,
            !check.alertEvents.ok && `alert event #${check.alertEvents.brokenAt}: ${check.alertEvents.reason}`,
            !check.records.ok && `${check.records.table} ${check.records.key}: ${check.records.reason}`,
          ]
            .filter(Boolean)
            .join(' · ')}
        </p>
      )}
      <table class="ranking" data-testid="audit-records">
        <tbody>
          {records.map((r) => (
            <tr key={r.seq}>
              <td>{r.seq}</td>
              <td>{time(r.at)}</td>
              <td>{both(r.actorName)}</td>
              <td>{both(r.actionName)}</td>
              <td>
                {both(r.subjectTypeName)} <span class="muted">{r.subjectId}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
