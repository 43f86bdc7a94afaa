/**
 * Verifies the audit trail, the alert-event chain and the stored tasks and
 * inspections against them through the admin API, and prints the first
 * broken record, if any. Exit code 0: intact; 1: broken
 * (or the API could not be asked).
 *
 *   npm run audit:verify
 *
 * API: API_URL (default http://127.0.0.1:${HTTP_PORT:-8080}); token: ADMIN_TOKEN or var/admin-token.
 */
import { AdminApi, readAdminToken } from '../simulators/admin-api.ts';

interface Verification {
  ok: boolean;
  records?: number;
  events?: number;
  brokenAt?: number;
  reason?: string;
}

async function main(): Promise<void> {
  const api = new AdminApi(process.env.API_URL ?? `http://127.0.0.1:${process.env.HTTP_PORT ?? '8080'}`, readAdminToken(process.env));
  const r = await api.ok<{
    ok: boolean;
    audit: Verification;
    alertEvents: Verification;
    records: { ok: boolean; tasks?: number; taskEvents?: number; inspections?: number; table?: string; key?: string; reason?: string };
  }>('GET', '/api/v1/audit/verify');
  const line = (name: string, v: Verification) =>
    v.ok ? `${name}: intact (${v.records ?? v.events} records)` : `${name}: BROKEN at record ${v.brokenAt}: ${v.reason}`;
  console.log(line('audit trail', r.audit));
  console.log(line('alert events', r.alertEvents));
  const rec = r.records;
  console.log(
    rec.ok
      ? `stored records: match the audit trail (${rec.tasks} tasks, ${rec.taskEvents} task events, ${rec.inspections} inspections)`
      : `stored records: BROKEN at ${rec.table} ${rec.key}: ${rec.reason}`,
  );
  process.exitCode = r.ok ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
