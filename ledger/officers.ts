/**
 * Officers (duty officers 值班员, inspectors 执法人员, leaders; api/roles.ts) and their API tokens: the ledger (`officers` table,
 * migration 4) and their console sessions; the admin routes that manage
 * them are api/officers.ts. A token is returned once, at creation; only its
 * SHA-256 is stored. An enterprise's own users (safety manager, responsible
 * persons; issue #18, migration 18) are kept here too, with their enterprise
 * instead of an authority; they are imported from a sheet by enterprise-users.ts.
 */
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { idSchema } from '../core/contract.ts';
import type { Queryable } from '../core/db/db.ts';
import { withAudit } from '../core/audit.ts';
import { AppError } from '../core/errors.ts';
import { hashSecret, newToken, tokenHash, verifySecret } from './credentials.ts';

/** Officer id the admin acts as; no officer may take it. */
export const ADMIN_ID = 'admin';

/** Roles of an officer (what each may do: api/roles.ts). */
export const OFFICER_ROLES = ['duty_officer', 'inspector', 'leader'] as const;
export type OfficerRole = (typeof OFFICER_ROLES)[number];
/**
 * Roles of an enterprise's own people (domain rule 13, issue #18): its safety manager (安全管理负责人) and its
 * responsible persons (包保责任人). They sign for and answer their own enterprise's alarms, nothing else.
 */
export const ENTERPRISE_ROLES = ['safety_manager', 'responsible_person'] as const;
export type EnterpriseRole = (typeof ENTERPRISE_ROLES)[number];
export const isEnterpriseRole = (r: string): r is EnterpriseRole => (ENTERPRISE_ROLES as readonly string[]).includes(r);
/** Roles a user (officer) record may have: the officer roles, admin (everything, everywhere), or an enterprise role. */
export const USER_ROLES = [...OFFICER_ROLES, 'admin', ...ENTERPRISE_ROLES] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** An enabled officer, as the token lookup returns it. */
export interface OfficerIdentity {
  id: string;
  name: string;
  role: UserRole;
  /** The officer's authority; for an enterprise user, its enterprise's authority ('' if the enterprise has none). */
  authorityId: string;
  /** An enterprise user's enterprise (roles `ENTERPRISE_ROLES` only). */
  enterpriseId?: string | undefined;
}

/** Parses `input` (missing → `{}`) with `schema`; `where` prefixes the message (as the API's `parse`). */
function parse<T extends z.ZodType>(schema: T, input: unknown, where: string): z.output<T> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw new AppError('BAD_REQUEST', `${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** A console password: 10 to 200 characters. */
export const passwordSchema = z.string().min(10, 'at least 10 characters').max(200);

/** A mainland mobile or landline number as people write it (digits, an optional +86, spaces or hyphens between groups). */
export const phoneSchema = z
  .string()
  .trim()
  .regex(/^(\+?86[ -]?)?[0-9][0-9 -]{5,18}[0-9]$/, 'a phone number (digits, optional +86)')
  .transform((p) => p.replace(/[ -]/g, ''));

export const officerInput = z
  .strictObject({
    id: idSchema.refine((id) => id !== ADMIN_ID, { message: `'${ADMIN_ID}' is reserved for the admin token` }),
    name: z.string().trim().min(1).max(200),
    /** The officer's authority (officer roles and admin); not given for an enterprise user. */
    authorityId: idSchema.optional(),
    /** An enterprise user's enterprise (roles safety_manager, responsible_person); required for them, refused for others. */
    enterpriseId: idSchema.optional(),
    /** Default: duty officer. */
    role: z.enum(USER_ROLES).default('duty_officer'),
    /** For SMS and for the bureau to call (an enterprise user's is shown to the duty officer). */
    phone: phoneSchema.optional(),
    /** To sign in to the console (the API token works without one). */
    password: passwordSchema.optional(),
  })
  .superRefine((o, ctx) => {
    const enterpriseUser = isEnterpriseRole(o.role);
    if (enterpriseUser && o.enterpriseId === undefined)
      ctx.addIssue({ code: 'custom', path: ['enterpriseId'], message: `角色 ${o.role} 须指定所属企业 / required for the role ${o.role}` });
    if (enterpriseUser && o.authorityId !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['authorityId'],
        message: `企业用户随其企业的执法主体，只需指定企业 / an enterprise user takes its enterprise's authority; give enterpriseId only`,
      });
    if (!enterpriseUser && o.enterpriseId !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['enterpriseId'],
        message: `只有企业角色（${ENTERPRISE_ROLES.join('、')}）属于企业 / only for the roles ${ENTERPRISE_ROLES.join(', ')}`,
      });
    if (!enterpriseUser && o.authorityId === undefined)
      ctx.addIssue({ code: 'custom', path: ['authorityId'], message: `角色 ${o.role} 须指定执法主体 / required for the role ${o.role}` });
  });
