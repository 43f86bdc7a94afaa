/**
 * Console sign-in (issue #5 §1) on a real (in-memory) PGlite ledger through
 * `app.inject`: the admin signs in with the admin token, officers with their
 * passwords (stored only as scrypt hashes); the session is an HttpOnly,
 * SameSite=Strict cookie that changes things only from the console's own
 * origin; sessions end at sign-out, at their expiry, after idling, when the
 * password changes or the officer is disabled; failed sign-ins are limited
 * per user and address together and per address, logged and counted (in
 * this process here; shared through Redis: sign-in-limits.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenHash } from '../../../api/auth.ts';
import { buildApi } from '../../../api/server.ts';
import { openDb, type Db } from '../../../core/db/db.ts';
import type { InfluxClient } from '../../../core/influx/client.ts';
import { createLogger } from '../../../core/logger.ts';
import { createMetrics, type Metrics } from '../../../core/metrics.ts';
import { Provisioning } from '../../../ledger/provisioning.ts';
import { systemClock } from '../../../core/clock.ts';
import { TEST_ADMIN_TOKEN } from '../../../testkit/tokens.ts';

const ADMIN = TEST_ADMIN_TOKEN;
const PASSWORD = 'correct horse battery';
let db: Db;
let app: ReturnType<typeof buildApi>;
let metrics: Metrics;
const ORIGIN = { origin: 'http://console.test', host: 'console.test' };

type Res = { status: number; body: Record<string, unknown>; cookie: string | undefined; headers: Record<string, unknown> };

async function req(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  opts: { body?: unknown; cookie?: string; headers?: Record<string, string>; ip?: string } = {},
): Promise<Res> {
  const r = await app.inject({
    method,
    url,
    remoteAddress: opts.ip ?? '10.0.0.1',
    headers: { host: 'console.test', ...(opts.cookie ? { cookie: opts.cookie } : {}), ...opts.headers },
    ...(opts.body === undefined ? {} : { payload: opts.body as object }),
  });
  const set = r.headers['set-cookie'];
  return {
    status: r.statusCode,
    body: r.body ? r.json<Record<string, unknown>>() : {},
    cookie: typeof set === 'string' ? set : undefined,
    headers: r.headers,
  };
}

const signIn = async (username: string, password: string, ip?: string) => {
  const r = await req('POST', '/api/v1/session', { body: { username, password }, ...(ip ? { ip } : {}) });
  return { ...r, session: r.cookie?.split(';')[0] };
};

const logins = async (outcome: string) => (await metrics.logins.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;

beforeAll(async () => {
  const logger = createLogger({ level: 'silent' });
  db = await openDb({ pgliteDir: 'memory://', logger });
  metrics = createMetrics({ defaultMetrics: false });
  app = buildApi({ adminToken: ADMIN }, { db, influx: {} as InfluxClient, provisioning: new Provisioning(db, systemClock), metrics, logger, clock: Date });
  const p = new Provisioning(db, systemClock);
  await p.createAuthority({ id: 'K1', name: '甲县局', level: 'county' });
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('signing in', () => {
  it('lets the admin sign in with the admin token and create an officer with a password, from the console’s origin only', async () => {
    const admin = await signIn('admin', ADMIN);
    expect(admin.status).toBe(200);
    expect(admin.cookie).toMatch(/^nss_session=[A-Za-z0-9_-]{43}; /);
    // exactly these attributes, in whatever order they are written (no Secure over plain HTTP)
    expect(admin.cookie!.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=43200', 'Path=/', 'SameSite=Strict']);
    expect(admin.body).toMatchObject({ user: { id: 'admin', role: 'admin' }, expiresAt: expect.any(Number) as unknown });
    expect(admin.headers['cache-control']).toBe('no-store');

    const me = await req('GET', '/api/v1/session', { cookie: admin.session! });
    expect(me.body).toMatchObject({ user: { id: 'admin', role: 'admin', permissions: expect.arrayContaining(['ledger.write', 'audit.read']) as unknown } });

    const officer = { id: 'duty-1', name: '值班员甲', authorityId: 'K1', password: PASSWORD };
    // a change through the cookie without (or from another) Origin is refused
    expect((await req('POST', '/api/v1/officers', { cookie: admin.session!, body: officer })).status).toBe(403);
    expect((await req('POST', '/api/v1/officers', { cookie: admin.session!, body: officer, headers: { origin: 'http://evil.test' } })).status).toBe(403);
    const created = await req('POST', '/api/v1/officers', { cookie: admin.session!, body: officer, headers: ORIGIN });
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('password');
    const { rows } = await db.query<{ password_hash: string }>("SELECT password_hash FROM officers WHERE id = 'duty-1'");
    expect(rows[0]!.password_hash).toMatch(/^scrypt\$/);
    expect(rows[0]!.password_hash).not.toContain(PASSWORD);
  });

  it('answers who is signed in, or nobody (200 either way: the console asks before it knows)', async () => {
    expect(await req('GET', '/api/v1/session')).toMatchObject({ status: 200, body: { user: null } });
    expect(await req('GET', '/api/v1/session', { cookie: 'nss_session=forged' })).toMatchObject({ status: 200, body: { user: null } });
  });

  it('signs an officer in with their role’s permissions, scoped to their authority', async () => {
    const r = await signIn('duty-1', PASSWORD);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ user: { id: 'duty-1', name: '值班员甲', role: 'duty_officer', authorityId: 'K1' } });
    const perms = (r.body.user as { permissions: string[] }).permissions;
    expect(perms).toContain('alerts.act');
    expect(perms).not.toContain('ledger.write');
    // the session works as a bearer token too, and for reads without an Origin
    expect((await req('GET', '/api/v1/tasks', { cookie: r.session! })).status).toBe(200);
    expect((await req('GET', '/api/v1/gateways', { cookie: r.session! })).status).toBe(403);
  });

  it('refuses a wrong password or an unknown user alike, and an officer without a password', async () => {
    const before = await logins('bad_credentials');
    for (const [u, p] of [
      ['duty-1', 'wrong password!'],
      ['nobody', PASSWORD],
      ['admin', 'not-the-token'],
    ]) {
      const r = await signIn(u!, p!, '10.9.9.9');
      expect(r.status, u).toBe(401);
      expect(r.body).toEqual({
        error: { code: 'UNAUTHENTICATED', message: 'wrong username or password', reason: { zh: '用户名或密码错误', en: 'wrong username or password' } },
      });
      expect(r.cookie).toBeUndefined();
    }
    expect(await logins('bad_credentials')).toBe(before + 3);
    const admin = await signIn('admin', ADMIN);
    await req('POST', '/api/v1/officers', { cookie: admin.session!, body: { id: 'api-only', name: '接口', authorityId: 'K1' }, headers: ORIGIN });
    expect((await signIn('api-only', 'anything at all', '10.9.9.8')).status).toBe(401);
  });

  it('validates the sign-in body and the password policy', async () => {
    expect((await req('POST', '/api/v1/session', { body: { username: 'x' } })).status).toBe(400);
    const admin = await signIn('admin', ADMIN);
    const short = await req('POST', '/api/v1/officers', {
      cookie: admin.session!,
      body: { id: 'o-short', name: 'x', authorityId: 'K1', password: 'short' },
      headers: ORIGIN,
    });
    expect(short).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST', message: expect.stringContaining('password') as unknown } } });
  });
});

describe('rate limit', () => {
  it('locks a user after 5 failures from one address, there only: a guesser elsewhere cannot lock them out (#15 item 7)', async () => {
    const admin = await signIn('admin', ADMIN);
    await req('POST', '/api/v1/officers', {
      cookie: admin.session!,
      body: { id: 'insp-9', name: '执法', authorityId: 'K1', role: 'inspector', password: PASSWORD },
      headers: ORIGIN,
    });
    for (let i = 0; i < 5; i++) expect((await signIn('insp-9', `wrong-${i}-password`, '10.1.0.1')).status).toBe(401);
    const locked = await signIn('insp-9', PASSWORD, '10.1.0.1');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    expect(locked.body).toMatchObject({
      error: { code: 'TOO_MANY_REQUESTS', lock: 'user_address', retryAfterS: expect.any(Number) as unknown, reason: { zh: expect.any(String) as unknown } },
    });
    expect(await logins('rate_limited')).toBeGreaterThanOrEqual(1);
    // the same user from another address, and another user from the locked address, sign in
    expect((await signIn('insp-9', PASSWORD, '10.1.0.2')).status).toBe(200);
    expect((await signIn('duty-1', PASSWORD, '10.1.0.1')).status).toBe(200);
  });

  it('spreads no lock from failures over many addresses (5 per address locks nothing elsewhere)', async () => {
    for (let i = 0; i < 5; i++) expect((await signIn('insp-9', `wrong-${i}-password`, `10.3.0.${i}`)).status).toBe(401);
    expect((await signIn('insp-9', PASSWORD, '10.3.0.99')).status).toBe(200);
  });

  it('locks an address after 20 failures, whatever the usernames', async () => {
    for (let i = 0; i < 20; i++) await signIn(`guess-${i}`, 'some password', '10.2.0.1');
    expect((await signIn('duty-1', PASSWORD, '10.2.0.1')).status).toBe(429);
    expect((await signIn('duty-1', PASSWORD, '10.2.0.2')).status).toBe(200);
  });
});

describe('sessions end', () => {
  it('at sign-out: the cookie is cleared and the session refused', async () => {
    const s = await signIn('duty-1', PASSWORD);
    const out = await req('DELETE', '/api/v1/session', { cookie: s.session!, headers: ORIGIN });
    expect(out.status).toBe(204);
    expect(out.cookie).toMatch(/^nss_session=; .*Max-Age=0/);
    expect((await req('GET', '/api/v1/session', { cookie: s.session! })).body.user).toBeNull();
  });

  it('at expiry, and after idling', async () => {
    const a = await signIn('duty-1', PASSWORD);
    const b = await signIn('duty-1', PASSWORD);
    expect((await req('GET', '/api/v1/session', { cookie: a.session! })).body.user).toMatchObject({ id: 'duty-1' });
    // the session rows, moved as time would move them: one past its expiry, one idle for 3 hours
    const hashOf = (cookie: string) => tokenHash(cookie.slice('nss_session='.length));
    await db.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1", [hashOf(a.session!)]);
    await db.query("UPDATE sessions SET last_seen_at = now() - interval '3 hours' WHERE token_hash = $1", [hashOf(b.session!)]);
    expect((await req('GET', '/api/v1/session', { cookie: a.session! })).body.user).toBeNull();
    expect((await req('GET', '/api/v1/session', { cookie: b.session! })).body.user).toBeNull();
  });

  it('not while in use: a request within the idle limit renews it', async () => {
    const a = await signIn('duty-1', PASSWORD);
    const hash = tokenHash(a.session!.slice('nss_session='.length));
    await db.query("UPDATE sessions SET last_seen_at = now() - interval '90 minutes' WHERE token_hash = $1", [hash]);
    expect((await req('GET', '/api/v1/session', { cookie: a.session! })).body.user).toMatchObject({ id: 'duty-1' });
    const { rows } = await db.query<{ idle_s: number }>(
      'SELECT extract(epoch FROM now() - last_seen_at)::float AS idle_s FROM sessions WHERE token_hash = $1',
      [hash],
    );
    expect(rows[0]!.idle_s).toBeLessThan(60);
  });

  it('when the password changes (the new one works, the old does not), and when the officer is disabled', async () => {
    const s = await signIn('duty-1', PASSWORD);
    const other = await signIn('duty-1', PASSWORD);
    expect(
      (await req('POST', '/api/v1/session/password', { cookie: s.session!, body: { current: 'not it at all', next: 'another good one' }, headers: ORIGIN }))
        .status,
    ).toBe(403);
    expect(
      (await req('POST', '/api/v1/session/password', { cookie: s.session!, body: { current: PASSWORD, next: 'another good one' }, headers: ORIGIN })).status,
    ).toBe(204);
    expect((await req('GET', '/api/v1/session', { cookie: other.session! })).body.user).toBeNull();
    expect((await signIn('duty-1', PASSWORD)).status).toBe(401);
    const fresh = await signIn('duty-1', 'another good one');
    expect(fresh.status).toBe(200);
    const admin = await signIn('admin', ADMIN);
    expect((await req('POST', '/api/v1/officers/duty-1/disable', { cookie: admin.session!, headers: ORIGIN })).status).toBe(204);
    expect((await req('GET', '/api/v1/session', { cookie: fresh.session! })).body.user).toBeNull();
    expect((await signIn('duty-1', 'another good one')).status).toBe(401);
  });

  it('records password changes on the audit trail, never the password', async () => {
    const { rows } = await db.query<{ action: string; data: unknown }>(
      "SELECT action, data FROM audit_log WHERE subject_type = 'officer' AND subject_id = 'duty-1' ORDER BY seq",
    );
    expect(rows.map((r) => r.action)).toEqual(['officer.created', 'officer.password_set', 'officer.disabled']);
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
  });
});
