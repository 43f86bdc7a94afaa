import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The admin API client used by the CLI, `npm start` and the simulator. */
export class AdminApi {
  readonly base: string;
  /** @param base API base URL, e.g. `http://127.0.0.1:8080`. @param token the admin bearer token. */
  constructor(
    base: string,
    private readonly token: string,
  ) {
    this.base = base.replace(/\/+$/, '');
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text; // e.g. a proxy's HTML error page: keep it for the error message
      }
    }
    return { status: res.status, body: parsed as T };
  }

  async ok<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request<T>(method, path, body);
    if (r.status >= 300) {
      const e = (r.body as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new Error(`${method} ${path} → HTTP ${r.status} ${e?.code ?? ''}: ${e?.message ?? JSON.stringify(r.body)}`);
    }
    return r.body;
  }
}

/** The admin token: ADMIN_TOKEN, else `{dataDir}/admin-token` written by the platform on first start. */
export function readAdminToken(env: NodeJS.ProcessEnv, dataDir = env.DATA_DIR ?? 'var'): string {
  if (env.ADMIN_TOKEN) return env.ADMIN_TOKEN;
  const file = join(dataDir, 'admin-token');
  if (!existsSync(file)) throw new Error(`no admin token: set ADMIN_TOKEN or start the platform once so it writes ${file}`);
  return readFileSync(file, 'utf8').trim();
}
