/**
 * Console sign-in (issue #5 §1): sessions that expire, passwords hashed
 * (scrypt), sign-in rate-limited.
 *
 *   POST   /api/v1/session             { username, password } → the user; sets the HttpOnly session cookie
 *   GET    /api/v1/session             the signed-in user with their role's permissions (an enterprise user: its enterprise's id and name), or `user: null`
 *   DELETE /api/v1/session             signs out (the session ends at once)
 *   POST   /api/v1/session/password    { current, next }: one's own password (other sessions end)
 *   POST   /api/v1/officers/:id/password { password }: the admin sets an officer's password
 *   POST   /api/v1/officers/:id/unlock  the admin clears an officer's (or `admin`'s) sign-in locks → { id, addresses }
 *
 * The admin signs in as `admin` with the admin token as password (the first
 * sign-in of a new installation), then creates officers with passwords.
 * Failed sign-ins and wrong current passwords are counted per user and
 * address together, and per address (`sign-in-limits.ts`; by default 5 and
 * 20 within 15 minutes, shared by every API process through Redis): a
 * locked pair or address answers 429 with `Retry-After` and the error
 * shape; every failure is logged and counted (`nss_api_logins_total`).
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
import type { SignInAttempt, SignInLimits, SignInLock } from './sign-in-limits.ts';

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

/**
 * The user as the console shows it; an enterprise user (issue #18) with its enterprise's id and name (the console
 * then shows the enterprise's view), everyone else with `enterpriseId: null`.
 */
async function shownUser(officers: Officers, who: Principal | (OfficerIdentity & { kind?: undefined })) {
  const enterpriseId = who.kind === 'enterprise' ? who.enterpriseId : who.kind === undefined ? (who.enterpriseId ?? null) : null;
  if (enterpriseId === null) return { ...userOf(who), enterpriseId: null, enterpriseName: null };
  return { ...userOf(who), enterpriseId, enterpriseName: (await officers.enterpriseName(enterpriseId)) ?? null };
}

/**
 * The session cookie (@fastify/cookie): HttpOnly, SameSite=Strict, for the whole site, Secure when the request came over HTTPS
 * (`http.tls`, or `X-Forwarded-Proto: https` from a proxy `http.trustProxy` names: fastify's `req.protocol`).
 */
function setCookie(req: FastifyRequest, reply: FastifyReply, value: string, maxAgeS: number): void {
  reply.setCookie(SESSION_COOKIE, value, { path: '/', httpOnly: true, sameSite: 'strict', maxAge: maxAgeS, secure: req.protocol === 'https' });
}

const officerPath = z.strictObject({ id: idSchema });
const officerPasswordBody = z.strictObject({ password: passwordSchema });

