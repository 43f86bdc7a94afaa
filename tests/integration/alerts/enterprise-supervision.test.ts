/**
 * Supervision (督办) through the real notifier (BullMQ on Redis, PGlite): an alarm of an enterprise with its
 * own users is handed to it as it fires and does not escalate on the bureau's acknowledgement clock; once its
 * sign-for is overdue the sweep makes it a supervision item, which is notified and escalates one authority up
 * (the city) a bureau limit later — the second alarm of the proof, on shortened limits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisAnnouncer } from '../../../alerts/bus.ts';
import { buildNotifier } from '../../../alerts/notify/index.ts';
import { responsePolicy } from '../../../alerts/response/policy.ts';
import { ResponseService } from '../../../alerts/response/service.ts';
import { AlertStore } from '../../../alerts/store.ts';
import { systemClock } from '../../../core/clock.ts';
import { platformConfigSchema } from '../../../core/config.ts';
import { openRedisConnections } from '../../../core/connections.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import { notifyCursorKey } from '../../../core/redis-keys.ts';
import type { ServiceHandle } from '../../../platform/local-services.ts';
import { AlertDriver, seedAuthorities, startWebhookReceiver, type WebhookReceiver } from '../../../testkit/notify.ts';
import { startTestRedis } from '../../../testkit/services.ts';

const ESCALATE_MS = 400;
const SIGN_MS = 300;
const POLL = { timeout: 15_000, interval: 25 };

let dir: string;
let redisSvc: ServiceHandle;
let redis: Redis;
let db: Db;
let hook: WebhookReceiver;
const stops: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nss-supervision-'));
  [redisSvc, db, hook] = await Promise.all([
    startTestRedis(join(dir, 'redis')),
    openDb({ pgliteDir: 'memory://', logger: createLogger({ level: 'silent' }) }),
    startWebhookReceiver(),
  ]);
  redis = new Redis(redisSvc.url, { maxRetriesPerRequest: null });
  await seedAuthorities(db);
  await db.query(`INSERT INTO enterprises (id, name, sector, authority_id) VALUES ('E9', '未开通企业', 'hazardous_chemicals', 'county')`);
  await db.query(`INSERT INTO officers (id, name, enterprise_id, role, token_hash) VALUES ('mgr-e1', '张安全', 'E1', 'safety_manager', 'x')`);
});

afterAll(async () => {
  for (const s of stops.reverse()) await s();
  await hook?.close();
  await redis?.quit();
  await db?.close();
  await redisSvc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an alarm the enterprise leaves unanswered', () => {
  it('is handed over, supervised at its sign-for limit, and escalated to the city a bureau limit later; a bureau-first alarm escalates as before', async () => {
    const prefix = `supervision-${process.pid}:`;
    const logger = createLogger({ level: 'silent' });
    const store = new AlertStore(db);
    const announce = redisAnnouncer(redis, prefix, () => undefined);
    const responses = new ResponseService({
      db,
      alerts: store,
      clock: systemClock,
      logger,
      policy: responsePolicy({ signMs: { red: SIGN_MS }, feedbackMs: { red: 60_000 } }),
      patternOf: () => 'threshold',
      announce,
    });
    const notify = platformConfigSchema.shape.notify.parse({ webhooks: [hook.url], escalation: { red: ESCALATE_MS } });
    const conns = openRedisConnections(redisSvc.url, logger);
    const notifier = buildNotifier(
      { redisPrefix: prefix, notify },
      { db, store, clock: systemClock, logger, announce, redis: conns, responses },
      { pollMs: 100, backoffMs: 10 },
    );
    stops.push(
      async () => conns.close(),
      () => notifier.stop(),
    );
    await redis.set(notifyCursorKey(prefix), '0');
    await notifier.start();
    const driver = new AlertDriver(store, announce);

    const firedAt = Date.now();
    const handed = await driver.fire('GT-UNANSWERED', { at: firedAt, enterpriseId: 'E1' });
    const bureau = await driver.fire('GT-BUREAU', { at: firedAt, enterpriseId: 'E9' });
    await vi.waitFor(async () => expect((await store.get(handed))!.responder).toBe('enterprise'), POLL);
    // the bureau-first alarm reaches the city on the bureau's clock; the handed one does not
    await vi.waitFor(async () => expect((await store.get(bureau))!.escalations).toBeGreaterThanOrEqual(1), POLL);
    expect((await store.get(handed))!.escalations).toBe(0);

    // the sweep finds the sign-for overdue (run here as the rules part's timer would)
    await vi.waitFor(async () => {
      await responses.sweep();
      expect((await store.get(handed))!.supervisedAt).toBeDefined();
    }, POLL);
    const supervised = (await store.get(handed))!;
    expect(supervised.supervisedAt! - firedAt).toBeGreaterThanOrEqual(SIGN_MS);

    await vi.waitFor(async () => expect((await store.get(handed))!.escalations).toBe(1), POLL);
    const escalated = (await store.events(handed)).find((e) => e.type === 'escalated')!;
    expect(escalated.escalation).toEqual({ level: 1, to: 'city' });
    expect(escalated.at).toBe(supervised.supervisedAt! + ESCALATE_MS);
    // the supervision and the escalation reached the bureau's channel
    await vi.waitFor(() => {
      const types = hook
        .accepted()
        .filter((d) => d.notification.alert.id === handed)
        .map((d) => d.notification.event.type);
      expect(types).toEqual(expect.arrayContaining(['fired', 'supervised', 'escalated']));
    }, POLL);
  });
});
