/**
 * The notifier's BullMQ job ids and options (alerts/notify/jobs.ts, the ids
 * from alerts/state/job-ids.ts) and its configuration helpers
 * (alerts/notify/index.ts): deterministic ids BullMQ accepts, finished jobs
 * kept long enough to dedupe a replay, channels from config.
 */
import { describe, expect, it } from 'vitest';
import { bullPrefix, notifyCursorKey as cursorKey } from '../../../core/redis-keys.ts';
import { buildNotifier, defaultChannels, escalationLimitsOf, LogChannel, WebhookChannel, type NotificationChannel } from '../../../alerts/notify/index.ts';
import { COMPLETED_RETENTION_S, ESCALATE_QUEUE, FAILED_RETENTION_S, jobOptions, NOTIFY_QUEUE } from '../../../alerts/notify/jobs.ts';
import { escalationJobId, notificationJobId } from '../../../alerts/state/index.ts';
import { platformConfigSchema } from '../../../core/config.ts';
import { systemClock } from '../../../core/clock.ts';
import type { Db } from '../../../core/db/db.ts';
import { createLogger } from '../../../core/logger.ts';
import type { AlertStore } from '../../../alerts/store.ts';
import type { RedisConnections } from '../../../core/connections.ts';

const AT = Date.UTC(2026, 2, 1, 2, 0, 0);
const logger = createLogger({ level: 'silent' });

describe('job ids', () => {
  const fired = { alertId: 'a1b2', type: 'fired', at: AT, severity: 'red' } as const;
  const channel = 'webhook:hooks.example.org:8443#ab12cd34';

  it('are deterministic, contain no ":" (BullMQ refuses them) and are not integers', () => {
    const id = notificationJobId(fired, channel);
    expect(id).toBe(`notify|a1b2|fired|${AT}|red|webhook%3Ahooks.example.org%3A8443%23ab12cd34`);
    expect(notificationJobId({ ...fired }, channel)).toBe(id);
    expect(id).not.toContain(':');
    expect(escalationJobId({ id: 'a1b2' }, 2)).toBe('escalate|a1b2|2');
    expect(escalationJobId({ id: '42' }, 1)).not.toMatch(/^\d+$/);
  });

  it('differ per channel, event type, time, grade and escalation level', () => {
    const escalated = (level: number) => ({ ...fired, type: 'escalated' as const, escalation: { level, to: 'city' } });
    const ids = [
      notificationJobId(fired, channel),
      notificationJobId(fired, 'log'),
      notificationJobId({ ...fired, type: 'resolved' }, channel),
      notificationJobId({ ...fired, at: AT + 1 }, channel),
      notificationJobId({ ...fired, severity: 'orange' }, channel),
      notificationJobId(escalated(1), channel),
      notificationJobId(escalated(2), channel),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('percent-encode free-form parts, so an id with "|" cannot collide with another split', () => {
    expect(notificationJobId({ ...fired, alertId: 'a|b' }, 'c')).not.toBe(notificationJobId({ ...fired, alertId: 'a' }, 'b|c'));
  });
});

describe('jobOptions', () => {
  it('retries 8 times with exponential backoff from 5 s, and keeps finished jobs (the dedupe window)', () => {
    expect(jobOptions()).toEqual({
      attempts: 8,
      backoff: { type: 'exponential', delay: 5000 },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    });
    expect(COMPLETED_RETENTION_S).toBeGreaterThan(24 * 3600); // the dispatcher's default staleAfterMs
    expect(FAILED_RETENTION_S).toBeGreaterThanOrEqual(COMPLETED_RETENTION_S);
  });

  it('takes attempts and the first backoff delay', () => {
    expect(jobOptions({ attempts: 3, backoffMs: 10 })).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 10 } });
  });
});

describe('Redis names', () => {
  it('put the queues and the cursor under the platform prefix', () => {
    expect(bullPrefix('nss:')).toBe('nss:bull');
    expect(cursorKey('nss:')).toBe('nss:notify:cursor');
    expect([NOTIFY_QUEUE, ESCALATE_QUEUE]).toEqual(['notify', 'escalate']);
  });
});

describe('configuration', () => {
  const notify = (input: unknown) => platformConfigSchema.shape.notify.parse(input);

  it('builds one signed webhook channel per NOTIFY_WEBHOOKS URL, plus the log', () => {
    const urls = ['https://a.example.org/hook', 'https://b.example.org/hook?token=x'];
    const channels = defaultChannels(notify({ webhooks: urls, webhookSecret: 's3cret', webhookTimeoutMs: 2000 }), logger);
    expect(channels.map((c) => c.constructor)).toEqual([WebhookChannel, WebhookChannel, LogChannel]);
    expect(new Set(channels.map((c) => c.name)).size).toBe(3);
    expect(defaultChannels(notify({}), logger).map((c) => c.name)).toEqual(['log']);
  });

  it('escalates red after 5 min and orange after 15 min by default, other grades never', () => {
    expect(escalationLimitsOf(notify({}))).toEqual({ red: 300_000, orange: 900_000, yellow: undefined, blue: undefined });
    expect(escalationLimitsOf(notify({ escalation: { red: 60_000 } }))).toEqual({ red: 60_000, orange: undefined, yellow: undefined, blue: undefined });
  });

  it('refuses two channels with one name (the name is part of the job ids)', () => {
    const ch = (name: string): NotificationChannel => ({ name, send: async () => undefined });
    const deps = { db: {} as Db, store: {} as AlertStore, clock: systemClock, logger, redis: {} as RedisConnections };
    const config = { redisPrefix: 't:', notify: notify({}) };
    expect(() => buildNotifier(config, { ...deps, channels: [ch('sms'), ch('sms')] })).toThrow(/two notification channels are named 'sms'/);
    expect(() => buildNotifier(config, { ...deps, channels: [ch('sms'), ch('im')] })).not.toThrow();
  });
});
