/**
 * `GET /api/v1/alerts/stream`: Server-Sent Events of the alert events in the
 * caller's jurisdiction. `id:` is the event's `alert_events.seq`, `event:`
 * its type, `data:` `{ event, alert }` (the alert's current summary).
 *
 * The table is the source: the stream starts after `Last-Event-ID` (or
 * `?since=`, or the current last seq; never past the current last seq),
 * catches up from the table, then reads `seq > cursor` again whenever an
 * announcement (`subscribeAlertEvents`, Redis pub/sub in the platform) says
 * there is more, and at every heartbeat (a lost announcement delays, never
 * loses). One `SeqPump` per connection runs one read at a time and only
 * moves its cursor forward, so an announcement racing the catch-up can
 * neither skip an event nor send one twice.
 *
 * The scope is the caller's (`who.scope`): an enterprise's own user (issue #18) gets its enterprise's events only,
 * without the bureau's internal ones and parts (alert-detail.ts `enterpriseEvents`, `enterpriseAlertView`). A
 * disabled user's stream ends at the next heartbeat (`stillValid`).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../core/logger.ts';
import { summaryOf, type AlertQueries, type FeedEvent } from '../alerts/query.ts';
import { seqParam, streamQuery } from './alert-params.ts';
import type { Authenticator } from './auth.ts';
import { parse } from './parse.ts';
import { enterpriseAlertView, enterpriseEventView, enterpriseSeesEvent } from './alert-detail.ts';

/** Registers a listener for "events up to `seq` exist"; returns its unsubscribe. */
export type SubscribeAlertEvents = (onSeq: (seq: number) => void) => () => void;

/** Events read from the table per query. */
export const STREAM_BATCH = 500;
/** Reconnection delay suggested to EventSource clients, ms. */
export const STREAM_RETRY_MS = 3000;

export interface PumpOptions<E extends { seq: number }> {
  /** The seq the client has already (the stream sends only later ones). */
  after: number;
  /**
   * Events after `after`, oldest first. `scannedTo`: every event up to it has
   * been considered (sent or out of scope); `more`: call again at once.
   */
  read(after: number): Promise<{ events: E[]; scannedTo: number; more: boolean }>;
  send(e: E): Promise<void>;
  onError(err: unknown): void;
}

/**
 * Single-flight reader behind one connection. `kick()` asks for a read; a kick
 * during a read makes the loop read once more after it, never in parallel.
 * A failed read is reported and retried at the next kick.
 */
