/**
 * The API as the console calls it: same origin, the session cookie, JSON;
 * errors as `ApiError` with the server's code and reason. A 401 means the
 * session ended: the app goes back to the sign-in screen.
 */
import { lang } from './i18n.ts';
import { signal } from './state.ts';

export interface User {
  id: string;
  name: string;
  role: 'duty_officer' | 'inspector' | 'leader' | 'admin' | 'safety_manager' | 'responsible_person';
  authorityId: string | null;
  permissions: string[];
  /** An enterprise user's (issue #18) own enterprise; null for the bureau's officers. */
  enterpriseId?: string | null;
  enterpriseName?: string | null;
}

/** undefined: not signed in; null: not known yet. */
export const user = signal<User | undefined | null>(null);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * Calls the API; a body is sent as JSON, or as is with `contentType` (e.g. a CSV list as `text/csv`, a file's bytes).
 * `signal` aborts it (e.g. a time limit: a request that never ends must not hold up what waits for it); `fresh` asks
 * the server, never a kept answer.
 */
export async function api<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  contentType?: string,
  opts: { signal?: AbortSignal; fresh?: boolean } = {},
): Promise<T> {
  const res = await fetch(path, {
    method,
    ...(opts.signal ? { signal: opts.signal } : {}),
    // fresh: the server's answer now, never one the service worker kept (api/console-pwa.ts passes these through)
    ...(opts.fresh ? { cache: 'no-store' as const } : {}),
    credentials: 'same-origin',
    headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': contentType ?? 'application/json' },
    ...(body === undefined
      ? {}
      : { body: contentType && (typeof body === 'string' || body instanceof Blob || body instanceof ArrayBuffer) ? body : JSON.stringify(body) }),
  });
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string; reason?: { zh: string; en: string } } } & Record<
    string,
    unknown
  >;
  if (!res.ok) {
    const e = json.error ?? {};
    if (res.status === 401 && path !== '/api/v1/session') user.set(undefined);
    const text = e.reason ? (lang.get() === 'en' ? e.reason.en : e.reason.zh) : inLanguage(e.message ?? res.statusText);
    throw new ApiError(res.status, e.code ?? 'ERROR', text, e);
  }
  return json as T;
}

/**
 * A refusal's message in the console's language: the server writes "中文 / English" (after the fields' paths, each
 * problem separated by "; "); the side of the language shown is kept, and the request part the refusal names first
 * (`query:`, `body:`, `path:`) is dropped — the user did not write a query.
 */
export function inLanguage(message: string): string {
  const en = lang.get() === 'en';
  return message
    .split('; ')
    .map((part) => {
      const m = /^((?:[A-Za-z0-9_.()]+: )*)(.*)$/s.exec(part)!;
      const path = m[1]!.replace(/^(?:query|body|path|params): /, '');
      const text = m[2]!;
      const cut = / ?\/ /.exec(text);
      if (!cut || !/[\u4e00-\u9fff]/.test(text.slice(0, cut.index))) return path + text;
      return path + (en ? text.slice(cut.index + cut[0].length) : text.slice(0, cut.index));
    })
    .join('; ');
}

export const can = (permission: string): boolean => user.get()?.permissions.includes(permission) ?? false;