export function registerSessionRoutes(
  app: FastifyInstance,
  deps: { auth: Authenticator; officers: Officers; limits: SignInLimits; metrics?: Pick<Metrics, 'logins'> | undefined },
): void {
  const { auth, officers, limits } = deps;

  /** Counts the attempt (sign-in-limits.ts); 429 while `user` is locked from this address (or the address is). */
  const attempt = async (req: FastifyRequest, reply: FastifyReply, user: string, action: 'sign-in' | 'password change'): Promise<SignInAttempt> => {
    const a = await limits.attempt(user, req.ip);
    if ('lock' in a) throw tooMany(req, reply, user, action, a.lock);
    return a;
  };
  const tooMany = (req: FastifyRequest, reply: FastifyReply, user: string, action: string, lock: SignInLock): AppError => {
    const retryAfterS = Math.ceil(lock.retryAfterMs / 1000);
    deps.metrics?.logins.inc({ outcome: 'rate_limited' });
    req.log.warn({ username: user, ip: req.ip, lock: lock.scope, retryAfterMs: lock.retryAfterMs }, `${action} refused: too many failed attempts`);
    reply.header('retry-after', retryAfterS);
    const [zh, en] =
      lock.scope === 'address'
        ? ['此地址登录失败次数过多，请稍后再试', 'too many failed attempts from this address; try again later']
        : [
            '该用户在此地址登录失败次数过多，请稍后再试或联系管理员解锁',
            'too many failed attempts for this user from this address; try again later or ask the admin to unlock',
          ];
    return new AppError('TOO_MANY_REQUESTS', en, { expose: { retryAfterS, lock: lock.scope, reason: { zh, en } } });
  };

  app.post('/api/v1/session', { bodyLimit: CREDENTIALS_BODY_LIMIT, schema: { body: loginBody } }, async (req, reply) => {
    const { username, password } = parse(loginBody, req.body, 'body');
    const tried = await attempt(req, reply, username, 'sign-in');
    const user: OfficerIdentity | undefined =
      username === ADMIN_ID
        ? auth.isAdminToken(password)
          ? { id: ADMIN_ID, name: ADMIN_ID, role: 'admin', authorityId: '' }
          : undefined
        : await officers.checkPassword(username, password);
    if (!user) {
      const lock = await tried.failed();
      if (lock) req.log.warn({ username, ip: req.ip, lock: lock.scope, lockedForMs: lock.retryAfterMs }, 'sign-in locked after repeated failures');
      deps.metrics?.logins.inc({ outcome: 'bad_credentials' });
      req.log.warn({ username, ip: req.ip }, 'sign-in refused: wrong username or password');
      throw new AppError('UNAUTHENTICATED', 'wrong username or password', { expose: { reason: { zh: '用户名或密码错误', en: 'wrong username or password' } } });
    }
    await tried.succeeded();
    const session = await officers.createSession(user.id === ADMIN_ID ? null : user.id, req.ip);
    setCookie(req, reply, session.token, Math.floor(officers.sessionPolicy.ttlMs / 1000));
    deps.metrics?.logins.inc({ outcome: 'ok' });
    req.log.info({ userId: user.id, role: user.role, ip: req.ip }, 'signed in');
    return reply.header('cache-control', 'no-store').send({ user: await shownUser(officers, user), expiresAt: session.expiresAt });
  });

  // 200 either way: the console asks before it knows, and a 401 would be logged as an error by the browser
  app.get('/api/v1/session', async (req, reply) => {
    const who = await auth.authenticate(req).catch(() => undefined);
    return reply.header('cache-control', 'no-store').send({ user: who ? await shownUser(officers, who) : null });
  });

  app.delete('/api/v1/session', async (req, reply) => {
    const who = await auth.authenticate(req);
    if (who.session) await officers.revokeSession(who.session);
    setCookie(req, reply, '', 0);
    req.log.info({ userId: who.id }, 'signed out');
    return reply.status(204).send();
  });

  app.post('/api/v1/session/password', { bodyLimit: CREDENTIALS_BODY_LIMIT, schema: { body: changeBody } }, async (req, reply) => {
    const who = await auth.authenticate(req);
    const { current, next } = parse(changeBody, req.body, 'body');
    if (who.id === ADMIN_ID) throw new AppError('BAD_REQUEST', 'the admin signs in with the admin token; change ADMIN_TOKEN instead');
    const tried = await attempt(req, reply, who.id, 'password change');
    if (!(await officers.checkPassword(who.id, current))) {
      const lock = await tried.failed();
      deps.metrics?.logins.inc({ outcome: 'bad_current_password' });
      req.log.warn({ userId: who.id, ip: req.ip, lock: lock?.scope }, 'password change refused: the current password is wrong');
      throw new AppError('FORBIDDEN', 'the current password is wrong', { expose: { reason: { zh: '当前密码错误', en: 'the current password is wrong' } } });
    }
    await tried.succeeded();
    await officers.setPassword(who.id, next, who.actor);
    req.log.info({ userId: who.id }, 'password changed');
    return reply.status(204).send();
  });

  app.post('/api/v1/officers/:id/password', { schema: { params: officerPath, body: officerPasswordBody } }, async (req, reply) => {
    const who = await auth.requireAdmin(req);
    const { id } = parse(officerPath, req.params, 'path');
    const { password } = parse(officerPasswordBody, req.body, 'body');
    await officers.setPassword(id, password, who.actor);
    req.log.info({ officerId: id, actor: who.actor }, 'officer password set');
    return reply.status(204).send();
  });

  // the admin lifts a user's sign-in locks (from every address); an address's own lock runs out by itself
  app.post('/api/v1/officers/:id/unlock', { schema: { params: officerPath } }, async (req, reply) => {
    const who = await auth.requireAdmin(req);
    const { id } = parse(officerPath, req.params, 'path');
    const addresses = await officers.unlock(id, () => limits.unlock(id), who.actor);
    req.log.info({ officerId: id, actor: who.actor, addresses }, 'officer sign-in unlocked');
    return reply.header('cache-control', 'no-store').send({ id, addresses });
  });
}
