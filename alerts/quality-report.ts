/**
 * Reads the alarms an alarm-quality report (quality.ts) is computed from: those of the enterprises in a
 * jurisdiction that were active at some time in [from, to) — fired, held back, or still standing from before.
 */
import type { Queryable } from '../core/db/db.ts';
import { Params, scopeSql, whereAll, type Scope } from '../core/jurisdiction.ts';
import type { Alert } from './state/index.ts';
import { qualityOf, type QualityAlarm, type QualityFigures } from './quality.ts';

export interface QualityReport extends QualityFigures {
  from: number;
  to: number;
  names: { enterprises: Record<string, string>; authorities: Record<string, string> };
}

export async function alarmQuality(db: Queryable, scope: Scope, from: number, to: number): Promise<QualityReport> {
  const params = new Params();
  const { cte, cond } = scopeSql(scope, params, 'a.enterprise_id');
  const pFrom = params.add(new Date(from));
  const pTo = params.add(new Date(to));
  const pFromMs = params.add(from);
  const { rows } = await db.query<{ data: Alert; authority_id: string | null }>(
    `${cte}SELECT a.data, e.authority_id FROM alerts a JOIN enterprises e ON e.id = a.enterprise_id
     ${whereAll([
       cond,
       `a.started_at < ${pTo}`,
       // active now, or ended in the period (cleared, or disposed without clearing: no resolved_at then)
       `(a.state IN ('pending', 'firing', 'acknowledged') OR a.resolved_at >= ${pFrom} OR (a.data->>'disposedAt')::bigint >= ${pFromMs})`,
     ])}`,
    params.values,
  );
  const alarms: QualityAlarm[] = rows.map(({ data: a, authority_id }) => ({
    id: a.id,
    fingerprint: a.fingerprint,
    ruleId: a.ruleId,
    enterpriseId: a.enterpriseId,
    authorityId: authority_id,
    subject: a.subject,
    severity: a.severity,
    startedAt: a.startedAt,
    firedAt: a.firedAt,
    endedAt: a.resolvedAt ?? a.disposedAt,
    suppressed: a.firedAt === undefined && a.suppressedBy !== undefined,
  }));
  const figures = qualityOf(alarms, from, to);
  const ids = [...new Set(alarms.map((a) => a.enterpriseId))];
  const [ents, auths] = await Promise.all([
    db.query<{ id: string; name: string }>('SELECT id, name FROM enterprises WHERE id = ANY($1)', [ids]),
    db.query<{ id: string; name: string }>('SELECT id, name FROM authorities'),
  ]);
  return {
    from,
    to,
    ...figures,
    names: { enterprises: Object.fromEntries(ents.rows.map((r) => [r.id, r.name])), authorities: Object.fromEntries(auths.rows.map((r) => [r.id, r.name])) },
  };
}
