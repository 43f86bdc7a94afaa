/**
 * A raw Server-Sent Events client for tests (node:http, no EventSource):
 * opens a stream, parses its frames as they arrive, and lets a test wait for
 * the next frame, or for the first one matching a condition, without polling.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';

export interface SseFrame {
  /** The `id:` field (for the alert stream: the `alert_events.seq`). */
  id: string | undefined;
  /** The `event:` field; `message` when absent. */
  event: string;
  /** The `data:` lines, joined with newlines. */
  data: string;
}

/** The `data:` of a frame, parsed as JSON. */
export const frameJson = <T>(f: SseFrame): T => JSON.parse(f.data) as T;

export class SseClient {
  /** Every frame received so far, in arrival order. */
  readonly frames: SseFrame[] = [];
  /** Comment lines (`: …`) received so far, without the colon. */
  readonly comments: string[] = [];
  /** How many of `frames` `next()` has handed out. */
  private read = 0;
  private buffer = '';
  private ended = false;
  private wake: (() => void) | undefined;

  private constructor(
    private readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
    const done = () => {
      this.ended = true;
      this.notify();
    };
    res.on('end', done);
    res.on('close', done);
    res.on('error', done);
  }

  /** Opens `url` with `headers`; resolves once a 200 with `text/event-stream` has come, rejects with the status and body otherwise. */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'GET', headers: { accept: 'text/event-stream', ...headers } });
      req.once('error', reject);
      req.once('response', (res) => {
        if (res.statusCode === 200 && String(res.headers['content-type']).startsWith('text/event-stream')) {
          resolve(new SseClient(req, res));
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => reject(new Error(`stream refused: HTTP ${res.statusCode}: ${body}`)));
      });
      req.end();
    });
  }

  /** The next frame not yet handed out; rejects after `timeoutMs` or when the stream ends first. */
  async next(timeoutMs = 10_000): Promise<SseFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames[this.read];
      if (f) {
        this.read++;
        return f;
      }
      if (this.ended) throw new Error(`the stream ended after ${this.frames.length} frames`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms (${this.frames.length} frames so far)`);
      await this.change(left);
    }
  }

  /** Reads frames up to and including the first one matching `pred`; returns them all (the match last). */
  async until(pred: (f: SseFrame) => boolean, timeoutMs = 10_000): Promise<SseFrame[]> {
    const deadline = Date.now() + timeoutMs;
    const seen: SseFrame[] = [];
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      seen.push(f);
      if (pred(f)) return seen;
    }
  }

  /** Resolves when the server ends the stream; rejects if it is still open after `timeoutMs`. */
  async closedByServer(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the stream was still open after ${timeoutMs} ms`);
      await this.change(left);
    }
  }

  close(): void {
    this.req.destroy();
  }

  /** Resolves at the next frame or end of stream, or after `ms`. */
  private change(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private feed(chunk: string): void {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments.push(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) this.frames.push({ id, event, data: data.join('\n') });
    }
    this.notify();
  }
}
