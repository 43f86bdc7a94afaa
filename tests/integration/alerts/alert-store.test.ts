/**
 * Alert persistence on real (embedded) PostgreSQL: transitions saved
 * atomically, one active alert per fingerprint enforced by the database,
 * append-only hash-chained events, evidence snapshotted by content hash, and
 * optimistic concurrency between writers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contentHash } from '../../../core/canonical-json.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import { AlertStore, GENESIS_HASH } from '../../../alerts/store.ts';
import { transition, type Alert, type Command } from '../../../alerts/state/index.ts';
import type { Finding, Observation } from '../../../alerts/types.ts';

let db: Db;
let store: AlertStore;
let ids = 0;
const policy = { forMs: 30_000, newId: () => `alert-${++ids}` };
const T0 = Date.UTC(2026, 10, 26, 2, 0, 0);

const reading = (value: number, ts: number): Observation => ({
  type: 'reading',
  point: { enterpriseId: 'E1', gatewayId: 'G1', id: 'GT-101', kind: 'combustible_gas', unit: '%LEL', periodS: 5, zone: 'tank-farm' },
  value,
  quality: 'good',
  ts,
});
const finding = (condition: 'raise' | 'clear', at: number, severity: Finding['severity'] = 'orange', value = 30): Finding => ({
  ruleId: 'gas.combustible.l1',
  ruleVersion: 1,
  enterpriseId: 'E1',
  subject: 'GT-101',
  condition,
  severity,
  at,
  message: { zh: '可燃气体一级报警', en: 'Combustible gas level-1 alarm' },
  evidence: [reading(value, at)],
});

/** Applies a command to the stored alert of the fingerprint and saves the result, as the worker does. */
async function apply(cmd: Command, s = store): Promise<Alert | undefined> {
  const before = await s.current('gas.combustible.l1|E1|GT-101');
  const result = transition(before, cmd, policy);
  expect(result.error).toBeUndefined();
  await s.save(before, result);
  return result.alert;
}

beforeEach(async () => {
  db = await openDb({ pgliteDir: 'memory://', logger: createLogger({ level: 'silent' }) });
  store = new AlertStore(db);
});
afterEach(async () => {
  await db.close();
});

describe('AlertStore', () => {
  it('saves an episode raise → hold → fire → clear → dispose with its events in order and its evidence by hash', async () => {
    await apply({ type: 'finding', finding: finding('raise', T0) });
    await apply({ type: 'tick', now: T0 + 30_000 });
    await apply({ type: 'finding', finding: finding('clear', T0 + 120_000) });
    const done = await apply({ type: 'dispose', actor: 'user:duty-1', at: T0 + 300_000, text: '已电话核实，现场检修完毕' });
    expect(done?.state).toBe('disposed');

    const stored = await store.get(done!.id);
    expect(stored).toEqual(done);
    const events = await store.events(done!.id);
    expect(events.map((e) => e.type)).toEqual(['pending', 'fired', 'resolved', 'disposed']);
    expect(events[0]?.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < events.length; i++) expect(events[i]?.prevHash).toBe(events[i - 1]?.hash);
    const fired = events[1]!;
    expect(fired.at).toBe(T0 + 30_000);
    expect(fired.evidenceHash).toBe(contentHash([reading(30, T0)]));
    expect(await store.evidence(fired.evidenceHash!)).toEqual([reading(30, T0)]);
    expect(events[3]?.note).toBe('已电话核实，现场检修完毕');
    expect(await store.verifyChain()).toEqual({ ok: true, events: 4 });
  });

  it('writes nothing for a duplicate finding (at-least-once delivery)', async () => {
    await apply({ type: 'finding', finding: finding('raise', T0) });
    const a = await apply({ type: 'finding', finding: finding('raise', T0) });
    expect((await store.events(a!.id)).map((e) => e.type)).toEqual(['pending']);
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM alerts');
    expect(Number(rows[0]?.n)).toBe(1);
  });

  it('lets the database refuse a second active alert for one fingerprint', async () => {
    const first = await apply({ type: 'finding', finding: finding('raise', T0) });
    // a second writer that did not see the first alert opens another one
    const other = new AlertStore(db);
    const result = transition(undefined, { type: 'finding', finding: finding('raise', T0 + 1000) }, policy);
    await expect(other.save(undefined, result)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await store.active()).map((a) => a.id)).toEqual([first!.id]);
  });

  it('refuses a stale writer instead of overwriting a newer revision', async () => {
    await apply({ type: 'finding', finding: finding('raise', T0) });
    const a = new AlertStore(db);
    const b = new AlertStore(db);
    const seenByA = await a.current('gas.combustible.l1|E1|GT-101');
    const seenByB = await b.current('gas.combustible.l1|E1|GT-101');
    await a.save(seenByA, transition(seenByA, { type: 'tick', now: T0 + 30_000 }, policy));
    const late = transition(seenByB, { type: 'finding', finding: finding('raise', T0 + 10_000, 'red') }, policy);
    await expect(b.save(seenByB, late)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('keeps events and evidence append-only, and detects an edit made behind its back', async () => {
    const a = await apply({ type: 'finding', finding: finding('raise', T0, 'red') });
    await apply({ type: 'tick', now: T0 + 30_000 });
    await expect(db.query("UPDATE alert_events SET detail = 'nothing happened'")).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM alert_events')).rejects.toThrow(/append-only/);
    await expect(db.query("UPDATE alert_evidence SET content = '[]'::jsonb")).rejects.toThrow(/append-only/);
    expect(await store.verifyChain()).toMatchObject({ ok: true });
    // someone with owner rights disables the guard and rewrites history
    await db.exec('ALTER TABLE alert_events DISABLE TRIGGER alert_events_append_only');
    const [, second] = await store.events(a!.id);
    await db.query("UPDATE alert_events SET severity = 'blue' WHERE seq = $1", [second!.seq]);
    expect(await store.verifyChain()).toEqual({ ok: false, brokenAt: second!.seq, reason: 'record does not match its hash' });
  });
});