export type OfficerInput = z.output<typeof officerInput>;

/** Who an admin's list shows: every user, or those of one enterprise. */
export const officerListQuery = z.strictObject({ enterpriseId: idSchema.optional() });

/** The enterprise's authority, or 404 (in both languages) when it does not exist. */
export async function enterpriseAuthority(q: Queryable, enterpriseId: string): Promise<string> {
  const e = await q.query<{ authority_id: string | null }>('SELECT authority_id FROM enterprises WHERE id = $1', [enterpriseId]);
  if (!e.rows[0]) throw new AppError('NOT_FOUND', `企业 ${enterpriseId} 不存在 / enterprise ${enterpriseId} not found`);
  return e.rows[0].authority_id ?? '';
}

/**
 * Writes one user (officer or enterprise user) inside the caller's transaction, with its token's hash and its
 * password's (or none); the caller audits. Database refusals become 409 (the id is taken) or 404 (no such authority).
 */
export async function insertOfficer(tx: Queryable, o: Omit<OfficerInput, 'password'>, hash: string, passwordHash: string | null): Promise<void> {
  try {
    await tx.query(
      'INSERT INTO officers (id, name, authority_id, enterprise_id, role, phone, token_hash, password_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [o.id, o.name, o.authorityId ?? null, o.enterpriseId ?? null, o.role, o.phone ?? null, hash, passwordHash],
    );
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '23505') throw new AppError('CONFLICT', `用户 ${o.id} 已存在 / officer ${o.id} already exists`);
    if (code === '23503')
      throw new AppError(
        'NOT_FOUND',
        o.enterpriseId === undefined
          ? `执法主体 ${o.authorityId} 不存在 / authority ${o.authorityId} not found`
          : `企业 ${o.enterpriseId} 不存在 / enterprise ${o.enterpriseId} not found`,
      );
    throw err;
  }
}

/** How long a console session lasts: at most `ttlMs` from sign-in, and `idleMs` without a request. */
export interface SessionPolicy {
  ttlMs: number;
  idleMs: number;
}
/** A session's last-seen time is written at most this often. */
const SESSION_TOUCH_MS = 60_000;
export const DEFAULT_SESSION_POLICY: SessionPolicy = { ttlMs: 12 * 3600_000, idleMs: 2 * 3600_000 };

interface IdentityRow {
  id: string;
  name: string;
  role: UserRole;
  authority_id: string;
  enterprise_id: string | null;
}
/** An officer's identity; an enterprise user's authority is its enterprise's. */
const IDENTITY_SELECT = `SELECT o.id, o.name, o.role, COALESCE(o.authority_id, e.authority_id, '') AS authority_id, o.enterprise_id
  FROM officers o LEFT JOIN enterprises e ON e.id = o.enterprise_id`;
const identityOf = (r: IdentityRow): OfficerIdentity => ({
  id: r.id,
  name: r.name,
  role: r.role,
  authorityId: r.authority_id,
  ...(r.enterprise_id === null ? {} : { enterpriseId: r.enterprise_id }),
});

/** A stored hash no password matches, verified against when the user is unknown (the same time either way). */
let dummyHash: Promise<string> | undefined;

/** The officer ledger; it is what authentication looks officers up in (api/auth.ts `OfficerLookup`). */
export class Officers {
  constructor(
    readonly db: Queryable,
    readonly clock: Clock,
    readonly sessionPolicy: SessionPolicy = DEFAULT_SESSION_POLICY,
  ) {}

