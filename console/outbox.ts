/**
 * The inspector's outbox (issue #20 §8): findings entered without a connection are kept on the phone
 * (localStorage, so a reload or a closed browser loses nothing) and sent when it is back (the `online`
 * event, and at start). A step the server refuses (4xx: the task moved on, an item unanswered) leaves the
 * outbox with its reason kept for the inspector to see; a network failure keeps it queued.
 */
import { api, ApiError } from './api.ts';
import { signal } from './state.ts';
import type { Finding, Task } from './types.ts';

const KEY = 'nss.outbox';

export interface Queued {
  /** Unique per entry. */
  key: string;
  taskId: string;
  /** The lifecycle step (`findings`). */
  step: string;
  body: unknown;
  /** Epoch ms, the phone's clock. */
  queuedAt: number;
  /** Set when the server refused it: the reason, in the language shown then. */
  refused?: string | undefined;
}

const read = (): Queued[] => {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? (v as Queued[]) : [];
  } catch {
    return [];
  }
};

/** Everything in the outbox: waiting, or refused (with its reason). */
export const outbox = signal<Queued[]>(read());

const write = (q: Queued[]): void => {
  try {
    localStorage.setItem(KEY, JSON.stringify(q));
  } catch {
    // storage full or private mode: the queue lasts this page
  }
  outbox.set(q);
};

/** Entries still to send. */
export const waiting = (q: readonly Queued[] = outbox.get()): Queued[] => q.filter((e) => e.refused === undefined);

/** A request that never reached the server (no connection), as opposed to its refusal. */
const unreachable = (err: unknown): boolean => !(err instanceof ApiError) || err.status === 502 || err.status === 503 || err.status === 504;

/**
 * Sends a step now, or — offline, or the network failing — keeps it in the outbox. Returns the task the
 * server answered, or undefined when it was queued. A refusal (4xx) is thrown as the API's error.
 */
export async function sendOrQueue(taskId: string, step: string, body: unknown): Promise<Task | undefined> {
  const queue = (): undefined => {
    write([
      ...outbox.get().filter((e) => !(e.taskId === taskId && e.step === step)),
      { key: `${Date.now()}-${Math.random().toString(36).slice(2)}`, taskId, step, body, queuedAt: Date.now() },
    ]);
    return undefined;
  };
  if (typeof navigator !== 'undefined' && navigator.onLine === false) return queue();
  try {
    return (await api<{ task: Task }>('POST', `/api/v1/tasks/${encodeURIComponent(taskId)}/${step}`, body)).task;
  } catch (err) {
    if (unreachable(err)) return queue();
    throw err;
  }
}

/**
 * The same findings, item by item (compliant or not, note, evidence): what a queued `findings` step would have
 * recorded. A hazard may be recorded as a major one (重大隐患: the server judges it by the standard's criteria).
 */
export function sameFindings(sent: unknown, recorded: readonly Finding[]): boolean {
  const mine = (sent as { findings?: Partial<Finding>[] } | undefined)?.findings;
  if (!Array.isArray(mine) || mine.length !== recorded.length) return false;
  const key = (f: Partial<Finding>) => JSON.stringify([f.itemId, f.result === 'ok', f.note ?? '', [...(f.evidence ?? [])].sort()]);
  const theirs = new Set(recorded.map(key));
  return mine.every((f) => theirs.has(key(f)));
}

/** The task, when the queued step `e` is already on it (applied by an earlier try); 'no'; 'unknown' when it could not be read. */
async function appliedAlready(e: Queued): Promise<Task | 'no' | 'unknown'> {
  if (e.step !== 'findings') return 'no';
  try {
    // as the server has it now: not an answer the service worker kept from before
    const { task } = await api<{ task: Task }>('GET', `/api/v1/tasks/${encodeURIComponent(e.taskId)}`, undefined, undefined, { fresh: true });
    return task.state !== 'on_site' && sameFindings(e.body, task.findings) ? task : 'no';
  } catch (err) {
    return unreachable(err) ? 'unknown' : 'no';
  }
}

let flushing: Promise<void> | undefined;

/** Sends what waits, oldest first; `onSent` hears each task the server answered. */
export function flush(onSent?: (task: Task) => void): Promise<void> {
  if (flushing) return flushing;
  const run = async (): Promise<void> => {
    for (const e of waiting()) {
      try {
        const r = await api<{ task: Task }>('POST', `/api/v1/tasks/${encodeURIComponent(e.taskId)}/${e.step}`, e.body, undefined, {
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        });
        write(outbox.get().filter((x) => x.key !== e.key));
        sentListeners.forEach((l) => l(r.task));
        onSent?.(r.task);
      } catch (err) {
        if (unreachable(err)) return; // still offline: try again on the next `online`, or the next retry
        // refused as a conflict: was it this very step, applied on an earlier try whose answer was lost (the
        // connection dropped on the way back)? then it is sent, not refused
        const applied = err instanceof ApiError && err.status === 409 ? await appliedAlready(e) : 'no';
        if (applied === 'unknown') return; // the task could not be read now: the next try asks again
        if (applied !== 'no') {
          write(outbox.get().filter((x) => x.key !== e.key));
          sentListeners.forEach((l) => l(applied));
          onSent?.(applied);
          continue;
        }
        write(outbox.get().map((x) => (x.key === e.key ? { ...x, refused: (err as Error).message } : x)));
      }
    }
  };
  // cleared once done (asynchronously: after the assignment, even when there was nothing to send)
  flushing = run().finally(() => {
    flushing = undefined;
  });
  return flushing;
}

/** Forgets a refused entry once the inspector has seen it. */
export const dismiss = (key: string): void => write(outbox.get().filter((e) => e.key !== key));

const sentListeners = new Set<(task: Task) => void>();
/** Hears each queued step the server accepted; returns the unsubscribe. */
export function onSent(l: (task: Task) => void): () => void {
  sentListeners.add(l);
  return () => sentListeners.delete(l);
}

/**
 * How often the phone tries again while something waits and it believes it is online (ms): the console's own
 * interval — the `online` event can come before the network carries requests again, or not at all.
 */
export const RETRY_MS = 5_000;
/**
 * How long one queued step may take before it counts as not sent (ms; the console's own limit): a request caught in
 * a connection that went away can hang without failing, and must not hold up the outbox. The server applies a step
 * once: a step applied whose answer was lost is refused on the next try as a conflict, and then found on the task
 * (the same findings recorded): sent, not refused.
 */
export const SEND_TIMEOUT_MS = 15_000;

/** Sends the outbox whenever the connection comes back, and once now. */
export function startOutbox(): void {
  window.addEventListener('online', () => void flush());
  setInterval(() => {
    if (navigator.onLine && waiting().length > 0) void flush();
  }, RETRY_MS);
  // another tab's queue
  window.addEventListener('storage', (e) => e.key === KEY && outbox.set(read()));
  if (navigator.onLine) void flush();
}
