/**
 * A local HTTP server standing in for the enterprise channels' providers (issue #18): Aliyun SMS (or the
 * neutral HTTP SMS gateway) under `/aliyun…`, the DingTalk robot under `/robot…`, the WeCom robot anywhere
 * else. It records every request as it arrived; the checks recompute each provider's signature here, from
 * the providers' documented rules, not with the adapters' code.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';

export interface Seen {
  method: string;
  path: string;
  /** The raw query string (after `?`). */
  rawQuery: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** When the request arrived. */
  at: number;
}
export type Provider = 'aliyun' | 'dingtalk' | 'wecom';
export type Answer = { status: number; body: unknown };

/** `/aliyun…`: the SMS provider (Aliyun, or the neutral HTTP gateway); `/robot…`: DingTalk; else WeCom. */
export const providerOf = (path: string): Provider => (path.startsWith('/aliyun') ? 'aliyun' : path.startsWith('/robot') ? 'dingtalk' : 'wecom');
export const OK: Record<Provider, Answer> = {
  aliyun: { status: 200, body: { Code: 'OK', Message: 'OK', RequestId: 'R1', BizId: 'B1' } },
  dingtalk: { status: 200, body: { errcode: 0, errmsg: 'ok' } },
  wecom: { status: 200, body: { errcode: 0, errmsg: 'ok' } },
};

export interface Providers {
  base: string;
  seen: Seen[];
  of(p: Provider): Seen[];
  close(): Promise<void>;
}

/** A local server for the three providers; `respond(provider, attempt)` (attempt: 1 for the first request to it). */
export async function startProviders(respond: (p: Provider, attempt: number, seen: Seen) => Answer = (p) => OK[p]): Promise<Providers> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [path = '', rawQuery = ''] = (req.url ?? '').split('?');
      const s: Seen = {
        method: req.method ?? '',
        path,
        rawQuery,
        query: new URLSearchParams(rawQuery),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      seen.push(s);
      const p = providerOf(path);
      const a = respond(p, seen.filter((x) => providerOf(x.path) === p).length, s);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    seen,
    of: (p) => seen.filter((x) => providerOf(x.path) === p),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Aliyun's percent-encoding, written here from Aliyun's rules (not the adapter's code). */
export const pct = (s: string): string =>
  [...Buffer.from(s, 'utf8')]
    .map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
/** Shanghai wall time, `yyyy-MM-dd HH:mm:ss`, through Intl (not the adapter's arithmetic). */
export const shanghai = (t: number): string =>
  new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(t));

/** The form body of an Aliyun request as name → value, its Signature checked against one recomputed with `accessKeySecret`. */
export function aliyunParams(s: Seen, accessKeySecret: string): Record<string, string> {
  const pairs = s.body.split('&').map((kv) => kv.split('=').map((x) => decodeURIComponent(x)) as [string, string]);
  const p = Object.fromEntries(pairs);
  const { Signature, ...rest } = p;
  const canonical = Object.keys(rest)
    .sort()
    .map((k) => `${pct(k)}=${pct(rest[k] as string)}`)
    .join('&');
  expect(s.body).toBe(`${canonical}&Signature=${pct(Signature as string)}`);
  const expected = createHmac('sha1', `${accessKeySecret}&`)
    .update(`POST&%2F&${pct(canonical)}`, 'utf8')
    .digest('base64');
  expect(Signature, 'Aliyun signature').toBe(expected);
  return p;
}

/**
 * The DingTalk request's timestamp and sign checked against a signature recomputed with the robot's secret;
 * `fresh`: the timestamp is the time the request arrived (not when the platform runs on a test's clock).
 */
export function checkDingSign(s: Seen, token: string, secret: string, fresh = true): void {
  const ts = s.query.get('timestamp') as string;
  if (fresh) expect(Math.abs(Number(ts) - s.at)).toBeLessThan(5000);
  const sign = createHmac('sha256', secret).update(`${ts}\n${secret}`, 'utf8').digest('base64');
  expect(s.rawQuery).toBe(`access_token=${token}&timestamp=${ts}&sign=${encodeURIComponent(sign)}`);
}
