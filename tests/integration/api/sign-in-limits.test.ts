/**
 * Sign-in limits on a real Redis (issue #15 item 7), with two API instances
 * on one ledger and one Redis, as two API processes of a deployment: failed
 * sign-ins and wrong current passwords are counted per user and address
 * together and per address, the counts are shared, a guess from one address
 * never locks the user out from another, and the admin can unlock.
 */
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server.ts';
import { DEFAULT_SIGN_IN_LIMITS } from '../../../api/sign-in-limits.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import type { InfluxClient } from '../../../core/influx/client.ts';
import { createLogger } from '../../../core/logger.ts';
import { createMetrics } from '../../../core/metrics.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { systemClock } from '../../../core/clock.ts';
import type { ServiceHandle } from '../../../platform/local-services.ts';
import { startTestRedis } from '../../../testkit/services.ts';

const ADMIN = 'sign-in-limits-admin-token-0123';
const PASSWORD = 'correct horse battery';
const PREFIX = `t-${randomUUID().slice(0, 8)}:`;
const { perUserAddress, perAddress } = DEFAULT_SIGN_IN_LIMITS;

let dir: string;
let redisSvc: ServiceHandle;
let db: Db;
const clients: Redis[] = [];
/** Two API processes sharing the ledger and Redis. */
let apis: [ReturnType<typeof buildApi>, ReturnType<typeof buildApi>];

type Res = { status: number; body: Record<string, unknown>; headers: Record<string, unknown>; session: string | undefined };

async function call(api: 0 | 1, method: 'GET' | 'POST', url: string, opts: { body?: unknown; ip: string; token?: string }): Promise<Res> {
  const r = await apis[api].inject({
    method,
    url,
    remoteAddress: opts.ip,
    headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
    ...(opts.body === undefined ? {} : { payload: opts.body as object }),
  });
  const cookie = r.headers['set-cookie'];
  return {
    status: r.statusCode,
    body: r.body ? r.json<Record<string, unknown>>() : {},
    headers: r.headers,
    session: typeof cookie === 'string' ? /^nss_session=([^;]+)/.exec(cookie)?.[1] : undefined,
  };
}
const signIn = (api: 0 | 1, username: string, password: string, ip: string) => call(api, 'POST', '/api/v1/session', { body: { username, password }, ip });
const unlock = (id: string, token = ADMIN) => call(0, 'POST', `/api/v1/officers/${id}/unlock`, { ip: '10.200.0.1', token });
const createOfficer = (id: string) =>
  call(0, 'POST', '/api/v1/officers', { ip: '10.200.0.1', token: ADMIN, body: { id, name: id, authorityId: 'K1', role: 'inspector', password: PASSWORD } });
const redisKeys = async (): Promise<string[]> => clients[0]!.keys(`${PREFIX}*`);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nss-sign-in-'));
  const logger = createLogger({ level: 'silent' });
  [redisSvc, db] = await Promise.all([startTestRedis(join(dir, 'redis')), openDb({ pgliteDir: 'memory://', logger })]);
  // as platform.ts connects them: no offline queue
  for (let i = 0; i < 2; i++) clients.push(new Redis(redisSvc.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }));
  await Promise.all(clients.map((c) => once(c, 'ready')));
  for (const c of clients) c.on('error', () => undefined); // refused reconnections once the last test has stopped Redis
  const build = (client: Redis) =>
    buildApi(
      { adminToken: ADMIN },
      {
        db,
        influx: {} as InfluxClient,
        provisioning: new Provisioning(db, systemClock),
        metrics: createMetrics({ defaultMetrics: false }),
        logger,
        clock: Date,
        redis: { client, prefix: PREFIX },
      },
    );
  apis = [build(clients[0]!), build(clients[1]!)];
  await new Provisioning(db, systemClock).createAuthority({ id: 'K1', name: '甲县局', level: 'county' });
  for (const id of ['insp-a', 'insp-b', 'insp-c', 'insp-d', 'insp-e']) expect((await createOfficer(id)).status).toBe(201);
});