export class SeqPump<E extends { seq: number }> {
  private cursor: number;
  private wanted = false;
  private running = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: PumpOptions<E>) {
    this.cursor = opts.after;
  }

  /** Highest seq read through. */
  get position(): number {
    return this.cursor;
  }

  kick(): void {
    if (this.closed) return;
    this.wanted = true;
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  close(): void {
    this.closed = true;
  }

  /** Resolves once no read is running or wanted (for tests and orderly shutdown). */
  idle(): Promise<void> {
    return this.running ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  private async run(): Promise<void> {
    try {
      while (this.wanted && !this.closed) {
        this.wanted = false;
        const { events, scannedTo, more } = await this.opts.read(this.cursor);
        for (const e of events) {
          if (this.closed) return;
          if (e.seq <= this.cursor) continue; // never twice, whatever `read` returns
          await this.opts.send(e);
          this.cursor = e.seq;
        }
        if (scannedTo > this.cursor) this.cursor = scannedTo;
        if (more) this.wanted = true;
      }
    } catch (err) {
      this.opts.onError(err);
    } finally {
      // No await between the loop's last check and here: a kick cannot fall in between.
      this.running = false;
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}

/** One SSE message for a feed event. JSON never contains a raw newline, so `data:` is one line. */
export function sseFrame(e: FeedEvent, forEnterprise = false): string {
  const { alert, ...event } = e;
  const data = forEnterprise ? { event: enterpriseEventView(event), alert: enterpriseAlertView(summaryOf(alert)) } : { event, alert: summaryOf(alert) };
  return `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface StreamDeps {
  queries: AlertQueries;
  auth: Authenticator;
  subscribe?: SubscribeAlertEvents | undefined;
  /** Heartbeat comment, safety poll and token re-check interval, ms. */
  heartbeatMs: number;
  logger: Logger;
}

export function registerAlertStream(app: FastifyInstance, deps: StreamDeps): void {
  /** Ends of the open streams: closed before the server stops, or `close()` would wait for the clients. */
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  // No automatic HEAD route: a HEAD response has no body, so its headers would wait for `end()` and the
  // request would hold a stream (subscription, heartbeat, polls) open until the client gave up.
  app.get('/api/v1/alerts/stream', { exposeHeadRoute: false, schema: { querystring: streamQuery } }, async (req, reply) => {
    const who = await deps.auth.authorize(req, 'alerts.read');
    const q = parse(streamQuery, req.query, 'query');
    const header = req.headers['last-event-id'];
    const resumeFrom = typeof header === 'string' ? parse(seqParam, header.trim(), 'Last-Event-ID header') : undefined;
    const asked = resumeFrom ?? q.since;
    const lastSeq = await deps.queries.lastSeq();
    // A position past the newest event was not handed out by this database (restored, or another installation's):
    // starting there would skip the next events without a word, so start from the newest instead.
    const after = asked === undefined ? lastSeq : Math.min(asked, lastSeq);
    const log = deps.logger.child({ component: 'alert-stream', actor: who.actor, reqId: req.id });
    const forEnterprise = who.kind === 'enterprise';
    if (asked !== undefined && asked > lastSeq)
      log.warn({ asked, lastSeq }, 'stream asked to start after an event that does not exist; starting after the newest');

    reply.hijack();
    const res = reply.raw;
    let closed = false;
    const write = (chunk: string): Promise<void> => {
      if (closed || res.writableEnded) return Promise.resolve();
      if (res.write(chunk)) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    };

    const pump = new SeqPump<FeedEvent>({
      after,
      read: async (from) => {
        const upTo = await deps.queries.lastSeq();
        if (upTo <= from) return { events: [], scannedTo: from, more: false };
        const events = await deps.queries.eventsAfter(who.scope, from, upTo, { limit: STREAM_BATCH, includeUnfired: q.includeUnfired });
        const more = events.length === STREAM_BATCH;
        const shown = forEnterprise ? events.filter(enterpriseSeesEvent) : events;
        return { events: shown, scannedTo: more ? (events[events.length - 1]?.seq ?? from) : upTo, more };
      },
      send: (e) => write(sseFrame(e, forEnterprise)),
      onError: (err) => log.error({ err }, 'alert stream read failed; retrying at the next heartbeat'),
    });

    // set once the response has started; `end` may run before that
    const handles: { timer?: NodeJS.Timeout; unsubscribe?: () => void } = {};
    const end = () => {
      if (closed) return;
      closed = true;
      clearInterval(handles.timer);
      pump.close();
      open.delete(end);
      try {
        handles.unsubscribe?.();
      } catch (err) {
        log.warn({ err }, 'unsubscribing an alert stream failed');
      }
      if (!res.writableEnded) res.end();
      log.info({ lastSeq: pump.position }, 'alert stream closed');
    };
    res.on('close', end);
    res.on('error', (err) => {
      log.debug({ err }, 'alert stream connection error');
      end();
    });
    open.add(end);
    if (res.socket === null || res.socket.destroyed) {
      end(); // the client left while the request was being checked: its 'close' came before the listener
      return;
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Subscribe before the first read: an announcement during the catch-up then triggers one more read.
    handles.unsubscribe = deps.subscribe?.((seq) => {
      if (seq > pump.position) pump.kick();
    });
    await write(`retry: ${STREAM_RETRY_MS}\n: alert events after ${after}\n\n`);
    pump.kick();
    log.info({ after, resumed: resumeFrom !== undefined }, 'alert stream opened');

    const heartbeat = async () => {
      try {
        if (!(await deps.auth.stillValid(who))) {
          log.info('officer disabled; closing the alert stream');
          end();
          return;
        }
        await write(': heartbeat\n\n');
        pump.kick();
      } catch (err) {
        log.error({ err }, 'alert stream heartbeat failed');
      }
    };
    handles.timer = setInterval(() => void heartbeat(), deps.heartbeatMs);
    if (closed) clearInterval(handles.timer);
  });
}
