/**
 * Who is calling (hardened with the web console, issue #5): a bearer token
 * that is either the admin token (role `admin`, sees everything, acts as
 * `user:admin`) or an officer's token (its role — duty officer, inspector,
 * leader — within the officer's authority and the authorities below it).
 * Officer tokens are random 32 bytes, base64url, stored only as their
 * SHA-256 (hex). What each role may do: `roles.ts`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';
import type { Scope } from '../core/jurisdiction.ts';
import { can, ROLE_NAMES, type OfficerRole, type Permission } from './roles.ts';

/** Officer id the admin acts as; no officer may take it. */
export const ADMIN_ID = 'admin';

export type Principal =
  | { kind: 'admin'; id: typeof ADMIN_ID; role: 'admin'; actor: `user:${string}`; scope: Scope }
  | { kind: 'officer'; id: string; name: string; role: OfficerRole; authorityId: string; actor: `user:${string}`; scope: Scope };

/** An enabled officer, as the token lookup returns it. */
export interface OfficerIdentity {
  id: string;
  name: string;
  role: OfficerRole;
  authorityId: string;
}

/** What authentication needs from the officer ledger (`officers.ts`). */
export interface OfficerLookup {
  /** The enabled officer holding the token with this hash. */
  byTokenHash(hash: string): Promise<OfficerIdentity | undefined>;
  /** Whether the officer exists and is not disabled (long-lived streams re-check it). */
  isEnabled(id: string): Promise<boolean>;
}

export const newToken = (): string => randomBytes(32).toString('base64url');
export const tokenHash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The bearer token of the request, if any. */
export const bearer = (req: FastifyRequest): string | undefined => {
  // the scheme is case-insensitive (RFC 9110 §11.1)
  const m = /^bearer +(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
};

export class Authenticator {
  private readonly admin: Buffer;

  constructor(
    adminToken: string,
    private readonly officers: OfficerLookup,
  ) {
    this.admin = Buffer.from(adminToken);
  }

  /** The caller, or 401 UNAUTHENTICATED for a missing, unknown or disabled token. */
  async authenticate(req: FastifyRequest): Promise<Principal> {
    const token = bearer(req);
    if (token) {
      const given = Buffer.from(token);
      if (given.length === this.admin.length && timingSafeEqual(given, this.admin)) {
        return { kind: 'admin', id: ADMIN_ID, role: 'admin', actor: `user:${ADMIN_ID}`, scope: { kind: 'all' } };
      }
      const o = await this.officers.byTokenHash(tokenHash(token));
      if (o) return { kind: 'officer', ...o, actor: `user:${o.id}`, scope: { kind: 'authority', authorityId: o.authorityId } };
    }
    req.log.warn({ url: req.url, ip: req.ip, tokenGiven: token !== undefined }, 'request refused: bad or missing bearer token');
    throw new AppError('UNAUTHENTICATED', 'a valid bearer token is required');
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
    return who.kind === 'admin' || this.officers.isEnabled(who.id);
  }
}
