/**
 * Off-plan inspection tasks from real alerts, through the platform: a red gas
 * alert raised from readings published over MQTT opens a task at the
 * enterprise's own authority (BullMQ `tasks` queue, job per alert); a second
 * red episode of the same matter attaches to it; replaying every alert event
 * (the dispatcher's cursor deleted, the platform restarted) opens nothing
 * twice; the audit chain verifies.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Queue } from 'bullmq';
import { bullPrefix, notifyCursorKey as cursorKey } from '../../../core/redis-keys.ts';
import { TASKS_QUEUE } from '../../../inspections/tasks/scheduler.ts';
import { AuditTrail } from '../../../core/audit.ts';
import { encodeReadings, topics } from '../../../core/contract.ts';
import type { Task } from '../../../inspections/tasks/lifecycle.ts';
import type { Platform } from '../../../platform/platform.ts';
import { Redis } from 'ioredis';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm, type ProvisionedGateway } from '../../../testkit/fixtures.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let gw: ProvisionedGateway;
let client: MqttClient;
const fast = { rules: { tickMs: 50, snapshotIntervalMs: 200 }, notify: { escalation: {} } };

async function start(): Promise<void> {
  ({ platform } = await startTestPlatform(svc, 'tasks', fast));
}

beforeAll(async () => {
  svc = await startTestServices('tasks');
  await start();
  gw = await provisionTankFarm(new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken), 'E1', 'G1');
  client = await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: gw.secret });
});

afterAll(async () => {
  client?.end(true);
  await platform?.stop();
  await svc?.stop();
});

const t0 = Date.now() - 20 * 60_000;
async function gas(i: number, values: number[]): Promise<void> {
  const readings = values.map((value, k) => ({ sensor: 'GT-101', value, unit: '%LEL', quality: 'good' as const, ts: t0 + (i + k) * 5000 }));
  await publish(client, topics.readings('E1', 'G1'), encodeReadings(readings));
  await platform.rules.drained();
}

const tasksOf = async () =>
  (await platform.db.query<{ data: Task }>("SELECT data FROM tasks WHERE enterprise_id = 'E1' ORDER BY created_at")).rows.map((r) => r.data);

/** How long and how often to poll for what the platform does in the background. */
const POLL = { timeout: 15_000, interval: 50 };

describe('inspection tasks from alerts', () => {
  it('opens a task at the enterprise’s authority for a red gas alert, with the gas checklist', async () => {
    await gas(0, [5, 60, 62]);
    const [task, ...more] = await vi.waitFor(async () => {
      const ts = await tasksOf();
      expect(ts.length, 'a task').toBeGreaterThan(0);
      return ts;
    }, POLL);
    expect(more).toEqual([]);
    // a red alert is a serious violation found by data monitoring: an on-site inspection task, not a remote verification
    expect(task).toMatchObject({ enterpriseId: 'E1', authorityId: 'city-1', matter: 'gas', origin: 'data_monitoring', kind: 'inspection', state: 'created' });
    expect(task!.checklist.map((i) => i.id)).toContain('gas.detectors');
    const { rows } = await platform.db.query<{ id: string }>("SELECT id FROM alerts WHERE fingerprint = 'gas.combustible|E1|GT-101'");
    expect(task!.alertIds).toEqual(rows.map((r) => r.id));
  });

  it('attaches a second red episode of the same matter to the open task', async () => {
    await gas(3, [3, 2]); // clears
    await gas(5, [70]); // a new episode, red at once
    const [task] = await vi.waitFor(async () => {
      const ts = await tasksOf();
      expect(ts[0]?.alertIds.length, 'the second alert attached').toBe(2);
      return ts;
    }, POLL);
    expect(await tasksOf()).toHaveLength(1);
    expect(task!.alertIds).toHaveLength(2);
  });

  it('opens nothing twice when every alert event is replayed after a restart', async () => {
    const before = await tasksOf();
    client.end(true);
    await platform.stop();
    const redis = new Redis(svc.redis.url);
    await redis.del(cursorKey('tasks:'));
    await start();
    client = await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: gw.secret });
    // the dispatcher moves its cursor only after the batch's jobs are added; then the tasks queue runs dry
    const maxSeq = Number((await platform.db.query<{ n: string }>('SELECT max(seq) AS n FROM alert_events')).rows[0]!.n);
    await vi.waitFor(async () => expect(Number(await redis.get(cursorKey('tasks:'))), 'the replay of every alert event').toBeGreaterThanOrEqual(maxSeq), POLL);
    const queue = new Queue(TASKS_QUEUE, { connection: redis, prefix: bullPrefix('tasks:') });
    await vi.waitFor(async () => {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      expect(
        Object.values(c).every((n) => n === 0),
        `the tasks queue to run dry: ${JSON.stringify(c)}`,
      ).toBe(true);
    }, POLL);
    await queue.close();
    redis.disconnect();
    const { rows } = await platform.db.query<{ n: string }>('SELECT count(*) AS n FROM task_alerts');
    expect(Number(rows[0]!.n)).toBe(2);
    expect(await tasksOf()).toEqual(before);
    expect(await new AuditTrail(platform.db).verify()).toMatchObject({ ok: true });
  });
});
