/**
 * The closed loop end to end (issue #4, proof): a simulated hazardous
 * chemicals plant publishes over MQTT to the real platform (broker, ingest,
 * InfluxDB, the rules worker, PostgreSQL, BullMQ on Redis) with a simulated
 * clock; the gas-leak scenario raises a red alert; the notifier's task job
 * opens an off-plan task at the enterprise's own authority with the gas
 * checklist; a duty officer assigns it to an inspector of that authority,
 * who accepts, arrives (an inspection, exempt from the cap), records
 * findings (a major hazard by the criteria) and orders rectification with a
 * deadline a few seconds away; the platform is restarted before the
 * deadline, and the delayed BullMQ job still makes the re-check due; the
 * re-check passes and the task closes. The statistics count it; the audit
 * chain verifies, and editing any of the loop's stored records makes
 * verification fail at exactly that record.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../core/clock.ts';
import type { Platform } from '../../../platform/platform.ts';
import type { Task } from '../../../inspections/tasks/lifecycle.ts';
import { planFleet, provisionFleet } from '../../../simulators/fleet.ts';
import { SimGateway } from '../../../simulators/gateway.ts';
import type { Scenario } from '../../../simulators/scenarios.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { runSimulation } from '../../../testkit/sim.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

const SEED = 7;
const MIN = 60_000;
/** 09:00 China Standard Time, a few days ago. */
const START = Date.UTC(2026, 10, 22, 1);
const LEAK = START + 5 * MIN;

const plan = planFleet({ seed: SEED, enterprises: 1 });
const chem = plan.gateways[0]!;
const clock = new FakeClock(START);
const fast = { rules: { tickMs: 50, snapshotIntervalMs: 10 * MIN }, ingest: { maxFutureSkewMs: 10 * MIN }, notify: { escalation: {} } };

let svc: TestServices;
let platform: Platform;
let sim: SimGateway;
let secret: string;
const tokens: Record<string, string> = {};

const base = () => `http://127.0.0.1:${platform.httpPort}`;
const as = (who: string) => new AdminClient(base(), who === 'admin' ? platform.adminToken : tokens[who]!);

async function start(): Promise<void> {
  ({ platform } = await startTestPlatform(svc, 'loop', fast, { clock }));
  sim = new SimGateway(chem, { secret, port: platform.mqttPort, seed: SEED, readingsPerMessage: 200 });
  await sim.connect();
}

async function stop(): Promise<void> {
  await sim?.close();
  await platform?.stop();
}

const run = (from: number, to: number, scenarios: Scenario[]) => runSimulation(sim, () => platform, clock, from, to, scenarios);

beforeAll(async () => {
  svc = await startTestServices('loop');
  ({ platform } = await startTestPlatform(svc, 'loop', fast, { clock }));
  const admin = as('admin');
  // the province above the plant's city, and a neighbouring city with its own inspector
  await admin.ok('POST', '/api/v1/authorities', { id: 'prov', name: '示例省应急管理厅', level: 'province' });
  await admin.ok('POST', '/api/v1/authorities', { id: 'city-other', name: '邻市应急管理局', level: 'city', parentId: 'prov' });
  const secrets = await provisionFleet({ ...plan, authority: { ...plan.authority, parentId: 'prov' } as typeof plan.authority }, admin);
  secret = secrets.get(chem.gatewayId)!;
  for (const [id, authorityId, role] of [
    ['duty-1', plan.authority.id, 'duty_officer'],
    ['insp-1', plan.authority.id, 'inspector'],
    ['lead-1', plan.authority.id, 'leader'],
    ['insp-other', 'city-other', 'inspector'],
  ] as const)
    tokens[id] = (await admin.ok<{ token: string }>('POST', '/api/v1/officers', { id, name: id, authorityId, role })).token;
  await platform.stop();
  await start();
}, 60_000);

afterAll(async () => {
  await stop();
  await svc?.stop();
});

