/**
 * The API behind the admin screens for people (issue #20 §9): the authorities by name, the provisioning and rotation
 * answers' connection instructions (the broker's ports as it runs them, client id, topics), the catalogue's rules by
 * name with the registered limits, and the audit trail filtered by action, actor, time and paged newest first — with
 * clear 400s for a filter that is not one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let admin: AdminClient;

beforeAll(async () => {
  svc = await startTestServices('admin-people');
  ({ platform } = await startTestPlatform(svc, 'admin-people', { parts: ['gateway', 'api'] }));
  admin = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
  await admin.ok('POST', '/api/v1/authorities', { id: 'prov', name: '示例省应急管理厅', level: 'province' });
  await admin.ok('POST', '/api/v1/authorities', { id: 'city', name: '示例市应急管理局', level: 'city', parentId: 'prov' });
  await admin.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '甲化工', sector: 'hazardous_chemicals', authorityId: 'city' });
}, 60_000);

afterAll(async () => {
  await platform?.stop();
  await svc?.stop();
});

describe('authorities', () => {
  it('lists every authority with its name, level and parent', async () => {
    expect(await admin.ok('GET', '/api/v1/authorities')).toEqual({
      authorities: [
        { id: 'city', name: '示例市应急管理局', level: 'city', parentId: 'prov' },
        { id: 'prov', name: '示例省应急管理厅', level: 'province', parentId: null },
      ],
    });
  });

  it('refuses anyone but an admin', async () => {
    const r = await fetch(`http://127.0.0.1:${platform.httpPort}/api/v1/authorities`);
    expect(r.status).toBe(401);
  });
});

describe('provisioning answers how to connect', () => {
  it('gives the broker’s ports as it runs them, the client id and the topics, on provisioning and on rotation', async () => {
    const created = await admin.ok<Record<string, unknown>>('POST', '/api/v1/gateways', { id: 'G1', enterpriseId: 'E1' });
    const connection = {
      mqtt: { plainPort: platform.mqttPort },
      clientId: 'G1',
      username: 'G1',
      publishes: { readings: 'v1/E1/G1/readings', signals: 'v1/E1/G1/signals', status: 'v1/E1/G1/status' },
      subscribes: 'v1/E1/G1/cmd/#',
    };
    expect(created).toMatchObject({ id: 'G1', connection });
    expect((created.connection as { mqtt: object }).mqtt).not.toHaveProperty('tlsPort', expect.anything());
    const rotated = await admin.ok<Record<string, unknown>>('POST', '/api/v1/gateways/G1/rotate-secret');
    expect(rotated).toMatchObject({ id: 'G1', connection });
    expect(rotated.secret).not.toBe(created.secret);
  });
});

describe('rule overrides', () => {
  it('lists the catalogue’s rules by name in both languages', async () => {
    const r = await admin.ok<{ rules: { id: string; name: { zh: string; en: string } }[] }>('GET', '/api/v1/rule-overrides?enterpriseId=E1');
    const gas = r.rules.find((x) => x.id === 'gas.combustible');
    expect(gas?.name.zh).toMatch(/[\u4e00-\u9fff]/);
    expect(gas?.name.en).toMatch(/[a-z]/i);
  });
});

describe('audit filters', () => {
  type Answer = { records: { seq: number; action: string; actor: string; at: number; subjectId: string }[]; actions: { id: string; zh: string }[] };
  const list = (q: string) => admin.ok<Answer>('GET', `/api/v1/audit?${q}`);

  it('filters by action and actor, with the names the filters offer', async () => {
    const r = await list('action=gateway.created');
    expect(r.records.map((x) => [x.action, x.subjectId])).toEqual([['gateway.created', 'G1']]);
    expect(r.actions.find((a) => a.id === 'gateway.created')?.zh).toBe('新建网关');
    expect((await list('actor=user:admin&action=authority.created')).records.map((x) => x.subjectId)).toEqual(['prov', 'city']);
    expect((await list('actor=user:nobody')).records).toEqual([]);
  });

  it('filters by time (epoch ms or ISO 8601, inclusive) and pages newest first', async () => {
    const all = (await list('limit=1000')).records;
    expect(all.length).toBeGreaterThanOrEqual(5);
    const third = all[2]!;
    const fromThird = (await list(`from=${third.at}`)).records;
    expect(fromThird.every((x) => x.at >= third.at)).toBe(true);
    expect(fromThird.map((x) => x.seq)).toContain(third.seq);
    const iso = new Date(third.at).toISOString();
    expect((await list(`to=${encodeURIComponent(iso)}`)).records.every((x) => x.at <= third.at)).toBe(true);
    const page1 = (await list('order=desc&limit=2')).records;
    expect(page1.map((x) => x.seq)).toEqual([all.at(-1)!.seq, all.at(-2)!.seq]);
    const page2 = (await list(`order=desc&limit=2&before=${page1[1]!.seq}`)).records;
    expect(page2.map((x) => x.seq)).toEqual([all.at(-3)!.seq, all.at(-4)!.seq]);
  });

  it('answers 400 naming the filter for an unknown action, a time that is not one, from after to, a bad order', async () => {
    const bad = async (q: string) => {
      const r = await admin.request<{ error: string; message: string }>('GET', `/api/v1/audit?${q}`);
      expect(r.status).toBe(400);
      return JSON.stringify(r.body);
    };
    expect(await bad('action=gateway.exploded')).toContain('action: 未知的操作 / unknown action');
    expect(await bad('from=yesterday')).toContain('from 不是有效时间');
    expect(await bad('from=2026-12-06T00:00:00Z&to=2026-12-05T00:00:00Z')).toContain('起始时间晚于结束时间 / from is after to');
    expect(await bad('order=sideways')).toContain('order');
    expect(await bad('before=0')).toContain('before');
    expect(await bad('colour=red')).toContain('colour');
  });
});
