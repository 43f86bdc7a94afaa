/**
 * What the report routes (statistics, KPIs and the monthly report, alarm quality) share: the authority a report
 * covers, and the header that names a downloaded file.
 */
import type { Queryable } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { authorityInScope } from '../core/jurisdiction.ts';
import type { Principal } from './auth.ts';

/**
 * The authority reported on: the one asked for, if it exists and is in the caller's jurisdiction (else 404, like a
 * missing one); without one, the officer's own authority, or everything (`id` null) for the admin.
 */
export async function reportRoot(db: Queryable, who: Principal, authorityId: string | undefined): Promise<{ id: string | null; name: string }> {
  // an enterprise's user reports on no authority (its routes refuse it by permission; this holds if one ever did not)
  if (who.kind === 'enterprise') throw new AppError('FORBIDDEN', '企业用户不能查看监管部门的统计 / an enterprise user may not read the bureau’s reports');
  const root = authorityId ?? (who.kind === 'officer' ? who.authorityId : null);
  if (root === null) return { id: null, name: '全部' };
  const notFound = new AppError('NOT_FOUND', `执法主体 ${root} 不存在或不在管辖范围内 / authority ${root} not found`);
  if (!(await authorityInScope(db, who.scope, root))) throw notFound;
  const { rows } = await db.query<{ name: string }>('SELECT name FROM authorities WHERE id = $1', [root]);
  if (rows.length === 0) throw notFound;
  return { id: root, name: rows[0]!.name };
}

/** `Content-Disposition` of a download: an ASCII name for old clients, the real (Chinese) name per RFC 5987. */
export const attachment = (ascii: string, name: string): string => `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
