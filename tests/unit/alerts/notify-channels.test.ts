/**
 * Notification channels (alerts/notify/channels.ts): the webhook's HMAC
 * signature and its check, which answers are retried, the channel name, and
 * the webhook request against a fake `fetch` (headers, body, timeout, errors
 * retryable or not); the log channel.
 */
import { createHmac } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { isRetryableStatus, LogChannel, signBody, verifySignature, WebhookChannel, webhookName } from '../../../alerts/notify/channels.ts';
import { createLogger } from '../../../core/logger.ts';
import { sampleNotification } from '../../../testkit/notify.ts';
import { LogCapture } from '../../../testkit/platform.ts';

const SECRET = 'shared-secret';

const notification = sampleNotification();

describe('signBody and verifySignature', () => {
  const body = JSON.stringify(notification);
  const header = `sha256=${signBody(SECRET, body)}`;

  it('is the hex HMAC-SHA256 of the UTF-8 body', () => {
    expect(signBody(SECRET, body)).toBe(createHmac('sha256', SECRET).update(Buffer.from(body, 'utf8')).digest('hex'));
    expect(signBody(SECRET, body)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    { name: 'the valid signature', secret: SECRET, body, header, want: true },
    { name: 'another secret', secret: 'other', body, header, want: false },
    { name: 'a changed body', secret: SECRET, body: body.replace('GT-101', 'GT-102'), header, want: false },
    { name: 'no header', secret: SECRET, body, header: undefined, want: false },
    { name: 'no sha256= prefix', secret: SECRET, body, header: header.slice('sha256='.length), want: false },
    { name: 'a short digest', secret: SECRET, body, header: header.slice(0, -2), want: false },
    { name: 'upper-case hex', secret: SECRET, body, header: `sha256=${signBody(SECRET, body).toUpperCase()}`, want: false },
    { name: 'trailing garbage', secret: SECRET, body, header: `${header}00`, want: false },
  ])('$name → $want', ({ secret, body: b, header: h, want }) => {
    expect(verifySignature(secret, b, h)).toBe(want);
  });
});

describe('isRetryableStatus', () => {
  it.each([
    [500, true],
    [502, true],
    [503, true],
    [408, true],
    [429, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [410, false],
    [413, false],
    [301, false],
    [302, false],
  ])('%i → %s', (status, want) => {
    expect(isRetryableStatus(status)).toBe(want);
  });
});

describe('webhookName', () => {
  it('is stable for a URL, shows its host, and hides its path and query', () => {
    const url = 'https://hooks.example.org:8443/robot/send?access_token=SECRET-TOKEN';
    const name = webhookName(url);
    expect(name).toMatch(/^webhook:hooks\.example\.org:8443#[0-9a-f]{8}$/);
    expect(name).not.toContain('SECRET-TOKEN');
    expect(webhookName(url)).toBe(name);
    expect(webhookName(url.replace('SECRET-TOKEN', 'other'))).not.toBe(name);
  });
});

interface Call {
  url: string;
  init: RequestInit;
}

/** A `fetch` answering `respond()` (a Response or a thrown error), recording each call. */
function fakeFetch(respond: (init: RequestInit) => Promise<Response>): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const f: typeof fetch = async (url, init) => {
    calls.push({ url: url instanceof Request ? url.url : url.toString(), init: init ?? {} });
    return respond(init ?? {});
  };
  return { fetch: f, calls };
}

const URL_ = 'https://hooks.example.org/nss?token=t';

describe('WebhookChannel', () => {
  it('POSTs the notification as JSON with its idempotency key and signature, and resolves on 2xx', async () => {
    const { fetch, calls } = fakeFetch(async () => new Response(null, { status: 204 }));
    const ch = new WebhookChannel({ url: URL_, secret: SECRET, fetch });
    expect(ch.name).toBe(webhookName(URL_));
    await ch.send(notification);
    expect(calls).toHaveLength(1);
    const { url, init } = calls[0]!;
    expect(url).toBe(URL_);
    expect(init.method).toBe('POST');
    expect(init.redirect).toBe('manual');
    const body = init.body as string;
    expect(JSON.parse(body)).toEqual(notification);
    const headers = init.headers as Record<string, string>;
    expect(headers['content-type']).toBe('application/json; charset=utf-8');
    expect(headers['x-nss-idempotency-key']).toBe(notification.idempotencyKey);
    expect(verifySignature(SECRET, body, headers['x-nss-signature'])).toBe(true);
  });

  it('sends no signature without a secret', async () => {
    const { fetch, calls } = fakeFetch(async () => new Response('ok', { status: 200 }));
    await new WebhookChannel({ url: URL_, fetch, name: 'hook-a' }).send(notification);
    expect(calls[0]!.init.headers).not.toHaveProperty('x-nss-signature');
  });

  it.each([
    { status: 500, retried: true },
    { status: 503, retried: true },
    { status: 429, retried: true },
    { status: 408, retried: true },
    { status: 400, retried: false },
    { status: 401, retried: false },
    { status: 404, retried: false },
    // a redirect is a misconfigured URL: not followed, not retried
    { status: 302, retried: false },
  ])('HTTP $status: retried $retried', async ({ status, retried }) => {
    const headers = status === 302 ? { location: 'https://elsewhere.example.org/' } : undefined;
    const { fetch } = fakeFetch(async () => new Response(null, { status, headers }));
    const err = await new WebhookChannel({ url: URL_, fetch, name: 'hook' }).send(notification).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`hook answered HTTP ${status}`);
    expect(err instanceof UnrecoverableError).toBe(!retried);
  });

  it('throws a retryable error, naming no URL, when the request fails', async () => {
    const { fetch } = fakeFetch(async () => Promise.reject(new TypeError('fetch failed')));
    const err = (await new WebhookChannel({ url: URL_, fetch }).send(notification).catch((e: unknown) => e)) as Error;
    expect(err).not.toBeInstanceOf(UnrecoverableError);
    expect(err.message).toBe(`${webhookName(URL_)}: request failed`);
    expect(err.message).not.toContain('token');
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('gives up after timeoutMs (the answer included), with a retryable error', async () => {
    // answers nothing until aborted, as a hung receiver would
    const { fetch } = fakeFetch(
      (init) =>
        new Promise((_, reject) => {
          const signal = init.signal;
          signal?.addEventListener('abort', () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted')));
        }),
    );
    const t = Date.now();
    const err = (await new WebhookChannel({ url: URL_, fetch, name: 'slow', timeoutMs: 50 }).send(notification).catch((e: unknown) => e)) as Error;
    expect(Date.now() - t).toBeLessThan(5000);
    expect(err).not.toBeInstanceOf(UnrecoverableError);
    expect(err.message).toBe('slow: no answer within 50 ms');
  });
});

describe('LogChannel', () => {
  it('logs each notification at info with its alert, event and message', async () => {
    const logs = new LogCapture();
    await new LogChannel(createLogger({ level: 'info', destination: logs })).send(notification);
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]).toMatchObject({
      level: 30,
      msg: 'alert notification',
      alertId: 'A1',
      enterpriseId: 'E1',
      event: 'fired',
      seq: 7,
      severity: 'red',
      message: '可燃气体报警',
    });
    expect(logs.lines[0]).not.toHaveProperty('escalation');
  });
});
