/**
 * The notifier on real Redis (BullMQ), PGlite and a real HTTP webhook
 * receiver: each notified alert event is POSTed once, signed, with its
 * idempotency key; failures are retried (5xx) or not (4xx); a restarted or
 * replaying dispatcher sends nothing twice; and an alert nobody acknowledges
 * is escalated up the authority chain (逐级督办), once per level, even when
 * its job is retried.
 *
 * One database and one Redis for the file; each test has its own Redis
 * prefix and starts its notifier at the current end of `alert_events`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisAnnouncer, type Announce } from '../../../alerts/bus.ts';
import { bullPrefix, notifyCursorKey as cursorKey } from '../../../core/redis-keys.ts';
import { buildNotifier, ESCALATE_QUEUE, NOTIFY_QUEUE, verifySignature, webhookName, type Notifier } from '../../../alerts/notify/index.ts';
import type { NotifierOptions } from '../../../alerts/notify/index.ts';
import type { EscalateJobData, NotifyJobData } from '../../../alerts/notify/jobs.ts';
import { escalationJobId, notificationJobId, type Alert } from '../../../alerts/state/index.ts';
import { AlertStore } from '../../../alerts/store.ts';
import { platformConfigSchema, type PlatformConfigInput } from '../../../core/config.ts';
import { systemClock, type Clock } from '../../../core/clock.ts';
import { openRedisConnections } from '../../../core/connections.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import type { ServiceHandle } from '../../../platform/local-services.ts';
import { LogCapture } from '../../../testkit/platform.ts';
import { startTestRedis } from '../../../testkit/services.ts';
import { AlertDriver, seedAuthorities, startWebhookReceiver, type Delivery, type WebhookReceiver } from '../../../testkit/notify.ts';

const SECRET = 'webhook-secret-0123456789';
/** Red acknowledgement limit of the escalation tests, ms. */
const LIMIT = 300;

let dir: string;
let redisSvc: ServiceHandle;
let redis: Redis;
let db: Db;
let store: AlertStore;
let tests = 0;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nss-notify-'));
  [redisSvc, db] = await Promise.all([startTestRedis(join(dir, 'redis')), openDb({ pgliteDir: 'memory://', logger: createLogger({ level: 'silent' }) })]);
  redis = new Redis(redisSvc.url, { maxRetriesPerRequest: null });
  store = new AlertStore(db);
  await seedAuthorities(db);
});

