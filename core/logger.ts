import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Secrets that must never reach a log line, wherever they appear in a bound object. */
const REDACT = ['password', 'secret', 'token', 'adminToken', '*.password', '*.secret', '*.token', 'req.headers.authorization', 'headers.authorization'];

/** Builds the root logger; every part takes a child bound to `{ part, component }`. */
export function createLogger(opts: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    name: opts.name ?? 'nonsite',
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