  /** Creates an enabled officer; returns it with its bearer token (shown this once). */
  async create(input: unknown, actor = 'user:admin'): Promise<OfficerIdentity & { token: string }> {
    const { password, ...o } = parse(officerInput, input, 'body');
    const token = newToken();
    const passwordHash = password === undefined ? null : await hashSecret(password);
    let authorityId = o.authorityId ?? '';
    await withAudit(
      this.db,
      async (tx) => {
        if (o.enterpriseId !== undefined) authorityId = await enterpriseAuthority(tx, o.enterpriseId);
        await insertOfficer(tx, o, tokenHash(token), passwordHash);
      },
      () => ({
        actor,
        action: 'officer.created',
        subjectType: 'officer',
        subjectId: o.id,
        data: { ...o, password: passwordHash !== null },
        at: this.clock.now(),
      }),
    );
    return { ...o, authorityId, token };
  }

  /** Disables the officer: its token stops working at once, its open streams at their next heartbeat. */
  async disable(id: string, actor = 'user:admin'): Promise<void> {
    await withAudit(
      this.db,
      async (tx) => {
        const { rows } = await tx.query('UPDATE officers SET disabled = true WHERE id = $1 RETURNING id', [id]);
        if (rows.length === 0) throw new AppError('NOT_FOUND', `officer ${id} not found`);
      },
      () => ({ actor, action: 'officer.disabled', subjectType: 'officer', subjectId: id, data: {}, at: this.clock.now() }),
    );
  }

  /**
   * Clears the user's sign-in locks with `clear` (sign-in-limits.ts) and
   * records it on the audit trail; how many addresses had failures. 404 for
   * an unknown officer (a disabled one may be unlocked; `admin` too).
   */
  async unlock(id: string, clear: () => Promise<number>, actor = 'user:admin'): Promise<number> {
    return withAudit(
      this.db,
      async (tx) => {
        if (id !== ADMIN_ID && (await tx.query('SELECT 1 FROM officers WHERE id = $1', [id])).rows.length === 0)
          throw new AppError('NOT_FOUND', `officer ${id} not found`);
        return clear();
      },
      (addresses) => ({ actor, action: 'officer.unlocked', subjectType: 'officer', subjectId: id, data: { addresses }, at: this.clock.now() }),
    );
  }

  async byTokenHash(hash: string): Promise<OfficerIdentity | undefined> {
    return this.find('token_hash', hash);
  }

  /** The enabled officer with this id. */
  async byId(id: string): Promise<OfficerIdentity | undefined> {
    return this.find('id', id);
  }

  private async find(column: 'id' | 'token_hash', value: string): Promise<OfficerIdentity | undefined> {
    const { rows } = await this.db.query<IdentityRow>(`${IDENTITY_SELECT} WHERE o.${column} = $1 AND NOT o.disabled`, [value]);
    const r = rows[0];
    return r ? identityOf(r) : undefined;
  }

  /** Sets (or replaces) the officer's console password; its sessions end. */
  async setPassword(id: string, password: string, actor: string): Promise<void> {
    const hash = await hashSecret(password);
    await withAudit(
      this.db,
      async (tx) => {
        const { rows } = await tx.query('UPDATE officers SET password_hash = $2 WHERE id = $1 RETURNING id', [id, hash]);
        if (rows.length === 0) throw new AppError('NOT_FOUND', `officer ${id} not found`);
        await tx.query('DELETE FROM sessions WHERE officer_id = $1', [id]);
      },
      () => ({ actor, action: 'officer.password_set', subjectType: 'officer', subjectId: id, data: {}, at: this.clock.now() }),
    );
  }

  /** The enabled officer if the password is theirs; undefined otherwise (unknown, disabled, no password, wrong). */
  async checkPassword(id: string, password: string): Promise<OfficerIdentity | undefined> {
    const { rows } = await this.db.query<{ password_hash: string | null }>('SELECT password_hash FROM officers WHERE id = $1 AND NOT disabled', [id]);
    const stored = rows[0]?.password_hash;
    if (!stored) {
      await verifySecret(password, await (dummyHash ??= hashSecret(newToken())));
      return undefined;
    }
    return (await verifySecret(password, stored)) ? this.byId(id) : undefined;
  }

