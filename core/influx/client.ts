import { AppError } from '../errors.ts';

/**
 * A client of InfluxDB's v1 HTTP API — `/write` (line protocol) and `/query`
 * (InfluxQL) — which InfluxDB 1.x, 2.x (v1 compatibility + DBRP mapping) and
 * 3.x all serve. See docs/adr/0001-influxdb-api.md for why not `/api/v2`.
 */
export interface InfluxOptions {
  url: string;
  database: string;
  /** 2.x / 3.x token, sent as `Authorization: Token …`. */
  token?: string | undefined;
  /** 1.x credentials, sent as HTTP Basic. */
  username?: string | undefined;
  password?: string | undefined;
  /** Per-request timeout, ms. Default 10,000. */
  timeoutMs?: number;
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export class InfluxClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  readonly database: string;

  constructor(opts: InfluxOptions) {
    this.base = opts.url.replace(/\/+$/, '');
    this.database = opts.database;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.headers = {};
    if (opts.token) this.headers.authorization = `Token ${opts.token}`;
    else if (opts.username) this.headers.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
  }

  /**
   * Writes line protocol with millisecond timestamps. Resolves once InfluxDB
   * answered 204 (the points are in its WAL). Throws a retryable
   * INFLUX_UNAVAILABLE on network errors, timeouts, 5xx and 429, and a
   * non-retryable INFLUX_REJECTED on other 4xx (bad points).
   */
  async write(body: string): Promise<void> {
    const url = `${this.base}/write?db=${encodeURIComponent(this.database)}&precision=ms`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { ...this.headers, 'content-type': 'text/plain; charset=utf-8' },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new AppError('INFLUX_UNAVAILABLE', `InfluxDB write failed: ${(err as Error).message}`, { cause: err });
    }
    if (res.status === 204 || res.status === 200) {
      await res.body?.cancel();
      return;
    }
    const text = await res.text().catch(() => '');
    if (res.status >= 500 || res.status === 429 || res.status === 404) {
      // 404: database not created yet (or not mapped) — an operator can fix it; keep retrying.
      throw new AppError('INFLUX_UNAVAILABLE', `InfluxDB write answered ${res.status}: ${text.slice(0, 300)}`);
    }
    throw new AppError('INFLUX_REJECTED', `InfluxDB rejected a write (${res.status}): ${text.slice(0, 500)}`, { details: { status: res.status } });
  }

  /** Runs one InfluxQL statement; returns the series of its first result. Times are epoch ms. */
  async query(q: string, opts: { method?: 'GET' | 'POST'; database?: string | null; timeoutMs?: number } = {}): Promise<InfluxSeries[]> {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    const db = opts.database === undefined ? this.database : opts.database;
    if (db) params.set('db', db);
    const method = opts.method ?? 'GET';
    const signal = AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs);
    let res: Response;
    try {
      res =
        method === 'GET'
          ? await fetch(`${this.base}/query?${params.toString()}`, { headers: this.headers, signal })
          : await fetch(`${this.base}/query`, {
              method: 'POST',
              headers: { ...this.headers, 'content-type': 'application/x-www-form-urlencoded' },
              body: params.toString(),
              signal,
            });
    } catch (err) {
      throw new AppError('INFLUX_UNAVAILABLE', `InfluxDB query failed: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    if (res.status >= 500) throw new AppError('INFLUX_UNAVAILABLE', `InfluxDB query answered ${res.status}: ${text.slice(0, 300)}`);
    let json: { results?: { series?: InfluxSeries[]; error?: string }[]; error?: string };
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      throw new AppError('INFLUX_REJECTED', `InfluxDB query answered ${res.status} with a non-JSON body: ${text.slice(0, 300)}`);
    }
    const first = json.results?.[0];
    const error = json.error ?? first?.error;
    if (error) throw new AppError('INFLUX_REJECTED', `InfluxQL error: ${error}`);
    return first?.series ?? [];
  }

  async ping(): Promise<boolean> {
    try {
      const res = await fetch(`${this.base}/ping`, { headers: this.headers, signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return res.status === 204 || res.status === 200;
    } catch {
      return false;
    }
  }

  /** `CREATE DATABASE` is idempotent on 1.x; on 2.x/3.x the bucket/database is the operator's. */
  async createDatabase(): Promise<void> {
    await this.query(`CREATE DATABASE ${quoteIdent(this.database)}`, { method: 'POST', database: null });
  }
}

/** Quotes an InfluxQL identifier. */
export function quoteIdent(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Quotes an InfluxQL string literal. */
export function quoteString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
