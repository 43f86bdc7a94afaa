/**
 * Applying one command to the alert of one fingerprint, persisted: read the
 * current alert, run the pure `transition`, save. Every writer goes through
 * this (the rules worker for findings and ticks, the API for acknowledge and
 * dispose, the escalation job), so concurrent writers meet on the store's
 * revision check and the loser re-reads and retries with the fresh alert
 * instead of overwriting it.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../core/errors.ts';
import { transition, type Alert, type Command, type TransitionResult } from './state/index.ts';
import type { AlertStore } from './store.ts';
import type { Announce } from './bus.ts';

export interface ApplyOptions {
  /** Hold time passed to `transition` (0 for pattern findings: patterns apply the hold themselves). */
  forMs?: number;
  /** Attempts when another writer changed the alert meanwhile. Default 5. */
  attempts?: number;
  newId?: () => string;
  /** Told the seqs of the events saved (see `bus.ts`). */
  announce?: Announce;
}

export interface Applied extends TransitionResult {
  before: Alert | undefined;
  /** Sequence numbers of the events saved (none on a no-op or a rejection). */
  seqs?: number[];
}

const isConflict = (err: unknown): boolean => err instanceof AppError && err.code === 'CONFLICT';

/** Applies `cmd` to the fingerprint's current alert (or to the alert `alertId`) and saves the result. */
export async function applyCommand(
  store: AlertStore,
  target: { fingerprint: string } | { alertId: string },
  cmd: Command,
  opts: ApplyOptions = {},
): Promise<Applied> {
  const attempts = opts.attempts ?? 5;
  for (let i = 1; ; i++) {
    const before = 'alertId' in target ? await store.get(target.alertId) : await store.current(target.fingerprint);
    const result = transition(before, cmd, { forMs: opts.forMs ?? 0, newId: opts.newId ?? randomUUID });
    if (result.outcome === 'rejected') return { ...result, before };
    try {
      const { seqs } = await store.save(before, result);
      opts.announce?.(seqs);
      return { ...result, before, seqs };
    } catch (err) {
      if (!isConflict(err) || i >= attempts) throw err;
    }
  }
}