  /** Opens a console session for the officer (null: the admin token's admin); returns its token, shown once. */
  async createSession(officerId: string | null, ip: string): Promise<{ token: string; expiresAt: number }> {
    const token = newToken();
    const now = this.clock.now();
    const expiresAt = now + this.sessionPolicy.ttlMs;
    await this.db.query('DELETE FROM sessions WHERE expires_at < $1', [new Date(now)]);
    await this.db.query('INSERT INTO sessions (token_hash, officer_id, created_at, expires_at, last_seen_at, ip) VALUES ($1, $2, $3, $4, $3, $5)', [
      tokenHash(token),
      officerId,
      new Date(now),
      new Date(expiresAt),
      ip,
    ]);
    return { token, expiresAt };
  }

  /** Ends every console session of the officer. */
  async endSessions(officerId: string): Promise<void> {
    await this.db.query('DELETE FROM sessions WHERE officer_id = $1', [officerId]);
  }

  async revokeSession(hash: string): Promise<void> {
    await this.db.query('DELETE FROM sessions WHERE token_hash = $1', [hash]);
  }

  /**
   * Every request of a console session passes here: one read, and a write
   * only when the session's last-seen time is more than a minute old (the
   * idle limit is hours; its precision need not be a request's).
   */
  async bySessionHash(hash: string): Promise<OfficerIdentity | undefined> {
    const now = this.clock.now();
    const { rows } = await this.db.query<{
      officer_id: string | null;
      last_seen_at: Date;
      name: string | null;
      authority_id: string | null;
      enterprise_id: string | null;
      role: UserRole | null;
      disabled: boolean | null;
    }>(
      `SELECT s.officer_id, s.last_seen_at, o.name, COALESCE(o.authority_id, e.authority_id, '') AS authority_id, o.enterprise_id, o.role, o.disabled
         FROM sessions s LEFT JOIN officers o ON o.id = s.officer_id LEFT JOIN enterprises e ON e.id = o.enterprise_id
        WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3`,
      [hash, new Date(now), new Date(now - this.sessionPolicy.idleMs)],
    );
    const r = rows[0];
    if (!r) return undefined;
    if (now - new Date(r.last_seen_at).getTime() > SESSION_TOUCH_MS)
      await this.db.query('UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1', [hash, new Date(now)]);
    if (r.officer_id === null) return { id: ADMIN_ID, name: ADMIN_ID, role: 'admin', authorityId: '' };
    if (r.disabled || !r.role || r.name === null || r.authority_id === null) return undefined;
    return identityOf({ id: r.officer_id, name: r.name, role: r.role, authority_id: r.authority_id, enterprise_id: r.enterprise_id });
  }

  /** Every officer and enterprise user (or those of one enterprise), for the admin: without tokens or password hashes, only whether a password is set. */
  async list(filter: { enterpriseId?: string | undefined } = {}): Promise<(OfficerIdentity & { phone: string | null; disabled: boolean; hasPassword: boolean })[]> {
    const where = filter.enterpriseId === undefined ? '' : 'WHERE o.enterprise_id = $1';
    const { rows } = await this.db.query<IdentityRow & { phone: string | null; disabled: boolean; has_password: boolean }>(
      `${IDENTITY_SELECT.replace('SELECT', 'SELECT o.phone, o.disabled, o.password_hash IS NOT NULL AS has_password,')} ${where} ORDER BY o.id`,
      filter.enterpriseId === undefined ? [] : [filter.enterpriseId],
    );
    return rows.map((r) => ({ ...identityOf(r), phone: r.phone, disabled: r.disabled, hasPassword: r.has_password }));
  }

  /** An enterprise's name (for an enterprise user's session), undefined if it does not exist. */
  async enterpriseName(enterpriseId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ name: string }>('SELECT name FROM enterprises WHERE id = $1', [enterpriseId]);
    return rows[0]?.name;
  }

  async isEnabled(id: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM officers WHERE id = $1 AND NOT disabled', [id]);
    return rows.length > 0;
  }
}
