/**
 * Who is calling: a bearer token — the admin token (role `admin`, sees
 * everything, acts as `user:admin`), an officer's API token, or a console
 * session's token — or the console's session cookie (`nss_session`,
 * HttpOnly, SameSite=Strict; sessions.ts). An officer acts with its role
 * (duty officer, inspector, leader) within its authority and the
 * authorities below it; a user with the role `admin` sees everything.
 * Tokens are random 32 bytes, base64url, stored only as their SHA-256
 * (hex). What each role may do: `roles.ts`.
 *
 * A request authenticated by the cookie that changes something must come
 * from the console's own origin (`Origin` equal to the host): the cookie
 * is SameSite=Strict already; this is the second lock on the door.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';
import type { Scope } from '../core/jurisdiction.ts';
import { ADMIN_ID, type OfficerIdentity } from '../ledger/officers.ts';
import { newToken, tokenHash } from '../ledger/credentials.ts';
import { can, isEnterpriseRole, ROLE_NAMES, type EnterpriseRole, type OfficerRole, type Permission } from './roles.ts';

// the officer ledger's names, where the API's files have always found them
export { ADMIN_ID, newToken, tokenHash, type OfficerIdentity };

export type Principal =
  | { kind: 'admin'; id: string; name: string; role: 'admin'; actor: `user:${string}`; scope: Scope; session?: string | undefined }
  | { kind: 'officer'; id: string; name: string; role: OfficerRole; authorityId: string; actor: `user:${string}`; scope: Scope; session?: string | undefined }
  | {
      kind: 'enterprise';
      id: string;
      name: string;
      role: EnterpriseRole;
      enterpriseId: string;
      actor: `user:${string}`;
      scope: Scope;
      session?: string | undefined;
    };

/** What authentication needs from the officer ledger (`officers.ts`). */
export interface OfficerLookup {
  /** The enabled officer holding the token with this hash. */
  byTokenHash(hash: string): Promise<OfficerIdentity | undefined>;
  /** Whether the officer exists and is not disabled (long-lived streams re-check it). */
  isEnabled(id: string): Promise<boolean>;
  /** The enabled officer of the unexpired session with this token hash (and the session is touched). */
  bySessionHash(hash: string): Promise<OfficerIdentity | undefined>;
}

export const SESSION_COOKIE = 'nss_session';

/** The value of the session cookie, if any (parsed by @fastify/cookie, registered by the server). */
export const sessionCookie = (req: FastifyRequest): string | undefined => req.cookies[SESSION_COOKIE] || undefined;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether the request's Origin is this server (the host it was addressed to). */
function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function principalOf(o: OfficerIdentity, session?: string): Principal {
  const actor = `user:${o.id}` as const;
  if (o.role === 'admin') return { kind: 'admin', id: o.id, name: o.name, role: 'admin', actor, scope: { kind: 'all' }, session };
  if (isEnterpriseRole(o.role)) {
    // an enterprise user without its enterprise cannot be (the ledger's CHECK); refuse rather than widen the scope
    if (o.enterpriseId === undefined) throw new AppError('UNAUTHENTICATED', 'a valid bearer token or session is required');
    const { enterpriseId } = o;
    return { kind: 'enterprise', id: o.id, name: o.name, role: o.role, enterpriseId, actor, scope: { kind: 'enterprise', enterpriseId }, session };
  }
  return { kind: 'officer', id: o.id, name: o.name, role: o.role, authorityId: o.authorityId, actor, scope: { kind: 'authority', authorityId: o.authorityId }, session };
}