describe('from a simulated gas leak to a closed task', () => {
  let task: Task;
  let deadline: number;

  it('a red gas alert opens one task at the enterprise’s own authority, with the gas checklist', async () => {
    await run(START, LEAK + 15 * MIN, [{ type: 'gas_leak', gatewayId: chem.gatewayId, sensorId: 'GT-101', startMs: LEAK, durationMs: 60 * MIN }]);
    const { rows } = await platform.db.query<{ id: string; severity: string }>(
      "SELECT id, severity FROM alerts WHERE rule_id = 'gas.combustible' AND subject = 'GT-101' AND enterprise_id = $1",
      [chem.enterpriseId],
    );
    expect(rows).toEqual([{ id: expect.any(String) as unknown, severity: 'red' }]);
    const list = await vi.waitFor(
      async () => {
        const r = await as('duty-1').ok<{ tasks: Task[] }>('GET', '/api/v1/tasks?open=true');
        expect(r.tasks.length, 'the task').toBeGreaterThan(0);
        return r;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(list.tasks).toHaveLength(1);
    task = list.tasks[0]!;
    expect(task).toMatchObject({
      enterpriseId: chem.enterpriseId,
      authorityId: plan.authority.id,
      matter: 'gas',
      origin: 'data_monitoring',
      state: 'created',
      alertIds: [rows[0]!.id],
    });
    expect(task.checklist.map((i) => i.id)).toEqual(['gas.detectors', 'gas.settings', 'gas.source', 'gas.response', 'chem.major_hazard_duty']);
    // nobody of the neighbouring city sees it
    expect((await as('insp-other').request('GET', `/api/v1/tasks/${task.id}`)).status).toBe(404);
    expect((await as('insp-other').ok<{ tasks: Task[] }>('GET', '/api/v1/tasks')).tasks).toEqual([]);
  });

  it('is assigned, accepted, visited and its findings recorded; a failing detector is a major hazard', async () => {
    expect((await as('duty-1').request('POST', `/api/v1/tasks/${task.id}/assign`, { inspectorId: 'insp-other' })).status).toBe(403);
    await as('duty-1').ok('POST', `/api/v1/tasks/${task.id}/assign`, { inspectorId: 'insp-1' });
    await as('insp-1').ok('POST', `/api/v1/tasks/${task.id}/accept`, {});
    await as('insp-1').ok('POST', `/api/v1/tasks/${task.id}/arrive`, {});
    const findings = task.checklist.map((i) => ({
      itemId: i.id,
      result: i.id === 'gas.detectors' ? 'hazard' : 'ok',
      note: i.id === 'gas.detectors' ? 'GT-101 探头堵塞，报警延迟' : '',
      evidence: i.id === 'gas.detectors' ? ['photo:gt-101-1.jpg'] : [],
    }));
    const r = await as('insp-1').ok<{ task: Task }>('POST', `/api/v1/tasks/${task.id}/findings`, { findings });
    expect(r.task.state).toBe('findings_recorded');
    expect(r.task.findings.find((f) => f.itemId === 'gas.detectors')).toMatchObject({ result: 'major_hazard', evidence: ['photo:gt-101-1.jpg'] });
    const summary = await as('insp-1').ok<{ counts: { byOrigin: Record<string, number> }; openTasks: Task[] }>(
      'GET',
      `/api/v1/enterprises/${chem.enterpriseId}/inspection-summary`,
    );
    expect(summary.openTasks.map((t) => t.id)).toEqual([task.id]);
    expect(JSON.stringify(summary.counts)).toContain('data_monitoring');
  });

  it('orders rectification; the re-check falls due at the deadline through a delayed job that survives a restart', async () => {
    deadline = clock.now() + 4000;
    const r = await as('insp-1').ok<{ task: Task }>('POST', `/api/v1/tasks/${task.id}/rectification`, { deadline });
    expect(r.task).toMatchObject({ state: 'rectifying', rectificationDeadline: deadline });
    await stop();
    await start();
    clock.set(deadline);
    const due = await vi.waitFor(
      async () => {
        const x = await as('insp-1').ok<{ task: Task }>('GET', `/api/v1/tasks/${task.id}`);
        expect(x.task.state, 'the re-check to fall due').toBe('rechecking');
        return x;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(due.task.rectificationDeadline).toBe(deadline);
    const events = await as('insp-1').ok<{ events: { type: string; actor: string; at: number }[] }>('GET', `/api/v1/tasks/${task.id}`);
    expect(events.events.at(-1)).toMatchObject({ type: 'recheck_due', actor: 'system:tasks', at: deadline });
  });

  it('closes on a passed re-check, with both visits recorded as exempt inspections', async () => {
    // the simulation stopped mid-leak, so its alarm may still be firing: the inspector confirms the pass (issue #20 §5)
    const r = await as('insp-1').ok<{ task: Task }>('POST', `/api/v1/tasks/${task.id}/recheck`, {
      passed: true,
      note: '探头已更换，报警测试正常',
      confirmFiring: true,
    });
    expect(r.task).toMatchObject({ state: 'closed', outcome: 'rectified' });
    const detail = await as('lead-1').ok<{ events: { to: string }[]; inspections: { origin: string; authorityId: string }[] }>(
      'GET',
      `/api/v1/tasks/${task.id}`,
    );
    expect(detail.events.map((e) => e.to)).toEqual(['created', 'assigned', 'accepted', 'on_site', 'findings_recorded', 'rectifying', 'rechecking', 'closed']);
    expect(detail.inspections.map((i) => [i.origin, i.authorityId])).toEqual([
      ['data_monitoring', plan.authority.id],
      ['recheck', plan.authority.id],
    ]);
  });

  it('keeps the whole story in the enterprise’s file (一企一档)', async () => {
    const file = await as('duty-1').ok<{
      enterprise: { id: string; authorityId: string };
      sensors: { id: string }[];
      gateways: { id: string }[];
      history: { alerts: { id: string }[]; inspections: { origin: string; exempt: boolean }[]; tasks: Task[] };
    }>('GET', `/api/v1/enterprises/${chem.enterpriseId}/file`);
    expect(file.enterprise).toMatchObject({ id: chem.enterpriseId, authorityId: plan.authority.id });
    expect(file.gateways.map((g) => g.id)).toEqual([chem.gatewayId]);
    expect(file.sensors.map((x) => x.id)).toContain('GT-101');
    expect(file.history.alerts.map((a) => a.id)).toContain(task.alertIds[0]);
    expect(file.history.inspections.map((i) => [i.origin, i.exempt])).toEqual([
      ['recheck', true],
      ['data_monitoring', true],
    ]);
    expect(file.history.tasks.map((t) => [t.id, t.state, t.findings.filter((f) => f.result === 'major_hazard').length])).toEqual([[task.id, 'closed', 1]]);
    expect((await as('insp-other').request('GET', `/api/v1/enterprises/${chem.enterpriseId}/file`)).status).toBe(404);
  });

  it('counts the loop in the authority’s statistics', async () => {
    const s = await as('lead-1').ok<{
      totals: {
        alerts: { byGrade: Record<string, number> };
        tasks: { opened: number; closed: number };
        findings: { hazards: number; majorHazards: number };
        rechecks: { total: number; passed: number; passRate: number };
        online: { rate: number | null };
      };
      enterprises: { enterpriseId: string }[];
    }>('GET', `/api/v1/stats?from=${START}`);
    expect(s.totals.alerts.byGrade.red).toBeGreaterThanOrEqual(1);
    expect(s.totals.tasks).toMatchObject({ opened: 1, closed: 1 });
    expect(s.totals.findings).toEqual({ hazards: 1, majorHazards: 1 });
    expect(s.totals.rechecks).toEqual({ total: 1, passed: 1, passRate: 1 });
    expect(s.enterprises[0]!.enterpriseId).toBe(chem.enterpriseId);
  });

  it('the audit chain verifies, and editing any of the loop’s records makes it fail at that record', async () => {
    const admin = as('admin');
    expect(await admin.ok('GET', '/api/v1/audit/verify')).toMatchObject({ ok: true, audit: { ok: true }, alertEvents: { ok: true } });
    const { records } = await admin.ok<{ records: { seq: number; action: string }[] }>('GET', `/api/v1/audit?subjectType=task&subjectId=${task.id}`);
    expect(records.map((r) => r.action)).toEqual([
      'task.created',
      'task.assign',
      'task.accept',
      'task.arrive',
      'task.record_findings',
      'task.order_rectification',
      'task.recheck_due',
      'task.recheck_result',
    ]);
    // as the database owner could, behind the append-only triggers' back: the verification still shows it
    for (const t of ['audit_log', 'task_events', 'inspections']) await platform.db.exec(`ALTER TABLE ${t} DISABLE TRIGGER ${t}_append_only`);
    for (const r of records) {
      await platform.db.query(`UPDATE audit_log SET data = jsonb_set(data, '{edited}', 'true') WHERE seq = $1`, [r.seq]);
      expect(await admin.ok('GET', '/api/v1/audit/verify'), r.action).toMatchObject({ ok: false, audit: { ok: false, brokenAt: r.seq } });
      await platform.db.query(`UPDATE audit_log SET data = data - 'edited' WHERE seq = $1`, [r.seq]);
    }
    expect(await admin.ok('GET', '/api/v1/audit/verify')).toMatchObject({ ok: true, records: { ok: true, tasks: 1, taskEvents: 8, inspections: 2 } });

    // the rows the application reads, against what the audit trail sealed: the task, each of its events, each inspection
    const broken = async (edit: string, params: unknown[], undo: string) => {
      await platform.db.query(edit, params);
      const v = await admin.ok<{ ok: boolean; audit: { ok: boolean }; records: Record<string, unknown> }>('GET', '/api/v1/audit/verify');
      await platform.db.query(undo, params);
      return v;
    };
    expect(
      await broken(
        `UPDATE tasks SET data = jsonb_set(data, '{outcome}', '"no_hazard"') WHERE id = $1`,
        [task.id],
        `UPDATE tasks SET data = jsonb_set(data, '{outcome}', '"rectified"') WHERE id = $1`,
      ),
    ).toMatchObject({ ok: false, audit: { ok: true }, records: { ok: false, table: 'tasks', key: task.id } });
    const { rows: evs } = await platform.db.query<{ seq: string }>('SELECT seq FROM task_events WHERE task_id = $1 ORDER BY seq', [task.id]);
    for (const e of evs)
      expect(
        await broken(`UPDATE task_events SET actor = actor || '!' WHERE seq = $1`, [e.seq], `UPDATE task_events SET actor = rtrim(actor, '!') WHERE seq = $1`),
      ).toMatchObject({ ok: false, records: { ok: false, table: 'task_events', key: String(e.seq) } });
    const { rows: ins } = await platform.db.query<{ id: string }>('SELECT id FROM inspections WHERE task_id = $1', [task.id]);
    for (const i of ins)
      expect(
        await broken(`UPDATE inspections SET exempt = NOT exempt WHERE id = $1`, [i.id], `UPDATE inspections SET exempt = NOT exempt WHERE id = $1`),
      ).toMatchObject({ ok: false, records: { ok: false, table: 'inspections', key: i.id } });
    expect(await admin.ok('GET', '/api/v1/audit/verify')).toMatchObject({ ok: true });

    // the alert's own chain: the event that fired it, edited behind the append-only trigger's back
    const { rows } = await platform.db.query<{ seq: string }>('SELECT seq FROM alert_events WHERE alert_id = $1 ORDER BY seq LIMIT 1 OFFSET 1', [
      task.alertIds[0],
    ]);
    const seq = Number(rows[0]!.seq);
    await platform.db.exec('ALTER TABLE alert_events DISABLE TRIGGER alert_events_append_only');
    await platform.db.query("UPDATE alert_events SET severity = 'blue' WHERE seq = $1", [seq]);
    expect(await admin.ok('GET', '/api/v1/audit/verify')).toMatchObject({ ok: false, audit: { ok: true }, alertEvents: { ok: false, brokenAt: seq } });
  });
});
