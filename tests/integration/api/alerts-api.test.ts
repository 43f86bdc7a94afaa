/**
 * The alerts API (issue #3 point 6) on a real platform (MQTT, Redis feed,
 * rules worker, InfluxDB, PGlite): alerts raised by gas readings published
 * over MQTT in enterprises of a province → city → two counties tree are
 * listed, filtered, paged, shown with their events, evidence and readings,
 * acknowledged and disposed, and streamed live, each officer seeing only its
 * own jurisdiction.
 */
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertReadings, EvidenceEntry } from '../../../api/alert-detail.ts';
import { buildApi } from '../../../api/server.ts';
import type { AlertSummary } from '../../../alerts/query.ts';
import { GAS_RULES } from '../../../alerts/rules/packs/gas.ts';
import { ACTIVE_STATES, type Alert, type AlertState } from '../../../alerts/state/index.ts';
import type { StoredAlertEvent } from '../../../alerts/store.ts';
import { contentHash } from '../../../core/canonical-json.ts';
import { systemClock } from '../../../core/clock.ts';
import { encodeReadings, topics } from '../../../core/contract.ts';
import { createMetrics } from '../../../core/metrics.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';
import { frameJson, SseClient, type SseFrame } from '../../../testkit/sse.ts';

const MIN = 60_000;
/** Data time of the first reading: recent enough for ingest, old enough that every episode lies in the past. */
const T = Date.now() - 15 * MIN;

let svc: TestServices;
let platform: Platform;
let admin: AdminClient;
const base = () => `http://127.0.0.1:${platform.httpPort}`;

/** Authorities: province P → city C → counties K1, K2. Enterprises: E1 in K1, E2 in K2, E3 of the city itself, E0 of no authority. */
const TREE = [
  { id: 'P', name: '示例省应急管理厅', level: 'province' },
  { id: 'C', name: '示例市应急管理局', level: 'city', parentId: 'P' },
  { id: 'K1', name: '甲县应急管理局', level: 'county', parentId: 'C' },
  { id: 'K2', name: '乙县应急管理局', level: 'county', parentId: 'C' },
];
const ENTERPRISES: { id: string; authorityId?: string }[] = [
  { id: 'E1', authorityId: 'K1' },
  { id: 'E2', authorityId: 'K2' },
  { id: 'E3', authorityId: 'C' },
  { id: 'E0' },
];
const gateways = new Map<string, MqttClient>();

interface Officer {
  id: string;
  authorityId: string;
  token: string;
  api: AdminClient;
}
const officers: Record<string, Officer> = {};

/** Every reading published, per `enterprise/sensor`, as the detail's raw points should show them. */
const published = new Map<string, { t: number; value: number }[]>();

/** Publishes gas readings `step` ms apart from `t0` through the enterprise's gateway; waits until the rules worker has processed them. */
async function gas(enterpriseId: string, sensor: string, t0: number, values: number[], step = 5000): Promise<void> {
  const readings = values.map((value, i) => ({ sensor, value, unit: '%LEL', quality: 'good' as const, ts: t0 + i * step }));
  await publish(gateways.get(enterpriseId)!, topics.readings(enterpriseId, `G-${enterpriseId}`), encodeReadings(readings));
  const key = `${enterpriseId}/${sensor}`;
  published.set(key, [...(published.get(key) ?? []), ...readings.map((r) => ({ t: r.ts, value: r.value }))]);
  await platform.rules.drained();
}

async function createOfficer(id: string, authorityId: string): Promise<Officer> {
  const { token } = await admin.ok<{ token: string }>('POST', '/api/v1/officers', { id, name: `值班员 ${id}`, authorityId });
  const o = { id, authorityId, token, api: new AdminClient(base(), token) };
  officers[id] = o;
  return o;
}

/** Every alert in the database, as stored. */
async function dbAlerts(): Promise<Alert[]> {
  return (await platform.db.query<{ data: Alert }>('SELECT data FROM alerts')).rows.map((r) => r.data);
}

/** The list order: newest `startedAt` first, then `id` descending. */
const newestFirst = (a: Pick<Alert, 'startedAt' | 'id'>, b: Pick<Alert, 'startedAt' | 'id'>): number =>
  b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Ids of the fired alerts matching `pred`, in list order: what the API should answer, computed from the table. */
async function expectedIds(pred: (a: Alert) => boolean = () => true): Promise<string[]> {
  return (await dbAlerts())
    .filter((a) => a.firedAt !== undefined && pred(a))
    .sort(newestFirst)
    .map((a) => a.id);
}

interface ListPage {
  alerts: AlertSummary[];
  next: string | null;
  lastEventSeq: number;
}

/** One page of `GET /api/v1/alerts?query` as `client`, checked to be the only page. */
async function listIds(client: AdminClient, query = ''): Promise<string[]> {
  const page = await client.ok<ListPage>('GET', `/api/v1/alerts?limit=500${query ? `&${query}` : ''}`);
  expect(page.next).toBeNull();
  return page.alerts.map((a) => a.id);
}

