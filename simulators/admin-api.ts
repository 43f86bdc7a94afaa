/** A minimal client of the platform's admin API (Bearer token), for the simulator CLI. */
import type { AdminApi } from './fleet.ts';

export class HttpAdminApi implements AdminApi {
  /**
   * @param base API base URL, e.g. `http://127.0.0.1:8080`.
   * @param token the admin bearer token.
   */
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.base.replace(/\/+$/, '')}${path}`, {
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
        parsed = text;
      }
    }
    return { status: res.status, body: parsed as T };
  }
}