afterEach(async () => {
  // newest first: notifiers before the receivers they call
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(async () => {
  await redis?.quit();
  await db?.close();
  await redisSvc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type NotifyInput = NonNullable<PlatformConfigInput['notify']>;

interface Harness {
  prefix: string;
  hook: WebhookReceiver;
  logs: LogCapture;
  driver: AlertDriver;
  notifyQueue: Queue<NotifyJobData>;
  escalateQueue: Queue<EscalateJobData>;
  /** Builds and starts a notifier on this prefix (again after a `stop`, as a restarted process would). */
  start(): Promise<Notifier>;
}

const maxSeq = async (): Promise<number> => Number((await db.query<{ n: string | null }>('SELECT max(seq) AS n FROM alert_events')).rows[0]?.n ?? 0);

/**
 * A receiver and a notifier on a fresh prefix whose cursor is the current end
 * of `alert_events` (the events of earlier tests belong to other notifiers).
 */
async function harness(
  opts: {
    notify?: NotifyInput;
    respond?: (n: Delivery['notification'], attempt: number) => number;
    options?: NotifierOptions;
    /** Wraps the notifier's announce (the escalator's), e.g. to inject a failure. */
    announce?: (real: Announce) => Announce;
    clock?: Clock;
    /** The notifier's alert store (default the shared one), e.g. to inject a failure. */
    store?: AlertStore;
  } = {},
): Promise<Harness> {
  const prefix = `notify-${process.pid}-${++tests}:`;
  const hook = await startWebhookReceiver(opts.respond);
  cleanups.push(() => hook.close());
  await redis.set(cursorKey(prefix), String(await maxSeq()));
  const logs = new LogCapture();
  const logger = createLogger({ level: 'debug', destination: logs });
  const registry = new Registry();
  const notify = platformConfigSchema.shape.notify.parse({
    webhooks: [hook.url],
    webhookSecret: SECRET,
    webhookTimeoutMs: 2000,
    escalation: {},
    ...opts.notify,
  });
  const config = { redisPrefix: prefix, notify };
  const testAnnounce = redisAnnouncer(redis, prefix, () => undefined);
  const announce = opts.announce?.(testAnnounce);
  const queueOpts = { connection: redis, prefix: bullPrefix(prefix) };
  const notifyQueue = new Queue<NotifyJobData>(NOTIFY_QUEUE, queueOpts);
  const escalateQueue = new Queue<EscalateJobData>(ESCALATE_QUEUE, queueOpts);
  cleanups.push(() => Promise.all([notifyQueue.close(), escalateQueue.close()]));
  return {
    prefix,
    hook,
    logs,
    driver: new AlertDriver(store, testAnnounce),
    notifyQueue,
    escalateQueue,
    async start() {
      // the process's connections, as the platform hands them over (closed after the notifier stops)
      const conns = openRedisConnections(redisSvc.url, logger);
      cleanups.push(async () => conns.close());
      // a slow safety poll: the tests see the announcements at work
      const notifier = buildNotifier(
        config,
        { db, store: opts.store ?? store, clock: opts.clock ?? systemClock, logger, metrics: { registry }, announce, redis: conns },
        { pollMs: 60_000, backoffMs: 10, ...opts.options },
      );
      cleanups.push(() => notifier.stop());
      await notifier.start();
      return notifier;
    },
  };
}

/** How long and how often `vi.waitFor` polls a condition (not a sleep). */
const POLL = { timeout: 10_000, interval: 20 };

/**
 * Waits until the dispatcher has read every event and no notification or
 * escalation job is waiting, running or delayed.
 */
async function idle(h: Harness): Promise<void> {
  await vi.waitFor(async () => {
    expect(Number(await redis.get(cursorKey(h.prefix)))).toBeGreaterThanOrEqual(await maxSeq());
    const busy = ['waiting', 'active', 'prioritized', 'delayed'] as const;
    const none = { waiting: 0, active: 0, prioritized: 0, delayed: 0 };
    expect({ notify: await h.notifyQueue.getJobCounts(...busy), escalate: await h.escalateQueue.getJobCounts(...busy) }).toEqual({
      notify: none,
      escalate: none,
    });
  }, POLL);
}

const of = (h: Harness, alertId: string, accepted = true): Delivery[] =>
  (accepted ? h.hook.accepted() : h.hook.deliveries).filter((d) => d.notification.alert.id === alertId);
const types = (ds: Delivery[]): string[] => ds.map((d) => d.notification.event.type).sort();
const alertOf = async (id: string): Promise<Alert> => (await store.get(id)) as Alert;

async function finished<T>(q: Queue<T>, jobId: string): Promise<Job<T>> {
  return vi.waitFor(async () => {
    const job = await q.getJob(jobId);
    expect(job?.finishedOn, `job ${jobId} finished`).toBeDefined();
    return job as Job<T>;
  }, POLL);
}

/** Counts of `duplicated` events (re-adds BullMQ dropped) per job id, from the queue's event stream. */
async function duplicates(h: Harness): Promise<Map<string, number>> {
  const entries = await redis.xrange(`${bullPrefix(h.prefix)}:${NOTIFY_QUEUE}:events`, '-', '+');
  const counts = new Map<string, number>();
  for (const [, fields] of entries) {
    const f = new Map<string, string>();
    for (let i = 0; i < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
    if (f.get('event') === 'duplicated') counts.set(f.get('jobId') as string, (counts.get(f.get('jobId') as string) ?? 0) + 1);
  }
  return counts;
}

describe('notifier: delivery', () => {
  it('POSTs each notified event of an alert exactly once, signed, keyed by its job id, and logs it', async () => {
    const h = await harness();
    await h.start();
    const id = await h.driver.fire('GT-101');
    const firedAt = (await alertOf(id)).firedAt as number;
    await h.driver.acknowledge(id);
    await h.driver.clear('GT-101', firedAt + 60_000);
    await h.driver.dispose(id);

    await vi.waitFor(() => expect(types(of(h, id))).toContain('disposed'), POLL);
    await idle(h);
    // acknowledged is the officer's own action: not notified
    expect(types(of(h, id, false))).toEqual(['disposed', 'fired', 'resolved']);

    const channel = webhookName(h.hook.url);
    const events = (await store.events(id)).filter((e) => e.type !== 'acknowledged');
    for (const d of of(h, id)) {
      const e = events.find((x) => x.seq === d.notification.event.seq);
      expect(e?.type).toBe(d.notification.event.type);
      const key = notificationJobId(e!, channel);
      expect(d.headers['x-nss-idempotency-key']).toBe(key);
      expect(d.notification.idempotencyKey).toBe(key);
      expect(verifySignature(SECRET, d.body, d.headers['x-nss-signature'] as string)).toBe(true);
      expect(verifySignature('another-secret', d.body, d.headers['x-nss-signature'] as string)).toBe(false);
      expect(d.headers['content-type']).toMatch(/^application\/json/);
      expect(d.notification).toMatchObject({
        version: 1,
        alert: { id, severity: 'red', subject: 'GT-101', enterpriseId: 'E1' },
        enterprise: { id: 'E1', name: '示例化工厂', authority: { id: 'county', level: 'county' } },
      });
      expect(await (await h.notifyQueue.getJob(key))?.getState()).toBe('completed');
    }
    // the log channel had each one too
    const logged = h.logs.lines.filter((l) => l.msg === 'alert notification' && l.alertId === id).map((l) => String(l.event));
    expect(logged.sort()).toEqual(['disposed', 'fired', 'resolved']);
  });

  it('retries a webhook answering 500 with the same key and body until it is delivered once; fails a 400 at once', async () => {
    const h = await harness({
      respond: (n, attempt) => (n.alert.subject === 'GT-500' ? (attempt <= 2 ? 500 : 204) : n.alert.subject === 'GT-400' ? 400 : 204),
    });
    await h.start();
    const flaky = await h.driver.fire('GT-500');
    const refused = await h.driver.fire('GT-400');

    await vi.waitFor(() => expect(of(h, flaky)).toHaveLength(1), POLL);
    const tries = of(h, flaky, false);
    expect(tries.map((d) => d.status)).toEqual([500, 500, 204]);
    expect(new Set(tries.map((d) => d.headers['x-nss-idempotency-key'])).size).toBe(1);
    expect(new Set(tries.map((d) => d.body)).size).toBe(1);

    const [firedRefused] = await store.events(refused);
    const job = await finished(h.notifyQueue, notificationJobId(firedRefused!, webhookName(h.hook.url)));
    // failed for good: an UnrecoverableError is never retried
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/HTTP 400/);
    expect(of(h, refused, false).map((d) => d.status)).toEqual([400]);
    expect(h.logs.find((l) => l.msg === 'notification failed' && l.alertId === refused)).toBeDefined();
    expect(h.logs.lines.filter((l) => l.msg === 'notification attempt failed; will retry' && l.alertId === flaky)).toHaveLength(2);
  });
});

describe('notifier: restart and replay', () => {
  it('continues from its cursor after a restart, and a replay from a deleted cursor sends nothing twice', async () => {
    const h = await harness();
    const first = await h.start();
    const a = await h.driver.fire('GT-A');
    await vi.waitFor(() => expect(of(h, a)).toHaveLength(1), POLL);
    await idle(h);
    await first.stop();

    // recorded while no notifier runs: its announcement is lost, the cursor is not
    const b = await h.driver.fire('GT-B');
    await h.start();
    await vi.waitFor(() => expect(of(h, b)).toHaveLength(1), POLL);
    await idle(h);
    expect(Number(await redis.get(cursorKey(h.prefix)))).toBe(await maxSeq());
    expect(of(h, a, false)).toHaveLength(1);

    // replay: everything in alert_events is read again and re-enqueued under the same job ids
    await redis.del(cursorKey(h.prefix));
    const c = await h.driver.fire('GT-C');
    await vi.waitFor(() => expect(of(h, c)).toHaveLength(1), POLL);
    await idle(h);
    expect(Number(await redis.get(cursorKey(h.prefix)))).toBe(await maxSeq());
    expect([of(h, a, false).length, of(h, b, false).length, of(h, c, false).length]).toEqual([1, 1, 1]);
    // the replay did re-add A's and B's jobs; BullMQ dropped them as duplicates
    const dups = await duplicates(h);
    for (const id of [a, b]) {
      const key = of(h, id)[0]!.notification.idempotencyKey;
      expect(dups.get(key), `re-adds of ${key}`).toBe(1);
    }
  });
});

describe('notifier: two processes', () => {
  it('sends each event once and escalates each alert once per level with two notifiers on one prefix', async () => {
    const h = await harness({ notify: { escalation: { red: LIMIT } } });
    await Promise.all([h.start(), h.start()]);
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => h.driver.fire(`GT-P${i}`)));

    for (const id of ids) await vi.waitFor(async () => expect((await alertOf(id)).escalations).toBe(2), POLL);
    for (const id of ids) await vi.waitFor(() => expect(types(of(h, id))).toEqual(['escalated', 'escalated', 'fired']), POLL);
    await idle(h);
    for (const id of ids) {
      expect(types(of(h, id, false))).toEqual(['escalated', 'escalated', 'fired']);
      expect((await store.events(id)).map((e) => e.type)).toEqual(['fired', 'escalated', 'escalated']);
    }
  });

  it('does not notify events recorded longer ago than staleAfterMs (a lost cursor on an old database)', async () => {
    const h = await harness({ options: { staleAfterMs: 60_000 }, clock: { now: () => Date.now() + 3600_000 } });
    await h.start();
    await h.driver.fire('GT-OLD');
    const seq = await maxSeq();
    await vi.waitFor(async () => expect(Number(await redis.get(cursorKey(h.prefix)))).toBeGreaterThanOrEqual(seq), POLL);
    // the cursor moves only after the batch's jobs are enqueued: there is none for it
    expect(await h.notifyQueue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, completed: 0, failed: 0 });
    expect(h.hook.deliveries).toEqual([]);
    expect(h.logs.find((l) => l.msg === 'old alert events not notified')).toMatchObject({ events: 1 });
  });
});

describe('notifier: escalation (逐级督办)', () => {
  it('escalates an unacknowledged red alert to the city, then the province, once per level even when the job is retried', async () => {
    let failOnce = true;
    const h = await harness({
      notify: { escalation: { red: LIMIT } },
      // the first escalation's job dies right after its write (before it could report success): BullMQ retries it
      announce: (real) => (seqs) => {
        real(seqs);
        if (failOnce) {
          failOnce = false;
          throw new Error('worker died after saving the escalation');
        }
      },
    });
    await h.start();
    const id = await h.driver.fire('GT-RED');
    const firedAt = (await alertOf(id)).firedAt as number;

    await vi.waitFor(async () => expect((await alertOf(id)).escalations).toBe(2), POLL);
    const escalated = (await store.events(id)).filter((e) => e.type === 'escalated');
    expect(escalated.map((e) => [e.escalation, e.at - firedAt])).toEqual([
      [{ level: 1, to: 'city' }, LIMIT],
      [{ level: 2, to: 'prov' }, 2 * LIMIT],
    ]);

    const level1 = await finished(h.escalateQueue, escalationJobId({ id }, 1));
    expect(level1.attemptsMade).toBe(2);
    expect(level1.returnvalue).toBe('level_passed');
    const level2 = await finished(h.escalateQueue, escalationJobId({ id }, 2));
    expect(level2.returnvalue).toBe('escalated');
    // logged as a warning (it is retried), with the escalation level under its own key (pino's `level` is the log level)
    expect(h.logs.find((l) => String(l.msg).startsWith('escalation attempt failed'))).toMatchObject({
      level: 40,
      alertId: id,
      escalationLevel: 1,
      attempts: 1,
    });
    expect(h.logs.find((l) => l.msg === 'escalation job failed')).toBeUndefined();
    // (level 1's first attempt died before it could log its success)
    expect(h.logs.lines.filter((l) => l.msg === 'alert escalated').map((l) => [l.level, l.escalationLevel, l.to])).toEqual([[30, 2, 'prov']]);

    // a manual re-run of a finished escalation job changes nothing
    const ranAt = level2.finishedOn as number;
    await level2.retry('completed');
    await vi.waitFor(async () => {
      const j = await h.escalateQueue.getJob(escalationJobId({ id }, 2));
      expect(j?.finishedOn).toBeGreaterThan(ranAt);
      expect(j?.returnvalue).toBe('not_escalating');
    }, POLL);

    // the dispatcher has seen the level-2 event: the province is the top, no level 3
    await vi.waitFor(async () => expect(Number(await redis.get(cursorKey(h.prefix)))).toBeGreaterThanOrEqual(escalated[1]!.seq), POLL);
    expect(await h.escalateQueue.getJob(escalationJobId({ id }, 3))).toBeUndefined();
    expect((await store.events(id)).filter((e) => e.type === 'escalated')).toHaveLength(2);

    // each level notified once, with the authority it goes to
    await vi.waitFor(() => expect(types(of(h, id))).toEqual(['escalated', 'escalated', 'fired']), POLL);
    await idle(h);
    const notices = of(h, id, false).filter((d) => d.notification.event.type === 'escalated');
    expect(notices.map((d) => d.notification.escalation).sort((x, y) => x!.level - y!.level)).toEqual([
      { level: 1, authority: { id: 'city', name: '示例市应急管理局', level: 'city' } },
      { level: 2, authority: { id: 'prov', name: '示例省应急管理厅', level: 'province' } },
    ]);
  });

  it('does not escalate a red alert acknowledged before its limit', async () => {
    const h = await harness({ notify: { escalation: { red: 1000 } } });
    await h.start();
    const id = await h.driver.fire('GT-ACK');
    const jobId = escalationJobId({ id }, 1);
    // the dispatcher has scheduled level 1; the officer acknowledges in time
    await vi.waitFor(async () => expect(await (await h.escalateQueue.getJob(jobId))?.getState()).toBe('delayed'), POLL);
    await h.driver.acknowledge(id);

    // the job still runs at the deadline, and finds nothing to do
    const job = await finished(h.escalateQueue, jobId);
    expect(job.returnvalue).toBe('not_escalating');
    expect((await store.events(id)).map((e) => e.type)).toEqual(['fired', 'acknowledged']);
    await idle(h);
    expect(types(of(h, id, false))).toEqual(['fired']);
  });

  it('restarts the clock when the grade rises: the pending job is moved to the red deadline', async () => {
    const h = await harness({ notify: { escalation: { orange: 60_000, red: LIMIT } } });
    await h.start();
    const id = await h.driver.fire('GT-RISE', { severity: 'orange' });
    const jobId = escalationJobId({ id }, 1);
    const firedAt = (await alertOf(id)).firedAt as number;
    await vi.waitFor(async () => expect((await h.escalateQueue.getJob(jobId))?.data.dueAt).toBe(firedAt + 60_000), POLL);

    await h.driver.fire('GT-RISE', { severity: 'red', expect: 'raised' });
    const { severitySince } = await alertOf(id);
    await vi.waitFor(async () => expect((await alertOf(id)).escalations).toBe(2), POLL);
    const escalated = (await store.events(id)).filter((e) => e.type === 'escalated');
    expect(escalated.map((e) => [e.escalation?.level, e.severity, e.at - severitySince])).toEqual([
      [1, 'red', LIMIT],
      [2, 'red', 2 * LIMIT],
    ]);
    expect((await finished(h.escalateQueue, jobId)).data.dueAt).toBe(severitySince + LIMIT);
    await idle(h);
    expect(types(of(h, id))).toEqual(['escalated', 'escalated', 'fired', 'severity_raised']);
  });

  it("escalates an acknowledged alert re-armed by a higher grade on the new grade's clock", async () => {
    const h = await harness({ notify: { escalation: { orange: LIMIT, red: LIMIT } } });
    await h.start();
    const id = await h.driver.fire('GT-REARM', { severity: 'orange' });
    const jobId = escalationJobId({ id }, 1);
    await vi.waitFor(async () => expect(await (await h.escalateQueue.getJob(jobId))?.getState()).toBe('delayed'), POLL);
    await h.driver.acknowledge(id);
    expect((await finished(h.escalateQueue, jobId)).returnvalue).toBe('not_escalating');

    // red: the officer took an orange alert; the red one needs its own 签收
    await h.driver.fire('GT-REARM', { severity: 'red', expect: 'raised' });
    const { severitySince, state } = await alertOf(id);
    expect(state).toBe('firing');
    await vi.waitFor(async () => expect((await alertOf(id)).escalations).toBe(2), POLL);
    const escalated = (await store.events(id)).filter((e) => e.type === 'escalated');
    expect(escalated.map((e) => [e.escalation, e.at - severitySince])).toEqual([
      [{ level: 1, to: 'city' }, LIMIT],
      [{ level: 2, to: 'prov' }, 2 * LIMIT],
    ]);
    await idle(h);
  });

  it('never escalates an alert of an enterprise without an authority above it, and says so once', async () => {
    const h = await harness({ notify: { escalation: { red: LIMIT } } });
    await h.start();
    const ids = [await h.driver.fire('GT-E0a', { enterpriseId: 'E0' }), await h.driver.fire('GT-E0b', { enterpriseId: 'E0' })];
    const seq = await maxSeq();
    // the dispatcher has been through both 'fired' events (it schedules escalations before it moves the cursor)
    await vi.waitFor(async () => expect(Number(await redis.get(cursorKey(h.prefix)))).toBeGreaterThanOrEqual(seq), POLL);
    for (const id of ids) {
      expect(await h.escalateQueue.getJob(escalationJobId({ id }, 1))).toBeUndefined();
      await vi.waitFor(() => expect(of(h, id)).toHaveLength(1), POLL);
      expect(of(h, id)[0]?.notification.enterprise).toEqual({ id: 'E0', name: '无主管企业' });
    }
    expect(h.logs.lines.filter((l) => l.enterpriseId === 'E0' && String(l.msg).includes('never escalate'))).toHaveLength(1);
  });

  it('reschedules an escalation whose job failed for good (every retry spent) at the next sweep: the level is not lost', async () => {
    let broken = true;
    // the escalation job cannot read the alert while PostgreSQL is "down"
    const flaky = new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'get' && typeof v === 'function')
          return (...args: unknown[]) => (broken ? Promise.reject(new Error('database unavailable')) : (v as (...a: unknown[]) => unknown).apply(target, args));
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const h = await harness({ notify: { escalation: { red: LIMIT } }, options: { attempts: 1, sweepMs: 200 }, store: flaky });
    await h.start();
    const id = await h.driver.fire('GT-LOST');
    const firedAt = (await alertOf(id)).firedAt as number;
    await vi.waitFor(async () => expect(await (await h.escalateQueue.getJob(escalationJobId({ id }, 1)))?.getState()).toBe('failed'), POLL);
    expect((await alertOf(id)).escalations).toBe(0);

    broken = false;
    await vi.waitFor(async () => expect((await alertOf(id)).escalations).toBeGreaterThanOrEqual(1), POLL);
    const escalated = (await store.events(id)).filter((e) => e.type === 'escalated');
    expect(escalated[0]).toMatchObject({ escalation: { level: 1, to: 'city' }, at: firedAt + LIMIT });
    expect(escalated.filter((e) => e.escalation?.level === 1)).toHaveLength(1);
    expect(h.logs.find((l) => l.msg === 'escalation sweep rescheduled missing or failed escalation jobs')).toBeDefined();
  });
});