/** The one alert of `ruleId` on `enterpriseId/subject` in `state`. */
async function alertOf(enterpriseId: string, subject: string, state: AlertState, ruleId = 'gas.combustible'): Promise<Alert> {
  const found = (await dbAlerts()).filter((a) => a.enterpriseId === enterpriseId && a.subject === subject && a.ruleId === ruleId && a.state === state);
  expect(found, `${ruleId} ${enterpriseId}/${subject} ${state}`).toHaveLength(1);
  return found[0]!;
}

async function eventRows(alertId: string): Promise<{ seq: number; type: string; actor: string; note: string | null }[]> {
  const { rows } = await platform.db.query<{ seq: string; type: string; actor: string; note: string | null }>(
    'SELECT seq, type, actor, note FROM alert_events WHERE alert_id = $1 ORDER BY seq',
    [alertId],
  );
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

const notFound = (id: string) => ({ error: { code: 'NOT_FOUND', message: `alert ${id} not found` } });
const badRequest = (message: RegExp) => ({ error: { code: 'BAD_REQUEST', message: expect.stringMatching(message) as unknown } });
const unauthenticated = { error: { code: 'UNAUTHENTICATED', message: 'a valid bearer token or session is required' } };

/** A raw request with any (or no) authorization header. */
async function raw(
  path: string,
  init: { method?: string; authorization?: string; body?: unknown } = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(`${base()}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.authorization === undefined ? {} : { authorization: init.authorization }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const openStream = (o: Officer, headers: Record<string, string> = {}) =>
  SseClient.open(`${base()}/api/v1/alerts/stream`, { authorization: `Bearer ${o.token}`, ...headers });

interface StreamData {
  event: StoredAlertEvent;
  alert: AlertSummary;
}
const streamData = (f: SseFrame) => frameJson<StreamData>(f);

beforeAll(async () => {
  svc = await startTestServices('alertsapi');
  // Only the gas rules: the silence and offline rules judge on the wall clock and would add alerts while the test runs.
  const catalogueFile = join(svc.dir, 'rules.json');
  // the two apart (no consolidation group): this file tests the API over separate alarms (alerts/state: consolidation has its own tests)
  const rules = GAS_RULES.filter((r) => r.id === 'gas.combustible' || r.id === 'gas.combustible.rise').map(({ group: _group, ...r }) => r);
  await writeFile(catalogueFile, JSON.stringify({ version: 1, rules }));
  ({ platform } = await startTestPlatform(svc, 'alertsapi', {
    rules: { tickMs: 50, snapshotIntervalMs: 200, catalogueFile },
    notify: { escalation: {} },
  }));
  admin = new AdminClient(base(), platform.adminToken);

  for (const a of TREE) await admin.ok('POST', '/api/v1/authorities', a);
  for (const e of ENTERPRISES) {
    const gatewayId = `G-${e.id}`;
    await admin.ok('POST', '/api/v1/enterprises', { id: e.id, name: `企业 ${e.id}`, sector: 'hazardous_chemicals', authorityId: e.authorityId });
    const { secret } = await admin.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: gatewayId, enterpriseId: e.id });
    // separate zones: the two detectors never confirm each other (no gas.correlated in this catalogue anyway)
    for (const [id, zone] of [
      ['GT-101', 'A'],
      ['GT-102', 'B'],
    ] as const) {
      await admin.ok('POST', '/api/v1/sensors', { id, enterpriseId: e.id, gatewayId, kind: 'combustible_gas', unit: '%LEL', periodS: 5, zone });
    }
    gateways.set(e.id, await connect(platform.mqttPort, { clientId: gatewayId, username: gatewayId, password: secret }));
  }

  await createOfficer('o-k1', 'K1');
  await createOfficer('o-k2', 'K2');
  await createOfficer('o-city', 'C');
  await createOfficer('o-prov', 'P');

  // The timeline: an E1 leak that comes and goes, an E2 leak up to red, a second E1 leak, a leak at the city's own enterprise,
  // one at the enterprise no authority has.
  await gas('E1', 'GT-101', T, [5, 28, 29, 5]);
  await gas('E2', 'GT-101', T + MIN, [5, 55, 56]);
  await gas('E1', 'GT-101', T + 2 * MIN, [5, 30, 31]);
  await gas('E3', 'GT-101', T + 3 * MIN, [5, 26, 27]);
  await gas('E0', 'GT-101', T + 4 * MIN, [5, 27]);
}, 60_000);

afterAll(async () => {
  for (const c of gateways.values()) c.end(true);
  await platform?.stop();
  await svc?.stop();
});

describe('officers and tokens', () => {
  it('gives an officer its token once, stores only its hash, and refuses a second officer with the same id', async () => {
    const r = await raw('/api/v1/officers', {
      method: 'POST',
      authorization: `Bearer ${platform.adminToken}`,
      body: { id: 'o-new', name: '新值班员', authorityId: 'K1' },
    });
    expect(r.status).toBe(201);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const { token } = r.body as { token: string };
    expect(r.body).toEqual({
      id: 'o-new',
      name: '新值班员',
      authorityId: 'K1',
      role: 'duty_officer',
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown,
    });

    const { rows } = await platform.db.query<Record<string, unknown>>("SELECT * FROM officers WHERE id = 'o-new'");
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.values(rows[0]!)).not.toContain(token);
    expect((await new AdminClient(base(), token).request('GET', '/api/v1/alerts')).status).toBe(200);

    const again = await admin.request('POST', '/api/v1/officers', { id: 'o-new', name: '又一个', authorityId: 'K2' });
    expect(again).toEqual({ status: 409, body: { error: { code: 'CONFLICT', message: '用户 o-new 已存在 / officer o-new already exists' } } });
  });

  it('refuses an officer with an unknown authority, a bad body or the admin id', async () => {
    expect(await admin.request('POST', '/api/v1/officers', { id: 'o-x', name: 'x', authorityId: 'NOPE' })).toEqual({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: '执法主体 NOPE 不存在 / authority NOPE not found' } },
    });
    for (const [body, message] of [
      [{ id: 'o-x', authorityId: 'K1' }, /^body: name: /],
      [{ id: 'o-x', name: 'x', authorityId: 'K1', role: 'boss' }, /^body: .*role/],
      [{ id: 'admin', name: 'x', authorityId: 'K1' }, /^body: id: 'admin' is reserved/],
      [{ id: 'bad id', name: 'x', authorityId: 'K1' }, /^body: id: /],
    ] as const) {
      expect(await admin.request('POST', '/api/v1/officers', body), JSON.stringify(body)).toEqual({ status: 400, body: badRequest(message) });
    }
  });

  it('answers 401 without a token or with a bad one, on every alert route', async () => {
    const id = (await alertOf('E1', 'GT-101', 'firing')).id;
    const routes = [
      ['GET', '/api/v1/alerts'],
      ['GET', `/api/v1/alerts/${id}`],
      ['POST', `/api/v1/alerts/${id}/acknowledge`],
      ['POST', `/api/v1/alerts/${id}/dispose`],
      ['GET', '/api/v1/alerts/stream'],
      ['POST', '/api/v1/officers'],
    ] as const;
    for (const [method, path] of routes) {
      for (const authorization of [undefined, 'Bearer not-a-token', `Basic ${officers['o-k1']!.token}`, 'Bearer ']) {
        const r = await raw(path, { method, authorization, body: method === 'POST' ? { text: 'x' } : undefined });
        expect({ route: `${method} ${path}`, authorization, status: r.status, body: r.body }).toEqual({
          route: `${method} ${path}`,
          authorization,
          status: 401,
          body: unauthenticated,
        });
      }
    }
    expect((await alertOf('E1', 'GT-101', 'firing')).id).toBe(id); // nothing was acknowledged or disposed
  });

  it('answers 403 to an officer on the officer admin routes', async () => {
    const k1 = officers['o-k1']!.api;
    const forbidden = { error: { code: 'FORBIDDEN', message: 'this needs the admin token' } };
    expect(await k1.request('POST', '/api/v1/officers', { id: 'o-mine', name: 'x', authorityId: 'K1' })).toEqual({ status: 403, body: forbidden });
    expect(await k1.request('POST', '/api/v1/officers/o-k2/disable')).toEqual({ status: 403, body: forbidden });
    expect((await officers['o-k2']!.api.request('GET', '/api/v1/alerts')).status).toBe(200);
  });

  it('shuts a disabled officer out at once (401), and 404s disabling an unknown one', async () => {
    const gone = await createOfficer('o-gone', 'K1');
    expect((await gone.api.request('GET', '/api/v1/alerts')).status).toBe(200);
    expect((await admin.request('POST', '/api/v1/officers/o-gone/disable')).status).toBe(204);
    const id = (await alertOf('E1', 'GT-101', 'firing')).id;
    expect(await gone.api.request('GET', '/api/v1/alerts')).toEqual({ status: 401, body: unauthenticated });
    expect(await gone.api.request('GET', `/api/v1/alerts/${id}`)).toEqual({ status: 401, body: unauthenticated });
    expect(await gone.api.request('POST', `/api/v1/alerts/${id}/acknowledge`, {})).toEqual({ status: 401, body: unauthenticated });
    await expect(openStream(gone)).rejects.toThrow(/HTTP 401/);
    expect(await admin.request('POST', '/api/v1/officers/o-nobody/disable')).toEqual({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'officer o-nobody not found' } },
    });
  });
});

describe('jurisdiction', () => {
  it('lists to a county officer its county only, to the city officer both counties and its own enterprise, to the province all with an authority, to the admin all', async () => {
    const of = (...ents: string[]) => expectedIds((a) => ents.includes(a.enterpriseId));
    const k1 = await of('E1');
    expect(k1.length).toBeGreaterThanOrEqual(2); // two leaks at E1 (and their rise warnings)
    expect(await listIds(officers['o-k1']!.api)).toEqual(k1);
    expect(await listIds(officers['o-k2']!.api)).toEqual(await of('E2'));
    expect(await listIds(officers['o-city']!.api)).toEqual(await of('E1', 'E2', 'E3'));
    expect(await listIds(officers['o-prov']!.api)).toEqual(await of('E1', 'E2', 'E3'));
    expect(await of('E0')).not.toEqual([]);
    expect(await listIds(admin)).toEqual(await expectedIds());
    // a filter cannot widen the scope
    expect(await listIds(officers['o-k1']!.api, 'enterpriseId=E2')).toEqual([]);
  });

  it("answers another county's alert, and the city's own enterprise's alert to a county, 404 exactly like a missing one, and changes nothing", async () => {
    const k1 = officers['o-k1']!.api;
    const e2 = await alertOf('E2', 'GT-101', 'firing');
    const e3 = await alertOf('E3', 'GT-101', 'firing');
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const id of [e2.id, e3.id, missing]) {
      expect(await k1.request('GET', `/api/v1/alerts/${id}`)).toEqual({ status: 404, body: notFound(id) });
      expect(await k1.request('POST', `/api/v1/alerts/${id}/acknowledge`, {})).toEqual({ status: 404, body: notFound(id) });
      expect(await k1.request('POST', `/api/v1/alerts/${id}/dispose`, { text: '已处置' })).toEqual({ status: 404, body: notFound(id) });
    }
    expect((await eventRows(e2.id)).map((e) => e.type)).toEqual(['fired']);
    expect((await alertOf('E2', 'GT-101', 'firing')).id).toBe(e2.id);
    // the city officer sees both
    expect((await officers['o-city']!.api.request('GET', `/api/v1/alerts/${e2.id}`)).status).toBe(200);
    expect((await officers['o-city']!.api.request('GET', `/api/v1/alerts/${e3.id}`)).status).toBe(200);
  });
});

describe('list', () => {
  it('filters by state, severity, enterprise, rule, active, and a time range (epoch ms or ISO 8601)', async () => {
    const all = await expectedIds();
    const active = (a: Alert) => (ACTIVE_STATES as readonly string[]).includes(a.state);
    const iso = (ms: number) => new Date(ms).toISOString();
    const cases: [string, (a: Alert) => boolean][] = [
      ['state=firing', (a) => a.state === 'firing'],
      ['state=resolved', (a) => a.state === 'resolved'],
      ['state=resolved,disposed', (a) => a.state === 'resolved' || a.state === 'disposed'],
      ['state=disposed&state=resolved', (a) => a.state === 'resolved' || a.state === 'disposed'],
      ['severity=red', (a) => a.severity === 'red'],
      ['severity=orange,yellow', (a) => a.severity === 'orange' || a.severity === 'yellow'],
      ['enterpriseId=E2', (a) => a.enterpriseId === 'E2'],
      ['ruleId=gas.combustible.rise', (a) => a.ruleId === 'gas.combustible.rise'],
      ['active=true', active],
      ['active=false', (a) => !active(a)],
      [`from=${T + MIN}`, (a) => a.startedAt >= T + MIN],
      [`to=${encodeURIComponent(iso(T + MIN))}`, (a) => a.startedAt < T + MIN],
      [`from=${encodeURIComponent(iso(T + MIN))}&to=${T + 3 * MIN}`, (a) => a.startedAt >= T + MIN && a.startedAt < T + 3 * MIN],
      ['severity=orange&enterpriseId=E1&active=false', (a) => a.severity === 'orange' && a.enterpriseId === 'E1' && !active(a)],
      ['includeUnfired=true&state=pending', (a) => a.state === 'pending'],
    ];
    for (const [query, pred] of cases) {
      const want = await expectedIds(pred);
      expect(await listIds(admin, query), query).toEqual(want);
      // each filter here actually filters (pending is the exception: the gas rules fire at once)
      if (!query.includes('pending')) expect(want.length, query).toBeGreaterThan(0);
      expect(want.length, query).toBeLessThan(all.length);
    }
    const page = await officers['o-k1']!.api.ok<ListPage>('GET', '/api/v1/alerts?state=firing');
    expect(page.alerts.map((a) => a.id)).toEqual(await expectedIds((a) => a.enterpriseId === 'E1' && a.state === 'firing'));
    expect(page.alerts[0]).not.toHaveProperty('evidence'); // lists carry summaries
    expect(page.lastEventSeq).toBeGreaterThan(0);
  });

  it('pages through with a keyset cursor: every alert once, in order, even when a newer alert arrives meanwhile', async () => {
    const all = await listIds(admin);
    expect(all).toEqual(await expectedIds());
    const limit = 3;
    expect(all.length).toBeGreaterThan(2 * limit);

    const seen: string[] = [];
    let before: string | null = null;
    let pages = 0;
    do {
      const page: ListPage = await admin.ok<ListPage>('GET', `/api/v1/alerts?limit=${limit}${before ? `&before=${before}` : ''}`);
      expect(page.alerts.length).toBeLessThanOrEqual(limit);
      seen.push(...page.alerts.map((a) => a.id));
      before = page.next;
      pages++;
      // a newer alert after the first page shifts nothing: the cursor is a position, not an offset
      if (pages === 1) await gas('E3', 'GT-102', Date.now() - 2 * MIN, [24, 26]);
    } while (before !== null);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / limit));

    // the newer alert is at the top of a fresh first page; a page exactly as long as the rest says there is no next
    const now = await listIds(admin);
    expect(now.slice(1)).toEqual(all);
    const whole = await admin.ok<ListPage>('GET', `/api/v1/alerts?limit=${now.length}`);
    expect(whole.next).toBeNull();

    // paging a filtered, scoped list one by one
    const cityFiring: string[] = [];
    before = null;
    do {
      const page: ListPage = await officers['o-city']!.api.ok<ListPage>('GET', `/api/v1/alerts?limit=1&state=firing${before ? `&before=${before}` : ''}`);
      cityFiring.push(...page.alerts.map((a) => a.id));
      before = page.next;
    } while (before !== null);
    expect(cityFiring).toEqual(await expectedIds((a) => a.state === 'firing' && a.enterpriseId !== 'E0'));
  });

  it('answers bad query parameters 400 with the error code and a message naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['state=bogus', /^query: state\.0: /],
      ['severity=purple', /^query: severity\.0: /],
      ['state=', /^query: state\.0: /],
      ['state=pending', /^query: state: a pending alert has not fired yet; add includeUnfired=true/],
      ['limit=0', /^query: limit: /],
      ['limit=501', /^query: limit: /],
      ['limit=ten', /^query: limit: /],
      ['active=yes', /^query: active: /],
      ['includeUnfired=1', /^query: includeUnfired: /],
      ['enterpriseId=bad%20id', /^query: enterpriseId: /],
      ['from=yesterday', /^query: from: must be epoch milliseconds or an ISO 8601 date-time with a zone/],
      // Date.parse alone reads these as dates in 2001, or in the server's zone
      ['to=-5', /^query: to: must be epoch milliseconds or an ISO 8601/],
      ['to=12.5', /^query: to: must be epoch milliseconds or an ISO 8601/],
      ['from=2026-01-31T08%3A00%3A00', /^query: from: must be epoch milliseconds or an ISO 8601/],
      ['from=2026-02-30T08%3A00%3A00Z', /^query: from: must be epoch milliseconds or an ISO 8601/],
      // past the last time a Date can hold
      ['from=8700000000000000', /^query: from: /],
      [`before=${Buffer.from('[8700000000000000,"x"]').toString('base64url')}`, /^query: before: not a cursor/],
      [`from=${T}&to=${T}`, /^query: from: `from` must be before `to`/],
      ['before=not-a-cursor', /^query: before: not a cursor this API handed out/],
      [`before=${Buffer.from('[1,2]').toString('base64url')}`, /^query: before: not a cursor/],
      ['color=red', /^query: .*color/],
    ];
    for (const [query, message] of cases) {
      expect(await officers['o-k1']!.api.request('GET', `/api/v1/alerts?${query}`), query).toEqual({ status: 400, body: badRequest(message) });
    }
    const id = (await alertOf('E1', 'GT-101', 'firing')).id;
    expect(await admin.request('GET', '/api/v1/alerts/bad%20id')).toEqual({ status: 400, body: badRequest(/^path: id: /) });
    expect(await admin.request('GET', `/api/v1/alerts/${id}?points=0`)).toEqual({ status: 400, body: badRequest(/^query: points: /) });
    expect(await admin.request('GET', `/api/v1/alerts/${id}?limit=5`)).toEqual({ status: 400, body: badRequest(/^query: .*limit/) });
  });
});

interface Detail {
  alert: Alert;
  events: StoredAlertEvent[];
  evidence: EvidenceEntry[];
  readings: AlertReadings | null;
  readingsNote?: { zh: string; en: string };
}

describe('detail', () => {
  it('shows an alert with its events in order, its evidence verified by hash, and the readings around it from InfluxDB', async () => {
    const first = await alertOf('E1', 'GT-101', 'resolved');
    expect(first).toMatchObject({ startedAt: T + 5000, resolvedAt: T + 15_000 });
    const d = await officers['o-k1']!.api.ok<Detail>('GET', `/api/v1/alerts/${first.id}?points=2000`);

    expect(d.alert).toEqual(first);
    expect(d.events).toEqual(await platform.alerts.events(first.id));
    expect(d.events.map((e) => e.type)).toEqual(['fired', 'resolved']);
    expect(d.events.map((e) => e.seq)).toEqual([...d.events.map((e) => e.seq)].sort((a, b) => a - b));

    const fired = d.events[0]!;
    expect(fired.evidenceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(d.evidence).toEqual([{ hash: fired.evidenceHash, eventSeqs: [fired.seq], verified: true, observations: expect.any(Array) as unknown }]);
    const observations = d.evidence[0]!.observations as { value: number; ts: number }[];
    expect(contentHash(observations)).toBe(fired.evidenceHash);
    expect(observations.at(-1)).toMatchObject({ value: 28, ts: T + 5000 });

    // raw readings: 30 min either side of the episode, which takes in both E1 leaks on GT-101 and nothing of GT-102
    const from = first.startedAt - 30 * MIN;
    const to = first.resolvedAt! + 30 * MIN;
    expect(d.readings).toMatchObject({ sensor: { id: 'GT-101', kind: 'combustible_gas', unit: '%LEL', periodS: 5 }, from, to, mode: 'raw' });
    const want = published.get('E1/GT-101')!.filter((p) => p.t >= from && p.t < to);
    expect(want.map((p) => p.value)).toEqual([5, 28, 29, 5, 5, 30, 31]);
    expect(d.readings!.points).toEqual(want.map((p) => ({ ...p, quality: 'good' })));

    // the default budget (500 points over an hour of a 5 s sensor) downsamples, and keeps the peak
    const dd = await officers['o-k1']!.api.ok<Detail>('GET', `/api/v1/alerts/${first.id}`);
    expect(dd.readings!.mode).toBe('downsampled');
    const buckets = dd.readings!.points as { max: number; count: number }[];
    expect(Math.max(...buckets.map((b) => b.max))).toBe(31);
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(want.length);
  });
});

describe('acknowledge and dispose', () => {
  it('acknowledges as the officer (user:<id>), takes a retry as a no-op, and refuses a second officer 409', async () => {
    const a = await alertOf('E1', 'GT-101', 'firing');
    const k1 = officers['o-k1']!.api;
    const before = await eventRows(a.id);

    const r = await k1.request<{ alert: AlertSummary; outcome: string }>('POST', `/api/v1/alerts/${a.id}/acknowledge`, { note: '已电话联系企业核实' });
    expect(r.status).toBe(200);
    expect(r.body.outcome).toBe('acknowledged');
    expect(r.body.alert).toMatchObject({ id: a.id, state: 'acknowledged', acknowledgedBy: 'user:o-k1', acknowledgeNote: '已电话联系企业核实' });
    expect(r.body.alert).not.toHaveProperty('evidence');
    const after = await eventRows(a.id);
    expect(after.slice(0, -1)).toEqual(before);
    expect(after.at(-1)).toMatchObject({ type: 'acknowledged', actor: 'user:o-k1', note: '已电话联系企业核实' });

    // the same officer again (a retried request): nothing new
    const retry = await k1.request<{ alert: AlertSummary; outcome: string }>('POST', `/api/v1/alerts/${a.id}/acknowledge`, {});
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ outcome: 'already_acknowledged', alert: { state: 'acknowledged', acknowledgedBy: 'user:o-k1' } });
    expect(await eventRows(a.id)).toEqual(after);

    // another officer of the jurisdiction: conflict, naming who has it
    const other = await officers['o-city']!.api.request('POST', `/api/v1/alerts/${a.id}/acknowledge`, {});
    expect(other).toEqual({
      status: 409,
      body: { error: { code: 'CONFLICT', transition: 'ALREADY_ACKNOWLEDGED', message: 'already acknowledged by user:o-k1' } },
    });
    expect(await eventRows(a.id)).toEqual(after);
    expect(await k1.request('POST', `/api/v1/alerts/${a.id}/acknowledge`, { note: 5 })).toEqual({ status: 400, body: badRequest(/^body: note: /) });
  });

  it('lets exactly one of two officers acknowledging at the same moment have the alert, the other 409', async () => {
    const a = await alertOf('E3', 'GT-102', 'firing');
    const [p, c] = await Promise.all(
      [officers['o-prov']!, officers['o-city']!].map((o) => o.api.request<{ alert?: AlertSummary }>('POST', `/api/v1/alerts/${a.id}/acknowledge`, {})),
    );
    expect([p!.status, c!.status].sort()).toEqual([200, 409]);
    const winner = p!.status === 200 ? 'o-prov' : 'o-city';
    expect((p!.status === 409 ? p : c)!.body).toEqual({
      error: { code: 'CONFLICT', transition: 'ALREADY_ACKNOWLEDGED', message: `already acknowledged by user:${winner}` },
    });
    expect((await eventRows(a.id)).map(({ type, actor }) => ({ type, actor }))).toEqual([
      { type: 'fired', actor: 'system' },
      { type: 'acknowledged', actor: `user:${winner}` },
    ]);
  });

  it('refuses to dispose without text (400), disposes with text (200, state disposed), and refuses another disposal 409', async () => {
    const a = await alertOf('E1', 'GT-101', 'acknowledged');
    const k1 = officers['o-k1']!.api;
    const path = `/api/v1/alerts/${a.id}/dispose`;
    expect(await k1.request('POST', path, {})).toEqual({ status: 400, body: badRequest(/^body: text: /) });
    expect(await k1.request('POST', path)).toEqual({ status: 400, body: badRequest(/^body: text: /) });
    expect(await k1.request('POST', path, { text: '  ' })).toEqual({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', transition: 'DISPOSAL_TEXT_REQUIRED', message: 'a disposal text (处置情况) is required' } },
    });
    expect(await k1.request('POST', path, { text: 'x', by: 'someone' })).toEqual({ status: 400, body: badRequest(/^body: .*by/) });
    expect((await eventRows(a.id)).map((e) => e.type)).toEqual(['fired', 'acknowledged']);

    const text = '企业已关闭进料阀并通风，复测 3 %LEL';
    const r = await k1.request<{ alert: AlertSummary; outcome: string }>('POST', path, { text: `  ${text} ` });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ outcome: 'disposed', alert: { id: a.id, state: 'disposed', disposedBy: 'user:o-k1', disposal: text } });
    expect((await eventRows(a.id)).map(({ type, actor, note }) => ({ type, actor, note }))).toEqual([
      { type: 'fired', actor: 'system', note: null },
      { type: 'acknowledged', actor: 'user:o-k1', note: '已电话联系企业核实' },
      { type: 'disposed', actor: 'user:o-k1', note: text },
    ]);
    const d = await k1.ok<Detail>('GET', `/api/v1/alerts/${a.id}`);
    expect(d.alert.state).toBe('disposed');
    expect(d.events.map((e) => e.type)).toEqual(['fired', 'acknowledged', 'disposed']);

    expect(await officers['o-city']!.api.request('POST', path, { text: '另一种说法' })).toEqual({
      status: 409,
      body: { error: { code: 'CONFLICT', transition: 'ALREADY_DISPOSED', message: 'already disposed by user:o-k1; a correction is a new record' } },
    });
    expect(await k1.request('POST', `/api/v1/alerts/${a.id}/acknowledge`, {})).toMatchObject({
      status: 409,
      body: { error: { code: 'CONFLICT', transition: 'INVALID_TRANSITION' } },
    });
    expect(await listIds(k1, 'state=disposed')).toEqual([a.id]);
  });

  it('disposes a resolved alert too (from resolved), acknowledging it is a conflict, and the event chain holds', async () => {
    const a = await alertOf('E1', 'GT-101', 'resolved');
    const city = officers['o-city']!.api;
    expect(await city.request('POST', `/api/v1/alerts/${a.id}/acknowledge`, {})).toMatchObject({
      status: 409,
      body: { error: { transition: 'INVALID_TRANSITION' } },
    });
    const r = await city.request<{ alert: AlertSummary }>('POST', `/api/v1/alerts/${a.id}/dispose`, { text: '泄漏已自行消除，现场核查无异常' });
    expect(r.status).toBe(200);
    expect(r.body.alert).toMatchObject({ state: 'disposed', disposedBy: 'user:o-city' });
    expect((await eventRows(a.id)).at(-1)).toMatchObject({ type: 'disposed', actor: 'user:o-city' });
    expect(await platform.alerts.verifyChain()).toMatchObject({ ok: true });
  });
});

describe('live stream', () => {
  it('streams a new alert to its county and the city, resumes after Last-Event-ID, and never shows it to another county', async () => {
    const k1 = await openStream(officers['o-k1']!);
    const k2 = await openStream(officers['o-k2']!);
    const city = await openStream(officers['o-city']!);
    const streams = [k1, k2, city];
    try {
      expect(k1.res.headers['cache-control']).toBe('no-store');
      // raised after the streams opened
      await gas('E1', 'GT-102', Date.now() - MIN, [24, 26, 27]);
      const isFired = (ent: string) => (f: SseFrame) =>
        f.event === 'fired' && streamData(f).alert.enterpriseId === ent && streamData(f).alert.subject === 'GT-102';
      const k1Frames = await k1.until(isFired('E1'));
      const f1 = k1Frames.at(-1)!;
      const e1Fired = streamData(f1);
      expect(f1.id).toBe(String(e1Fired.event.seq));
      expect(e1Fired.alert).toMatchObject({ enterpriseId: 'E1', ruleId: 'gas.combustible', state: 'firing', severity: 'orange' });
      expect(e1Fired.alert).not.toHaveProperty('evidence');
      expect(e1Fired.event).toEqual((await platform.alerts.events(e1Fired.alert.id))[0]);
      for (const f of k1Frames) expect(streamData(f).alert.enterpriseId).toBe('E1');

      // a later event in the other county reaches its officer first: the E1 alert, earlier, never came to it
      await gas('E2', 'GT-102', Date.now() - MIN, [24, 26, 27]);
      const k2First = await k2.next();
      expect(k2First.event).toBe('fired');
      expect(streamData(k2First).alert).toMatchObject({ enterpriseId: 'E2', subject: 'GT-102' });
      expect(Number(k2First.id)).toBeGreaterThan(Number(f1.id));
      // the city has both, in seq order
      const cityFrames = await city.until(isFired('E2'));
      expect(cityFrames.map((f) => f.id)).toContain(f1.id);
      const citySeqs = cityFrames.map((f) => Number(f.id));
      expect(citySeqs).toEqual([...citySeqs].sort((a, b) => a - b));

      // k1 drops; the alert is acknowledged meanwhile; k1 comes back with Last-Event-ID
      k1.close();
      await officers['o-k1']!.api.ok('POST', `/api/v1/alerts/${e1Fired.alert.id}/acknowledge`, {});
      const ackSeq = (await eventRows(e1Fired.alert.id)).at(-1)!.seq;
      const resumed = await openStream(officers['o-k1']!, { 'last-event-id': f1.id! });
      streams.push(resumed);
      const again = await resumed.until((f) => Number(f.id) === ackSeq);
      const { rows } = await platform.db.query<{ seq: string }>(
        "SELECT seq FROM alert_events WHERE seq > $1 AND seq <= $2 AND enterprise_id = 'E1' AND to_state <> 'pending' AND type <> 'discarded' ORDER BY seq",
        [Number(f1.id), ackSeq],
      );
      expect(again.map((f) => Number(f.id))).toEqual(rows.map((r) => Number(r.seq)));
      expect(again.at(-1)).toMatchObject({ event: 'acknowledged' });
      expect(streamData(again.at(-1)!)).toMatchObject({ event: { actor: 'user:o-k1' }, alert: { id: e1Fired.alert.id, state: 'acknowledged' } });

      // k2 still has had nothing of E1: its next frame is the next E2 event
      await officers['o-k2']!.api.ok('POST', `/api/v1/alerts/${streamData(k2First).alert.id}/acknowledge`, {});
      const k2Next = await k2.next();
      expect(streamData(k2Next)).toMatchObject({ event: { type: 'acknowledged', enterpriseId: 'E2', actor: 'user:o-k2' } });
      expect(k2.frames.every((f) => streamData(f).alert.enterpriseId === 'E2')).toBe(true);
    } finally {
      for (const s of streams) s.close();
    }
  });

  it('starts after ?since= (the lastEventSeq of a list read before) and sends only later events', async () => {
    const page = await officers['o-k2']!.api.ok<ListPage>('GET', '/api/v1/alerts?limit=1');
    const fromList = await openStream(officers['o-k2']!);
    try {
      // opened without a position: it starts at the newest event, so its first frame is this acknowledgement
      const a = await alertOf('E2', 'GT-101', 'firing');
      await officers['o-k2']!.api.ok('POST', `/api/v1/alerts/${a.id}/acknowledge`, {});
      const f = await fromList.next();
      expect(streamData(f)).toMatchObject({ event: { type: 'acknowledged', alertId: a.id } });
      expect(Number(f.id)).toBeGreaterThan(page.lastEventSeq);
    } finally {
      fromList.close();
    }
    const replay = await SseClient.open(`${base()}/api/v1/alerts/stream?since=${page.lastEventSeq}`, { authorization: `Bearer ${officers['o-k2']!.token}` });
    try {
      expect(streamData(await replay.next())).toMatchObject({ event: { type: 'acknowledged', enterpriseId: 'E2' } });
    } finally {
      replay.close();
    }
  });

  it("starts a stream asked to resume past the newest event (another database's id) from the newest, so the next events still come", async () => {
    const { lastEventSeq } = await admin.ok<ListPage>('GET', '/api/v1/alerts?limit=1');
    const ahead = await openStream(officers['o-city']!, { 'last-event-id': String(lastEventSeq + 1000) });
    try {
      await gas('E3', 'GT-101', Date.now() - MIN, [5]); // the E3 leak clears: a 'resolved' event
      const f = await ahead.next();
      expect(Number(f.id)).toBe(lastEventSeq + 1);
      expect(streamData(f)).toMatchObject({ event: { type: 'resolved', enterpriseId: 'E3' } });
    } finally {
      ahead.close();
    }
  });

  it('refuses a bad Last-Event-ID or query 400, and no token 401', async () => {
    const auth = `Bearer ${officers['o-k1']!.token}`;
    await expect(SseClient.open(`${base()}/api/v1/alerts/stream`, { authorization: auth, 'last-event-id': 'abc' })).rejects.toThrow(
      /HTTP 400: .*Last-Event-ID header/,
    );
    await expect(SseClient.open(`${base()}/api/v1/alerts/stream?since=-1`, { authorization: auth })).rejects.toThrow(/HTTP 400: .*since/);
    await expect(SseClient.open(`${base()}/api/v1/alerts/stream?foo=1`, { authorization: auth })).rejects.toThrow(/HTTP 400/);
    await expect(SseClient.open(`${base()}/api/v1/alerts/stream`)).rejects.toThrow(/HTTP 401/);
    // HEAD gets an answer, not a stream that never sends its headers
    const head = await fetch(`${base()}/api/v1/alerts/stream`, { method: 'HEAD', headers: { authorization: auth }, signal: AbortSignal.timeout(5000) });
    expect(head.status).toBe(404);
  });
});

describe('live stream without announcements (a second API on the same database, heartbeat 100 ms, no Redis wake-up)', () => {
  it('delivers events at its heartbeat poll, closes the stream of an officer disabled meanwhile, and ends open streams when it stops', async () => {
    const api = buildApi(
      { adminToken: platform.adminToken },
      {
        db: platform.db,
        influx: platform.influx,
        provisioning: new Provisioning(platform.db, systemClock),
        metrics: createMetrics(),
        logger: platform.logger,
        clock: systemClock,
        alerts: { db: platform.db, heartbeatMs: 100 },
      },
    );
    await api.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.server.address() as AddressInfo;
    const open = (o: Officer) => SseClient.open(`http://127.0.0.1:${port}/api/v1/alerts/stream`, { authorization: `Bearer ${o.token}` });
    const left = await open(officers['o-city']!);
    try {
      const night = await createOfficer('o-k1-night', 'K1');
      const s = await open(night);
      try {
        await gas('E1', 'GT-102', Date.now() - MIN / 2, [5]); // the E1 GT-102 leak clears
        expect(streamData(await s.next())).toMatchObject({ event: { type: 'resolved', enterpriseId: 'E1' }, alert: { subject: 'GT-102' } });
        await admin.ok('POST', '/api/v1/officers/o-k1-night/disable');
        await s.closedByServer();
        expect(s.frames).toHaveLength(1);
      } finally {
        s.close();
      }
      // closing the server ends the streams still open instead of waiting for their clients
      await api.close();
      await left.closedByServer();
    } finally {
      left.close();
      await api.close();
    }
  });
});
