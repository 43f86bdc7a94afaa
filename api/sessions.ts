/**
 * Console sign-in (issue #5 §1): sessions that expire, passwords hashed
 * (scrypt), sign-in rate-limited.
 *
 *   POST   /api/v1/session             { username, password } → the user; sets the HttpOnly session cookie
 *   GET    /api/v1/session             the signed-in user with their role's permissions, or `user: null`
 *   DELETE /api/v1/session             signs out (the session ends at once)
 *   POST   /api/v1/session/password    { current, next }: one's own password (other sessions end)
 *   POST   /api/v1/officers/:id/password { password }: the admin sets an officer's password
 *
 * The admin signs in as `admin` with the admin token as password (the first
 * sign-in of a new installation), then creates officers with passwords.
 * After 5 failed attempts for one username, or 20 from one address, within
 * 15 minutes, sign-in answers 429 with `Retry-After` until the window has
 * passed; every failure is logged and counted (`nss_api_logins_total`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import { AppError } from '../core/errors.ts';
import type { Metrics } from '../core/metrics.ts';
import { ADMIN_ID, SESSION_COOKIE, type Authenticator, type OfficerIdentity, type Principal } from './auth.ts';
import { passwordSchema, type Officers } from './officers.ts';
import { parse } from './parse.ts';
import { PERMISSIONS, can, type Permission } from './roles.ts';

export interface LimiterPolicy {
  windowMs: number;
  perUser: number;
  perAddress: number;
}
export const DEFAULT_LIMITER: LimiterPolicy = { windowMs: 15 * 60_000, perUser: 5, perAddress: 20 };

/** Failed sign-ins per username and per address in a sliding window (this process). */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly policy: LimiterPolicy = DEFAULT_LIMITER,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(key: string): number[] {
    const since = this.now() - this.policy.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  /** Milliseconds until another attempt is allowed (0: allowed now). */
  retryAfterMs(username: string, ip: string): number {
    const wait = (list: number[], max: number) => (list.length >= max ? list[list.length - max]! + this.policy.windowMs - this.now() : 0);
    return Math.max(0, wait(this.recent(`u:${username}`), this.policy.perUser), wait(this.recent(`a:${ip}`), this.policy.perAddress));
  }

  failed(username: string, ip: string): void {
    for (const key of [`u:${username}`, `a:${ip}`]) this.failures.set(key, [...this.recent(key), this.now()]);
  }

  succeeded(username: string): void {
    this.failures.delete(`u:${username}`);
  }
}

/** A sign-in or password-change body: a name and passwords of at most 200 characters fit well within 4 KiB (the platform's default). */
export const CREDENTIALS_BODY_LIMIT = 4 * 1024;

export const loginBody = z.strictObject({ username: z.string().trim().min(1).max(100), password: z.string().min(1).max(200) });
export const changeBody = z.strictObject({ current: z.string().min(1).max(200), next: passwordSchema });

const userOf = (who: Principal | (OfficerIdentity & { kind?: undefined })) => ({
  id: who.id,
  name: who.name,
  role: who.role,
  authorityId: 'authorityId' in who ? who.authorityId : null,
  permissions: (Object.keys(PERMISSIONS) as Permission[]).filter((p) => can(who.role, p)),
});

function setCookie(req: FastifyRequest, reply: FastifyReply, value: string, maxAgeS: number): void {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  reply.header('set-cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`);
}

export function registerSessionRoutes(
  app: FastifyInstance,
  deps: { auth: Authenticator; officers: Officers; metrics?: Pick<Metrics, 'logins'> | undefined; limiter?: LoginLimiter | undefined },
): void {
  const { auth, officers } = deps;
  const limiter = deps.limiter ?? new LoginLimiter();

  app.post('/api/v1/session', { bodyLimit: CREDENTIALS_BODY_LIMIT }, async (req, reply) => {
    const { username, password } = parse(loginBody, req.body, 'body');
    const wait = limiter.retryAfterMs(username, req.ip);
    if (wait > 0) {
      deps.metrics?.logins.inc({ outcome: 'rate_limited' });
      req.log.warn({ username, ip: req.ip, retryAfterMs: wait }, 'sign-in refused: too many failed attempts');
      reply.header('retry-after', Math.ceil(wait / 1000));
      throw new AppError('TOO_MANY_REQUESTS', 'too many failed sign-in attempts; try again later', {
        expose: {
          retryAfterS: Math.ceil(wait / 1000),
          reason: { zh: '登录失败次数过多，请稍后再试', en: 'too many failed sign-in attempts; try again later' },
        },
      });
    }
    const user: OfficerIdentity | undefined =
      username === ADMIN_ID
        ? auth.isAdminToken(password)
          ? { id: ADMIN_ID, name: ADMIN_ID, role: 'admin', authorityId: '' }
          : undefined
        : await officers.checkPassword(username, password);
    if (!user) {
      limiter.failed(username, req.ip);
      deps.metrics?.logins.inc({ outcome: 'bad_credentials' });
      req.log.warn({ username, ip: req.ip }, 'sign-in refused: wrong username or password');
      throw new AppError('UNAUTHENTICATED', 'wrong username or password', { expose: { reason: { zh: '用户名或密码错误', en: 'wrong username or password' } } });
    }
    limiter.succeeded(username);
    const session = await officers.createSession(user.id === ADMIN_ID ? null : user.id, req.ip);
    setCookie(req, reply, session.token, Math.floor(officers.sessionPolicy.ttlMs / 1000));
    deps.metrics?.logins.inc({ outcome: 'ok' });
    req.log.info({ userId: user.id, role: user.role, ip: req.ip }, 'signed in');
    return reply.header('cache-control', 'no-store').send({ user: userOf(user), expiresAt: session.expiresAt });
  });

  // 200 either way: the console asks before it knows, and a 401 would be logged as an error by the browser
  app.get('/api/v1/session', async (req, reply) => {
    const who = await auth.authenticate(req).catch(() => undefined);
    return reply.header('cache-control', 'no-store').send({ user: who ? userOf(who) : null });
  });

  app.delete('/api/v1/session', async (req, reply) => {
    const who = await auth.authenticate(req);
    if (who.session) await officers.revokeSession(who.session);
    setCookie(req, reply, '', 0);
    req.log.info({ userId: who.id }, 'signed out');
    return reply.status(204).send();
  });

  app.post('/api/v1/session/password', { bodyLimit: CREDENTIALS_BODY_LIMIT }, async (req, reply) => {
    const who = await auth.authenticate(req);
    const { current, next } = parse(changeBody, req.body, 'body');
    if (who.id === ADMIN_ID) throw new AppError('BAD_REQUEST', 'the admin signs in with the admin token; change ADMIN_TOKEN instead');
    if (!(await officers.checkPassword(who.id, current))) {
      limiter.failed(who.id, req.ip);
      throw new AppError('FORBIDDEN', 'the current password is wrong', { expose: { reason: { zh: '当前密码错误', en: 'the current password is wrong' } } });
    }
    await officers.setPassword(who.id, next, who.actor);
    req.log.info({ userId: who.id }, 'password changed');
    return reply.status(204).send();
  });

  app.post('/api/v1/officers/:id/password', async (req, reply) => {
    const who = await auth.requireAdmin(req);
    const { id } = parse(z.strictObject({ id: idSchema }), req.params, 'path');
    const { password } = parse(z.strictObject({ password: passwordSchema }), req.body, 'body');
    await officers.setPassword(id, password, who.actor);
    req.log.info({ officerId: id, actor: who.actor }, 'officer password set');
    return reply.status(204).send();
  });
}