afterAll(async () => {
  for (const a of apis ?? []) await a.close();
  for (const c of clients) c.disconnect();
  await db?.close();
  await redisSvc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sign-in limits shared through Redis', () => {
  it('locks a user from the address of the failures only, in every API process (a guesser cannot lock others out)', async () => {
    for (let i = 0; i < perUserAddress; i++) expect((await signIn((i % 2) as 0 | 1, 'insp-a', `wrong password ${i}`, '10.1.0.1')).status).toBe(401);
    for (const api of [0, 1] as const) {
      const locked = await signIn(api, 'insp-a', PASSWORD, '10.1.0.1');
      expect(locked.status, `api ${api}`).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(DEFAULT_SIGN_IN_LIMITS.lockS - 60);
      expect(locked.body).toMatchObject({ error: { code: 'TOO_MANY_REQUESTS', lock: 'user_address', reason: { zh: expect.any(String) as unknown } } });
    }
    expect((await signIn(1, 'insp-a', PASSWORD, '10.1.0.2')).status).toBe(200);
    // the counts are in Redis, under the platform's prefix
    expect((await redisKeys()).some((k) => k.startsWith(`${PREFIX}sign-in:user-address:`))).toBe(true);
  });

  it('adds up the failures the two API processes saw (4 on one, 1 on the other lock the pair)', async () => {
    for (let i = 0; i < perUserAddress - 1; i++) expect((await signIn(0, 'insp-b', `wrong password ${i}`, '10.1.1.1')).status).toBe(401);
    expect((await signIn(0, 'insp-b', PASSWORD, '10.1.1.1')).status).toBe(200); // a success starts the pair's count again
    for (let i = 0; i < perUserAddress - 1; i++) expect((await signIn(0, 'insp-b', `wrong password ${i}`, '10.1.1.1')).status).toBe(401);
    expect((await signIn(1, 'insp-b', 'wrong password again', '10.1.1.1')).status).toBe(401);
    expect((await signIn(0, 'insp-b', PASSWORD, '10.1.1.1')).status).toBe(429);
  });

  it('locks an address after 20 failures over both processes, whatever the usernames; other addresses sign in', async () => {
    for (let i = 0; i < perAddress; i++) expect((await signIn((i % 2) as 0 | 1, `guess-${i}`, 'some password', '10.2.0.1')).status).toBe(401);
    const locked = await signIn(1, 'insp-c', PASSWORD, '10.2.0.1');
    expect(locked).toMatchObject({ status: 429, body: { error: { code: 'TOO_MANY_REQUESTS', lock: 'address' } } });
    expect((await signIn(0, 'insp-c', PASSWORD, '10.2.0.2')).status).toBe(200);
  });

  it('lets the admin unlock a user from every address, audited; not an officer, not an unknown id', async () => {
    for (const ip of ['10.3.0.1', '10.3.0.2']) for (let i = 0; i < perUserAddress; i++) await signIn(0, 'insp-d', `wrong password ${i}`, ip);
    expect((await signIn(1, 'insp-d', PASSWORD, '10.3.0.1')).status).toBe(429);

    const officer = await signIn(0, 'insp-e', PASSWORD, '10.3.0.9');
    expect((await unlock('insp-d', officer.session)).status).toBe(403);
    expect((await unlock('nobody-here')).status).toBe(404);
    const r = await unlock('insp-d');
    expect(r).toMatchObject({ status: 200, body: { id: 'insp-d', addresses: 2 } });
    for (const ip of ['10.3.0.1', '10.3.0.2']) expect((await signIn(1, 'insp-d', PASSWORD, ip)).status, ip).toBe(200);
    // unlocking one user leaves another's lock alone
    expect((await signIn(0, 'insp-a', PASSWORD, '10.1.0.1')).status).toBe(429);

    const { rows } = await db.query<{ actor: string; data: unknown }>(
      "SELECT actor, data FROM audit_log WHERE action = 'officer.unlocked' AND subject_type = 'officer' AND subject_id = 'insp-d'",
    );
    expect(rows).toEqual([{ actor: 'user:admin', data: { addresses: 2 } }]);
  });

  it('counts wrong current passwords at a password change like failed sign-ins (the same pair)', async () => {
    const s = await signIn(0, 'insp-e', PASSWORD, '10.4.0.1');
    const change = (api: 0 | 1, current: string, ip = '10.4.0.1') =>
      call(api, 'POST', '/api/v1/session/password', { ip, token: s.session!, body: { current, next: 'another good password' } });
    for (let i = 0; i < perUserAddress; i++) expect((await change((i % 2) as 0 | 1, `not my password ${i}`)).status).toBe(403);
    const locked = await change(0, PASSWORD);
    expect(locked).toMatchObject({ status: 429, body: { error: { code: 'TOO_MANY_REQUESTS', lock: 'user_address' } } });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await signIn(1, 'insp-e', PASSWORD, '10.4.0.1')).status).toBe(429);
    // from another address the right current password still changes it
    expect((await change(1, PASSWORD, '10.4.0.2')).status).toBe(204);
  });

  it('lets a burst of simultaneous guesses no further than the limit, and counts the refused ones against nothing', async () => {
    const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => signIn((i % 2) as 0 | 1, 'insp-c', `wrong password ${i}`, '10.6.0.1')));
    const statuses = burst.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(perUserAddress);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30 - perUserAddress);
    // the 25 refused attempts did not bring the address to its limit of 20: another user signs in from it
    expect((await signIn(1, 'insp-e', 'another good password', '10.6.0.1')).status).toBe(200);
  });

  // last: it stops Redis
  it('keeps signing in while Redis is away, counting in each process’s memory meanwhile', async () => {
    const closed = clients.map((c) => once(c, 'close'));
    await redisSvc.stop();
    await Promise.all(closed);
    expect((await signIn(0, 'insp-c', PASSWORD, '10.5.0.1')).status).toBe(200);
    for (let i = 0; i < perUserAddress; i++) expect((await signIn(0, 'insp-c', `wrong password ${i}`, '10.5.0.1')).status).toBe(401);
    expect((await signIn(0, 'insp-c', PASSWORD, '10.5.0.1')).status).toBe(429);
    // the other process counted none of them
    expect((await signIn(1, 'insp-c', PASSWORD, '10.5.0.1')).status).toBe(200);
  });
});