/** The bearer token of the request, if any. */
export const bearer = (req: FastifyRequest): string | undefined => {
  // the scheme is case-insensitive (RFC 9110 §11.1)
  const m = /^bearer +(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
};

/** Who may call a route (the `access` of its entry in `openapi.ts`): a permission, the admin, any signed-in user, or anyone. */
export type Access = Permission | 'admin' | 'session' | 'public';

export class Authenticator {
  private readonly admin: Buffer;
  /** Each request's caller, looked up once (the `onRequest` hook, then the handler). */
  private readonly callers = new WeakMap<FastifyRequest, Promise<Principal>>();

  constructor(
    adminToken: string,
    private readonly officers: OfficerLookup,
  ) {
    this.admin = Buffer.from(adminToken);
  }

  /** Whether `token` is the admin token (constant time). */
  isAdminToken(token: string): boolean {
    const given = Buffer.from(token);
    return given.length === this.admin.length && timingSafeEqual(given, this.admin);
  }

  /**
   * The caller, or 401 UNAUTHENTICATED for a missing, unknown, expired or
   * disabled token or session. Looked up once per request: the server's
   * `onRequest` hook asks first (before the body is read), the handler's
   * later calls get the same answer.
   */
  authenticate(req: FastifyRequest): Promise<Principal> {
    let who = this.callers.get(req);
    if (!who) {
      who = this.lookup(req);
      this.callers.set(req, who);
    }
    return who;
  }

  /** The caller if `access` lets them call (`public`: undefined, nothing is looked up); 401 or 403 otherwise. */
  async admit(req: FastifyRequest, access: Access): Promise<Principal | undefined> {
    if (access === 'public') return undefined;
    if (access === 'session') return this.authenticate(req);
    if (access === 'admin') return this.requireAdmin(req);
    return this.authorize(req, access);
  }

  private async lookup(req: FastifyRequest): Promise<Principal> {
    const token = bearer(req);
    if (token) {
      if (this.isAdminToken(token)) return { kind: 'admin', id: ADMIN_ID, name: ADMIN_ID, role: 'admin', actor: `user:${ADMIN_ID}`, scope: { kind: 'all' } };
      const hash = tokenHash(token);
      const o = await this.officers.byTokenHash(hash);
      if (o) return principalOf(o);
      const s = await this.officers.bySessionHash(hash);
      if (s) return principalOf(s, hash);
    } else {
      const cookie = sessionCookie(req);
      if (cookie) {
        if (!SAFE_METHODS.has(req.method) && !sameOrigin(req)) {
          req.log.warn({ url: req.url, ip: req.ip, origin: req.headers.origin }, 'request refused: a session cookie from another origin');
          throw new AppError('FORBIDDEN', 'a change through the console session must come from the console itself (Origin)');
        }
        const hash = tokenHash(cookie);
        const s = await this.officers.bySessionHash(hash);
        if (s) return principalOf(s, hash);
      }
    }
    req.log.warn({ url: req.url, ip: req.ip, tokenGiven: token !== undefined }, 'request refused: bad or missing bearer token or session');
    throw new AppError('UNAUTHENTICATED', 'a valid bearer token or session is required');
  }

  /** The admin, or 401 (no valid token) / 403 (an officer). */
  async requireAdmin(req: FastifyRequest): Promise<Principal> {
    const who = await this.authenticate(req);
    if (who.kind !== 'admin') throw new AppError('FORBIDDEN', 'this needs the admin token');
    return who;
  }

  /** The caller if its role may do `permission`; 401 without a valid token, 403 FORBIDDEN otherwise. */
  async authorize(req: FastifyRequest, permission: Permission): Promise<Principal> {
    const who = await this.authenticate(req);
    if (!can(who.role, permission)) {
      req.log.warn({ url: req.url, actor: who.actor, role: who.role, permission }, 'request refused: role lacks the permission');
      throw new AppError('FORBIDDEN', `a ${ROLE_NAMES[who.role].en} may not do this (${permission})`, {
        expose: { permission, reason: { zh: `${ROLE_NAMES[who.role].zh}无此权限（${permission}）`, en: `a ${ROLE_NAMES[who.role].en} may not do this` } },
      });
    }
    return who;
  }

  /** Whether a principal authenticated earlier may still act (an officer may have been disabled since). */
  async stillValid(who: Principal): Promise<boolean> {
    if (who.session) return (await this.officers.bySessionHash(who.session)) !== undefined;
    return who.id === ADMIN_ID || this.officers.isEnabled(who.id);
  }
}
