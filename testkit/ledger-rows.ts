/**
 * Rows written straight into the ledger for tests of what reads them (statistics, reports): an inspection task with
 * its findings' results, and a recorded inspection, each at a given time. Ids are made up (`T1`, `I2`, …), unique
 * per process.
 */
import type { Queryable } from '../core/db/db.ts';

let seq = 0;

/** A task (case) of `origin` in `state`, created at `at`, with one finding per result (`ok`, `hazard`, `major_hazard`). */
export async function insertTask(
  db: Queryable,
  t: { enterpriseId: string; authorityId: string; origin: string; at: number; state: string; results: string[] },
): Promise<void> {
  const id = `T${++seq}`;
  const findings = t.results.map((result, i) => ({ itemId: `I${i}`, result, note: '', evidence: [], selfReported: false }));
  await db.query(
    `INSERT INTO tasks (id, enterprise_id, authority_id, matter, origin, state, data, rev, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)`,
    [id, t.enterpriseId, t.authorityId, `matter-${id}`, t.origin, t.state, JSON.stringify({ id, findings }), new Date(t.at)],
  );
}

/** An inspection of `origin` at `at` (its year China Standard Time's). */
export async function insertInspection(db: Queryable, i: { enterpriseId: string; authorityId: string; origin: string; at: number }): Promise<void> {
  await db.query(
    `INSERT INTO inspections (id, enterprise_id, authority_id, origin, joint, exempt, at, year, created_by, created_at)
     VALUES ($1, $2, $3, $4, false, false, $5, $6, 'test', $5)`,
    [`I${++seq}`, i.enterpriseId, i.authorityId, i.origin, new Date(i.at), new Date(i.at + 8 * 3_600_000).getUTCFullYear()],
  );
}
